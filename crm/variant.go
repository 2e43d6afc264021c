package crm

import (
	"hash/fnv"
	"strconv"
)

// AssignVariant picks the contact's variant of a campaign by weight. The
// pick is a hash of the campaign and the contact, so it is the same on
// every replica, every sweep and every cause: a customer sees one arm of
// an experiment. A promoted variant takes every send. Variants with no
// positive weight are never picked unless all are so (then the first).
func AssignVariant(campaign string, contactID int64, variants []Variant, promoted string) string {
	if promoted != "" {
		return promoted
	}
	total := 0
	for _, v := range variants {
		total += max(v.Weight, 0)
	}
	if len(variants) == 0 {
		return ""
	}
	if total == 0 {
		return variants[0].ID
	}
	h := fnv.New64a()
	h.Write([]byte(campaign))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(contactID, 10)))
	x := int(h.Sum64() % uint64(total))
	for _, v := range variants {
		if x < max(v.Weight, 0) {
			return v.ID
		}
		x -= max(v.Weight, 0)
	}
	return variants[len(variants)-1].ID
}

// unitHash maps the parts to [0, 1), the same everywhere: the draws of
// send-time exploration.
func unitHash(parts ...string) float64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / float64(1<<53)
}
