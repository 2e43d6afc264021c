package chart

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCountTicks: a count axis is marked at whole numbers, never "2.50",
// with at most about six marks.
func TestCountTicks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		hi   float64
		want []string
	}{
		{1.35, []string{"0", "1"}},
		{4, []string{"0", "1", "2", "3", "4"}},
		{33.75, []string{"0", "10", "20", "30"}},
		{135, []string{"0", "50", "100"}},
		{13500, []string{"0", "5000", "10000"}},
	} {
		var got []string
		for _, tk := range (countTicks{}).Ticks(0, c.hi) {
			got = append(got, tk.Label)
			_, err := strconv.Atoi(tk.Label)
			assert.NoError(t, err, "%v: %q", c.hi, tk.Label)
		}
		assert.Equal(t, c.want, got, "0..%v", c.hi)
	}
}

func TestScaleTop(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 20.0, scaleTop(18))
	assert.Equal(t, 5.0, scaleTop(0))
	assert.Equal(t, 5.0, scaleTop(2))
	assert.Equal(t, 100.0, scaleTop(100))
}
