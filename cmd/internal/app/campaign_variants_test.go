package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/crm"
)

// duoCampaign is an A/B campaign to lost customers.
const duoCampaign = `id: duo
name: Duo
segment: 'stage == "lost"'
trigger: {cron: "0 11 1 * *"}
goal: {kind: reply, within: 3d}
variants:
  - id: a
    weight: 50
    messages: [{text: {ru: "Вариант А, {name}", en: "Variant A, {name}"}}]
  - id: b
    weight: 50
    messages: [{text: {ru: "Вариант Б, {name}", en: "Variant B, {name}"}}]
`

// setupCampaignsSlack is an App with the campaign files, Telegram and
// Slack, its clock at at; campaigns is the campaigns: line's inside.
func setupCampaignsSlack(t *testing.T, at time.Time, files map[string]string, campaigns string) (*teamBundle, *fakeClock) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: at}
	b := setupWithDeps(t, engagementConfig+fmt.Sprintf("campaigns: {dir: %q, schedule: \"0 0 1 1 *\", %s}\n", dir, campaigns),
		map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
			"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL()}, clock)
	b.serving(clock)
	return &teamBundle{bundle: b, sl: sl, clock: clock}, clock
}

// variants answers contact id -> variant of the campaign's sends for cause.
func (b *bundle) variants(campaign, cause string) map[int64]string {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `SELECT contact_id, variant FROM campaign_sends WHERE campaign = $1 AND cause = $2`, campaign, cause)
	require.NoError(b.t, err)
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var v string
		require.NoError(b.t, rows.Scan(&id, &v))
		out[id] = v
	}
	require.NoError(b.t, rows.Err())
	return out
}

// TestCampaignVariantsStickyAndPromoted: each customer's variant is the
// hash of the campaign and the contact, stored with the send, and the
// same for every cause; both arms get customers; a head promotes b from
// Slack (/voronka campaigns duo promote b), the promotion is a row in
// PostgreSQL that a fresh App reads, and every later send is b while the
// earlier ones keep their arm. A rep cannot promote. /campaigns in Slack
// reports the arms from the facts.
func TestCampaignVariantsStickyAndPromoted(t *testing.T) {
	t.Parallel()
	noon := time.Date(2025, 3, 10, 12, 0, 0, 0, moscow)
	b, clock := setupCampaignsSlack(t, noon, map[string]string{"duo.yaml": duoCampaign}, "frequency_cap: 100/1h")
	ctx := context.Background()
	const n = 30
	for i := range n {
		b.lostCustomer(int64(84000+i), "ru", noon.Add(-40*24*time.Hour))
	}
	c, err := b.app.campaigns.Campaign("duo")
	require.NoError(t, err)

	_, err = b.app.campaigns.Fire(ctx, "duo", clock.Now(), "tick1", false, 0)
	require.NoError(t, err)
	first := b.variants("duo", "tick1")
	require.Len(t, first, n)
	count := map[string]int{}
	for contact, v := range first {
		require.Equal(t, crm.AssignVariant("duo", contact, c.Variants, ""), v, "contact %d", contact)
		count[v]++
	}
	require.Positive(t, count["a"])
	require.Positive(t, count["b"])
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM campaign_sends WHERE status = 'sent'`) == n })

	clock.Add(2 * time.Hour)
	_, err = b.app.campaigns.Fire(ctx, "duo", clock.Now(), "tick2", false, 0)
	require.NoError(t, err)
	require.Equal(t, first, b.variants("duo", "tick2"), "sticky across causes")
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM campaign_sends WHERE status = 'sent'`) == 2*n })

	// A rep may not promote; a head may, from Slack.
	status, text := b.slash("UBORIS", "campaigns duo promote b", clock.Now(), true)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, text, "Only a head of sales promotes a variant.")
	require.Zero(t, b.count(`SELECT count(*) FROM campaign_promotions`))
	status, text = b.slash("UANNA", "campaigns duo promote b", clock.Now(), true)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, text, "variant b now takes every further send")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM campaign_promotions WHERE campaign = 'duo' AND variant = 'b'`))

	// A restarted replica reads the promotion from the database.
	b.start()
	clock.Add(2 * time.Hour)
	_, err = b.app.campaigns.Fire(ctx, "duo", clock.Now(), "tick3", false, 0)
	require.NoError(t, err)
	third := b.variants("duo", "tick3")
	require.Len(t, third, n)
	for contact, v := range third {
		require.Equal(t, "b", v, "contact %d", contact)
	}
	require.Equal(t, first, b.variants("duo", "tick1"), "earlier sends keep their arm")
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM campaign_sends WHERE status = 'sent'`) == 3*n })

	// The report, in Slack, from the facts: tick1 and tick2 split by the
	// hash, tick3 all b.
	status, text = b.slash("UANNA", "campaigns duo", clock.Now(), true)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, text, "Duo (duo")
	require.Contains(t, text, fmt.Sprintf("a (w 50): sent %d", 2*count["a"]))
	require.Contains(t, text, fmt.Sprintf("b (w 50) ★ promoted: sent %d", 2*count["b"]+n))
}
