package crm_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

func TestParseCallback(t *testing.T) {
	t.Parallel()
	moscow, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	// Friday 4 December 2026, 16:20 in Moscow (13:20 UTC).
	fri := time.Date(2026, 12, 4, 13, 20, 0, 0, time.UTC)
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	for _, tc := range []struct {
		text string
		now  time.Time
		loc  *time.Location
		want time.Time // zero: invalid
	}{
		{"tomorrow 15:00", fri, moscow, at(moscow, 2026, 12, 5, 15, 0)},
		{"Tomorrow 9:05", fri, moscow, at(moscow, 2026, 12, 5, 9, 5)},
		{"завтра 15:00", fri, moscow, at(moscow, 2026, 12, 5, 15, 0)},
		{"today 18:30", fri, moscow, at(moscow, 2026, 12, 4, 18, 30)},
		{"сегодня 18.30", fri, moscow, at(moscow, 2026, 12, 4, 18, 30)},
		{"18:30", fri, moscow, at(moscow, 2026, 12, 4, 18, 30)},
		{"mon 10:00", fri, moscow, at(moscow, 2026, 12, 7, 10, 0)},
		{"пн 10:00", fri, moscow, at(moscow, 2026, 12, 7, 10, 0)},
		{"fri 10:00", fri, moscow, at(moscow, 2026, 12, 11, 10, 0)}, // the next Friday, not today
		{"25.12 11:00", fri, moscow, at(moscow, 2026, 12, 25, 11, 0)},
		{"02.01 11:00", fri, moscow, at(moscow, 2027, 1, 2, 11, 0)}, // passed this year: next year's
		{"25.12.2026 11:00", fri, moscow, at(moscow, 2026, 12, 25, 11, 0)},
		{"2026-12-25 11:00", fri, moscow, at(moscow, 2026, 12, 25, 11, 0)},
		{"in 2h", fri, moscow, fri.Add(2 * time.Hour)},
		{"in 30m", fri, moscow, fri.Add(30 * time.Minute)},
		{"in 1d", fri, moscow, fri.Add(24 * time.Hour)},
		{"+90m", fri, moscow, fri.Add(90 * time.Minute)},
		{"через 2ч", fri, moscow, fri.Add(2 * time.Hour)},
		// The rep's zone decides: 15:00 tomorrow in Berlin is 17:00 in Moscow.
		{"tomorrow 15:00", fri, berlin, at(berlin, 2026, 12, 5, 15, 0)},
		// Across a DST change: Berlin's clocks go forward on 29 March 2026.
		{"tomorrow 10:00", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), berlin, time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)},
		{"today 16:00", fri, moscow, time.Time{}},    // passed
		{"16:19", fri, moscow, time.Time{}},          // passed
		{"tomorrow", fri, moscow, time.Time{}},       // no time
		{"tomorrow 25:00", fri, moscow, time.Time{}}, // no such hour
		{"31.02 10:00", fri, moscow, time.Time{}},    // no such day
		{"in -2h", fri, moscow, time.Time{}},         // backwards
		{"in 400d", fri, moscow, time.Time{}},        // too far
		{"someday 10:00", fri, moscow, time.Time{}},  // not a day
		{"", fri, moscow, time.Time{}},               // nothing
		{"tomorrow 15:00 please", fri, moscow, time.Time{}},
	} {
		got, err := crm.ParseCallback(tc.text, tc.now, tc.loc)
		if tc.want.IsZero() {
			require.Error(t, err, "%q", tc.text)
			require.Equal(t, crm.EINVALID, crm.ErrorCode(err), "%q", tc.text)
			require.Contains(t, crm.ErrorMessage(err), "tomorrow 15:00", "%q: the error shows how", tc.text)
			continue
		}
		require.NoError(t, err, "%q", tc.text)
		require.True(t, tc.want.Equal(got), "%q: want %s, got %s", tc.text, tc.want, got)
	}
}

