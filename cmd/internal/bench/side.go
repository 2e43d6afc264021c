package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// The side-by-side mode (`voronka bench --side-by-side --peer-dir DIR`)
// runs Voronka and the reference peer (a grammY bot doing the same job,
// shared/peers/grammy) one after the other, alternately, each against a
// fresh fake Bot API, driven by the same reactive generator (reactive.go)
// with the same customers and concurrency, and reports for each run and
// bot: updates/s, the reply latency, the CPU per update of the bot's
// processes, PostgreSQL, Redis and the generator, and pgbench's insert
// rate measured right after, on the same machine.
//
// The peer runs as `node bot.js` in --peer-dir (npm install done there),
// with its own schema (search_path through the connection's options) and
// its own Redis database (--peer-redis-db), and PEER_WEBHOOK_REPLY=1
// unless --peer-webhook-reply=false. Its keys (the chat ids) are deleted
// from that database at the end.

// sideOptions are the side-by-side mode's own flags.
type sideOptions struct {
	PeerDir          string `json:"peer_dir"`
	Node             string `json:"node"`
	Runs             int    `json:"runs"`
	PeerRedisDB      int    `json:"peer_redis_db"`
	PeerWebhookReply bool   `json:"peer_webhook_reply"`
	// Against, when set, is another voronka binary (main's, say) run in
	// the peer's place, reported as "against": a change measured before
	// and after in one run, under the same generator and load. The bench
	// migrates every part's schema with its own migrations: an older
	// build runs on that schema, newer tables and indexes included (so a
	// migration's own effect is not in such a comparison), and a build
	// with migrations the bench does not have refuses to serve.
	Against string `json:"against,omitempty"`
}

// sideRun is one bot's part of one run.
type sideRun struct {
	Run           int            `json:"run"`
	Bot           string         `json:"bot"`
	Load1         float64        `json:"load_average_1m"` // before the run
	Customers     int            `json:"customers"`
	Concurrency   int            `json:"concurrency"`
	Updates       int64          `json:"updates"`
	Seconds       float64        `json:"seconds"`
	UpdatesPerSec float64        `json:"updates_per_second"`
	DialoguesSec  float64        `json:"dialogues_per_second"`
	PerDialogue   float64        `json:"updates_per_dialogue"`
	ReplyP50Ms    float64        `json:"reply_p50_ms"`
	ReplyP99Ms    float64        `json:"reply_p99_ms"`
	Outcomes      map[string]int `json:"outcomes"`
	Finals        map[string]int `json:"finals"`
	Failures      int64          `json:"failed_deliveries"`
	CPU           sideCPU        `json:"cpu"`
	PGBenchTPS    float64        `json:"pgbench_tps"`
	// Calls are the Bot API calls per acknowledged update, by method,
	// those carried in a webhook's 200 included; InBody the share of
	// updates whose 200 carried one.
	Calls  map[string]float64 `json:"bot_api_calls_per_update"`
	InBody float64            `json:"webhook_body_calls_per_update"`
	// PG is the PostgreSQL work per acknowledged update, off PostgreSQL's
	// own counters: what the bot asked of it, whatever the machine's speed.
	PG   sideWork `json:"postgres_work"`
	Note string   `json:"note,omitempty"`
}

// sideWork is PostgreSQL's work per acknowledged update: commits (the
// database's, the bench's own few queries included) and WAL bytes over
// the part, and what the bot's schema's tables were written
// (postgrestest.TableWork).
type sideWork struct {
	Commits      float64 `json:"commits"`
	WALBytes     float64 `json:"wal_bytes"`
	Inserted     float64 `json:"rows_inserted"`
	Updated      float64 `json:"rows_updated"`
	HOT          float64 `json:"rows_updated_heap_only"`
	Deleted      float64 `json:"rows_deleted"`
	IndexEntries float64 `json:"index_entries_at_most"`
}

