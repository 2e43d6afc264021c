package bench

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/voronka/voronka/storage/postgres/postgrestest"

	goredis "github.com/redis/go-redis/v9"
)

// benchReport is what a run measured and found, printed as a table and
// written as JSON.
type benchReport struct {
	Run     string       `json:"run"`
	Started time.Time    `json:"started"`
	CPUs    int          `json:"cpus"`
	Options benchOptions `json:"options"`
	Files   string       `json:"files"` // the replicas' config and logs

	Customers     int     `json:"customers"`
	Finished      int     `json:"finished"`
	CutOff        int     `json:"cut_off,omitempty"` // stopped mid-dialogue by --duration
	Updates       int64   `json:"updates"`           // distinct updates acknowledged
	Deliveries    int64   `json:"deliveries"`        // POSTs, duplicates and retries included
	Failed        int64   `json:"failed_deliveries"` // non-200 answers and cut connections
	Seconds       float64 `json:"seconds"`
	UpdatesPerSec float64 `json:"updates_per_second"`
	ReplyP50Ms    float64 `json:"reply_p50_ms"`
	ReplyP99Ms    float64 `json:"reply_p99_ms"`
	ReplyMaxMs    float64 `json:"reply_max_ms"`
	// ByStep is the reply latency by what the update was, slowest p99
	// first: where the tail comes from.
	ByStep []stepLatency `json:"reply_by_step,omitempty"`
	// HandlerP50Ms and HandlerP99Ms are the replicas' own time per update
	// (their voronka_update_duration_seconds histograms, interpolated in
	// the buckets): the reply latency less the network, the HTTP layers
	// and the waits for a CPU in the load generator and the fake servers.
	HandlerP50Ms float64 `json:"handler_p50_ms"`
	HandlerP99Ms float64 `json:"handler_p99_ms"`
	Cards        int     `json:"cards"`
	CardP50Ms    float64 `json:"card_p50_ms"`
	CardP99Ms    float64 `json:"card_p99_ms"`

	Memory benchMemory `json:"memory"`
	CPU    benchCPU    `json:"cpu"`
	Limits benchLimits `json:"limits"`

	Restarts   int            `json:"restarts,omitempty"`
	Faults     map[string]int `json:"faults,omitempty"`
	FaultLog   []faultEvent   `json:"fault_log,omitempty"`
	Invariants []invariant    `json:"invariants"`
	Notes      []string       `json:"notes,omitempty"`
}

