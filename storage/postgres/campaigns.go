package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

// CampaignStore is crm.CampaignStore on PostgreSQL. A segment's Where
// (crm.Cond) becomes a parameterised WHERE over leads l joined to
// contacts c, so an audience of a million is one query; each send row is
// written with its River job, unique per (campaign, contact, cause).
type CampaignStore struct {
	db *DB
}

var _ crm.CampaignStore = (*CampaignStore)(nil)

// NewCampaignStore returns a CampaignStore on db.
func NewCampaignStore(db *DB) *CampaignStore { return &CampaignStore{db: db} }

// segmentColumn is each segment field as SQL over l and c. Fields read
// from other tables are correlated subqueries, paid only by segments that
// name them.
var segmentColumn = map[string]string{
	"name":            "c.first_name",
	"username":        "c.username",
	"language":        "c.language",
	"time_zone":       "c.time_zone",
	"has_phone":       "(c.phone <> '')",
	"has_email":       "(c.email <> '')",
	"stage":           "l.stage",
	"temperature":     "l.temperature",
	"score":           "l.score",
	"source":          "l.source",
	"medium":          "l.medium",
	"campaign":        "l.campaign",
	"landing":         "l.landing",
	"flow":            "l.flow_id",
	"lost_reason":     "l.lost_reason",
	"created_at":      "l.created_at",
	"qualified_at":    "l.qualified_at",
	"won_at":          "l.won_at",
	"lost_at":         "l.lost_at",
	"last_message_at": "l.updated_at",
	"amount":          "coalesce(l.amount, 0)::float8",
	"purchases":       "(SELECT count(*) FROM leads w WHERE w.contact_id = c.id AND w.won_at IS NOT NULL)",
	"revenue":         "(SELECT coalesce(sum(w.amount), 0)::float8 FROM leads w WHERE w.contact_id = c.id AND w.won_at IS NOT NULL)",
	"nps":             npsSQL,
	"nps_class":       "(CASE WHEN " + npsSQL + " >= 9 THEN 'promoter' WHEN " + npsSQL + " >= 7 THEN 'passive' WHEN " + npsSQL + " >= 0 THEN 'detractor' ELSE '' END)",
}

const npsSQL = "coalesce((SELECT sv.score FROM surveys sv WHERE sv.contact_id = c.id AND sv.score IS NOT NULL ORDER BY sv.answered_at DESC LIMIT 1), -1)"

// sqlArgs collects the parameters of a query as it is built.
type sqlArgs struct{ args []any }

func (a *sqlArgs) add(v any) string {
	a.args = append(a.args, v)
	return "$" + strconv.Itoa(len(a.args))
}

