package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// The reactive generator drives any Telegram bot, not only Voronka: it
// knows no flow, it reads what the bot said and answers by one rule (the
// peer's README states it, so that both bots of a side-by-side run are
// driven alike):
//
//   - press the first inline button;
//   - share a contact when a reply keyboard asks for it;
//   - type an e-mail when asked for one;
//   - otherwise type a short text;
//   - stop when the bot says something that is not a question.
//
// "What the bot said" is the last sendMessage to the chat since the
// update was posted: sent with the Bot API (recorded by the fake server)
// or handed back in the webhook's 200 body, which the generator gives to
// the fake to carry out, as Telegram does. A bot may answer 200 before it
// has replied (grammY does, when its reply rides in the 200: the rest of
// the handler, the next question included, runs after the response), so
// the generator waits for the message after the 200; the reply latency is
// from the post to that message's arrival at the fake, whichever way it
// came. Like Telegram, one chat's updates go one at a time and a delivery
// that did not get a 200 is made again.

// reactiveOptions is what the reactive generator needs.
type reactiveOptions struct {
	Customers   int
	Concurrency int
	ChatBase    int64
	// MaxUpdates stops a customer whose dialogue goes round in circles.
	MaxUpdates int
	// Silence is how long to wait for a reply after the 200.
	Silence time.Duration
	GiveUp  time.Duration
}

// reactiveCustomer is one customer; a worker holds it at a time.
type reactiveCustomer struct {
	chat    int64
	next    tgbotapi.Update
	read    int // the chat's calls already read
	updates int
	outcome string // finished, silent, capped, unacked; "" while talking
}

// reactiveResult is what a reactive run measured.
type reactiveResult struct {
	Elapsed   time.Duration
	Acked     int64
	Posts     int64
	InBody    int64 // 200s that carried a Bot API call in their body
	Failures  int64
	Latencies []time.Duration // post to reply, sorted
	Outcomes  map[string]int
	// Finals counts the closing messages by text, to see that both bots
	// finished the same dialogue.
	Finals map[string]int
}

type reactive struct {
	o      reactiveOptions
	urls   []string
	secret string
	tg     *telegramtest.Server
	client *http.Client

	updateID atomic.Int64
	rr       atomic.Uint64
	acks     atomic.Int64
	posts    atomic.Int64
	// inBody counts the 200s whose body carried a Bot API call.
	inBody   atomic.Int64
	failures atomic.Int64

	mu        sync.Mutex
	latencies []time.Duration
	finals    map[string]int
}

func newReactive(o reactiveOptions, urls []string, secret string, tg *telegramtest.Server) *reactive {
	if o.MaxUpdates <= 0 {
		o.MaxUpdates = 30
	}
	if o.Silence <= 0 {
		o.Silence = 10 * time.Second
	}
	if o.GiveUp <= 0 {
		o.GiveUp = time.Minute
	}
	r := &reactive{o: o, urls: urls, secret: secret, tg: tg, finals: map[string]int{},
		client: &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 4 * o.Concurrency, MaxIdleConnsPerHost: 2 * o.Concurrency, IdleConnTimeout: time.Minute,
		}}}
	r.updateID.Store(1000)
	return r
}

// customerUpdate dresses an update as one from customer chat: a name and
// English as the language, the same for both bots.
func customerUpdate(chat int64, u tgbotapi.Update) tgbotapi.Update {
	return telegramtest.WithLang(telegramtest.WithName(u, "Customer", fmt.Sprint(chat), ""), "en")
}

func (r *reactive) run(ctx context.Context) reactiveResult {
	n := r.o.Customers
	ready := make(chan *reactiveCustomer, n)
	all := make([]*reactiveCustomer, n)
	for i := range n {
		chat := r.o.ChatBase + int64(i)
		all[i] = &reactiveCustomer{chat: chat, next: customerUpdate(chat, telegramtest.Text(chat, chat, "/start s-bench__c-side"))}
		ready <- all[i]
	}
	var left sync.WaitGroup
	left.Add(n)
	stop := make(chan struct{})
	var workers sync.WaitGroup
	start := time.Now()
	for range max(r.o.Concurrency, 1) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				var c *reactiveCustomer
				select {
				case c = <-ready:
				case <-stop:
					return
				}
				if ctx.Err() != nil {
					c.outcome = "unacked"
				} else {
					r.step(ctx, c)
				}
				if c.outcome != "" {
					left.Done()
					continue
				}
				ready <- c
			}
		}()
	}
	left.Wait()
	elapsed := time.Since(start)
	close(stop)
	workers.Wait()
	res := reactiveResult{Elapsed: elapsed, Acked: r.acks.Load(), Posts: r.posts.Load(), InBody: r.inBody.Load(), Failures: r.failures.Load(),
		Outcomes: map[string]int{}, Finals: r.finals}
	for _, c := range all {
		res.Outcomes[c.outcome]++
	}
	r.mu.Lock()
	res.Latencies = slices.Clone(r.latencies)
	r.mu.Unlock()
	slices.Sort(res.Latencies)
	return res
}

