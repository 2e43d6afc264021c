package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

// TestExperimentCounts counts the arms' leads of a period by hand-built
// leads; each expectation names the leads it counts.
func TestExperimentCounts(t *testing.T) {
	t.Parallel()
	f := setup(t) // one lead with no arms, created at f.at: never counted
	from := f.at.Add(-time.Hour)
	to := f.at.Add(24 * time.Hour)
	type lead struct {
		need, form string
		created    time.Time
		step       string   // the step waiting; "" finished
		answered   []string // current answers' steps
		superseded []string
		temp       crm.Temperature
		qualified  bool
		won        bool
	}
	leads := map[string]lead{
		"L1": {need: "a", form: "long", created: f.at, step: "need"},
		"L2": {need: "a", form: "long", created: f.at, answered: []string{"need", "email"}, temp: crm.Hot, qualified: true, won: true},
		"L3": {need: "b", form: "short", created: f.at, answered: []string{"need"}, temp: crm.Warm, qualified: true},
		"L4": {need: "b", form: "short", created: f.at, step: "email", answered: []string{"other"}, superseded: []string{"need"}},
		"L5": {need: "a", form: "long", created: from.Add(-time.Minute), answered: []string{"need"}, temp: crm.Hot, qualified: true},
		"L6": {need: "b", form: "short", created: f.at, answered: []string{"need"}, temp: crm.Cold, qualified: true},
	}
	for name, l := range leads {
		row := &crm.Lead{ContactID: f.lead.ContactID, FlowID: "qualify", Step: l.step, CreatedAt: l.created,
			Variants: map[string]string{"need_wording": l.need, "short_form": l.form}}
		require.NoError(t, f.store.CreateLead(f.ctx, row), name)
		for _, s := range l.superseded {
			_, err := f.db.Pool.Exec(f.ctx, `INSERT INTO answers (lead_id, step_id, superseded_at) VALUES ($1, $2, now())`, row.ID, s)
			require.NoError(t, err)
		}
		for _, s := range l.answered {
			_, err := f.db.Pool.Exec(f.ctx, `INSERT INTO answers (lead_id, step_id) VALUES ($1, $2)`, row.ID, s)
			require.NoError(t, err)
		}
		if l.qualified {
			_, err := f.db.Pool.Exec(f.ctx, `UPDATE leads SET stage = 'qualified', qualified_at = $2, temperature = $3 WHERE id = $1`,
				row.ID, l.created.Add(time.Minute), string(l.temp))
			require.NoError(t, err)
		}
		if l.won {
			_, err := f.db.Pool.Exec(f.ctx, `UPDATE leads SET stage = 'won', won_at = $2 WHERE id = $1`, row.ID, l.created.Add(time.Hour))
			require.NoError(t, err)
		}
	}
	got, err := postgres.NewStatsStore(f.db).Experiments(f.ctx, from, to,
		map[string]string{"need_wording": "need", "short_form": "", "unused": "email"})
	require.NoError(t, err)
	require.Equal(t, []crm.ExperimentCounts{
		// L1 L2; L1 waits on need, L2 answered it; L2 finished hot and won.
		{Experiment: "need_wording", Variant: "a", Leads: 2, Started: 2, Completed: 1, Qualified: 1, Hot: 1, Won: 1},
		// L3 L4 L6; L4's answer to need was superseded and it waits on
		// email, so it was not asked need (as far as the facts go); L6
		// finished cold: completed, not qualified.
		{Experiment: "need_wording", Variant: "b", Leads: 3, Started: 2, Completed: 2, Qualified: 1, Hot: 0, Won: 0},
		// L1 L2: L2 answered.
		{Experiment: "short_form", Variant: "long", Leads: 2, Started: 1, Completed: 1, Qualified: 1, Hot: 1, Won: 1},
		// L3 L4 L6 all hold a current answer.
		{Experiment: "short_form", Variant: "short", Leads: 3, Started: 3, Completed: 2, Qualified: 1, Hot: 0, Won: 0},
	}, got)
}
