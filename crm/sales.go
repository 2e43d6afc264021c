package crm

import (
	"context"
	"math"
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

// ActionKind is a button a rep pressed on a lead card.
type ActionKind string

const (
	ActClaim     ActionKind = "claim"
	ActContacted ActionKind = "contacted"
	ActWon       ActionKind = "won"
	ActLost      ActionKind = "lost"
	// ActReopen takes a lost lead back to where it was before it was
	// lost (contacted, or qualified), for its rep or a head.
	ActReopen ActionKind = "reopen"
)

// Action is a rep moving a lead along the funnel.
type Action struct {
	LeadID int64
	Kind   ActionKind
	By     Manager
	Amount float64 // for ActWon: the sale, see CheckAmount
	Reason string  // for ActLost: one of the configured reasons
	At     time.Time
	// ByReply: the claim came with the rep's reply to the customer, who
	// reads it instead of the "who will call" notice.
	ByReply bool
}

// MaxAmount is the largest sale a lead can record: the store keeps amounts
// as numeric(14, 2), twelve digits before the point and two after.
const MaxAmount = 999_999_999_999.99

// CheckAmount validates the amount of a sale and returns it rounded to
// cents, as it is stored. NaN, infinities, zero and negatives are refused,
// and so is an amount that rounds to less than a cent or to MaxAmount's
// next cent and above, which the store could not keep: an EINVALID with a
// message for the rep, so that every channel says why and a corrected
// amount can be given, instead of the store failing the same way on every
// retry.
func CheckAmount(v float64) (float64, error) {
	switch {
	case math.IsNaN(v):
		return 0, Errorf(EINVALID, "the amount of a sale must be a number")
	case math.IsInf(v, 1):
		return 0, amountTooLarge()
	case v <= 0:
		return 0, Errorf(EINVALID, "the amount of a sale must be a positive number")
	}
	cents := math.Round(v*100) / 100
	switch {
	case cents < 0.01:
		return 0, Errorf(EINVALID, "the amount of a sale must be at least 0.01")
	case cents > MaxAmount:
		return 0, amountTooLarge()
	}
	return cents, nil
}

func amountTooLarge() error {
	return Errorf(EINVALID, "the amount of a sale must be less than 1 000 000 000 000")
}

// Job kinds: the work that leaves the process, queued in the same
// transaction as the fact that causes it and unique per (kind, lead, key).
const (
	JobSalesAlert     = "sales_alert"     // post the lead card
	JobCardUpdate     = "card_update"     // refresh the card in place
	JobCustomerNotice = "customer_notice" // tell the customer who will call
	JobEscalate       = "sla_escalate"    // an unclaimed hot lead: re-announce, mention heads
	JobRemind         = "sla_remind"      // a claimed lead not contacted: remind the rep
	JobWarmDigest     = "warm_digest"     // the day's warm leads in one message
	JobHandoff        = "handoff"         // a customer with the team asked for a person (key: campaign:send)
)

// Job is one durable unit of outgoing work.
type Job struct {
	Kind   string
	LeadID int64
	// Key makes the job unique beyond (Kind, LeadID): the event id of a
	// card update, the day of a digest.
	Key string
	// At, when set, is the earliest the job runs (a campaign send's
	// planned moment); zero means at once.
	At time.Time
	// Interrupted says an earlier run of this job was cut short by its
	// process dying (kill -9, a lost machine), so it may have done what it
	// is for, posted a card or sent a message, without recording it. A
	// job that reaches people checks before doing it again: where the
	// channel can be asked (a Slack card, see CardFinder) it asks, and
	// where it cannot (a message to a customer in Telegram) it does not
	// send again, so that nothing reaches anyone twice.
	Interrupted bool
	// Attempt counts the runs of this job, this one included. A retry
	// after an error may follow a post that succeeded and a record that
	// failed; an alert checks for its card then too.
	Attempt int
}

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

// SalesNotifier puts leads in front of the sales team: a Slack channel, a
// Telegram sales group. Each returns a reference to the card it posted so
// the card can be updated in place.
type SalesNotifier interface {
	// Channel names the notifier ("slack", "telegram"): card references are
	// kept per channel.
	Channel() string
	PostCard(ctx context.Context, card *LeadCard) (ref string, err error)
	UpdateCard(ctx context.Context, ref string, card *LeadCard) error
	// Escalate re-announces an unclaimed lead under its card, mentioning
	// the heads of sales.
	Escalate(ctx context.Context, ref string, card *LeadCard, heads []Manager) error
	// Remind tells the rep a claimed lead still waits for contact.
	Remind(ctx context.Context, ref string, card *LeadCard, rep Manager) error
	// Digest posts several (warm) leads in one message.
	Digest(ctx context.Context, title string, cards []*LeadCard) error
	// Notify posts text about a lead (under its card when ref is set),
	// mentioning the given members: a detractor's score, say.
	Notify(ctx context.Context, ref string, card *LeadCard, text string, mention []Manager) error
}

// SalesDesk is what the sales adapters call when a rep presses a button.
type SalesDesk interface {
	// Act applies a rep's action; a claim lost to someone else is an
	// ECONFLICT whose message names the owner.
	Act(ctx context.Context, a Action) (*LeadCard, error)
	// ManagerBySlack and ManagerByTelegram find a configured member of the
	// team; anyone else may not press the buttons.
	ManagerBySlack(id string) (Manager, bool)
	ManagerByTelegram(id int64) (Manager, bool)
	// LostReasons is the list a rep picks from when a lead is lost.
	LostReasons() []string
}
