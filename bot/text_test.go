package bot_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
)

// TestStorableText: what PostgreSQL's text refuses goes, the rest stays.
func TestStorableText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                   "",
		"Anna":               "Anna",
		"Анна 🙂":             "Анна 🙂",
		"An\x00na":           "Anna",
		"\x00\x00":           "",
		"ok\xffthen":         "ok\uFFFDthen",
		"\xc3\x28\x00tail":   "\uFFFD(tail",
		"emoji \xf0\x9f\x99": "emoji \uFFFD",
	} {
		require.Equal(t, want, bot.StorableText(in), "%q", in)
	}
}

func FuzzStorableText(f *testing.F) {
	f.Add("An\x00na")
	f.Add("ok\xffthen")
	f.Fuzz(func(t *testing.T, s string) {
		got := bot.StorableText(s)
		require.NotContains(t, got, "\x00")
		require.True(t, utf8.ValidString(got))
		require.Equal(t, got, bot.StorableText(got), "idempotent")
	})
}
