package crm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the arithmetic of the managers' reports: periods in a time
// zone, ratios, NPS, funnel conversion, drop-off, cohorts and medians. It
// is pure (no I/O, no clock of its own) so every number a manager reads can
// be table-tested; reports.go applies it to what the store counts.
//
// The NPS contract with the surveys (issue 5). NPS answers are not a table
// of their own: every answer a customer gives to the 0-10 question is an
// event on the lead's timeline,
//
//	kind: "nps_answered"   (EventNPSAnswered)
//	data: {"score": N, "comment": "..."}
//
// where N is a JSON number from 0 to 10 and comment is the customer's
// "why" (empty or absent when they gave none). The event is dated when the
// customer answered, and the reports bucket it by that time.
//
// A lead has at most one response (a survey is sent per won lead): when a
// lead has several events with a score, the latest one is its answer, so
// a customer who corrects a score is counted once. The "why" may arrive
// later, as another "nps_answered" event that carries the score again or
// only {"comment": "..."}; /nps lists the latest comments with the lead's
// current score. An event whose score is missing, not a whole number, or
// outside 0-10 counts for no score. The rep an answer is credited to is
// the lead's manager at the time of the report (leads.manager_id), so the
// event need not name one (a "manager_id" in data is ignored).

// EventNPSAnswered is the event kind an NPS answer is recorded as; see the
// contract above.
const EventNPSAnswered = "nps_answered"

// MaxPeriodDays bounds a period: a year and a day covers any "same month
// last year" question, and the bound keeps every report an index range
// scan rather than a walk over the whole history.
const MaxPeriodDays = 366

// PeriodUsage is the line shown for a period that does not parse.
const PeriodUsage = "period: today, yesterday, 7d, 30d (any Nd up to 366d), month, or YYYY-MM-DD..YYYY-MM-DD"

// Period is a half-open interval of instants [From, To) that a manager
// named, in their time zone, with the period just before it of the same
// length for comparison ([PrevFrom, From)).
//
// Periods are whole local days: "7d" is today and the six days before it,
// from local midnight to the next local midnight, so a period holds the
// same calendar days whatever the hour of the question, and a DST change
// inside it makes it 167 or 169 hours long rather than cutting a day.
// "today" ends at the coming midnight, so it holds the day so far.
type Period struct {
	Name     string // as typed, normalised: "today", "7d", "2026-01-01..2026-01-31"
	From, To time.Time
	PrevFrom time.Time
	Loc      *time.Location
}

// Days is how many local calendar days the period spans.
func (p Period) Days() int {
	return daysBetween(p.From.In(p.Loc), p.To.In(p.Loc))
}

// Label is the period as a person reads it: "23 Nov 2026" for one day,
// "17–23 Nov 2026" or "28 Oct – 3 Nov 2026" for several.
func (p Period) Label() string {
	from := p.From.In(p.Loc)
	last := p.To.In(p.Loc).AddDate(0, 0, -1)
	switch {
	case sameDay(from, last):
		return from.Format("2 Jan 2006")
	case from.Year() != last.Year():
		return from.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	case from.Month() != last.Month():
		return from.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	default:
		return from.Format("2") + "–" + last.Format("2 Jan 2006")
	}
}

