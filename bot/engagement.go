package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// engagementButton reports whether data is a button of a sweep's message
// rather than of the dialogue: nps:<survey>:<score>, why:<lead>:<reason>,
// re:<lead>.
func engagementButton(data string) bool {
	return strings.HasPrefix(data, "nps:") || strings.HasPrefix(data, "why:") || strings.HasPrefix(data, "re:")
}

func (d *Dispatcher) engagementButton(ctx context.Context, u Update, s *session) error {
	flow, lang := d.flowAndLang(u, s)
	parts := strings.Split(u.Button, ":")
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.ContactID == 0 {
		return s.say(flow.T("stale_button", lang), nil)
	}
	switch parts[0] {
	case "nps":
		score, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil || len(parts) != 3 {
			return s.say(flow.T("stale_button", lang), nil)
		}
		if _, err := d.cfg.Engagement.Score(ctx, s.ContactID, id, score); err != nil {
			if code := crm.ErrorCode(err); code == crm.ECONFLICT || code == crm.EFORBIDDEN || code == crm.ENOTFOUND || code == crm.EINVALID {
				return s.say(flow.T("stale_button", lang), nil)
			}
			return err
		}
		return s.say(strconv.Itoa(score)+"/10", []flows.Prompt{{Text: flow.T("nps_reason", lang)}})
	case "why":
		if len(parts) != 3 {
			return s.say(flow.T("stale_button", lang), nil)
		}
		if parts[2] == WhyQuestion && d.cfg.Conversations != nil && id == s.LeadID {
			// A question for a manager reaches one: the lead goes to the
			// team and the customer is asked to write the question.
			if _, err := d.cfg.Engagement.Reason(ctx, s.ContactID, id, parts[2]); err != nil && crm.ErrorCode(err) != crm.EFORBIDDEN && crm.ErrorCode(err) != crm.ENOTFOUND {
				return err
			}
			return d.handOff(ctx, u, s, flow.T("why_question", lang))
		}
		lost, err := d.cfg.Engagement.Reason(ctx, s.ContactID, id, parts[2])
		if code := crm.ErrorCode(err); code == crm.EFORBIDDEN || code == crm.ENOTFOUND {
			return s.say(flow.T("stale_button", lang), nil)
		} else if err != nil {
			return err
		}
		if lost && id == s.LeadID {
			// The lead is closed now: the next message starts afresh.
			s.Stage, s.State.Done, s.State.Step = crm.StageLost, true, ""
		}
		return s.say("", []flows.Prompt{{Text: flow.T("why_thanks", lang), RemoveKeyboard: true}})
	case "re":
		if s.open() {
			return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
		}
		return d.newLead(ctx, u, s, crm.Attribution{Source: "reengage", Payload: "reengage"})
	}
	return s.say(flow.T("stale_button", lang), nil)
}

// thankForComment answers the reason given for a score: promoters are
// asked to tell their friends, everyone is thanked.
func (d *Dispatcher) thankForComment(ctx context.Context, u Update, s *session, survey *crm.Survey) error {
	flow, lang := d.flowAndLang(u, s)
	text := flow.T("nps_thanks", lang)
	if survey.Score != nil && crm.NPSCategory(*survey.Score) == crm.Promoter {
		text = flow.T("referral", lang)
		if d.cfg.BotUsername != "" && s.ContactID != 0 {
			link := "https://t.me/" + d.cfg.BotUsername + "?start=r-" + crm.ReferralCode(s.ContactID)
			text = strings.ReplaceAll(flow.T("referral_link", lang), "{link}", link)
		}
	}
	return s.say("", []flows.Prompt{{Text: text}})
}

// membership records that the customer blocked the bot or unblocked it.
// It says nothing (a blocked customer cannot be written to, one who comes
// back writes first) and leaves the dialogue where it was.
func (d *Dispatcher) membership(ctx context.Context, u Update, s *session) error {
	s.quiet = true
	if d.cfg.Engagement == nil || s.ContactID == 0 {
		return nil
	}
	if u.Kind == InputBlocked {
		return d.cfg.Engagement.Blocked(ctx, s.ContactID)
	}
	return d.cfg.Engagement.Unblocked(ctx, s.ContactID)
}

// consent handles /stop (no more unsolicited messages, for good) and
// /forget (personal data erased; the dialogue state goes with it).
func (d *Dispatcher) consent(ctx context.Context, u Update, s *session) error {
	flow, lang := d.flowAndLang(u, s)
	if s.ContactID == 0 {
		return s.say("", []flows.Prompt{{Text: flow.T("stopped", lang)}})
	}
	if u.Command == "stop" {
		if err := d.cfg.Engagement.Stop(ctx, s.ContactID); err != nil {
			return err
		}
		return s.say("", []flows.Prompt{{Text: flow.T("stopped", lang), RemoveKeyboard: true}})
	}
	if s.open() {
		err := d.cfg.Leads.CloseLead(ctx, s.LeadID, "forgotten", crm.Event{LeadID: s.LeadID, Kind: crm.EventCancelled, Actor: "customer", At: d.now(),
			Data: map[string]any{"step": s.State.Step}})
		if err != nil && crm.ErrorCode(err) != crm.ECONFLICT {
			return err
		}
	}
	if err := d.cfg.Engagement.Forget(ctx, s.ContactID); err != nil {
		return err
	}
	s.forget = true
	return s.say("", []flows.Prompt{{Text: flow.T("forgotten", lang), RemoveKeyboard: true}})
}
