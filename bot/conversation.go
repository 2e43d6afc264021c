package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Conversations takes a customer's message for the team (crm.Conversations).
type Conversations interface {
	Receive(ctx context.Context, m *crm.Message) (crm.Receipt, error)
}

// WhyQuestion is the "what happened?" answer that asks for a manager.
const WhyQuestion = "question"

// toTeam stores what the customer wrote as a message of the lead's
// conversation, which relays it to the team, and tells the customer a
// person will answer here when the conversation opens with it (later
// messages of an open conversation get no canned answer: people talk).
// kind and text override the update's (a hand-off).
func (d *Dispatcher) toTeam(ctx context.Context, u Update, s *session, kind, text string) error {
	m := &crm.Message{LeadID: s.LeadID, ContactID: s.ContactID, Kind: kind, Text: text, UpdateID: u.ID, At: d.now(),
		ChatMessageID: int64(u.MessageID)}
	if kind == "" {
		m.Kind, m.Text = crm.MessageText, u.Text
		switch {
		case u.Contact != nil:
			m.Kind, m.Text = crm.MessageContact, u.Contact.Phone
		case u.Media != nil:
			m.Kind, m.Media = u.Media.Kind, u.Media.FileID
			if u.Media.Kind == crm.MessageLocation {
				m.Media = strconv.FormatFloat(u.Media.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(u.Media.Lon, 'f', 6, 64)
			}
			if u.Media.Name != "" {
				m.Text = strings.TrimSpace(u.Media.Name + "\n" + u.Text)
			}
		case u.Kind == InputOther:
			return d.resumeOrWait(u, s)
		}
	}
	r, err := d.cfg.Conversations.Receive(ctx, m)
	if err != nil {
		return err
	}
	if m.Kind == crm.MessageHandoff {
		s.Stage, s.State.Done, s.State.Step = crm.StageQualified, true, ""
	}
	flow, lang := d.flowAndLang(u, s)
	var msgs []flows.Prompt
	switch {
	case r.Duplicate:
		s.quiet = true
		return nil
	case m.Kind == crm.MessageHandoff:
		msgs = append(msgs, flows.Prompt{Text: flow.T("manager", lang), RemoveKeyboard: true})
	case r.Opened:
		msgs = append(msgs, flows.Prompt{Text: flow.T("handed_off", lang)})
	}
	if r.OffHours && (r.Opened || m.Kind == crm.MessageHandoff) {
		msgs = append(msgs, flows.Prompt{Text: strings.ReplaceAll(flow.T("off_hours", lang), "{when}", d.when(r.NextOnDuty, lang))})
	}
	if s.open() {
		// A photo in the middle of the dialogue: the question still waits.
		msgs = append(msgs, flows.Ask(flow, s.State, u.User.FirstName)...)
	}
	return s.say("", msgs)
}

// resumeOrWait answers input the team has no use for (a sticker).
func (d *Dispatcher) resumeOrWait(u Update, s *session) error {
	if s.open() {
		return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
	}
	return s.say("", nil)
}

// handOff hands the customer to a person at any step: /manager, or "a
// question for a manager". A customer without a lead gets one first.
func (d *Dispatcher) handOff(ctx context.Context, u Update, s *session, text string) error {
	if s.LeadID == 0 {
		if err := d.newLead(ctx, u, s, crm.ParseStartPayload("")); err != nil {
			return err
		}
	}
	return d.toTeam(ctx, u, s, crm.MessageHandoff, text)
}

// when says when the team is back, in the customer's language and the
// team's time zone: "сегодня после 09:00", "tomorrow after 09:00".
func (d *Dispatcher) when(t time.Time, lang string) string {
	if t.IsZero() {
		if lang == "ru" {
			return "как только сможем"
		}
		return "as soon as we can"
	}
	now := d.now().In(d.cfg.TimeZone)
	t = t.In(d.cfg.TimeZone)
	clock := t.Format("15:04")
	y1, m1, d1 := now.Date()
	days := int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	ru := lang == "ru"
	switch {
	case days <= 0 && ru:
		return "сегодня после " + clock
	case days <= 0:
		return "today after " + clock
	case days == 1 && ru:
		return "завтра после " + clock
	case days == 1:
		return "tomorrow after " + clock
	case days < 7 && ru:
		return ruOnWeekday(t.Weekday()) + " после " + clock
	case days < 7:
		return "on " + t.Weekday().String() + " after " + clock
	case ru:
		return t.Format("02.01") + " после " + clock
	}
	return "on " + t.Format("Jan 2") + " after " + clock
}

// ruOnWeekday is "on <weekday>" in Russian, with the preposition's form
// each day takes (a switch: no package-level table anyone could change).
func ruOnWeekday(d time.Weekday) string {
	switch d {
	case time.Monday:
		return "в понедельник"
	case time.Tuesday:
		return "во вторник"
	case time.Wednesday:
		return "в среду"
	case time.Thursday:
		return "в четверг"
	case time.Friday:
		return "в пятницу"
	case time.Saturday:
		return "в субботу"
	}
	return "в воскресенье"
}

// MessageBody is how a conversation message reads to the team in every
// channel: text as the channel escapes it (text), behind a mark of what
// kind of message it is (a hand-off, a photo, a file, a voice note, a
// location, a shared contact).
func MessageBody(m *crm.Message, text string) string {
	switch m.Kind {
	case crm.MessageHandoff:
		return strings.TrimSpace("🙋 asks for a person. " + text)
	case crm.MessagePhoto:
		return strings.TrimSpace("📷 photo " + text)
	case crm.MessageDocument:
		return strings.TrimSpace("📎 file " + text)
	case crm.MessageVoice:
		return "🎤 voice note"
	case crm.MessageLocation:
		return "📍 location https://maps.google.com/?q=" + m.Media
	case crm.MessageContact:
		return "📱 shared a contact: " + text
	}
	return text
}
