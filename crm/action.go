package crm

import (
	"context"
	"math"
	"time"
)

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
