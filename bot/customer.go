package bot

import (
	"context"
	"slices"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// handle is one customer update under the chat's lock. raw is the stored
// session; the result is the session as the update leaves it, with the
// reply to send.
//
// The buttons under a sweep's message (a survey's score, a follow-up's
// reason, "come back") and a campaign's (cmp:) are handled here, not routed elsewhere: they are
// the customer's, pressed in their private chat, and need what every
// customer update has, the gate (each press once, in the chat's order
// with their typed messages), the session's contact, and the reply that
// answers the press, on the webhook's response when it can.
func (d *Dispatcher) handle(ctx context.Context, u Update, raw []byte) (*session, error) {
	s, applied, err := d.loadSession(ctx, u, raw)
	if err != nil {
		return nil, err
	}
	late := d.late(u, s)
	switch {
	case applied:
		// Redelivered after a crash that came between PostgreSQL and
		// Redis: the answer is stored and nothing was said yet. Say what
		// the stored dialogue asks now, which is what was lost.
		err = d.resume(u, s)
	case late && (u.Kind == InputBlocked || u.Kind == InputUnblocked):
		// A later update says more about the chat than this one: a
		// customer who wrote after blocking had unblocked.
		s.quiet = true
	case late && s.open() && (u.Kind == InputText || u.Kind == InputContact || u.Kind == InputOther):
		err = d.lateAnswer(ctx, u, s)
	case u.Kind == InputBlocked || u.Kind == InputUnblocked:
		err = d.membership(ctx, u, s)
	case d.cfg.Engagement != nil && u.Kind == InputButton && engagementButton(u.Button):
		err = d.engagementButton(ctx, u, s)
	case d.cfg.Campaigns != nil && u.Kind == InputButton && campaignButton(u.Button):
		err = d.campaignPress(ctx, u, s)
	case u.Kind == InputCommand:
		err = d.command(ctx, u, s)
	case !s.open():
		err = d.outsideDialogue(ctx, u, s)
	default:
		err = d.answer(ctx, u, s)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// lateAnswer keeps what an out-of-order update typed (or shared) without
// applying it to the question the dialogue waits on now, which it was not
// meant for, and asks that question again. The text is a message event on
// the lead's timeline, where the team sees it and /forget finds it.
// Buttons need none of this: a pressed button names its question, and
// flows.Advance turns away one of another step as stale.
func (d *Dispatcher) lateAnswer(ctx context.Context, u Update, s *session) error {
	text := u.Text
	if u.Contact != nil {
		text = "contact " + u.Contact.Phone
	}
	if err := d.cfg.Leads.AddEvent(ctx, crm.Event{LeadID: s.LeadID, Kind: crm.EventMessage, Actor: "customer", At: d.now(),
		Data: map[string]any{"text": text, "late": true, "update_id": u.ID, "step": s.State.Step}}); err != nil {
		return err
	}
	return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
}

// resume asks the question the dialogue waits on, or says the request is
// with the team when it is finished.
func (d *Dispatcher) resume(u Update, s *session) error {
	if s.open() {
		return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
	}
	flow, lang := d.flowAndLang(u, s)
	return s.say("", []flows.Prompt{{Text: flow.T("already_done", lang)}})
}

func (d *Dispatcher) command(ctx context.Context, u Update, s *session) error {
	switch u.Command {
	case "start":
		return d.start(ctx, u, s)
	case "restart":
		return d.restart(ctx, u, s)
	case "cancel":
		return d.cancel(ctx, u, s)
	case "manager":
		if d.cfg.Conversations != nil {
			return d.handOff(ctx, u, s, "")
		}
		flow, lang := d.flowAndLang(u, s)
		return s.say("", []flows.Prompt{{Text: flow.T("help", lang)}})
	case "stop", "forget":
		if d.cfg.Engagement != nil {
			return d.consent(ctx, u, s)
		}
		fallthrough
	default: // help and anything unknown
		flow, lang := d.flowAndLang(u, s)
		msgs := []flows.Prompt{{Text: flow.T("help", lang)}}
		if s.open() {
			msgs = append(msgs, flows.Ask(flow, s.State, u.User.FirstName)...)
		}
		return s.say("", msgs)
	}
}

// start begins a dialogue, or resumes the one in progress. A /start link
// followed in the middle of a dialogue is recorded as a touch and does not
// change the lead's first-touch attribution.
func (d *Dispatcher) start(ctx context.Context, u Update, s *session) error {
	if s.open() {
		if u.Text != "" {
			a := crm.ParseStartPayload(u.Text)
			if err := d.cfg.Leads.AddEvent(ctx, crm.Event{LeadID: s.LeadID, Kind: crm.EventTouch, Actor: "customer", At: d.now(),
				Data: map[string]any{"payload": a.Payload, "source": a.Source, "campaign": a.Campaign}}); err != nil {
				return err
			}
		}
		return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
	}
	if s.LeadID != 0 && (s.Stage == crm.StageQualified || s.Stage == crm.StageContacted) {
		// The request is with the sales team already: say so instead of
		// opening a second lead; /restart is there for a new request.
		flow, lang := d.flowAndLang(u, s)
		return s.say("", []flows.Prompt{{Text: flow.T("already_done", lang)}})
	}
	return d.newLead(ctx, u, s, crm.ParseStartPayload(u.Text))
}

// restart starts the dialogue over. The answers given so far stay in
// PostgreSQL, superseded, so nothing the customer typed is lost.
func (d *Dispatcher) restart(ctx context.Context, u Update, s *session) error {
	if !s.open() {
		return d.newLead(ctx, u, s, crm.ParseStartPayload(u.Text))
	}
	// The lead keeps its flow and its experiment arms: a restart is the
	// same customer in the same variant.
	flow := d.flowOf(s.State.Flow)
	if err := d.cfg.Leads.RestartLead(ctx, s.LeadID, flow.Start, d.now()); err != nil {
		return err
	}
	res := flows.BeginWith(flow, flow.Lang(u.User.Language), u.User.FirstName, s.State.Variants)
	s.Stage, s.State = crm.StageNew, res.State
	return s.say("", res.Prompts)
}

// cancel ends the dialogue; the lead is closed as lost with the reason
// "cancelled" and keeps its answers.
func (d *Dispatcher) cancel(ctx context.Context, u Update, s *session) error {
	flow, lang := d.flowAndLang(u, s)
	if s.open() {
		err := d.cfg.Leads.CloseLead(ctx, s.LeadID, "cancelled", crm.Event{LeadID: s.LeadID, Kind: crm.EventCancelled, Actor: "customer", At: d.now(),
			Data: map[string]any{"step": s.State.Step}})
		if err != nil && crm.ErrorCode(err) != crm.ECONFLICT {
			return err
		}
		s.Stage, s.State.Done, s.State.Step, s.Cancelled = crm.StageLost, true, "", true
	}
	return s.say("", []flows.Prompt{{Text: flow.T("cancelled", lang), RemoveKeyboard: true}})
}

func (d *Dispatcher) newLead(ctx context.Context, u Update, s *session, a crm.Attribution) error {
	return d.newLeadOf(ctx, u, s, d.cfg.DefaultFlow, a)
}

// newLeadOf opens a lead on the flow with id (the default flow, with its
// experiments' routing, when id is it or is not loaded) and asks its
// first question.
func (d *Dispatcher) newLeadOf(ctx context.Context, u Update, s *session, id string, a crm.Attribution) error {
	flow, variants := d.startFlow(s.ContactID)
	if f := d.cfg.Flows[id]; f != nil && id != d.cfg.DefaultFlow {
		flow, variants = f, f.Assign(s.ContactID)
	}
	res := flows.BeginWith(flow, flow.Lang(u.User.Language), u.User.FirstName, variants)
	lead := &crm.Lead{
		Variants:    variants,
		ContactID:   s.ContactID,
		Stage:       crm.StageNew,
		Temperature: crm.Cold,
		FlowID:      flow.ID,
		FlowVersion: flow.Version,
		Step:        res.State.Step,
		Attribution: crm.Referred(a, s.ContactID),
		CreatedAt:   d.now(),
		UpdatedAt:   d.now(),
	}
	if err := d.cfg.Leads.CreateLead(ctx, lead); err != nil {
		return err
	}
	s.LeadID, s.Stage, s.State = lead.ID, lead.Stage, res.State
	return s.say("", res.Prompts)
}

// startFlow is the flow a new lead of contact follows and its arms of
// the experiments: the default flow's, and, when its whole-flow
// experiment sends the contact to another flow, that flow's too. The
// arms are a hash of the contact and the experiment, so the contact's
// next lead gets the same ones while the weights stay.
func (d *Dispatcher) startFlow(contact int64) (*flows.Flow, map[string]string) {
	flow := d.cfg.Flows[d.cfg.DefaultFlow]
	variants := flow.Assign(contact)
	if other := d.cfg.Flows[flow.Route(variants)]; other != nil && other != flow {
		flow = other
		for e, v := range other.Assign(contact) {
			if variants == nil {
				variants = map[string]string{}
			}
			variants[e] = v
		}
	}
	return flow, variants
}

// outsideDialogue handles input when no question is waiting. A first
// message from a new customer starts the flow; later free text is kept on
// the lead's timeline so the team sees it.
func (d *Dispatcher) outsideDialogue(ctx context.Context, u Update, s *session) error {
	if d.cfg.Engagement != nil && u.Kind == InputText && s.ContactID != 0 {
		survey, ok, err := d.cfg.Engagement.Comment(ctx, s.ContactID, u.Text)
		if err != nil {
			return err
		}
		if ok {
			return d.thankForComment(ctx, u, s, survey)
		}
	}
	closed := s.Stage == crm.StageLost || s.Stage == crm.StageWon
	if s.LeadID == 0 || (d.cfg.Conversations == nil && closed || s.Cancelled && s.Stage == crm.StageLost) && u.Kind == InputText {
		return d.newLead(ctx, u, s, crm.Attribution{})
	}
	if d.cfg.Conversations != nil && u.Kind != InputButton {
		// The flow is over: whatever the customer writes is for a person.
		return d.toTeam(ctx, u, s, "", "")
	}
	flow, lang := d.flowAndLang(u, s)
	switch u.Kind {
	case InputButton:
		return s.say(flow.T("stale_button", lang), nil)
	case InputText, InputContact:
		text := u.Text
		if u.Contact != nil {
			text = "contact " + u.Contact.Phone
		}
		if err := d.cfg.Leads.AddEvent(ctx, crm.Event{LeadID: s.LeadID, Kind: crm.EventMessage, Actor: "customer", At: d.now(),
			Data: map[string]any{"text": text}}); err != nil {
			return err
		}
	}
	return s.say("", []flows.Prompt{{Text: flow.T("already_done", lang)}})
}

// answer steps the flow with the customer's input and stores the answer
// before anything is said back.
func (d *Dispatcher) answer(ctx context.Context, u Update, s *session) error {
	flow := d.flowOf(s.State.Flow)
	in := flows.Input{Text: u.Text, Button: u.Button, SenderID: u.User.ID, Name: u.User.FirstName}
	if u.Contact != nil {
		in.Contact = &flows.Contact{Phone: u.Contact.Phone, UserID: u.Contact.UserID}
	}
	if u.Kind == InputOther {
		in = flows.Input{SenderID: u.User.ID, Name: u.User.FirstName}
	}
	if u.Media != nil && d.cfg.Conversations != nil {
		// A photo, a file, a voice note or a location answers no
		// question: the team gets it, and the question is asked again.
		return d.toTeam(ctx, u, s, "", "")
	}
	res := flows.Advance(flow, s.State, in)
	for _, c := range res.Overbudget {
		d.cfg.Logger.WarnContext(ctx, "flow condition over its budget, counted as false", "chat_id", u.ChatID, "condition", c)
	}
	if res.Answer != nil {
		p := d.progress(s, res, u.ID)
		if err := d.cfg.Leads.SaveProgress(ctx, p); err != nil {
			if crm.ErrorCode(err) != crm.ECONFLICT {
				return err
			}
			// PostgreSQL already has this step's answer. If it came in
			// this very update, the update was handled before and its
			// "done" mark is gone (Redis flushed, or the replica died
			// between PostgreSQL and Redis): say nothing, as for any
			// duplicate. Otherwise the session was behind: rebuild from
			// the facts and ask whatever comes next.
			fresh, answers, err := d.rebuildWith(ctx, u)
			if err != nil {
				return err
			}
			if s.Last > fresh.Last {
				fresh.Last, fresh.LastAt = s.Last, s.LastAt
			}
			*s = *fresh
			if u.ID != 0 && slices.ContainsFunc(answers, func(a crm.Answer) bool { return a.UpdateID == u.ID }) {
				s.quiet = true
				return nil
			}
			if !s.open() {
				return s.say("", nil)
			}
			return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
		}
		s.Stage = p.Stage
		if res.Finished && d.cfg.Qualified != nil {
			d.cfg.Qualified(res.Temperature)
		}
	}
	s.State = res.State
	if res.Finished && d.cfg.Conversations != nil {
		// A dialogue that asked for a person (an option or a step
		// marked handoff: the support branch) opens its conversation
		// with the team as it ends, whatever its temperature.
		if what, ok := flows.Handoff(flow, res.State, res.State.Lang); ok {
			m := &crm.Message{LeadID: s.LeadID, ContactID: s.ContactID, Kind: crm.MessageHandoff, Text: what, UpdateID: u.ID, At: d.now()}
			if _, err := d.cfg.Conversations.Receive(ctx, m); err != nil {
				return err
			}
		}
	}
	return s.say(res.Notice, res.Prompts)
}

// progress is the durable change one answer makes to a lead.
func (d *Dispatcher) progress(s *session, res flows.Result, updateID int64) crm.Progress {
	now := d.now()
	a := res.Answer
	flow := d.flowOf(s.State.Flow)
	p := crm.Progress{
		LeadID:    s.LeadID,
		ContactID: s.ContactID,
		Answer: &crm.Answer{LeadID: s.LeadID, StepID: a.Step, Kind: a.Kind, Value: a.Value, Score: a.Score, At: now,
			UpdateID: updateID},
		Score:       res.State.Score,
		Stage:       crm.StageQualifying,
		Temperature: flow.Thresholds.Temperature(res.State.Score),
		Step:        res.State.Step,
		At:          now,
		// No "answered" event: the answers row is the answer's timeline
		// entry (the store's readers derive it, crm.EventAnswered).
	}
	switch a.Kind {
	case "phone":
		p.Phone = a.Value
	case "email":
		p.Email = a.Value
	}
	if res.Finished {
		p.Stage = crm.StageQualified
		p.Temperature = res.Temperature
		p.Events = append(p.Events, crm.Event{LeadID: s.LeadID, Kind: crm.EventQualified, Actor: "system", At: now,
			Data: map[string]any{"score": res.State.Score, "temperature": string(res.Temperature)}})
		if d.cfg.Alerts {
			p.Jobs = crm.AlertJobs(s.LeadID, p.Stage, p.Temperature)
		}
	}
	return p
}

func (d *Dispatcher) flowAndLang(u Update, s *session) (*flows.Flow, string) {
	flow := d.flowOf(s.State.Flow)
	if s.State.Lang != "" {
		return flow, s.State.Lang
	}
	return flow, flow.Lang(u.User.Language)
}

// reply is what the update says back: the answer to a pressed button
// (always, so the spinner stops) and the messages, with the update's reply
// slot, so that one call may ride on the channel's response.
func (d *Dispatcher) reply(u Update, s *session) Reply {
	r := Reply{ChatID: u.ChatID, Slot: u.Slot}
	if u.CallbackID != "" {
		r.Callback = &CallbackAnswer{CallbackID: u.CallbackID, Text: s.notice}
	}
	for _, p := range s.prompts {
		if p.Edit && len(p.Choices) == 0 && u.ButtonMessageID == 0 {
			continue // an echo of a press whose message is unknown: nothing to edit
		}
		r.Messages = append(r.Messages, promptMessage(u.ChatID, p, u.ButtonMessageID))
	}
	return r
}

// deliver sends r, through a Replier in one go when the sender is one.
// The update's effects are durable by now and it is marked done, so a
// message that cannot be delivered is logged and not retried by
// redelivery: the customer's next message, or the follow-up nudge, asks
// the question again.
func (d *Dispatcher) deliver(ctx context.Context, u Update, r Reply) {
	if rp, ok := d.cfg.Sender.(Replier); ok {
		if _, err := rp.Reply(ctx, r); err != nil {
			d.cfg.Logger.ErrorContext(ctx, "send reply", "chat_id", u.ChatID, "err", err)
		}
		return
	}
	if r.Callback != nil {
		if err := d.cfg.Sender.AnswerCallback(ctx, *r.Callback); err != nil {
			d.cfg.Logger.WarnContext(ctx, "answer callback", "err", err)
		}
	}
	for _, m := range r.Messages {
		if _, err := d.cfg.Sender.Send(ctx, m); err != nil {
			d.cfg.Logger.ErrorContext(ctx, "send reply", "chat_id", u.ChatID, "err", err)
			return
		}
	}
}

// promptMessage renders one of the engine's prompts for chat; an Edit
// prompt replaces editID (the message whose button was pressed) when set.
func promptMessage(chat int64, p flows.Prompt, editID int) Message {
	m := Message{ChatID: chat, Text: p.Text, RequestContact: p.RequestContact, RemoveKeyboard: p.RemoveKeyboard}
	for _, row := range p.Choices {
		var buttons []Button
		for _, c := range row {
			buttons = append(buttons, Button{Text: c.Text, Data: c.Data})
		}
		m.Buttons = append(m.Buttons, buttons)
	}
	if p.Edit && editID != 0 {
		m.EditMessageID = editID
	}
	return m
}
