package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const winbackCampaign = `id: winback
segment: 'stage == "lost" && score >= 10'
trigger: {event: lost, delay: 30d}
exclude: [purchased]
goal: {kind: reply, within: 3d}
messages:
  - text: {ru: "{name}, возвращайтесь!", en: "{name}, come back!"}
    buttons:
      - {text: {ru: "Давайте", en: "Let's talk"}, flow: qualify}
`

// setupCampaigns is the engagement setup (Moscow, quiet 21-09) with the
// campaign files given and a cap of one message in 3 days.
func setupCampaigns(t *testing.T, at time.Time, files map[string]string) (*bundle, *fakeClock) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	clock := &fakeClock{t: at}
	b := setupWithDeps(t, engagementConfig+fmt.Sprintf("campaigns: {dir: %q, frequency_cap: 1/3d, schedule: \"0 0 1 1 *\"}\n", dir), nil, clock)
	b.serving(clock)
	return b, clock
}

// lostCustomer stores a contact whose only lead was lost at lostAt.
func (b *bundle) lostCustomer(chat int64, lang string, lostAt time.Time) (contact, lead int64) {
	b.t.Helper()
	ctx := context.Background()
	require.NoError(b.t, b.db.Pool.QueryRow(ctx, `INSERT INTO contacts (telegram_user_id, chat_id, first_name, language, created_at, updated_at)
		VALUES ($1, $1, 'Ира', $2, $3, $3) RETURNING id`, chat, lang, lostAt.Add(-time.Hour)).Scan(&contact))
	require.NoError(b.t, b.db.Pool.QueryRow(ctx, `INSERT INTO leads (contact_id, stage, score, flow_id, created_at, updated_at, lost_at, lost_reason)
		VALUES ($1, 'lost', 40, 'qualify', $2, $2, $2, 'expensive') RETURNING id`, contact, lostAt).Scan(&lead))
	return contact, lead
}

// TestEventCampaignOncePerCause: a campaign 30 days after a loss writes
// to each lost lead's customer once, only after the delay, and never to
// one who said /stop, one the frequency cap holds, or one who bought
// since; at night the send waits for the morning.
func TestEventCampaignOncePerCause(t *testing.T) {
	t.Parallel()
	noon := time.Date(2025, 3, 10, 12, 0, 0, 0, moscow)
	b, clock := setupCampaigns(t, noon, map[string]string{"winback.yaml": winbackCampaign})
	ctx := context.Background()
	const due, early, stopped, capped, bought = 81001, 81002, 81003, 81004, 81005
	b.lostCustomer(due, "ru", noon.Add(-31*24*time.Hour))
	b.lostCustomer(early, "en", noon.Add(-29*24*time.Hour))
	c, _ := b.lostCustomer(stopped, "ru", noon.Add(-31*24*time.Hour))
	require.NoError(t, b.app.engagement.Stop(ctx, c))
	c, l := b.lostCustomer(capped, "ru", noon.Add(-31*24*time.Hour))
	_, err := b.db.Pool.Exec(ctx, `INSERT INTO campaign_sends (campaign, contact_id, lead_id, cause, variant, due_at, status, sent_at, created_at)
		VALUES ('other', $1, $2, 'once', 'a', $3, 'sent', $3, $3)`, c, l, noon.Add(-24*time.Hour))
	require.NoError(t, err)
	c, _ = b.lostCustomer(bought, "ru", noon.Add(-31*24*time.Hour))
	_, err = b.db.Pool.Exec(ctx, `INSERT INTO leads (contact_id, stage, score, flow_id, created_at, updated_at, won_at, amount)
		VALUES ($1, 'won', 80, 'qualify', $2, $2, $2, 100)`, c, noon.Add(-2*24*time.Hour))
	require.NoError(t, err)

	for range 3 { // a sweep that runs again queues nothing again
		require.NoError(t, b.app.campaigns.Sweep(ctx, clock.Now()))
	}
	b.waitFor(func() bool { return b.sentTo(due, "Ира, возвращайтесь!") == 1 })
	// The customer who bought after the loss: selected (the segment is
	// about the lost lead) but excluded when the send runs.
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM campaign_sends s JOIN contacts c ON c.id = s.contact_id
			WHERE c.chat_id = $1 AND s.status = 'excluded'`, bought) == 1
	})
	require.Equal(t, 1, b.count(`SELECT count(*) FROM campaign_sends WHERE campaign = 'winback'`)-
		b.count(`SELECT count(*) FROM campaign_sends WHERE campaign = 'winback' AND status = 'excluded'`))
	for _, chat := range []int64{early, stopped, capped, bought} {
		require.Zero(t, len(b.tg.Sent(chat)), "chat %d", chat)
	}

	// Two days later the early one is due; at 23:00 Moscow its send is
	// planned for 09:00, and nothing goes at night.
	clock.Add(2*24*time.Hour + 11*time.Hour) // 23:00
	require.NoError(t, b.app.campaigns.Sweep(ctx, clock.Now()))
	var dueAt time.Time
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT s.due_at FROM campaign_sends s JOIN contacts c ON c.id = s.contact_id
		WHERE c.chat_id = $1`, early).Scan(&dueAt))
	require.Equal(t, time.Date(2025, 3, 13, 9, 0, 0, 0, moscow), dueAt.In(moscow))
	time.Sleep(300 * time.Millisecond)
	require.Zero(t, len(b.tg.Sent(early)), "nothing at night")
	require.Equal(t, 1, b.sentTo(due, "возвращайтесь"), "once per cause")
}

// TestCampaignsReport: /campaigns shows the variant's sends from the facts.
func TestCampaignsReport(t *testing.T) {
	t.Parallel()
	noon := time.Date(2025, 3, 10, 12, 0, 0, 0, moscow)
	b, clock := setupCampaigns(t, noon, map[string]string{"winback.yaml": winbackCampaign})
	ctx := context.Background()
	b.lostCustomer(82001, "en", noon.Add(-31*24*time.Hour))
	require.NoError(t, b.app.campaigns.Sweep(ctx, clock.Now()))
	b.waitFor(func() bool { return b.sentTo(82001, "Ира, come back!") == 1 })
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM campaign_sends WHERE status = 'sent'`) == 1 })
	boris, ok := b.app.sales.ManagerByTelegram(9002)
	require.True(t, ok)
	msgs := b.app.teamDesk.Answer(ctx, boris, "telegram", "campaigns", "")
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].Text, "audience 1")
	require.Contains(t, msgs[0].Text, "a (w 1): sent 1, delivered 1, blocked 0")
	require.Contains(t, msgs[0].Text, "replied 0 = 0.0% [0.0–79.3]")
}
