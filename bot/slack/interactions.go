package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Once remembers keys for a while: First reports whether key was new (and
// from then on remembers it for ttl). A Redis SET NX EX elsewhere, so that
// every replica sees the same keys.
type Once interface {
	First(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// InteractionOptions tune Interactions. Zero values take the defaults.
type InteractionOptions struct {
	// Language is the team's language; the Won and Lost forms speak the
	// language of the member who pressed (their own, else this).
	Language string
	// Now is the clock the signature window is checked against and actions
	// are dated by; time.Now by default. Tests inject a fake one.
	Now func() time.Time
	// Logger receives refusals and failures; never payloads or secrets.
	Logger *slog.Logger
	// DedupTTL is how long a delivery is remembered (15m). A replay older
	// than the 5-minute signature window is refused anyway, so anything
	// beyond twice the window only costs memory.
	DedupTTL time.Duration
	// CallTimeout bounds each Web API call made while Slack waits for the
	// answer (2s): an ephemeral message or views.open must not take the
	// request past Slack's 3 seconds, and a trigger_id expires then too.
	CallTimeout time.Duration
	// Callbacks schedules a call-back picked from a card's Call back menu
	// (crm.Desk); nil ignores the menu.
	Callbacks CallbackDesk
}

// CallbackDesk schedules a rep's call-back (crm.Desk).
type CallbackDesk interface {
	ScheduleCallback(ctx context.Context, by crm.Manager, leadID int64, when string) (*crm.LeadCard, time.Time, error)
	Location(m crm.Manager) *time.Location
}

func (o InteractionOptions) withDefaults() InteractionOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DedupTTL <= 0 {
		o.DedupTTL = 15 * time.Minute
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 2 * time.Second
	}
	return o
}

// maxInteractionBody bounds what is read before the signature is checked.
// Slack's payloads are a few kilobytes; a megabyte is generous and still
// keeps an unauthenticated caller from filling memory.
const maxInteractionBody = 1 << 20

// Texts shown to the person who pressed a button: bot.TeamText keys,
// written in the team's language by ephemeral and fieldError (any other
// text, such as the desk's own words, passes through as it is).
const (
	msgNotTeam    = "slack.msg.not_team"
	msgBadButton  = "slack.msg.bad_button"
	msgTryAgain   = "slack.msg.try_again"
	msgBadAmount  = "slack.msg.bad_amount"
	msgBadReason  = "slack.msg.bad_reason"
	msgFormFailed = "slack.msg.form_failed"
	// msgCallbackSet says the same as the private chat's /callback.
	msgCallbackSet = "⏰ I'll remind you to call back lead #%d on %s (%s)."
)

// Interactions is the http.Handler for /slack/interactions: button presses
// on lead cards and the Won / Lost modals.
//
// Order of work, and why: the signature is verified on the raw body before
// anything is parsed (an unsigned, wrong or stale request gets 401 and
// nothing else); pure validation of a submission comes next, so a rep who
// mistyped an amount can correct it and submit again; then the delivery is
// de-duplicated, so that a repeated delivery never acts twice; then the
// presser must be on the team; then the domain acts.
//
// Answers come within Slack's 3 seconds: SalesDesk.Act is a short
// transaction that queues the card update as a job, and the Web API calls
// made here (an ephemeral message, views.open) have CallTimeout.
type Interactions struct {
	desk   crm.SalesDesk
	api    *slackapi.Client
	secret string
	once   Once
	opts   InteractionOptions
}

var _ http.Handler = (*Interactions)(nil)

// NewInteractions returns the handler. once nil means no de-duplication,
// which is only safe where a repeated delivery cannot happen twice in
// effect; production passes the Redis one.
func NewInteractions(desk crm.SalesDesk, client *Client, signingSecret string, once Once, opts InteractionOptions) *Interactions {
	return &Interactions{desk: desk, api: client.lib(), secret: signingSecret, once: once, opts: opts.withDefaults()}
}

// ServeHTTP implements http.Handler.
func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := readSigned(w, r, maxInteractionBody, h.secret, h.opts.Now(), h.opts.Logger, "interaction")
	if !ok {
		return
	}
	cb, err := parseCallback(body)
	if err != nil {
		h.opts.Logger.WarnContext(r.Context(), "slack: unreadable interaction", "err", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		h.blockActions(r.Context(), cb)
		w.WriteHeader(http.StatusOK)
	case slackapi.InteractionTypeViewSubmission:
		if resp := h.viewSubmission(r.Context(), cb); resp != nil {
			writeJSON(w, resp)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		// view_closed, shortcuts and the like: acknowledged, nothing to do.
		w.WriteHeader(http.StatusOK)
	}
}

// parseCallback reads the payload field of the form body.
func parseCallback(body []byte) (*slackapi.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	payload := form.Get("payload")
	if payload == "" {
		return nil, errors.New("no payload")
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		return nil, err
	}
	return &cb, nil
}

// blockActions handles a button on a card, an escalation or a digest.
func (h *Interactions) blockActions(ctx context.Context, cb *slackapi.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	action := cb.ActionCallback.BlockActions[0]
	if action.ActionID == actionCallback {
		h.callback(ctx, cb, action.SelectedOption.Value)
		return
	}
	var kind crm.ActionKind
	switch action.ActionID {
	case actionClaim, actionContacted, actionWon, actionLost, actionReopen:
		kind = crm.ActionKind(action.ActionID)
	default:
		// The Telegram link button, or something not ours.
		return
	}
	if !h.first(ctx, cb) {
		return
	}
	manager, ok := h.desk.ManagerBySlack(cb.User.ID)
	if !ok {
		h.opts.Logger.InfoContext(ctx, "slack: button pressed by someone outside the team", "user", cb.User.ID, "action", action.ActionID)
		h.ephemeral(ctx, cb, msgNotTeam)
		return
	}
	leadID, err := strconv.ParseInt(action.Value, 10, 64)
	if err != nil || leadID <= 0 {
		h.ephemeral(ctx, cb, msgBadButton)
		return
	}
	switch kind {
	case crm.ActWon:
		h.openModal(ctx, cb, wonModal(leadID, bot.MemberLang(manager, h.opts.Language)))
	case crm.ActLost:
		h.openModal(ctx, cb, lostModal(leadID, h.desk.LostReasons(), bot.MemberLang(manager, h.opts.Language)))
	default:
		_, err := h.desk.Act(ctx, crm.Action{LeadID: leadID, Kind: kind, By: manager, At: h.opts.Now()})
		if err != nil {
			h.ephemeral(ctx, cb, h.actError(ctx, leadID, kind, err))
		}
	}
}

// viewSubmission handles the Won and Lost modals. It returns the answer
// that keeps the modal open with an error under the field, or nil to close
// it. Problems are shown in the modal rather than as an ephemeral message:
// that is where the rep is looking, and a submission has no channel.
func (h *Interactions) viewSubmission(ctx context.Context, cb *slackapi.InteractionCallback) *slackapi.ViewSubmissionResponse {
	var (
		a     crm.Action
		input string
	)
	switch cb.View.CallbackID {
	case callbackWon:
		input, a.Kind = inputAmount, crm.ActWon
		amount, problem := parseAmount(stateValue(cb.View, inputAmount))
		if problem != "" {
			return h.fieldError(input, problem)
		}
		a.Amount = amount
	case callbackLost:
		input, a.Kind = inputReason, crm.ActLost
		// A free-text reason (no reasons configured) is stored as typed,
		// as far as PostgreSQL's text can hold it.
		reason, ok := matchReason(bot.StorableText(stateValue(cb.View, inputReason)), h.desk.LostReasons())
		if !ok {
			return h.fieldError(input, msgBadReason)
		}
		a.Reason = reason
	default:
		return nil
	}
	leadID, err := strconv.ParseInt(cb.View.PrivateMetadata, 10, 64)
	if err != nil || leadID <= 0 {
		return h.fieldError(input, msgBadButton)
	}
	if !h.first(ctx, cb) {
		return nil
	}
	manager, ok := h.desk.ManagerBySlack(cb.User.ID)
	if !ok {
		return h.fieldError(input, msgNotTeam)
	}
	a.LeadID, a.By, a.At = leadID, manager, h.opts.Now()
	if _, err := h.desk.Act(ctx, a); err != nil {
		return h.fieldError(input, h.actError(ctx, leadID, a.Kind, err))
	}
	return nil
}

// actError is what the rep is told when the desk refused: the domain's own
// message for a conflict ("Boris claimed it first"), a forbidden or an
// invalid action, and a generic apology for anything else, which is logged.
func (h *Interactions) actError(ctx context.Context, leadID int64, kind crm.ActionKind, err error) string {
	switch crm.ErrorCode(err) {
	case crm.ECONFLICT, crm.EFORBIDDEN, crm.EINVALID, crm.ENOTFOUND:
		return crm.ErrorMessage(err)
	default:
		h.opts.Logger.ErrorContext(ctx, "slack: action failed", "lead_id", leadID, "action", string(kind), "err", err)
		return msgTryAgain
	}
}

// first reports whether this delivery is new. A Once that fails (Redis
// down) lets the delivery through: the desk's own stage checks stop a
// repeated claim or a second win, while refusing would leave every button
// dead until Redis is back.
func (h *Interactions) first(ctx context.Context, cb *slackapi.InteractionCallback) bool {
	if h.once == nil {
		return true
	}
	ok, err := h.once.First(ctx, dedupKey(cb), h.opts.DedupTTL)
	if err != nil {
		h.opts.Logger.WarnContext(ctx, "slack: de-duplication unavailable, handling the delivery", "err", err)
		return true
	}
	if !ok {
		h.opts.Logger.InfoContext(ctx, "slack: repeated interaction ignored", "type", string(cb.Type), "user", cb.User.ID)
	}
	return ok
}

// dedupKey names one delivery. trigger_id is unique per interaction and
// the same in a repeated delivery; the other parts keep keys distinct
// should a payload lack it: for a button, who pressed which button on
// which message when; for a submission, the view, its hash and what was
// submitted, so that correcting a refused amount is a new delivery.
func dedupKey(cb *slackapi.InteractionCallback) string {
	parts := []string{string(cb.Type), cb.Team.ID, cb.User.ID, cb.TriggerID}
	switch cb.Type {
	case slackapi.InteractionTypeBlockActions:
		parts = append(parts, cb.Container.ChannelID, cb.Container.MessageTs, cb.ActionTs)
		for _, a := range cb.ActionCallback.BlockActions {
			parts = append(parts, a.BlockID, a.ActionID, a.Value, a.ActionTs)
		}
	case slackapi.InteractionTypeViewSubmission:
		state, _ := json.Marshal(cb.View.State) // maps marshal in key order
		parts = append(parts, cb.View.ID, cb.View.Hash, string(state))
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "slack:interaction:" + hex.EncodeToString(sum[:16])
}

// ephemeral tells the presser alone, in the channel (and thread) where
// they pressed. Best effort: the interaction is answered either way.
func (h *Interactions) ephemeral(ctx context.Context, cb *slackapi.InteractionCallback, text string) {
	text = bot.TeamText(h.opts.Language, text)
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	if channel == "" || cb.User.ID == "" {
		h.opts.Logger.WarnContext(ctx, "slack: nowhere to answer an interaction", "user", cb.User.ID)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.CallTimeout)
	defer cancel()
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, true)}
	if cb.Container.ThreadTs != "" {
		opts = append(opts, slackapi.MsgOptionTS(cb.Container.ThreadTs))
	}
	if _, err := h.api.PostEphemeralContext(ctx, channel, cb.User.ID, opts...); err != nil {
		h.opts.Logger.WarnContext(ctx, "slack: ephemeral message failed", "channel", channel, "err", err)
	}
}

// openModal opens view for the presser. The trigger_id it needs expires
// three seconds after the press, so there is no retry; the rep is asked to
// press again instead.
func (h *Interactions) openModal(ctx context.Context, cb *slackapi.InteractionCallback, view slackapi.ModalViewRequest) {
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.CallTimeout)
	defer cancel()
	if _, err := h.api.OpenViewContext(callCtx, cb.TriggerID, view); err != nil {
		h.opts.Logger.WarnContext(ctx, "slack: views.open failed", "callback_id", view.CallbackID, "err", err)
		h.ephemeral(ctx, cb, msgFormFailed)
	}
}

func (h *Interactions) fieldError(blockID, msg string) *slackapi.ViewSubmissionResponse {
	return slackapi.NewErrorsViewSubmissionResponse(map[string]string{blockID: bot.TeamText(h.opts.Language, msg)})
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// callback schedules the call-back picked from a card's menu
// ("<lead>|<when>") and tells the presser when they will be reminded.
func (h *Interactions) callback(ctx context.Context, cb *slackapi.InteractionCallback, value string) {
	if h.opts.Callbacks == nil || !h.first(ctx, cb) {
		return
	}
	m, ok := h.desk.ManagerBySlack(cb.User.ID)
	if !ok {
		h.ephemeral(ctx, cb, msgNotTeam)
		return
	}
	idText, when, _ := strings.Cut(value, "|")
	leadID, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || leadID <= 0 || when == "" {
		h.ephemeral(ctx, cb, msgBadButton)
		return
	}
	_, due, err := h.opts.Callbacks.ScheduleCallback(ctx, m, leadID, when)
	if err != nil {
		h.ephemeral(ctx, cb, h.actError(ctx, leadID, "callback", err))
		return
	}
	loc := h.opts.Callbacks.Location(m)
	h.ephemeral(ctx, cb, fmt.Sprintf(msgCallbackSet, leadID, due.In(loc).Format("Mon 2 Jan 15:04"), loc))
}
