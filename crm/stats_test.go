package crm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	msk := mustLoc(t, "Europe/Moscow") // UTC+3, no DST
	// 23 Nov 2026 01:30 in Moscow is still 22 Nov in UTC: the day must be
	// Moscow's.
	now := time.Date(2026, 11, 22, 22, 30, 0, 0, time.UTC)
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, msk) }
	tests := []struct {
		arg                string
		name               string
		from, to, prevFrom time.Time
		label              string
	}{
		{"today", "today", d(2026, 11, 23), d(2026, 11, 24), d(2026, 11, 22), "23 Nov 2026"},
		{" Yesterday ", "yesterday", d(2026, 11, 22), d(2026, 11, 23), d(2026, 11, 21), "22 Nov 2026"},
		{"7d", "7d", d(2026, 11, 17), d(2026, 11, 24), d(2026, 11, 10), "17–23 Nov 2026"},
		{"30d", "30d", d(2026, 10, 25), d(2026, 11, 24), d(2026, 9, 25), "25 Oct – 23 Nov 2026"},
		{"1d", "1d", d(2026, 11, 23), d(2026, 11, 24), d(2026, 11, 22), "23 Nov 2026"},
		{"month", "month", d(2026, 11, 1), d(2026, 12, 1), d(2026, 10, 1), "1–30 Nov 2026"},
		{"2026-01-01..2026-01-31", "2026-01-01..2026-01-31", d(2026, 1, 1), d(2026, 2, 1), d(2025, 12, 1), "1–31 Jan 2026"},
		{"2025-12-30–2026-01-02", "2025-12-30..2026-01-02", d(2025, 12, 30), d(2026, 1, 3), d(2025, 12, 26), "30 Dec 2025 – 2 Jan 2026"},
		{"2026-03-05..2026-03-05", "2026-03-05..2026-03-05", d(2026, 3, 5), d(2026, 3, 6), d(2026, 3, 4), "5 Mar 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			p, err := crm.ParsePeriod(tt.arg, now, msk)
			require.NoError(t, err)
			require.Equal(t, tt.name, p.Name)
			require.True(t, tt.from.Equal(p.From), "from %s, want %s", p.From, tt.from)
			require.True(t, tt.to.Equal(p.To), "to %s, want %s", p.To, tt.to)
			require.True(t, tt.prevFrom.Equal(p.PrevFrom), "prev %s, want %s", p.PrevFrom, tt.prevFrom)
			require.Equal(t, tt.label, p.Label())
		})
	}
}

// TestParsePeriodDST: a period across a DST change is still whole local
// days: 7d in Berlin over the end of summer time is 169 hours.
func TestParsePeriodDST(t *testing.T) {
	t.Parallel()
	berlin := mustLoc(t, "Europe/Berlin")
	now := time.Date(2026, 10, 27, 10, 0, 0, 0, berlin) // Tuesday after the change on Sunday 25 Oct
	p, err := crm.ParsePeriod("7d", now, berlin)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 10, 21, 0, 0, 0, 0, berlin), p.From)
	require.Equal(t, time.Date(2026, 10, 28, 0, 0, 0, 0, berlin), p.To)
	require.Equal(t, 169*time.Hour, p.To.Sub(p.From))
	require.Equal(t, 7, p.Days())
	// UTC offsets differ at the two ends.
	_, off1 := p.From.Zone()
	_, off2 := p.To.Zone()
	require.Equal(t, 7200, off1)
	require.Equal(t, 3600, off2)
}

func TestParsePeriodRefuses(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, arg := range []string{"", "week", "0d", "367d", "-1d", "+7d", "07d", "d", "7", "2026-01-31..2026-01-01",
		"2026-13-01..2026-13-02", "2026-01-01", "2025-01-01..2026-01-02", "today..tomorrow", "7d..8d", "🙂"} {
		_, err := crm.ParsePeriod(arg, now, nil)
		require.Error(t, err, arg)
		require.Equal(t, crm.EINVALID, crm.ErrorCode(err), arg)
		require.Contains(t, crm.ErrorMessage(err), crm.PeriodUsage, arg)
	}
	_, err := crm.ParsePeriod("366d", now, nil)
	require.NoError(t, err)
}

