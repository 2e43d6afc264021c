package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Labels makes stored answers readable for the sales team: the question
// and the option text in the flow's first language (the operator's), since
// the team reads every lead in one language whatever the customer spoke.
type Labels struct {
	Flows map[string]*flows.Flow
}

var (
	_ crm.Labeler        = Labels{}
	_ crm.ErasureLabeler = Labels{}
)

// ErasedNote implements crm.ErasureLabeler: "the customer's data are
// erased at their request" in the flow's first language, like the labels.
func (l Labels) ErasedNote(lead *crm.Lead) string {
	f := l.Flows[lead.FlowID]
	if f == nil {
		return ""
	}
	return f.T("erased_card", f.Languages[0])
}

// Label implements crm.Labeler.
func (l Labels) Label(lead *crm.Lead, answers []crm.CardAnswer) []crm.CardAnswer {
	f := l.Flows[lead.FlowID]
	if f == nil {
		return answers
	}
	lang := f.Languages[0]
	out := make([]crm.CardAnswer, len(answers))
	for i, a := range answers {
		out[i] = a
		st := f.Step(a.Question)
		if st == nil {
			continue
		}
		out[i].Question = fieldName(st)
		switch {
		case a.Value == "":
			out[i].Value = "—"
		case st.Kind == flows.KindChoice || st.Kind == flows.KindMulti:
			var texts []string
			for _, id := range strings.Split(a.Value, ",") {
				text := id
				for _, o := range st.Options {
					if o.ID == id {
						text = o.Text[lang]
					}
				}
				texts = append(texts, text)
			}
			out[i].Value = strings.Join(texts, ", ")
		case st.Kind == flows.KindNumber:
			// Written like the label around it, in the flow's first
			// language (Format.Number: "1 500 000,5" in Russian).
			out[i].Value = Format{Lang: lang}.Number(a.Value, 4)
		}
	}
	return out
}

// fieldName is the step's label, or its id made readable
// ("company_size" → "Company size").
func fieldName(st *flows.Step) string {
	if st.Label != "" {
		return st.Label
	}
	name := strings.ReplaceAll(st.ID, "_", " ")
	return strings.ToUpper(name[:1]) + name[1:]
}

// CustomerNotices tells customers, in their dialogue's language, that a
// person has their request.
type CustomerNotices struct {
	Flows  map[string]*flows.Flow
	Sender Sender
}

var _ crm.CustomerNotifier = CustomerNotices{}

// LeadClaimed says who will reach the customer and when.
func (n CustomerNotices) LeadClaimed(ctx context.Context, card *crm.LeadCard, by crm.Manager) error {
	f := n.Flows[card.Lead.FlowID]
	if f == nil || card.Contact.ChatID == 0 {
		return nil
	}
	lang := f.Lang(card.Contact.Language)
	text := f.T("claimed", lang)
	text = strings.ReplaceAll(text, "{manager}", by.Name)
	text = strings.ReplaceAll(text, "{expect}", f.ExpectPhrase(card.Lead.Temperature, lang))
	if _, err := n.Sender.Send(ctx, Message{ChatID: card.Contact.ChatID, Text: text}); err != nil {
		return fmt.Errorf("tell customer of claim: %w", err)
	}
	return nil
}
