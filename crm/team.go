package crm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Role is what a member of the sales team may do.
type Role string

const (
	RoleRep   Role = "rep"   // works leads
	RoleHead  Role = "head"  // works leads, is mentioned on SLA breaches, sees everything
	RoleAdmin Role = "admin" // sees everything; takes no leads by routing
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleRep || r == RoleHead || r == RoleAdmin }

// Manager is a member of the sales team, as configured. The configuration
// is the source; it is mirrored into PostgreSQL at start so that leads and
// events can refer to a manager by id.
type Manager struct {
	ID   int64
	Name string
	// CustomerName is how customers are told of the member («Анна из
	// нашей команды…») and signs their messages to customers; Name (the
	// team's own, Anna Head) when empty.
	CustomerName string
	Role         Role
	SlackID      string
	TelegramID   int64
	// OnDuty is the switch for someone without working hours. With Hours
	// set, Hours decide.
	OnDuty   bool
	Hours    Hours
	TimeZone string // IANA; empty means the configured default
	MaxOpen  int    // open leads at most; 0 means no limit
	// Language is the language the member reads cards, reports and
	// buttons in ("ru", "en"); empty means the team's default.
	Language string
}

// NameForCustomers is how a customer is told of m.
func (m Manager) NameForCustomers() string {
	if m.CustomerName != "" {
		return m.CustomerName
	}
	return m.Name
}

// TakesLeads reports whether routing may give m a lead at now, with open
// leads already in hand.
func (m Manager) TakesLeads(now time.Time, open int, defaultTZ *time.Location) bool {
	if m.Role == RoleAdmin {
		return false
	}
	if m.MaxOpen > 0 && open >= m.MaxOpen {
		return false
	}
	if m.Hours.IsZero() {
		return m.OnDuty
	}
	loc := defaultTZ
	if m.TimeZone != "" {
		if l, err := time.LoadLocation(m.TimeZone); err == nil {
			loc = l
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	return m.Hours.Contains(now.In(loc))
}

// Hours are weekly working hours: a set of weekdays and a daily window.
// A window whose end is before its start runs past midnight.
type Hours struct {
	Days     [7]bool // indexed by time.Weekday
	From, To int     // minutes since midnight
	set      bool
}

// IsZero reports whether no hours were given.
func (h Hours) IsZero() bool { return !h.set }

// Contains reports whether local time t is within the hours.
func (h Hours) Contains(t time.Time) bool {
	if !h.set {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if h.From <= h.To {
		return h.Days[t.Weekday()] && m >= h.From && m < h.To
	}
	// Overnight: the part after From belongs to today, the part before To
	// to the shift that began yesterday.
	if m >= h.From {
		return h.Days[t.Weekday()]
	}
	return m < h.To && h.Days[(t.Weekday()+6)%7]
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseHours reads "Mon-Fri 09:00-18:00", "Mon,Wed,Fri 10:00-16:00" or
// "Sat-Sun 22:00-06:00". Days are English three-letter names.
func ParseHours(s string) (Hours, error) {
	var h Hours
	days, window, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return h, fmt.Errorf("hours %q: want days and a window, like \"Mon-Fri 09:00-18:00\"", s)
	}
	for _, part := range strings.Split(days, ",") {
		from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(part)), "-")
		a, okA := weekdays[from]
		if !okA {
			return h, fmt.Errorf("hours %q: unknown day %q", s, from)
		}
		if !isRange {
			h.Days[a] = true
			continue
		}
		b, okB := weekdays[to]
		if !okB {
			return h, fmt.Errorf("hours %q: unknown day %q", s, to)
		}
		for d := a; ; d = (d + 1) % 7 {
			h.Days[d] = true
			if d == b {
				break
			}
		}
	}
	start, end, ok := strings.Cut(strings.TrimSpace(window), "-")
	if !ok {
		return h, fmt.Errorf("hours %q: want a window like 09:00-18:00", s)
	}
	var err error
	if h.From, err = clockMinutes(start); err != nil {
		return h, fmt.Errorf("hours %q: %w", s, err)
	}
	if h.To, err = clockMinutes(end); err != nil {
		return h, fmt.Errorf("hours %q: %w", s, err)
	}
	if h.From == h.To {
		return h, fmt.Errorf("hours %q: the window is empty", s)
	}
	h.set = true
	return h, nil
}

func clockMinutes(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time like 09:00", s)
	}
	return h*60 + m, nil
}
