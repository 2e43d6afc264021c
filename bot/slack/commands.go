package slack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// TeamDesk answers the managers' commands: bot.Team, which Telegram
// uses too, so both channels show the same text and the same numbers.
type TeamDesk interface {
	ManagerBySlack(id string) (crm.Manager, bool)
	Answer(ctx context.Context, m crm.Manager, channel, command, args string) []bot.Message
}

// CommandOptions tune Commands. Zero values take the defaults.
type CommandOptions struct {
	// Now is the clock the signature window is checked against.
	Now    func() time.Time
	Logger *slog.Logger
	// Budget is how long a command may run before the answer must go
	// (2.5s): Slack shows "operation_timeout" after 3 seconds, and the
	// reports answer in well under a second (docs/stats-performance.md).
	Budget time.Duration
	// UploadTimeout bounds sending a chart or a CSV after the answer (30s).
	UploadTimeout time.Duration
	// Once de-duplicates invocations (see Commands); nil means none, which
	// is only safe where a replay cannot reach the handler. Production
	// passes the Redis one that Interactions uses.
	Once Once
	// DedupTTL is how long an invocation is remembered (15m), more than
	// the 5-minute signature window a replay must fall in.
	DedupTTL time.Duration
	// TimeZone shows the clock times of a /voronka lead card (UTC when
	// nil): the config's timezone, as on the channel's cards.
	TimeZone *time.Location
	// Language is the team's language, for a /voronka lead card and the
	// lines to someone outside the team; a member reads their own.
	Language string
}

func (o CommandOptions) withDefaults() CommandOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Budget <= 0 {
		o.Budget = 2500 * time.Millisecond
	}
	if o.UploadTimeout <= 0 {
		o.UploadTimeout = 30 * time.Second
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	if o.DedupTTL <= 0 {
		o.DedupTTL = 15 * time.Minute
	}
	return o
}

// maxCommandBody bounds a slash command's form (Slack's are under 2 KB).
const maxCommandBody = 64 << 10

// Commands is the http.Handler for /slack/commands: "/voronka stats 7d",
// "/voronka lead 123" and the rest of the managers' commands.
//
// The request is signed like an interaction and checked the same way
// before anything is read from it. The answer is the HTTP response itself,
// ephemeral (only the manager sees it), within Slack's 3 seconds: the
// reports take milliseconds, and Budget cuts off anything slower with an
// apology. Charts and the CSV cannot travel in that response, so they are
// uploaded afterwards (files.getUploadURLExternal, the upload, then
// files.completeUploadExternal) into the manager's direct messages with
// the bot, never into the channel the command was typed in, which other
// people may read.
//
// An invocation runs once. A signed request replayed within the
// signature's window (by a proxy, a retrying client or anyone who saw it)
// would otherwise run the command again: a second staff_log row, a second
// CSV in the manager's messages. Each invocation has its own trigger_id,
// the same in a replay, so a repeated one is answered with
// slack.cmd.repeat and nothing runs; typing the command again is a new
// invocation. A Once that fails (Redis down) lets the command run, as a
// report run twice beats every report refused.
type Commands struct {
	desk TeamDesk
	api  *slackapi.Client
	key  string
	opts CommandOptions
	// uploads tracks the uploads still running, for Wait.
	uploads sync.WaitGroup
}

var _ http.Handler = (*Commands)(nil)

// NewCommands returns the handler. api may be nil, which drops charts and
// files (there is no way to send them).
func NewCommands(desk TeamDesk, client *Client, signingSecret string, opts CommandOptions) *Commands {
	return &Commands{desk: desk, api: client.lib(), key: signingSecret, opts: opts.withDefaults()}
}

// Wait blocks until the uploads started so far are done (shutdown, tests).
func (h *Commands) Wait() { h.uploads.Wait() }

// commandResponse is a slash command's immediate answer. mrkdwn is off so
// that a customer's name with * or _ shows as typed, as it does in
// Telegram.
type commandResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
	Mrkdwn       bool   `json:"mrkdwn"`
}

