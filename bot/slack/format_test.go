package slack

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

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
	require.Equal(t, "—", mention(crm.Manager{}), "no words of either language")
}

func TestTelegramURL(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://t.me/ivan_p", telegramURL(crm.Contact{Username: "@ivan_p", TelegramUserID: 1}))
	require.Equal(t, "tg://user?id=1", telegramURL(crm.Contact{Username: "bad name", TelegramUserID: 1}))
	require.Equal(t, "", telegramURL(crm.Contact{}))
}
