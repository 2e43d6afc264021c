package bot_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/chart"
	"github.com/voronka/voronka/configs"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// benchNow is the instant the seeded history ends at and the reports are
// asked at.
var benchNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// seedStats fills an empty, migrated schema with n leads spread evenly
// over the two years before benchNow (about 1 370 a day at a million),
// their contacts, answers, events, SLA breaches and NPS answers, all in
// set-based SQL (generate_series), which seeds a million leads in minutes
// where a million round trips would take an hour.
//
// Each lead's fate is r = (id * 7919) mod 100, so the mix is fixed and
// evenly spread over time: 15% never answer, 10% stop mid-dialogue, 10%
// cancel, the rest qualify (a third each hot, warm, cold) and are claimed
// by one of three reps; of those 10% stay open (for the last two weeks;
// older ones were lost), 30% are lost after contact and 25% of all leads
// are won, each win answering the NPS survey a week later.
const seedStats = `
INSERT INTO contacts (telegram_user_id, chat_id, first_name, last_name, username, phone, email, language, created_at, updated_at)
SELECT 5000000000 + g, 5000000000 + g,
	(ARRAY['Anna','Boris','Vera','Ivan','Olga','Petr','Maria','Sergey'])[1 + g % 8], 'Surname' || g, 'user' || g,
	'+7916' || lpad(g::text, 7, '0'), 'user' || g || '@example.com', 'ru', $2::timestamptz, $2::timestamptz
FROM generate_series(1, $4::int) g;

INSERT INTO leads (id, contact_id, stage, score, temperature, flow_id, flow_version, step, source, medium, campaign,
	created_at, updated_at, qualified_at, manager_id, assigned_at, alerted_at, claimed_at, contacted_at, won_at, lost_at, amount, lost_reason)
SELECT i, ((i - 1) % $4::int) + 1,
	CASE WHEN r < 15 THEN 'new' WHEN r < 25 THEN 'qualifying' WHEN r < 35 THEN 'lost'
	     WHEN r < 40 THEN CASE WHEN open THEN 'qualified' ELSE 'lost' END
	     WHEN r < 45 THEN 'lost'
	     WHEN r < 50 THEN CASE WHEN open THEN 'contacted' ELSE 'lost' END
	     WHEN r < 75 THEN 'lost' ELSE 'won' END,
	CASE WHEN r >= 35 THEN 20 + r ELSE 10 END,
	CASE WHEN r >= 35 AND r % 3 = 0 THEN 'hot' WHEN r >= 35 AND r % 3 = 1 THEN 'warm' ELSE 'cold' END,
	'qualify', 1,
	CASE WHEN r >= 35 THEN '' ELSE (ARRAY['need','budget','timeline','role'])[1 + answered] END,
	(ARRAY['google','vk','yandex','telegram',''])[1 + i % 5], 'cpc', 'c' || (i % 40),
	at, at, q, m, q, q, cl, ct, w, lo,
	CASE WHEN w IS NOT NULL THEN 10000 + r * 1000 END,
	CASE WHEN r >= 25 AND r < 35 THEN 'cancelled' WHEN lo IS NOT NULL AND r < 45 THEN 'not reachable'
	     WHEN lo IS NOT NULL THEN 'no budget' ELSE '' END
FROM (
	SELECT i, r, at, open, answered, q, m, cl, ct,
		CASE WHEN r >= 75 THEN ct + interval '2 days' END AS w,
		CASE WHEN r >= 25 AND r < 35 THEN at + interval '10 minutes'
		     WHEN r >= 35 AND r < 40 AND NOT open THEN cl + interval '14 days'
		     WHEN r >= 40 AND r < 45 THEN cl + interval '1 day'
		     WHEN r >= 45 AND r < 50 AND NOT open THEN ct + interval '14 days'
		     WHEN r >= 50 AND r < 75 THEN ct + interval '3 days' END AS lo
	FROM (
		SELECT i, r, at, open, answered, q, m, cl,
			CASE WHEN r >= 45 THEN cl + (r % 30) * interval '1 minute' END AS ct
		FROM (
			SELECT i, r, at, at >= $3::timestamptz - interval '14 days' AS open,
				CASE WHEN r < 15 THEN 0 WHEN r < 25 THEN 1 + r % 3 WHEN r < 35 THEN r % 3 ELSE 5 END AS answered,
				CASE WHEN r >= 35 THEN at + interval '5 minutes' END AS q,
				CASE WHEN r >= 35 THEN 1 + r % 3 END AS m,
				CASE WHEN r >= 35 THEN at + interval '5 minutes' + (r % 20) * interval '1 minute' END AS cl
			FROM (
				SELECT g AS i, ((g::bigint * 7919) % 100)::int AS r,
					$2::timestamptz + (g - 1) * (($3::timestamptz - $2::timestamptz) / $1::int) AS at
				FROM generate_series(1, $1::int) g
			) base
		) a
	) b
) c;
SELECT setval(pg_get_serial_sequence('leads', 'id'), $1::int);

INSERT INTO answers (lead_id, step_id, kind, value, score, created_at)
SELECT l.id, s.step, 'choice', 'x', 10, l.created_at + s.n * interval '1 minute'
FROM leads l
JOIN (VALUES (1, 'need'), (2, 'budget'), (3, 'timeline'), (4, 'role'), (5, 'company_size')) s (n, step)
	ON s.n <= CASE WHEN l.qualified_at IS NOT NULL THEN 5 ELSE array_position(ARRAY['need','budget','timeline','role'], l.step) - 1 END;

INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'created', 'customer', jsonb_build_object('source', source, 'campaign', campaign), created_at FROM leads;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT lead_id, 'answered', 'customer', jsonb_build_object('step', step_id), created_at FROM answers;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'qualified', 'system', '{}', qualified_at FROM leads WHERE qualified_at IS NOT NULL;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'claimed', 'rep', jsonb_build_object('manager_id', manager_id), claimed_at FROM leads WHERE claimed_at IS NOT NULL;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'stage_changed', 'rep', '{"to": "contacted"}', contacted_at FROM leads WHERE contacted_at IS NOT NULL;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'stage_changed', 'rep', jsonb_build_object('to', 'won', 'amount', amount), won_at FROM leads WHERE won_at IS NOT NULL;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'stage_changed', 'rep', jsonb_build_object('to', 'lost', 'reason', lost_reason), lost_at FROM leads WHERE lost_at IS NOT NULL;
INSERT INTO events (lead_id, kind, actor, data, created_at)
SELECT id, 'nps_answered', 'customer',
	jsonb_build_object('score', (id * 31) % 11, 'comment', CASE WHEN id % 3 = 0 THEN 'comment ' || id ELSE '' END),
	won_at + interval '7 days'
FROM leads WHERE won_at IS NOT NULL AND won_at + interval '7 days' < $3::timestamptz;
INSERT INTO sla_breaches (lead_id, kind, at)
SELECT id, 'claim', qualified_at + interval '5 minutes' FROM leads WHERE claimed_at > qualified_at + interval '5 minutes';
`

