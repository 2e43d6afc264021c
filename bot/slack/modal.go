package slack

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Modal callback ids and the input blocks they carry. A submission names
// its modal by callback id and carries the lead id in private_metadata.
const (
	callbackWon  = "voronka_won"
	callbackLost = "voronka_lost"
	// inputAmount and inputReason are both the block id and the action id
	// of the modal's one input, so state.values[x][x] finds the answer.
	inputAmount = "amount"
	inputReason = "reason"
	// maxSelectOptions is Slack's limit on a static_select.
	maxSelectOptions = 100
)

// wonModal asks for the amount of a sale. The number input lets Slack
// refuse letters and amounts out of crm's range as the rep types, but the
// submission is checked again: a payload is only as trustworthy as its
// signature, and Slack's own checks are a convenience.
func wonModal(leadID int64, lang string) slackapi.ModalViewRequest {
	t := func(key string) string { return bot.TeamText(lang, "modal."+key) }
	number := bot.Format{Lang: lang}.LeadNumber(leadID)
	id := strconv.FormatInt(leadID, 10)
	input := slackapi.NewNumberInputBlockElement(plain("150000"), inputAmount, true)
	input.MinValue = "0.01"
	input.MaxValue = strconv.FormatFloat(crm.MaxAmount, 'f', 2, 64)
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plain(t("won_title")),
		Submit:          plain(t("save")),
		Close:           plain(t("cancel")),
		CallbackID:      callbackWon,
		PrivateMetadata: id,
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewSectionBlock(mrkdwn("🎉 "+bot.TeamTextf(lang, "modal.won_ask", number)), nil, nil),
			slackapi.NewInputBlock(inputAmount, plain(t("amount")), plain(t("amount_hint")), input),
		}},
	}
}

// lostModal asks why a lead was lost, from the configured list so that
// the reasons can be counted; with no list configured it takes free text.
func lostModal(leadID int64, reasons []string, lang string) slackapi.ModalViewRequest {
	t := func(key string) string { return bot.TeamText(lang, "modal."+key) }
	number := bot.Format{Lang: lang}.LeadNumber(leadID)
	id := strconv.FormatInt(leadID, 10)
	var element slackapi.BlockElement
	if len(reasons) == 0 {
		text := slackapi.NewPlainTextInputBlockElement(plain(t("what_happened")), inputReason)
		text.MaxLength = 300
		element = text
	} else {
		options := make([]*slackapi.OptionBlockObject, 0, min(len(reasons), maxSelectOptions))
		for i, r := range reasons {
			if i == maxSelectOptions {
				break
			}
			options = append(options, slackapi.NewOptionBlockObject(optionValue(r), plain(truncate(bot.LostReasonText(lang, r), maxOptionText)), nil))
		}
		element = slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain(t("pick_reason")), inputReason, options...)
	}
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plain(t("lost_title")),
		Submit:          plain(t("save")),
		Close:           plain(t("cancel")),
		CallbackID:      callbackLost,
		PrivateMetadata: id,
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewSectionBlock(mrkdwn(bot.TeamTextf(lang, "modal.lost_ask", number)), nil, nil),
			slackapi.NewInputBlock(inputReason, plain(t("reason")), nil, element),
		}},
	}
}

// optionValue is a reason as an option's value, which Slack limits to
// 150 characters; matchReason maps it back.
func optionValue(reason string) string { return truncateBytes(reason, maxOptionValue) }

// matchReason finds the configured reason an option value stands for. The
// list is read again at submission, so a reason removed from the
// configuration in between is refused rather than recorded.
func matchReason(value string, reasons []string) (string, bool) {
	if len(reasons) == 0 {
		v := strings.TrimSpace(value)
		return v, v != ""
	}
	for _, r := range reasons {
		if optionValue(r) == value {
			return r, true
		}
	}
	return "", false
}

// parseAmount reads the amount a rep typed: a decimal within
// crm.CheckAmount's range, rounded to cents. Spaces are allowed as
// thousands separators, since that is how the card shows amounts and how
// many people type them. The error is what to show under the field: the
// domain's words for a number out of range ("must be less than ..."),
// msgBadAmount for anything else.
func parseAmount(s string) (float64, string) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && v > 0:
		// Digits too many for a float64 (+Inf): too large for a sale too.
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0:
		return 0, msgBadAmount
	}
	v, err = crm.CheckAmount(v)
	if err != nil {
		return 0, sentence(crm.ErrorMessage(err))
	}
	return v, ""
}

// sentence makes a domain message, written to be embedded ("lead #4: ..."),
// a sentence of its own: a capital first letter and a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// stateValue is the answer of the input block and action id in a
// submitted view: the typed value or the selected option's value.
func stateValue(v slackapi.View, id string) string {
	if v.State == nil {
		return ""
	}
	a, ok := v.State.Values[id][id]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	return a.Value
}
