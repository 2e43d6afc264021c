package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
	"github.com/voronka/voronka/storage/redis"
	"github.com/voronka/voronka/storage/redis/redistest"
)

const webhookSecret = "s3cret-token_for-tests"

// bundle is one Voronka wired to a real PostgreSQL schema, a real Redis
// prefix and the test Bot API server, serving its HTTP handler.
type bundle struct {
	t      testing.TB
	db     *postgres.DB
	rs     *redis.Store
	rdb    *goredis.Client
	prefix string
	tg     *telegramtest.Server
	app    *App
	srv    *httptest.Server
	env    map[string]string
	slept  *sleeps
	clock  crm.Clock
	// realSleep makes the senders really wait (pacing tests); otherwise
	// their waits are recorded in slept.
	realSleep bool
	nextID    atomic.Int64 // update ids; presses race in some tests
}

// sleeps records the waits senders asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func setup(t testing.TB) *bundle {
	return setupWith(t, "")
}

// setupWith is setup with extra lines for the config file.
func setupWith(t testing.TB, extraConfig string) *bundle {
	return setupWithDeps(t, extraConfig, nil, nil)
}

// setupWithDeps is setupWith with extra environment and a clock.
func setupWithDeps(t testing.TB, extraConfig string, env map[string]string, clock crm.Clock) *bundle {
	t.Helper()
	b := &bundle{t: t, db: postgrestest.NewDB(t), tg: telegramtest.NewServer(t), slept: &sleeps{}}
	b.nextID.Store(1000)
	b.rs, b.rdb, b.prefix = redistest.NewStore(t)
	b.env = map[string]string{
		"VORONKA_CONFIG":          writeConfig(t, "flows: "+filepath.Join("..", "..", "..", "configs", "flows")+"\n"+extraConfig),
		"TELEGRAM_TOKEN":          b.tg.Token(),
		"TELEGRAM_API_ENDPOINT":   b.tg.Endpoint(),
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/telegram/webhook",
		"TELEGRAM_WEBHOOK_SECRET": webhookSecret,
	}
	for k, v := range env {
		b.env[k] = v
	}
	b.clock = clock
	b.start()
	return b
}

// start builds a fresh App on the same databases, as a restarted process
// or a second replica would be.
func (b *bundle) start() {
	b.t.Helper()
	cfg, err := LoadConfig(func(k string) string { return b.env[k] })
	require.NoError(b.t, err)
	deps := Deps{DB: b.db, Redis: b.rs, Sleep: b.slept.sleep, Clock: b.clock}
	if b.realSleep {
		deps.Sleep = nil
	}
	app, err := NewApp(context.Background(), cfg, postgrestest.Logger(b.t), deps)
	require.NoError(b.t, err)
	b.app = app
	b.srv = httptest.NewServer(app.Handler())
	b.t.Cleanup(b.srv.Close)
	b.t.Cleanup(app.Close)
}

func writeConfig(t testing.TB, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "voronka.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

// post delivers u to the webhook with the right secret and returns the
// status; u gets a fresh update id unless it has one.
func (b *bundle) post(u tgbotapi.Update) int {
	b.t.Helper()
	return b.postRaw(b.updateBody(u), webhookSecret)
}

// updateBody is u as Telegram posts it, with the next update id if it has
// none.
func (b *bundle) updateBody(u tgbotapi.Update) []byte {
	b.t.Helper()
	if u.UpdateID == 0 {
		u.UpdateID = int(b.nextID.Add(1))
	}
	body, err := json.Marshal(u)
	require.NoError(b.t, err)
	return body
}

func (b *bundle) postRaw(body []byte, secret string) int {
	b.t.Helper()
	status, answer := b.postBody(body, secret)
	if status == http.StatusOK {
		require.NoError(b.t, b.tg.WebhookAnswer(answer))
	}
	return status
}

// postAnswer posts u and returns the status and the response's body,
// without making the call the body carries (the caller passes it to
// b.tg.WebhookAnswer when it has looked).
func (b *bundle) postAnswer(u tgbotapi.Update) (int, []byte) {
	b.t.Helper()
	return b.postBody(b.updateBody(u), webhookSecret)
}

func (b *bundle) postBody(body []byte, secret string) (int, []byte) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/telegram/webhook", bytes.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(telegram.SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(b.t, err)
	return resp.StatusCode, answer
}

