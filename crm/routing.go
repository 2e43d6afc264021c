package crm

import (
	"slices"
	"time"
)

// Strategy is how a hot lead finds its rep.
type Strategy string

const (
	// FirstClaim shows the lead to everyone; the first to press Claim owns it.
	FirstClaim Strategy = "first_claim"
	// RoundRobin gives leads in turn to the reps who take leads now.
	RoundRobin Strategy = "round_robin"
	// LeastLoaded gives the lead to the rep with the fewest open leads.
	LeastLoaded Strategy = "least_loaded"
	// Sticky gives a returning contact to the rep who handled them before,
	// and falls back to LeastLoaded.
	Sticky Strategy = "sticky"
)

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool {
	switch s {
	case FirstClaim, RoundRobin, LeastLoaded, Sticky:
		return true
	}
	return false
}

// Pick chooses the rep for a lead by strategy among those who take leads
// at now: round robin after last (by id order), the least loaded (ties to
// the lower id), or previous for Sticky when available. ok is false when
// nobody takes leads, or for FirstClaim, which assigns no one.
func Pick(strategy Strategy, team []Manager, load map[int64]int, last, previous int64, now time.Time, tz *time.Location) (Manager, bool) {
	var avail []Manager
	for _, m := range team {
		if m.TakesLeads(now, load[m.ID], tz) {
			avail = append(avail, m)
		}
	}
	if len(avail) == 0 || strategy == FirstClaim {
		return Manager{}, false
	}
	slices.SortFunc(avail, func(a, b Manager) int { return int(a.ID - b.ID) })
	switch strategy {
	case RoundRobin:
		for _, m := range avail {
			if m.ID > last {
				return m, true
			}
		}
		return avail[0], true
	case Sticky:
		for _, m := range avail {
			if m.ID == previous {
				return m, true
			}
		}
	}
	best := avail[0]
	for _, m := range avail[1:] {
		if load[m.ID] < load[best.ID] {
			best = m
		}
	}
	return best, true
}
