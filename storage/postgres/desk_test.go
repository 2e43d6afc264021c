package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

func (b *salesBundle) claim(t *testing.T, id int64, m crm.Manager) {
	t.Helper()
	_, err := b.sales.Act(context.Background(), crm.Action{LeadID: id, Kind: crm.ActClaim, By: m, At: b.at}, false, nil)
	require.NoError(t, err)
}

// TestDeskReassignAndUnclaim: a reassigned lead is the new rep's,
// claimed, with its event and jobs; unclaiming it clears the owner and
// queues it for routing; a rep cannot unclaim someone else's.
func TestDeskReassignAndUnclaim(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	desk := postgres.NewDeskStore(b.db)
	anna, boris, vera := b.team[0], b.team[1], b.team[2]
	id := b.hotLead(t, 21)
	b.claim(t, id, boris)

	from, err := desk.Reassign(ctx, id, vera, anna, b.at.Add(time.Minute), []crm.Job{{Kind: crm.JobCardUpdate, LeadID: id, Key: "r"}})
	require.NoError(t, err)
	require.Equal(t, boris.ID, from)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND manager_id = $2 AND claimed_at IS NOT NULL`, id, vera.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE kind = 'reassigned' AND (data->>'from_id')::bigint = $1`, boris.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update' AND args->>'key' = 'r'`))
	_, err = desk.Reassign(ctx, id, vera, anna, b.at, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), "already hers")

	err = desk.Unclaim(ctx, id, boris, false, true, b.at.Add(2*time.Minute), nil)
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err))
	require.Contains(t, crm.ErrorMessage(err), "Vera's")
	require.NoError(t, desk.Unclaim(ctx, id, vera, false, true, b.at.Add(2*time.Minute), nil))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND manager_id IS NULL AND claimed_at IS NULL AND waiting`, id))
	err = desk.Unclaim(ctx, id, vera, false, true, b.at, nil)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), "nobody's now")
	_, err = desk.Reassign(ctx, 999999, vera, anna, b.at, nil)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
}

// TestDeskCallbacksAndOpenLeads: a second call-back replaces the first;
// a due one is marked once with its job; /my lists the rep's open leads
// oldest first with the next call-back.
func TestDeskCallbacksAndOpenLeads(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	desk := postgres.NewDeskStore(b.db)
	boris, vera := b.team[1], b.team[2]
	first := b.hotLead(t, 31)
	b.at = b.at.Add(time.Hour)
	second := b.hotLead(t, 32)
	other := b.hotLead(t, 33)
	b.claim(t, second, boris)
	b.claim(t, first, boris)
	b.claim(t, other, vera)

	due := b.at.Add(24 * time.Hour)
	_, err := desk.ScheduleCallback(ctx, crm.Callback{LeadID: first, ManagerID: boris.ID, DueAt: due.Add(time.Hour), CreatedAt: b.at})
	require.NoError(t, err)
	cbID, err := desk.ScheduleCallback(ctx, crm.Callback{LeadID: first, ManagerID: boris.ID, DueAt: due, CreatedAt: b.at})
	require.NoError(t, err)

	open, err := desk.OpenLeads(ctx, boris.ID)
	require.NoError(t, err)
	require.Len(t, open, 2)
	require.Equal(t, []int64{first, second}, []int64{open[0].LeadID, open[1].LeadID}, "oldest first")
	require.NotNil(t, open[0].NextCall)
	require.True(t, due.Equal(*open[0].NextCall), "the replacing call-back")
	require.Nil(t, open[1].NextCall)
	require.Equal(t, crm.StageQualified, open[0].Stage)
	require.Equal(t, "C", open[0].Name)

	cs, err := desk.DueCallbacks(ctx, due.Add(-time.Second))
	require.NoError(t, err)
	require.Empty(t, cs)
	cs, err = desk.DueCallbacks(ctx, due)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, cbID, cs[0].ID)
	job := crm.Job{Kind: crm.JobCallbackDue, LeadID: first, Key: "x"}
	ok, err := desk.MarkCallbackDue(ctx, cbID, due, job)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = desk.MarkCallbackDue(ctx, cbID, due, job)
	require.NoError(t, err)
	require.False(t, ok, "once")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'callback_due'`))
	cs, err = desk.DueCallbacks(ctx, due.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, cs)
}

