package crm

import (
	"strconv"
	"strings"
	"time"
)

// Callback is a rep's promise to call a customer back at a time: the rep
// is reminded then, with the lead's card. A lead has at most one pending
// call-back; scheduling another replaces it.
type Callback struct {
	ID        int64
	LeadID    int64
	ManagerID int64
	DueAt     time.Time
	CreatedAt time.Time
}

// CallbackUsage is what a rep is told when a call-back time does not parse.
const CallbackUsage = "say when, in your time zone: tomorrow 15:00, today 18:30, fri 10:00, 25.12 11:00, 2026-12-25 11:00, in 2h, in 30m"

// MaxCallbackAhead bounds a call-back: a date a year away is a typo.
const MaxCallbackAhead = 366 * 24 * time.Hour

// ParseCallback reads when a rep wants to call back, in the rep's time
// zone loc at now: "tomorrow 15:00", "today 18:30", a weekday ("fri 10:00",
// the next one after now), a date ("25.12 11:00", "25.12.2026 11:00",
// "2026-12-25 11:00"), or a delay ("in 2h", "in 30m", "in 1d", "+2h").
// Russian words work too ("завтра 15:00", "сегодня", "пт", "через 2ч").
// The time must be after now and within MaxCallbackAhead. A wall time
// that a DST change skips is moved forward by the gap, as time.Date does.
func ParseCallback(text string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	fields := strings.Fields(strings.ToLower(strings.TrimSpace(text)))
	bad := func(why string) (time.Time, error) {
		if why != "" {
			why += "; "
		}
		return time.Time{}, Errorf(EINVALID, "%s%s", why, CallbackUsage)
	}
	if len(fields) == 0 {
		return bad("")
	}
	local := now.In(loc)
	var due time.Time
	switch {
	case fields[0] == "in" || fields[0] == "через" || strings.HasPrefix(fields[0], "+"):
		spec := strings.TrimPrefix(strings.Join(fields, ""), "+")
		spec = strings.TrimPrefix(strings.TrimPrefix(spec, "in"), "через")
		d, ok := parseDelay(spec)
		if !ok {
			return bad("")
		}
		due = now.Add(d)
	case len(fields) == 1:
		// A time alone means today.
		h, m, ok := parseClock(fields[0])
		if !ok {
			return bad("")
		}
		due = time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc)
	case len(fields) == 2:
		h, m, ok := parseClock(fields[1])
		if !ok {
			return bad("")
		}
		y, mo, d, ok := parseDay(fields[0], local)
		if !ok {
			return bad("")
		}
		due = time.Date(y, mo, d, h, m, 0, 0, loc)
	default:
		return bad("")
	}
	switch {
	case !due.After(now):
		return bad("that time has passed")
	case due.Sub(now) > MaxCallbackAhead:
		return bad("that is more than a year ahead")
	}
	return due, nil
}

// parseDelay reads "2h", "30m", "1d", "1h30m", "2ч", "30мин".
func parseDelay(s string) (time.Duration, bool) {
	r := strings.NewReplacer("мин", "m", "м", "m", "ч", "h", "дн", "d", "д", "d")
	s = r.Replace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, false
		}
		return time.Duration(days) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// parseClock reads "15:00", "9:30", "15.00".
func parseClock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(strings.ReplaceAll(s, ".", ":"), ":")
	if !found || len(ms) != 2 || len(hs) == 0 || len(hs) > 2 {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

var callbackDays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "вс": time.Sunday, "воскресенье": time.Sunday,
	"mon": time.Monday, "monday": time.Monday, "пн": time.Monday, "понедельник": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday, "вт": time.Tuesday, "вторник": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday, "ср": time.Wednesday, "среда": time.Wednesday, "среду": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday, "чт": time.Thursday, "четверг": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "пт": time.Friday, "пятница": time.Friday, "пятницу": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday, "сб": time.Saturday, "суббота": time.Saturday, "субботу": time.Saturday,
}

// parseDay reads the day part: today, tomorrow, a weekday (the next one
// after today), DD.MM (this year, or next when it has passed), DD.MM.YYYY
// or YYYY-MM-DD.
func parseDay(s string, local time.Time) (int, time.Month, int, bool) {
	y, mo, d := local.Date()
	switch s {
	case "today", "сегодня":
		return y, mo, d, true
	case "tomorrow", "завтра":
		t := time.Date(y, mo, d+1, 12, 0, 0, 0, local.Location())
		return t.Year(), t.Month(), t.Day(), true
	}
	if wd, ok := callbackDays[s]; ok {
		ahead := (int(wd) - int(local.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		t := time.Date(y, mo, d+ahead, 12, 0, 0, 0, local.Location())
		return t.Year(), t.Month(), t.Day(), true
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, local.Location()); err == nil {
		return t.Year(), t.Month(), t.Day(), true
	}
	if t, err := time.ParseInLocation("2.1.2006", s, local.Location()); err == nil {
		return t.Year(), t.Month(), t.Day(), true
	}
	if t, err := time.ParseInLocation("2.1", s, local.Location()); err == nil {
		t = time.Date(y, t.Month(), t.Day(), 12, 0, 0, 0, local.Location())
		if t.Month() != mustMonth(s) { // 31.02 rolled into March
			return 0, 0, 0, false
		}
		if t.Before(time.Date(y, mo, d, 0, 0, 0, 0, local.Location())) {
			t = t.AddDate(1, 0, 0)
		}
		return t.Year(), t.Month(), t.Day(), true
	}
	return 0, 0, 0, false
}

// mustMonth is the month number of "DD.MM" as written.
func mustMonth(s string) time.Month {
	_, m, _ := strings.Cut(s, ".")
	n, _ := strconv.Atoi(m)
	return time.Month(n)
}

// CallbackPresets are the quick choices of a card drawn once and pressed
// any time later (Slack's Call back menu): relative or a day ahead, so
// none has passed when it is picked. ParseCallback reads each.
func CallbackPresets() []string {
	return []string{"in 1h", "in 3h", "tomorrow 10:00", "tomorrow 15:00", "mon 10:00"}
}

// CallbackChoices are the quick choices a 'Call back' button offers, in
// the rep's zone at now: in an hour, this evening when it is still ahead,
// tomorrow morning and afternoon, and the next Monday morning. Each is a
// text ParseCallback reads back, so a press and a typed /callback agree.
func CallbackChoices(now time.Time, loc *time.Location) []string {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	out := []string{"in 1h"}
	if local.Hour() < 17 {
		out = append(out, "today 18:00")
	}
	out = append(out, "tomorrow 10:00", "tomorrow 15:00")
	if local.Weekday() != time.Sunday {
		out = append(out, "mon 10:00")
	}
	return out
}
