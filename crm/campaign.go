package crm

import (
	"context"
	"time"
)

// JobCampaign sends one campaign message (key: the send's id).
const JobCampaign = "campaign_send"

// Trigger kinds.
const (
	TriggerOnce  = "once"  // at a moment, to the segment as it is then
	TriggerCron  = "cron"  // at every tick of a schedule
	TriggerEvent = "event" // a delay after something happened to a lead
)

// Trigger events: what happened to a lead that a campaign follows up.
const (
	EventTriggerLost         = "lost"          // lost_at
	EventTriggerWon          = "won"           // won_at
	EventTriggerQualified    = "qualified"     // qualified_at
	EventTriggerStalled      = "stalled"       // an open dialogue silent since updated_at
	EventTriggerNPSPromoter  = "nps_promoter"  // answered 9-10
	EventTriggerNPSDetractor = "nps_detractor" // answered 0-6
)

// TriggerEvents lists the events a campaign may follow.
func TriggerEvents() []string {
	return []string{EventTriggerLost, EventTriggerWon, EventTriggerQualified, EventTriggerStalled,
		EventTriggerNPSPromoter, EventTriggerNPSDetractor}
}

// Trigger is when a campaign writes to its segment.
type Trigger struct {
	Kind  string
	At    time.Time // once
	Cron  string    // cron
	Event string    // event
	// Delay is how long after the event (event triggers).
	Delay time.Duration
	// Within bounds how late after Delay an event still fires (7 days by
	// default), so a campaign added today does not write to everyone
	// lost in the last five years.
	Within time.Duration
}

// Button actions.
const (
	ActionFlow    = "flow"    // start the flow named by Value
	ActionManager = "manager" // hand the customer to a rep
	ActionChoice  = "choice"  // record the choice Value
)

// CampaignButton is one button under a campaign message.
type CampaignButton struct {
	Text   map[string]string // by language
	Action string
	Value  string
}

// CampaignMessage is one message a variant sends, in each language.
type CampaignMessage struct {
	Text    map[string]string
	Buttons []CampaignButton
}

// Variant is one arm of a campaign's experiment.
type Variant struct {
	ID       string
	Weight   int
	Messages []CampaignMessage
}

// Goal kinds.
const (
	GoalReply = "reply" // the customer wrote or pressed a button
	GoalFlow  = "flow"  // a dialogue was completed (a lead qualified)
	GoalWon   = "won"   // a sale
)

// Goal is what a campaign is for, and how long after a send it counts.
type Goal struct {
	Kind   string
	Within time.Duration
}

// Campaign is a marketing campaign: whom (Segment), when (Trigger), what
// (Variants), what for (Goal).
type Campaign struct {
	ID       string
	Name     string
	File     string
	Segment  Segment
	Trigger  Trigger
	Variants []Variant
	Goal     Goal
	// ExcludePurchased skips a customer who bought after the trigger's
	// moment (for "lost 30 days ago", one who came back and bought).
	ExcludePurchased bool
	// BestTime sends each message at the customer's best hour (see
	// SendTimes) instead of at once.
	BestTime bool
	// Languages of the texts; the first is the fallback.
	Languages []string
}

// Send statuses.
const (
	SendQueued      = "queued"      // waiting for its moment
	SendSending     = "sending"     // claimed; the message is going out
	SendSent        = "sent"        // Telegram took it
	SendBlocked     = "blocked"     // the customer blocked the bot (403)
	SendCapped      = "capped"      // the frequency cap held it back
	SendStopped     = "stopped"     // /stop, blocked earlier or forgotten by the time it was due
	SendExcluded    = "excluded"    // an exclusion held at send time (a purchase after the trigger)
	SendInterrupted = "interrupted" // a crash cut the send short; not sent again
)

// Send timings: how the moment of a send was chosen.
const (
	TimingNow    = "now"    // at once (outside quiet hours)
	TimingBest   = "best"   // the customer's (or the segment's) best hour
	TimingRandom = "random" // a random allowed hour, to keep learning
)

