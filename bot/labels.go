package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Labels makes stored answers readable for the sales team: the question
// and the option text in the flow's first language (the operator's), since
// the team reads every lead in one language whatever the customer spoke.
type Labels struct {
	Flows map[string]*flows.Flow
	// Language is the team's language: step labels and option texts in it
	// when the flow has it (label: {ru: …, en: …}), else the flow's first.
	Language string
}

// lang is the language of the labels for f.
func (l Labels) lang(f *flows.Flow) string {
	if l.Language != "" && slices.Contains(f.Languages, TeamLang(l.Language)) {
		return TeamLang(l.Language)
	}
	return f.Languages[0]
}

var (
	_ crm.Labeler        = Labels{}
	_ crm.ErasureLabeler = Labels{}
	_ crm.NoticeWriter   = Labels{}
)

// WarmDigestTitle implements crm.NoticeWriter: "Warm leads of
// 2026-11-22", «Тёплые лиды за 22 ноября», "… since Mon 23 Nov 10:00".
func (l Labels) WarmDigestTitle(t time.Time, since bool) string {
	lang := LangEN
	if l.Language != "" {
		lang = TeamLang(l.Language)
	}
	if since {
		f := Format{Lang: lang}
		return TeamTextf(lang, "digest.warm_since", TeamText(lang, "wd."+strings.ToLower(t.Format("Mon")))+" "+f.DayMonth(t)+" "+t.Format("15:04"))
	}
	if lang == LangRU {
		return TeamTextf(lang, "digest.warm_day", PeriodLabel(lang, crm.Period{From: t, To: t.AddDate(0, 0, 1), Loc: t.Location()}))
	}
	return TeamTextf(lang, "digest.warm_day", t.Format(time.DateOnly))
}

// DetractorNotice implements crm.NoticeWriter in the team's language: who
// scored how low, their phone, the lead and its rep, and what to do; or,
// later, the reason they gave.
func (l Labels) DetractorNotice(card *crm.LeadCard, score int, comment string, reason bool) string {
	lang := TeamLang(l.Language)
	if l.Language == "" {
		lang = LangEN
	}
	f := Format{Lang: lang}
	name := strings.TrimSpace(card.Contact.Name())
	if name == "" {
		name = f.LeadNumber(card.Lead.ID)
	}
	if reason {
		return "💬 " + TeamTextf(lang, "notice.detractor_why", score, f.LeadNumber(card.Lead.ID), name, comment)
	}
	parts := []string{"⚠️ " + TeamTextf(lang, "notice.detractor", score) + ": " + name}
	if card.Contact.Phone != "" {
		parts = append(parts, "📞 "+card.Contact.Phone)
	}
	parts = append(parts, f.LeadNumber(card.Lead.ID))
	if card.Assignee != nil {
		parts = append(parts, TeamTextf(lang, "notice.rep", card.Assignee.Name))
	}
	return strings.Join(parts, " · ") + ". " + TeamText(lang, "notice.call")
}

// ErasedNote implements crm.ErasureLabeler: "the customer's data are
// erased at their request" in the flow's first language, like the labels.
func (l Labels) ErasedNote(lead *crm.Lead) string {
	f := l.Flows[lead.FlowID]
	if f == nil {
		return ""
	}
	return f.T("erased_card", l.lang(f))
}

// Label implements crm.Labeler.
func (l Labels) Label(lead *crm.Lead, answers []crm.CardAnswer) []crm.CardAnswer {
	f := l.Flows[lead.FlowID]
	if f == nil {
		return answers
	}
	lang := l.lang(f)
	out := make([]crm.CardAnswer, len(answers))
	for i, a := range answers {
		out[i] = a
		st := f.Step(a.Question)
		if st == nil {
			continue
		}
		out[i].Question = fieldNameIn(st, lang)
		switch {
		case a.Value == "":
			out[i].Value = "—"
		case st.Kind == flows.KindChoice || st.Kind == flows.KindMulti:
			out[i].Value = f.AnswerText(st, a.Value, lang)
		case st.Kind == flows.KindNumber:
			// Written like the label around it, in the flow's first
			// language (Format.Number: "1 500 000,5" in Russian).
			out[i].Value = Format{Lang: lang}.Number(a.Value, 4)
		}
	}
	return out
}

// fieldNameIn is the step's label in the team's language lang (a
// per-language label: ru or en), or its id made readable
// ("company_size" → "Company size").
func fieldNameIn(st *flows.Step, lang string) string {
	if l := st.LabelIn(lang); l != "" {
		return l
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
	text = strings.ReplaceAll(text, "{manager}", by.NameForCustomers())
	text = strings.ReplaceAll(text, "{expect}", f.ExpectPhrase(card.Lead.Temperature, lang))
	if _, err := n.Sender.Send(ctx, Message{ChatID: card.Contact.ChatID, Text: text}); err != nil {
		return fmt.Errorf("tell customer of claim: %w", err)
	}
	return nil
}
