package telegram

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// CallbackDesk schedules a rep's call-back (crm.Desk).
type CallbackDesk interface {
	ScheduleCallback(ctx context.Context, by crm.Manager, leadID int64, when string) (*crm.LeadCard, time.Time, error)
	Location(m crm.Manager) *time.Location
	Now() time.Time
}

// callbackChoices puts the quick call-back times (crm.CallbackChoices, in
// the presser's zone) in place of the card's buttons, with Back.
func (h *SalesGroupHandler) callbackChoices(ctx context.Context, in salesInput, m crm.Manager, leadID int64) error {
	if h.opts.Desk == nil || in.messageText == "" {
		h.answer(ctx, in, bot.TeamText(h.opts.Language, "tg.unknown_button"))
		return nil
	}
	lang := bot.MemberLang(m, h.opts.Language)
	codes := actionCodes(in.keyboard)
	var rows [][]bot.Button
	for _, c := range crm.CallbackChoices(h.opts.Desk.Now(), h.opts.Desk.Location(m)) {
		data := callbackData(actCallbackAt, leadID, codes, strings.ReplaceAll(c, ":", "."))
		rows = append(rows, []bot.Button{{Text: "⏰ " + bot.CallbackText(lang, c), Data: data}})
	}
	rows = append(rows, []bot.Button{{Text: "↩ " + bot.TeamText(lang, "tg.back"), Data: callbackData(actBack, leadID, codes)}})
	rows = append(rows, linkRows(in.keyboard)...)
	h.answer(ctx, in, bot.TeamTextf(lang, "tg.callback_when", leadID))
	edit := bot.Message{ChatID: h.chatID, Text: in.messageText, Buttons: rows, EditMessageID: in.messageID}
	if _, err := h.sender.Send(ctx, edit); err != nil {
		return fmt.Errorf("list call-back times for lead %d: %w", leadID, err)
	}
	return nil
}

// callbackAt schedules the picked time and puts the card's buttons back.
func (h *SalesGroupHandler) callbackAt(ctx context.Context, in salesInput, m crm.Manager, leadID int64, extra string) error {
	codes, when, ok := strings.Cut(extra, ":")
	if h.opts.Desk == nil || !ok {
		h.answer(ctx, in, "Unknown button")
		return nil
	}
	_, due, err := h.opts.Desk.ScheduleCallback(ctx, m, leadID, when)
	if err != nil {
		h.answer(ctx, in, h.failure(ctx, err, leadID, "callback"))
		return nil
	}
	loc := h.opts.Desk.Location(m)
	h.answer(ctx, in, "⏰ I'll remind you on "+due.In(loc).Format("Mon 2 Jan 15:04"))
	return h.restore(ctx, in, leadID, codes)
}