// TestCallbackChoicesParse: every quick choice of the button (and of
// Slack's menu, drawn once and picked any time) is a text ParseCallback
// reads back, in the future, at any hour of the week.
func TestCallbackChoicesParse(t *testing.T) {
	t.Parallel()
	moscow, _ := time.LoadLocation("Europe/Moscow")
	for h := 0; h < 24*7; h += 5 {
		now := time.Date(2026, 12, 6, 0, 0, 0, 0, moscow).Add(time.Duration(h) * time.Hour)
		for _, c := range append(crm.CallbackChoices(now, moscow), crm.CallbackPresets()...) {
			due, err := crm.ParseCallback(c, now, moscow)
			require.NoError(t, err, "%s at %s", c, now)
			require.True(t, due.After(now))
		}
	}
}

// TestDigestWindow: the window runs from the previous digest, so with a
// Monday-Friday schedule Monday's digest covers Friday, Saturday and
// Sunday; the first digest covers yesterday and today so far.
func TestDigestWindow(t *testing.T) {
	t.Parallel()
	moscow, _ := time.LoadLocation("Europe/Moscow")
	fri10 := time.Date(2026, 12, 4, 10, 0, 0, 0, moscow)
	mon10 := time.Date(2026, 12, 7, 10, 0, 0, 0, moscow)
	for _, tc := range []struct {
		name     string
		prev     *time.Time
		now      time.Time
		from, to time.Time
	}{
		{"after a weekend", &fri10, mon10, fri10, mon10},
		{"next day", &mon10, mon10.AddDate(0, 0, 1), mon10, mon10.AddDate(0, 0, 1)},
		{"first ever", nil, mon10, time.Date(2026, 12, 6, 0, 0, 0, 0, moscow), mon10},
		{"clock behind the last one", &mon10, fri10, time.Date(2026, 12, 3, 0, 0, 0, 0, moscow), fri10},
	} {
		from, to := crm.DigestWindow(tc.prev, tc.now, moscow)
		require.True(t, tc.from.Equal(from), "%s: from %s, want %s", tc.name, from, tc.from)
		require.True(t, tc.to.Equal(to), "%s: to", tc.name)
	}
}

func TestMayAssignAndUnclaim(t *testing.T) {
	t.Parallel()
	rep := crm.Manager{ID: 2, Role: crm.RoleRep}
	head := crm.Manager{ID: 1, Role: crm.RoleHead}
	admin := crm.Manager{ID: 3, Role: crm.RoleAdmin}
	for _, tc := range []struct {
		by      crm.Manager
		owner   int64
		assign  bool
		unclaim bool
	}{
		{rep, 2, false, true},
		{rep, 5, false, false},
		{rep, 0, false, false},
		{head, 5, true, true},
		{admin, 5, true, true},
	} {
		require.Equal(t, tc.assign, crm.MayAssign(tc.by), "%+v", tc)
		require.Equal(t, tc.unclaim, crm.MayUnclaim(tc.by, tc.owner), "%+v", tc)
	}
}

func TestFindManager(t *testing.T) {
	t.Parallel()
	team := []crm.Manager{
		{ID: 1, Name: "Anna Head", SlackID: "U0ANNA", TelegramID: 1001},
		{ID: 2, Name: "Boris Rep", SlackID: "U0BORIS", TelegramID: 1002},
		{ID: 3, Name: "Boris Second", TelegramID: 1003},
	}
	for _, tc := range []struct {
		name string
		want int64 // 0: EINVALID
	}{
		{"Anna Head", 1}, {"anna", 1}, {"@anna", 1}, {"u0anna", 1}, {"1002", 2},
		{"boris rep", 2}, {"Boris S", 3}, {"boris", 0}, {"olga", 0}, {"", 0},
	} {
		m, err := crm.FindManager(team, tc.name)
		if tc.want == 0 {
			require.Equal(t, crm.EINVALID, crm.ErrorCode(err), "%q", tc.name)
			require.Contains(t, crm.ErrorMessage(err), "Anna Head, Boris Rep, Boris Second", "%q lists the team", tc.name)
			continue
		}
		require.NoError(t, err, "%q", tc.name)
		require.Equal(t, tc.want, m.ID, "%q", tc.name)
	}
}
