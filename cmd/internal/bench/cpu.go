package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// benchCPU is where the machine's CPU went during the load, per update
// acknowledged: the bench process itself (the load generator and the fake
// Bot API and Slack servers), the replicas, PostgreSQL and Redis (found
// by name in /proc, so only when they run on this machine), and the rest
// of the machine (whatever else runs on it). Busy is the machine's busy
// time as a share of all its CPUs; Steal is the share the hypervisor
// says it took (a shared virtual machine). The memory snapshot's own work
// (MEMORY USAGE of every key) is left out.
type benchCPU struct {
	Measured      bool    `json:"measured"`
	Note          string  `json:"note,omitempty"`
	BenchUs       float64 `json:"bench_us_per_update"` // generator and fakes
	ReplicasUs    float64 `json:"replicas_us_per_update"`
	PostgresUs    float64 `json:"postgres_us_per_update"`
	RedisUs       float64 `json:"redis_us_per_update"`
	OtherUs       float64 `json:"other_us_per_update"`
	TotalUs       float64 `json:"total_us_per_update"`
	BusyShare     float64 `json:"machine_busy_share"`
	StealShare    float64 `json:"steal_share"`
	MaxUpdatesSec float64 `json:"updates_per_second_at_this_cost"` // CPUs / total
}

// cpuSample is CPU time used so far, by whom.
type cpuSample struct {
	self, replicas, postgres, redis    time.Duration
	machineBusy, machineSteal, machine time.Duration // all CPUs
	procOK                             bool
}

// clockTick is Linux's USER_HZ, the unit of /proc's CPU times; it is 100
// on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

func (b *bench) cpuSample() cpuSample {
	var s cpuSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, r := range b.replicas.all {
		s.replicas += r.cpu()
	}
	s.postgres, s.redis, s.procOK = serverCPU()
	s.machineBusy, s.machineSteal, s.machine = machineCPU()
	return s
}

// cpu is the replica's CPU time: its processes that have exited (a kill,
// a restart) and the one running now.
func (r *replica) cpu() time.Duration {
	r.mu.Lock()
	spent, pid := r.spent, 0
	if r.up && r.cmd != nil && r.cmd.Process != nil {
		pid = r.cmd.Process.Pid
	}
	r.mu.Unlock()
	if pid != 0 {
		if st, ok := procStat(pid); ok {
			spent += st.own
		}
	}
	return spent
}

// procTimes is one process's line of /proc/<pid>/stat, what matters here.
type procTimes struct {
	comm     string
	ppid     int
	own      time.Duration // utime + stime
	children time.Duration // cutime + cstime: children it has reaped
}

func procStat(pid int) (procTimes, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procTimes{}, false
	}
	// pid (comm) state ppid ... ; comm may hold spaces and parentheses,
	// so the fields start after the last ')'.
	open, end := bytes.IndexByte(raw, '('), bytes.LastIndexByte(raw, ')')
	if open < 0 || end < open {
		return procTimes{}, false
	}
	f := bytes.Fields(raw[end+1:])
	// f[0] is state (field 3); utime is field 14, so f[11].
	if len(f) < 15 {
		return procTimes{}, false
	}
	n := func(i int) time.Duration {
		v, _ := strconv.ParseInt(string(f[i]), 10, 64)
		return time.Duration(v) * clockTick
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	return procTimes{comm: string(raw[open+1 : end]), ppid: ppid,
		own: n(11) + n(12), children: n(13) + n(14)}, true
}

// serverCPU adds up the CPU time of the PostgreSQL and Redis processes on
// this machine. A PostgreSQL backend that has ended is counted through
// its postmaster's reaped-children time, so connections that come and go
// are not lost.
func serverCPU() (pg, redis time.Duration, ok bool) {
	paths, _ := filepath.Glob("/proc/[0-9]*")
	procs := map[int]procTimes{}
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil {
			continue
		}
		if st, found := procStat(pid); found {
			procs[pid] = st
		}
	}
	for _, st := range procs {
		switch st.comm {
		case "postgres":
			ok = true
			pg += st.own
			if parent, found := procs[st.ppid]; !found || parent.comm != "postgres" {
				pg += st.children // the postmaster
			}
		case "redis-server":
			redis += st.own
		}
	}
	return pg, redis, ok
}

// machineCPU reads /proc/stat's first line: busy (user, nice, system,
// irq, softirq), steal, and all of it, over all CPUs.
func machineCPU() (busy, steal, all time.Duration) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := bytes.Cut(raw, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, 0, 0
	}
	v := make([]time.Duration, 8)
	for i := range v {
		n, _ := strconv.ParseInt(string(f[i+1]), 10, 64)
		v[i] = time.Duration(n) * clockTick
		all += v[i]
	}
	return v[0] + v[1] + v[2] + v[5] + v[6], v[7], all
}

// cpuSpan is the CPU used between two samples, less the excluded spans.
type cpuSpan struct {
	start, end cpuSample
	excluded   []cpuSample // pairs: start, end
}

func (d cpuSample) minus(o cpuSample) cpuSample {
	return cpuSample{self: d.self - o.self, replicas: d.replicas - o.replicas,
		postgres: d.postgres - o.postgres, redis: d.redis - o.redis,
		machineBusy: d.machineBusy - o.machineBusy, machineSteal: d.machineSteal - o.machineSteal,
		machine: d.machine - o.machine, procOK: d.procOK && o.procOK}
}

// report turns the span into CPU per update.
func (s cpuSpan) report(updates int64, cpus int) benchCPU {
	d := s.end.minus(s.start)
	for i := 0; i+1 < len(s.excluded); i += 2 {
		d = d.minus(s.excluded[i+1].minus(s.excluded[i]))
	}
	if updates <= 0 || d.machine <= 0 {
		return benchCPU{Note: "no updates or no /proc/stat: CPU not measured"}
	}
	per := func(t time.Duration) float64 { return float64(t.Microseconds()) / float64(updates) }
	c := benchCPU{Measured: true, BenchUs: per(d.self), ReplicasUs: per(d.replicas),
		PostgresUs: per(d.postgres), RedisUs: per(d.redis)}
	c.TotalUs = per(d.machineBusy)
	c.OtherUs = max(0, c.TotalUs-c.BenchUs-c.ReplicasUs-c.PostgresUs-c.RedisUs)
	c.BusyShare = float64(d.machineBusy) / float64(d.machine)
	c.StealShare = float64(d.machineSteal) / float64(d.machine)
	if c.TotalUs > 0 {
		c.MaxUpdatesSec = float64(cpus) * 1e6 / c.TotalUs
	}
	if !d.procOK {
		c.Note = "no PostgreSQL process on this machine: its CPU is not counted apart"
	}
	return c
}
