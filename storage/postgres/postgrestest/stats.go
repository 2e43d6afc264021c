package postgrestest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
)

// The stats fixture: a small, known history whose every figure the tests
// of the managers' reports work out by hand. It is told in Moscow time
// (UTC+3, no DST) because its period boundaries sit where a UTC day and a
// Moscow day disagree; the times below are UTC.
//
// The period under test is 16-22 Nov 2026 in Moscow, [15 Nov 21:00Z,
// 22 Nov 21:00Z); the one before it 9-15 Nov, [8 Nov 21:00Z, 15 Nov
// 21:00Z). "Now" is 23 Nov 12:00Z (15:00 in Moscow).
//
//	lead  contact           created (UTC)   what happened
//	L1    C1 Anna Petrova   15 Nov 21:00    first minute of the period; 6 answers, qualified 21:10 hot, alerted 21:10,
//	                                        claimed by Boris 21:14, contacted 21:30, won 17 Nov 10:00 for 100 000;
//	                                        NPS 10 "Great" on 19 Nov, plus two events with bad scores
//	L2    C2 Ivan Annin     15 Nov 20:59    last minute of the previous period; 3 answers, qualified 21:05 (in the
//	                                        period) warm, alerted 21:05, claimed by Vera 16 Nov 09:00, still open
//	L3    C3 Annabel Lee    17 Nov 09:00    6 answers, qualified 09:06 hot, alerted 09:06, claim SLA breached 09:11,
//	                                        claimed by Vera 09:16, contacted 10:06, lost 18 Nov 12:00 "no budget"
//	L4    C4 Oleg           18 Nov 12:00    need (superseded by a restart, then again), budget; waits on timeline
//	L5    C5 Maria          19 Nov 12:00    need; cancelled 12:05 at budget (lost, "cancelled")
//	L6    C6 Petr           20 Nov 12:00    no answer (new, waits on need)
//	L7    C1 Anna Petrova   21 Nov 10:00    3 answers, qualified 10:07 cold, never alerted, claimed by Boris 10:10,
//	                                        won 22 Nov 10:00 for 50 000 without "contacted" (a repeat sale);
//	                                        NPS 8 at 20:00, corrected to 9 at 20:30
//	L8    C7 Sergey         22 Nov 20:59    last minute of the period; new
//	L9    C8 Nina           22 Nov 21:00    first minute after the period; new
//	L10   C9 Gleb           10 Nov 12:00    6 answers, qualified 12:05 hot, alerted 12:05, claimed by Boris 12:07,
//	                                        contacted 12:35, won 12 Nov 12:00 for 20 000; NPS 6 on 16 Nov 12:00 and
//	                                        its comment "slow delivery" at 13:00 as a second event without a score
//	L11   C10 Olga          12 Nov 12:00    need; waits on budget
//	L12   C11 Fedor         1 Oct 12:00     qualified, claimed and won by Vera on 5 Oct for 10 000; NPS 3 on 14 Nov
//
// Sources: L1, L3, L7, L10 google/bf; L2, L11 vk; L5 vk/spring; L8
// telegram; L12 yandex; the rest direct (no payload).
type StatsFixture struct {
	Leads    map[string]int64 // "L1" → id
	Contacts map[string]int64 // "C1" → id
	Team     map[string]crm.Manager
}

// StatsFixtureNow is the fixture's "now".
var StatsFixtureNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// StatsFixtureTeam is the team the fixture's leads belong to.
func StatsFixtureTeam() []crm.Manager {
	return []crm.Manager{
		{Name: "Anna", Role: crm.RoleHead, TelegramID: 9001, SlackID: "UANNA", TimeZone: "Europe/Moscow"},
		{Name: "Boris", Role: crm.RoleRep, TelegramID: 9002, SlackID: "UBORIS"},
		{Name: "Vera", Role: crm.RoleRep, TelegramID: 9003, SlackID: "UVERA"},
	}
}

type fixtureLead struct {
	name, contact      string
	created            string
	stage, temperature string
	step               string
	source, campaign   string
	answers            []string
	superseded         []string
	qualified, alerted string
	manager            string
	claimed, contacted string
	won, lost          string
	amount             float64
	lostReason         string
}

type fixtureEvent struct {
	lead, at string
	data     map[string]any
}