// Previous is the comparison period as a Period of its own.
func (p Period) Previous() Period {
	return Period{Name: "previous " + p.Name, From: p.PrevFrom, To: p.From,
		PrevFrom: p.PrevFrom.Add(-p.From.Sub(p.PrevFrom)), Loc: p.Loc}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// midnight is the start of t's local day. time.Date normalises a midnight
// that a DST jump skips to the first instant that exists.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// daysBetween counts calendar days from a's date to b's date, both local,
// without being fooled by 23- and 25-hour days.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}

// ParsePeriod reads a period argument at now in loc (nil means UTC):
// today, yesterday, Nd (1 to MaxPeriodDays days ending today), month (the
// calendar month so far; compared with the whole previous month), or
// YYYY-MM-DD..YYYY-MM-DD (both days included). Case and surrounding spaces
// do not matter; "–" and "—" are taken for "..", since phones turn ".."
// into them. Anything else is EINVALID with PeriodUsage as the message.
func ParsePeriod(arg string, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	today := midnight(now)
	s := strings.ToLower(strings.TrimSpace(arg))
	s = strings.NewReplacer("—", "..", "–", "..", "…", "..").Replace(s)
	bad := func() (Period, error) { return Period{}, Errorf(EINVALID, "%s", PeriodUsage) }

	days := func(from time.Time, n int, name string) Period {
		return Period{Name: name, From: from, To: from.AddDate(0, 0, n), PrevFrom: from.AddDate(0, 0, -n), Loc: loc}
	}
	switch {
	case s == "today":
		return days(today, 1, "today"), nil
	case s == "yesterday":
		return days(today.AddDate(0, 0, -1), 1, "yesterday"), nil
	case s == "month":
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		return Period{Name: "month", From: first, To: first.AddDate(0, 1, 0), PrevFrom: first.AddDate(0, -1, 0), Loc: loc}, nil
	case strings.HasSuffix(s, "d") && !strings.Contains(s, ".."):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n < 1 || n > MaxPeriodDays || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "0") {
			return bad()
		}
		return days(today.AddDate(0, 0, 1-n), n, strconv.Itoa(n)+"d"), nil
	}
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return bad()
	}
	from, err1 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(a), loc)
	last, err2 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(b), loc)
	if err1 != nil || err2 != nil {
		return bad()
	}
	if last.Before(from) {
		return Period{}, Errorf(EINVALID, "the period ends before it starts; %s", PeriodUsage)
	}
	n := daysBetween(from, last) + 1
	if n > MaxPeriodDays {
		return Period{}, Errorf(EINVALID, "a period is at most %d days; %s", MaxPeriodDays, PeriodUsage)
	}
	p := days(midnight(from), n, from.Format(time.DateOnly)+".."+last.Format(time.DateOnly))
	return p, nil
}

// WeekStart is the Monday 00:00 of t's week in t's location: cohorts and
// the NPS trend are calendar weeks, the way a sales team plans.
func WeekStart(t time.Time) time.Time {
	d := midnight(t)
	back := (int(d.Weekday()) + 6) % 7 // Monday = 0
	return d.AddDate(0, 0, -back)
}

// Ratio is a share with the numbers it is made of, so a report can say
// "45% (9/20)" and a test can check both.
type Ratio struct{ Num, Den int }

// Percent is 100*Num/Den; ok is false when Den is 0 (no base to compare).
func (r Ratio) Percent() (p float64, ok bool) {
	if r.Den == 0 {
		return 0, false
	}
	return 100 * float64(r.Num) / float64(r.Den), true
}

// String is "45%" rounded to a whole percent (one decimal below 10%), or
// "—" without a base.
func (r Ratio) String() string {
	p, ok := r.Percent()
	if !ok {
		return "—"
	}
	return FormatPercent(p)
}

// FormatPercent writes a percentage as people read it on a phone: whole
// numbers, one decimal under 10 so that 0.4% does not show as 0%.
func FormatPercent(p float64) string {
	if p != 0 && math.Abs(p) < 10 {
		return strconv.FormatFloat(math.Round(p*10)/10, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

// Change is the relative change from prev to cur in percent; ok is false
// when prev is 0, where a percentage means nothing.
func Change(cur, prev float64) (pct float64, ok bool) {
	if prev == 0 {
		return 0, false
	}
	return 100 * (cur - prev) / prev, true
}

// NPS categories of a 0-10 answer.
const (
	Promoter  = "promoter"  // 9-10
	Passive   = "passive"   // 7-8
	Detractor = "detractor" // 0-6
)

// NPSCategory buckets a 0-10 score; "" for anything outside 0-10.
func NPSCategory(score int) string {
	switch {
	case score < 0 || score > 10:
		return ""
	case score >= 9:
		return Promoter
	case score >= 7:
		return Passive
	default:
		return Detractor
	}
}

// NPSCounts are answers by category.
type NPSCounts struct{ Promoters, Passives, Detractors int }

// Responses is every answer counted.
func (c NPSCounts) Responses() int { return c.Promoters + c.Passives + c.Detractors }

// Score is %promoters − %detractors, from −100 to 100; ok is false without
// answers. It is not rounded: rendering rounds.
func (c NPSCounts) Score() (score float64, ok bool) {
	n := c.Responses()
	if n == 0 {
		return 0, false
	}
	return 100 * float64(c.Promoters-c.Detractors) / float64(n), true
}

// Add counts one score; scores outside 0-10 are ignored.
func (c *NPSCounts) Add(score int) {
	switch NPSCategory(score) {
	case Promoter:
		c.Promoters++
	case Passive:
		c.Passives++
	case Detractor:
		c.Detractors++
	}
}

// Median is the middle of ds (the mean of the two middle values for an
// even count); ok is false for none. ds is not modified.
func Median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2, true
}

// FormatDuration writes a duration the way a sales team talks about
// response times: "45s", "3m 30s", "12m", "3h 20m", "2d 4h".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < 10*time.Minute:
		// Claims take minutes: "3m 30s" tells a 3-minute SLA apart from a miss.
		d = d.Round(time.Second)
		m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm %ds", m, sec)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		d = d.Round(time.Hour)
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, h)
	}
}

