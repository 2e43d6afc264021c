package crm

import (
	"context"
	"time"
)

// Stage is a lead's place in the funnel.
type Stage string

// The funnel: a lead is created when a customer starts a dialogue, is
// qualifying while they answer, qualified when the flow is finished, then
// contacted by a rep, and finally won or lost.
const (
	StageNew        Stage = "new"
	StageQualifying Stage = "qualifying"
	StageQualified  Stage = "qualified"
	StageContacted  Stage = "contacted"
	StageWon        Stage = "won"
	StageLost       Stage = "lost"
)

// Open reports whether a dialogue for a lead in this stage is still going on.
func (s Stage) Open() bool { return s == StageNew || s == StageQualifying }

// Temperature is derived from the score by the thresholds of the flow.
type Temperature string

const (
	Hot  Temperature = "hot"
	Warm Temperature = "warm"
	Cold Temperature = "cold"
)

// Emoji marks the temperature where a rep's eye lands first on a card.
func (t Temperature) Emoji() string {
	switch t {
	case Hot:
		return "🔥"
	case Warm:
		return "🌤"
	case Cold:
		return "❄️"
	}
	return "•"
}

// Thresholds turn a score into a temperature: score >= Hot is hot, score >=
// Warm is warm, anything else is cold.
type Thresholds struct {
	Hot  int `yaml:"hot" json:"hot"`
	Warm int `yaml:"warm" json:"warm"`
}

// Temperature returns the temperature of score.
func (t Thresholds) Temperature(score int) Temperature {
	switch {
	case score >= t.Hot:
		return Hot
	case score >= t.Warm:
		return Warm
	default:
		return Cold
	}
}

// Contact is a person who wrote to the bot. Personal fields (names,
// username, phone, email) are erasable; the ids are not personal data on
// their own once the rest is gone.
type Contact struct {
	ID             int64
	TelegramUserID int64
	ChatID         int64
	FirstName      string
	LastName       string
	Username       string
	Phone          string // E.164
	Email          string
	Language       string // IETF tag as Telegram sends it, e.g. "ru", "en"
	TimeZone       string // IANA name; empty means the configured default
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// ErasedAt is when the customer last asked to be forgotten (/forget);
	// nil if never. What Telegram sends after it is stored anew.
	ErasedAt *time.Time
}

// Name is how the bot addresses the contact.
func (c Contact) Name() string {
	switch {
	case c.FirstName != "" && c.LastName != "":
		return c.FirstName + " " + c.LastName
	case c.FirstName != "":
		return c.FirstName
	case c.Username != "":
		return "@" + c.Username
	default:
		return ""
	}
}

// Lead is one qualification of one contact: where it came from, how far the
// dialogue went, what it scored.
type Lead struct {
	ID          int64
	ContactID   int64
	Stage       Stage
	Score       int
	Temperature Temperature
	FlowID      string
	FlowVersion int
	Step        string // the step the dialogue waits on; "" once finished
	Attribution Attribution
	LostReason  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	QualifiedAt *time.Time
	// Variants are the lead's arms of the flows' experiments: experiment
	// id -> variant id, decided when the lead starts and kept for its
	// life (see flows.Flow.Assign).
	Variants map[string]string
}

// Answer is one answered step of a lead's dialogue. Value holds the option
// id for a choice, the option ids joined by "," for a multiple choice, the
// E.164 number for a phone, the normalised address for an email, the
// decimal for a number and the text as typed otherwise.
type Answer struct {
	ID       int64
	LeadID   int64
	StepID   string
	Kind     string
	Value    string
	Score    int // what this answer added to the lead's score
	UpdateID int64
	At       time.Time
}

// Event kinds on a lead's timeline.
const (
	EventCreated     = "created"
	EventAnswered    = "answered" // not stored: the store derives it from the answers row (step, score, time)
	EventQualified   = "qualified"
	EventStage       = "stage_changed"
	EventRestarted   = "restarted"
	EventCancelled   = "cancelled"
	EventTouch       = "touch"   // the customer came back through another /start link
	EventMessage     = "message" // free text outside a question, kept so nothing typed is lost
	EventTemperature = "temperature_changed"
	EventHandoff     = "handoff" // the customer asked for a person: the lead went to the team where it stood
)

// Event is one fact on a lead's timeline. Data is a small JSON-able map.
type Event struct {
	ID     int64
	LeadID int64
	Kind   string
	Actor  string // "customer", "system", or a manager's name
	Data   map[string]any
	At     time.Time
}

// Clock tells the time; tests inject a fake one.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Progress is everything one customer update changed, written by the store
// in a single transaction so a lead never holds half an update.
type Progress struct {
	LeadID    int64
	ContactID int64
	// Answer is nil when the update answered nothing (a command, free text).
	Answer      *Answer
	Score       int
	Stage       Stage
	Temperature Temperature
	Step        string
	Phone       string // set on the contact when non-empty
	Email       string // set on the contact when non-empty
	Events      []Event
	// Jobs are queued in the same transaction (a sales alert when a hot
	// lead is qualified).
	Jobs []Job
	At   time.Time
}

// LeadStore keeps contacts, leads, answers and events. Implementations
// translate their driver errors into *Error: a missing row is ENOTFOUND, an
// answer to a step that is already answered is ECONFLICT.
type LeadStore interface {
	// UpsertContact inserts the contact or updates it by TelegramUserID,
	// filling c.ID and c.CreatedAt. Empty Phone, Email and TimeZone never
	// overwrite stored ones.
	UpsertContact(ctx context.Context, c *Contact) error
	// Contact returns a contact by id.
	Contact(ctx context.Context, id int64) (*Contact, error)
	// CreateLead inserts l with a "created" event, filling l.ID.
	CreateLead(ctx context.Context, l *Lead) error
	// Lead returns a lead by id.
	Lead(ctx context.Context, id int64) (*Lead, error)
	// LatestLead returns the contact's most recent lead, ENOTFOUND if none.
	LatestLead(ctx context.Context, contactID int64) (*Lead, error)
	// Answers returns the lead's current answers in the order given.
	Answers(ctx context.Context, leadID int64) ([]Answer, error)
	// Resume is UpsertContact, then the contact's latest lead and its
	// current answers (nil and no error when the contact has no lead),
	// in one round trip where the store can: what a chat needs whose
	// session is gone (a new customer, or Redis lost it).
	Resume(ctx context.Context, c *Contact) (*Lead, []Answer, error)
	// SaveProgress applies p atomically. When p.Answer's step already has a
	// current answer it changes nothing and returns ECONFLICT.
	SaveProgress(ctx context.Context, p Progress) error
	// RestartLead supersedes the lead's answers (they stay in the database),
	// resets its score and step, and records a "restarted" event.
	RestartLead(ctx context.Context, leadID int64, step string, at time.Time) error
	// CloseLead moves an open lead to StageLost with reason and records ev.
	CloseLead(ctx context.Context, leadID int64, reason string, ev Event) error
	// AddEvent appends an event to a lead's timeline.
	AddEvent(ctx context.Context, e Event) error
	// Events returns the lead's timeline, oldest first. An answer is on it
	// as an EventAnswered derived from the answer itself ({step, score}):
	// SaveProgress is given no event for an answer.
	Events(ctx context.Context, leadID int64) ([]Event, error)
}
