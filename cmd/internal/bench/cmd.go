package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/voronka/voronka/cmd/internal/app"
	"github.com/voronka/voronka/storage/postgres/postgrestest"

	goredis "github.com/redis/go-redis/v9"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/redis"
)

// `voronka bench` is the load and fault suite: it starts the test Bot API
// and Slack servers in its own process, runs replicas of this very binary
// (`voronka serve` in webhook mode, each on its own port, as child
// processes, so that a fault can SIGKILL one) against the real PostgreSQL
// (a fresh schema per run) and Redis (a fresh key prefix), drives
// simulated customers through the default flow, and reports what it
// measured next to what the machine itself can do, measured in the same
// run: PostgreSQL's insert rate (pgbench) and Redis's operation rate
// (redis-benchmark). With --faults it breaks things meanwhile, then checks
// the invariants and exits 1 if any does not hold.

// benchOptions are the command's flags.
type benchOptions struct {
	Customers    int           `json:"customers"`
	Replicas     int           `json:"replicas"`
	Concurrency  int           `json:"concurrency"`
	Rate         float64       `json:"rate"`
	Duration     time.Duration `json:"duration"`
	Think        time.Duration `json:"think"`
	Ramp         time.Duration `json:"ramp"`
	Bad          float64       `json:"bad"`
	Hot          float64       `json:"hot"`
	Faults       bool          `json:"faults"`
	FaultEvery   time.Duration `json:"fault_every"`
	Dup          float64       `json:"dup"`
	Stale        float64       `json:"stale"`
	Lease        time.Duration `json:"lease"`
	Limits       bool          `json:"limits"`
	LimitSeconds int           `json:"limit_seconds"`
	PoolSize     int           `json:"pool_size"`
	Keep         bool          `json:"keep"`
	Seed         uint64        `json:"seed"`
	JSON         string        `json:"-"`
	CPUProfile   string        `json:"-"`
	Quiet        bool          `json:"-"`
	// FaultPlan, when set, names the faults in turn (kill, postgres,
	// redis, telegram429, telegram5xx, slack) instead of drawing them at
	// random; the tests use it to see every kind in a short run.
	FaultPlan []string `json:"fault_plan,omitempty"`
}

func benchFlags(fs *flag.FlagSet, o *benchOptions) {
	fs.IntVar(&o.Customers, "customers", 1000, "simulated customers")
	fs.IntVar(&o.Replicas, "replicas", 2, "Voronka replicas (child processes, each on its own port)")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "deliveries in flight at once (Telegram's max_connections, over all replicas)")
	fs.Float64Var(&o.Rate, "rate", 0, "target updates per second (0: as fast as the replicas answer)")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: when every customer has finished)")
	fs.DurationVar(&o.Think, "think", 0, "a customer's mean think time between answers (exponential; 0: none)")
	fs.DurationVar(&o.Ramp, "ramp", 0, "spread the customers' arrivals evenly over this long (0: all at once)")
	fs.Float64Var(&o.Bad, "bad", 0.1, "share of steps preceded by bad input (a sticker, an unparsable number or email, a stale button)")
	fs.Float64Var(&o.Hot, "hot", 0.3, "share of customers on the hot path (a phone and a Slack card)")
	fs.BoolVar(&o.Faults, "faults", false, "break things while customers talk: kill -9 replicas, end PostgreSQL connections, flush Redis, 429/5xx bursts, duplicate and stale deliveries; then check the invariants")
	fs.DurationVar(&o.FaultEvery, "fault-every", 2*time.Second, "mean time between faults")
	fs.Float64Var(&o.Dup, "dup", -1, "share of updates delivered to two replicas at once (default 0.05 with --faults, else 0)")
	fs.Float64Var(&o.Stale, "stale", -1, "share of steps preceded by a redelivery of an update already acknowledged (default 0.03 with --faults, else 0)")
	fs.DurationVar(&o.Lease, "lease", 0, "the replicas' updates.lease (default 3s with --faults, else 15s)")
	fs.BoolVar(&o.Limits, "limits", true, "measure the machine's own limits in the same run: pgbench and redis-benchmark, when on PATH")
	fs.IntVar(&o.LimitSeconds, "limit-seconds", 5, "how long pgbench runs")
	fs.IntVar(&o.PoolSize, "pool", 0, "PostgreSQL connections per replica (0: Voronka's default)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's schema and Redis keys")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed (0: from the clock)")
	fs.StringVar(&o.JSON, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the bench process (the generator and the fake servers) to this file, and each replica's to FILE.replica-N (a restarted replica's replaces its predecessor's)")
}

