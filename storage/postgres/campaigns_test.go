package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

// TestCampaignStore: a send is created once per (campaign, contact,
// cause) with its one job; a claim holds the frequency cap and the
// purchase exclusion under the contact's lock, and is taken once; a
// press is kept once (the first) with its choice and a campaign_click
// event, and only by its contact; the moments of a contact's activity
// include presses; results count sends, deliveries and replies per
// variant; a promotion is a row.
func TestCampaignStore(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	s := postgres.NewCampaignStore(b.db)
	now := b.at
	c := b.contact(t, 87001)
	lead := b.lead(t, c.ID, crm.StageLost, now.Add(-40*day))
	other := b.contact(t, 87002)

	send := func(campaign, cause, variant string, contactID, leadID int64) (*crm.CampaignSend, bool) {
		t.Helper()
		cs := &crm.CampaignSend{Campaign: campaign, ContactID: contactID, LeadID: leadID, Cause: cause, Variant: variant,
			Timing: crm.TimingNow, DueAt: now, Since: now.Add(-31 * day), Status: crm.SendQueued}
		created, err := s.CreateSend(b.ctx, cs, crm.Job{Kind: crm.JobCampaign})
		require.NoError(t, err)
		return cs, created
	}
	jobs := func() int {
		var n int
		require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM river_job WHERE args->>'job' = 'campaign_send'`).Scan(&n))
		return n
	}

	first, created := send("winback", "lost:1", "a", c.ID, lead)
	require.True(t, created)
	_, created = send("winback", "lost:1", "b", c.ID, lead)
	require.False(t, created, "once per cause")
	require.Equal(t, 1, jobs())
	got, err := s.CampaignSend(b.ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, "a", got.Variant)
	require.Equal(t, crm.SendQueued, got.Status)

	capc := crm.FrequencyCap{N: 1, Window: 72 * time.Hour}
	status, err := s.ClaimSend(b.ctx, first.ID, now, capc, nil)
	require.NoError(t, err)
	require.Empty(t, status, "claimed")
	status, err = s.ClaimSend(b.ctx, first.ID, now, capc, nil)
	require.NoError(t, err)
	require.Equal(t, crm.SendSending, status, "a claim is taken once")
	require.NoError(t, s.UnclaimSend(b.ctx, first.ID))
	status, err = s.ClaimSend(b.ctx, first.ID, now, capc, nil)
	require.NoError(t, err)
	require.Empty(t, status, "claimed again after the unclaim")
	require.NoError(t, s.FinishSend(b.ctx, first.ID, crm.SendSent, 42, now))

	// The cap: one sent in 72h holds the next campaign's send back.
	second, _ := send("spring", "once", "a", c.ID, lead)
	status, err = s.ClaimSend(b.ctx, second.ID, now.Add(time.Hour), capc, nil)
	require.NoError(t, err)
	require.Equal(t, crm.SendCapped, status)
	// The exclusion: a purchase after the cause's moment.
	o := b.lead(t, other.ID, crm.StageLost, now.Add(-40*day))
	third, _ := send("winback", "lost:2", "a", other.ID, o)
	b.won(t, other.ID, now.Add(-2*day), 0)
	since := now.Add(-31 * day)
	status, err = s.ClaimSend(b.ctx, third.ID, now, capc, &since)
	require.NoError(t, err)
	require.Equal(t, crm.SendExcluded, status)

	// Presses: the first is kept, with the choice; not another's.
	_, err = s.ClickSend(b.ctx, first.ID, other.ID, crm.ActionChoice, "x", now.Add(time.Hour))
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
	clicked, err := s.ClickSend(b.ctx, first.ID, c.ID, crm.ActionChoice, "interested", now.Add(time.Hour))
	require.NoError(t, err)
	_, err = s.ClickSend(b.ctx, first.ID, c.ID, crm.ActionFlow, "qualify", now.Add(2*time.Hour))
	require.NoError(t, err)
	var clickedAt time.Time
	var choice string
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT clicked_at, choice FROM campaign_sends WHERE id = $1`, first.ID).Scan(&clickedAt, &choice))
	require.True(t, clickedAt.Equal(now.Add(time.Hour)), "the first press")
	require.Equal(t, "interested", choice)
	require.Equal(t, first.ID, clicked.ID)
	var events int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'campaign_click' AND actor = 'customer'`, lead).Scan(&events))
	require.Equal(t, 2, events)

	moments, err := s.Activity(b.ctx, c.ID, now.Add(-day))
	require.NoError(t, err)
	require.Contains(t, moments, now.Add(time.Hour).UTC(), "a press is activity")

	stats, err := s.Results(b.ctx, "winback", crm.Goal{Kind: crm.GoalReply, Within: 3 * day})
	require.NoError(t, err)
	require.Len(t, stats, 1)
	require.Equal(t, "a", stats[0].Variant)
	require.Equal(t, 2, stats[0].Sends)
	require.Equal(t, 1, stats[0].Sent)
	require.Equal(t, 1, stats[0].Delivered)
	require.Equal(t, 1, stats[0].Replied)

	p, err := s.Promoted(b.ctx, "winback")
	require.NoError(t, err)
	require.Empty(t, p)
	require.NoError(t, s.Promote(b.ctx, "winback", "b", now))
	require.NoError(t, s.Promote(b.ctx, "winback", "a", now.Add(time.Hour)))
	p, err = s.Promoted(b.ctx, "winback")
	require.NoError(t, err)
	require.Equal(t, "a", p, "the latest promotion")
}
