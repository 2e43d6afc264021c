package slack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Minute:                    "just now",
		59 * time.Second:                "just now",
		time.Minute:                     "1 min",
		59*time.Minute + 59*time.Second: "59 min",
		time.Hour:                       "1 h",
		2*time.Hour + 5*time.Minute:     "2 h 5 min",
		24 * time.Hour:                  "1 d",
		76 * time.Hour:                  "3 d 4 h",
	} {
		require.Equal(t, want, humanDuration(d), d.String())
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	require.Equal(t, "14:05", clock(testNow.Add(-12*time.Minute), testNow, moscow))
	require.Equal(t, "1 Mar 14:17", clock(testNow.Add(-24*time.Hour), testNow, moscow))
	require.Equal(t, "2 Mar 2025 14:17", clock(testNow.AddDate(-1, 0, 0), testNow, moscow))
}

func TestGroupDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		min  int
		want string
	}{
		{"1500000", 5, "1 500 000"},
		{"150000.5", 5, "150 000.5"},
		{"-12345", 5, "-12 345"},
		{"2026", 5, "2026"},
		{"1500", 4, "1 500"},
		{"+79991234567", 5, "+79991234567"},
		{"12 345", 5, "12 345"},
		{"abc", 5, "abc"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, groupDigits(tt.in, tt.min), tt.in)
	}
	require.Equal(t, "150 000", formatAmount(150000))
	require.Equal(t, "1 234.57", formatAmount(1234.567))
	require.Equal(t, "99.9", formatAmount(99.9))
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	require.Equal(t, "абв", truncate("абв", 3))
	require.Equal(t, "аб…", truncate("абвг", 3))
	require.Equal(t, "", truncate("абвг", 0))
	require.Equal(t, "а", truncateBytes("аб", 3), "never splits a rune")
}

func TestMention(t *testing.T) {
	t.Parallel()
	require.Equal(t, "<@U0ANNA>", mention(crm.Manager{Name: "Anna", SlackID: "U0ANNA"}))
	require.Equal(t, "<@W0ENTERPRISE1>", mention(crm.Manager{SlackID: "W0ENTERPRISE1"}))
	require.Equal(t, "Anna", mention(crm.Manager{Name: "Anna", SlackID: "<!channel>"}), "a malformed id is not put in a mention")
	require.Equal(t, "someone on the team", mention(crm.Manager{}))
}

func TestTelegramURL(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://t.me/ivan_p", telegramURL(crm.Contact{Username: "@ivan_p", TelegramUserID: 1}))
	require.Equal(t, "tg://user?id=1", telegramURL(crm.Contact{Username: "bad name", TelegramUserID: 1}))
	require.Equal(t, "", telegramURL(crm.Contact{}))
}