// FuzzParsePeriod: whatever is typed, a period is refused cleanly or is a
// non-empty interval of whole local days, at most MaxPeriodDays long,
// with the previous period right before it.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"today", "yesterday", "7d", "30d", "month", "2026-01-01..2026-01-31", "2026-02-29..2026-03-01", "366d", "1d", "x..y", "—"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 8, 12, 0, 0, 0, loc) // a DST change day
	f.Fuzz(func(t *testing.T, arg string) {
		p, err := crm.ParsePeriod(arg, now, loc)
		if err != nil {
			if crm.ErrorCode(err) != crm.EINVALID {
				t.Fatalf("%q: %v", arg, err)
			}
			return
		}
		if !p.From.Before(p.To) || !p.PrevFrom.Before(p.From) {
			t.Fatalf("%q: empty or reversed: %+v", arg, p)
		}
		if days := p.Days(); days < 1 || days > crm.MaxPeriodDays {
			t.Fatalf("%q: %d days", arg, days)
		}
		for _, b := range []time.Time{p.From, p.To} {
			l := b.In(loc)
			if l.Hour() != 0 || l.Minute() != 0 || l.Second() != 0 {
				t.Fatalf("%q: bound %s is not a local midnight", arg, l)
			}
		}
		if p.Name == "" || p.Label() == "" || strings.ContainsRune(p.Name, ' ') {
			t.Fatalf("%q: name %q label %q", arg, p.Name, p.Label())
		}
	})
}

func TestWeekStart(t *testing.T) {
	t.Parallel()
	msk := mustLoc(t, "Europe/Moscow")
	for _, tt := range []struct{ at, want time.Time }{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, msk), time.Date(2026, 11, 23, 0, 0, 0, 0, msk)},   // Monday
		{time.Date(2026, 11, 29, 23, 59, 0, 0, msk), time.Date(2026, 11, 23, 0, 0, 0, 0, msk)}, // Sunday
		{time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC).In(msk), time.Date(2026, 11, 23, 0, 0, 0, 0, msk)},
		{time.Date(2026, 1, 1, 12, 0, 0, 0, msk), time.Date(2025, 12, 29, 0, 0, 0, 0, msk)},
	} {
		require.Equal(t, tt.want, crm.WeekStart(tt.at), tt.at.String())
	}
}

func TestRatioAndChange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    crm.Ratio
		want string
	}{
		{crm.Ratio{9, 20}, "45%"},
		{crm.Ratio{1, 3}, "33%"},
		{crm.Ratio{2, 3}, "67%"},
		{crm.Ratio{1, 250}, "0.4%"},
		{crm.Ratio{0, 5}, "0%"},
		{crm.Ratio{5, 5}, "100%"},
		{crm.Ratio{1, 0}, "—"},
	} {
		require.Equal(t, tt.want, tt.r.String(), "%+v", tt.r)
	}
	pct, ok := crm.Change(120, 100)
	require.True(t, ok)
	require.InDelta(t, 20, pct, 1e-9)
	pct, ok = crm.Change(5, 10)
	require.True(t, ok)
	require.InDelta(t, -50, pct, 1e-9)
	_, ok = crm.Change(5, 0)
	require.False(t, ok)
}

