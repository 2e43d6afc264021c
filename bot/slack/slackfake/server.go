// Package slackfake is a Slack Web API server inside the test process. The
// real slack-go client talks to it (point slack.OptionAPIURL, or
// SLACK_API_URL, at URL()); it answers chat.postMessage, chat.update,
// chat.postEphemeral, views.open, conversations.history and auth.test as
// Slack does, records what was sent, keeps each message's current content
// (and metadata) so an update in place can be checked, and answers 429
// with Retry-After, 5xx or a Slack error on demand. It also builds the
// interaction payloads Slack would post back when someone presses a button
// or submits a modal (see Press and Submission).
//
// slack-go's own slacktest server records only message text and has no
// chat.update, views.open or injected failures, hence this one.
package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Token is a bot token the server accepts; any non-empty token is accepted,
// a missing one gets not_authed.
const Token = "xoxb-slackfake"

// The workspace the server pretends to be.
const (
	TeamID = "T0VORONKA"
	BotID  = "B0VORONKA"
	BotUID = "U0VORONKA"
)

// Call is one Web API call the server accepted.
type Call struct {
	Method string
	// Params are the form fields of a form call (chat.*), or the top-level
	// string fields of a JSON call (views.open), one value each.
	Params map[string]string
	// Channel is the channel as the caller named it; ChannelID the id the
	// server answered with (the same for an id, "C" + the upper-cased name
	// for "#name").
	Channel   string
	ChannelID string
	// TS is the message's timestamp: the new one for chat.postMessage, the
	// one updated for chat.update.
	TS        string
	ThreadTS  string
	Broadcast bool   // reply_broadcast
	User      string // chat.postEphemeral's recipient
	Text      string
	// Blocks is the blocks JSON as sent; nil when none.
	Blocks json.RawMessage
	// TriggerID, View, ViewID and ViewHash are views.open's: the view as
	// sent and the id and hash the server gave it.
	TriggerID string
	View      json.RawMessage
	ViewID    string
	ViewHash  string
	At        time.Time
}

// Message is a message as it stands now, after any updates.
type Message struct {
	ChannelID string
	TS        string
	ThreadTS  string
	Text      string
	Blocks    json.RawMessage
	// Metadata is the message metadata posted with it, as JSON
	// ({"event_type": ..., "event_payload": {...}}); nil when none.
	Metadata json.RawMessage
	Updates  int
	// User is the person who wrote it (Say); "" for the bot's posts.
	User string
	// Reactions are the emoji names added to it (reactions.add), in order.
	Reactions []string
	seq       int64 // posting order, for conversations.history
}

// failure is an injected refusal.
type failure struct {
	status     int
	retryAfter time.Duration
	slackError string
}

// Server is a fake Slack Web API. It is safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	once sync.Once

	mu sync.Mutex
	// changed is closed and replaced whenever a call is recorded, waking
	// WaitCalls.
	changed  chan struct{}
	calls    []Call
	attempts map[string]int
	fails    map[string][]failure
	messages map[string]*Message // by channel id + "/" + ts
	seq      int64
	clock    time.Time
	// files holds uploads in progress and done (files.go).
	files *fileStore
}

// New starts a server; the caller must Close it. Tests use NewServer.
func New() *Server {
	s := &Server{
		changed:  make(chan struct{}),
		attempts: make(map[string]int),
		fails:    make(map[string][]failure),
		messages: make(map[string]*Message),
		// Timestamps count up from a fixed second, so they are unique,
		// ordered and the same from run to run.
		clock: time.Unix(1767225600, 0),
	}
	s.srv = httptest.NewServer(s)
	return s
}

// NewServer starts a server that is closed when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := New()
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.once.Do(s.srv.Close) }

// URL is the API base URL with the trailing slash slack-go needs.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Client is a slack-go client on this server.
func (s *Server) Client() *slackapi.Client {
	return slackapi.New(Token, slackapi.OptionAPIURL(s.URL()))
}

// Calls is everything the server accepted, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo is the accepted calls of method, in order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsTo(method)
}

func (s *Server) callsTo(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Attempts is how many calls of method arrived, refused ones included.
func (s *Server) Attempts(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[method]
}

// WaitCalls waits until at least n calls of method were accepted and
// returns all of them. On ctx's end it returns those there are and an error.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	for {
		s.mu.Lock()
		got := s.callsTo(method)
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("slackfake: %d of %d %s calls: %w", len(got), n, method, ctx.Err())
		}
	}
}

// Fail makes the next n calls of method fail with HTTP status, as Slack
// fails them: a 429 carries Retry-After in whole seconds when retryAfter
// > 0, a 5xx an HTML page. Refused calls are not recorded in Calls;
// Attempts counts them.
func (s *Server) Fail(method string, n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[method] = append(s.fails[method], failure{status: status, retryAfter: retryAfter})
	}
}

// Refuse makes the next n calls of method answer 200 {"ok":false,"error":
// slackError}, the way Slack refuses a request it understood
// (channel_not_found, invalid_blocks…).
func (s *Server) Refuse(method string, n int, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[method] = append(s.fails[method], failure{status: http.StatusOK, slackError: slackError})
	}
}

