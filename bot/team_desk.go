package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/voronka/voronka/crm"
)

// deskCommands are the rep's daily tools (crm.Desk), answered like the
// reports in every channel: a private chat with the bot, Slack's
// /voronka, the sales group. HeadsOnly marks the ones a rep is not
// offered (crm.MayAssign decides; the list only mirrors it).
// /voronka help and the Telegram menus list them after the reports.
var deskCommands = []deskCommandSpec{
	{TeamCommand{"my", "", "your open leads, oldest first: age, stage, next call-back"}, false},
	{TeamCommand{"note", "<id> <text>", "an internal note on a lead; the customer never sees it"}, false},
	{TeamCommand{"callback", "<id> <when>", "remind you to call back, in your time zone: tomorrow 15:00, fri 10:00, in 2h"}, false},
	{TeamCommand{"unclaim", "<id>", "give a lead back: it goes to the next rep"}, false},
	{TeamCommand{"assign", "<id> <name>", "give a lead to someone in the team (heads)"}, true},
}

// headsOnlyReports are the reports crm.Stats answers for heads and
// admins only (crm.SeesAll); a rep's help leaves them out.
var headsOnlyReports = map[string]bool{"model": true, "ab": true}

type deskCommandSpec struct {
	TeamCommand
	headsOnly bool
}

// The desk's texts for the team, in one place for the team-language work
// (English until then, like the rest of the team's side).
const (
	deskNoteAdded   = "📝 Note added to lead #%d."
	deskNotes       = "Notes:"
	deskAssigned    = "👤 Lead #%d is %s's now."
	deskAssignedWas = "👤 Lead #%d is %s's now (was %s's)."
	deskUnclaimed   = "↩️ Lead #%d is nobody's now: the next rep can claim it."
	deskRequeued    = "↩️ Lead #%d is nobody's now: it goes to the next rep on duty."
	deskCallbackSet = "⏰ I'll remind you to call back lead #%d on %s (%s)."
	deskMyNone      = "You have no open leads."
	deskMyTitle     = "Your open leads (%d), oldest first:"
	deskMyLine      = "#%d %s · %s · %s · %s"
	deskMyCall      = "call back %s"
	deskMyNoCall    = "no call-back"
)

// runDesk answers a desk command; ok is false for any other command.
func (s *Team) runDesk(ctx context.Context, m crm.Manager, command, args string) (msgs []Message, ids []int64, ok bool, err error) {
	d := s.cfg.Desk
	c, found := deskCommand(command)
	if d == nil || !found {
		return nil, nil, false, nil
	}
	if command == "my" {
		msgs, ids, err = s.my(ctx, d, m)
		return msgs, ids, true, err
	}
	idText, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	id, perr := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	rest = strings.TrimSpace(rest)
	if perr != nil || id <= 0 || (command != "unclaim" && rest == "") {
		return nil, nil, true, usage(c, "")
	}
	ids = []int64{id}
	var text string
	switch command {
	case "note":
		if _, err := d.Note(ctx, m, id, rest); err != nil {
			return nil, ids, true, err
		}
		text = fmt.Sprintf(deskNoteAdded, id)
	case "assign":
		card, err := d.Assign(ctx, m, id, rest)
		if err != nil {
			return nil, ids, true, err
		}
		text = fmt.Sprintf(deskAssigned, id, card.Assignee.Name)
	case "unclaim":
		card, err := d.Unclaim(ctx, m, id)
		if err != nil {
			return nil, ids, true, err
		}
		text = fmt.Sprintf(deskUnclaimed, id)
		if card.Waiting {
			text = fmt.Sprintf(deskRequeued, id)
		}
	case "callback":
		_, due, err := d.ScheduleCallback(ctx, m, id, rest)
		if err != nil {
			return nil, ids, true, err
		}
		loc := d.Location(m)
		text = fmt.Sprintf(deskCallbackSet, id, due.In(loc).Format("Mon 2 Jan 15:04"), loc.String())
	}
	return []Message{{Text: text}}, ids, true, nil
}

// my renders /my: one line a lead, oldest first.
func (s *Team) my(ctx context.Context, d *crm.Desk, m crm.Manager) ([]Message, []int64, error) {
	open, err := d.My(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	if len(open) == 0 {
		return []Message{{Text: deskMyNone}}, nil, nil
	}
	loc := d.Location(m)
	f := Format{Lang: TeamLanguage, Loc: loc}
	now := d.Now()
	lines := []string{fmt.Sprintf(deskMyTitle, len(open))}
	ids := make([]int64, len(open))
	for i, o := range open {
		ids[i] = o.LeadID
		name := o.Name
		if name == "" {
			name = "—"
		}
		call := deskMyNoCall
		if o.NextCall != nil {
			call = fmt.Sprintf(deskMyCall, f.Clock(*o.NextCall, now))
		}
		lines = append(lines, fmt.Sprintf(deskMyLine, o.LeadID, name, f.Age(now.Sub(o.QualifiedAt)),
			f.Stage(o.Stage), call))
	}
	return []Message{{Text: strings.Join(lines, "\n")}}, ids, nil
}

// leadNotes is the notes block /lead adds under the card, "" for none.
func (s *Team) leadNotes(ctx context.Context, m crm.Manager, id int64) string {
	if s.cfg.Desk == nil {
		return ""
	}
	notes, err := s.cfg.Desk.Notes(ctx, m, id)
	if err != nil || len(notes) == 0 {
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "lead notes", "lead", id, "err", err)
		}
		return ""
	}
	loc := s.cfg.Desk.Location(m)
	now := s.cfg.Desk.Now()
	f := Format{Lang: TeamLanguage, Loc: loc}
	lines := []string{deskNotes}
	for _, n := range notes {
		text := n.Text
		if text == "" {
			text = "(erased)"
		}
		lines = append(lines, "  "+f.Clock(n.CreatedAt, now)+" "+n.Author+": "+text)
	}
	return strings.Join(lines, "\n")
}

func deskCommand(name string) (TeamCommand, bool) {
	for _, c := range deskCommands {
		if c.Name == name {
			return c.TeamCommand, true
		}
	}
	return TeamCommand{}, false
}

// TeamCommandsFor lists the commands m's role allows, in help order: the
// reports, then the desk's (without the heads' ones for a rep).
func TeamCommandsFor(m crm.Manager) []TeamCommand {
	var out []TeamCommand
	for _, c := range teamCommands {
		if headsOnlyReports[c.Name] && !crm.SeesAll(m) {
			continue
		}
		out = append(out, c)
	}
	for _, c := range deskCommands {
		if c.headsOnly && !crm.MayAssign(m) {
			continue
		}
		out = append(out, c.TeamCommand)
	}
	return out
}
