package crm

import (
	"context"
	"fmt"
	"time"
)

// ExportRow is one lead in the CSV export.
type ExportRow struct {
	Lead        Lead
	Contact     Contact
	ManagerID   int64
	ClaimedAt   *time.Time
	ContactedAt *time.Time
	WonAt       *time.Time
	LostAt      *time.Time
	Amount      float64
	// Answers are the lead's current answers as stored (for the win
	// probability); WinProbability is filled by Stats.Export when a model
	// is in use and the lead is qualified.
	Answers        []Answer
	WinProbability *float64
	// NPS is the score of the lead's survey, nil when not answered;
	// NPSComment the reason the customer gave.
	NPS        *int
	NPSComment string
	// Messages counts the lead's conversation, both ways (notes not
	// counted).
	Messages int
}

// ExportLimit bounds one CSV: about 20 MB, under Telegram's 50 MB for a
// bot's document and Slack's comfort; a longer history is exported in
// several periods.
const ExportLimit = 100_000

// Export answers /export: the leads created in the period, a rep's own
// only. It returns how many rows fn got.
func (s *Stats) Export(ctx context.Context, m Manager, p Period, fn func(ExportRow) error) (int, error) {
	n := 0
	err := s.store.Export(ctx, scopeOf(m), p.From, p.To, ExportLimit, func(r ExportRow) error {
		n++
		if s.win != nil && r.Lead.QualifiedAt != nil {
			facts := LeadFacts{Lead: r.Lead, Language: r.Contact.Language, Answers: r.Answers}
			if p, ok, err := s.win.Score(ctx, facts); err == nil && ok {
				r.WinProbability = &p
			}
		}
		return fn(r)
	})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}