// TestDeskDigestWindows: windows are recorded once per end, and the
// unclaimed warm leads of a window are listed.
func TestDeskDigestWindows(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	desk := postgres.NewDeskStore(b.db)
	last, err := desk.LastDigest(ctx)
	require.NoError(t, err)
	require.Nil(t, last)
	to := b.at.Add(time.Hour)
	job := crm.Job{Kind: crm.JobWarmDigest, Key: "w"}
	ok, err := desk.RecordDigest(ctx, b.at, to, job)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = desk.RecordDigest(ctx, b.at, to, job)
	require.NoError(t, err)
	require.False(t, ok)
	last, err = desk.LastDigest(ctx)
	require.NoError(t, err)
	require.True(t, to.Equal(*last))
	from, err := desk.DigestWindow(ctx, to)
	require.NoError(t, err)
	require.True(t, b.at.Equal(from))
	_, err = desk.DigestWindow(ctx, b.at)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
}

// TestDeskNotes: notes are kept in order with a "note" event holding the
// id only; /forget blanks their text.
func TestDeskNotes(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	desk := postgres.NewDeskStore(b.db)
	id := b.hotLead(t, 41)
	for _, text := range []string{"asked for a discount", "call after 5pm, +7 916 000-00-00"} {
		_, err := desk.AddNote(ctx, crm.Note{LeadID: id, ManagerID: b.team[1].ID, Author: "Boris", Text: text, CreatedAt: b.at}, nil)
		require.NoError(t, err)
	}
	notes, err := desk.Notes(ctx, id)
	require.NoError(t, err)
	require.Len(t, notes, 2)
	require.Equal(t, "asked for a discount", notes[0].Text)
	require.Equal(t, "Boris", notes[1].Author)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM events WHERE kind = 'note' AND NOT data ? 'text'`))
	_, err = desk.AddNote(ctx, crm.Note{LeadID: 999999, Author: "Boris", Text: "x", CreatedAt: b.at}, nil)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))

	var contactID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT contact_id FROM leads WHERE id = $1`, id).Scan(&contactID))
	require.NoError(t, postgres.NewEngagementStore(b.db).Forget(ctx, contactID, b.at))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM notes WHERE text <> ''`))
}

// TestReopenLost: a lost lead goes back to where it was (contacted here)
// for its rep or a head, with a stage event; anyone else is refused, and
// an open lead is not "reopened".
func TestReopenLost(t *testing.T) {
	t.Parallel()
	b := setupSales(t)
	ctx := context.Background()
	anna, boris, vera := b.team[0], b.team[1], b.team[2]
	id := b.hotLead(t, 51)
	b.claim(t, id, boris)
	act := func(kind crm.ActionKind, by crm.Manager, anyOwner bool) error {
		_, err := b.sales.Act(ctx, crm.Action{LeadID: id, Kind: kind, By: by, At: b.at, Reason: "too expensive"}, anyOwner, nil)
		return err
	}
	require.NoError(t, act(crm.ActContacted, boris, false))
	require.NoError(t, act(crm.ActLost, boris, false))
	err := act(crm.ActReopen, vera, false)
	require.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err))
	require.Contains(t, crm.ErrorMessage(err), "Boris's")
	require.NoError(t, act(crm.ActReopen, boris, false))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND stage = 'contacted' AND lost_at IS NULL
		AND lost_reason = '' AND manager_id = $2`, id, boris.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'stage_changed'
		AND data->>'to' = 'contacted' AND data->>'from' = 'lost'`, id))
	err = act(crm.ActReopen, anna, true)
	require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err))
	require.Contains(t, crm.ErrorMessage(err), "not lost")
	require.NoError(t, act(crm.ActLost, anna, true))
	require.NoError(t, act(crm.ActReopen, anna, true), "a head reopens anyone's")
}