func TestNPS(t *testing.T) {
	t.Parallel()
	for score, want := range map[int]string{-1: "", 0: crm.Detractor, 6: crm.Detractor, 7: crm.Passive, 8: crm.Passive,
		9: crm.Promoter, 10: crm.Promoter, 11: ""} {
		require.Equal(t, want, crm.NPSCategory(score), score)
	}
	tests := []struct {
		scores []int
		want   float64
		ok     bool
	}{
		{nil, 0, false},
		{[]int{10, 9, 8, 7, 6}, 20, true},   // 2 promoters, 1 detractor of 5
		{[]int{0, 0, 10}, -100.0 / 3, true}, // 1 − 2 of 3
		{[]int{10, 10, 10}, 100, true},
		{[]int{7, 8}, 0, true},
		{[]int{11, -3, 9}, 100, true}, // out of range ignored
	}
	for _, tt := range tests {
		var c crm.NPSCounts
		for _, s := range tt.scores {
			c.Add(s)
		}
		got, ok := c.Score()
		require.Equal(t, tt.ok, ok, "%v", tt.scores)
		require.InDelta(t, tt.want, got, 1e-9, "%v", tt.scores)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	m := time.Minute
	for _, tt := range []struct {
		in   []time.Duration
		want time.Duration
		ok   bool
	}{
		{nil, 0, false},
		{[]time.Duration{5 * m}, 5 * m, true},
		{[]time.Duration{9 * m, 1 * m, 5 * m}, 5 * m, true},
		{[]time.Duration{4 * m, 1 * m, 2 * m, 10 * m}, 3 * m, true}, // (2+4)/2
		{[]time.Duration{m, 2 * m}, 90 * time.Second, true},
	} {
		in := append([]time.Duration(nil), tt.in...)
		got, ok := crm.Median(tt.in)
		require.Equal(t, tt.ok, ok)
		require.Equal(t, tt.want, got, "%v", tt.in)
		require.Equal(t, in, tt.in, "the input is not sorted in place")
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		40 * time.Second: "40s", 210 * time.Second: "3m 30s", 7 * time.Minute: "7m", 12 * time.Minute: "12m", 3*time.Hour + 20*time.Minute: "3h 20m",
		2 * time.Hour: "2h", 52 * time.Hour: "2d 4h", 48 * time.Hour: "2d", -5 * time.Minute: "-5m",
	} {
		require.Equal(t, want, crm.FormatDuration(d))
	}
}

func TestFunnelStages(t *testing.T) {
	t.Parallel()
	st := crm.FunnelStages([]string{"Leads", "Qualified", "Won"}, []int{200, 50, 10})
	require.Equal(t, []crm.FunnelStage{
		{Name: "Leads", Count: 200},
		{Name: "Qualified", Count: 50, FromPrev: crm.Ratio{50, 200}, FromTop: crm.Ratio{50, 200}},
		{Name: "Won", Count: 10, FromPrev: crm.Ratio{10, 50}, FromTop: crm.Ratio{10, 200}},
	}, st)
	require.Equal(t, "20%", st[2].FromPrev.String())
	require.Equal(t, "5%", st[2].FromTop.String())
}

func TestDropOff(t *testing.T) {
	t.Parallel()
	got := crm.DropOff([]crm.StepCount{
		{Flow: "q", Step: "need", Answered: 90, Stopped: 10},
		{Flow: "q", Step: "budget", Answered: 60, Stopped: 30},
		{Flow: "q", Step: "phone", Answered: 50, Stopped: 0},
		{Flow: "q", Step: "never", Answered: 0, Stopped: 0},
	})
	require.Len(t, got, 3, "a step nobody reached is left out")
	require.Equal(t, "budget", got[0].Step)
	require.Equal(t, 90, got[0].Reached)
	require.Equal(t, crm.Ratio{30, 90}, got[0].Drop)
	require.Equal(t, "need", got[1].Step)
	require.Equal(t, crm.Ratio{10, 100}, got[1].Drop)
	require.Equal(t, "phone", got[2].Step)

	// One step id, one row, whichever flows ask it.
	got = crm.DropOff([]crm.StepCount{
		{Flow: "qualify", Step: "budget", Answered: 60, Stopped: 30},
		{Flow: "b2b", Step: "budget", Answered: 8, Stopped: 2},
		{Flow: "b2b", Step: "size", Answered: 9, Stopped: 1},
	})
	require.Len(t, got, 2)
	require.Equal(t, crm.StepDrop{Flow: "b2b", Step: "budget", Label: "budget", Reached: 100, Stopped: 32, Drop: crm.Ratio{32, 100}}, got[0])
	require.Equal(t, "size", got[1].Step)
}

func TestCohorts(t *testing.T) {
	t.Parallel()
	msk := mustLoc(t, "Europe/Moscow")
	w := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, msk) }
	now := time.Date(2026, 11, 18, 12, 0, 0, 0, msk) // Wednesday of the week of 16 Nov
	got := crm.Cohorts([]crm.CohortWins{
		{Week: w(9), Size: 10, Won: map[int]int{1: 1}},
		{Week: w(2), Size: 4, Won: map[int]int{0: 1, 2: 2}},
		{Week: w(16), Size: 5, Won: map[int]int{}},
		{Week: w(23), Size: 1}, // in the future: not shown
	}, now)
	require.Len(t, got, 3)
	require.Equal(t, w(2), got[0].Week, "oldest first")
	require.Equal(t, []crm.Ratio{{1, 4}, {1, 4}, {3, 4}}, got[0].Shares, "cumulative, three weeks observed")
	require.Equal(t, []crm.Ratio{{0, 10}, {1, 10}}, got[1].Shares)
	require.Equal(t, []crm.Ratio{{0, 5}}, got[2].Shares, "the week in progress")
}

