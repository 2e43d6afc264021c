package crm_test

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voronka/voronka/crm"
)

func TestWilson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 0, 0, 1},
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{50, 1000, 0.0382, 0.0653},
	} {
		lo, hi := crm.Wilson(tc.k, tc.n)
		if math.Abs(lo-tc.lo) > 1e-3 || math.Abs(hi-tc.hi) > 1e-3 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestProbBeats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kA, nA, kB, nB int
		lo, hi         float64
	}{
		{10, 100, 10, 100, 0.49, 0.51},
		{10, 100, 20, 100, 0.95, 0.99},
		{20, 100, 10, 100, 0.01, 0.05},
		{0, 0, 0, 0, 0.49, 0.51},
	} {
		if p := crm.ProbBeats(tc.kA, tc.nA, tc.kB, tc.nB); p < tc.lo || p > tc.hi {
			t.Errorf("ProbBeats(%v) = %.3f, want in [%.2f, %.2f]", tc, p, tc.lo, tc.hi)
		}
	}
}

func TestSampleRatioMismatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		obs, w []int
		flag   bool
		p      float64 // want p within 1e-3 when > 0
	}{
		{[]int{500, 500}, []int{50, 50}, false, 1},
		{[]int{5000, 5400}, []int{50, 50}, true, 0},
		{[]int{820, 180}, []int{80, 20}, false, 0},
		{[]int{1000, 1000}, []int{80, 20}, true, 0},
		{[]int{510, 490}, []int{1, 1}, false, 0.5271}, // chi2 = 0.4, df 1
		{[]int{10}, []int{1}, false, 1},
	} {
		p := crm.SampleRatioMismatch(tc.obs, tc.w)
		if (p < 0.01) != tc.flag {
			t.Errorf("SRM(%v, %v) p = %g, flag want %v", tc.obs, tc.w, p, tc.flag)
		}
		if tc.p > 0 && math.Abs(p-tc.p) > 1e-3 {
			t.Errorf("SRM(%v, %v) p = %.4f, want %.4f", tc.obs, tc.w, p, tc.p)
		}
	}
}

func TestAssignVariantIsStickyAndWeighted(t *testing.T) {
	t.Parallel()
	vs := []crm.Variant{{ID: "a", Weight: 80}, {ID: "b", Weight: 20}}
	counts := map[string]int{}
	for id := int64(1); id <= 10000; id++ {
		v := crm.AssignVariant("winback", id, vs, "")
		if again := crm.AssignVariant("winback", id, vs, ""); again != v {
			t.Fatalf("contact %d: %s then %s", id, v, again)
		}
		counts[v]++
	}
	if counts["a"] < 7700 || counts["a"] > 8300 {
		t.Errorf("split %v, want about 80/20", counts)
	}
	if v := crm.AssignVariant("winback", 7, vs, "b"); v != "b" {
		t.Errorf("promoted b, got %s", v)
	}
}

func TestFrequencyCap(t *testing.T) {
	t.Parallel()
	c, err := crm.ParseFrequencyCap("1/3d", parseDays)
	if err != nil || c.N != 1 || c.Window != 72*time.Hour {
		t.Fatalf("parse: %+v %v", c, err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		sent []time.Time
		ok   bool
	}{
		{nil, true},
		{[]time.Time{now.Add(-71 * time.Hour)}, false},
		{[]time.Time{now.Add(-73 * time.Hour)}, true},
	} {
		if got := c.Allows(tc.sent, now); got != tc.ok {
			t.Errorf("Allows(%v) = %v", tc.sent, got)
		}
	}
	for _, bad := range []string{"1", "0/3d", "x/3d", "1/never"} {
		if _, err := crm.ParseFrequencyCap(bad, parseDays); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// parseDays reads Go durations and whole days ("3d").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		return time.Duration(d) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}