// say posts u and requires 200.
func (b *bundle) say(u tgbotapi.Update) {
	b.t.Helper()
	require.Equal(b.t, http.StatusOK, b.post(u))
}

// lastText is the text of the last message sent to chat.
func (b *bundle) lastText(chat int64) string {
	b.t.Helper()
	sent := b.tg.Sent(chat)
	require.NotEmpty(b.t, sent, "nothing was sent to chat %d", chat)
	return sent[len(sent)-1].Text
}

func (b *bundle) count(query string, args ...any) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

type leadRow struct {
	Stage, Temperature, Step                           string
	Score                                              int
	Source, Medium, Campaign, Landing, Payload, FlowID string
	Phone, Email, FirstName, Language                  string
	QualifiedAt                                        *time.Time
}

func (b *bundle) lead(telegramUserID int64) leadRow {
	b.t.Helper()
	var r leadRow
	err := b.db.Pool.QueryRow(context.Background(), `
		SELECT l.stage, l.temperature, l.step, l.score, l.source, l.medium, l.campaign, l.landing,
		       l.start_payload, l.flow_id, c.phone, c.email, c.first_name, c.language, l.qualified_at
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE c.telegram_user_id = $1 ORDER BY l.id DESC LIMIT 1`, telegramUserID).
		Scan(&r.Stage, &r.Temperature, &r.Step, &r.Score, &r.Source, &r.Medium, &r.Campaign, &r.Landing,
			&r.Payload, &r.FlowID, &r.Phone, &r.Email, &r.FirstName, &r.Language, &r.QualifiedAt)
	require.NoError(b.t, err)
	return r
}

// answers returns step -> value:score of the customer's current answers.
func (b *bundle) answers(telegramUserID int64) map[string]string {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `
		SELECT a.step_id, a.value, a.score FROM answers a
		JOIN leads l ON l.id = a.lead_id JOIN contacts c ON c.id = l.contact_id
		WHERE c.telegram_user_id = $1 AND a.superseded_at IS NULL ORDER BY a.id`, telegramUserID)
	require.NoError(b.t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var step, value string
		var score int
		require.NoError(b.t, rows.Scan(&step, &value, &score))
		out[step] = value + ":" + strconv.Itoa(score)
	}
	require.NoError(b.t, rows.Err())
	return out
}

func en(u tgbotapi.Update) tgbotapi.Update { return telegramtest.WithLang(u, "en") }