// FunnelStage is one stage of the funnel: how many leads of the period
// reached it, and the conversion from the stage before and from the top.
type FunnelStage struct {
	Name     string
	Count    int
	FromPrev Ratio
	FromTop  Ratio
}

// FunnelStages turns reached counts (top first) into stages with
// conversions. Counts are "reached at least this stage", so each should be
// at most the one before; a count above its predecessor (data written by
// hand) is shown as it is, and its conversion above 100% gives it away.
func FunnelStages(names []string, counts []int) []FunnelStage {
	out := make([]FunnelStage, 0, len(names))
	for i, name := range names {
		st := FunnelStage{Name: name, Count: counts[i]}
		if i > 0 {
			st.FromPrev = Ratio{counts[i], counts[i-1]}
			st.FromTop = Ratio{counts[i], counts[0]}
		}
		out = append(out, st)
	}
	return out
}

// StepCount is what the store counts for one flow step among the leads of
// a period: how many answered it and how many stopped there (the step
// their dialogue waits on, never finished).
type StepCount struct {
	Flow, Step string
	Answered   int
	Stopped    int
}

// StepDrop is one step of the drop-off table.
type StepDrop struct {
	Flow, Step string
	Label      string
	Reached    int   // answered + stopped
	Stopped    int   // quit (or still sit) here
	Drop       Ratio // Stopped of Reached
}

// DropOff turns step counts into the drop-off table, the steps that lose
// most customers first (ties: more reached first, then by id). Steps
// nobody stopped at are kept after them, so the table also shows the path.
// A step id is one row whichever flows ask it (a "budget" question in two
// flows is one "Budget" row), named after the first flow that has it.
func DropOff(counts []StepCount) []StepDrop {
	out := make([]StepDrop, 0, len(counts))
	at := map[string]int{}
	for _, c := range counts {
		reached := c.Answered + c.Stopped
		if reached == 0 {
			continue
		}
		if i, ok := at[c.Step]; ok {
			out[i].Reached += reached
			out[i].Stopped += c.Stopped
			out[i].Drop = Ratio{out[i].Stopped, out[i].Reached}
			if c.Flow < out[i].Flow {
				out[i].Flow = c.Flow
			}
			continue
		}
		at[c.Step] = len(out)
		out = append(out, StepDrop{Flow: c.Flow, Step: c.Step, Label: c.Step,
			Reached: reached, Stopped: c.Stopped, Drop: Ratio{c.Stopped, reached}})
	}
	slices.SortStableFunc(out, func(a, b StepDrop) int {
		if a.Stopped != b.Stopped {
			return b.Stopped - a.Stopped
		}
		if a.Reached != b.Reached {
			return b.Reached - a.Reached
		}
		return strings.Compare(a.Flow+"/"+a.Step, b.Flow+"/"+b.Step)
	})
	return out
}

// CohortWins is what the store counts for a cohort: leads that arrived in
// the week starting Week (local Monday), and how many of them were won in
// each week since (Won[k] = won in week k, week 0 being the arrival week).
type CohortWins struct {
	Week time.Time
	Size int
	Won  map[int]int
}

// Cohort is one row of the cohort table: the cumulative share of the week's
// leads won by the end of each week since arrival. Shares stop at the week
// that is in progress at now, so a young cohort has a shorter row rather
// than zeros that have not happened yet.
type Cohort struct {
	Week   time.Time
	Size   int
	Shares []Ratio
}

// Cohorts builds the cohort rows, oldest first. now is the instant of the
// report; weeks whose start is after now are not shown.
func Cohorts(in []CohortWins, now time.Time) []Cohort {
	out := make([]Cohort, 0, len(in))
	for _, c := range in {
		if c.Week.After(now) {
			continue
		}
		row := Cohort{Week: c.Week, Size: c.Size}
		won := 0
		for k := 0; ; k++ {
			start := c.Week.AddDate(0, 0, 7*k)
			if start.After(now) {
				break
			}
			won += c.Won[k]
			row.Shares = append(row.Shares, Ratio{won, c.Size})
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b Cohort) int { return a.Week.Compare(b.Week) })
	return out
}
