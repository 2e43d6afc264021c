package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// The expected figures below are worked out by hand from the fixture's
// table in postgrestest/stats.go; each comment names the leads counted.

type statsBundle struct {
	db    *postgres.DB
	fx    postgrestest.StatsFixture
	stats *crm.Stats
	p     crm.Period // 16-22 Nov 2026 in Moscow
	msk   *time.Location
}

func setupStats(t *testing.T) *statsBundle {
	t.Helper()
	db := postgrestest.NewDB(t)
	fx := postgrestest.SeedStatsFixture(t, db)
	msk, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	var team []crm.Manager
	for _, m := range postgrestest.StatsFixtureTeam() {
		team = append(team, fx.Team[m.Name])
	}
	clock := crm.ClockFunc(func() time.Time { return postgrestest.StatsFixtureNow })
	st := crm.NewStats(postgres.NewStatsStore(db), postgres.NewSalesStore(db), nil, team, clock, time.UTC)
	p, err := st.Period(fx.Team["Anna"], "2026-11-16..2026-11-22", "")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 15, 21, 0, 0, 0, time.UTC), p.From.UTC(), "the head's period is Moscow's")
	return &statsBundle{db: db, fx: fx, stats: st, p: p, msk: msk}
}

func (b *statsBundle) who(name string) crm.Manager { return b.fx.Team[name] }

func TestStatsSummary(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	s, err := b.stats.Summary(context.Background(), b.who("Anna"), b.p)
	require.NoError(t, err)
	c := s.Cur
	require.Equal(t, 7, c.New, "L1 L3 L4 L5 L6 L7 L8: not L2 (a minute before) nor L9 (the minute after)")
	require.Equal(t, 4, c.Qualified, "L1 L2 L3 L7: L2 arrived before the period but qualified in it")
	require.Equal(t, 2, c.Hot, "L1 L3")
	require.Equal(t, 2, c.Contacted, "L1 L3")
	require.Equal(t, 2, c.Won, "L1 L7")
	require.Equal(t, 2, c.Lost, "L3 L5")
	require.Equal(t, 150000.0, c.Revenue)
	require.Equal(t, crm.Ratio{Num: 3, Den: 7}, c.LeadToQualified, "L1 L3 L7 of the seven")
	require.Equal(t, crm.Ratio{Num: 2, Den: 3}, c.QualifiedToSale, "L1 L7 of L1 L3 L7")
	require.Equal(t, crm.Ratio{Num: 1, Den: 2}, c.RepeatShare, "L7: Anna Petrova bought L1 before")
	require.True(t, c.HasMedian)
	require.Equal(t, 40*time.Minute, c.MedianFirstContact, "L1 20m, L3 60m")
	require.Nil(t, s.Own, "a head has no 'your leads'")

	p := s.Prev
	require.Equal(t, 3, p.New, "L2 L10 L11")
	require.Equal(t, 1, p.Qualified, "L10")
	require.Equal(t, 1, p.Hot)
	require.Equal(t, 1, p.Contacted)
	require.Equal(t, 1, p.Won)
	require.Equal(t, 0, p.Lost)
	require.Equal(t, 20000.0, p.Revenue)
	require.Equal(t, crm.Ratio{Num: 2, Den: 3}, p.LeadToQualified, "L2 L10 of L2 L10 L11")
	require.Equal(t, crm.Ratio{Num: 1, Den: 2}, p.QualifiedToSale)
	require.Equal(t, crm.Ratio{Num: 0, Den: 1}, p.RepeatShare)
	require.Equal(t, 30*time.Minute, p.MedianFirstContact)

	// A rep sees the team's figures and their own.
	s, err = b.stats.Summary(context.Background(), b.who("Boris"), b.p)
	require.NoError(t, err)
	require.Equal(t, 7, s.Cur.New)
	require.NotNil(t, s.Own)
	o := s.Own
	require.Equal(t, []int{2, 1, 2, 0}, []int{o.New, o.Contacted, o.Won, o.Lost}, "L1 L7")
	require.Equal(t, 150000.0, o.Revenue)
	require.Equal(t, 20*time.Minute, o.MedianFirstContact)
}

// TestStatsPeriodInUTC: the same question asked by someone in UTC draws
// the line elsewhere, which is what the Moscow figures above rule out.
func TestStatsPeriodInUTC(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	utcP, err := crm.ParsePeriod("2026-11-16..2026-11-22", postgrestest.StatsFixtureNow, time.UTC)
	require.NoError(t, err)
	s, err := b.stats.Summary(context.Background(), b.who("Anna"), utcP)
	require.NoError(t, err)
	require.Equal(t, 7, s.Cur.New, "L3 L4 L5 L6 L7 L8 L9: L1 (15 Nov 21:00Z) is out, L9 (22 Nov 21:00Z) in")
	require.Equal(t, 2, s.Cur.Qualified, "L3 L7: L1 and L2 qualified on 15 Nov in UTC")
}

