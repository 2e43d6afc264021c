package crm

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FoundLead is one hit of /find.
type FoundLead struct {
	LeadID                       int64
	Name, Username, Phone, Email string
	Stage                        Stage
	Temperature                  Temperature
	ManagerID                    int64
	CreatedAt                    time.Time
}

// FindQuery is what /find looks for, read from what the manager typed.
type FindQuery struct {
	Text string
	// Words are the lowercased words of a name ("anna petrova").
	Words []string
	// Digits are the digits of a phone number when the text is one (at
	// least FindMinDigits of them), "" otherwise.
	Digits string
	// Email is the lowercased text when it holds an "@" inside it.
	Email string
	// Username is the text without a leading "@", lowercased.
	Username string
}

// FindMinDigits is the shortest number /find takes for a phone: fewer
// digits match half the customers.
const FindMinDigits = 5

// FindLimit is how many leads /find lists.
const FindLimit = 20

// ParseFind reads /find's argument. Too short a text is EINVALID: a
// one-letter search lists the customers, not the one asked for.
func ParseFind(text string) (FindQuery, error) {
	t := strings.TrimSpace(text)
	q := FindQuery{Text: t}
	if len([]rune(t)) < 2 {
		return q, Errorf(EINVALID, "usage: /find <name, phone, email or @username> (at least 2 characters)")
	}
	lower := strings.ToLower(t)
	var digits strings.Builder
	phoneish := true
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune("+-() .", r):
		default:
			phoneish = false
		}
	}
	if phoneish && digits.Len() >= FindMinDigits {
		q.Digits = digits.String()
	}
	if i := strings.IndexByte(lower, '@'); i > 0 {
		q.Email = lower
	}
	q.Username = strings.TrimPrefix(lower, "@")
	if q.Digits == "" && q.Email == "" {
		q.Words = strings.Fields(strings.TrimPrefix(lower, "@"))
		if len(q.Words) > 2 {
			q.Words = q.Words[:2]
		}
	}
	return q, nil
}

// Find answers /find: heads and admins search every lead, a rep their own.
func (s *Stats) Find(ctx context.Context, m Manager, text string) ([]FoundLead, error) {
	q, err := ParseFind(text)
	if err != nil {
		return nil, err
	}
	found, err := s.store.Find(ctx, scopeOf(m), q, FindLimit)
	if err != nil {
		return nil, fmt.Errorf("find: %w", err)
	}
	return found, nil
}
