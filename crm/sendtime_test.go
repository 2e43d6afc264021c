package crm_test

import (
	"math"
	"testing"
	"time"

	"github.com/voronka/voronka/crm"
)

func TestBestHourOfWeekAroundMidnight(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	at := func(day int, h, m int) time.Time {
		return mon.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	for _, tc := range []struct {
		name    string
		moments []time.Time
		hour    float64
		ok      bool
	}{
		{"Sunday 23:30 and Monday 00:30 average to Monday midnight, not Thursday",
			[]time.Time{at(6, 23, 30), at(0, 0, 30), at(6, 23, 30), at(0, 0, 30)}, 0, true},
		{"Tuesday evenings", []time.Time{at(1, 19, 0), at(1, 20, 0), at(1, 21, 0)}, 24 + 20, true},
		{"too few", []time.Time{at(1, 19, 0), at(1, 20, 0)}, 0, false},
		{"spread evenly", []time.Time{at(0, 0, 0), at(1, 18, 0), at(3, 12, 0), at(5, 6, 0)}, 0, false},
	} {
		h, ok := crm.BestHourOfWeek(tc.moments, time.UTC)
		d := math.Mod(math.Abs(h-tc.hour), 168)
		if ok != tc.ok || (ok && math.Min(d, 168-d) > 0.01) {
			t.Errorf("%s: %.2f %v, want %.2f %v", tc.name, h, ok, tc.hour, tc.ok)
		}
	}
}

func TestPlanSendTime(t *testing.T) {
	t.Parallel()
	quiet, _ := crm.ParseQuietHours("21:00", "09:00")
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // Monday noon
	evenings := []time.Time{now.Add(-7*24*time.Hour + 7*time.Hour), now.Add(-14*24*time.Hour + 7*time.Hour), now.Add(-21*24*time.Hour + 7*time.Hour)}
	nights := []time.Time{now.Add(-7*24*time.Hour + 13*time.Hour), now.Add(-14*24*time.Hour + 13*time.Hour), now.Add(-21*24*time.Hour + 13*time.Hour)}
	for _, tc := range []struct {
		name              string
		best              bool
		own, segment, all []time.Time
		at                time.Time
		timing            string
	}{
		{"off: now", false, evenings, nil, nil, now, crm.TimingNow},
		{"own evening", true, evenings, nil, nil, now.Add(7 * time.Hour), crm.TimingBest},
		{"segment when own is thin", true, evenings[:1], evenings, nil, now.Add(7 * time.Hour), crm.TimingBest},
		{"everyone's last", true, nil, nil, evenings, now.Add(7 * time.Hour), crm.TimingBest},
		{"a night owl waits for the morning", true, nights, nil, nil, now.Add(21 * time.Hour), crm.TimingBest},
		{"no history: now", true, nil, nil, nil, now, crm.TimingNow},
	} {
		p := crm.PlanSendTime(now, time.UTC, quiet, tc.best, 0, "k", tc.own, tc.segment, tc.all)
		if !p.At.Equal(tc.at) || p.Timing != tc.timing {
			t.Errorf("%s: %s %s, want %s %s", tc.name, p.At, p.Timing, tc.at, tc.timing)
		}
	}
	random := 0
	for i := range 2000 {
		p := crm.PlanSendTime(now, time.UTC, quiet, true, 0.1, string(rune('a'+i%26))+time.Duration(i).String(), evenings, nil, nil)
		if quiet.Quiet(p.At) {
			t.Fatalf("planned inside quiet hours: %s", p.At)
		}
		if p.Timing == crm.TimingRandom {
			random++
		}
	}
	if random < 140 || random > 260 {
		t.Errorf("%d of 2000 random, want about 10%%", random)
	}
}
