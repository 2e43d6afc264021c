// Package telegramtest is a Bot API server inside the test process. The real
// go-telegram-bot-api client talks to it (point NewAPI or
// TELEGRAM_API_ENDPOINT at Endpoint()), it records what the bot sent, feeds
// getUpdates from a queue, and answers 429 and 5xx on demand, so tests see
// what Telegram would see without a network or a real bot. `voronka bench`
// uses it too, through New and Close.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The bot the server pretends to be.
const (
	token       = "123456:TEST"
	botID       = 123456
	botUsername = "voronka_test_bot"
)

// maxPollWait caps a getUpdates long poll, so a test's poller notices a
// cancelled context or a closed server within a second whatever timeout it
// asked for.
const maxPollWait = time.Second

// Call is one Bot API call the server accepted.
type Call struct {
	Method string
	// Params are the form values, one value each (tgbotapi sends no
	// repeated keys).
	Params map[string]string
	// ChatID, Text and ReplyMarkup repeat chat_id, text and reply_markup
	// (the JSON as sent) for the common checks.
	ChatID      int64
	Text        string
	ReplyMarkup string
	// File and FileName are the upload of a sendPhoto or sendDocument
	// (multipart field "photo" or "document"); Text holds its caption.
	File     []byte
	FileName string
	// MessageID is the id of the message a sendMessage sent (0 for other
	// methods), the one a button under it names when pressed.
	MessageID int
	At        time.Time
}

// failure is an injected refusal.
type failure struct {
	status     int
	retryAfter int
}

// sentMessage is what a message says now, to answer "message is not
// modified" as Telegram does.
type sentMessage struct {
	text, markup string
}

type messageKey struct {
	chatID int64
	id     int
}

// Server is a fake Bot API. It is safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	closed chan struct{}
	once   sync.Once

	mu sync.Mutex
	// changed is closed and replaced whenever an update is pushed or a call
	// recorded, waking long polls and WaitCalls.
	changed       chan struct{}
	updates       []tgbotapi.Update
	nextUpdateID  int
	nextMessageID int
	// nextUserMessageID numbers the messages Reply makes people write.
	nextUserMessageID int
	calls             []Call
	fails             map[string][]failure
	failed            map[string]int
	blocked           map[int64]bool
	// forums are the groups with topics enabled (SetForum); topics holds
	// each created topic's name by chat and thread id.
	forums map[int64]bool
	topics map[messageKey]string
	// customerFiles are what customers "sent", by file id (AddFile).
	customerFiles map[string]storedFile
	messages      map[messageKey]sentMessage
	webhookURL    string
	webhookSecret string
	limits        *limits
	// pollAllowed is the allowed_updates of the last getUpdates.
	pollAllowed string
	// byChat indexes calls by chat, and chatWake holds a channel for a
	// chat someone waits on (WaitChat): a reactive load generator reads
	// each chat's replies without scanning every call, and is woken for
	// its own chat only.
	byChat   map[int64][]int
	chatWake map[int64]chan struct{}
}

