package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// The load generator plays Telegram and the customers. Each customer walks
// the default flow (configs/flows/qualify.yaml) on the hot path (budget,
// a near start, the decision maker: a phone and a sales card) or the cold
// one (an email, no card), with a share of bad input on the way: a
// sticker, a number or an email that does not parse, a stale button, a
// foreign contact card. Like Telegram, it sends one chat's updates one at
// a time, the next only once the previous one is acknowledged (a 200), and
// it delivers again whatever was not acknowledged. With faults it also
// delivers updates twice to two replicas at once, and delivers again,
// later, an update already acknowledged (its 200 lost on the way).
//
// What it records (every episode of every chat, with its times) is what
// the invariant checks compare with the databases and the fake servers.

// benchStep is one update of a customer's script.
type benchStep struct {
	update tgbotapi.Update
	step   string // the flow step it answers; "" for a command or bad input
	value  string // the answer as stored
	final  bool   // the answer that finishes the dialogue
	phase1 bool   // sent before the mid-dialogue memory snapshot
}

// benchEpisode is one update's delivery, from the first post to the 200:
// every reply to it is sent in that window (replies go out before the
// 200), and none outside it.
type benchEpisode struct {
	updateID   int
	start, end time.Time
	stale      bool   // a redelivery of an update acknowledged before
	dup        bool   // delivered to two replicas at once
	retried    bool   // a delivery failed (killed replica, 5xx) and was retried
	callbackID string // the button press's callback query, if any
	acked      bool
}

// ackedUpdate is an acknowledged update that may be delivered again.
type ackedUpdate struct {
	body   []byte
	id     int
	epoch  int64 // the Redis flush epoch its delivery began in
	answer bool
}

// benchCustomer is one simulated customer. A customer is handled by one
// worker at a time (it is passed on through channels), so it needs no lock.
type benchCustomer struct {
	chat  int64
	hot   bool
	steps []benchStep
	next  int

	answers    map[string]string // acknowledged answers: step -> value
	acked      []ackedUpdate
	episodes   []*benchEpisode
	lastAnswer time.Time // the first post of the final answer
	finished   bool
	unacked    int // updates given up on
}

// benchLoadOptions is what the generator needs of the bench's options.
type benchLoadOptions struct {
	Customers   int
	Concurrency int
	Rate        float64
	Duration    time.Duration
	Think       time.Duration
	Bad         float64
	Hot         float64
	Dup         float64
	Stale       float64
	GiveUp      time.Duration
	Seed        uint64
	ChatBase    int64
	// Ramp spreads the customers' arrivals evenly over this long (0: all
	// at once), as people come in through a day rather than at a signal.
	Ramp time.Duration
}

// generator drives the customers against the replicas.
type generator struct {
	opts      benchLoadOptions
	replicas  []string // webhook URLs
	secret    string
	client    *http.Client
	customers []*benchCustomer

	updateID atomic.Int64
	rr       atomic.Uint64
	rngMu    sync.Mutex
	rng      *rand.Rand

	// flush is held for reading by every delivery that may be repeated
	// (a duplicate, a redelivery, a retry) and for writing by a Redis
	// flush, so that a flush never falls between two deliveries of one
	// update (see benchFaults.flush for why).
	flush sync.RWMutex
	epoch atomic.Int64

	latMu     sync.Mutex
	latencies []time.Duration
	byStep    map[string][]time.Duration // the latencies by stepLabel
	acks      atomic.Int64
	posts     atomic.Int64
	started   atomic.Int64 // customers who sent their first update
	done      atomic.Int64 // customers who sent their last
	failures  atomic.Int64 // non-200 answers and cut connections

	pace *pacer
	// answered takes the Bot API call a replica handed back in a 200's
	// body (Telegram makes it; here the test Bot API server records it).
	answered func(body []byte) error
}

