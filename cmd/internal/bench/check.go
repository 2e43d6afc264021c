package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/voronka/voronka/storage/postgres/postgrestest"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

// invariant is one checked promise and how it went.
type invariant struct {
	Name   string   `json:"name"`
	OK     bool     `json:"ok"`
	Detail string   `json:"detail"`
	Errors []string `json:"errors,omitempty"` // the first few violations
}

// maxListed bounds the violations an invariant lists.
const maxListed = 10

func (inv *invariant) fail(format string, args ...any) {
	inv.OK = false
	if len(inv.Errors) < maxListed {
		inv.Errors = append(inv.Errors, fmt.Sprintf(format, args...))
	}
}

// benchFacts is everything the checks compare: what the customers did
// (the generator's records), what the bot said (the fake servers'
// records) and what PostgreSQL holds.
type benchFacts struct {
	customers []*benchCustomer
	tgCalls   []telegramtest.Call
	cards     []slackfake.Call
	answers   []postgrestest.AuditAnswer
	leads     []postgrestest.AuditLead
	surveys   []postgrestest.AuditSurvey
	// The sales phase: which customers' leads were won, and the time zone
	// each was given (day or night at the time of the survey sweep).
	won       map[int64]string // chat -> time zone
	night     map[int64]bool
	quiet     crm.QuietHours
	quietText string // "21:00-09:00"
	surveyed  bool   // the survey sweep ran
	unacked   int
}

func gatherFacts(ctx context.Context, audit *postgrestest.Audit, gen *generator, tg *telegramtest.Server, sl *slackfake.Server) (*benchFacts, error) {
	f := &benchFacts{customers: gen.customers, tgCalls: tg.Calls(), cards: sl.CallsTo("chat.postMessage")}
	var err error
	if f.answers, err = audit.Answers(ctx); err != nil {
		return nil, err
	}
	if f.leads, err = audit.Leads(ctx); err != nil {
		return nil, err
	}
	if f.surveys, err = audit.Surveys(ctx); err != nil {
		return nil, err
	}
	for _, c := range gen.customers {
		f.unacked += c.unacked
	}
	return f, nil
}

// check runs every invariant.
func (f *benchFacts) check() []invariant {
	out := []invariant{f.acknowledged(), f.answersOnce(), f.cardsOnce(), f.repliesOnce(), f.callbacksOnce()}
	if f.surveyed {
		out = append(out, f.surveysOnce(), f.quietHours())
	}
	return out
}

// acknowledged: Telegram would deliver an update until it gets a 200, and
// so does the generator; an update it gave up on is lost to the customer.
func (f *benchFacts) acknowledged() invariant {
	inv := invariant{Name: "every update acknowledged (200) in the end", OK: true}
	total := 0
	for _, c := range f.customers {
		for _, ep := range c.episodes {
			total++
			if !ep.acked {
				inv.fail("chat %d: update %d never acknowledged", c.chat, ep.updateID)
			}
		}
	}
	inv.Detail = fmt.Sprintf("%d deliveries, %d unacknowledged", total, f.unacked)
	return inv
}

// answersOnce: every answer a customer gave and got acknowledged is in
// PostgreSQL exactly once, with its value; nothing else is.
func (f *benchFacts) answersOnce() invariant {
	inv := invariant{Name: "every acknowledged answer stored exactly once", OK: true}
	type key struct {
		chat int64
		step string
	}
	rows := map[key][]postgrestest.AuditAnswer{}
	for _, a := range f.answers {
		k := key{a.TelegramUserID, a.Step}
		rows[k] = append(rows[k], a)
	}
	expected := 0
	byChat := map[int64]*benchCustomer{}
	for _, c := range f.customers {
		byChat[c.chat] = c
		for step, value := range c.answers {
			expected++
			got := rows[key{c.chat, step}]
			switch {
			case len(got) == 0:
				inv.fail("chat %d: answer %q lost", c.chat, step)
			case len(got) > 1:
				inv.fail("chat %d: answer %q stored %d times", c.chat, step, len(got))
			case got[0].Value != value:
				inv.fail("chat %d: answer %q stored as %q, given %q", c.chat, step, got[0].Value, value)
			case got[0].Superseded:
				inv.fail("chat %d: answer %q superseded", c.chat, step)
			}
		}
	}
	for k, got := range rows {
		c := byChat[k.chat]
		if c == nil {
			continue
		}
		if _, ok := c.answers[k.step]; !ok && c.unacked == 0 {
			inv.fail("chat %d: answer %q stored but never given (%d rows)", k.chat, k.step, len(got))
		}
	}
	inv.Detail = fmt.Sprintf("%d answers acknowledged, %d rows", expected, len(f.answers))
	return inv
}