var sqlOps = map[string]string{"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// daysOps turn days_since(f) OP n into f OP' now - n days, which an
// index on f serves.
var daysOps = map[string]string{"==": "=", "!=": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// condSQL renders a segment's Cond. Field names come from segmentColumn
// only and every value is a parameter.
func condSQL(c *crm.Cond, a *sqlArgs, now time.Time) (string, error) {
	if c == nil {
		return "true", nil
	}
	col := func() (string, error) {
		s, ok := segmentColumn[c.Field]
		if !ok {
			return "", crm.Errorf(crm.EINVALID, "segment: unknown field %q", c.Field)
		}
		return s, nil
	}
	switch c.Op {
	case "and", "or":
		parts := make([]string, len(c.Args))
		for i := range c.Args {
			s, err := condSQL(&c.Args[i], a, now)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + s + ")"
		}
		return strings.Join(parts, " "+strings.ToUpper(c.Op)+" "), nil
	case "not":
		s, err := condSQL(&c.Args[0], a, now)
		return "NOT coalesce((" + s + "), false)", err
	case "cmp":
		s, err := col()
		op, ok := sqlOps[c.Cmp]
		if err != nil || !ok {
			return "", errors.Join(err, crm.Errorf(crm.EINVALID, "segment: operator %q", c.Cmp))
		}
		return s + " " + op + " " + typedParam(a, c.Value), nil
	case "in":
		s, err := col()
		if err != nil {
			return "", err
		}
		vals, _ := c.Value.([]any)
		var texts []string
		var nums []float64
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				texts = append(texts, v)
			case float64:
				nums = append(nums, v)
			}
		}
		if len(nums) > 0 {
			return s + " = ANY(" + a.add(nums) + "::float8[])", nil
		}
		return s + " = ANY(" + a.add(texts) + "::text[])", nil
	case "days":
		s, err := col()
		op, ok := daysOps[c.Cmp]
		n, isNum := c.Value.(float64)
		if err != nil || !ok || !isNum {
			return "", errors.Join(err, crm.Errorf(crm.EINVALID, "segment: days_since needs a number"))
		}
		return s + " " + op + " " + a.add(now.Add(-time.Duration(n*24*float64(time.Hour)))) + "::timestamptz", nil
	case "null":
		s, err := col()
		if c.Cmp == "!=" {
			return s + " IS NOT NULL", err
		}
		return s + " IS NULL", err
	case "answered":
		q := "EXISTS (SELECT 1 FROM answers a WHERE a.lead_id = l.id AND a.superseded_at IS NULL AND a.step_id = " + a.add(c.Step) + "::text"
		if v, ok := c.Value.(string); ok {
			q += " AND a.value = " + a.add(v) + "::text"
		}
		return q + ")", nil
	}
	return "", crm.Errorf(crm.EINVALID, "segment: unknown condition %q", c.Op)
}

func typedParam(a *sqlArgs, v any) string {
	switch v.(type) {
	case float64:
		return a.add(v) + "::float8"
	case bool:
		return a.add(v) + "::bool"
	}
	return a.add(fmt.Sprint(v)) + "::text"
}

// latestLead keeps a contact's newest lead only.
const latestLead = `NOT EXISTS (SELECT 1 FROM leads n WHERE n.contact_id = l.contact_id AND n.id > l.id)`

// triggerSQL is the trigger's part of the audience query: extra joins,
// the condition, the cause and its moment.
func triggerSQL(c *crm.Campaign, q crm.AudienceQuery, a *sqlArgs) (join, where, cause, since string, err error) {
	t := c.Trigger
	if t.Kind != crm.TriggerEvent {
		return "", latestLead, a.add(q.Cause) + "::text", "NULL::timestamptz", nil
	}
	to := q.Now.Add(-t.Delay)
	from := to.Add(-t.Within)
	window := func(col string) string {
		return col + " <= " + a.add(to) + "::timestamptz AND " + col + " > " + a.add(from) + "::timestamptz"
	}
	switch t.Event {
	case crm.EventTriggerLost:
		return "", "l.stage = 'lost' AND l.lost_reason <> 'forgotten' AND " + window("l.lost_at"), "'lost:' || l.id", "l.lost_at", nil
	case crm.EventTriggerWon:
		return "", window("l.won_at"), "'won:' || l.id", "l.won_at", nil
	case crm.EventTriggerQualified:
		return "", window("l.qualified_at"), "'qualified:' || l.id", "l.qualified_at", nil
	case crm.EventTriggerStalled:
		return "", "l.stage IN ('new', 'qualifying') AND " + window("l.updated_at"), "'stalled:' || l.id", "l.updated_at", nil
	case crm.EventTriggerNPSPromoter, crm.EventTriggerNPSDetractor:
		score := "sv.score >= 9"
		if t.Event == crm.EventTriggerNPSDetractor {
			score = "sv.score <= 6"
		}
		return " JOIN surveys sv ON sv.lead_id = l.id", score + " AND " + window("sv.answered_at"), "'nps:' || sv.id", "sv.answered_at", nil
	}
	return "", "", "", "", crm.Errorf(crm.EINVALID, "unknown trigger event %q", t.Event)
}