// CampaignSend is one message of a campaign to one customer for one cause.
// Its row is written with its job; (campaign, contact, cause) is unique,
// so a cause sends at most once whatever the sweeps do.
type CampaignSend struct {
	ID        int64
	Campaign  string
	ContactID int64
	LeadID    int64
	Cause     string
	Variant   string
	Timing    string
	DueAt     time.Time
	Since     time.Time // the cause's moment (the event), zero for once/cron
	Status    string
	SentAt    *time.Time
	MessageID int
	Reason    string
}

// AudienceMember is one customer a segment selected for a trigger.
type AudienceMember struct {
	ContactID int64
	LeadID    int64
	ChatID    int64
	Name      string
	Language  string
	TimeZone  string
	Cause     string    // what the send is once per
	Since     time.Time // the event's moment; zero for once and cron
	Fields    map[string]any
}

// AudienceQuery asks a store for a campaign's audience.
type AudienceQuery struct {
	Campaign *Campaign
	Now      time.Time
	// Cause names the sends of once and cron triggers ("once", the tick).
	Cause string
	// Cap excludes customers the frequency cap holds back at Now.
	Cap          FrequencyCap
	AfterContact int64 // keyset paging by contact, then lead
	AfterLead    int64
	Limit        int
	// Sample orders by contact id and stops at Limit without the cap,
	// the quiet hours or the campaign's earlier sends (preview).
	Preview bool
}

// VariantStats are the facts of one variant's sends.
type VariantStats struct {
	Campaign  string
	Variant   string
	Sends     int // sends created (assigned)
	Sent      int
	Delivered int // sent and not bounced
	Blocked   int
	Replied   int // the customer acted within the goal's window
	Goal      int
	// Replies within 24h by timing, for the best-time comparison.
	BestSent, BestReplied24h     int
	RandomSent, RandomReplied24h int
}

// CampaignStore keeps campaign sends and reads audiences.
type CampaignStore interface {
	// Audience lists q's page of the campaign's audience: reachable
	// customers its segment's Where selects (Match is the caller's), who
	// have no send of the campaign for their cause.
	Audience(ctx context.Context, q AudienceQuery) ([]AudienceMember, error)
	// AudienceSize counts the segment's Where selection (reachable
	// customers, latest leads), for preview and reports.
	AudienceSize(ctx context.Context, c *Campaign, now time.Time) (int, error)
	// CreateSend inserts the send (filling s.ID) with its job, keyed by
	// the send's id and due at s.DueAt; false when the (campaign,
	// contact, cause) exists.
	CreateSend(ctx context.Context, s *CampaignSend, job Job) (bool, error)
	CampaignSend(ctx context.Context, id int64) (*CampaignSend, error)
	// ClaimSend moves a queued send to sending at now, holding the
	// contact's lock: it answers the status that stops it instead
	// (SendCapped when cap's window holds N sent messages of the
	// contact's; SendExcluded when purchasedSince is set and the contact
	// won a lead after it), or "" when claimed. A send already past
	// queued answers its status.
	ClaimSend(ctx context.Context, id int64, now time.Time, cap FrequencyCap, purchasedSince *time.Time) (string, error)
	// FinishSend records how a claimed send ended.
	FinishSend(ctx context.Context, id int64, status string, messageID int, at time.Time) error
	// UnclaimSend takes a claim back: the message did not go out.
	UnclaimSend(ctx context.Context, id int64) error
	// Promote makes variant take every further send of the campaign;
	// Promoted answers it, "" when none is.
	Promote(ctx context.Context, campaign, variant string, at time.Time) error
	Promoted(ctx context.Context, campaign string) (string, error)
	// Results are the facts per variant of the campaign, with the goal
	// counted within goal.Within after each send.
	Results(ctx context.Context, campaign string, goal Goal) ([]VariantStats, error)
	// Activity lists the moments the contact wrote or pressed a button
	// since since, for their best send time.
	Activity(ctx context.Context, contactID int64, since time.Time) ([]time.Time, error)
	// SegmentActivity is the same for the campaign's audience as a
	// whole (a sample of at most limit moments).
	SegmentActivity(ctx context.Context, c *Campaign, since time.Time, limit int) ([]time.Time, error)
	// ClickSend records a press of a campaign button (a reply).
	ClickSend(ctx context.Context, id, contactID int64, action, value string, at time.Time) (*CampaignSend, error)
}