// stepLatency is the reply latency of one kind of update.
type stepLatency struct {
	Step    string  `json:"step"`
	Updates int     `json:"updates"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	Over20  int     `json:"over_20ms"`
}

// benchMemory is memory at the mid-dialogue snapshot, when every customer
// has started and none has finished (a timed run takes it halfway).
type benchMemory struct {
	LiveDialogues     int     `json:"live_dialogues"`
	ReplicasUp        int     `json:"replicas_up"` // at the snapshot (a fault may have one down)
	RSSIdleMB         float64 `json:"rss_idle_mb"` // all replicas, before the load
	RSSMidMB          float64 `json:"rss_mid_mb"`  // all replicas, at the snapshot
	RSSPer10kMB       float64 `json:"rss_per_10k_customers_mb"`
	RSSGrowthPer10kMB float64 `json:"rss_growth_per_10k_customers_mb"`
	// Customers is how many had begun by the snapshot (in a run with the
	// gate, every one, and every one is live then).
	Customers int `json:"customers"`
	// RedisBytesPerCustomer is what the run's keys take (MEMORY USAGE, by
	// kind of key) per customer begun: a session lives session_ttl (30d)
	// and an update's mark 48h, so Redis grows with the customers of the
	// last days, live or not. RedisUsedPerCustomer is INFO's used_memory
	// growth per customer, which also counts client buffers and anything
	// else the server was doing meanwhile.
	RedisBytesPerCustomer float64            `json:"redis_bytes_per_customer"`
	RedisUsedPerCustomer  float64            `json:"redis_used_memory_growth_per_customer"`
	RedisKeys             map[string]keyKind `json:"redis_keys"`
	RedisUsedBeforeMB     float64            `json:"redis_used_before_mb"`
	RedisUsedMidMB        float64            `json:"redis_used_mid_mb"`
}

// keyKind is one kind of Redis key of the run (sess, upd, lock, rate…).
type keyKind struct {
	Keys     int     `json:"keys"`
	AvgBytes float64 `json:"avg_bytes"`
}

// benchLimits is the machine's own rates, measured in the same run.
type benchLimits struct {
	PGBenchTPS    float64 `json:"pgbench_insert_tps"`
	PGBenchNote   string  `json:"pgbench_note,omitempty"`
	RedisSetPerS  float64 `json:"redis_set_per_second"`
	RedisGetPerS  float64 `json:"redis_get_per_second"`
	RedisNote     string  `json:"redis_benchmark_note,omitempty"`
	PGBenchClient string  `json:"pgbench_clients"`
}

func (r *benchReport) ok() bool {
	for _, inv := range r.Invariants {
		if !inv.OK {
			return false
		}
	}
	return true
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p)]
}

func (r *benchReport) load(res loadResult, o benchOptions) {
	r.Customers, r.Finished, r.CutOff = o.Customers, res.Finished, res.CutOff
	r.Updates, r.Deliveries, r.Failed = res.Acked, res.Posts, res.Failures
	r.Seconds = res.Elapsed.Seconds()
	if r.Seconds > 0 {
		r.UpdatesPerSec = float64(res.Acked) / r.Seconds
	}
	lat := slices.Clone(res.Latencies)
	slices.Sort(lat)
	r.ReplyP50Ms, r.ReplyP99Ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))
	if len(lat) > 0 {
		r.ReplyMaxMs = ms(lat[len(lat)-1])
	}
	r.ByStep = r.ByStep[:0]
	for step, lat := range res.ByStep {
		lat = slices.Clone(lat)
		slices.Sort(lat)
		over, _ := slices.BinarySearch(lat, 20*time.Millisecond+1)
		r.ByStep = append(r.ByStep, stepLatency{Step: step, Updates: len(lat),
			P50Ms: ms(percentile(lat, 0.50)), P99Ms: ms(percentile(lat, 0.99)), Over20: len(lat) - over})
	}
	slices.SortFunc(r.ByStep, func(a, b stepLatency) int {
		return cmp.Or(cmp.Compare(b.P99Ms, a.P99Ms), strings.Compare(a.Step, b.Step))
	})
}

// cards measures the time from each hot lead's last answer (its first
// delivery) to its card at the Slack API.
func (r *benchReport) cards(f *benchFacts) {
	leadOf := map[int64]int64{}
	for _, l := range f.leads {
		leadOf[l.TelegramUserID] = l.LeadID
	}
	first := map[int64]time.Time{}
	for _, c := range f.cards {
		id := cardLead(c)
		if t, ok := first[id]; !ok || c.At.Before(t) {
			first[id] = c.At
		}
	}
	var lat []time.Duration
	for _, c := range f.customers {
		if !c.hot || !c.finished {
			continue
		}
		if at, ok := first[leadOf[c.chat]]; ok {
			lat = append(lat, at.Sub(c.lastAnswer))
		}
	}
	slices.Sort(lat)
	r.Cards = len(lat)
	r.CardP50Ms, r.CardP99Ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))
}

// memory takes the mid-dialogue snapshot: the replicas' resident memory
// (VmRSS) and Redis's used_memory against their values before the load,
// and the size of sample session and update-mark keys.
func (b *bench) memory(ctx context.Context, idle []int64, redisBefore int64) benchMemory {
	each, total := b.replicas.rss()
	var idleTotal int64
	for _, v := range idle {
		idleTotal += v
	}
	m := benchMemory{LiveDialogues: b.gen.live(), Customers: int(b.gen.started.Load())}
	for _, v := range each {
		if v > 0 {
			m.ReplicasUp++
		}
	}
	m.RSSIdleMB, m.RSSMidMB = mb(idleTotal), mb(total)
	m.RedisKeys = keyKinds(ctx, b.rdb, b.prefix)
	if n := float64(m.LiveDialogues); n > 0 {
		m.RSSPer10kMB = mb(total) / n * 10_000
		m.RSSGrowthPer10kMB = mb(total-idleTotal) / n * 10_000
	}
	if n := float64(m.Customers); n > 0 {
		used := usedMemory(ctx, b.rdb)
		m.RedisUsedBeforeMB, m.RedisUsedMidMB = mb(redisBefore), mb(used)
		m.RedisUsedPerCustomer = float64(used-redisBefore) / n
		var keys float64
		for _, k := range m.RedisKeys {
			keys += float64(k.Keys) * k.AvgBytes
		}
		m.RedisBytesPerCustomer = keys / n
	}
	b.logf("mid-dialogue: %d live dialogues of %d customers, replicas %.0f MB (%.0f MB idle), Redis %.0f bytes per customer",
		m.LiveDialogues, m.Customers, m.RSSMidMB, m.RSSIdleMB, m.RedisBytesPerCustomer)
	return m
}

// keyKinds counts the run's keys by kind (the segment after the prefix:
// sess, upd, lock, rate…) and averages MEMORY USAGE over up to 200 keys of
// each kind.
func keyKinds(ctx context.Context, rdb *goredis.Client, prefix string) map[string]keyKind {
	type acc struct {
		n, sampled int
		sum        int64
	}
	kinds := map[string]*acc{}
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		kind, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), ":")
		a := kinds[kind]
		if a == nil {
			a = &acc{}
			kinds[kind] = a
		}
		a.n++
		if a.sampled < 200 {
			if v, err := rdb.MemoryUsage(ctx, key).Result(); err == nil {
				a.sum += v
				a.sampled++
			}
		}
	}
	out := map[string]keyKind{}
	for k, a := range kinds {
		kk := keyKind{Keys: a.n}
		if a.sampled > 0 {
			kk.AvgBytes = float64(a.sum) / float64(a.sampled)
		}
		out[k] = kk
	}
	return out
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func usedMemory(ctx context.Context, rdb *goredis.Client) int64 {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

var (
	pgbenchTPS  = regexp.MustCompile(`tps = ([0-9.]+)`)
	redisRate   = regexp.MustCompile(`(?m)^"?(SET|GET)"?[:,]\s*"?([0-9.]+)`)
	redisRateRS = regexp.MustCompile(`(SET|GET): ([0-9.]+) requests per second`)
)