func (o *benchOptions) defaults() {
	if o.Dup < 0 {
		o.Dup = 0
		if o.Faults {
			o.Dup = 0.05
		}
	}
	if o.Stale < 0 {
		o.Stale = 0
		if o.Faults {
			o.Stale = 0.03
		}
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
		if o.Faults {
			// Short, so that the chats a killed replica held are free
			// again within the run; a live replica renews it anyway.
			o.Lease = 3 * time.Second
		}
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
}

const benchUsage = `usage: voronka bench [flags]

Starts the test Bot API and Slack servers, runs --replicas replicas of this
binary in webhook mode against PostgreSQL (DATABASE_URL, a fresh schema)
and Redis (REDIS_URL, a fresh key prefix), drives --customers simulated
customers through the default flow and reports updates/s, reply latency,
the time from a hot lead's last answer to its Slack card, memory, and the
machine's own PostgreSQL and Redis rates measured in the same run. With
--faults it also breaks things and checks the invariants (exit 1 if one
fails). Examples:

  voronka bench --customers 5000 --think 0              # throughput
  voronka bench --customers 5000 --rate 2500             # latency at a rate
  voronka bench --customers 2000 --faults --json r.json  # faults, invariants
  voronka bench --side-by-side --peer-dir /tmp/grammy --customers 2000 --runs 3
                                                         # Voronka beside the grammY peer
  voronka bench --side-by-side --against /tmp/main/voronka --runs 3
                                                         # this build beside another (before/after)

flags:
`

// Main is voronka-bench (and `voronka bench`, which runs it): flags,
// the run, the report; an error when the run could not be done or an
// invariant failed.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
	}
	var o benchOptions
	benchFlags(fs, &o)
	voronka := fs.String("voronka", "", "the voronka binary the replicas run (default: voronka beside this binary, else on PATH)")
	side := fs.Bool("side-by-side", false, "run Voronka and the grammY peer (--peer-dir) alternately, driven alike, and report both")
	var so sideOptions
	fs.StringVar(&so.PeerDir, "peer-dir", "", "with --side-by-side: the peer's directory (bot.js, npm install done)")
	fs.StringVar(&so.Node, "node", "node", "with --side-by-side: the node binary the peer runs on")
	fs.IntVar(&so.Runs, "runs", 1, "with --side-by-side: pairs of runs, the order alternating")
	fs.IntVar(&so.PeerRedisDB, "peer-redis-db", 8, "with --side-by-side: the Redis database of the peer's sessions")
	fs.StringVar(&so.Against, "against", "", "with --side-by-side: another voronka binary to run in the peer's place (before/after a change; every part's schema is migrated with this bench's migrations)")
	fs.BoolVar(&so.PeerWebhookReply, "peer-webhook-reply", true, "with --side-by-side: let the peer answer in the webhook's 200 body (PEER_WEBHOOK_REPLY=1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := voronkaBinary(*voronka)
	if err != nil {
		return err
	}
	if *side {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["concurrency"] {
			o.Concurrency = 50
		}
		if !set["replicas"] {
			o.Replicas = 1 // one process each: the peer is one node process
		}
		runs, err := runSideBySide(ctx, o, so, getenv, replicaProgram{Path: exe, Args: []string{"serve"}}, stderr)
		if len(runs) > 0 {
			printSide(stdout, runs, o)
			if o.JSON != "" {
				if werr := writeSideJSON(o.JSON, runs, o, so); werr != nil && err == nil {
					err = werr
				}
			}
		}
		return err
	}
	stop, err := app.StartCPUProfile(o.CPUProfile)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer stop()
	rep, err := runBench(ctx, o, getenv, replicaProgram{Path: exe, Args: []string{"serve"}}, stderr)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if o.JSON != "" {
		if err := rep.writeJSON(o.JSON); err != nil {
			return err
		}
	}
	if !rep.ok() {
		return errors.New("bench: an invariant does not hold (see above)")
	}
	return nil
}