// Message is the message at channelID and ts as it stands now.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channelID+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// MessageByRef is Message for a "<channel>:<ts>" card reference.
func (s *Server) MessageByRef(ref string) (Message, bool) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 {
		return Message{}, false
	}
	return s.Message(ref[:i], ref[i+1:])
}

// ChannelID is the id the server gives a channel named as the caller did:
// an id stays as it is, "#sales" or "sales" becomes "CSALES".
func ChannelID(channel string) string {
	name := strings.TrimPrefix(channel, "#")
	if name != "" && (name[0] == 'C' || name[0] == 'G' || name[0] == 'D') && strings.ToUpper(name) == name {
		return name
	}
	return "C" + strings.ToUpper(strings.NewReplacer("-", "", "_", "", ".", "").Replace(name))
}

// notify wakes everyone waiting for a change. The caller holds mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ServeHTTP answers /api/<method>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveUpload(w, r) {
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || method == "" {
		http.NotFound(w, r)
		return
	}
	params, raw, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	if params["token"] == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	delete(params, "token")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[method]++
	if q := s.fails[method]; len(q) > 0 {
		f := q[0]
		s.fails[method] = q[1:]
		writeFailure(w, f)
		return
	}
	call := Call{Method: method, Params: params, At: time.Now()}
	answer, slackErr := s.answer(&call, raw)
	if slackErr != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": slackErr})
		return
	}
	if method == "conversations.history" || method == "conversations.replies" {
		answer["ok"] = true
		writeJSON(w, http.StatusOK, answer)
		return
	}
	s.calls = append(s.calls, call)
	s.notify()
	answer["ok"] = true
	writeJSON(w, http.StatusOK, answer)
}

// readParams reads a form body, or a JSON body's top-level strings, and
// returns the JSON body too.
func readParams(r *http.Request) (map[string]string, []byte, error) {
	params := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, nil, err
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(raw, &top); err != nil {
			return nil, nil, err
		}
		for k, v := range top {
			var str string
			if json.Unmarshal(v, &str) == nil {
				params[k] = str
			}
		}
		if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			params["token"] = auth
		}
		return params, raw, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, nil, err
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return params, nil, nil
}

// answer fills call and returns the answer's fields, or a Slack error.
// The caller holds mu.
func (s *Server) answer(call *Call, raw []byte) (map[string]any, string) {
	p := call.Params
	switch call.Method {
	case "auth.test":
		return map[string]any{"url": "https://voronka.slack.com/", "team": "Voronka", "user": "voronka",
			"team_id": TeamID, "user_id": BotUID, "bot_id": BotID}, ""
	case "chat.postMessage":
		if p["channel"] == "" {
			return nil, "channel_not_found"
		}
		if p["text"] == "" && p["blocks"] == "" {
			return nil, "no_text"
		}
		if ref := s.fillMessage(call); ref != "" {
			return nil, ref
		}
		// A reply to a message Slack does not know is posted un-threaded,
		// as Slack does when the parent was deleted; the call keeps the
		// thread_ts it was sent with.
		threadTS := call.ThreadTS
		if _, ok := s.messages[call.ChannelID+"/"+threadTS]; !ok {
			threadTS = ""
		}
		call.TS = s.nextTS()
		m := &Message{ChannelID: call.ChannelID, TS: call.TS, ThreadTS: threadTS, Text: call.Text, Blocks: call.Blocks, seq: s.seq}
		if md := p["metadata"]; md != "" && json.Valid([]byte(md)) {
			m.Metadata = json.RawMessage(md)
		}
		s.messages[call.ChannelID+"/"+call.TS] = m
		return map[string]any{"channel": call.ChannelID, "ts": call.TS,
			"message": map[string]any{"type": "message", "text": call.Text, "ts": call.TS, "thread_ts": threadTS, "bot_id": BotID}}, ""
	case "conversations.history":
		return s.history(p)
	case "conversations.replies":
		return s.replies(p)
	case "reactions.add":
		call.Channel, call.ChannelID, call.TS = p["channel"], ChannelID(p["channel"]), p["timestamp"]
		m, ok := s.messages[call.ChannelID+"/"+call.TS]
		if !ok {
			return nil, "message_not_found"
		}
		if slices.Contains(m.Reactions, p["name"]) {
			return nil, "already_reacted"
		}
		m.Reactions = append(m.Reactions, p["name"])
		call.Text = p["name"]
		return map[string]any{}, ""
	case "chat.update":
		if ref := s.fillMessage(call); ref != "" {
			return nil, ref
		}
		call.TS = p["ts"]
		m, ok := s.messages[call.ChannelID+"/"+call.TS]
		if !ok {
			return nil, "message_not_found"
		}
		m.Text, m.Blocks = call.Text, call.Blocks
		m.Updates++
		return map[string]any{"channel": call.ChannelID, "ts": call.TS, "text": call.Text}, ""
	case "chat.postEphemeral":
		if p["user"] == "" {
			return nil, "user_not_found"
		}
		if ref := s.fillMessage(call); ref != "" {
			return nil, ref
		}
		call.User = p["user"]
		return map[string]any{"message_ts": s.nextTS()}, ""
	case "views.open":
		var req struct {
			TriggerID string          `json:"trigger_id"`
			View      json.RawMessage `json:"view"`
		}
		if err := json.Unmarshal(raw, &req); err != nil || req.TriggerID == "" || len(req.View) == 0 {
			return nil, "invalid_arguments"
		}
		var view map[string]any
		if err := json.Unmarshal(req.View, &view); err != nil {
			return nil, "invalid_arguments"
		}
		s.seq++
		call.TriggerID, call.View = req.TriggerID, req.View
		call.ViewID, call.ViewHash = fmt.Sprintf("V%08d", s.seq), fmt.Sprintf("%d.hash%d", s.clock.Unix(), s.seq)
		view["id"], view["hash"], view["team_id"] = call.ViewID, call.ViewHash, TeamID
		return map[string]any{"view": view}, ""
	default:
		return s.answerFiles(call)
	}
}