func newGenerator(opts benchLoadOptions, replicas []string, secret string, answered func(body []byte) error) *generator {
	g := &generator{
		answered: answered,
		opts:     opts,
		replicas: replicas,
		secret:   secret,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		client: &http.Client{
			// A handler may wait out a 429's retry_after before it
			// answers; a client that gave up sooner would make Telegram's
			// behaviour look worse than it is.
			Timeout: 90 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        4 * opts.Concurrency,
				MaxIdleConnsPerHost: 2 * opts.Concurrency,
				IdleConnTimeout:     time.Minute,
			},
		},
	}
	g.updateID.Store(1000)
	for i := range opts.Customers {
		chat := opts.ChatBase + int64(i)
		hot := g.float() < opts.Hot
		g.customers = append(g.customers, &benchCustomer{chat: chat, hot: hot, steps: g.script(chat, hot), answers: map[string]string{}})
	}
	return g
}

func (g *generator) float() float64 {
	g.rngMu.Lock()
	defer g.rngMu.Unlock()
	return g.rng.Float64()
}

func (g *generator) intn(n int) int {
	g.rngMu.Lock()
	defer g.rngMu.Unlock()
	return g.rng.IntN(n)
}

// buttonMessage is the id of the message a pressed button sits under.
// Made up, and far from the ids the fake Bot API hands out, so that an
// edit never lands on a real message of another step.
func buttonMessage(i int) int { return 1_000_000_000 + i }

// script is a customer's updates: the flow's path, hot or cold, with bad
// input before a step now and then (never twice in a row at one step, so
// that the bot never has a reason to say the same thing twice in one
// update's reply).
func (g *generator) script(chat int64, hot bool) []benchStep {
	lang := "en"
	if chat%2 == 0 {
		lang = "ru"
	}
	user := func(u tgbotapi.Update) tgbotapi.Update {
		return telegramtest.WithLang(telegramtest.WithName(u, "Customer", fmt.Sprint(chat), ""), lang)
	}
	text := func(s string) tgbotapi.Update { return user(telegramtest.Text(chat, chat, s)) }
	press := func(i int, data string) tgbotapi.Update {
		return user(telegramtest.Callback(chat, chat, buttonMessage(i), data))
	}
	phone := fmt.Sprintf("+7916%07d", chat%10_000_000)
	email := fmt.Sprintf("customer%d@example.com", chat)
	var valid []benchStep
	if hot {
		valid = []benchStep{
			{update: text("/start s-bench__c-load")},
			{update: press(1, "need:buy"), step: "need", value: "buy"},
			{update: text("1,5 млн"), step: "budget", value: "1500000"},
			{update: press(3, "timeline:week"), step: "timeline", value: "week"},
			{update: press(4, "role:decision_maker"), step: "role", value: "decision_maker"},
			{update: press(5, "company_size:!skip"), step: "company_size", value: ""},
			{update: user(telegramtest.Contact(chat, chat, chat, phone)), step: "phone", value: phone},
			{update: text("Call me after 5pm, please"), step: "comment", value: "Call me after 5pm, please", final: true},
		}
	} else {
		valid = []benchStep{
			{update: text("/start s-bench__c-load")},
			{update: press(1, "need:pricing"), step: "need", value: "pricing"},
			{update: text("50 000"), step: "budget", value: "50000"},
			{update: press(3, "timeline:looking"), step: "timeline", value: "looking"},
			{update: press(4, "role:researcher"), step: "role", value: "researcher"},
			{update: press(5, "company_size:small"), step: "company_size", value: "small"},
			{update: text(email), step: "email", value: email},
			{update: press(7, "comment:!skip"), step: "comment", value: "", final: true},
		}
	}
	bad := map[string][]tgbotapi.Update{
		"need":         {user(telegramtest.Sticker(chat, chat)), text("hmm"), press(90, "timeline:week")},
		"budget":       {text("много"), user(telegramtest.Sticker(chat, chat)), press(91, "need:buy")},
		"timeline":     {text("maybe"), user(telegramtest.Sticker(chat, chat)), press(92, "need:buy")},
		"role":         {text("maybe"), press(93, "need:buy")},
		"company_size": {text("maybe"), user(telegramtest.Sticker(chat, chat))},
		"phone":        {text("call me"), user(telegramtest.Contact(chat, chat, 999, "+79990000000"))},
		"email":        {text("ivan at example"), user(telegramtest.Sticker(chat, chat))},
		"comment":      {user(telegramtest.Sticker(chat, chat)), press(94, "need:buy")},
	}
	var out []benchStep
	for i, st := range valid {
		phase1 := i <= 2 // /start, need and budget: every customer is mid-dialogue after them
		if i > 0 && g.float() < g.opts.Bad {
			choices := bad[st.step]
			out = append(out, benchStep{update: choices[g.intn(len(choices))], phase1: phase1})
		}
		st.phase1 = phase1
		out = append(out, st)
	}
	return out
}