// bench is one run.
type bench struct {
	o        benchOptions
	id       string
	dir      string
	dbURL    string
	redisURL string
	log      io.Writer
	tg       *telegramtest.Server
	sl       *slackfake.Server
	db       *postgres.DB
	audit    *postgrestest.Audit
	rdb      *goredis.Client
	prefix   string
	replicas *replicaSet
	gen      *generator
	env      map[string]string // the replicas' environment, less their own keys
	quiet    crm.QuietHours
	config   string
	app      string // the replicas' application_name
}

const (
	benchSecret       = "voronka-bench-secret"
	benchSlackSecret  = "voronka-bench-signing-secret"
	benchSlackChannel = "CSALES"
	benchQuietFrom    = "21:00"
	benchQuietTo      = "09:00"
	benchRep          = 9002 // Boris, the rep who wins the sales phase's leads
)

// runBench runs the bench and returns its report; an error means the run
// itself could not be done (no database, a replica that would not start).
func runBench(ctx context.Context, o benchOptions, getenv func(string) string, prog replicaProgram, log io.Writer) (rep *benchReport, err error) {
	o.defaults()
	var raw [2]byte
	_, _ = rand.Read(raw[:])
	b := &bench{
		o:        o,
		id:       fmt.Sprintf("bench_%d_%s", time.Now().Unix(), hex.EncodeToString(raw[:])),
		dbURL:    envOr(getenv, "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		redisURL: envOr(getenv, "REDIS_URL", "redis://127.0.0.1:6379/0"),
		log:      log,
	}
	b.app = "voronka-" + b.id
	b.prefix = "bench:" + b.id + ":"
	b.quiet, _ = crm.ParseQuietHours(benchQuietFrom, benchQuietTo)
	if b.dir, err = os.MkdirTemp("", "voronka-"+b.id+"-"); err != nil {
		return nil, err
	}
	b.logf("run %s: %d replicas, %d customers, files in %s", b.id, o.Replicas, o.Customers, b.dir)

	b.tg, b.sl = telegramtest.New(), slackfake.New()
	defer b.tg.Close()
	defer b.sl.Close()
	if err := b.openStores(ctx); err != nil {
		return nil, err
	}
	defer b.closeStores()
	defer func() {
		if b.replicas != nil { // some may have started before one failed
			b.replicas.stopAll(25 * time.Second)
		}
	}()
	if err := b.startReplicas(ctx, prog); err != nil {
		return nil, err
	}

	rep = &benchReport{Run: b.id, Started: time.Now().UTC(), CPUs: runtime.NumCPU(), Options: o, Files: b.dir}
	idle, _ := b.replicas.rss()
	redisBefore := usedMemory(ctx, b.rdb)

	urls := make([]string, len(b.replicas.all))
	for i, r := range b.replicas.all {
		urls[i] = "http://" + r.addr + "/telegram/webhook"
	}
	b.gen = newGenerator(benchLoadOptions{
		Customers: o.Customers, Concurrency: o.Concurrency, Rate: o.Rate, Duration: o.Duration, Think: o.Think,
		Bad: o.Bad, Hot: o.Hot, Dup: o.Dup, Stale: o.Stale, GiveUp: 2 * time.Minute, Seed: o.Seed,
		ChatBase: 1_000_000, Ramp: o.Ramp,
	}, urls, benchSecret, b.tg.WebhookAnswer)

	faultCtx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()
	var (
		faults   *benchFaults
		faultsWG sync.WaitGroup
	)
	if o.Faults {
		faults = &benchFaults{
			every: o.FaultEvery, replicas: b.replicas, audit: b.audit, app: b.app, rdb: b.rdb, prefix: b.prefix,
			tg: b.tg, sl: b.sl, gen: b.gen, float: b.gen.float, intn: b.gen.intn, plan: o.FaultPlan,
		}
		faultsWG.Add(1)
		go func() {
			defer faultsWG.Done()
			faults.run(faultCtx)
		}()
	}

	b.logf("load: %d customers, %d in flight, rate %s, think %s", o.Customers, o.Concurrency, rateText(o.Rate), o.Think)
	span := cpuSpan{start: b.cpuSample()}
	res := b.gen.run(ctx, func() {
		span.excluded = append(span.excluded, b.cpuSample())
		rep.Memory = b.memory(ctx, idle, redisBefore)
		span.excluded = append(span.excluded, b.cpuSample())
	})
	span.end = b.cpuSample()
	rep.load(res, o)
	rep.CPU = span.report(res.Acked, rep.CPUs)
	if !o.Faults {
		addrs := make([]string, len(b.replicas.all))
		for i, r := range b.replicas.all {
			addrs[i] = r.addr
		}
		p50, p99 := handlerLatency(ctx, addrs)
		rep.HandlerP50Ms, rep.HandlerP99Ms = ms(p50), ms(p99)
	}
	b.logf("load done: %d updates in %s (%.0f/s)", res.Acked, res.Elapsed.Round(time.Millisecond), rep.UpdatesPerSec)

	b.waitJobs(ctx, "cards")
	var facts *benchFacts
	sales := &salesPhase{}
	if o.Faults {
		if err := b.sales(ctx, sales); err != nil {
			b.logf("sales phase: %v", err)
			rep.Notes = append(rep.Notes, "sales phase: "+err.Error())
		}
		stopFaults()
		faultsWG.Wait()
		var ferrs []error
		rep.Faults, rep.FaultLog, ferrs = faults.summary()
		for _, e := range ferrs {
			rep.Notes = append(rep.Notes, e.Error())
		}
		b.waitJobs(ctx, "jobs after the faults")
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if facts, err = gatherFacts(ctx, b.audit, b.gen, b.tg, b.sl); err != nil {
		return nil, err
	}
	facts.quiet, facts.quietText = b.quiet, benchQuietFrom+"-"+benchQuietTo
	if o.Faults {
		facts.won, facts.night, facts.surveyed = sales.won, sales.night, sales.swept
	}
	if n, err := b.audit.PendingJobs(ctx); err == nil && n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d jobs still pending at the end", n))
	}
	rep.Invariants = facts.check()
	rep.cards(facts)
	for _, r := range b.replicas.all {
		r.mu.Lock()
		rep.Restarts += r.starts - 1
		r.mu.Unlock()
	}
	if o.Limits {
		b.logf("measuring the machine's own limits (pgbench %ds, redis-benchmark)", o.LimitSeconds)
		rep.Limits = b.limits(ctx)
	}
	return rep, nil
}

func (b *bench) logf(format string, args ...any) {
	if b.o.Quiet || b.log == nil {
		return
	}
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

func rateText(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f/s", r)
}

// withParams adds query parameters to a database URL (pgx takes unknown
// ones as run-time parameters: search_path, application_name).
func withParams(raw string, params map[string]string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("DATABASE_URL: invalid")
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openStores creates the run's schema (migrated) and Redis prefix. The
// bench's own pool has its own application_name, so that the "postgres"
// fault ends the replicas' connections and not the checker's.
func (b *bench) openStores(ctx context.Context) error {
	if err := postgrestest.CreateSchema(ctx, b.dbURL, b.id); err != nil {
		return fmt.Errorf("DATABASE_URL: create schema %s: %w", b.id, err)
	}
	own, err := withParams(b.dbURL, map[string]string{"search_path": b.id, "application_name": b.app + "-bench"})
	if err != nil {
		return err
	}
	if b.db, err = postgres.Open(ctx, own, nil); err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := b.db.Migrate(ctx); err != nil {
		return err
	}
	b.audit = postgrestest.NewAudit(b.db)
	if b.rdb, err = redis.Open(ctx, b.redisURL); err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	return nil
}

func (b *bench) closeStores() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if b.db != nil {
		b.db.Close()
	}
	if b.o.Keep {
		b.logf("kept schema %s and Redis keys %s*", b.id, b.prefix)
	} else {
		if err := postgrestest.DropSchema(ctx, b.dbURL, b.id); err != nil {
			b.logf("drop schema %s: %v", b.id, err)
		}
		if b.rdb != nil {
			if _, err := deletePrefix(ctx, b.rdb, b.prefix); err != nil {
				b.logf("delete Redis keys %s*: %v", b.prefix, err)
			}
		}
	}
	if b.rdb != nil {
		b.rdb.Close()
	}
}

// benchConfig is the replicas' config file: the default flow, the Bot
// API's and Slack's pacing lifted (the fake servers do not enforce it, and
// a real bot at these rates is bound by Telegram's 30 messages a second,
// not by itself), schedules that never fire on their own (the sales phase
// runs the survey sweep itself), and a two-person sales team.
func (b *bench) benchConfig() string {
	return fmt.Sprintf(`flows: embedded
timezone: UTC
redis_prefix: %q
log: {level: warn, format: text}
telegram:
  global_per_second: 1000000
  global_burst: 1000000
  chat_per_second: 1000
  chat_burst: 1000
  max_connections: 100
slack: {channel_per_second: 1000000, channel_burst: 1000000}
team:
  - {name: Anna, role: head, slack_id: UANNA, telegram_id: 9001}
  - {name: Boris, role: rep, slack_id: UBORIS, telegram_id: %d}
routing: {strategy: first_claim, sla_sweep: "0 0 1 1 *", warm_digest: "0 0 1 1 *"}
stats: {daily_digest: ""}
surveys: {nps_after: 7d, schedule: "0 0 1 1 *"}
followups: {schedule: "0 0 1 1 *", reengage_schedule: "0 0 1 1 *"}
quiet_hours: {from: %q, to: %q}
updates: {lease: %s}
queue: {workers: 10, job_timeout: 20s, rescue_after: 30s}
`, b.prefix, benchRep, benchQuietFrom, benchQuietTo, b.o.Lease)
}

func (b *bench) startReplicas(ctx context.Context, prog replicaProgram) error {
	b.config = filepath.Join(b.dir, "voronka.yaml")
	if err := os.WriteFile(b.config, []byte(b.benchConfig()), 0o600); err != nil {
		return err
	}
	params := map[string]string{"search_path": b.id, "application_name": b.app}
	if b.o.PoolSize > 0 {
		params["pool_max_conns"] = fmt.Sprint(b.o.PoolSize)
	}
	replicaDB, err := withParams(b.dbURL, params)
	if err != nil {
		return err
	}
	b.env = map[string]string{
		"VORONKA_CONFIG":          b.config,
		"DATABASE_URL":            replicaDB,
		"REDIS_URL":               b.redisURL,
		"TELEGRAM_TOKEN":          b.tg.Token(),
		"TELEGRAM_API_ENDPOINT":   b.tg.Endpoint(),
		"TELEGRAM_WEBHOOK_SECRET": benchSecret,
		"SLACK_BOT_TOKEN":         "xoxb-voronka-bench",
		"SLACK_SIGNING_SECRET":    benchSlackSecret,
		"SLACK_SALES_CHANNEL":     benchSlackChannel,
		"SLACK_API_URL":           b.sl.URL(),
	}
	base := os.Environ()
	base = slices.DeleteFunc(base, func(kv string) bool {
		for k := range b.env {
			if len(kv) > len(k) && kv[:len(k)+1] == k+"=" {
				return true
			}
		}
		return false
	})
	b.replicas, err = newReplicaSet(b.o.Replicas, b.id, b.dir, prog, func(r *replica) []string {
		env := append([]string(nil), base...)
		for k, v := range b.env {
			env = append(env, k+"="+v)
		}
		if b.o.CPUProfile != "" {
			env = append(env, fmt.Sprintf("VORONKA_CPUPROFILE=%s.replica-%d", b.o.CPUProfile, r.index))
		}
		return append(env,
			"HTTP_ADDR="+r.addr,
			"TELEGRAM_WEBHOOK_URL=http://"+r.addr+"/telegram/webhook",
			"VORONKA_REPLICA_ID="+r.id,
			replicaEnv+"=serve")
	})
	if err != nil {
		return err
	}
	addrs := make([]string, len(b.replicas.all))
	for i, r := range b.replicas.all {
		addrs[i] = r.addr
	}
	b.logf("starting %d replicas at %s", len(b.replicas.all), strings.Join(addrs, ", "))
	return b.replicas.startAll(ctx)
}

// waitJobs waits until the durable jobs (cards, notices, surveys) are
// done, for at most a minute.
func (b *bench) waitJobs(ctx context.Context, what string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := b.audit.PendingJobs(ctx)
		if err == nil && n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.logf("waiting for %s: gave up after a minute", what)
}

// salesPhase is what the sales phase did, for the checks.
type salesPhase struct {
	won   map[int64]string // chat -> time zone
	night map[int64]bool
	swept bool
}

// discardSender is the sales phase's App's channel: that App only makes
// decisions and queues jobs, which the replicas run.
type discardSender struct{}

func (discardSender) Send(context.Context, bot.Message) (int, error)           { return 0, nil }
func (discardSender) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }

// sales wins half of the hot leads eight days ago, puts half of those
// customers in a time zone where it is night now, and runs the NPS survey
// sweep (three times at once, as three replicas' schedulers could), with
// the faults still going. The replicas' workers send the surveys.
func (b *bench) sales(ctx context.Context, out *salesPhase) error {
	env := map[string]string{}
	for k, v := range b.env {
		env[k] = v
	}
	env["DATABASE_URL"] = b.dbURL // unused: the App is given the bench's pool
	cfg, err := app.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	app, err := app.NewApp(ctx, cfg, slog.New(slog.DiscardHandler), app.Deps{DB: b.db, Redis: redis.New(b.rdb, b.prefix), Sender: discardSender{}})
	if err != nil {
		return err
	}
	defer app.Close()
	leads, err := b.audit.Leads(ctx)
	if err != nil {
		return err
	}
	leadOf := map[int64]int64{}
	for _, l := range leads {
		if l.Temperature == string(crm.Hot) && l.Stage == string(crm.StageQualified) {
			leadOf[l.TelegramUserID] = l.LeadID
		}
	}
	now := time.Now()
	day, night := pickZones(now, b.quiet)
	rep, ok := app.Sales().ManagerByTelegram(benchRep)
	if !ok {
		return errors.New("the bench's rep is not on the team")
	}
	if day == "" || night == "" {
		return errors.New("no time zone found where it is day, or night, for the next two hours")
	}
	out.won, out.night = map[int64]string{}, map[int64]bool{}
	var eligible []*benchCustomer
	for _, c := range b.gen.customers {
		if _, ok := leadOf[c.chat]; ok && c.finished && c.hot {
			eligible = append(eligible, c)
		}
	}
	sold := now.Add(-8 * 24 * time.Hour)
	for i, c := range eligible {
		if i%2 == 1 {
			continue // half the hot leads are won
		}
		tz := day
		if (i/2)%2 == 1 {
			tz = night
			out.night[c.chat] = true
		}
		if err := b.audit.SetTimeZone(ctx, c.chat, tz); err != nil {
			return err
		}
		id := leadOf[c.chat]
		if _, err := app.Sales().Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: rep, At: sold.Add(-time.Hour)}); err != nil {
			return fmt.Errorf("claim lead %d: %w", id, err)
		}
		if _, err := app.Sales().Act(ctx, crm.Action{LeadID: id, Kind: crm.ActWon, By: rep, Amount: 150000, At: sold}); err != nil {
			return fmt.Errorf("win lead %d: %w", id, err)
		}
		out.won[c.chat] = tz
	}
	b.logf("sales: %d leads won (%d of them where it is night: %s; day: %s), sweeping surveys", len(out.won), len(out.night), night, day)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for k := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = app.Engagement().SweepSurveys(ctx, time.Now())
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	out.swept = true
	b.waitJobs(ctx, "surveys")
	return app.Engagement().SweepSurveys(ctx, time.Now()) // a late tick changes nothing
}

// pickZones finds a time zone where it is day now and for the next two
// hours, and one where it is night for as long.
func pickZones(now time.Time, q crm.QuietHours) (day, night string) {
	zones := []string{"Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/New_York", "America/Sao_Paulo",
		"Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Dubai", "Asia/Kolkata",
		"Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue
		}
		a, b := now.In(loc), now.Add(2*time.Hour).In(loc)
		switch {
		case day == "" && !q.Quiet(a) && !q.Quiet(b):
			day = z
		case night == "" && q.Quiet(a) && q.Quiet(b):
			night = z
		}
	}
	return day, night
}

// writeJSON writes the report as indented JSON.
func (r *benchReport) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// voronkaBinary is the server binary the replicas run: the flag's, else
// voronka beside this binary, else voronka on PATH.
func voronkaBinary(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "voronka")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("voronka")
	if err != nil {
		return "", errors.New("bench: no voronka binary beside this one nor on PATH; say where with --voronka")
	}
	return p, nil
}