// fieldNames are the segment fields in a fixed order, for rows that the
// segment's Go part reads.
func fieldNames() []string {
	fs := crm.SegmentFieldList()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// Audience implements crm.CampaignStore.
func (s *CampaignStore) Audience(ctx context.Context, q crm.AudienceQuery) ([]crm.AudienceMember, error) {
	c := q.Campaign
	a := &sqlArgs{}
	join, trig, cause, since, err := triggerSQL(c, q, a)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	where, err := condSQL(c.Segment.Where, a, q.Now)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	cols := "c.id, l.id, c.chat_id, c.first_name, c.language, c.time_zone, " + cause + ", " + since
	names := fieldNames()
	if c.Segment.Match != nil {
		for _, n := range names {
			cols += ", " + segmentColumn[n]
		}
		answers := "'{}'::jsonb"
		if c.Segment.NeedsAnswers {
			answers = "(SELECT coalesce(jsonb_object_agg(a.step_id, a.value), '{}') FROM answers a WHERE a.lead_id = l.id AND a.superseded_at IS NULL)"
		}
		cols += ", " + answers
	}
	sql := `SELECT ` + cols + ` FROM leads l JOIN contacts c ON c.id = l.contact_id` + join + `
		WHERE ` + reachable + ` AND (` + trig + `) AND (` + where + `)
			AND (c.id, l.id) > (` + a.add(q.AfterContact) + `::bigint, ` + a.add(q.AfterLead) + `::bigint)`
	if !q.Preview {
		sql += ` AND NOT EXISTS (SELECT 1 FROM campaign_sends cs WHERE cs.campaign = ` + a.add(c.ID) + `::text
				AND cs.contact_id = c.id AND cs.cause = ` + cause + `)`
		if q.Cap.On() {
			sql += ` AND (SELECT count(*) FROM campaign_sends cp WHERE cp.contact_id = c.id AND cp.sent_at > ` +
				a.add(q.Now.Add(-q.Cap.Window)) + `::timestamptz) < ` + a.add(q.Cap.N) + `::int`
		}
	}
	sql += ` ORDER BY c.id, l.id LIMIT ` + a.add(max(q.Limit, 1)) + `::int`
	rows, err := s.db.Pool.Query(ctx, sql, a.args...)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (crm.AudienceMember, error) {
		var m crm.AudienceMember
		var sinceAt *time.Time
		dest := []any{&m.ContactID, &m.LeadID, &m.ChatID, &m.Name, &m.Language, &m.TimeZone, &m.Cause, &sinceAt}
		var vals []any
		var answers []byte
		if c.Segment.Match != nil {
			vals = make([]any, len(names))
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			dest = append(dest, &answers)
		}
		if err := row.Scan(dest...); err != nil {
			return m, err
		}
		if sinceAt != nil {
			m.Since = sinceAt.UTC()
		}
		if c.Segment.Match != nil {
			m.Fields = map[string]any{}
			for i, n := range names {
				m.Fields[n] = fieldValue(vals[i])
			}
			am := map[string]string{}
			_ = json.Unmarshal(answers, &am)
			m.Fields["answers"] = am
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	return out, nil
}

// fieldValue is a column as expr reads it: numbers as float64.
func fieldValue(v any) any {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case time.Time:
		return v.UTC()
	}
	return v
}

// AudienceSize implements crm.CampaignStore: reachable customers (their
// latest lead) that the segment's Where selects.
func (s *CampaignStore) AudienceSize(ctx context.Context, c *crm.Campaign, now time.Time) (int, error) {
	a := &sqlArgs{}
	where, err := condSQL(c.Segment.Where, a, now)
	if err != nil {
		return 0, fmt.Errorf("audience size: %w", err)
	}
	var n int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE `+reachable+` AND `+latestLead+` AND (`+where+`)`, a.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("audience size: %w", err)
	}
	return n, nil
}

// CreateSend implements crm.CampaignStore.
func (s *CampaignStore) CreateSend(ctx context.Context, cs *crm.CampaignSend, job crm.Job) (bool, error) {
	created := false
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var since any
		if !cs.Since.IsZero() {
			since = cs.Since
		}
		err := tx.QueryRow(ctx, `INSERT INTO campaign_sends (campaign, contact_id, lead_id, cause, variant, timing, since, due_at, created_at)
			VALUES ($1, $2, nullif($3::bigint, 0), $4, $5, $6, $7, $8, coalesce($9::timestamptz, now()))
			ON CONFLICT (campaign, contact_id, cause) DO NOTHING RETURNING id`,
			cs.Campaign, cs.ContactID, cs.LeadID, cs.Cause, cs.Variant, cs.Timing, since, cs.DueAt, timeArg(cs.DueAt)).Scan(&cs.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		created = true
		job.Key = strconv.FormatInt(cs.ID, 10)
		return s.db.enqueue(ctx, tx, []crm.Job{job})
	})
	if err != nil {
		return false, fmt.Errorf("create campaign send: %w", translate(err, "contact not found"))
	}
	return created, nil
}

// CampaignSend implements crm.CampaignStore.
func (s *CampaignStore) CampaignSend(ctx context.Context, id int64) (*crm.CampaignSend, error) {
	var cs crm.CampaignSend
	var lead *int64
	var since *time.Time
	var msg *int32
	err := s.db.Pool.QueryRow(ctx, `SELECT id, campaign, contact_id, lead_id, cause, variant, timing, since, due_at, status, sent_at, message_id
		FROM campaign_sends WHERE id = $1`, id).Scan(&cs.ID, &cs.Campaign, &cs.ContactID, &lead, &cs.Cause, &cs.Variant,
		&cs.Timing, &since, &cs.DueAt, &cs.Status, &cs.SentAt, &msg)
	if err != nil {
		return nil, fmt.Errorf("campaign send: %w", translate(err, fmt.Sprintf("campaign send %d not found", id)))
	}
	if lead != nil {
		cs.LeadID = *lead
	}
	if since != nil {
		cs.Since = since.UTC()
	}
	if msg != nil {
		cs.MessageID = int(*msg)
	}
	utc(&cs.DueAt)
	utc(cs.SentAt)
	return &cs, nil
}

// ClaimSend implements crm.CampaignStore. The contact's advisory lock
// makes the cap exact: two campaigns' sends to one customer, on any
// replicas, are claimed one after the other.
func (s *CampaignStore) ClaimSend(ctx context.Context, id int64, now time.Time, cap crm.FrequencyCap, purchasedSince *time.Time) (string, error) {
	var status string
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var contact int64
		if err := tx.QueryRow(ctx, `SELECT contact_id FROM campaign_sends WHERE id = $1`, id).Scan(&contact); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('voronka/campaign-contact/' || $1::bigint, 0))`, contact); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT status FROM campaign_sends WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status != crm.SendQueued {
			return nil
		}
		status = ""
		if cap.On() {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM campaign_sends WHERE contact_id = $1 AND sent_at > $2 AND id <> $3`,
				contact, now.Add(-cap.Window), id).Scan(&n); err != nil {
				return err
			}
			if n >= cap.N {
				status = crm.SendCapped
			}
		}
		if status == "" && purchasedSince != nil {
			var bought bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM leads WHERE contact_id = $1 AND won_at > $2)`,
				contact, *purchasedSince).Scan(&bought); err != nil {
				return err
			}
			if bought {
				status = crm.SendExcluded
			}
		}
		if status != "" {
			_, err := tx.Exec(ctx, `UPDATE campaign_sends SET status = $2 WHERE id = $1`, id, status)
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE campaign_sends SET status = 'sending', sent_at = $2 WHERE id = $1`, id, now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("claim campaign send: %w", translate(err, fmt.Sprintf("campaign send %d not found", id)))
	}
	return status, nil
}

// FinishSend implements crm.CampaignStore.
func (s *CampaignStore) FinishSend(ctx context.Context, id int64, status string, messageID int, at time.Time) error {
	if _, err := s.db.Pool.Exec(ctx, `UPDATE campaign_sends SET status = $2, message_id = nullif($3::int, 0)
		WHERE id = $1`, id, status, messageID); err != nil {
		return fmt.Errorf("finish campaign send: %w", err)
	}
	return nil
}

// UnclaimSend implements crm.CampaignStore.
func (s *CampaignStore) UnclaimSend(ctx context.Context, id int64) error {
	if _, err := s.db.Pool.Exec(ctx, `UPDATE campaign_sends SET status = 'queued', sent_at = NULL
		WHERE id = $1 AND status = 'sending'`, id); err != nil {
		return fmt.Errorf("unclaim campaign send: %w", err)
	}
	return nil
}

// Promote implements crm.CampaignStore.
func (s *CampaignStore) Promote(ctx context.Context, campaign, variant string, at time.Time) error {
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO campaign_promotions (campaign, variant, promoted_at) VALUES ($1, $2, $3)
		ON CONFLICT (campaign) DO UPDATE SET variant = excluded.variant, promoted_at = excluded.promoted_at`,
		campaign, variant, at); err != nil {
		return fmt.Errorf("promote variant: %w", err)
	}
	return nil
}