func TestStatsFunnel(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	f, err := b.stats.Funnel(context.Background(), b.who("Boris"), b.p)
	require.NoError(t, err)
	counts := map[string]int{}
	for _, st := range f.Stages {
		counts[st.Name] = st.Count
	}
	require.Equal(t, map[string]int{"Leads": 7, "Started dialogue": 5, "Qualified": 3, "Contacted": 3, "Won": 2}, counts,
		"started: all but L6 L8; contacted: L1 L3 and L7, won without the button")
	require.Equal(t, crm.Ratio{Num: 5, Den: 7}, f.Stages[1].FromPrev)
	require.Equal(t, crm.Ratio{Num: 2, Den: 3}, f.Stages[4].FromPrev)
	require.Equal(t, crm.Ratio{Num: 2, Den: 7}, f.Stages[4].FromTop)
	require.Equal(t, 2, f.Lost)
	require.Equal(t, []crm.NamedCount{{Name: "cancelled", Count: 1}, {Name: "no budget", Count: 1}}, f.LostReasons)

	type row struct {
		step             string
		reached, stopped int
	}
	var got []row
	for _, st := range f.Steps {
		got = append(got, row{st.Step, st.Reached, st.Stopped})
	}
	require.Equal(t, []row{
		{"need", 7, 2},     // answered by L1 L3 L4 L5 L7 (L4's superseded answer once); L6 L8 wait there
		{"budget", 5, 1},   // L1 L3 L4 L7; L5 cancelled there
		{"timeline", 3, 1}, // L1 L3; L4 waits there
		{"company_size", 2, 0},
		{"phone", 2, 0},
		{"role", 2, 0},
		{"email", 1, 0}, // L7
	}, got)
}

func TestStatsNPS(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	r, err := b.stats.NPS(context.Background(), b.who("Anna"), b.p)
	require.NoError(t, err)
	require.Equal(t, crm.NPSCounts{Promoters: 2, Passives: 0, Detractors: 1}, r.NPSCounts,
		"L1 10, L7 9 (its 8 corrected), L10 6; bad scores and L12's 3 (before the period) left out")
	require.True(t, r.HasScore)
	require.InDelta(t, 100.0/3, r.Score, 1e-9)
	require.Len(t, r.Trend, crm.NPSTrendWeeks)
	last, prev := r.Trend[7], r.Trend[6]
	require.Equal(t, time.Date(2026, 11, 16, 0, 0, 0, 0, b.msk), last.Week)
	require.Equal(t, 3, last.Responses)
	require.InDelta(t, 100.0/3, last.Score, 1e-9)
	require.Equal(t, 1, prev.Responses, "L12's 3 on 14 Nov")
	require.InDelta(t, -100, prev.Score, 1e-9)
	require.False(t, r.Trend[0].Has)
	require.Equal(t, []crm.NPSComment{
		{LeadID: b.fx.Leads["L1"], Score: 10, Comment: "Great", At: time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)},
		{LeadID: b.fx.Leads["L10"], Score: 6, Comment: "slow delivery", At: time.Date(2026, 11, 16, 13, 0, 0, 0, time.UTC)},
	}, r.Comments)

	// Vera's leads have no answer in the period; she sees no one's comments.
	r, err = b.stats.NPS(context.Background(), b.who("Vera"), b.p)
	require.NoError(t, err)
	require.Equal(t, 3, r.Responses(), "the team's score")
	require.Equal(t, 0, r.Own.Responses())
	require.Empty(t, r.Comments)
	r, err = b.stats.NPS(context.Background(), b.who("Boris"), b.p)
	require.NoError(t, err)
	require.Equal(t, crm.NPSCounts{Promoters: 2, Detractors: 1}, *r.Own)
	require.Len(t, r.Comments, 2)
}

