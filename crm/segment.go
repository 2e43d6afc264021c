package crm

import (
	"slices"
	"time"
)

// SegmentField is one fact about a customer that a segment's condition
// may read. Each is the customer's (their contact) or their lead's: the
// lead a trigger names (the one lost 30 days ago), or else their latest.
type SegmentField struct {
	Name string
	Kind string // "string", "number", "time", "bool"
	What string
}

// SegmentFields are the facts segments read, by name. Times are nil when
// the thing has not happened (a lead never won has won_at == nil).
var segmentFields = []SegmentField{
	{"name", "string", "the contact's first name"},
	{"username", "string", "the contact's Telegram @username, without the @"},
	{"language", "string", "the contact's language (ru, en, ...)"},
	{"time_zone", "string", "the contact's IANA time zone, '' for the configured one"},
	{"has_phone", "bool", "the contact shared a phone"},
	{"has_email", "bool", "the contact gave an email"},
	{"stage", "string", "the lead's stage: new, qualifying, qualified, contacted, won, lost"},
	{"temperature", "string", "the lead's temperature: hot, warm, cold"},
	{"score", "number", "the lead's score"},
	{"source", "string", "the lead's first-touch source"},
	{"medium", "string", "the lead's first-touch medium"},
	{"campaign", "string", "the lead's first-touch campaign (utm_campaign)"},
	{"landing", "string", "the lead's landing page or domain"},
	{"flow", "string", "the id of the lead's flow"},
	{"lost_reason", "string", "why the lead was lost"},
	{"created_at", "time", "when the lead was created"},
	{"qualified_at", "time", "when the lead was qualified"},
	{"won_at", "time", "when the lead was won"},
	{"lost_at", "time", "when the lead was lost"},
	{"last_message_at", "time", "the lead's last activity (answer, message, stage change)"},
	{"amount", "number", "the lead's sale amount, 0 if none"},
	{"purchases", "number", "how many of the contact's leads were won"},
	{"revenue", "number", "the sum of the contact's won amounts"},
	{"nps", "number", "the contact's latest NPS score, -1 if never scored"},
	{"nps_class", "string", "promoter, passive, detractor, or '' if never scored"},
}

// SegmentFieldList lists what segments may read, for lint and the README.
func SegmentFieldList() []SegmentField { return slices.Clone(segmentFields) }

// LookupSegmentField finds a field by name.
func LookupSegmentField(name string) (SegmentField, bool) {
	i := slices.IndexFunc(segmentFields, func(f SegmentField) bool { return f.Name == name })
	if i < 0 {
		return SegmentField{}, false
	}
	return segmentFields[i], true
}

// Cond is the part of a segment's condition a store can select by: a tree
// of comparisons of one field with a constant, joined by and, or, not.
// flows/campaign builds it from the expression; storage/postgres turns it
// into parameterised SQL. Whatever the expression says beyond it is
// Segment.Match, evaluated over the rows the Cond selected.
type Cond struct {
	// Op is "and", "or", "not" (Args), "cmp" (Field Cmp Value), "in"
	// (Field in Value, a []any), "days" (days_since(Field) Cmp Value),
	// "answered" (an answer to Step exists, equal to Value when it is
	// not nil), "null" (Field is nil; Cmp "==" or "!=").
	Op    string
	Field string
	Cmp   string // ==, !=, <, <=, >, >=
	Value any    // string, float64, bool, []any
	Step  string
	Args  []Cond
}

// Segment is a named audience: an expr-lang condition over SegmentFields.
type Segment struct {
	Name string
	Expr string // as written
	// Where selects in the store (nil: everyone reachable).
	Where *Cond
	// Match, when set, decides each row Where selected, from its Fields
	// (the part of Expr that does not compile to a Cond).
	Match func(fields map[string]any, now time.Time) (bool, error)
	// NeedsAnswers says Match reads answers (the store then loads each
	// row's answers into Fields["answers"], a map[string]string).
	NeedsAnswers bool
}
