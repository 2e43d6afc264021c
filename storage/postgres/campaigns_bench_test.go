package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// BenchmarkSegmentMillion selects a segment out of b.N contacts (one lead
// each, seeded with generate_series: a third lost, scores 0-99, two
// sources) through the store: the whole segment's size in one query
// (AudienceSize, what preview and /campaigns run) and the sweep's first
// page of 1,000 (Audience). It reports the seconds of each; the target
// is under 2 s at 1,000,000.
//
//	go test ./storage/postgres -run '^$' -bench SegmentMillion -benchtime 1000000x -timeout 30m
func BenchmarkSegmentMillion(b *testing.B) {
	db := postgrestest.NewDB(b)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	seed := time.Now()
	if _, err := db.Pool.Exec(ctx, `
		INSERT INTO contacts (id, telegram_user_id, chat_id, first_name, language, created_at, updated_at)
		SELECT g, 50000000 + g, 50000000 + g, 'C', CASE WHEN g % 4 = 0 THEN 'en' ELSE 'ru' END, $2, $2
		FROM generate_series(1, $1) g`, b.N, now.Add(-400*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `
		INSERT INTO leads (id, contact_id, stage, score, temperature, flow_id, flow_version, step, source, created_at, updated_at, lost_at, lost_reason)
		SELECT g, g, CASE WHEN g % 3 = 0 THEN 'lost' ELSE 'qualified' END, g % 100, 'warm', 'qualify', 1, '',
			CASE WHEN g % 2 = 0 THEN 'ads' ELSE 'organic' END, $2, $2,
			CASE WHEN g % 3 = 0 THEN $2::timestamptz END, CASE WHEN g % 3 = 0 THEN 'expensive' ELSE '' END
		FROM generate_series(1, $1) g`, b.N, now.Add(-100*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{`SELECT setval('contacts_id_seq', $1)`, `SELECT setval('leads_id_seq', $1)`} {
		if _, err := db.Pool.Exec(ctx, q, b.N); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{`VACUUM ANALYZE contacts`, `VACUUM ANALYZE leads`} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d contacts and leads in %s", b.N, time.Since(seed).Round(time.Millisecond))
	store := postgres.NewCampaignStore(db)
	// stage == "lost" && score >= 10 && source == "ads"
	c := &crm.Campaign{ID: "bench", Trigger: crm.Trigger{Kind: crm.TriggerCron}, Segment: crm.Segment{Name: "bench",
		Where: &crm.Cond{Op: "and", Args: []crm.Cond{
			{Op: "cmp", Field: "stage", Cmp: "==", Value: "lost"},
			{Op: "cmp", Field: "score", Cmp: ">=", Value: 10.0},
			{Op: "cmp", Field: "source", Cmp: "==", Value: "ads"},
		}}}}
	b.ResetTimer()
	start := time.Now()
	n, err := store.AudienceSize(ctx, c, now)
	if err != nil {
		b.Fatal(err)
	}
	size := time.Since(start)
	start = time.Now()
	page, err := store.Audience(ctx, crm.AudienceQuery{Campaign: c, Now: now, Cause: "bench", Limit: 1000,
		Cap: crm.FrequencyCap{N: 1, Window: 72 * time.Hour}})
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	b.StopTimer()
	if b.N >= 100000 && (len(page) != 1000 || n == 0) { // the first run has b.N = 1
		b.Fatalf("segment of %d, first page %d", n, len(page))
	}
	b.ReportMetric(float64(n), "selected")
	b.ReportMetric(size.Seconds(), "s_size")
	b.ReportMetric(first.Seconds(), "s_first_page")
	b.ReportMetric(0, "ns/op")
}
