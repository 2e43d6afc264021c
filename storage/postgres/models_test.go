package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

func TestModelStoreOutcomes(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	// lead makes a contact and a qualified lead; erased marks the contact
	// forgotten.
	lead := func(user int64, qualified time.Time, won, lost *time.Time, erased bool) int64 {
		var cid, lid int64
		require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO contacts (telegram_user_id, language, erased_at) VALUES ($1, 'en', $2) RETURNING id`,
			user, map[bool]*time.Time{true: &now, false: nil}[erased]).Scan(&cid))
		require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO leads (contact_id, stage, score, flow_id, source, created_at, qualified_at, won_at, lost_at)
			VALUES ($1, 'qualified', 40, 'qualify', 'ads', $2, $3, $4, $5) RETURNING id`,
			cid, qualified.Add(-5*time.Minute), qualified, won, lost).Scan(&lid))
		_, err := db.Pool.Exec(ctx, `INSERT INTO answers (lead_id, step_id, kind, value, created_at) VALUES
			($1, 'need', 'choice', 'buy', $2), ($1, 'budget', 'number', '5000', $2)`, lid, qualified.Add(-time.Minute))
		require.NoError(t, err)
		// An answer after qualification was not known then.
		_, err = db.Pool.Exec(ctx, `INSERT INTO answers (lead_id, step_id, kind, value, created_at) VALUES ($1, 'late', 'text', 'x', $2)`,
			lid, qualified.Add(time.Hour))
		require.NoError(t, err)
		return lid
	}
	at := func(t time.Time) *time.Time { return &t }
	old := now.Add(-60 * day)
	wonFast := lead(1, old, at(old.Add(10*day)), nil, false)                // won within 30d
	wonLate := lead(2, old.Add(time.Hour), at(old.Add(40*day)), nil, false) // won after the horizon: not won
	lostOne := lead(3, now.Add(-2*day), nil, at(now.Add(-day)), false)      // lost: known
	openOld := lead(4, old.Add(2*time.Hour), nil, nil, false)               // open past the horizon: not won
	lead(5, now.Add(-3*day), nil, nil, false)                               // open within the horizon: unknown
	lead(6, old.Add(3*time.Hour), at(old.Add(day)), nil, true)              // erased: never used
	wonRecent := lead(7, now.Add(-4*day), at(now.Add(-3*day)), nil, false)  // won: known

	store := postgres.NewModelStore(db)
	got, err := store.Outcomes(ctx, 30*day, now)
	require.NoError(t, err)
	var ids []int64
	won := map[int64]bool{}
	for _, o := range got {
		ids = append(ids, o.Facts.Lead.ID)
		won[o.Facts.Lead.ID] = o.Won
		require.Equal(t, "en", o.Facts.Language)
		require.Equal(t, "ads", o.Facts.Lead.Attribution.Source)
		require.Equal(t, []crm.Answer{{LeadID: o.Facts.Lead.ID, StepID: "need", Kind: "choice", Value: "buy"},
			{LeadID: o.Facts.Lead.ID, StepID: "budget", Kind: "number", Value: "5000"}}, o.Facts.Answers)
	}
	require.Equal(t, []int64{wonFast, wonLate, openOld, wonRecent, lostOne}, ids, "by qualification time")
	require.Equal(t, map[int64]bool{wonFast: true, wonLate: false, openOld: false, wonRecent: true, lostOne: false}, won)
	w, l, err := store.OutcomeCounts(ctx, 30*day, now)
	require.NoError(t, err)
	require.Equal(t, [2]int{2, 3}, [2]int{w, l})
}

func TestModelStoreVersions(t *testing.T) {
	t.Parallel()
	db := postgrestest.NewDB(t)
	ctx := context.Background()
	store := postgres.NewModelStore(db)
	_, err := store.CurrentModel(ctx)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
	at := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	first := &crm.WinModel{TrainedAt: at, Horizon: 30 * 24 * time.Hour, Intercept: -1.5, Current: true,
		Features: []crm.ModelFeature{{Name: "answer:need=buy", Weight: 1.2, Mean: 0.3, Scale: 0.4}},
		Eval: crm.ModelEvaluation{AUC: 0.71, Brier: 0.18, ScoreAUC: 0.64, TestWon: 12, TestLost: 40,
			Calibration: []crm.CalibrationBin{{Leads: 5, Predicted: 0.1, Won: 1}}}}
	require.NoError(t, store.SaveModel(ctx, first))
	worse := &crm.WinModel{TrainedAt: at.Add(24 * time.Hour), Horizon: first.Horizon, Eval: crm.ModelEvaluation{AUC: 0.6,
		Previous: &crm.PreviousModel{ID: first.ID, AUC: 0.7, Brier: 0.2}}}
	require.NoError(t, store.SaveModel(ctx, worse))
	cur, err := store.CurrentModel(ctx)
	require.NoError(t, err)
	require.Equal(t, first.ID, cur.ID)
	require.Equal(t, first.Features, cur.Features)
	require.Equal(t, first.Eval, cur.Eval)
	require.Equal(t, first.Horizon, cur.Horizon)
	better := &crm.WinModel{TrainedAt: at.Add(48 * time.Hour), Current: true}
	require.NoError(t, store.SaveModel(ctx, better))
	cur, err = store.CurrentModel(ctx)
	require.NoError(t, err)
	require.Equal(t, better.ID, cur.ID)
	all, err := store.Models(ctx, 10)
	require.NoError(t, err)
	require.Len(t, all, 3)
	require.Equal(t, []int64{better.ID, worse.ID, first.ID}, []int64{all[0].ID, all[1].ID, all[2].ID})
	require.False(t, all[2].Current)
	require.Equal(t, first.ID, all[1].Eval.Previous.ID)
}