// Promoted implements crm.CampaignStore.
func (s *CampaignStore) Promoted(ctx context.Context, campaign string) (string, error) {
	var v string
	err := s.db.Pool.QueryRow(ctx, `SELECT variant FROM campaign_promotions WHERE campaign = $1`, campaign).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("promoted variant: %w", err)
	}
	return v, nil
}

// customerActed is the SQL condition that the send's customer (s) acted
// in (s.sent_at, s.sent_at + $2]: wrote, answered, pressed a button. An
// answer is its answers row (it writes no event).
const customerActed = `(s.clicked_at > s.sent_at AND s.clicked_at <= s.sent_at + %[1]s
	OR EXISTS (SELECT 1 FROM leads r JOIN events e ON e.lead_id = r.id AND e.actor = 'customer'
		WHERE r.contact_id = s.contact_id AND e.created_at > s.sent_at AND e.created_at <= s.sent_at + %[1]s)
	OR EXISTS (SELECT 1 FROM leads r JOIN answers an ON an.lead_id = r.id
		WHERE r.contact_id = s.contact_id AND an.created_at > s.sent_at AND an.created_at <= s.sent_at + %[1]s))`

// Results implements crm.CampaignStore.
func (s *CampaignStore) Results(ctx context.Context, campaign string, goal crm.Goal) ([]crm.VariantStats, error) {
	goalCol := "qualified_at"
	if goal.Kind == crm.GoalWon {
		goalCol = "won_at"
	}
	reached := fmt.Sprintf(customerActed, "$2::interval")
	if goal.Kind != crm.GoalReply {
		reached = `EXISTS (SELECT 1 FROM leads g WHERE g.contact_id = s.contact_id AND g.` + goalCol + ` > s.sent_at
			AND g.` + goalCol + ` <= s.sent_at + $2::interval)`
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT s.variant, count(*),
			count(*) FILTER (WHERE s.status IN ('sending', 'sent', 'blocked', 'interrupted')),
			count(*) FILTER (WHERE s.status = 'sent'),
			count(*) FILTER (WHERE s.status = 'blocked'),
			count(*) FILTER (WHERE s.status = 'sent' AND `+fmt.Sprintf(customerActed, "$2::interval")+`),
			count(*) FILTER (WHERE s.status = 'sent' AND `+reached+`),
			count(*) FILTER (WHERE s.status = 'sent' AND s.timing = 'best'),
			count(*) FILTER (WHERE s.status = 'sent' AND s.timing = 'best' AND `+fmt.Sprintf(customerActed, "interval '24 hours'")+`),
			count(*) FILTER (WHERE s.status = 'sent' AND s.timing = 'random'),
			count(*) FILTER (WHERE s.status = 'sent' AND s.timing = 'random' AND `+fmt.Sprintf(customerActed, "interval '24 hours'")+`)
		FROM campaign_sends s WHERE s.campaign = $1 GROUP BY s.variant ORDER BY s.variant`,
		campaign, goal.Within)
	if err != nil {
		return nil, fmt.Errorf("campaign results: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (crm.VariantStats, error) {
		v := crm.VariantStats{Campaign: campaign}
		err := row.Scan(&v.Variant, &v.Sends, &v.Sent, &v.Delivered, &v.Blocked, &v.Replied, &v.Goal,
			&v.BestSent, &v.BestReplied24h, &v.RandomSent, &v.RandomReplied24h)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign results: %w", err)
	}
	return out, nil
}

// Activity implements crm.CampaignStore: the moments of the contact's
// own events (messages, button presses), answers and campaign clicks.
// "answered" events stored before answers stopped writing them are left
// out: their answers rows stand for them.
func (s *CampaignStore) Activity(ctx context.Context, contactID int64, since time.Time) ([]time.Time, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT e.created_at FROM leads l JOIN events e ON e.lead_id = l.id AND e.actor = 'customer'
			WHERE l.contact_id = $1 AND e.created_at > $2 AND e.kind <> 'answered'
		UNION ALL SELECT an.created_at FROM leads l JOIN answers an ON an.lead_id = l.id
			WHERE l.contact_id = $1 AND an.created_at > $2
		UNION ALL SELECT clicked_at FROM campaign_sends WHERE contact_id = $1 AND clicked_at > $2
		ORDER BY 1 DESC LIMIT 500`, contactID, since)
	if err != nil {
		return nil, fmt.Errorf("contact activity: %w", err)
	}
	return collectTimes(rows)
}