// SeedStatsFixture syncs the team (unless it is there) and writes the
// fixture into db, returning the ids.
func SeedStatsFixture(tb testing.TB, db *postgres.DB) StatsFixture {
	tb.Helper()
	ctx := context.Background()
	fx := StatsFixture{Leads: map[string]int64{}, Contacts: map[string]int64{}, Team: map[string]crm.Manager{}}
	team, err := postgres.NewSalesStore(db).SyncTeam(ctx, StatsFixtureTeam())
	if err != nil {
		tb.Fatalf("postgrestest: sync team: %v", err)
	}
	for _, m := range team {
		fx.Team[m.Name] = m
	}
	ts := func(s string) any {
		if s == "" {
			return nil
		}
		t, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			tb.Fatalf("postgrestest: bad fixture time %q", s)
		}
		return t
	}
	contacts := []struct{ name, first, last, username, phone, email string }{
		{"C1", "Anna", "Petrova", "anna_p", "+79161234567", "anna@example.com"},
		{"C2", "Ivan", "Annin", "", "+79160000002", ""},
		{"C3", "Annabel", "Lee", "annabel", "", "annabel@example.org"},
		{"C4", "Oleg", "", "", "", ""},
		{"C5", "Maria", "", "", "", ""},
		{"C6", "Petr", "", "", "", ""},
		{"C7", "Sergey", "", "", "", ""},
		{"C8", "Nina", "", "", "", ""},
		{"C9", "Gleb", "", "gleb", "", ""},
		{"C10", "Olga", "", "", "", ""},
		{"C11", "Fedor", "", "", "", ""},
	}
	for i, c := range contacts {
		var id int64
		err := db.Pool.QueryRow(ctx, `INSERT INTO contacts (telegram_user_id, chat_id, first_name, last_name, username, phone, email, created_at, updated_at)
			VALUES ($1, $1, $2, $3, $4, $5, $6, '2026-10-01', '2026-10-01') RETURNING id`,
			int64(70001+i), c.first, c.last, c.username, c.phone, c.email).Scan(&id)
		if err != nil {
			tb.Fatalf("postgrestest: contact %s: %v", c.name, err)
		}
		fx.Contacts[c.name] = id
	}
	six := []string{"need", "budget", "timeline", "role", "company_size", "phone"}
	leads := []fixtureLead{
		{name: "L1", contact: "C1", created: "2026-11-15 21:00", stage: "won", temperature: "hot", source: "google", campaign: "bf",
			answers: six, qualified: "2026-11-15 21:10", alerted: "2026-11-15 21:10", manager: "Boris",
			claimed: "2026-11-15 21:14", contacted: "2026-11-15 21:30", won: "2026-11-17 10:00", amount: 100000},
		{name: "L2", contact: "C2", created: "2026-11-15 20:59", stage: "qualified", temperature: "warm", source: "vk",
			answers: []string{"need", "budget", "email"}, qualified: "2026-11-15 21:05", alerted: "2026-11-15 21:05",
			manager: "Vera", claimed: "2026-11-16 09:00"},
		{name: "L3", contact: "C3", created: "2026-11-17 09:00", stage: "lost", temperature: "hot", source: "google", campaign: "bf",
			answers: six, qualified: "2026-11-17 09:06", alerted: "2026-11-17 09:06", manager: "Vera",
			claimed: "2026-11-17 09:16", contacted: "2026-11-17 10:06", lost: "2026-11-18 12:00", lostReason: "no budget"},
		{name: "L4", contact: "C4", created: "2026-11-18 12:00", stage: "qualifying", temperature: "cold", step: "timeline",
			answers: []string{"need", "budget"}, superseded: []string{"need"}},
		{name: "L5", contact: "C5", created: "2026-11-19 12:00", stage: "lost", temperature: "cold", step: "budget",
			source: "vk", campaign: "spring", answers: []string{"need"}, lost: "2026-11-19 12:05", lostReason: "cancelled"},
		{name: "L6", contact: "C6", created: "2026-11-20 12:00", stage: "new", temperature: "cold", step: "need"},
		{name: "L7", contact: "C1", created: "2026-11-21 10:00", stage: "won", temperature: "cold", source: "google", campaign: "bf",
			answers: []string{"need", "budget", "email"}, qualified: "2026-11-21 10:07", manager: "Boris",
			claimed: "2026-11-21 10:10", won: "2026-11-22 10:00", amount: 50000},
		{name: "L8", contact: "C7", created: "2026-11-22 20:59", stage: "new", temperature: "cold", step: "need", source: "telegram"},
		{name: "L9", contact: "C8", created: "2026-11-22 21:00", stage: "new", temperature: "cold", step: "need"},
		{name: "L10", contact: "C9", created: "2026-11-10 12:00", stage: "won", temperature: "hot", source: "google", campaign: "bf",
			answers: six, qualified: "2026-11-10 12:05", alerted: "2026-11-10 12:05", manager: "Boris",
			claimed: "2026-11-10 12:07", contacted: "2026-11-10 12:35", won: "2026-11-12 12:00", amount: 20000},
		{name: "L11", contact: "C10", created: "2026-11-12 12:00", stage: "qualifying", temperature: "cold", step: "budget",
			source: "vk", answers: []string{"need"}},
		{name: "L12", contact: "C11", created: "2026-10-01 12:00", stage: "won", temperature: "warm", source: "yandex",
			answers: six, qualified: "2026-10-01 12:05", alerted: "2026-10-01 12:05", manager: "Vera",
			claimed: "2026-10-01 12:30", contacted: "2026-10-01 13:00", won: "2026-10-05 12:00", amount: 10000},
	}
	for _, l := range leads {
		var mgr any
		if l.manager != "" {
			mgr = fx.Team[l.manager].ID
		}
		var amount any
		if l.amount != 0 {
			amount = l.amount
		}
		var id int64
		err := db.Pool.QueryRow(ctx, `INSERT INTO leads (contact_id, stage, score, temperature, flow_id, flow_version, step,
				source, medium, campaign, created_at, updated_at, qualified_at, alerted_at, manager_id, assigned_at,
				claimed_at, contacted_at, won_at, lost_at, amount, lost_reason)
			VALUES ($1, $2, 50, $3, 'qualify', 1, $4, $5, '', $6, $7, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16)
			RETURNING id`,
			fx.Contacts[l.contact], l.stage, l.temperature, l.step, l.source, l.campaign, ts(l.created),
			ts(l.qualified), ts(l.alerted), mgr, ts(l.claimed), ts(l.contacted), ts(l.won), ts(l.lost), amount, l.lostReason).Scan(&id)
		if err != nil {
			tb.Fatalf("postgrestest: lead %s: %v", l.name, err)
		}
		fx.Leads[l.name] = id
		created := ts(l.created).(time.Time)
		addEvent(tb, db, id, "created", created, map[string]any{"source": l.source})
		for _, step := range l.superseded {
			_, err := db.Pool.Exec(ctx, `INSERT INTO answers (lead_id, step_id, kind, value, created_at, superseded_at)
				VALUES ($1, $2, 'choice', 'old', $3, $3)`, id, step, created)
			if err != nil {
				tb.Fatalf("postgrestest: answer: %v", err)
			}
		}
		for i, step := range l.answers {
			at := created.Add(time.Duration(i+1) * time.Minute)
			_, err := db.Pool.Exec(ctx, `INSERT INTO answers (lead_id, step_id, kind, value, score, created_at)
				VALUES ($1, $2, 'choice', 'buy', 10, $3)`, id, step, at)
			if err != nil {
				tb.Fatalf("postgrestest: answer: %v", err)
			}
			addEvent(tb, db, id, "answered", at, map[string]any{"step": step})
		}
		if l.claimed != "" {
			addEvent(tb, db, id, "claimed", ts(l.claimed).(time.Time), map[string]any{"manager": l.manager})
		}
	}
	for _, e := range []fixtureEvent{
		{"L1", "2026-11-19 10:00", map[string]any{"score": 10, "comment": "Great"}},
		{"L1", "2026-11-20 10:00", map[string]any{"score": "ten"}},
		{"L1", "2026-11-20 11:00", map[string]any{"score": 11}},
		{"L7", "2026-11-22 20:00", map[string]any{"score": 8}},
		{"L7", "2026-11-22 20:30", map[string]any{"score": 9, "comment": ""}},
		{"L10", "2026-11-16 12:00", map[string]any{"score": 6}},
		{"L10", "2026-11-16 13:00", map[string]any{"comment": "slow delivery"}},
		{"L12", "2026-11-14 12:00", map[string]any{"score": 3}},
	} {
		addEvent(tb, db, fx.Leads[e.lead], crm.EventNPSAnswered, ts(e.at).(time.Time), e.data)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sla_breaches (lead_id, kind, at) VALUES ($1, 'claim', '2026-11-17 09:11Z')`, fx.Leads["L3"]); err != nil {
		tb.Fatalf("postgrestest: breach: %v", err)
	}
	return fx
}

func addEvent(tb testing.TB, db *postgres.DB, leadID int64, kind string, at time.Time, data map[string]any) {
	tb.Helper()
	js, err := json.Marshal(data)
	if err != nil {
		tb.Fatalf("postgrestest: event data: %v", err)
	}
	_, err = db.Pool.Exec(context.Background(), `INSERT INTO events (lead_id, kind, actor, data, created_at) VALUES ($1, $2, 'fixture', $3, $4)`,
		leadID, kind, string(js), at)
	if err != nil {
		tb.Fatalf("postgrestest: event: %v", err)
	}
}
