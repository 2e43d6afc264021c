package crm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FrequencyCap is how many marketing messages a customer gets at most in
// a window, across every campaign ("1/72h": one in three days). Surveys,
// follow-ups of a dialogue and a rep's messages are not marketing and do
// not count.
type FrequencyCap struct {
	N      int
	Window time.Duration
}

// ParseFrequencyCap reads "N/duration" (durations as flows write them:
// 72h, 3d); "" means no cap.
func ParseFrequencyCap(s string, parseDuration func(string) (time.Duration, error)) (FrequencyCap, error) {
	if strings.TrimSpace(s) == "" {
		return FrequencyCap{}, nil
	}
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return FrequencyCap{}, fmt.Errorf("frequency cap %q: want N/duration, like 1/72h", s)
	}
	c := FrequencyCap{}
	var err error
	if c.N, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || c.N < 1 {
		return FrequencyCap{}, fmt.Errorf("frequency cap %q: N must be a whole number above 0", s)
	}
	if c.Window, err = parseDuration(strings.TrimSpace(w)); err != nil || c.Window <= 0 {
		return FrequencyCap{}, fmt.Errorf("frequency cap %q: bad window", s)
	}
	return c, nil
}

// On reports whether the cap limits anything.
func (c FrequencyCap) On() bool { return c.N > 0 && c.Window > 0 }

// Allows reports whether one more message may go at now, given the times
// of the customer's marketing messages.
func (c FrequencyCap) Allows(sent []time.Time, now time.Time) bool {
	if !c.On() {
		return true
	}
	n := 0
	for _, t := range sent {
		if t.After(now.Add(-c.Window)) {
			n++
		}
	}
	return n < c.N
}