// SegmentActivity implements crm.CampaignStore: the latest moments of
// customers the segment's Where selects (everyone's when c is nil): their
// events and answers, as in Activity.
func (s *CampaignStore) SegmentActivity(ctx context.Context, c *crm.Campaign, since time.Time, limit int) ([]time.Time, error) {
	a := &sqlArgs{}
	where := "true"
	if c != nil {
		var err error
		if where, err = condSQL(c.Segment.Where, a, since); err != nil {
			return nil, fmt.Errorf("segment activity: %w", err)
		}
	}
	at := a.add(since)
	rows, err := s.db.Pool.Query(ctx, `SELECT e.created_at FROM (
			SELECT lead_id, created_at FROM events WHERE actor = 'customer' AND kind <> 'answered' AND created_at > `+at+`::timestamptz
			UNION ALL SELECT lead_id, created_at FROM answers WHERE created_at > `+at+`::timestamptz
		) e JOIN leads l ON l.id = e.lead_id JOIN contacts c ON c.id = l.contact_id
		WHERE (`+where+`)
		ORDER BY e.created_at DESC LIMIT `+a.add(limit)+`::int`, a.args...)
	if err != nil {
		return nil, fmt.Errorf("segment activity: %w", err)
	}
	return collectTimes(rows)
}

func collectTimes(rows pgx.Rows) ([]time.Time, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (time.Time, error) {
		var t time.Time
		err := row.Scan(&t)
		return t.UTC(), err
	})
}

// ClickSend implements crm.CampaignStore: the first press is kept, and
// a "campaign_click" event from the customer on the lead.
func (s *CampaignStore) ClickSend(ctx context.Context, id, contactID int64, action, value string, at time.Time) (*crm.CampaignSend, error) {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var lead *int64
		var campaign string
		err := tx.QueryRow(ctx, `UPDATE campaign_sends SET clicked_at = coalesce(clicked_at, $3),
				choice = CASE WHEN $4 = 'choice' THEN $5 ELSE choice END
			WHERE id = $1 AND contact_id = $2 RETURNING lead_id, campaign`, id, contactID, at, action, value).Scan(&lead, &campaign)
		if err != nil {
			return err
		}
		if lead == nil {
			return nil
		}
		js, err := eventData(map[string]any{"campaign": campaign, "send": id, "action": action, "value": value})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertEvent, *lead, "campaign_click", "customer", js, timeArg(at))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign click: %w", translate(err, fmt.Sprintf("campaign send %d not found", id)))
	}
	return s.CampaignSend(ctx, id)
}