// TestHotLeadThroughWebhook is the acceptance path: a start link with
// attribution, buttons, a typed budget, a foreign contact refused and the
// customer's own contact shared, a free-text comment; the lead is hot and
// everything is in PostgreSQL.
func TestHotLeadThroughWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 501, 501
	anna := func(u tgbotapi.Update) tgbotapi.Update {
		return en(telegramtest.WithName(u, "Anna", "Petrova", "anna_p"))
	}

	b.say(anna(telegramtest.Text(chat, user, "/start s-google__m-cpc__c-black_friday__l-pricing")))
	require.Contains(t, b.lastText(chat), "Hello, Anna! I'll put you in touch")
	sent := b.tg.Sent(chat)
	require.Contains(t, sent[len(sent)-1].ReplyMarkup, `"callback_data":"need:buy"`)

	b.say(anna(telegramtest.Callback(chat, user, 1, "need:buy")))
	require.Contains(t, b.lastText(chat), "What budget")
	b.say(anna(telegramtest.Text(chat, user, "1,5 млн")))
	require.Contains(t, b.lastText(chat), "When are you planning to start?")
	b.say(anna(telegramtest.Callback(chat, user, 2, "timeline:week")))
	b.say(anna(telegramtest.Callback(chat, user, 3, "role:decision_maker")))
	b.say(anna(telegramtest.Callback(chat, user, 4, "company_size:!skip")))
	require.Contains(t, b.lastText(chat), "share your number")
	last := b.tg.Sent(chat)
	require.Contains(t, last[len(last)-1].ReplyMarkup, `"request_contact":true`)

	// Someone else's card is refused and changes nothing.
	b.say(anna(telegramtest.Contact(chat, user, 999, "+7 916 000-00-00")))
	require.Equal(t, "", b.lead(user).Phone)
	b.say(anna(telegramtest.Contact(chat, user, user, "79161234567")))
	require.Contains(t, b.lastText(chat), "Anything else")
	b.say(anna(telegramtest.Text(chat, user, "Call after 5pm, please 🙂")))
	require.Equal(t, "Thank you, Anna! A manager will reach you within 15 minutes.", b.lastText(chat))

	l := b.lead(user)
	require.Equal(t, "qualified", l.Stage)
	require.Equal(t, "hot", l.Temperature)
	require.Equal(t, 30+30+25+10+15, l.Score)
	require.Equal(t, "", l.Step)
	require.NotNil(t, l.QualifiedAt)
	require.Equal(t, []string{"google", "cpc", "black_friday", "pricing", "s-google__m-cpc__c-black_friday__l-pricing", "qualify"},
		[]string{l.Source, l.Medium, l.Campaign, l.Landing, l.Payload, l.FlowID})
	require.Equal(t, "+79161234567", l.Phone)
	require.Equal(t, "Anna", l.FirstName)
	require.Equal(t, "en", l.Language)
	require.Equal(t, map[string]string{
		"need":         "buy:30",
		"budget":       "1500000:30",
		"timeline":     "week:35",
		"role":         "decision_maker:15",
		"company_size": ":0",
		"phone":        "+79161234567:0",
		"comment":      "Call after 5pm, please 🙂:0",
	}, b.answers(user))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM events WHERE kind = 'answered'`),
		"an answer writes its answers row only; the timeline derives it")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'qualified'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'created'`))
}

// TestColdLeadCorrectsEmail: Russian by default, a bad number and a bad
// email are re-asked with a hint and stored nowhere; the corrected ones are.
func TestColdLeadCorrectsEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 502, 502

	b.say(telegramtest.WithLang(telegramtest.Text(chat, user, "/start"), "de"))
	require.Contains(t, b.lastText(chat), "Что вас интересует?", "an unknown language falls back to the flow's first")
	b.say(telegramtest.Text(chat, user, "Узнать цены"))
	b.say(telegramtest.Text(chat, user, "много"))
	require.Contains(t, b.lastText(chat), "числом", "a hint first")
	require.Contains(t, b.lastText(chat), "Какой бюджет", "then the same question")
	b.say(telegramtest.Text(chat, user, "50 000"))
	b.say(telegramtest.Text(chat, user, "4"))
	b.say(telegramtest.Callback(chat, user, 9, "role:researcher"))
	b.say(telegramtest.Callback(chat, user, 9, "company_size:small"))
	require.Contains(t, b.lastText(chat), "email")
	b.say(telegramtest.Text(chat, user, "ivan at example"))
	require.Equal(t, "", b.lead(user).Email)
	require.NotContains(t, b.answers(user), "email")
	b.say(telegramtest.Text(chat, user, "Ivan@Example.COM"))
	b.say(telegramtest.Callback(chat, user, 9, "comment:!skip"))
	require.Contains(t, b.lastText(chat), "Менеджер свяжется с вами в течение 2 дней")

	l := b.lead(user)
	require.Equal(t, "qualified", l.Stage)
	require.Equal(t, "cold", l.Temperature)
	require.Equal(t, 15+0+0+0+5, l.Score)
	require.Equal(t, "Ivan@example.com", l.Email)
	require.Equal(t, "", l.Source)
	require.Equal(t, map[string]string{
		"need": "pricing:15", "budget": "50000:0", "timeline": "looking:0", "role": "researcher:0",
		"company_size": "small:5", "email": "Ivan@example.com:0", "comment": ":0",
	}, b.answers(user))
}

