package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// CampaignClicks is what the dispatcher asks of crm.Campaigns: record a
// press of a campaign message's button (the first press is the send's
// reply for its goal) and say what the button does.
type CampaignClicks interface {
	Click(ctx context.Context, contactID, sendID int64, index int) (*crm.CampaignSend, crm.CampaignButton, error)
}

// campaignButton reports whether data is a campaign message's button,
// cmp:<send>:<n> (bot.CampaignOutreach writes them).
func campaignButton(data string) bool { return strings.HasPrefix(data, "cmp:") }

// campaignPress handles a press of a campaign button in the customer's
// turn, like the sweeps' buttons (engagementButton): the press is
// recorded, then the button does what the campaign says.
//
//   - flow: the dialogue waiting is asked on (a campaign never breaks
//     off a dialogue in progress); a request with the team is told it
//     is; otherwise a new lead starts the button's flow, attributed to
//     the campaign.
//   - manager: a hand-off (handoff).
//   - choice: stored on the send; the customer is thanked.
//
// A press of a message that is not the customer's, of a button the
// campaign no longer has, or of a campaign that is gone is answered as a
// stale button and changes nothing.
func (d *Dispatcher) campaignPress(ctx context.Context, u Update, s *session) error {
	flow, lang := d.flowAndLang(u, s)
	stale := func() error { return s.say(flow.T("stale_button", lang), nil) }
	parts := strings.Split(u.Button, ":")
	if len(parts) != 3 || s.ContactID == 0 {
		return stale()
	}
	sendID, err1 := strconv.ParseInt(parts[1], 10, 64)
	n, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil {
		return stale()
	}
	send, b, err := d.cfg.Campaigns.Click(ctx, s.ContactID, sendID, n)
	switch crm.ErrorCode(err) {
	case "":
	case crm.ENOTFOUND, crm.EFORBIDDEN, crm.EINVALID:
		return stale()
	default:
		return err
	}
	switch b.Action {
	case crm.ActionFlow:
		if s.open() {
			return s.say("", flows.Ask(d.flowOf(s.State.Flow), s.State, u.User.FirstName))
		}
		if withTeam(s) {
			return s.say("", []flows.Prompt{{Text: flow.T("already_done", lang)}})
		}
		return d.newLeadOf(ctx, u, s, b.Value, campaignAttribution(send))
	case crm.ActionManager:
		return d.handoff(ctx, u, s, send)
	case crm.ActionChoice:
		return s.say("✓", []flows.Prompt{{Text: flow.T("campaign_choice", lang)}})
	}
	return stale()
}

// withTeam reports whether the chat's latest request is with the sales
// team (qualified, or a rep has contacted the customer).
func withTeam(s *session) bool {
	return s.LeadID != 0 && (s.Stage == crm.StageQualified || s.Stage == crm.StageContacted)
}

// campaignAttribution is the first touch of a lead a campaign's button
// opened: source "campaign", the campaign, and its variant as the payload.
func campaignAttribution(send *crm.CampaignSend) crm.Attribution {
	return crm.Attribution{Source: "campaign", Medium: "telegram", Campaign: send.Campaign,
		Payload: "cmp_" + send.Campaign + "_" + send.Variant}
}

// handoff gives the customer to a person, with what exists today: the
// team hears of them as of an unclaimed hot lead. Their request with
// the team gets a note under its card mentioning its rep and the heads
// (a handoff job); a dialogue in progress ends here, qualified hot with
// the answers so far; otherwise a new lead, attributed to the campaign,
// is qualified hot at once. Either way a sales_alert job in the same
// transaction posts the card, routes the lead and starts the claim SLA,
// so an unclaimed hand-off is escalated like any hot lead.
func (d *Dispatcher) handoff(ctx context.Context, u Update, s *session, send *crm.CampaignSend) error {
	flow, lang := d.flowAndLang(u, s)
	now := d.now()
	ev := crm.Event{Kind: "handoff", Actor: "customer", At: now,
		Data: map[string]any{"campaign": send.Campaign, "send": send.ID, "variant": send.Variant}}
	if withTeam(s) {
		lead, err := d.cfg.Leads.Lead(ctx, s.LeadID)
		if err != nil {
			return err
		}
		ev.LeadID = lead.ID
		key := send.Campaign + ":" + strconv.FormatInt(send.ID, 10)
		// Score, step and stage as they are: only the event and the job.
		if err := d.cfg.Leads.SaveProgress(ctx, crm.Progress{LeadID: lead.ID, ContactID: s.ContactID, Score: lead.Score,
			Step: lead.Step, At: now, Events: []crm.Event{ev}, Jobs: []crm.Job{{Kind: crm.JobHandoff, LeadID: lead.ID, Key: key}}}); err != nil {
			return err
		}
		return s.say("", []flows.Prompt{{Text: flow.T("campaign_handoff", lang), RemoveKeyboard: true}})
	}
	score, step := s.State.Score, s.State.Step
	if !s.open() {
		f := d.cfg.Flows[d.cfg.DefaultFlow]
		lead := &crm.Lead{ContactID: s.ContactID, Stage: crm.StageNew, Temperature: crm.Cold, FlowID: f.ID, FlowVersion: f.Version,
			Attribution: campaignAttribution(send), CreatedAt: now, UpdatedAt: now}
		if err := d.cfg.Leads.CreateLead(ctx, lead); err != nil {
			return err
		}
		s.LeadID, s.State = lead.ID, flows.State{Flow: f.ID, Version: f.Version, Lang: flow.Lang(u.User.Language)}
		score, step = 0, ""
	}
	ev.LeadID = s.LeadID
	p := crm.Progress{LeadID: s.LeadID, ContactID: s.ContactID, Score: score, Stage: crm.StageQualified, Temperature: crm.Hot,
		Step: step, At: now, Events: []crm.Event{ev, {LeadID: s.LeadID, Kind: crm.EventQualified, Actor: "system", At: now,
			Data: map[string]any{"score": score, "temperature": string(crm.Hot), "handoff": send.Campaign}}}}
	if d.cfg.Alerts {
		p.Jobs = crm.AlertJobs(s.LeadID, crm.StageQualified, crm.Hot)
	}
	if err := d.cfg.Leads.SaveProgress(ctx, p); err != nil {
		return err
	}
	s.Stage, s.State.Done, s.State.Step = crm.StageQualified, true, ""
	if d.cfg.Qualified != nil {
		d.cfg.Qualified(crm.Hot)
	}
	return s.say("", []flows.Prompt{{Text: flow.T("campaign_handoff", lang), RemoveKeyboard: true}})
}