func TestSourceRows(t *testing.T) {
	t.Parallel()
	in := []crm.SourceCounts{
		{Source: "vk", Leads: 5, Qualified: 2, Won: 1, Revenue: 100},
		{Source: "", Leads: 7, Qualified: 7},
		{Source: "google", Campaign: "bf", Leads: 5, Qualified: 5, Won: 2, Revenue: 300},
		{Source: "ya", Leads: 1},
		{Source: "tg", Leads: 1, Won: 1, Revenue: 5},
	}
	rows := crm.SourceRows(in, 3)
	require.Len(t, rows, 4)
	require.Equal(t, "direct", rows[0].Source)
	require.Equal(t, "google", rows[1].Source, "a tie on leads goes to revenue")
	require.Equal(t, "vk", rows[2].Source)
	require.Equal(t, "other", rows[3].Source)
	require.Equal(t, 2, rows[3].Leads)
	require.Equal(t, 5.0, rows[3].Revenue)
	require.Equal(t, crm.Ratio{2, 5}, rows[1].WinRate)
	require.Equal(t, crm.Ratio{7, 7}, rows[0].QualifiedRate)
	// Exactly one row past n is shown as itself, not as "other".
	require.Equal(t, "ya", crm.SourceRows(in, 4)[4].Source)
}

func TestParseFind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want crm.FindQuery
	}{
		{"Anna", crm.FindQuery{Text: "Anna", Words: []string{"anna"}, Username: "anna"}},
		{"anna petrova", crm.FindQuery{Text: "anna petrova", Words: []string{"anna", "petrova"}, Username: "anna petrova"}},
		{"@Anna_P", crm.FindQuery{Text: "@Anna_P", Words: []string{"anna_p"}, Username: "anna_p"}},
		{"+7 (916) 123-45-67", crm.FindQuery{Text: "+7 (916) 123-45-67", Digits: "79161234567", Username: "+7 (916) 123-45-67"}},
		{"Anna@Example.com", crm.FindQuery{Text: "Anna@Example.com", Email: "anna@example.com", Username: "anna@example.com"}},
		{"1234", crm.FindQuery{Text: "1234", Words: []string{"1234"}, Username: "1234"}},
	} {
		got, err := crm.ParseFind(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
	_, err := crm.ParseFind(" a ")
	require.Equal(t, crm.EINVALID, crm.ErrorCode(err))
}

// cardsOf is a CardReader of the leads it holds, by id, with assignees.
type cardsOf map[int64]int64

func (c cardsOf) Card(_ context.Context, id int64) (*crm.LeadCard, int64, error) {
	assignee, ok := c[id]
	if !ok {
		return nil, 0, crm.Errorf(crm.ENOTFOUND, "lead %d not found", id)
	}
	return &crm.LeadCard{Lead: crm.Lead{ID: id}}, assignee, nil
}

// TestLeadCannotBeProbed: a rep asking for a lead that does not exist is
// told exactly what they are told for another rep's lead, so /lead does
// not say which ids exist; a head is told it does not exist.
func TestLeadCannotBeProbed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	anna := crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead}
	boris := crm.Manager{ID: 2, Name: "Boris", Role: crm.RoleRep}
	vera := crm.Manager{ID: 3, Name: "Vera", Role: crm.RoleRep}
	stats := crm.NewStats(nil, cardsOf{10: vera.ID}, nil, []crm.Manager{anna, boris, vera}, nil, nil)

	_, others := stats.Lead(ctx, boris, 10)
	_, missing := stats.Lead(ctx, boris, 999999)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(others))
	require.Equal(t, "Lead #10 is not among your leads.", crm.ErrorMessage(others))
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(missing))
	require.Equal(t, "Lead #999999 is not among your leads.", crm.ErrorMessage(missing))

	_, missing = stats.Lead(ctx, anna, 999999)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(missing))
	require.Equal(t, "Lead #999999 not found.", crm.ErrorMessage(missing))
}