// New starts a server; the caller must Close it. Tests use NewServer.
func New() *Server {
	s := &Server{
		closed:        make(chan struct{}),
		changed:       make(chan struct{}),
		nextUpdateID:  1,
		nextMessageID: 1,
		fails:         make(map[string][]failure),
		failed:        make(map[string]int),
		blocked:       make(map[int64]bool),
		forums:        make(map[int64]bool),
		customerFiles: make(map[string]storedFile),
		topics:        make(map[messageKey]string),
		messages:      make(map[messageKey]sentMessage),
		byChat:        make(map[int64][]int),
		chatWake:      make(map[int64]chan struct{}),
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

// Close wakes pending long polls and stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// Endpoint is the API endpoint format for NewAPI or TELEGRAM_API_ENDPOINT,
// such as "http://127.0.0.1:PORT/bot%s/%s".
func (s *Server) Endpoint() string { return s.srv.URL + "/bot%s/%s" }

// Token is the one token the server accepts; any other gets 401 as from
// Telegram.
func (s *Server) Token() string { return token }

// BotID is the id getMe reports, and the numeric part of Token.
func (s *Server) BotID() int64 { return botID }

// PushUpdate queues u for getUpdates. An UpdateID of 0 gets the next id,
// and a message without an id gets the next message id, as Telegram
// numbers them.
func (s *Server) PushUpdate(u tgbotapi.Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.UpdateID == 0 {
		u.UpdateID = s.nextUpdateID
	}
	s.nextUpdateID = max(s.nextUpdateID, u.UpdateID+1)
	if u.Message != nil && u.Message.MessageID == 0 {
		m := *u.Message
		m.MessageID = s.nextMessageID
		s.nextMessageID++
		u.Message = &m
	}
	s.updates = append(s.updates, u)
	s.notify()
}

// Pending is the number of queued updates that getUpdates has not yet been
// told (by a higher offset) were handled.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Calls is everything the server accepted, in order, except getUpdates,
// whose polls would drown the rest.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Sent is the sendMessage and editMessageText calls to chatID, in order:
// what the person in that chat saw.
func (s *Server) Sent(chatID int64) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.ChatID == chatID && (c.Method == "sendMessage" || c.Method == "editMessageText") {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until at least n calls of method were accepted and
// returns all of them. On ctx's end it returns those there are and an error.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	for {
		s.mu.Lock()
		var got []Call
		for _, c := range s.calls {
			if c.Method == method {
				got = append(got, c)
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("telegramtest: %d of %d %s calls: %w", len(got), n, method, ctx.Err())
		}
	}
}

// Fail makes the next n calls of method fail with status, as Telegram
// fails them: a 429 carries parameters.retry_after when retryAfter > 0.
// Failed calls are not recorded in Calls; Failed counts them.
func (s *Server) Fail(method string, n int, status int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[method] = append(s.fails[method], failure{status: status, retryAfter: retryAfter})
	}
}

// Failed is how many calls of method were refused: injected failures and
// the refusals Telegram itself would make (a blocked chat, an unchanged
// edit, a missing parameter).
func (s *Server) Failed(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed[method]
}

// Block makes sendMessage and editMessageText to chatID answer 403 "bot was
// blocked by the user" from now on.
func (s *Server) Block(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

type storedFile struct {
	path string
	data []byte
}

// AddFile makes fileID a file customers can send (a photo's or a
// document's file_id): getFile answers with path, and the file URL serves
// data.
func (s *Server) AddFile(fileID, path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customerFiles[fileID] = storedFile{path: path, data: data}
}

func (s *Server) serveFile(w http.ResponseWriter, path string) {
	s.mu.Lock()
	var data []byte
	for _, f := range s.customerFiles {
		if f.path == path {
			data = f.data
		}
	}
	s.mu.Unlock()
	if data == nil {
		http.NotFound(w, nil)
		return
	}
	_, _ = w.Write(data)
}

// SetForum makes chatID a group with topics enabled: createForumTopic
// works there (elsewhere it is refused as by Telegram).
func (s *Server) SetForum(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forums[chatID] = true
}

// Topic is the name of the topic threadID of chatID, ok false when the
// server never created it.
func (s *Server) Topic(chatID int64, threadID int) (name string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok = s.topics[messageKey{chatID, threadID}]
	return name, ok
}

// PollAllowed is the allowed_updates parameter of the last getUpdates
// call, as sent ("" before the first).
func (s *Server) PollAllowed() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pollAllowed
}

// Webhook is the URL and secret token of the webhook set, if any.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookSecret
}

// notify wakes everyone waiting for a change. The caller holds mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// apiResponse is the Bot API envelope.
type apiResponse struct {
	OK          bool                         `json:"ok"`
	Result      any                          `json:"result,omitempty"`
	ErrorCode   int                          `json:"error_code,omitempty"`
	Description string                       `json:"description,omitempty"`
	Parameters  *tgbotapi.ResponseParameters `json:"parameters,omitempty"`
}