// limits measures PostgreSQL's own insert rate as .ci/pgbench-insert does
// (one-row INSERT transactions, 8 clients) and Redis's SET and GET rates
// with redis-benchmark, on this machine, now.
func (b *bench) limits(ctx context.Context) benchLimits {
	var l benchLimits
	l.PGBenchClient = "8 clients, 2 threads"
	if _, err := exec.LookPath("pgbench"); err != nil {
		l.PGBenchNote = "pgbench is not on PATH: no PostgreSQL limit measured"
	} else if tps, err := b.pgbench(ctx); err != nil {
		l.PGBenchNote = "pgbench: " + err.Error()
	} else {
		l.PGBenchTPS = tps
	}
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		l.RedisNote = "redis-benchmark is not on PATH: no Redis limit measured"
	} else if set, get, err := b.redisBenchmark(ctx); err != nil {
		l.RedisNote = "redis-benchmark: " + err.Error()
	} else {
		l.RedisSetPerS, l.RedisGetPerS = set, get
	}
	return l
}

func (b *bench) pgbench(ctx context.Context) (float64, error) {
	ib := postgrestest.InsertBench{Schema: b.id}
	if err := ib.Create(ctx, b.dbURL); err != nil {
		return 0, err
	}
	defer ib.Drop(context.WithoutCancel(ctx), b.dbURL)
	script := filepath.Join(b.dir, "pgbench-insert.sql")
	if err := os.WriteFile(script, []byte(ib.Script()), 0o600); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "pgbench", "-n", "-c", "8", "-j", "2", "-T", strconv.Itoa(b.o.LimitSeconds), "-f", script, b.dbURL)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, lastLine(out))
	}
	m := pgbenchTPS.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in its output: %s", lastLine(out))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func (b *bench) redisBenchmark(ctx context.Context) (set, get float64, err error) {
	u, err := url.Parse(b.redisURL)
	if err != nil {
		return 0, 0, err
	}
	args := []string{"-h", u.Hostname(), "-p", cmpOr(u.Port(), "6379"), "-q", "-n", "100000", "-t", "set,get"}
	if db := strings.Trim(u.Path, "/"); db != "" {
		args = append(args, "--dbnum", db)
	}
	if p, ok := u.User.Password(); ok {
		args = append(args, "-a", p)
	}
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).CombinedOutput()
	// It SETs one key of its own; take it back out of a shared Redis.
	defer b.rdb.Del(context.WithoutCancel(ctx), "key:__rand_int__")
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s", err, lastLine(out))
	}
	// -q prints "SET: 123.45 requests per second, p50=…" after progress
	// lines separated by carriage returns.
	text := strings.ReplaceAll(string(out), "\r", "\n")
	for _, m := range redisRateRS.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		if m[1] == "SET" {
			set = v
		} else {
			get = v
		}
	}
	if set == 0 && get == 0 {
		for _, m := range redisRate.FindAllStringSubmatch(text, -1) {
			v, _ := strconv.ParseFloat(m[2], 64)
			if m[1] == "SET" {
				set = v
			} else {
				get = v
			}
		}
	}
	if set == 0 && get == 0 {
		return 0, 0, fmt.Errorf("no rates in its output: %s", lastLine(out))
	}
	return set, get, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// print writes the report as a table, then the invariants.