// step delivers c's next update, reads the bot's reply and decides the
// next one (or the outcome).
func (r *reactive) step(ctx context.Context, c *reactiveCustomer) {
	u := c.next
	u.UpdateID = int(r.updateID.Add(1))
	body, _ := json.Marshal(u)
	start := time.Now()
	if !r.deliver(ctx, body) {
		c.outcome = "unacked"
		return
	}
	r.acks.Add(1)
	c.updates++
	reply, ok := r.reply(ctx, c)
	if !ok {
		c.outcome = "silent"
		return
	}
	r.mu.Lock()
	r.latencies = append(r.latencies, max(reply.At.Sub(start), 0))
	r.mu.Unlock()
	next, finished := answerRule(c.chat, reply)
	switch {
	case finished:
		c.outcome = "finished"
		r.mu.Lock()
		r.finals[reply.Text]++
		r.mu.Unlock()
	case c.updates >= r.o.MaxUpdates:
		c.outcome = "capped"
	default:
		c.next = customerUpdate(c.chat, next)
	}
}

// deliver posts body until a 200, moving to the next URL after a failure
// as Telegram retries a webhook, and hands the 200's body to the fake
// Bot API to carry out.
func (r *reactive) deliver(ctx context.Context, body []byte) bool {
	deadline := time.Now().Add(r.o.GiveUp)
	i := int(r.rr.Add(1) % uint64(len(r.urls)))
	pause := 20 * time.Millisecond
	for {
		r.posts.Add(1)
		if answer, ok := r.post(ctx, r.urls[i], body); ok {
			if len(bytes.TrimSpace(answer)) > 0 {
				r.inBody.Add(1)
			}
			if err := r.tg.WebhookAnswer(answer); err == nil {
				return true
			}
		}
		r.failures.Add(1)
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
		i = (i + 1) % len(r.urls)
	}
}

func (r *reactive) post(ctx context.Context, url string, body []byte) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telegram.SecretHeader, r.secret)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, false
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer, err == nil && resp.StatusCode == http.StatusOK
}

// reply is the last message sent to c's chat since its last reply, waiting
// up to Silence for one.
func (r *reactive) reply(ctx context.Context, c *reactiveCustomer) (telegramtest.Call, bool) {
	wait, cancel := context.WithTimeout(ctx, r.o.Silence)
	defer cancel()
	for {
		calls := r.tg.ChatCalls(c.chat, c.read)
		for i := len(calls) - 1; i >= 0; i-- {
			if calls[i].Method == "sendMessage" {
				c.read += len(calls)
				return calls[i], true
			}
		}
		if r.tg.WaitChat(wait, c.chat, c.read+len(calls)) != nil {
			c.read += len(calls)
			return telegramtest.Call{}, false
		}
	}
}

// answerRule is the answering rule (see the top of this file): the next
// update, or finished when the bot said something that is not a question.
func answerRule(chat int64, reply telegramtest.Call) (tgbotapi.Update, bool) {
	var markup struct {
		Inline [][]struct {
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
		Keyboard [][]struct {
			RequestContact bool `json:"request_contact"`
		} `json:"keyboard"`
	}
	if reply.ReplyMarkup != "" {
		_ = json.Unmarshal([]byte(reply.ReplyMarkup), &markup)
	}
	for _, row := range markup.Inline {
		for _, b := range row {
			if b.CallbackData != "" {
				return telegramtest.Callback(chat, chat, reply.MessageID, b.CallbackData), false
			}
		}
	}
	for _, row := range markup.Keyboard {
		for _, b := range row {
			if b.RequestContact {
				return telegramtest.Contact(chat, chat, chat, fmt.Sprintf("+7916%07d", chat%10_000_000)), false
			}
		}
	}
	text := strings.ToLower(reply.Text)
	if strings.Contains(text, "email") || strings.Contains(text, "e-mail") {
		return telegramtest.Text(chat, chat, fmt.Sprintf("customer%d@example.com", chat)), false
	}
	if strings.HasSuffix(strings.TrimSpace(text), "?") || len(markup.Keyboard) > 0 {
		return telegramtest.Text(chat, chat, "Head of sales"), false
	}
	return tgbotapi.Update{}, true
}