// pacer spaces episodes at a target rate; nil means as fast as the
// workers go.
type pacer struct {
	mu    sync.Mutex
	start time.Time
	rate  float64
	n     int64
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{start: time.Now(), rate: rate}
}

func (p *pacer) reset() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.start, p.n = time.Now(), 0
	p.mu.Unlock()
}

func (p *pacer) wait(ctx context.Context) {
	if p == nil {
		return
	}
	p.mu.Lock()
	at := p.start.Add(time.Duration(float64(p.n) / p.rate * float64(time.Second)))
	p.n++
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// pick is the next replica in round robin: the front a load balancer
// would be.
func (g *generator) pick() int { return int(g.rr.Add(1) % uint64(len(g.replicas))) }

// post delivers body to replica i and returns the status (0 when the
// connection failed) and how long the answer took.
func (g *generator) post(ctx context.Context, i int, body []byte) (int, time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.replicas[i], bytes.NewReader(body))
	if err != nil {
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telegram.SecretHeader, g.secret)
	g.posts.Add(1)
	start := time.Now()
	resp, err := g.client.Do(req)
	d := time.Since(start)
	if err != nil {
		return 0, d
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// The 200 did not arrive whole: as lost as a cut connection.
		return 0, d
	}
	if resp.StatusCode == http.StatusOK && g.answered != nil {
		if err := g.answered(answer); err != nil {
			return 0, d
		}
	}
	return resp.StatusCode, d
}

// deliver posts body until a replica acknowledges it, moving on to the
// next replica after a failure, as Telegram retries a webhook. It takes
// the flush lock for reading before any second delivery (see generator).
// It reports the latency of the acknowledged delivery, whether one failed,
// and false if it gave up.
func (g *generator) deliver(ctx context.Context, replica int, body []byte, locked *bool) (time.Duration, bool, bool) {
	deadline := time.Now().Add(g.opts.GiveUp)
	pause := 20 * time.Millisecond
	failed := false
	for {
		status, d := g.post(ctx, replica, body)
		if status == http.StatusOK {
			return d, failed, true
		}
		g.failures.Add(1)
		failed = true
		if !*locked {
			g.flush.RLock()
			*locked = true
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return 0, failed, false
		}
		time.Sleep(pause + time.Duration(g.intn(int(pause))))
		pause = min(2*pause, time.Second)
		replica = (replica + 1) % len(g.replicas)
	}
}