// sideCPU is CPU per acknowledged update, in µs, by process.
type sideCPU struct {
	Generator float64 `json:"generator_us"` // the bench process: generator and fake servers
	Bot       float64 `json:"bot_us"`       // Voronka's replicas, or the peer's node
	// Postgres is the CPU of the bot's own connections' server processes;
	// PostgresAll that of every PostgreSQL process on the machine (its
	// WAL writer and checkpointer too, but also other programs' queries).
	Postgres    float64 `json:"postgres_us"`
	PostgresAll float64 `json:"postgres_all_us"`
	Redis       float64 `json:"redis_us"`
	BotDBs      float64 `json:"bot_postgres_redis_us"`
	Machine     float64 `json:"machine_us"` // everything busy on the machine
	Busy        float64 `json:"machine_busy_share"`
}

// sideSample is the CPU used so far by the processes of a side run.
type sideSample struct {
	self, bot, pgAll, redis, busy, all time.Duration
	backends                           map[int]time.Duration
}

func takeSideSample(bot func() time.Duration, backends func() []int) sideSample {
	var s sideSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	s.bot = bot()
	s.pgAll, s.redis, _ = serverCPU()
	s.busy, _, s.all = machineCPU()
	s.backends = map[int]time.Duration{}
	for _, pid := range backends() {
		if st, ok := procStat(pid); ok && st.comm == "postgres" {
			s.backends[pid] = st.own
		}
	}
	return s
}

// backendCPU is the CPU the backends used between from and s: a backend
// born meanwhile counts whole, one that ended meanwhile is lost (the
// bots' pools keep theirs).
func (s sideSample) backendCPU(from sideSample) time.Duration {
	var d time.Duration
	for pid, t := range s.backends {
		d += t - from.backends[pid]
	}
	return d
}

func (s sideSample) per(from sideSample, updates int64) sideCPU {
	if updates <= 0 {
		return sideCPU{}
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(updates) }
	c := sideCPU{Generator: us(s.self - from.self), Bot: us(s.bot - from.bot),
		Postgres: us(s.backendCPU(from)), PostgresAll: us(s.pgAll - from.pgAll),
		Redis: us(s.redis - from.redis), Machine: us(s.busy - from.busy)}
	c.BotDBs = c.Bot + c.Postgres + c.Redis
	if all := s.all - from.all; all > 0 {
		c.Busy = float64(s.busy-from.busy) / float64(all)
	}
	return c
}

// loadAverage is the machine's 1-minute load average.
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// sideBySide is the mode's state across runs.
type sideBySide struct {
	o      benchOptions
	s      sideOptions
	getenv func(string) string
	prog   replicaProgram
	log    io.Writer
}

// runSideBySide runs s.Runs alternating pairs (Voronka first in odd runs,
// the peer first in even ones) and returns every bot's part of every run.
func runSideBySide(ctx context.Context, o benchOptions, s sideOptions, getenv func(string) string, prog replicaProgram, log io.Writer) ([]sideRun, error) {
	o.defaults()
	if s.Runs <= 0 {
		s.Runs = 1
	}
	other := "peer"
	if s.Against != "" {
		other = "against"
		if _, err := os.Stat(s.Against); err != nil {
			return nil, fmt.Errorf("bench: --against: %w", err)
		}
	} else {
		if _, err := os.Stat(filepath.Join(s.PeerDir, "bot.js")); err != nil {
			return nil, fmt.Errorf("bench: --peer-dir: no bot.js in %q", s.PeerDir)
		}
		if _, err := os.Stat(filepath.Join(s.PeerDir, "node_modules", "grammy")); err != nil {
			return nil, fmt.Errorf("bench: --peer-dir: no node_modules/grammy in %q (run npm install there)", s.PeerDir)
		}
	}
	sb := &sideBySide{o: o, s: s, getenv: getenv, prog: prog, log: log}
	var out []sideRun
	for run := 1; run <= s.Runs; run++ {
		order := []string{"voronka", other}
		if run%2 == 0 {
			order = []string{other, "voronka"}
		}
		for k, name := range order {
			base := int64(10_000_000 + (run*2+k)*1_000_000)
			var (
				r   sideRun
				err error
			)
			switch name {
			case "voronka":
				r, err = sb.voronka(ctx, base, sb.prog, name)
			case "against":
				r, err = sb.voronka(ctx, base, replicaProgram{Path: s.Against, Args: sb.prog.Args}, name)
			default:
				r, err = sb.peer(ctx, base)
			}
			if err != nil {
				return out, fmt.Errorf("run %d, %s: %w", run, name, err)
			}
			r.Run = run
			out = append(out, r)
			sb.logf("run %d %s: %.0f updates/s, reply p50 %.1f ms p99 %.1f ms, bot+PostgreSQL+Redis %.0f µs/update, pgbench %.0f/s (load average %.2f)",
				run, name, r.UpdatesPerSec, r.ReplyP50Ms, r.ReplyP99Ms, r.CPU.BotDBs, r.PGBenchTPS, r.Load1)
		}
	}
	return out, nil
}

