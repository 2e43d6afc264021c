package crm

import "time"

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