// episode delivers one update of c (or, when stale is set, delivers an
// acknowledged one again) and records it. locked says the caller holds the
// flush lock for reading already (a stale redelivery is chosen under it);
// the episode releases it.
func (g *generator) episode(ctx context.Context, c *benchCustomer, st *benchStep, stale *ackedUpdate, locked bool) {
	ep := &benchEpisode{stale: stale != nil}
	var body []byte
	if stale != nil {
		body, ep.updateID = stale.body, stale.id
	} else {
		u := st.update
		ep.updateID = int(g.updateID.Add(1))
		u.UpdateID = ep.updateID
		if u.CallbackQuery != nil {
			ep.callbackID = u.CallbackQuery.ID
		}
		body, _ = json.Marshal(u)
		ep.dup = g.opts.Dup > 0 && g.float() < g.opts.Dup
	}
	if ep.dup && !locked {
		g.flush.RLock()
		locked = true
	}
	primary := g.pick()
	// The epoch before the first delivery: a flush during the episode may
	// have taken the update's "done" mark with it.
	epoch := g.epoch.Load()
	ep.start = time.Now()
	var (
		dupWG     sync.WaitGroup
		dupFailed bool
		dupOK     = true
	)
	if ep.dup {
		dupWG.Add(1)
		go func() {
			defer dupWG.Done()
			alsoLocked := true // the episode holds the lock already
			_, dupFailed, dupOK = g.deliver(ctx, (primary+1)%len(g.replicas), body, &alsoLocked)
		}()
	}
	lat, failed, ok := g.deliver(ctx, primary, body, &locked)
	dupWG.Wait()
	ep.end = time.Now()
	ep.retried = failed || dupFailed
	ep.acked = ok && dupOK
	if locked {
		g.flush.RUnlock()
	}
	c.episodes = append(c.episodes, ep)
	if !ep.acked {
		c.unacked++
		return
	}
	if stale != nil {
		return
	}
	g.acks.Add(1)
	if !failed {
		g.latMu.Lock()
		g.latencies = append(g.latencies, lat)
		if g.byStep == nil {
			g.byStep = map[string][]time.Duration{}
		}
		label := stepLabel(st, c)
		g.byStep[label] = append(g.byStep[label], lat)
		g.latMu.Unlock()
	}
	c.acked = append(c.acked, ackedUpdate{body: body, id: ep.updateID, epoch: epoch, answer: st.step != ""})
	if st.step != "" {
		c.answers[st.step] = st.value
	}
	if st.final {
		c.lastAnswer = ep.start
		c.finished = true
	}
}