// ServeHTTP implements http.Handler.
func (h *Commands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := readSigned(w, r, maxCommandBody, h.key, h.opts.Now(), h.opts.Logger, "command")
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("user_id") == "" {
		http.Error(w, "bad command", http.StatusBadRequest)
		return
	}
	userID := form.Get("user_id")
	m, ok := h.desk.ManagerBySlack(userID)
	if !ok {
		h.opts.Logger.InfoContext(r.Context(), "slack: command from someone outside the team", "user", userID)
		h.reply(w, bot.TeamText(h.opts.Language, "slack.cmd.not_team"))
		return
	}
	// The text reaches PostgreSQL (the team log, /find): a %00 in it
	// would make the insert fail, so it goes as text can hold it.
	name, args, _ := strings.Cut(strings.TrimSpace(bot.StorableText(form.Get("text"))), " ")
	name = strings.TrimPrefix(strings.ToLower(name), "/")
	if !bot.IsTeamCommand(name) {
		h.reply(w, helpText(bot.MemberLang(m, h.opts.Language), form.Get("command"), name, m))
		return
	}
	if !h.first(r.Context(), form, body) {
		h.reply(w, bot.TeamText(bot.MemberLang(m, h.opts.Language), "slack.cmd.repeat"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Budget)
	defer cancel()
	msgs := h.desk.Answer(ctx, m, "slack", name, args)
	if len(msgs) == 0 {
		h.reply(w, bot.TeamText(bot.MemberLang(m, h.opts.Language), "err.internal"))
		return
	}
	if c := msgs[0].Card; c != nil && name == "lead" {
		h.replyCard(w, c, msgs[0].Text)
	} else {
		h.reply(w, msgs[0].Text)
	}
	var files []bot.Message
	for _, msg := range msgs[1:] {
		if msg.Photo != nil || msg.Document != nil {
			files = append(files, msg)
		}
	}
	if msgs[0].Document != nil {
		files = append([]bot.Message{msgs[0]}, files...)
	}
	if len(files) > 0 && h.api != nil {
		h.uploads.Add(1)
		go func() {
			defer h.uploads.Done()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.UploadTimeout)
			defer cancel()
			if err := h.sendFiles(ctx, userID, files); err != nil {
				h.opts.Logger.WarnContext(ctx, "slack: command files not delivered", "user", userID, "command", name, "err", err)
			}
		}()
	}
}

// first reports whether this invocation is new (see Commands).
func (h *Commands) first(ctx context.Context, form url.Values, body []byte) bool {
	if h.opts.Once == nil {
		return true
	}
	ok, err := h.opts.Once.First(ctx, commandKey(form, body), h.opts.DedupTTL)
	if err != nil {
		h.opts.Logger.WarnContext(ctx, "slack: de-duplication unavailable, running the command", "err", err)
		return true
	}
	if !ok {
		h.opts.Logger.InfoContext(ctx, "slack: repeated command ignored", "user", form.Get("user_id"))
	}
	return ok
}

// commandKey names one invocation: by its trigger_id (with the workspace
// and the user), unique per invocation and the same in a replay. A form
// without one is named by its whole body, which a replay repeats byte for
// byte (the signature covers it) and whose response_url differs between
// invocations.
func commandKey(form url.Values, body []byte) string {
	var sum [sha256.Size]byte
	if trigger := form.Get("trigger_id"); trigger != "" {
		sum = sha256.Sum256([]byte(strings.Join([]string{"trigger", form.Get("team_id"), form.Get("user_id"), trigger}, "\x00")))
	} else {
		sum = sha256.Sum256(append([]byte("body\x00"), body...))
	}
	return "slack:command:" + hex.EncodeToString(sum[:16])
}

// helpText lists the commands m's role allows, in lang (the language m
// reads); for a name that is not one of them it says so first.
func helpText(lang, slash, name string, m crm.Manager) string {
	if slash == "" {
		slash = "/voronka"
	}
	var b strings.Builder
	if name != "" && name != "help" {
		b.WriteString(bot.TeamTextf(lang, "slack.help_unknown", name) + "\n")
	}
	b.WriteString(bot.TeamTextf(lang, "usage.line", slash+" "+bot.TeamText(lang, "slack.help_args")) + "\n")
	for _, c := range bot.TeamCommandsFor(m) {
		line := slash + " " + c.Name
		if u := bot.CommandUsage(lang, c); u != "" {
			line += " " + u
		}
		fmt.Fprintf(&b, "%s — %s\n", line, bot.CommandWhat(lang, c))
	}
	b.WriteString(bot.TeamTextf(lang, "usage.period_default", bot.TeamText(lang, "usage.period"), "7d"))
	b.WriteString("\n\n" + bot.TeamText(lang, "help.figures"))
	return b.String()
}

// replyCard answers /voronka lead with the lead's card and the buttons of
// its stage, as in the sales channel, and the timeline under it. A press
// acts on the lead (Interactions) and the channel's card follows; this
// ephemeral copy shows the lead as it was asked for.
func (h *Commands) replyCard(w http.ResponseWriter, card *crm.LeadCard, text string) {
	blocks := cardBlocks(card, bot.Format{Lang: h.opts.Language, Loc: h.opts.TimeZone}, false)
	blocks = append(blocks, slackapi.NewSectionBlock(plain(truncate(text, maxSection)), nil, nil))
	writeJSON(w, cardResponse{ResponseType: "ephemeral", Text: escapeText(text), Blocks: blocks})
}

// cardResponse is an ephemeral answer with blocks; Text is the
// notification's fallback.
type cardResponse struct {
	ResponseType string           `json:"response_type"`
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks"`
}

func (h *Commands) reply(w http.ResponseWriter, text string) {
	writeJSON(w, commandResponse{ResponseType: "ephemeral", Text: escapeText(text)})
}

// escapeText escapes what Slack reads as markup in any text: &, < and >.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// sendFiles puts each file in the manager's direct messages with the bot.
func (h *Commands) sendFiles(ctx context.Context, userID string, files []bot.Message) error {
	ch, _, _, err := h.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return fmt.Errorf("open direct messages: %w", err)
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, uploadFile(ctx, h.api, ch.ID, f))
	}
	return errors.Join(errs...)
}

