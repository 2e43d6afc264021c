package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// StatsStore is crm.StatsStore on PostgreSQL: the counts behind the
// managers' reports, /find, /export and the team audit log.
//
// Each report is a few aggregate queries sent as one batch (one round
// trip), each an index range scan over one timestamp of the period (see
// migration 0003 and docs/stats-performance.md). Rates, medians, NPS and
// cohort shares are worked out by crm from what is returned here; the
// durations medians need come back as float8 arrays of seconds, which is
// cheaper than a row per value.
//
// A rep's scope adds "AND manager_id = $n" to the text of the query rather
// than an "$n = 0 OR ..." condition, because PostgreSQL's generic plans
// cannot see through the latter and would scan more than they need.
type StatsStore struct {
	db *DB
}

var _ crm.StatsStore = (*StatsStore)(nil)

// NewStatsStore returns a StatsStore on db.
func NewStatsStore(db *DB) *StatsStore { return &StatsStore{db: db} }

// read runs a report's queries in one read-only, repeatable-read
// transaction, so every figure of a report comes from the same snapshot
// (a lead won between two of its queries cannot be counted in one and
// missed in the other), with JIT compilation off: at a million leads the
// planner's estimates pass jit_above_cost, and compiling costs 10-50 ms for
// queries that run in a few, as the plans in docs/stats-performance.md
// show.
func (s *StatsStore) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
				return err
			}
			return fn(tx)
		})
}

// scoped appends the manager condition for column col as parameter n.
func scoped(s crm.Scope, col string, n int, args []any) (string, []any) {
	if s.ManagerID == 0 {
		return "", args
	}
	return " AND " + col + " = $" + strconv.Itoa(n), append(args, s.ManagerID)
}

// seconds turns float8 seconds from PostgreSQL into durations.
func seconds(xs []float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Second))
	}
	return out
}

