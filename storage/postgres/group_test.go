package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

// TestAnswersOfConcurrentUpdatesAreGrouped: answers that queue while the
// pool is busy are written in groups of one round trip and one commit;
// each caller still gets its own outcome, and an answer that fails makes
// its group be written again answer by answer, so it fails alone and the
// others are kept once.
func TestAnswersOfConcurrentUpdatesAreGrouped(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const n = 40
	leads := make([]*crm.Lead, n)
	for i := range leads {
		leads[i] = &crm.Lead{ContactID: f.lead.ContactID, FlowID: "qualify", Step: "need", CreatedAt: f.at}
		require.NoError(t, f.store.CreateLead(f.ctx, leads[i]))
	}
	const bad = 17 // its score does not fit the column: PostgreSQL cannot take it
	release := postgres.HoldAnswerWriters(f.db)
	progress := make([]crm.Progress, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		p := f.progress("need", fmt.Sprintf("v%d", i))
		p.LeadID = leads[i].ID
		if i == bad {
			p.Score = 1 << 40
		}
		progress[i] = p
		wg.Go(func() { errs[i] = f.store.SaveProgress(f.ctx, progress[i]) })
	}
	require.Eventually(t, func() bool { return postgres.QueuedAnswers(f.db) == n },
		10*time.Second, time.Millisecond, "every answer waits for a writer")
	release()
	wg.Wait()

	for i, err := range errs {
		if i == bad {
			require.Error(t, err, "the answer that cannot be stored fails")
			continue
		}
		require.NoError(t, err, "answer %d", i)
		require.Positive(t, progress[i].Answer.ID, "answer %d learns its id", i)
	}
	require.Equal(t, 2, int(postgres.AnswerGroups(f.db)), "40 answers in groups of 16: two kept as groups, the third (with the bad one) written one by one")
	require.Equal(t, n-1, f.count(t, `SELECT count(*) FROM answers`))
	require.Equal(t, n-1, f.count(t, `SELECT count(*) FROM events WHERE kind = 'answered'`))
	require.Equal(t, 0, f.count(t, `SELECT count(*) FROM answers WHERE lead_id = $1`, leads[bad].ID))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND score = 0 AND step = 'need'`, leads[bad].ID), "the bad answer's lead is untouched")
	require.Equal(t, n-1, f.count(t, `SELECT count(*) FROM leads WHERE score = 10 AND step = 'next'`))

	// Stored is stored: the same answers again are conflicts, one by one.
	for i := range n {
		if i == bad {
			continue
		}
		err := f.store.SaveProgress(f.ctx, progress[i])
		require.Equal(t, crm.ECONFLICT, crm.ErrorCode(err), "answer %d", i)
	}
	require.Equal(t, n-1, f.count(t, `SELECT count(*) FROM answers`))
}