func (sb *sideBySide) logf(format string, args ...any) {
	if sb.o.Quiet || sb.log == nil {
		return
	}
	fmt.Fprintf(sb.log, "bench: "+format+"\n", args...)
}

// newSideBench is a bench for one bot's part: its id, schema and files.
func (sb *sideBySide) newSideBench() (*bench, error) {
	var raw [2]byte
	_, _ = rand.Read(raw[:])
	b := &bench{
		o:        sb.o,
		id:       fmt.Sprintf("bench_%d_%s", time.Now().Unix(), hex.EncodeToString(raw[:])),
		dbURL:    envOr(sb.getenv, "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		redisURL: envOr(sb.getenv, "REDIS_URL", "redis://127.0.0.1:6379/0"),
		log:      sb.log,
	}
	b.app = "voronka-" + b.id
	b.prefix = "bench:" + b.id + ":"
	var err error
	b.dir, err = os.MkdirTemp("", "voronka-"+b.id+"-")
	return b, err
}

// measure drives the bot behind urls with the reactive generator, with
// the CPU of every process counted. It returns PostgreSQL's counters as
// they stood before the run, for finish.
func (sb *sideBySide) measure(ctx context.Context, b *bench, name, app string, urls []string, base int64, botCPU func() time.Duration, settle func()) (sideRun, postgrestest.WorkMark) {
	r := sideRun{Bot: name, Load1: loadAverage(), Customers: sb.o.Customers, Concurrency: sb.o.Concurrency}
	gen := newReactive(reactiveOptions{Customers: sb.o.Customers, Concurrency: sb.o.Concurrency, ChatBase: base},
		urls, benchSecret, b.tg)
	sb.logf("%s: %d customers, %d in flight", name, sb.o.Customers, sb.o.Concurrency)
	backends := func() []int {
		pids, err := postgrestest.BackendPIDs(ctx, b.dbURL, app)
		if err != nil {
			sb.logf("%s: its PostgreSQL backends: %v", name, err)
		}
		return pids
	}
	if err := postgrestest.Settle(ctx, b.dbURL); err != nil {
		sb.logf("%s: settling PostgreSQL before the run: %v", name, err)
	}
	mark, err := postgrestest.MarkWork(ctx, b.dbURL)
	if err != nil {
		sb.logf("%s: PostgreSQL's counters before the run: %v", name, err)
	}
	from := takeSideSample(botCPU, backends)
	res := gen.run(ctx)
	if settle != nil {
		settle()
	}
	to := takeSideSample(botCPU, backends)
	r.Updates, r.Failures = res.Acked, res.Failures
	r.Seconds = res.Elapsed.Seconds()
	if r.Seconds > 0 {
		r.UpdatesPerSec = float64(res.Acked) / r.Seconds
		r.DialoguesSec = float64(res.Outcomes["finished"]) / r.Seconds
	}
	if f := res.Outcomes["finished"]; f > 0 {
		r.PerDialogue = float64(res.Acked) / float64(f)
	}
	r.ReplyP50Ms, r.ReplyP99Ms = ms(percentile(res.Latencies, 0.50)), ms(percentile(res.Latencies, 0.99))
	r.Outcomes, r.Finals = res.Outcomes, res.Finals
	r.CPU = to.per(from, res.Acked)
	if res.Acked > 0 {
		r.Calls = map[string]float64{}
		for _, c := range b.tg.Calls() {
			r.Calls[c.Method] += 1 / float64(res.Acked)
		}
		r.InBody = float64(res.InBody) / float64(res.Acked)
	}
	return r, mark
}

// finish completes a part once its bot has stopped: PostgreSQL's work
// since mark (the bot's connections closed, so their statistics are in),
// then pgbench.
func (sb *sideBySide) finish(ctx context.Context, b *bench, app string, mark postgrestest.WorkMark, r *sideRun) {
	if err := postgrestest.NoBackends(ctx, b.dbURL, app, 10*time.Second); err != nil {
		sb.logf("%s: %v", r.Bot, err)
	}
	// The bench's own connections report theirs within a second of idling.
	time.Sleep(1100 * time.Millisecond)
	end, err1 := postgrestest.MarkWork(ctx, b.dbURL)
	tw, err2 := postgrestest.SchemaWork(ctx, b.dbURL, b.id)
	if err := errors.Join(err1, err2); err != nil {
		sb.logf("%s: PostgreSQL's counters after the run: %v", r.Bot, err)
	} else if r.Updates > 0 && mark.WALBytes > 0 {
		per := func(n int64) float64 { return float64(n) / float64(r.Updates) }
		r.PG = sideWork{Commits: per(end.Commits - mark.Commits), WALBytes: per(end.WALBytes - mark.WALBytes),
			Inserted: per(tw.Inserted), Updated: per(tw.Updated), HOT: per(tw.HOT), Deleted: per(tw.Deleted),
			IndexEntries: per(tw.IndexEntries)}
	}
	if sb.o.Limits {
		if tps, err := b.pgbench(ctx); err != nil {
			r.Note = "pgbench: " + err.Error()
		} else {
			r.PGBenchTPS = tps
		}
	}
}

// voronka is Voronka's part of a run: its replicas, as the load suite
// runs them, driven by the reactive generator.
func (sb *sideBySide) voronka(ctx context.Context, base int64, prog replicaProgram, name string) (sideRun, error) {
	b, err := sb.newSideBench()
	if err != nil {
		return sideRun{}, err
	}
	b.tg, b.sl = telegramtest.New(), slackfake.New()
	defer b.tg.Close()
	defer b.sl.Close()
	if err := b.openStores(ctx); err != nil {
		return sideRun{}, err
	}
	defer b.closeStores()
	defer func() {
		if b.replicas != nil {
			b.replicas.stopAll(25 * time.Second)
		}
	}()
	if name != "voronka" && b.o.CPUProfile != "" {
		// The other build's replicas profile beside this one's.
		b.o.CPUProfile += "." + name
	}
	if err := b.startReplicas(ctx, prog); err != nil {
		return sideRun{}, err
	}
	urls := make([]string, len(b.replicas.all))
	for i, r := range b.replicas.all {
		urls[i] = "http://" + r.addr + "/telegram/webhook"
	}
	botCPU := func() time.Duration {
		var t time.Duration
		for _, r := range b.replicas.all {
			t += r.cpu()
		}
		return t
	}
	// The sales alerts the hot leads queued are part of the job: the CPU
	// is counted until they are done.
	r, mark := sb.measure(ctx, b, name, b.app, urls, base, botCPU, func() { b.waitJobs(ctx, "cards") })
	b.replicas.stopAll(25 * time.Second)
	b.replicas = nil
	sb.finish(ctx, b, b.app, mark, &r)
	return r, nil
}

// peer is the grammY peer's part of a run: `node bot.js` with its own
// schema and Redis database, against a fresh fake Bot API.
func (sb *sideBySide) peer(ctx context.Context, base int64) (sideRun, error) {
	b, err := sb.newSideBench()
	if err != nil {
		return sideRun{}, err
	}
	b.tg = telegramtest.New()
	defer b.tg.Close()
	if err := postgrestest.CreateSchema(ctx, b.dbURL, b.id); err != nil {
		return sideRun{}, fmt.Errorf("DATABASE_URL: create schema %s: %w", b.id, err)
	}
	defer func() {
		if !sb.o.Keep {
			_ = postgrestest.DropSchema(context.WithoutCancel(ctx), b.dbURL, b.id)
		}
	}()
	app := "peer-" + b.id
	peerDB, err := withParams(b.dbURL, map[string]string{"options": "-c search_path=" + b.id, "application_name": app})
	if err != nil {
		return sideRun{}, err
	}
	ru, err := url.Parse(b.redisURL)
	if err != nil {
		return sideRun{}, errors.New("REDIS_URL: invalid")
	}
	ru.Path = "/" + strconv.Itoa(sb.s.PeerRedisDB)
	peerRedis := ru.String()
	addr, err := freeAddr()
	if err != nil {
		return sideRun{}, err
	}
	node := sb.s.Node
	if node == "" {
		node = "node"
	}
	logPath := filepath.Join(b.dir, "peer.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return sideRun{}, err
	}
	defer logf.Close()
	cmd := exec.Command(node, "bot.js")
	cmd.Dir = sb.s.PeerDir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+peerDB,
		"REDIS_URL="+peerRedis,
		"TELEGRAM_TOKEN="+b.tg.Token(),
		"TELEGRAM_API_ROOT="+strings.TrimSuffix(b.tg.Endpoint(), "/bot%s/%s"),
		"TELEGRAM_WEBHOOK_SECRET="+benchSecret,
		"HTTP_ADDR="+addr)
	if sb.s.PeerWebhookReply {
		cmd.Env = append(cmd.Env, "PEER_WEBHOOK_REPLY=1")
	}
	if err := cmd.Start(); err != nil {
		return sideRun{}, fmt.Errorf("start the peer: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	defer stop()
	if err := waitPeer(ctx, "http://"+addr+"/", exited); err != nil {
		return sideRun{}, fmt.Errorf("the peer did not get ready (log: %s): %w", logPath, err)
	}
	pid := cmd.Process.Pid
	botCPU := func() time.Duration {
		st, _ := procStat(pid)
		return st.own
	}
	r, mark := sb.measure(ctx, b, "peer", app, []string{"http://" + addr + "/"}, base, botCPU, nil)
	stop()
	sb.finish(ctx, b, app, mark, &r)
	if !sb.o.Keep {
		if err := deletePeerKeys(context.WithoutCancel(ctx), peerRedis, base, sb.o.Customers); err != nil {
			sb.logf("peer: delete its Redis keys: %v", err)
		}
	}
	return r, nil
}

// waitPeer waits until the peer answers its plain GET (it listens once
// its tables are there).
func waitPeer(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("it exited")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("no answer in 30s")
}

// deletePeerKeys deletes the peer's sessions (grammY keys them by chat id).
func deletePeerKeys(ctx context.Context, redisURL string, base int64, n int) error {
	opt, err := goredis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	for i := 0; i < n; i += 500 {
		keys := make([]string, 0, 500)
		for j := i; j < min(i+500, n); j++ {
			keys = append(keys, strconv.FormatInt(base+int64(j), 10))
		}
		if err := rdb.Del(ctx, keys...).Err(); err != nil {
			return err
		}
	}
	return nil
}

// printSide writes the runs as a table, and the medians per bot.
func printSide(w io.Writer, runs []sideRun, o benchOptions) {
	fmt.Fprintf(w, "side by side: %d customers, %d in flight, %d Voronka replicas; %d CPUs\n", o.Customers, o.Concurrency, o.Replicas, runtime.NumCPU())
	fmt.Fprintf(w, "CPU in µs per update: postgres = the bot's own connections' server processes (pg all = every PostgreSQL process on the machine);\n")
	fmt.Fprintf(w, "bot+db = the bot's processes, its PostgreSQL backends and Redis; load = 1-minute load average before the run\n\n")
	fmt.Fprintf(w, "%-4s %-8s %6s %9s %9s %8s %8s %9s %8s %8s %7s %7s %9s %9s %9s %6s  %s\n",
		"run", "bot", "load", "updates", "upd/s", "p50 ms", "p99 ms", "generator", "bot", "postgres", "pg all", "redis", "bot+db", "machine", "pgbench/s", "busy", "outcomes")
	for _, r := range runs {
		fmt.Fprintf(w, "%-4d %-8s %6.2f %9d %9.0f %8.1f %8.1f %9.0f %8.0f %8.0f %7.0f %7.0f %9.0f %9.0f %9.0f %5.0f%%  %s\n",
			r.Run, r.Bot, r.Load1, r.Updates, r.UpdatesPerSec, r.ReplyP50Ms, r.ReplyP99Ms,
			r.CPU.Generator, r.CPU.Bot, r.CPU.Postgres, r.CPU.PostgresAll, r.CPU.Redis, r.CPU.BotDBs, r.CPU.Machine, r.PGBenchTPS, 100*r.CPU.Busy, outcomesText(r))
	}
	fmt.Fprintf(w, "\nBot API calls per update (in a webhook's 200 / all, by method):\n")
	for _, r := range runs {
		fmt.Fprintf(w, "%-4d %-8s %.2f / %.2f  %s\n", r.Run, r.Bot, r.InBody, sum(r.Calls), callsText(r.Calls))
	}
	fmt.Fprintf(w, "\nPostgreSQL's work per update (its own counters; index entries at most, a partial index skips rows):\n")
	fmt.Fprintf(w, "%-4s %-8s %8s %8s %9s %8s %8s %8s %8s\n", "run", "bot", "commits", "WAL B", "inserted", "updated", "(HOT)", "deleted", "index")
	for _, r := range runs {
		p := r.PG
		fmt.Fprintf(w, "%-4d %-8s %8.2f %8.0f %9.2f %8.2f %8.2f %8.2f %8.2f\n", r.Run, r.Bot, p.Commits, p.WALBytes, p.Inserted, p.Updated, p.HOT, p.Deleted, p.IndexEntries)
	}
	med := func(bot string, f func(sideRun) float64) float64 {
		var v []float64
		for _, r := range runs {
			if r.Bot == bot {
				v = append(v, f(r))
			}
		}
		return median(v)
	}
	fmt.Fprintln(w)
	other := "peer"
	if slices.ContainsFunc(runs, func(r sideRun) bool { return r.Bot == "against" }) {
		other = "against"
	}
	for _, bot := range []string{"voronka", other} {
		fmt.Fprintf(w, "median %-8s %9.0f updates/s, reply p50 %.1f ms, p99 %.1f ms, bot+db %.0f µs/update, pgbench %.0f/s\n", bot,
			med(bot, func(r sideRun) float64 { return r.UpdatesPerSec }), med(bot, func(r sideRun) float64 { return r.ReplyP50Ms }),
			med(bot, func(r sideRun) float64 { return r.ReplyP99Ms }), med(bot, func(r sideRun) float64 { return r.CPU.BotDBs }),
			med(bot, func(r sideRun) float64 { return r.PGBenchTPS }))
	}
	if p := med(other, func(r sideRun) float64 { return r.UpdatesPerSec }); p > 0 {
		fmt.Fprintf(w, "Voronka / %s, updates/s (medians): %.2f\n", other, med("voronka", func(r sideRun) float64 { return r.UpdatesPerSec })/p)
	}
}

func sum(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

func callsText(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func outcomesText(r sideRun) string {
	var parts []string
	for _, k := range []string{"finished", "silent", "capped", "unacked"} {
		if n := r.Outcomes[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if r.PerDialogue > 0 {
		parts = append(parts, fmt.Sprintf("%.2f updates/dialogue", r.PerDialogue))
	}
	return strings.Join(parts, ", ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// writeSideJSON writes the runs as JSON.
func writeSideJSON(path string, runs []sideRun, o benchOptions, s sideOptions) error {
	data, err := json.MarshalIndent(struct {
		Options benchOptions `json:"options"`
		Side    sideOptions  `json:"side_by_side"`
		Runs    []sideRun    `json:"runs"`
	}{o, s, runs}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