// refusal is an answer with ok=false.
type refusal struct {
	status      int
	description string
	retryAfter  int
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if file, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+token+"/"); ok {
		s.serveFile(w, file)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	i := strings.LastIndex(rest, "/")
	if !ok || i < 0 {
		writeJSON(w, http.StatusNotFound, apiResponse{ErrorCode: 404, Description: "Not Found"})
		return
	}
	tok, method := rest[:i], rest[i+1:]
	if tok != token {
		writeJSON(w, http.StatusUnauthorized, apiResponse{ErrorCode: 401, Description: "Unauthorized"})
		return
	}
	var upload *uploaded
	var params map[string]string
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "multipart/"):
		_ = r.ParseMultipartForm(10 << 20)
		upload = readUpload(r)
	case strings.HasPrefix(ct, "application/json"):
		// Other clients (grammY, Telegraf) send JSON bodies; a
		// non-string field (a number, reply_markup's object) is kept as
		// its JSON text, as tgbotapi's form would carry it.
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err == nil {
			params, err = flatParams(body)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiResponse{ErrorCode: 400, Description: "Bad Request: " + err.Error()})
			return
		}
	default:
		_ = r.ParseForm()
	}
	if params == nil {
		params = make(map[string]string, len(r.Form))
		for k, v := range r.Form {
			if len(v) > 0 {
				params[k] = v[0]
			}
		}
	}

	var (
		result any
		ref    *refusal
	)
	if method == "getUpdates" {
		result, ref = s.getUpdates(r.Context(), params)
	} else {
		result, ref = s.call(method, params, upload)
	}
	if ref != nil {
		resp := apiResponse{ErrorCode: ref.status, Description: ref.description}
		if ref.retryAfter > 0 {
			resp.Parameters = &tgbotapi.ResponseParameters{RetryAfter: ref.retryAfter}
		}
		writeJSON(w, ref.status, resp)
		return
	}
	writeJSON(w, http.StatusOK, apiResponse{OK: true, Result: result})
}

// takeFailure pops an injected failure for method. The caller holds mu.
func (s *Server) takeFailure(method string) *refusal {
	q := s.fails[method]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	s.fails[method] = q[1:]
	desc := http.StatusText(f.status)
	switch {
	case f.status == http.StatusTooManyRequests && f.retryAfter > 0:
		desc = fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter)
	case f.status == http.StatusBadRequest:
		desc = "Bad Request: injected failure"
	case f.status == http.StatusForbidden:
		desc = "Forbidden: bot was blocked by the user"
	}
	return &refusal{status: f.status, description: desc, retryAfter: f.retryAfter}
}

// uploaded is a file a multipart call carried.
type uploaded struct {
	name string
	data []byte
}

// readUpload reads the photo or document of a sendPhoto / sendDocument, as
// tgbotapi uploads them (a multipart file field named after the method's
// parameter).
func readUpload(r *http.Request) *uploaded {
	if r.MultipartForm == nil {
		return nil
	}
	for _, field := range []string{"photo", "document"} {
		fhs := r.MultipartForm.File[field]
		if len(fhs) == 0 {
			continue
		}
		f, err := fhs[0].Open()
		if err != nil {
			return nil
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil
		}
		return &uploaded{name: fhs[0].Filename, data: data}
	}
	return nil
}

// Files is the sendPhoto and sendDocument calls to chatID, in order.
func (s *Server) Files(chatID int64) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.ChatID == chatID && (c.Method == "sendPhoto" || c.Method == "sendDocument") {
			out = append(out, c)
		}
	}
	return out
}

// WebhookAnswer makes the call a webhook handed back in its 200 response
// body (a JSON object naming the method), as Telegram does: recorded like
// any call, and failing silently (a refusal is counted in Failed, nothing
// is reported back). Whatever delivers updates to a webhook passes every
// 200's body here; an empty body is no call.
func (s *Server) WebhookAnswer(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	p, err := flatParams(body)
	if err != nil {
		return fmt.Errorf("telegramtest: webhook answer: %w", err)
	}
	method := p["method"]
	if method == "" {
		return fmt.Errorf("telegramtest: webhook answer without a method: %s", body)
	}
	delete(p, "method")
	_, _ = s.call(method, p, nil)
	return nil
}

// flatParams reads a JSON object of call parameters: a string is itself,
// anything else its JSON text (as a form would carry it).
func flatParams(body []byte) (map[string]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	p := make(map[string]string, len(fields))
	for k, raw := range fields {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			p[k] = str
		} else {
			p[k] = string(raw)
		}
	}
	return p, nil
}

// ChatCalls is the calls to chatID from the from-th on (counting only
// that chat's calls, in the order accepted).
func (s *Server) ChatCalls(chatID int64, from int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.byChat[chatID]
	if from >= len(idx) {
		return nil
	}
	out := make([]Call, 0, len(idx)-from)
	for _, i := range idx[from:] {
		out = append(out, s.calls[i])
	}
	return out
}

