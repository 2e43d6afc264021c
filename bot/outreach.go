package bot

import (
	"context"
	"fmt"
	"strconv"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Engagement is what the dispatcher asks of crm.Engagement.
type Engagement interface {
	Score(ctx context.Context, contactID, surveyID int64, score int) (*crm.Survey, error)
	Comment(ctx context.Context, contactID int64, text string) (*crm.Survey, bool, error)
	Reason(ctx context.Context, contactID, leadID int64, reason string) (lost bool, err error)
	Stop(ctx context.Context, contactID int64) error
	Forget(ctx context.Context, contactID int64) error
	// Blocked and Unblocked record that the customer blocked the bot or
	// came back (the sweeps skip whoever blocked it).
	Blocked(ctx context.Context, contactID int64) error
	Unblocked(ctx context.Context, contactID int64) error
}

// WhyReasons are the answers to "what happened?", in button order. Their
// ids are stable (stored); the texts are the flow's why_<id>.
var whyReasons = [...]string{"later", "question", "expensive", "elsewhere", "not_needed"}

// WhyLostReasons are the answers that close the lead as lost.
func WhyLostReasons() []string { return []string{"expensive", "elsewhere", "not_needed"} }

// Outreach writes the sweeps' messages to customers in their own language,
// with the texts of their lead's flow.
type Outreach struct {
	Flows       map[string]*flows.Flow
	DefaultFlow string
	Leads       crm.LeadStore
	Sender      Sender
}

var _ crm.Outreach = Outreach{}

func (o Outreach) flowAndLang(ctx context.Context, r crm.Reach, lead *crm.Lead) (*flows.Flow, string, error) {
	f, lang, _, err := o.flowLangName(ctx, r, lead)
	return f, lang, err
}

// flowLangName is the lead's flow, the customer's language in it and
// their first name (for {name}; "" when unknown or erased).
func (o Outreach) flowLangName(ctx context.Context, r crm.Reach, lead *crm.Lead) (*flows.Flow, string, string, error) {
	f := o.Flows[lead.FlowID]
	if f == nil {
		f = o.Flows[o.DefaultFlow]
	}
	c, err := o.Leads.Contact(ctx, r.ContactID)
	if err != nil {
		return nil, "", "", err
	}
	return f, f.Lang(c.Language), c.FirstName, nil
}

// AskNPS sends the 0-10 question as buttons.
func (o Outreach) AskNPS(ctx context.Context, r crm.Reach, lead *crm.Lead, s *crm.Survey) error {
	f, lang, err := o.flowAndLang(ctx, r, lead)
	if err != nil {
		return err
	}
	var rows [][]Button
	for n := 0; n <= 10; n++ {
		if n%6 == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], Button{Text: strconv.Itoa(n), Data: fmt.Sprintf("nps:%d:%d", s.ID, n)})
	}
	_, err = o.Sender.Send(ctx, Message{ChatID: r.ChatID, Text: f.T("nps_question", lang), Buttons: rows})
	return err
}

// Nudge reminds a customer of their unfinished dialogue and asks the
// question it waits on again.
func (o Outreach) Nudge(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	f, lang, name, err := o.flowLangName(ctx, r, lead)
	if err != nil {
		return err
	}
	if _, err := o.Sender.Send(ctx, Message{ChatID: r.ChatID, Text: f.Named("nudge", lang, name)}); err != nil {
		return err
	}
	answers, err := o.Leads.Answers(ctx, lead.ID)
	if err != nil {
		return err
	}
	state, err := flows.ReplayWith(f, lang, lead.Variants, answers)
	if err != nil || state.Done {
		return nil // the flow changed: the nudge alone; /start resumes
	}
	for _, p := range flows.Ask(f, state, name) {
		if _, err := o.Sender.Send(ctx, promptMessage(r.ChatID, p, 0)); err != nil {
			return err
		}
	}
	return nil
}

// AskWhy asks what happened, with the reasons as buttons.
func (o Outreach) AskWhy(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	f, lang, err := o.flowAndLang(ctx, r, lead)
	if err != nil {
		return err
	}
	var rows [][]Button
	for _, id := range whyReasons {
		rows = append(rows, []Button{{Text: f.T("why_"+id, lang), Data: fmt.Sprintf("why:%d:%s", lead.ID, id)}})
	}
	_, err = o.Sender.Send(ctx, Message{ChatID: r.ChatID, Text: f.T("ask_why", lang), Buttons: rows})
	return err
}

// Reengage invites a customer whose lead was lost to talk again.
func (o Outreach) Reengage(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	f, lang, name, err := o.flowLangName(ctx, r, lead)
	if err != nil {
		return err
	}
	_, err = o.Sender.Send(ctx, Message{ChatID: r.ChatID, Text: f.Named("reengage", lang, name),
		Buttons: [][]Button{{{Text: f.T("reengage_button", lang), Data: fmt.Sprintf("re:%d", lead.ID)}}}})
	return err
}