// TestDuplicateDelivery: the same update posted twice gives one answer row
// and one reply.
func TestDuplicateDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 503, 503
	b.say(telegramtest.Text(chat, user, "/start"))
	u := telegramtest.Callback(chat, user, 1, "need:buy")
	u.UpdateID = 77
	b.say(u)
	b.say(u)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM answers`))
	sent := b.tg.Sent(chat)
	require.Len(t, sent, 3, "the welcome, its one echo of the press and one budget question")
	require.Equal(t, "editMessageText", sent[1].Method, "the question shows the choice and loses its buttons")
	require.True(t, strings.HasSuffix(sent[1].Text, "\n\n✅ Хочу купить"), sent[1].Text)
	require.Empty(t, sent[1].ReplyMarkup)
	calls := 0
	for _, c := range b.tg.Calls() {
		if c.Method == "answerCallbackQuery" {
			calls++
		}
	}
	require.Equal(t, 1, calls)
}

// TestWebhookRefusesBadRequests: no secret or a wrong one is 401, a
// malformed body 400, and none of them stores anything.
func TestWebhookRefusesBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body, err := json.Marshal(telegramtest.Text(504, 504, "/start"))
	require.NoError(t, err)
	body = bytes.Replace(body, []byte(`"update_id":0`), []byte(`"update_id":5`), 1)

	require.Equal(t, http.StatusUnauthorized, b.postRaw(body, ""))
	require.Equal(t, http.StatusUnauthorized, b.postRaw(body, "wrong"))
	require.Equal(t, http.StatusBadRequest, b.postRaw([]byte(`{"update_id": 6, "message": `), webhookSecret))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM contacts`))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM leads`))
	require.Empty(t, b.tg.Sent(504))

	require.Equal(t, http.StatusOK, b.postRaw(body, webhookSecret))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads`))
}

// TestResumeAfterRedisFlushAndRestart: losing Redis, and restarting the
// process, both continue at the right step with the answers intact.
func TestResumeAfterRedisFlushAndRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, user = 505, 505
	b.say(en(telegramtest.Text(chat, user, "/start s-vk")))
	b.say(en(telegramtest.Callback(chat, user, 1, "need:buy")))
	b.say(en(telegramtest.Text(chat, user, "400k")))

	// Flush: every key of this test's prefix goes.
	keys, err := b.rdb.Keys(context.Background(), b.prefix+"*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	require.NoError(t, b.rdb.Del(context.Background(), keys...).Err())

	b.say(en(telegramtest.Callback(chat, user, 2, "timeline:month")))
	require.Contains(t, b.lastText(chat), "Who makes the purchase decision?")

	// Restart: a new App on the same databases.
	b.srv.Close()
	b.app.Close()
	b.start()
	b.say(en(telegramtest.Callback(chat, user, 3, "role:influencer")))
	require.Contains(t, b.lastText(chat), "How many people")
	// /start in the middle resumes the question instead of starting over.
	b.say(en(telegramtest.Text(chat, user, "/start s-other")))
	require.Contains(t, b.lastText(chat), "How many people")

	require.Equal(t, map[string]string{
		"need": "buy:30", "budget": "400000:20", "timeline": "month:25", "role": "influencer:5",
	}, b.answers(user))
	l := b.lead(user)
	require.Equal(t, "qualifying", l.Stage)
	require.Equal(t, 80, l.Score)
	require.Equal(t, "company_size", l.Step)
	require.Equal(t, "vk", l.Source, "a later link does not overwrite the first touch")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'touch'`))
}