func (r *benchReport) print(w io.Writer) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	o := r.Options
	fmt.Fprintf(bw, "voronka bench %s: %d replicas, %d customers, %d in flight, rate %s, think %s, bad %.0f%%, hot %.0f%%, %d CPUs",
		r.Run, o.Replicas, o.Customers, o.Concurrency, rateText(o.Rate), o.Think, 100*o.Bad, 100*o.Hot, r.CPUs)
	if o.Faults {
		fmt.Fprintf(bw, ", faults every ~%s", o.FaultEvery)
	}
	fmt.Fprintln(bw)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("updates acknowledged", fmt.Sprintf("%d in %.1f s (%d customers finished, %d deliveries, %d failed)", r.Updates, r.Seconds, r.Finished, r.Deliveries, r.Failed))
	row("updates/s", fmt.Sprintf("%.0f", r.UpdatesPerSec))
	row("reply latency p50 / p99 / max", fmt.Sprintf("%.1f / %.1f / %.1f ms", r.ReplyP50Ms, r.ReplyP99Ms, r.ReplyMaxMs))
	if r.HandlerP99Ms > 0 {
		row("  of which in the replicas p50 / p99", fmt.Sprintf("%.1f / %.1f ms (their histograms)", r.HandlerP50Ms, r.HandlerP99Ms))
	}
	for _, st := range r.ByStep {
		row("  "+st.Step, fmt.Sprintf("%.1f / %.1f ms, %d of %d over 20 ms", st.P50Ms, st.P99Ms, st.Over20, st.Updates))
	}
	row("last answer → Slack card p50 / p99", fmt.Sprintf("%.1f / %.1f ms (%d cards)", r.CardP50Ms, r.CardP99Ms, r.Cards))
	if r.Limits.PGBenchNote != "" {
		row("PostgreSQL insert rate (pgbench)", r.Limits.PGBenchNote)
	} else if o.Limits {
		row("PostgreSQL insert rate (pgbench)", fmt.Sprintf("%.0f tps (%s, one-row INSERTs)", r.Limits.PGBenchTPS, r.Limits.PGBenchClient))
	}
	if r.Limits.RedisNote != "" {
		row("Redis rate (redis-benchmark)", r.Limits.RedisNote)
	} else if o.Limits {
		row("Redis rate (redis-benchmark)", fmt.Sprintf("SET %.0f/s, GET %.0f/s", r.Limits.RedisSetPerS, r.Limits.RedisGetPerS))
	}
	if c := r.CPU; c.Measured {
		row("CPU per update", fmt.Sprintf("%.0f µs: generator and fakes %.0f, replicas %.0f, PostgreSQL %.0f, Redis %.0f, rest of the machine %.0f",
			c.TotalUs, c.BenchUs, c.ReplicasUs, c.PostgresUs, c.RedisUs, c.OtherUs))
		row("  machine busy / steal", fmt.Sprintf("%.0f%% / %.0f%% of %d CPUs (at this cost the CPUs allow %.0f updates/s)",
			100*c.BusyShare, 100*c.StealShare, r.CPUs, c.MaxUpdatesSec))
	}
	if r.CPU.Note != "" {
		row("  CPU note", r.CPU.Note)
	}
	m := r.Memory
	down := ""
	if m.ReplicasUp < o.Replicas {
		down = fmt.Sprintf(", only %d of %d replicas up: a fault", m.ReplicasUp, o.Replicas)
	}
	row("replicas' RSS idle → mid-dialogue", fmt.Sprintf("%.1f → %.1f MB (%d live dialogues%s)", m.RSSIdleMB, m.RSSMidMB, m.LiveDialogues, down))
	row("RSS per 10k customers mid-dialogue", fmt.Sprintf("%.1f MB (growth %.1f MB)", m.RSSPer10kMB, m.RSSGrowthPer10kMB))
	var kinds []string
	for k, v := range m.RedisKeys {
		kinds = append(kinds, fmt.Sprintf("%s %d×%.0f B", k, v.Keys, v.AvgBytes))
	}
	slices.Sort(kinds)
	row("Redis bytes per customer", fmt.Sprintf("%.0f by its keys (%s); used_memory +%.0f", m.RedisBytesPerCustomer, strings.Join(kinds, ", "), m.RedisUsedPerCustomer))
	if o.Faults {
		var faultKinds []string
		for k, n := range r.Faults {
			faultKinds = append(faultKinds, fmt.Sprintf("%s %d", k, n))
		}
		slices.Sort(faultKinds)
		row("faults", strings.Join(faultKinds, ", "))
	}
	tw.Flush()
	fmt.Fprintln(bw, "invariants:")
	for _, inv := range r.Invariants {
		mark := "ok  "
		if !inv.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(bw, "  %s %s: %s\n", mark, inv.Name, inv.Detail)
		for _, e := range inv.Errors {
			fmt.Fprintf(bw, "       %s\n", e)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "note: %s\n", n)
	}
	fmt.Fprintf(bw, "files: %s\n", r.Files)
}