// UploadFile sends a message's photo or document to channel as a file
// with the message's text as its comment, by Slack's three-step upload
// (slack-go's UploadFileContext; files.upload is retired).
func UploadFile(ctx context.Context, client *Client, channel string, m bot.Message) error {
	return uploadFile(ctx, client.lib(), channel, m)
}

func uploadFile(ctx context.Context, api *slackapi.Client, channel string, m bot.Message) error {
	data, name := m.Photo, m.PhotoName
	if data == nil {
		data, name = m.Document, m.DocumentName
	}
	if len(data) == 0 {
		return crm.Errorf(crm.EINVALID, "no file to upload")
	}
	if name == "" {
		name = "file"
	}
	_, err := api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Reader:         bytes.NewReader(data),
		FileSize:       len(data),
		Filename:       name,
		Title:          name,
		InitialComment: escapeText(m.Text),
		Channel:        channel,
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	return nil
}

// PostTeam returns a function that posts a report to channel (the daily
// digest to the sales channel): the text as a message with formatting
// off, and a photo or document as an uploaded file.
func PostTeam(client *Client, channel string) func(ctx context.Context, m bot.Message) error {
	api := client.lib()
	return func(ctx context.Context, m bot.Message) error {
		if m.Photo != nil || m.Document != nil {
			return uploadFile(ctx, api, channel, m)
		}
		_, _, err := api.PostMessageContext(ctx, channel,
			slackapi.MsgOptionText(m.Text, true), // true: slack-go escapes &, < and >
			slackapi.MsgOptionDisableMarkdown(),
			slackapi.MsgOptionDisableLinkUnfurl())
		if err != nil {
			return fmt.Errorf("slack: post to %s: %w", channel, err)
		}
		return nil
	}
}