// cardLead reads the lead id from a card's metadata.
func cardLead(c slackfake.Call) int64 {
	var md struct {
		EventPayload struct {
			LeadID int64 `json:"lead_id"`
		} `json:"event_payload"`
	}
	if json.Unmarshal([]byte(c.Params["metadata"]), &md) == nil {
		return md.EventPayload.LeadID
	}
	return 0
}

// cardsOnce: every hot lead whose last answer was acknowledged got exactly
// one card, and nothing else got one.
func (f *benchFacts) cardsOnce() invariant {
	inv := invariant{Name: "every hot lead got exactly one Slack card", OK: true}
	perLead := map[int64]int{}
	for _, c := range f.cards {
		perLead[cardLead(c)]++
	}
	leadOf := map[int64]postgrestest.AuditLead{}
	for _, l := range f.leads {
		leadOf[l.TelegramUserID] = l
	}
	hot := 0
	for _, c := range f.customers {
		l, ok := leadOf[c.chat]
		if !c.hot || !c.finished {
			if ok && perLead[l.LeadID] > 0 {
				inv.fail("chat %d: lead %d is not a finished hot lead but got %d cards", c.chat, l.LeadID, perLead[l.LeadID])
			}
			continue
		}
		hot++
		switch {
		case !ok:
			inv.fail("chat %d: no lead", c.chat)
		case l.Temperature != string(crm.Hot):
			inv.fail("chat %d: lead %d is %s, not hot", c.chat, l.LeadID, l.Temperature)
		case perLead[l.LeadID] != 1:
			inv.fail("chat %d: lead %d got %d cards", c.chat, l.LeadID, perLead[l.LeadID])
		}
	}
	inv.Detail = fmt.Sprintf("%d hot leads, %d cards", hot, len(f.cards))
	return inv
}

// message is one message the bot sent to a customer, as compared.
type message struct {
	at   time.Time
	what string // method, edited message, text and buttons
}

func customerMessages(calls []telegramtest.Call) map[int64][]message {
	out := map[int64][]message{}
	for _, c := range calls {
		switch c.Method {
		case "sendMessage", "sendPhoto", "sendDocument":
			out[c.ChatID] = append(out[c.ChatID], message{at: c.At, what: c.Method + "\x00" + c.Text + "\x00" + c.ReplyMarkup})
		case "editMessageText":
			out[c.ChatID] = append(out[c.ChatID], message{at: c.At, what: c.Method + "\x00" + c.Params["message_id"] + "\x00" + c.Text + "\x00" + c.ReplyMarkup})
		}
	}
	return out
}

// repliesOnce: no customer was told anything twice. Precisely: every
// message the bot sent to a chat falls in the window of one of the chat's
// deliveries (replies are sent before the 200, and a chat's deliveries do
// not overlap), and within one update's window, however many times it was
// delivered, no message repeats (a second handling of the update would
// repeat its reply); a redelivery of an update acknowledged before gets no
// message at all. Messages outside every window are the bot's own
// (surveys, "a manager has your request"); none of them repeats either.
// Two episodes may legitimately say the same thing: a stale button is
// answered with the question again.
func (f *benchFacts) repliesOnce() invariant {
	inv := invariant{Name: "no customer got the same message twice", OK: true}
	msgs := customerMessages(f.tgCalls)
	total, unsolicited := 0, 0
	for _, c := range f.customers {
		eps := c.episodes
		sort.Slice(eps, func(i, j int) bool { return eps[i].start.Before(eps[j].start) })
		seenOutside := map[string]bool{}
		inEpisode := make([]map[string]bool, len(eps))
		for _, m := range msgs[c.chat] {
			total++
			i := sort.Search(len(eps), func(i int) bool { return eps[i].end.After(m.at) || eps[i].end.Equal(m.at) })
			if i < len(eps) && !eps[i].start.After(m.at) {
				ep := eps[i]
				if ep.stale {
					first := "?"
					for _, o := range eps {
						if o.updateID == ep.updateID && !o.stale {
							first = fmt.Sprintf("first delivered %s-%s (dup %v, retried %v)", o.start.Format("15:04:05.000"), o.end.Format("15:04:05.000"), o.dup, o.retried)
						}
					}
					inv.fail("chat %d: update %d delivered again at %s after its 200 got a reply: %s; %s",
						c.chat, ep.updateID, ep.start.Format("15:04:05.000"), short(m.what), first)
					continue
				}
				if inEpisode[i] == nil {
					inEpisode[i] = map[string]bool{}
				}
				if inEpisode[i][m.what] {
					inv.fail("chat %d: update %d answered twice: %s", c.chat, ep.updateID, short(m.what))
				}
				inEpisode[i][m.what] = true
				continue
			}
			unsolicited++
			if seenOutside[m.what] {
				inv.fail("chat %d: sent twice: %s", c.chat, short(m.what))
			}
			seenOutside[m.what] = true
		}
	}
	inv.Detail = fmt.Sprintf("%d messages to %d customers, %d of them the bot's own (notices, surveys)", total, len(f.customers), unsolicited)
	return inv
}