// handlerLatency reads the replicas' update duration histograms from
// /metrics, adds them up and interpolates p50 and p99 in the buckets. A
// replica restarted by a fault has lost its counts, so this is for load
// runs.
func handlerLatency(ctx context.Context, addrs []string) (p50, p99 time.Duration) {
	counts := map[float64]float64{} // upper bound -> cumulative count
	for _, addr := range addrs {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "voronka_update_duration_seconds_bucket{") {
				continue
			}
			i := strings.Index(line, `le="`)
			j := strings.LastIndexByte(line, ' ')
			if i < 0 || j < 0 {
				continue
			}
			le := line[i+4:]
			le = le[:strings.IndexByte(le, '"')]
			bound, err := strconv.ParseFloat(le, 64)
			if le == "+Inf" {
				bound, err = math.Inf(1), nil
			}
			n, err2 := strconv.ParseFloat(line[j+1:], 64)
			if err == nil && err2 == nil {
				counts[bound] += n
			}
		}
		resp.Body.Close()
	}
	bounds := make([]float64, 0, len(counts))
	for b := range counts {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 || counts[bounds[len(bounds)-1]] == 0 {
		return 0, 0
	}
	total := counts[bounds[len(bounds)-1]]
	at := func(p float64) time.Duration {
		want := p * total
		prevBound, prevCount := 0.0, 0.0
		for _, b := range bounds {
			c := counts[b]
			if c >= want {
				if math.IsInf(b, 1) {
					return time.Duration(prevBound * float64(time.Second))
				}
				frac := 0.0
				if c > prevCount {
					frac = (want - prevCount) / (c - prevCount)
				}
				return time.Duration((prevBound + frac*(b-prevBound)) * float64(time.Second))
			}
			prevBound, prevCount = b, c
		}
		return 0
	}
	return at(0.50), at(0.99)
}
