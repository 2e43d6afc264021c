package flows

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// choiceFlow is a flow whose step "pick" (line 7) has n options.
func choiceFlow(kind string, n int, optional bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id: wide\nversion: 1\nlanguages: [en]\nthresholds: {hot: 2, warm: 1}\nsteps:\n  - id: pick\n    options:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - {id: o%d, text: {en: \"Option %d\"}, score: 2}\n", i, i)
	}
	fmt.Fprintf(&b, "    kind: %s\n    optional: %v\n    ask: {en: \"Which?\"}\n    next: done\n  - {id: done, kind: end, say: {en: Bye}}\n", kind, optional)
	return b.String()
}

// TestKeyboardsTelegramRefuses: a question may have at most 100 inline
// buttons, counting Done and Skip.
func TestKeyboardsTelegramRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind     string
		options  int
		optional bool
		want     string // "" when the flow is valid
	}{
		{KindChoice, 100, false, ""},
		{KindChoice, 101, false, "101 options make 101 buttons, over Telegram's 100 per message"},
		{KindChoice, 200, false, "200 options make 200 buttons"},
		{KindChoice, 20000, false, "20000 options make 20000 buttons"},
		{KindChoice, 99, true, ""},
		{KindChoice, 100, true, "100 options plus Skip make 101 buttons"},
		{KindMulti, 99, false, ""},
		{KindMulti, 100, false, "100 options plus Done make 101 buttons"},
		{KindMulti, 98, true, ""},
		{KindMulti, 99, true, "99 options plus Done and Skip make 101 buttons"},
	} {
		name := fmt.Sprintf("%s/%d/optional=%v", c.kind, c.options, c.optional)
		f, err := Parse("wide.yaml", []byte(choiceFlow(c.kind, c.options, c.optional)))
		if c.want == "" {
			require.NoError(t, err, name)
			r := Begin(f, "en", "")
			n := 0
			for _, p := range r.Prompts {
				for _, row := range p.Choices {
					n += len(row)
				}
			}
			assert.Equal(t, maxButtons, n, name)
			continue
		}
		var ps Problems
		require.True(t, errors.As(err, &ps), "%s passed lint", name)
		require.Len(t, ps, 1, "%s: %v", name, err)
		assert.True(t, strings.HasPrefix(ps[0].String(), "wide.yaml:7: step pick: "+c.want), "%s: %s", name, ps[0])
		assert.Contains(t, ps[0].Msg, c.want, name)
		assert.Equal(t, 7, ps[0].Line, name)
	}
}