func TestStatsTeam(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	r, err := b.stats.Team(context.Background(), b.who("Anna"), b.p)
	require.NoError(t, err)
	rows := map[string]crm.RepFigures{}
	for _, f := range r.Reps {
		rows[f.Name] = f
	}
	require.Len(t, r.Reps, 3, "Anna, a head, works leads too")
	boris, vera := rows["Boris"], rows["Vera"]
	require.Equal(t, []int{0, 2, 1, 2, 0}, []int{boris.Open, boris.Claimed, boris.Contacted, boris.Won, boris.Breaches})
	require.Equal(t, 150000.0, boris.Revenue)
	require.Equal(t, 3*time.Minute+30*time.Second, boris.ToClaim, "L1 4m after the alert, L7 3m after qualifying")
	require.Equal(t, 16*time.Minute, boris.ToContact)
	require.Equal(t, []int{1, 2, 1, 0, 1}, []int{vera.Open, vera.Claimed, vera.Contacted, vera.Won, vera.Breaches}, "L2 open; L2 L3 claimed")
	require.Equal(t, (10*time.Minute+11*time.Hour+55*time.Minute)/2, vera.ToClaim)
	require.Equal(t, 50*time.Minute, vera.ToContact)
	require.Zero(t, rows["Anna"].Claimed)
	tot := r.Total
	require.Equal(t, []int{1, 4, 2, 2, 1}, []int{tot.Open, tot.Claimed, tot.Contacted, tot.Won, tot.Breaches})
	require.Equal(t, 7*time.Minute, tot.ToClaim, "median of 3m 4m 10m 11h55m")
	require.Equal(t, 33*time.Minute, tot.ToContact)

	// A rep: their own row and the total.
	r, err = b.stats.Team(context.Background(), b.who("Vera"), b.p)
	require.NoError(t, err)
	require.Len(t, r.Reps, 1)
	require.Equal(t, "Vera", r.Reps[0].Name)
	require.Equal(t, 4, r.Total.Claimed)
}

func TestStatsSources(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	r, err := b.stats.Sources(context.Background(), b.who("Anna"), b.p)
	require.NoError(t, err)
	type row struct {
		name                  string
		leads, qualified, won int
		revenue               float64
	}
	var got []row
	for _, s := range r.Rows {
		got = append(got, row{s.Source + "/" + s.Campaign, s.Leads, s.Qualified, s.Won, s.Revenue})
	}
	require.Equal(t, []row{
		{"google/bf", 3, 3, 2, 150000}, // L1 L3 L7
		{"direct/", 2, 0, 0, 0},        // L4 L6
		{"telegram/", 1, 0, 0, 0},      // L8
		{"vk/spring", 1, 0, 0, 0},      // L5
	}, got)
	require.Equal(t, row{"Total/", 7, 3, 2, 150000}, row{r.Total.Source + "/" + r.Total.Campaign, r.Total.Leads, r.Total.Qualified, r.Total.Won, r.Total.Revenue})
	require.Equal(t, crm.Ratio{Num: 2, Den: 3}, r.Rows[0].WinRate)
}

func TestStatsCohorts(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	p, err := b.stats.Period(b.who("Anna"), "2026-11-10..2026-11-20", "")
	require.NoError(t, err)
	r, err := b.stats.Cohorts(context.Background(), b.who("Anna"), p)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 9, 0, 0, 0, 0, b.msk), r.Period.From, "widened to Monday")
	require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, b.msk), r.Period.To)
	require.Len(t, r.Cohorts, 2)
	w9, w16 := r.Cohorts[0], r.Cohorts[1]
	require.Equal(t, 3, w9.Size, "L2 L10 L11")
	require.Equal(t, []crm.Ratio{{Num: 1, Den: 3}, {Num: 1, Den: 3}, {Num: 1, Den: 3}}, w9.Shares, "L10 won in its first week; weeks 0-2 have begun by now")
	require.Equal(t, 7, w16.Size)
	require.Equal(t, []crm.Ratio{{Num: 2, Den: 7}, {Num: 2, Den: 7}}, w16.Shares, "L1 L7 in week 0; week 1 has just begun")
}

func TestStatsLeadAndRoles(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	ctx := context.Background()
	v, err := b.stats.Lead(ctx, b.who("Vera"), b.fx.Leads["L3"])
	require.NoError(t, err)
	require.Equal(t, "Annabel Lee", v.Card.Contact.Name())
	require.Equal(t, "Vera", v.Card.Assignee.Name)
	require.Len(t, v.Card.Answers, 6)
	require.Equal(t, "created", v.Timeline[0].Kind)
	require.Equal(t, "claimed", v.Timeline[len(v.Timeline)-1].Kind)
	require.Len(t, v.Timeline, 8, "created, six answers, claimed")

	_, err = b.stats.Lead(ctx, b.who("Boris"), b.fx.Leads["L3"])
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err), "another rep's lead")
	_, err = b.stats.Lead(ctx, b.who("Anna"), 999999)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
	v, err = b.stats.Lead(ctx, b.who("Anna"), b.fx.Leads["L3"])
	require.NoError(t, err)
	require.Equal(t, "lost", string(v.Card.Lead.Stage))
}

