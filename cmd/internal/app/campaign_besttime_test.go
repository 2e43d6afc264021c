package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
	"github.com/voronka/voronka/storage/redis/redistest"
)

const adsCampaign = `id: ads
segment: 'source == "ads"'
trigger: {cron: "0 11 1 * *"}
best_time: true
goal: {kind: reply, within: 3d}
messages: [{text: {ru: "Новинка, {name}", en: "Something new, {name}"}}]
`

const freshCampaign = `id: fresh
segment: 'source == "fresh"'
trigger: {cron: "0 11 1 * *"}
best_time: true
goal: {kind: reply, within: 3d}
messages: [{text: {ru: "Привет, {name}", en: "Hi, {name}"}}]
`

// customerWithHistory stores a contact whose lead came from source and
// who wrote at each of moments (customer events on the lead: the history
// the best hour is computed from).
func (b *bundle) customerWithHistory(chat int64, source string, moments ...time.Time) {
	b.t.Helper()
	ctx := context.Background()
	created := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var contact, lead int64
	require.NoError(b.t, b.db.Pool.QueryRow(ctx, `INSERT INTO contacts (telegram_user_id, chat_id, first_name, language, created_at, updated_at)
		VALUES ($1, $1, 'Ира', 'ru', $2, $2) RETURNING id`, chat, created).Scan(&contact))
	require.NoError(b.t, b.db.Pool.QueryRow(ctx, `INSERT INTO leads (contact_id, stage, score, flow_id, source, created_at, updated_at)
		VALUES ($1, 'lost', 10, 'qualify', $2, $3, $3) RETURNING id`, contact, source, created).Scan(&lead))
	for _, at := range moments {
		_, err := b.db.Pool.Exec(ctx, `INSERT INTO events (lead_id, kind, actor, data, created_at) VALUES ($1, 'message', 'customer', '{}', $2)`, lead, at)
		require.NoError(b.t, err)
	}
}

// due is the planned moment and timing of chat's send of campaign.
func (b *bundle) due(campaign string, chat int64) (time.Time, string) {
	b.t.Helper()
	var at time.Time
	var timing string
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), `SELECT s.due_at, s.timing FROM campaign_sends s JOIN contacts c ON c.id = s.contact_id
		WHERE s.campaign = $1 AND c.chat_id = $2`, campaign, chat).Scan(&at, &timing))
	return at.In(moscow), timing
}

// weekly is n moments a week apart, the latest at last.
func weekly(last time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = last.AddDate(0, 0, -7*i)
	}
	return out
}