// Summary counts one period for /stats.
func (s *StatsStore) Summary(ctx context.Context, sc crm.Scope, from, to time.Time) (crm.SummaryCounts, error) {
	var c crm.SummaryCounts
	scope, args := scoped(sc, "manager_id", 3, []any{from, to})
	scopeL, _ := scoped(sc, "l.manager_id", 3, nil)
	var waits []float64
	err := s.read(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
		WITH created AS (
			SELECT count(*) AS n, count(qualified_at) AS qualified, count(won_at) AS won
			FROM leads WHERE created_at >= $1 AND created_at < $2`+scope+`
		), qualified AS (
			SELECT count(*) AS n, count(*) FILTER (WHERE temperature = 'hot') AS hot
			FROM leads WHERE qualified_at >= $1 AND qualified_at < $2`+scope+`
		), contacted AS (
			SELECT count(*) AS n,
				coalesce(array_agg(date_part('epoch', contacted_at - qualified_at))
					FILTER (WHERE qualified_at IS NOT NULL AND qualified_at <= contacted_at), '{}') AS waits
			FROM leads WHERE contacted_at >= $1 AND contacted_at < $2`+scope+`
		), won AS (
			SELECT count(*) AS n, coalesce(sum(amount), 0)::float8 AS revenue,
				count(*) FILTER (WHERE EXISTS (
					SELECT 1 FROM leads p WHERE p.contact_id = l.contact_id AND p.won_at IS NOT NULL
						AND (p.won_at, p.id) < (l.won_at, l.id))) AS repeat
			FROM leads l WHERE l.won_at >= $1 AND l.won_at < $2`+scopeL+`
		), lost AS (
			SELECT count(*) AS n FROM leads WHERE lost_at >= $1 AND lost_at < $2`+scope+`
		)
		SELECT created.n, created.qualified, created.won, qualified.n, qualified.hot,
			contacted.n, contacted.waits, won.n, won.revenue, won.repeat, lost.n
		FROM created, qualified, contacted, won, lost`, args...).
			Scan(&c.New, &c.CohortQualified, &c.CohortWon, &c.Qualified, &c.Hot,
				&c.Contacted, &waits, &c.Won, &c.Revenue, &c.RepeatSales, &c.Lost)
	})
	if err != nil {
		return c, fmt.Errorf("summary: %w", err)
	}
	c.FirstContact = seconds(waits)
	return c, nil
}

// Funnel counts the leads created in a period by the furthest stage they
// reached, and their dialogues step by step.
//
// "Started" is a lead past its first answer: any stage but new, except a
// lead lost without qualifying, which started only if it has an answer
// (a dialogue cancelled before the first answer is lost too). Contacted
// includes wins, since a sale implies contact even when the rep pressed Won
// straight away.
//
// Answers are read through the id range of the period's leads: ids grow
// with creation, so the range is a tight superset that lets PostgreSQL read
// answers_current_step_idx from one point to another instead of probing it
// once per lead. When the range holds exactly the period's leads, all of
// one flow (the usual case), the answers in it are counted as they are;
// otherwise they are joined to the period's leads, which keeps the result
// exact either way.
func (s *StatsStore) Funnel(ctx context.Context, sc crm.Scope, from, to time.Time) (crm.FunnelCounts, error) {
	var c crm.FunnelCounts
	scope, args := scoped(sc, "l.manager_id", 3, []any{from, to})
	var b pgx.Batch
	b.Queue(`
		SELECT count(*),
			count(*) FILTER (WHERE l.stage <> 'new' AND (l.stage <> 'lost' OR l.qualified_at IS NOT NULL
				OR EXISTS (SELECT 1 FROM answers a WHERE a.lead_id = l.id))),
			count(l.qualified_at),
			count(*) FILTER (WHERE l.contacted_at IS NOT NULL OR l.won_at IS NOT NULL),
			count(l.won_at),
			count(*) FILTER (WHERE l.stage = 'lost')
		FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2`+scope, args...).
		QueryRow(func(row pgx.Row) error {
			return row.Scan(&c.Leads, &c.Started, &c.Qualified, &c.Contacted, &c.Won, &c.Lost)
		})
	b.Queue(`
		SELECT l.lost_reason, count(*) FROM leads l
		WHERE l.created_at >= $1 AND l.created_at < $2 AND l.stage = 'lost'`+scope+`
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`, args...).
		Query(func(rows pgx.Rows) error {
			var err error
			c.LostReasons, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.NamedCount, error) {
				var n crm.NamedCount
				err := r.Scan(&n.Name, &n.Count)
				return n, err
			})
			return err
		})
	steps := map[[2]string]*crm.StepCount{}
	step := func(flow, id string) *crm.StepCount {
		k := [2]string{flow, id}
		if steps[k] == nil {
			steps[k] = &crm.StepCount{Flow: flow, Step: id}
		}
		return steps[k]
	}
	b.Queue(`
		SELECT l.flow_id, l.step, count(*) FROM leads l
		WHERE l.created_at >= $1 AND l.created_at < $2 AND l.qualified_at IS NULL AND l.step <> ''`+scope+`
		GROUP BY 1, 2`, args...).
		Query(func(rows pgx.Rows) error {
			var flow, id string
			var n int
			_, err := pgx.ForEachRow(rows, []any{&flow, &id, &n}, func() error {
				step(flow, id).Stopped += n
				return nil
			})
			return err
		})
	// The id range of the period's leads, its flows, and how many leads
	// the range holds: when that is the period's own count, the range is
	// exactly the period's leads (ids grow with creation, so it nearly
	// always is), and with one flow the answers need no join at all.
	var (
		lo, hi       *int64
		n, inRange   int
		flow1, flow2 *string
	)
	b.Queue(`
		WITH p AS (
			SELECT count(*) AS n, min(l.id) AS lo, max(l.id) AS hi, min(l.flow_id) AS f1, max(l.flow_id) AS f2
			FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2`+scope+`
		)
		SELECT p.n, p.lo, p.hi, p.f1, p.f2,
			(SELECT count(*) FROM leads WHERE id >= p.lo AND id <= p.hi)
		FROM p`, args...).
		QueryRow(func(row pgx.Row) error { return row.Scan(&n, &lo, &hi, &flow1, &flow2, &inRange) })
	answered := func(rows pgx.Rows) error {
		var flow, id string
		var n int
		_, err := pgx.ForEachRow(rows, []any{&flow, &id, &n}, func() error {
			step(flow, id).Answered += n
			return nil
		})
		return err
	}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n == inRange && *flow1 == *flow2 {
			rows, err := tx.Query(ctx, `
				SELECT $3::text, step_id, count(*) FROM answers
				WHERE lead_id >= $1 AND lead_id <= $2 AND superseded_at IS NULL GROUP BY 2`, *lo, *hi, *flow1)
			if err != nil {
				return err
			}
			return answered(rows)
		}
		// The general case: the period's leads joined to their answers,
		// still read through the id range.
		rows, err := tx.Query(ctx, `
		WITH l AS MATERIALIZED (
			SELECT l.id, l.flow_id FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2`+scope+`
		)
		SELECT l.flow_id, a.step_id, count(*)
		FROM answers a JOIN l ON l.id = a.lead_id
		WHERE a.lead_id >= $`+strconv.Itoa(len(args)+1)+` AND a.lead_id <= $`+strconv.Itoa(len(args)+2)+`
			AND a.superseded_at IS NULL
		GROUP BY 1, 2`, append(args, *lo, *hi)...)
		if err != nil {
			return err
		}
		return answered(rows)
	})
	if err != nil {
		return c, fmt.Errorf("funnel: %w", err)
	}
	for _, st := range steps {
		c.Steps = append(c.Steps, *st)
	}
	return c, nil
}

// npsScore is the score of an nps_answered event when it is a whole
// number from 0 to 10 (see crm's contract); other events are skipped.
const npsScore = `jsonb_typeof(e.data->'score') = 'number'
	AND (e.data->>'score')::numeric BETWEEN 0 AND 10
	AND (e.data->>'score')::numeric = trunc((e.data->>'score')::numeric)`

// NPS counts answers in [from, to), by local week in [weeksFrom, to), and
// returns the latest comments. A lead counts once, with its latest scored
// answer in the window (crm's contract). Answers are few next to leads
// (one per sale), so they are read as rows and bucketed here with crm's
// arithmetic rather than in SQL.
func (s *StatsStore) NPS(ctx context.Context, sc crm.Scope, from, to, weeksFrom time.Time, tz string, comments int) (crm.NPSCounts, []crm.NPSWeek, []crm.NPSComment, error) {
	var total crm.NPSCounts
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return total, nil, nil, fmt.Errorf("nps: %w", crm.Errorf(crm.EINVALID, "unknown time zone %q", tz))
	}
	start := from
	if weeksFrom.Before(start) {
		start = weeksFrom
	}
	join, scope, args := "", "", []any{start, to, crm.EventNPSAnswered}
	if sc.ManagerID != 0 {
		join = " JOIN leads l ON l.id = e.lead_id"
		scope, args = scoped(sc, "l.manager_id", 4, args)
	}
	weeks := map[time.Time]*crm.NPSCounts{}
	var order []time.Time
	var b pgx.Batch
	b.Queue(`SELECT DISTINCT ON (e.lead_id) (e.data->>'score')::numeric::int, e.created_at FROM events e`+join+`
		WHERE e.kind = $3 AND e.created_at >= $1 AND e.created_at < $2 AND `+npsScore+scope+`
		ORDER BY e.lead_id, e.created_at DESC, e.id DESC`, args...).
		Query(func(rows pgx.Rows) error {
			var score int
			var at time.Time
			_, err := pgx.ForEachRow(rows, []any{&score, &at}, func() error {
				if !at.Before(from) {
					total.Add(score)
				}
				if !at.Before(weeksFrom) {
					wk := crm.WeekStart(at.In(loc))
					if weeks[wk] == nil {
						weeks[wk] = &crm.NPSCounts{}
						order = append(order, wk)
					}
					weeks[wk].Add(score)
				}
				return nil
			})
			return err
		})
	var out []crm.NPSComment
	cargs := append([]any{from, to, crm.EventNPSAnswered, comments}, args[3:]...)
	cscope := strings.Replace(scope, "$4", "$5", 1)
	b.Queue(`SELECT e.lead_id, coalesce(sc.score, -1), e.data->>'comment', e.created_at FROM events e`+join+`
		LEFT JOIN LATERAL (
			SELECT (e2.data->>'score')::numeric::int AS score FROM events e2
			WHERE e2.lead_id = e.lead_id AND e2.kind = $3 AND `+strings.ReplaceAll(npsScore, "e.", "e2.")+`
			ORDER BY e2.created_at DESC, e2.id DESC LIMIT 1
		) sc ON true
		WHERE e.kind = $3 AND e.created_at >= $1 AND e.created_at < $2
			AND coalesce(btrim(e.data->>'comment'), '') <> ''`+cscope+`
		ORDER BY e.created_at DESC, e.id DESC LIMIT $4`, cargs...).
		Query(func(rows pgx.Rows) error {
			var err error
			out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.NPSComment, error) {
				var c crm.NPSComment
				err := r.Scan(&c.LeadID, &c.Score, &c.Comment, &c.At)
				utc(&c.At)
				return c, err
			})
			return err
		})
	if err := s.read(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() }); err != nil {
		return total, nil, nil, fmt.Errorf("nps: %w", err)
	}
	ws := make([]crm.NPSWeek, 0, len(order))
	for _, wk := range order {
		ws = append(ws, crm.NPSWeek{Week: wk, NPSCounts: *weeks[wk]})
	}
	return total, ws, out, nil
}

// Team counts per manager: open leads now, and claims, contacts, wins and
// SLA breaches in the period, in one batch of five index scans.
func (s *StatsStore) Team(ctx context.Context, from, to time.Time) ([]crm.RepCounts, error) {
	reps := map[int64]*crm.RepCounts{}
	var order []int64
	rep := func(id int64) *crm.RepCounts {
		if reps[id] == nil {
			reps[id] = &crm.RepCounts{ManagerID: id}
			order = append(order, id)
		}
		return reps[id]
	}
	var b pgx.Batch
	each := func(q string, args []any, dest func() []any, apply func()) {
		b.Queue(q, args...).Query(func(rows pgx.Rows) error {
			_, err := pgx.ForEachRow(rows, dest(), func() error { apply(); return nil })
			return err
		})
	}
	var (
		id      int64
		n       int
		revenue float64
		waits   []float64
	)
	each(`SELECT manager_id, count(*) FROM leads WHERE manager_id IS NOT NULL AND stage IN ('qualified', 'contacted') GROUP BY 1`,
		nil, func() []any { return []any{&id, &n} }, func() { rep(id).Open = n })
	each(`SELECT manager_id, count(*), coalesce(array_agg(date_part('epoch', claimed_at - coalesce(alerted_at, qualified_at)))
			FILTER (WHERE coalesce(alerted_at, qualified_at) <= claimed_at), '{}')
		FROM leads WHERE claimed_at >= $1 AND claimed_at < $2 AND manager_id IS NOT NULL GROUP BY 1`,
		[]any{from, to}, func() []any { return []any{&id, &n, &waits} },
		func() { r := rep(id); r.Claimed, r.ToClaim = n, seconds(waits) })
	each(`SELECT manager_id, count(*), coalesce(array_agg(date_part('epoch', contacted_at - claimed_at))
			FILTER (WHERE claimed_at <= contacted_at), '{}')
		FROM leads WHERE contacted_at >= $1 AND contacted_at < $2 AND manager_id IS NOT NULL GROUP BY 1`,
		[]any{from, to}, func() []any { return []any{&id, &n, &waits} },
		func() { r := rep(id); r.Contacted, r.ToContact = n, seconds(waits) })
	each(`SELECT manager_id, count(*), coalesce(sum(amount), 0)::float8
		FROM leads WHERE won_at >= $1 AND won_at < $2 AND manager_id IS NOT NULL GROUP BY 1`,
		[]any{from, to}, func() []any { return []any{&id, &n, &revenue} },
		func() { r := rep(id); r.Won, r.Revenue = n, revenue })
	// LATERAL ... LIMIT 1 keeps this a probe of leads_pkey per breach;
	// a plain join hashes the whole leads table.
	each(`SELECT l.manager_id, count(*) FROM sla_breaches b
		JOIN LATERAL (SELECT manager_id FROM leads l WHERE l.id = b.lead_id LIMIT 1) l ON true
		WHERE b.at >= $1 AND b.at < $2 AND l.manager_id IS NOT NULL GROUP BY 1`,
		[]any{from, to}, func() []any { return []any{&id, &n} }, func() { rep(id).Breaches = n })
	if err := s.read(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() }); err != nil {
		return nil, fmt.Errorf("team: %w", err)
	}
	out := make([]crm.RepCounts, 0, len(order))
	for _, id := range order {
		out = append(out, *reps[id])
	}
	return out, nil
}

// Sources counts the period's leads by source and campaign. Wins and
// revenue are those of the same leads (so far), which is what makes a
// campaign's win rate comparable with another's.
func (s *StatsStore) Sources(ctx context.Context, sc crm.Scope, from, to time.Time) ([]crm.SourceCounts, error) {
	scope, args := scoped(sc, "manager_id", 3, []any{from, to})
	var out []crm.SourceCounts
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
		SELECT source, campaign, count(*), count(qualified_at), count(won_at),
			coalesce(sum(amount) FILTER (WHERE won_at IS NOT NULL), 0)::float8
		FROM leads WHERE created_at >= $1 AND created_at < $2`+scope+`
		GROUP BY 1, 2`, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.SourceCounts, error) {
			var c crm.SourceCounts
			err := r.Scan(&c.Source, &c.Campaign, &c.Leads, &c.Qualified, &c.Won, &c.Revenue)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	return out, nil
}

// Cohorts counts the period's leads by arrival week and their wins by
// weeks since then. The weeks are crm's (local Mondays, DST and all), sent
// as an array of boundaries that width_bucket finds each time in: a binary
// search per row, where converting every row to local time and truncating
// it to its week cost PostgreSQL five times as much.
func (s *StatsStore) Cohorts(ctx context.Context, sc crm.Scope, from, to time.Time, weeks []time.Time) ([]crm.CohortWins, error) {
	if len(weeks) == 0 {
		return nil, nil
	}
	scope, args := scoped(sc, "manager_id", 4, []any{from, to, weeks})
	byWeek := map[int]*crm.CohortWins{}
	var order []int
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
		SELECT width_bucket(created_at, $3::timestamptz[]) AS c, width_bucket(won_at, $3::timestamptz[]) AS w, count(*)
		FROM leads WHERE created_at >= $1 AND created_at < $2`+scope+`
		GROUP BY 1, 2`, args...)
		if err != nil {
			return err
		}
		var (
			c int
			w *int
			n int
		)
		_, err = pgx.ForEachRow(rows, []any{&c, &w, &n}, func() error {
			if c < 1 || c > len(weeks) {
				return nil // before the first boundary: not in the period
			}
			cw := byWeek[c]
			if cw == nil {
				cw = &crm.CohortWins{Week: weeks[c-1], Won: map[int]int{}}
				byWeek[c] = cw
				order = append(order, c)
			}
			cw.Size += n
			if w != nil && *w >= c {
				cw.Won[*w-c] += n
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cohorts: %w", err)
	}
	out := make([]crm.CohortWins, 0, len(order))
	for _, c := range order {
		out = append(out, *byWeek[c])
	}
	return out, nil
}

// Timeline returns the lead's latest limit events (leadTimelineSQL, the
// answers among them), oldest first. A lead without events does not exist (every lead has its "created").
func (s *StatsStore) Timeline(ctx context.Context, leadID int64, limit int) ([]crm.Event, error) {
	rows, err := s.db.Pool.Query(ctx, `
		SELECT id, lead_id, kind, actor, data, created_at FROM (
			SELECT * FROM (`+leadTimelineSQL+`) t ORDER BY created_at DESC, ord DESC, id DESC LIMIT $2
		) e ORDER BY created_at, ord, id`, leadID, limit)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.Event, error) {
		var e crm.Event
		err := r.Scan(&e.ID, &e.LeadID, &e.Kind, &e.Actor, &e.Data, &e.At)
		if e.Kind == crm.EventAnswered {
			e.ID = 0
		}
		if e.Data == nil {
			e.Data = map[string]any{}
		}
		utc(&e.At)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return out, nil
}

// Referred returns the leads that came by a referral code, newest first
// (leads_referrer_idx, migration 0012).
func (s *StatsStore) Referred(ctx context.Context, code string, limit int) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM leads WHERE referrer = $1 AND referrer <> '' ORDER BY id DESC LIMIT $2`, code, limit)
	if err != nil {
		return nil, fmt.Errorf("referred: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("referred: %w", err)
	}
	return ids, nil
}

// likePrefix escapes LIKE's wildcards in a prefix typed by a person
// ("anna_p" must not match "annaXp") and appends the "%".
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// reverseString reverses s rune by rune, as PostgreSQL's reverse() does.
func reverseString(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// findPhoneDigits is how many trailing digits a typed phone number is
// matched by: ten are a Russian (and North American) number without its
// country code, so "8 916 123-45-67" finds +79161234567.
const findPhoneDigits = 10

// findContacts bounds the contacts /find collects before their leads: ten
// times the leads it lists is room enough for contacts with several leads
// (and for a rep, whose matches are mostly others' customers, it is the
// newest 200 that are searched).
const findContacts = 200

// findRecent is how many of the newest contacts /find walks before it
// turns to the indexes: some twenty milliseconds of work at most.
const findRecent = 20000

// Find looks leads up by their contact: the start of a first or last name
// (or both, in either order), of a username, of an email, or the end of a
// phone number, each served by a prefix index (0001 and 0003). The newest
// leads come first.
//
// The contacts are collected first, newest first, in two steps. The
// newest findRecent contacts are walked by id and tested one by one: a
// common name ("anna") fills its findContacts there in a few milliseconds,
// where collecting every Anna of a million contacts through the prefix
// index and sorting them took a quarter of a second. Only when that finds
// too few does the second step search the older contacts through the
// prefix indexes, sorted by "c.id + 0" on purpose: sorting by the bare id
// invites PostgreSQL to walk contacts_pkey backwards and test every
// contact, which for a rare name (or two common words it takes for
// independent) reads the whole table, while the indexes read only the
// matches, and a rare name has few.
func (s *StatsStore) Find(ctx context.Context, sc crm.Scope, q crm.FindQuery, limit int) ([]crm.FoundLead, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Digits != "" {
		d := q.Digits
		if len(d) > findPhoneDigits {
			d = d[len(d)-findPhoneDigits:]
		}
		conds = append(conds, "reverse(c.phone) LIKE "+arg(likePrefix(reverseString(d))))
	}
	if q.Email != "" {
		conds = append(conds, "lower(c.email) LIKE "+arg(likePrefix(q.Email)))
	}
	if q.Username != "" && q.Digits == "" && q.Email == "" {
		conds = append(conds, "lower(c.username) LIKE "+arg(likePrefix(q.Username)))
	}
	switch len(q.Words) {
	case 1:
		w := arg(likePrefix(q.Words[0]))
		conds = append(conds, "lower(c.first_name) LIKE "+w, "lower(c.last_name) LIKE "+w)
	case 2:
		a, b := arg(likePrefix(q.Words[0])), arg(likePrefix(q.Words[1]))
		conds = append(conds,
			"(lower(c.first_name) LIKE "+a+" AND lower(c.last_name) LIKE "+b+")",
			"(lower(c.first_name) LIKE "+b+" AND lower(c.last_name) LIKE "+a+")")
	}
	if len(conds) == 0 {
		return nil, nil
	}
	match := strings.Join(conds, " OR ")
	scope, args := scoped(sc, "l.manager_id", len(args)+1, args)
	args = append(args, limit)
	var out []crm.FoundLead
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
		WITH recent AS MATERIALIZED (
			SELECT c.* FROM (SELECT * FROM contacts ORDER BY id DESC LIMIT `+strconv.Itoa(findRecent)+`) c
			WHERE c.erased_at IS NULL AND (`+match+`)
			ORDER BY c.id DESC LIMIT `+strconv.Itoa(findContacts)+`
		), older AS MATERIALIZED (
			SELECT c.* FROM contacts c
			WHERE (SELECT count(*) FROM recent) < `+strconv.Itoa(findContacts)+`
				AND c.id < (SELECT min(id) FROM (SELECT id FROM contacts ORDER BY id DESC LIMIT `+strconv.Itoa(findRecent)+`) r)
				AND c.erased_at IS NULL AND (`+match+`)
			ORDER BY c.id + 0 DESC LIMIT `+strconv.Itoa(findContacts)+`
		), c AS (SELECT * FROM recent UNION ALL SELECT * FROM older)
		SELECT l.id, c.first_name, c.last_name, c.username, c.phone, c.email,
			l.stage, l.temperature, coalesce(l.manager_id, 0), l.created_at
		FROM c JOIN leads l ON l.contact_id = c.id
		WHERE true`+scope+`
		ORDER BY l.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.FoundLead, error) {
			var f crm.FoundLead
			var first, last string
			err := r.Scan(&f.LeadID, &first, &last, &f.Username, &f.Phone, &f.Email,
				&f.Stage, &f.Temperature, &f.ManagerID, &f.CreatedAt)
			f.Name = crm.Contact{FirstName: first, LastName: last}.Name()
			utc(&f.CreatedAt)
			return f, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find: %w", err)
	}
	return out, nil
}

// Export streams the period's leads with their contacts, oldest first.
func (s *StatsStore) Export(ctx context.Context, sc crm.Scope, from, to time.Time, limit int, fn func(crm.ExportRow) error) error {
	return s.read(ctx, func(tx pgx.Tx) error { return exportRows(ctx, tx, sc, from, to, limit, fn) })
}

// exportRows is Export's query. Each lead's contact is fetched through a
// LATERAL subquery with LIMIT 1, which keeps PostgreSQL on a nested loop
// over contacts_pkey in the order of leads_created_at_idx: left to itself,
// at a million contacts it hashes the whole contacts table for a month's
// forty thousand leads (docs/stats-performance.md).
func exportRows(ctx context.Context, tx pgx.Tx, sc crm.Scope, from, to time.Time, limit int, fn func(crm.ExportRow) error) error {
	scope, args := scoped(sc, "l.manager_id", 3, []any{from, to})
	args = append(args, limit)
	// Only the columns the export has: at forty thousand rows a month,
	// every column scanned is milliseconds. The answers come from the
	// partial unique index on (lead_id, step_id), the survey from its
	// unique lead_id.
	rows, err := tx.Query(ctx, `
		SELECT l.id, l.stage, l.score, l.temperature, l.flow_id,
			l.source, l.medium, l.campaign, l.landing, l.referrer, l.start_payload, l.lost_reason,
			l.created_at, l.qualified_at, coalesce(l.manager_id, 0), l.claimed_at, l.contacted_at,
			l.won_at, l.lost_at, coalesce(l.amount, 0)::float8,
			c.first_name, c.last_name, c.username, c.phone, c.email, c.language,
			coalesce((SELECT jsonb_agg(jsonb_build_array(a.step_id, a.kind, a.value) ORDER BY a.id) FROM answers a
				WHERE a.lead_id = l.id AND a.superseded_at IS NULL), '[]'),
			s.score, coalesce(s.comment, ''),
			(SELECT count(*) FROM messages m WHERE m.lead_id = l.id AND m.direction <> 'note')
		FROM leads l JOIN LATERAL (SELECT * FROM contacts c WHERE c.id = l.contact_id LIMIT 1) c ON true
		LEFT JOIN surveys s ON s.lead_id = l.id
		WHERE l.created_at >= $1 AND l.created_at < $2`+scope+`
		ORDER BY l.created_at, l.id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r crm.ExportRow
		var answers [][3]string
		l, a, c := &r.Lead, &r.Lead.Attribution, &r.Contact
		err := rows.Scan(&l.ID, &l.Stage, &l.Score, &l.Temperature, &l.FlowID,
			&a.Source, &a.Medium, &a.Campaign, &a.Landing, &a.Referrer, &a.Payload, &l.LostReason,
			&l.CreatedAt, &l.QualifiedAt, &r.ManagerID, &r.ClaimedAt, &r.ContactedAt, &r.WonAt, &r.LostAt, &r.Amount,
			&c.FirstName, &c.LastName, &c.Username, &c.Phone, &c.Email, &c.Language, &answers,
			&r.NPS, &r.NPSComment, &r.Messages)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		for _, an := range answers {
			r.Answers = append(r.Answers, crm.Answer{LeadID: l.ID, StepID: an[0], Kind: an[1], Value: an[2]})
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// LogTeamCommand appends a command to the team audit log: who, when,
// which command, its understood argument and the leads it showed
// (crm.TeamCommand says why no typed text is kept). A manager id
// that is not in the table (a team changed under a running process) is
// logged without the reference rather than refused: the log must not lose
// a line.
func (s *StatsStore) LogTeamCommand(ctx context.Context, c crm.TeamCommand) error {
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO staff_log (at, manager_id, manager, channel, command, args, lead_id, outcome, lead_ids)
		VALUES ($1, (SELECT id FROM managers WHERE id = $2), $3, $4, $5, $6, nullif($7::bigint, 0), $8,
			coalesce($9::bigint[], '{}'))`,
		c.At, c.ManagerID, c.Manager, c.Channel, c.Command, c.Args, c.LeadID, c.Outcome, c.LeadIDs)
	if err != nil {
		return fmt.Errorf("log staff command: %w", translate(err, "manager not found"))
	}
	return nil
}