func TestStatsFind(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	ctx := context.Background()
	ids := func(who, text string) []int64 {
		t.Helper()
		found, err := b.stats.Find(ctx, b.who(who), text)
		require.NoError(t, err)
		var out []int64
		for _, f := range found {
			out = append(out, f.LeadID)
		}
		return out
	}
	L := b.fx.Leads
	require.Equal(t, []int64{L["L7"], L["L3"], L["L2"], L["L1"]}, ids("Anna", "ann"), "Anna, Annabel, Annin; newest first")
	require.Equal(t, []int64{L["L7"], L["L1"]}, ids("Anna", "Petrova Anna"))
	require.Equal(t, []int64{L["L7"], L["L1"]}, ids("Anna", "8 916 123-45-67"), "the last ten digits")
	require.Equal(t, []int64{L["L7"], L["L1"]}, ids("Anna", "+7 916 1234567"))
	require.Equal(t, []int64{L["L3"]}, ids("Anna", "ANNABEL@example"))
	require.Equal(t, []int64{L["L7"], L["L1"]}, ids("Anna", "@anna_p"))
	require.Empty(t, ids("Anna", "@anna%p"), "wildcards are taken literally")
	require.Empty(t, ids("Anna", "nobody"))
	require.Equal(t, []int64{L["L7"], L["L1"]}, ids("Boris", "ann"), "a rep finds their own leads only")
	require.Equal(t, []int64{L["L3"], L["L2"]}, ids("Vera", "ann"))
}

func TestStatsExportAndLog(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	ctx := context.Background()
	_, err := b.db.Pool.Exec(ctx, `INSERT INTO surveys (lead_id, contact_id, due_at, score, comment, created_at)
		SELECT id, contact_id, now(), 9, 'Быстро ответили', now() FROM leads WHERE id = $1`, b.fx.Leads["L1"])
	require.NoError(t, err)
	var got []int64
	n, err := b.stats.Export(ctx, b.who("Anna"), b.p, func(r crm.ExportRow) error {
		got = append(got, r.Lead.ID)
		if r.Lead.ID == b.fx.Leads["L3"] {
			require.Nil(t, r.NPS, "no survey")
			require.Len(t, r.Answers, 6)
		}
		if r.Lead.ID == b.fx.Leads["L1"] {
			require.Len(t, r.Answers, 6, "the current answers")
			require.Equal(t, "buy", r.Answers[0].Value)
			require.NotNil(t, r.NPS)
			require.Equal(t, 9, *r.NPS)
			require.Equal(t, "Быстро ответили", r.NPSComment)
			require.Equal(t, "Anna", r.Contact.FirstName)
			require.Equal(t, 100000.0, r.Amount)
			require.NotNil(t, r.WonAt)
			require.Equal(t, b.who("Boris").ID, r.ManagerID)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 7, n)
	L := b.fx.Leads
	require.Equal(t, []int64{L["L1"], L["L3"], L["L4"], L["L5"], L["L6"], L["L7"], L["L8"]}, got)
	got = nil
	_, err = b.stats.Export(ctx, b.who("Vera"), b.p, func(r crm.ExportRow) error { got = append(got, r.Lead.ID); return nil })
	require.NoError(t, err)
	require.Equal(t, []int64{L["L3"]}, got, "a rep exports their own")

	require.NoError(t, b.stats.Log(ctx, crm.TeamCommand{ManagerID: b.who("Vera").ID, Manager: "Vera", Channel: "telegram",
		Command: "lead", Args: "3", LeadID: L["L3"], Outcome: "ok"}))
	require.NoError(t, b.stats.Log(ctx, crm.TeamCommand{ManagerID: 424242, Manager: "Ghost", Channel: "slack", Command: "stats"}))
	var n2 int
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_log WHERE at = $1 AND lead_id = $2 AND manager_id = $3`,
		postgrestest.StatsFixtureNow, L["L3"], b.who("Vera").ID).Scan(&n2))
	require.Equal(t, 1, n2)
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_log WHERE manager = 'Ghost' AND manager_id IS NULL`).Scan(&n2))
	require.Equal(t, 1, n2)
}

// TestStatsFunnelFastPath: 17-21 Nov holds L3-L7, ids with no other lead
// between them, all of one flow, so the answers are counted without a join
// (the path a real history takes); the figures must be the same as the
// join's.
func TestStatsFunnelFastPath(t *testing.T) {
	t.Parallel()
	b := setupStats(t)
	p, err := b.stats.Period(b.who("Anna"), "2026-11-17..2026-11-21", "")
	require.NoError(t, err)
	f, err := b.stats.Funnel(context.Background(), b.who("Anna"), p)
	require.NoError(t, err)
	require.Equal(t, 5, f.Stages[0].Count)
	got := map[string][2]int{}
	for _, st := range f.Steps {
		got[st.Step] = [2]int{st.Reached, st.Stopped}
	}
	require.Equal(t, map[string][2]int{
		"need":     {5, 1}, // answered by L3 L4 L5 L7 (L4's superseded answer not counted); L6 waits
		"budget":   {4, 1}, // L3 L4 L7; L5 cancelled there
		"timeline": {2, 1}, // L3; L4 waits
		"role":     {1, 0}, "company_size": {1, 0}, "phone": {1, 0}, "email": {1, 0},
	}, got)
}