// WaitChat waits until chatID has more than n calls, or ctx ends.
func (s *Server) WaitChat(ctx context.Context, chatID int64, n int) error {
	for {
		s.mu.Lock()
		if len(s.byChat[chatID]) > n {
			s.mu.Unlock()
			return nil
		}
		ch, ok := s.chatWake[chatID]
		if !ok {
			ch = make(chan struct{})
			s.chatWake[chatID] = ch
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// call answers every method but getUpdates.
func (s *Server) call(method string, p map[string]string, upload *uploaded) (any, *refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref := s.takeFailure(method); ref != nil {
		s.failed[method]++
		return nil, ref
	}
	if ref := s.limit(method, p); ref != nil {
		s.failed[method]++
		return nil, ref
	}
	result, ref := s.answer(method, p, upload)
	if ref != nil {
		s.failed[method]++
		return nil, ref
	}
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	call := Call{
		Method:      method,
		Params:      p,
		ChatID:      chatID,
		Text:        p["text"],
		ReplyMarkup: p["reply_markup"],
		At:          time.Now(),
	}
	if upload != nil && (method == "sendPhoto" || method == "sendDocument") {
		call.Text, call.File, call.FileName = p["caption"], upload.data, upload.name
	}
	if m, ok := result.(tgbotapi.Message); ok && method == "sendMessage" {
		call.MessageID = m.MessageID
	}
	s.calls = append(s.calls, call)
	if chatID != 0 {
		s.byChat[chatID] = append(s.byChat[chatID], len(s.calls)-1)
		if ch, ok := s.chatWake[chatID]; ok {
			close(ch)
			delete(s.chatWake, chatID)
		}
	}
	s.notify()
	return result, nil
}

// answer is what Telegram would reply. The caller holds mu.
func (s *Server) answer(method string, p map[string]string, upload *uploaded) (any, *refusal) {
	switch method {
	case "sendPhoto", "sendDocument":
		chatID, ref := s.chat(p)
		if ref != nil {
			return nil, ref
		}
		if upload == nil || len(upload.data) == 0 {
			return nil, badRequest("there is no file in the request")
		}
		if len([]rune(p["caption"])) > 1024 {
			return nil, badRequest("message caption is too long")
		}
		id := s.nextMessageID
		s.nextMessageID++
		return s.message(chatID, id, ""), nil
	case "getMe":
		return tgbotapi.User{ID: botID, IsBot: true, FirstName: "Voronka Test", UserName: botUsername}, nil
	case "sendMessage":
		chatID, ref := s.chat(p)
		if ref != nil {
			return nil, ref
		}
		if p["text"] == "" {
			return nil, badRequest("message text is empty")
		}
		id := s.nextMessageID
		s.nextMessageID++
		s.messages[messageKey{chatID, id}] = sentMessage{text: p["text"], markup: inlineMarkup(p["reply_markup"])}
		return s.message(chatID, id, p["text"]), nil
	case "editMessageText":
		chatID, ref := s.chat(p)
		if ref != nil {
			return nil, ref
		}
		id, err := strconv.Atoi(p["message_id"])
		if err != nil || id <= 0 {
			return nil, badRequest("message identifier is not specified")
		}
		if p["text"] == "" {
			return nil, badRequest("message text is empty")
		}
		key := messageKey{chatID, id}
		now := sentMessage{text: p["text"], markup: inlineMarkup(p["reply_markup"])}
		// Messages the server never sent (ids made up in a test's
		// Callback) are edited without complaint.
		if was, ok := s.messages[key]; ok && was == now {
			return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
		}
		s.messages[key] = now
		return s.message(chatID, id, p["text"]), nil
	case "getFile":
		f, ok := s.customerFiles[p["file_id"]]
		if !ok {
			return nil, badRequest("wrong file_id or the file is temporarily unavailable")
		}
		return map[string]any{"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"], "file_size": len(f.data), "file_path": f.path}, nil
	case "createForumTopic":
		chatID, ref := s.chat(p)
		if ref != nil {
			return nil, ref
		}
		if !s.forums[chatID] {
			return nil, badRequest("the chat is not a forum")
		}
		if p["name"] == "" {
			return nil, badRequest("topic name is empty")
		}
		// The topic's thread id is the id of its "topic created" service
		// message, from the bot, which every message in the topic that
		// is not a reply to another answers.
		id := s.nextMessageID
		s.nextMessageID++
		s.messages[messageKey{chatID, id}] = sentMessage{}
		s.topics[messageKey{chatID, id}] = p["name"]
		return map[string]any{"message_thread_id": id, "name": p["name"], "icon_color": 7322096}, nil
	case "deleteMessage":
		chatID, ref := s.chat(p)
		if ref != nil {
			return nil, ref
		}
		id, _ := strconv.Atoi(p["message_id"])
		key := messageKey{chatID, id}
		if _, ok := s.messages[key]; !ok {
			return nil, badRequest("message to delete not found")
		}
		delete(s.messages, key)
		return true, nil
	case "answerCallbackQuery":
		if p["callback_query_id"] == "" {
			return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
		}
		return true, nil
	case "setWebhook":
		if p["url"] == "" {
			return nil, badRequest("bad webhook: an HTTPS URL must be provided for webhook")
		}
		s.webhookURL, s.webhookSecret = p["url"], p["secret_token"]
		return true, nil
	case "deleteWebhook":
		s.webhookURL, s.webhookSecret = "", ""
		return true, nil
	case "getWebhookInfo":
		return tgbotapi.WebhookInfo{URL: s.webhookURL, PendingUpdateCount: len(s.updates)}, nil
	case "setMyCommands":
		// Recorded with its scope, language_code and commands (JSON).
		return true, nil
	default:
		return nil, &refusal{status: http.StatusNotFound, description: "Not Found"}
	}
}

// chat reads chat_id and refuses a blocked chat. The caller holds mu.
func (s *Server) chat(p map[string]string) (int64, *refusal) {
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || chatID == 0 {
		return 0, badRequest("chat not found")
	}
	if s.blocked[chatID] {
		return 0, &refusal{status: http.StatusForbidden, description: "Forbidden: bot was blocked by the user"}
	}
	return chatID, nil
}

func (s *Server) message(chatID int64, id int, text string) tgbotapi.Message {
	return tgbotapi.Message{
		MessageID: id,
		From:      &tgbotapi.User{ID: botID, IsBot: true, FirstName: "Voronka Test", UserName: botUsername},
		Date:      int(time.Now().Unix()),
		Chat:      &tgbotapi.Chat{ID: chatID, Type: chatType(chatID)},
		Text:      text,
	}
}

// inlineMarkup keeps reply_markup only when it is an inline keyboard, the
// one kind a message keeps (and an edit compares).
func inlineMarkup(markup string) string {
	if strings.Contains(markup, `"inline_keyboard"`) {
		return markup
	}
	return ""
}

func badRequest(what string) *refusal {
	return &refusal{status: http.StatusBadRequest, description: "Bad Request: " + what}
}

// getUpdates answers like Telegram: an offset confirms (and drops) every
// update below it, and with a timeout the call waits for an update to
// arrive, here for at most maxPollWait.
func (s *Server) getUpdates(ctx context.Context, p map[string]string) (any, *refusal) {
	offset, _ := strconv.Atoi(p["offset"])
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	wait := min(time.Duration(max(timeout, 0))*time.Second, maxPollWait)
	timer := time.NewTimer(wait)
	defer timer.Stop()

	for {
		s.mu.Lock()
		s.pollAllowed = p["allowed_updates"]
		if ref := s.takeFailure("getUpdates"); ref != nil {
			s.failed["getUpdates"]++
			s.mu.Unlock()
			return nil, ref
		}
		if s.webhookURL != "" {
			s.failed["getUpdates"]++
			s.mu.Unlock()
			return nil, &refusal{status: http.StatusConflict, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		if offset > 0 {
			kept := s.updates[:0]
			for _, u := range s.updates {
				if u.UpdateID >= offset {
					kept = append(kept, u)
				}
			}
			s.updates = kept
		}
		out := append([]tgbotapi.Update{}, s.updates[:min(limit, len(s.updates))]...)
		changed := s.changed
		s.mu.Unlock()

		if len(out) > 0 || wait == 0 {
			return out, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return []tgbotapi.Update{}, nil
		case <-ctx.Done():
			return []tgbotapi.Update{}, nil
		case <-s.closed:
			return []tgbotapi.Update{}, nil
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v apiResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func chatType(chatID int64) string {
	if chatID > 0 {
		return "private"
	}
	return "supergroup"
}