// openSeededStats returns a pool on a schema holding n seeded leads. The
// schema is bench_stats_<n>; with VORONKA_BENCH_KEEP=1 it is kept after
// the run and reused by the next one (seeding a million leads takes
// minutes), otherwise it is dropped.
func openSeededStats(b *testing.B, n int) *postgres.DB {
	b.Helper()
	ctx := context.Background()
	url := postgrestest.URL(b)
	schema := "bench_stats_" + strconv.Itoa(n)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(b, err)
	defer conn.Close(ctx)
	var seeded bool
	require.NoError(b, conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = $1 AND table_name = 'bench_seeded')`, schema).Scan(&seeded))
	keep := os.Getenv("VORONKA_BENCH_KEEP") == "1"
	if !keep {
		b.Cleanup(func() {
			c, err := pgx.Connect(context.Background(), url)
			if err == nil {
				_, _ = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
				c.Close(context.Background())
			}
		})
	}
	if !seeded {
		_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE; CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
		require.NoError(b, err)
	}
	db := postgrestest.Open(b, schema)
	require.NoError(b, db.Migrate(ctx))
	if !seeded {
		start := time.Now()
		_, err := postgres.NewSalesStore(db).SyncTeam(ctx, benchTeam())
		require.NoError(b, err)
		tx, err := db.Pool.Begin(ctx)
		require.NoError(b, err)
		defer func() { _ = tx.Rollback(ctx) }() // a failed seed must not hold its locks
		// One multi-statement script, so the values are spelled into its
		// text (they are this function's own numbers and times).
		script := strings.NewReplacer(
			"$1", strconv.Itoa(n),
			"$2", "'"+benchNow.AddDate(-2, 0, 0).Format(time.RFC3339)+"'",
			"$3", "'"+benchNow.Format(time.RFC3339)+"'",
			"$4", strconv.Itoa(n*9/10),
		).Replace(seedStats)
		_, err = tx.Exec(ctx, script)
		require.NoError(b, err, "seed")
		_, err = tx.Exec(ctx, `CREATE TABLE bench_seeded (n int)`)
		require.NoError(b, err)
		require.NoError(b, tx.Commit(ctx))
		// What autovacuum would do in production: statistics for the
		// planner and a visibility map for index-only scans.
		_, err = db.Pool.Exec(ctx, `VACUUM ANALYZE`)
		require.NoError(b, err)
		b.Logf("seeded %d leads in %s", n, time.Since(start).Round(time.Second))
	}
	return db
}

func benchTeam() []crm.Manager {
	return []crm.Manager{
		{Name: "Boris", Role: crm.RoleRep, TelegramID: 9002},
		{Name: "Vera", Role: crm.RoleRep, TelegramID: 9003},
		{Name: "Gleb", Role: crm.RoleRep, TelegramID: 9004},
		{Name: "Anna", Role: crm.RoleHead, TelegramID: 9001, TimeZone: "Europe/Moscow"},
	}
}

// BenchmarkTeamCommands answers every manager's command against a
// database of VORONKA_BENCH_LEADS leads (default 1 000 000) and reports the
// latency of each: the whole of bot.Team.Answer, which is the queries, the
// arithmetic, the text, the chart or the CSV, and the audit-log insert, as
// a head (who sees everything, the widest queries) and for /stats also as
// a rep. Sending is not included: it is the channel's.
//
//	VORONKA_BENCH_KEEP=1 go test ./bot -run '^$' -bench TeamCommands -benchtime 20x -timeout 60m
//
// The seeding runs only under -bench, once per schema; see
// docs/stats-performance.md for the figures and the plans.
func BenchmarkTeamCommands(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("VORONKA_BENCH_LEADS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	db := openSeededStats(b, n)
	ctx := context.Background()
	team, err := postgres.NewSalesStore(db).SyncTeam(ctx, benchTeam())
	require.NoError(b, err)
	fl, err := flows.LoadFS(configs.FS(), "flows")
	require.NoError(b, err)
	clock := crm.ClockFunc(func() time.Time { return benchNow })
	stats := crm.NewStats(postgres.NewStatsStore(db), postgres.NewSalesStore(db), bot.Labels{Flows: fl}, team, clock, time.UTC)
	staff, err := bot.NewTeam(bot.TeamConfig{Stats: stats, Team: benchDesk{team}, Sender: nopSender{}, Charts: chart.Charts{}})
	require.NoError(b, err)
	head, rep := team[3], team[0]
	var recent int64
	require.NoError(b, db.Pool.QueryRow(ctx, `SELECT max(id) FROM leads WHERE manager_id = $1`, rep.ID).Scan(&recent))

	cases := []struct {
		name, command, args string
		who                 crm.Manager
	}{
		{"stats_today", "stats", "today", head},
		{"stats_7d", "stats", "7d", head},
		{"stats_30d", "stats", "30d", head},
		{"stats_30d_rep", "stats", "30d", rep},
		{"stats_month", "stats", "month", head},
		{"funnel_30d", "funnel", "30d", head},
		{"nps_30d", "nps", "30d", head},
		{"team_30d", "team", "30d", head},
		{"sources_30d", "sources", "30d", head},
		{"cohorts_8w", "cohorts", "", head},
		{"lead", "lead", strconv.FormatInt(recent, 10), head},
		{"find_name", "find", "anna surname12", head},
		{"find_common_name", "find", "anna", head},
		{"find_phone", "find", "8 916 000-12-34", head},
		{"find_email", "find", "user4242@example", head},
		{"export_7d", "export", "7d", head},
		{"export_30d", "export", "30d", head},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				msgs := staff.Answer(ctx, c.who, "bench", c.command, c.args)
				lat = append(lat, time.Since(start))
				if len(msgs) == 0 || msgs[0].Text == "" || msgs[0].Text == "Something went wrong on our side; please try again in a minute." {
					b.Fatalf("/%s %s: %+v", c.command, c.args, msgs)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}

type benchDesk struct{ team []crm.Manager }

func (d benchDesk) ManagerByTelegram(id int64) (crm.Manager, bool) {
	for _, m := range d.team {
		if m.TelegramID == id {
			return m, true
		}
	}
	return crm.Manager{}, false
}

func (d benchDesk) ManagerBySlack(id string) (crm.Manager, bool) {
	for _, m := range d.team {
		if m.SlackID == id && id != "" {
			return m, true
		}
	}
	return crm.Manager{}, false
}

type nopSender struct{}

func (nopSender) Send(context.Context, bot.Message) (int, error)           { return 1, nil }
func (nopSender) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }
