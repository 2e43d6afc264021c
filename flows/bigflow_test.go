package flows

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLintIsLinearInSteps: loading 4 times the steps with conditions
// allocates about 4 times as much (it was 16 times: every condition
// rebuilt the table of every step, twice).
func TestLintIsLinearInSteps(t *testing.T) {
	alloc := func(n int) uint64 {
		data := bigFlow(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Parse("big.yaml", data)
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(250), alloc(1000)
	assert.Less(t, float64(large)/float64(small), 6.0, "250 steps: %d bytes, 1000 steps: %d bytes", small, large)
}

// bigFlow is a valid flow of n text steps, each with a score_when and a
// next_when naming the step before it, and an end.
func bigFlow(n int) []byte {
	var b strings.Builder
	b.WriteString("id: big\nversion: 1\nlanguages: [en]\nthresholds: {hot: 2, warm: 1}\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: s%d\n    kind: text\n    ask: {en: \"Question %d?\"}\n", i, i)
		prev := "value"
		if i > 0 {
			prev = fmt.Sprintf("s%d", i-1)
		}
		fmt.Fprintf(&b, "    score_when: [{if: 'len(%s) > 3 && value != \"\"', score: 1}]\n", prev)
		next := fmt.Sprintf("s%d", i+1)
		if i == n-1 {
			next = "done"
		}
		fmt.Fprintf(&b, "    next_when: [{if: 'score > 1000000', goto: %s}]\n    next: %s\n", next, next)
	}
	b.WriteString("  - id: done\n    kind: end\n    say: {en: \"Bye\"}\n")
	return []byte(b.String())
}

// BenchmarkLint10000Steps: lint and load of 10,000 steps with 20,000
// conditions; it must take well under 2 s.
func BenchmarkLint10000Steps(b *testing.B) {
	data := bigFlow(10000)
	b.ReportAllocs()
	for range b.N {
		if _, err := Parse("big.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
