package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// GroupTeam answers the team's commands in the sales group as in every
// channel (bot.Team).
type GroupTeam interface {
	Answer(ctx context.Context, m crm.Manager, channel, command, args string) []bot.Message
}

// CardSource gives a lead's card as the team sees it now (crm.Sales).
type CardSource interface {
	LeadCard(ctx context.Context, leadID int64) (*crm.LeadCard, error)
}

// command answers a team member's command in the group: /help and
// /start the commands of their role, /lead the lead's card with the
// buttons its stage allows, /claim claims it (the card follows), every
// team command (reports, the desk's tools) as in a private chat, and an
// unknown command one line of help. A stranger's command is ignored: the
// group is the team's.
func (h *SalesGroupHandler) command(ctx context.Context, in salesInput) error {
	m, ok := h.desk.ManagerByTelegram(in.user.ID)
	if !ok || in.user.ID == 0 {
		return nil
	}
	var msgs []bot.Message
	switch name := strings.ToLower(in.command); {
	case name == "help" || name == "start":
		msgs = []bot.Message{{Text: bot.TeamHelp(m, bot.MemberLang(m, h.opts.Language), "/") + "\n" + bot.TeamText(bot.MemberLang(m, h.opts.Language), "tg.group_help")}}
	case name == "lead" && h.opts.Cards != nil:
		id, ok := leadArg(in.args)
		if !ok {
			msgs = []bot.Message{{Text: bot.TeamTextf(h.opts.Language, "tg.group_usage", name, name)}}
			break
		}
		return h.showCard(ctx, id)
	case name == "claim":
		id, ok := leadArg(in.args)
		if !ok {
			msgs = []bot.Message{{Text: bot.TeamTextf(h.opts.Language, "tg.group_usage", name, name)}}
			break
		}
		text := "🙋 " + bot.TeamTextf(h.opts.Language, "tg.group_claimed", m.Name, id)
		if err := h.act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: m}); err != nil {
			text = h.failure(ctx, h.opts.Language, err, id, "claim")
		}
		msgs = []bot.Message{{Text: text}}
	case bot.IsTeamCommand(name) && h.opts.Team != nil:
		msgs = h.opts.Team.Answer(ctx, m, "telegram", name, in.args)
	default:
		msgs = []bot.Message{{Text: bot.TeamGroupUnknown(h.opts.Language, "/"+name)}}
	}
	for _, msg := range msgs {
		msg.ChatID = h.chatID
		if _, err := h.sender.Send(ctx, msg); err != nil {
			return fmt.Errorf("sales group /%s: %w", in.command, err)
		}
	}
	return nil
}

// showCard posts a lead's card with the buttons of its stage.
func (h *SalesGroupHandler) showCard(ctx context.Context, id int64) error {
	card, err := h.opts.Cards.LeadCard(ctx, id)
	if err != nil {
		text := h.failure(ctx, h.opts.Language, err, id, "lead")
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			text = bot.ErrorText(h.opts.Language, crm.Errorf(crm.ENOTFOUND, "Lead #%d not found.", id))
		}
		h.say(ctx, text)
		return nil
	}
	f := bot.Format{Lang: h.opts.Language, Loc: h.opts.TimeZone}
	m := bot.Message{ChatID: h.chatID, Text: cardText(card, f), Buttons: cardButtons(card, h.opts.Language)}
	if _, err := h.sender.Send(ctx, m); err != nil {
		return fmt.Errorf("sales group /lead %d: %w", id, err)
	}
	return nil
}

func leadArg(args string) (int64, bool) {
	f := strings.Fields(args)
	if len(f) == 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(f[0], "#"), 10, 64)
	return id, err == nil && id > 0
}
