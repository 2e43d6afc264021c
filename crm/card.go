package crm

import (
	"context"
	"time"
)

// CardFinder is a SalesNotifier that can find the card it posted for a
// lead, so that an alert interrupted between posting and recording the
// card adopts it instead of posting a second one: every hot lead gets
// exactly one card, crashes or not.
type CardFinder interface {
	FindCard(ctx context.Context, leadID int64) (ref string, ok bool, err error)
}

// CardAnswer is one answer as the sales team reads it.
type CardAnswer struct {
	Question string
	Value    string
	Score    int
	Kind     string // the step's kind as stored ("choice", "number", ...)
}

// LeadCard is everything a rep needs to act on a lead.
type LeadCard struct {
	Lead     Lead
	Contact  Contact
	Answers  []CardAnswer
	Assignee *Manager // the rep it is assigned to or claimed by
	Claimed  bool
	// Waiting is true when routing found no rep on duty: the lead is in
	// the queue for the next one.
	Waiting     bool
	ClaimedAt   *time.Time
	ContactedAt *time.Time
	// AlertedAt is when the card first reached the team; nil while the
	// alert is still being posted.
	AlertedAt   *time.Time
	Amount      float64
	Escalations int
	LostReasons []string
	Now         time.Time
	// Win is the predicted win probability; nil when no learning is
	// wired (or it failed: the card goes out without it).
	Win *WinEstimate
	// Erased says the customer asked to be forgotten after this lead
	// began: Contact holds no name, username, phone, email or Telegram id
	// and the free-text answers are blank, and every rendering says so
	// with ErasedNote instead of showing who the customer is.
	Erased bool
	// ErasedNote is that statement in the team's language (the Labeler's,
	// ErasedCustomerNote when it has none).
	ErasedNote string
}

// ErasedCustomerNote is what an erased card says in place of the customer
// when the Labeler does not say it in the team's language.
const ErasedCustomerNote = "Customer data erased at their request"

// ErasureLabeler is a Labeler that says in the team's language that a
// lead's customer was forgotten (bot.Labels: the flow's first language).
type ErasureLabeler interface {
	ErasedNote(lead *Lead) string
}

// eraseCard takes everything personal off a card built after its customer
// was forgotten (Erased): whatever the store still had, the card carries
// only the lead's number, stage, score, amounts, times and choices. A lead
// the customer began after the erasure (they came back and wrote again)
// is theirs anew and is not erased.
func eraseCard(c *LeadCard) {
	e := c.Contact.ErasedAt
	if e == nil || c.Lead.CreatedAt.After(*e) {
		return
	}
	c.Erased = true
	// No chat id either: nobody is told that a rep has the request of a
	// customer who asked to be forgotten.
	c.Contact = Contact{ID: c.Contact.ID, Language: c.Contact.Language,
		TimeZone: c.Contact.TimeZone, CreatedAt: c.Contact.CreatedAt, UpdatedAt: c.Contact.UpdatedAt, ErasedAt: e}
}
