package crm

import (
	"testing"
	"time"
)

func TestParseHours(t *testing.T) {
	t.Parallel()
	msk, _ := time.LoadLocation("Europe/Moscow")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, msk)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		hours string
		t     string // 2026-11-23 is a Monday
		want  bool
	}{
		{"Mon-Fri 09:00-18:00", "2026-11-23 09:00", true},
		{"Mon-Fri 09:00-18:00", "2026-11-23 08:59", false},
		{"Mon-Fri 09:00-18:00", "2026-11-23 18:00", false},
		{"Mon-Fri 09:00-18:00", "2026-11-28 12:00", false}, // Saturday
		{"Mon,Wed 10:00-12:00", "2026-11-25 11:00", true},
		{"Mon,Wed 10:00-12:00", "2026-11-24 11:00", false},
		{"Fri-Mon 10:00-12:00", "2026-11-29 11:00", true}, // Sunday, range wraps the week
		{"Mon 22:00-06:00", "2026-11-23 23:30", true},
		{"Mon 22:00-06:00", "2026-11-24 05:59", true}, // Tuesday early: Monday's shift
		{"Mon 22:00-06:00", "2026-11-23 05:00", false},
		{"Sat-Sun 00:00-24:00", "2026-11-29 23:59", true},
	}
	for _, tt := range tests {
		h, err := ParseHours(tt.hours)
		if err != nil {
			t.Fatalf("ParseHours(%q): %v", tt.hours, err)
		}
		if got := h.Contains(at(tt.t)); got != tt.want {
			t.Errorf("%q contains %s = %v, want %v", tt.hours, tt.t, got, tt.want)
		}
	}
	for _, bad := range []string{"", "Mon-Fri", "Funday 09:00-10:00", "Mon 9-10", "Mon 10:00-10:00", "Mon 25:00-26:00"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
}

func TestPick(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // Monday noon
	office, _ := ParseHours("Mon-Fri 09:00-18:00")
	night, _ := ParseHours("Mon-Fri 22:00-06:00")
	team := []Manager{
		{ID: 1, Name: "Anna", Role: RoleHead, OnDuty: true},
		{ID: 2, Name: "Boris", Role: RoleRep, Hours: office, MaxOpen: 2},
		{ID: 3, Name: "Vera", Role: RoleRep, Hours: night},
		{ID: 4, Name: "Gleb", Role: RoleRep, OnDuty: true},
		{ID: 5, Name: "Olga", Role: RoleAdmin, OnDuty: true},
		{ID: 6, Name: "Ivan", Role: RoleRep, OnDuty: false},
	}
	tests := []struct {
		name     string
		strategy Strategy
		load     map[int64]int
		last     int64
		previous int64
		want     int64 // 0: nobody
	}{
		{"first claim assigns nobody", FirstClaim, nil, 0, 0, 0},
		{"round robin starts at the lowest id", RoundRobin, nil, 0, 0, 1},
		{"round robin goes on after the last", RoundRobin, nil, 1, 0, 2},
		{"round robin skips the off-duty and admins", RoundRobin, nil, 2, 0, 4},
		{"round robin wraps", RoundRobin, nil, 4, 0, 1},
		{"round robin skips a rep at the limit", RoundRobin, map[int64]int{2: 2}, 1, 0, 4},
		{"least loaded", LeastLoaded, map[int64]int{1: 3, 2: 1, 4: 2}, 0, 0, 2},
		{"least loaded ties to the lower id", LeastLoaded, map[int64]int{1: 1, 2: 1, 4: 1}, 0, 0, 1},
		{"sticky keeps the previous rep", Sticky, map[int64]int{4: 9}, 0, 4, 4},
		{"sticky falls back to least loaded when the previous is off", Sticky, map[int64]int{1: 2, 2: 0}, 0, 3, 2},
	}
	for _, tt := range tests {
		got, ok := Pick(tt.strategy, team, tt.load, tt.last, tt.previous, now, time.UTC)
		if (tt.want == 0) != !ok || (ok && got.ID != tt.want) {
			t.Errorf("%s: got %d (ok %v), want %d", tt.name, got.ID, ok, tt.want)
		}
	}
	offDuty := []Manager{{ID: 2, Role: RoleRep, Hours: office}, {ID: 6, Role: RoleRep}}
	if _, ok := Pick(LeastLoaded, offDuty, nil, 0, 0, now.Add(10*time.Hour), time.UTC); ok {
		t.Error("nobody is on duty at 22:00, yet someone was picked")
	}
}

func TestAlertJobs(t *testing.T) {
	t.Parallel()
	if got := AlertJobs(7, StageQualified, Hot); len(got) != 1 || got[0] != (Job{Kind: JobSalesAlert, LeadID: 7}) {
		t.Fatalf("a qualified hot lead: %v", got)
	}
	for _, c := range []struct {
		s Stage
		t Temperature
	}{{StageQualifying, Hot}, {StageQualified, Warm}, {StageQualified, Cold}} {
		if got := AlertJobs(7, c.s, c.t); got != nil {
			t.Errorf("%s %s: %v", c.s, c.t, got)
		}
	}
}