func short(what string) string {
	s := strings.ReplaceAll(what, "\x00", " | ")
	if r := []rune(s); len(r) > 90 {
		return string(r[:90]) + "…"
	}
	return s
}

// callbacksOnce: every pressed button's callback is answered at most once.
func (f *benchFacts) callbacksOnce() invariant {
	inv := invariant{Name: "no button press answered twice", OK: true}
	n := map[string]int{}
	for _, c := range f.tgCalls {
		if c.Method == "answerCallbackQuery" {
			n[c.Params["callback_query_id"]]++
		}
	}
	for id, k := range n {
		if k > 1 {
			inv.fail("callback %s answered %d times", id, k)
		}
	}
	inv.Detail = fmt.Sprintf("%d callbacks answered", len(n))
	return inv
}

// npsMessages are the NPS questions sent, per chat (their buttons carry
// nps:<survey>:<score>, whatever the language).
func (f *benchFacts) npsMessages() map[int64][]telegramtest.Call {
	out := map[int64][]telegramtest.Call{}
	for _, c := range f.tgCalls {
		if c.Method == "sendMessage" && strings.Contains(c.ReplyMarkup, `"nps:`) {
			out[c.ChatID] = append(out[c.ChatID], c)
		}
	}
	return out
}

// surveysOnce: every won customer whose day it was got exactly one
// survey, recorded as sent; nobody got one twice; nobody in their night
// got one.
func (f *benchFacts) surveysOnce() invariant {
	inv := invariant{Name: "no survey sent twice, every due survey sent", OK: true}
	nps := f.npsMessages()
	rows := map[int64][]postgrestest.AuditSurvey{}
	for _, s := range f.surveys {
		rows[s.TelegramUserID] = append(rows[s.TelegramUserID], s)
	}
	sent, lost := 0, 0
	for chat := range f.won {
		got := len(nps[chat])
		sent += got
		switch {
		case got > 1:
			inv.fail("chat %d: %d surveys sent", chat, got)
		case f.night[chat] && got > 0:
			inv.fail("chat %d: surveyed in the night", chat)
		case f.night[chat] && len(rows[chat]) > 0:
			inv.fail("chat %d: a survey was queued in the night", chat)
		case !f.night[chat] && len(rows[chat]) != 1:
			inv.fail("chat %d: %d survey rows, want 1", chat, len(rows[chat]))
		case !f.night[chat] && got == 0:
			// At most once: a survey job interrupted by a kill is not
			// sent again, so a crash can cost a survey, never repeat one.
			lost++
		}
		if got == 1 && len(rows[chat]) == 1 && rows[chat][0].SentAt == nil && !f.night[chat] {
			inv.fail("chat %d: survey sent but not recorded as sent", chat)
		}
	}
	for chat, calls := range nps {
		if _, ok := f.won[chat]; !ok {
			inv.fail("chat %d: %d surveys without a sale", chat, len(calls))
		}
	}
	inv.Detail = fmt.Sprintf("%d won leads, %d in their night, %d surveys sent, %d lost to a killed replica", len(f.won), len(f.night), sent, lost)
	return inv
}

// quietHours: no survey reached a customer while it was night where they
// are.
func (f *benchFacts) quietHours() invariant {
	inv := invariant{Name: "nothing sent in quiet hours", OK: true}
	n := 0
	for chat, calls := range f.npsMessages() {
		tz, ok := f.won[chat]
		if !ok {
			continue
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			inv.fail("chat %d: time zone %q: %v", chat, tz, err)
			continue
		}
		for _, c := range calls {
			n++
			if local := c.At.In(loc); f.quiet.Quiet(local) {
				inv.fail("chat %d: survey at %s local time", chat, local.Format("15:04"))
			}
		}
	}
	inv.Detail = fmt.Sprintf("%d surveys checked against quiet hours %s in each customer's zone", n, f.quietText)
	return inv
}