// TestCampaignBestTime: with best_time (and no exploration) a send is
// planned at the customer's own hour of the week, from the history in
// PostgreSQL; at the next allowed morning when that hour is at night;
// without a history of their own at their segment's hour; with no
// history in the segment at everyone's. No plan is in quiet hours.
func TestCampaignBestTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, moscow) // a Monday
	b, clock := setupCampaignsSlack(t, now, map[string]string{"ads.yaml": adsCampaign, "fresh.yaml": freshCampaign},
		"frequency_cap: 100/1h, explore: 0")
	ctx := context.Background()
	const own, night, segment, fresh, outsider = 85001, 85002, 85003, 85004, 85005
	tuesdays := weekly(time.Date(2025, 3, 4, 15, 0, 0, 0, moscow), 3)   // Tue 15:00
	wednesdays := weekly(time.Date(2025, 3, 5, 23, 0, 0, 0, moscow), 3) // Wed 23:00, quiet
	fridays := weekly(time.Date(2025, 3, 7, 10, 30, 0, 0, moscow), 4)   // Fri 10:30
	old := []time.Time{time.Date(2024, 6, 4, 15, 0, 0, 0, moscow)}      // outside the 90-day window
	b.customerWithHistory(own, "ads", append(tuesdays, old...)...)
	b.customerWithHistory(night, "ads", wednesdays...)
	b.customerWithHistory(segment, "ads")
	b.customerWithHistory(fresh, "fresh")
	b.customerWithHistory(outsider, "organic", fridays...)

	for _, id := range []string{"ads", "fresh"} {
		_, err := b.app.campaigns.Fire(ctx, id, clock.Now(), "tick", false, 0)
		require.NoError(t, err)
	}
	quiet, err := crm.ParseQuietHours("21:00", "09:00")
	require.NoError(t, err)
	expect := func(moments []time.Time) time.Time {
		h, ok := crm.BestHourOfWeek(moments, moscow)
		require.True(t, ok)
		return crm.NextHourOfWeek(now, h, moscow, quiet)
	}

	at, timing := b.due("ads", own)
	require.Equal(t, "best", timing)
	require.Equal(t, time.Date(2025, 3, 11, 15, 0, 0, 0, moscow), at, "their own Tuesday 15:00")

	at, timing = b.due("ads", night)
	require.Equal(t, "best", timing)
	require.Equal(t, time.Date(2025, 3, 13, 9, 0, 0, 0, moscow), at, "Wednesday 23:00 is night: Thursday morning")

	segmentAt := expect(append(append([]time.Time{}, tuesdays...), wednesdays...))
	at, timing = b.due("ads", segment)
	require.Equal(t, "best", timing)
	require.Equal(t, segmentAt, at, "the segment's hour")
	require.NotEqual(t, time.Date(2025, 3, 11, 15, 0, 0, 0, moscow), at)

	everyone := append(append(append([]time.Time{}, tuesdays...), wednesdays...), fridays...)
	at, timing = b.due("fresh", fresh)
	require.Equal(t, "best", timing)
	require.Equal(t, expect(everyone), at, "everyone's hour")
	require.NotEqual(t, segmentAt, at)

	rows, err := b.db.Pool.Query(ctx, `SELECT due_at FROM campaign_sends`)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var d time.Time
		require.NoError(t, rows.Scan(&d))
		require.False(t, quiet.Quiet(d.In(moscow)), "%s is in quiet hours", d.In(moscow))
		require.False(t, d.Before(now))
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 4, n)
}

// TestCampaignsPreviewAndDryRun: `voronka campaigns preview` and `send
// --dry-run` read the audience from a real database (their own schema)
// and queue nothing: no send rows, no jobs, nothing to Telegram (the
// tools' sender refuses every message). `send` without --dry-run is
// refused.
func TestCampaignsPreviewAndDryRun(t *testing.T) {
	t.Parallel()
	schema := postgrestest.NewSchema(t)
	db := postgrestest.Open(t, schema)
	require.NoError(t, db.Migrate(context.Background()))
	_, _, prefix := redistest.NewStore(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "winback.yaml"), []byte(winbackCampaign), 0o644))
	env := map[string]string{
		"DATABASE_URL":   withSearchPath(t, postgrestest.URL(t), schema),
		"REDIS_URL":      redistest.URL(),
		"VORONKA_CONFIG": flowsConfig(t, fmt.Sprintf("redis_prefix: %q\ncampaigns: {dir: %q}\n", prefix, dir)),
	}
	b := &bundle{t: t, db: db}
	lost := time.Now().Add(-31 * 24 * time.Hour)
	for i := range 12 {
		b.lostCustomer(int64(86000+i), "ru", lost)
	}
	c, _ := b.lostCustomer(86100, "ru", lost)
	_, err := db.Pool.Exec(context.Background(), `UPDATE contacts SET stopped_at = now() WHERE id = $1`, c)
	require.NoError(t, err)

	cli := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := Campaigns(t.Context(), args, getenvOf(env), &stdout, &stderr)
		t.Logf("%v:\n%s%s", args, stdout.String(), stderr.String())
		return stdout.String(), err
	}
	out, err := cli("preview", "winback")
	require.NoError(t, err)
	require.Contains(t, out, "campaign winback: audience 12")
	require.Equal(t, 10, strings.Count(out, "  contact "), "a sample of 10")

	out, err = cli("send", "winback", "--dry-run", "-n", "3")
	require.NoError(t, err)
	require.Contains(t, out, "campaign winback: 12 sends would be queued now (dry run: none were)")
	require.Contains(t, out, "... and 9 more")

	_, err = cli("send", "winback")
	require.ErrorContains(t, err, "only --dry-run")

	require.Zero(t, b.count(`SELECT count(*) FROM campaign_sends`))
	require.Zero(t, b.count(`SELECT count(*) FROM river_job`))
}