// staleCandidate is an acknowledged update of c that Telegram could
// deliver again now: one acknowledged since the last Redis flush (a flush
// between the two deliveries is a double fault the run leaves out, see
// benchFaults.flush).
func (g *generator) staleCandidate(c *benchCustomer) *ackedUpdate {
	epoch := g.epoch.Load()
	var cands []*ackedUpdate
	for i := range c.acked {
		if c.acked[i].epoch == epoch {
			cands = append(cands, &c.acked[i])
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[g.intn(len(cands))]
}

// loadResult is what a load run measured.
type loadResult struct {
	Elapsed   time.Duration // the time customers were being served
	Acked     int64
	Posts     int64
	Failures  int64
	Latencies []time.Duration
	ByStep    map[string][]time.Duration // by stepLabel
	Finished  int
	CutOff    int // customers the --duration stopped mid-dialogue
}

// stepLabel names what an update of c was, for the latencies by step: the
// flow step it answers, "/start" for the first update, "other" for a
// command or a piece of bad input; the last answer of a hot lead (whose
// transaction queues the sales alert) is told apart.
func stepLabel(st *benchStep, c *benchCustomer) string {
	switch {
	case st.step != "" && st.final && c.hot:
		return st.step + " (hot, last)"
	case st.step != "" && st.final:
		return st.step + " (last)"
	case st.step != "":
		return st.step
	case len(c.acked) == 0:
		return "/start"
	default:
		return "other"
	}
}

// run drives every customer to the end of its script (or until
// --duration), calling midway once every customer is mid-dialogue (after
// its first phase), with the load paused. It returns when all workers are
// done.
func (g *generator) run(ctx context.Context, midway func()) loadResult {
	n := len(g.customers)
	ready := make(chan *benchCustomer, n)
	var (
		active   sync.WaitGroup
		atGate   atomic.Int64
		gateMu   sync.Mutex
		gated    []*benchCustomer
		gateOpen = g.opts.Duration > 0 || g.opts.Ramp > 0 // no snapshot gate in a timed or ramped run
		paused   time.Duration
	)
	stopAt := time.Time{}
	if g.opts.Duration > 0 {
		stopAt = time.Now().Add(g.opts.Duration)
	}
	g.pace = newPacer(g.opts.Rate)
	think := func() time.Duration {
		if g.opts.Think <= 0 {
			return 0
		}
		// Exponential around the mean: most answers come quickly, some
		// after a long pause, as people type.
		g.rngMu.Lock()
		d := time.Duration(g.rng.ExpFloat64() * float64(g.opts.Think))
		g.rngMu.Unlock()
		return min(d, 10*g.opts.Think)
	}
	requeue := func(c *benchCustomer) {
		if d := think(); d > 0 {
			time.AfterFunc(d, func() { ready <- c })
			return
		}
		ready <- c
	}
	gateDone := make(chan struct{})
	openGate := func() {
		gateMu.Lock()
		gateOpen = true
		waiting := gated
		gated = nil
		gateMu.Unlock()
		for _, c := range waiting {
			ready <- c
		}
	}
	start := time.Now()
	active.Add(n)
	if g.opts.Ramp > 0 {
		go func() {
			for i, c := range g.customers {
				if d := time.Until(start.Add(time.Duration(i) * g.opts.Ramp / time.Duration(n))); d > 0 {
					time.Sleep(d)
				}
				ready <- c
			}
		}()
	} else {
		for _, c := range g.customers {
			ready <- c
		}
	}
	if n == 0 {
		close(gateDone)
	}
	var workers sync.WaitGroup
	stop := make(chan struct{})
	for range max(g.opts.Concurrency, 1) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				var c *benchCustomer
				select {
				case c = <-ready:
				case <-stop:
					return
				}
				if ctx.Err() != nil || (!stopAt.IsZero() && time.Now().After(stopAt)) {
					active.Done()
					continue
				}
				if g.opts.Stale > 0 && g.float() < g.opts.Stale {
					// Chosen under the lock, so that no flush comes
					// between the choice and the delivery.
					g.flush.RLock()
					if st := g.staleCandidate(c); st != nil {
						g.episode(ctx, c, nil, st, true)
					} else {
						g.flush.RUnlock()
					}
				}
				st := &c.steps[c.next]
				g.pace.wait(ctx)
				if c.next == 0 {
					g.started.Add(1)
				}
				g.episode(ctx, c, st, nil, false)
				c.next++
				switch {
				case c.next >= len(c.steps):
					g.done.Add(1)
					active.Done()
				case st.phase1 && !c.steps[c.next].phase1:
					gateMu.Lock()
					open := gateOpen
					if !open {
						gated = append(gated, c)
					}
					gateMu.Unlock()
					if open {
						requeue(c)
					} else if atGate.Add(1) == int64(n) {
						close(gateDone)
					}
				default:
					requeue(c)
				}
			}
		}()
	}
	switch {
	case g.opts.Ramp > 0:
		// The most dialogues are live when the last customer has come.
		go func() {
			select {
			case <-time.After(g.opts.Ramp):
				midway()
			case <-ctx.Done():
			}
		}()
	case g.opts.Duration <= 0:
		// Every customer is mid-dialogue once every one has passed the
		// gate.
		go func() {
			<-gateDone
			t := time.Now()
			midway()
			paused = time.Since(t)
			g.pace.reset()
			openGate()
		}()
	default:
		go func() {
			select {
			case <-time.After(g.opts.Duration / 2):
				midway()
			case <-ctx.Done():
			}
		}()
	}
	active.Wait()
	elapsed := time.Since(start) - paused
	close(stop)
	workers.Wait()
	res := loadResult{Elapsed: elapsed, Acked: g.acks.Load(), Posts: g.posts.Load(), Failures: g.failures.Load()}
	g.latMu.Lock()
	res.Latencies = g.latencies
	res.ByStep = g.byStep
	g.latMu.Unlock()
	for _, c := range g.customers {
		if c.finished {
			res.Finished++
		} else if c.unacked == 0 {
			res.CutOff++
		}
	}
	return res
}

// live is the number of customers mid-dialogue now.
func (g *generator) live() int { return int(g.started.Load() - g.done.Load()) }
