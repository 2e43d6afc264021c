package crm

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestQuietHours(t *testing.T) {
	t.Parallel()
	q, err := ParseQuietHours("21:00", "09:00")
	if err != nil {
		t.Fatal(err)
	}
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	tests := []struct {
		at    time.Time
		quiet bool
		next  time.Time
	}{
		{day(12, 0), false, day(12, 0)},
		{day(20, 59), false, day(20, 59)},
		{day(21, 0), true, day(9, 0).AddDate(0, 0, 1)},
		{day(23, 30), true, day(9, 0).AddDate(0, 0, 1)},
		{day(3, 0), true, day(9, 0)},
		{day(9, 0), false, day(9, 0)},
	}
	for _, tt := range tests {
		if got := q.Quiet(tt.at); got != tt.quiet {
			t.Errorf("Quiet(%s) = %v", tt.at.Format("15:04"), got)
		}
		if got := q.NextAllowed(tt.at); !got.Equal(tt.next) {
			t.Errorf("NextAllowed(%s) = %s, want %s", tt.at.Format("15:04"), got, tt.next)
		}
	}
	day9to5, _ := ParseQuietHours("09:00", "17:00")
	if !day9to5.Quiet(day(12, 0)) || day9to5.Quiet(day(18, 0)) {
		t.Error("a window within one day")
	}
	none, err := ParseQuietHours("", "")
	if err != nil || none.Quiet(day(3, 0)) {
		t.Error("no quiet hours is never quiet")
	}
	for _, bad := range [][2]string{{"21:00", ""}, {"25:00", "09:00"}, {"09:00", "09:00"}} {
		if _, err := ParseQuietHours(bad[0], bad[1]); err == nil {
			t.Errorf("ParseQuietHours(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

type blockedErr struct{}

func (blockedErr) Error() string { return "forbidden" }
func (blockedErr) Blocked() bool { return true }

func TestBlocked(t *testing.T) {
	t.Parallel()
	if !blocked(fmt.Errorf("send: %w", blockedErr{})) {
		t.Error("a wrapped Blocked() error")
	}
	if blocked(errors.New("timeout")) || blocked(nil) {
		t.Error("other errors are not blocks")
	}
}

func TestFollowupPolicyPerFlow(t *testing.T) {
	t.Parallel()
	p := EngagementPolicy{Followups: FollowupPolicy{NudgeAfter: time.Hour, MaxNudges: 2},
		FlowFollowups: map[string]FollowupPolicy{"vip": {NudgeAfter: 10 * time.Minute, MaxNudges: 1}}}
	if p.followupsOf("vip").NudgeAfter != 10*time.Minute || p.followupsOf("qualify").NudgeAfter != time.Hour {
		t.Error("a flow's own policy replaces the configured one")
	}
	moscow, _ := time.LoadLocation("Europe/Moscow")
	p.TimeZone = moscow
	at := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	if got := p.localTime(at, "").Hour(); got != 23 {
		t.Errorf("default zone: %d", got)
	}
	if got := p.localTime(at, "Asia/Vladivostok").Hour(); got != 6 {
		t.Errorf("the contact's zone: %d", got)
	}
}