// history answers conversations.history: the channel's top-level
// messages, newest first, limit a page (100 by default), the cursor being
// the number of messages skipped; metadata only with include_all_metadata,
// as Slack does. A read is not a change, so it is not recorded in Calls.
// The caller holds mu.
func (s *Server) history(p map[string]string) (map[string]any, string) {
	if p["channel"] == "" {
		return nil, "channel_not_found"
	}
	id := ChannelID(p["channel"])
	var all []*Message
	for _, m := range s.messages {
		if m.ChannelID == id && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			all = append(all, m)
		}
	}
	slices.SortFunc(all, func(a, b *Message) int { return int(b.seq - a.seq) })
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit <= 0 {
		limit = 100
	}
	skip, _ := strconv.Atoi(p["cursor"])
	skip = min(max(skip, 0), len(all))
	page := all[skip:min(skip+limit, len(all))]
	msgs := make([]map[string]any, 0, len(page))
	for _, m := range page {
		out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": BotID}
		if len(m.Metadata) > 0 && p["include_all_metadata"] == "1" {
			out["metadata"] = m.Metadata
		}
		msgs = append(msgs, out)
	}
	answer := map[string]any{"messages": msgs, "has_more": skip+len(page) < len(all)}
	if skip+len(page) < len(all) {
		answer["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(skip + len(page))}
	}
	return answer, ""
}

// replies answers conversations.replies: the thread of ts, the parent
// first, oldest first, metadata only with include_all_metadata. Not
// recorded in Calls.
func (s *Server) replies(p map[string]string) (map[string]any, string) {
	id := ChannelID(p["channel"])
	parent, ok := s.messages[id+"/"+p["ts"]]
	if !ok {
		return nil, "thread_not_found"
	}
	all := []*Message{parent}
	for _, m := range s.messages {
		if m.ChannelID == id && m.ThreadTS == parent.TS && m.TS != parent.TS {
			all = append(all, m)
		}
	}
	slices.SortFunc(all[1:], func(a, b *Message) int { return int(a.seq - b.seq) })
	msgs := make([]map[string]any, 0, len(all))
	for _, m := range all {
		out := map[string]any{"type": "message", "ts": m.TS, "thread_ts": parent.TS, "text": m.Text}
		if m.User != "" {
			out["user"] = m.User
		} else {
			out["bot_id"] = BotID
		}
		if len(m.Metadata) > 0 && p["include_all_metadata"] == "1" {
			out["metadata"] = m.Metadata
		}
		msgs = append(msgs, out)
	}
	return map[string]any{"messages": msgs, "has_more": false}, ""
}

// Thread is the replies under the message ts of channelID, oldest first.
func (s *Server) Thread(channelID, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChannelID == channelID && m.ThreadTS == ts && m.TS != ts {
			out = append(out, *m)
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return int(a.seq - b.seq) })
	return out
}

// fillMessage copies the common chat.* fields into call and checks the
// blocks are JSON. The caller holds mu.
func (s *Server) fillMessage(call *Call) string {
	p := call.Params
	if p["channel"] == "" {
		return "channel_not_found"
	}
	call.Channel, call.ChannelID = p["channel"], ChannelID(p["channel"])
	call.Text, call.ThreadTS = p["text"], p["thread_ts"]
	call.Broadcast = p["reply_broadcast"] == "true"
	if b := p["blocks"]; b != "" {
		if !json.Valid([]byte(b)) {
			return "invalid_blocks_format"
		}
		call.Blocks = json.RawMessage(b)
	}
	return ""
}

// nextTS is a new message timestamp. The caller holds mu.
func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.clock.Unix()+s.seq/1_000_000, s.seq%1_000_000)
}

func writeFailure(w http.ResponseWriter, f failure) {
	switch {
	case f.slackError != "":
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.slackError})
	case f.status == http.StatusTooManyRequests:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
		}
		writeJSON(w, f.status, map[string]any{"ok": false, "error": "ratelimited"})
	default:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, "<html><body>"+http.StatusText(f.status)+"</body></html>")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
