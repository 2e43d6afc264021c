package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// replicaProgram is how the bench starts a replica: a program and its
// arguments, run with the replica's environment. The binary re-executes
// itself as `voronka serve`; the tests, whose binary is not voronka,
// re-execute the test binary, which TestMain turns into `voronka serve`
// when replicaEnv is set.
type replicaProgram struct {
	Path string
	Args []string
}

// replicaEnv, when set in a test binary's environment, makes it run the
// command it names instead of the tests (see TestMain).
const replicaEnv = "VORONKA_BENCH_REPLICA"

// replica is one Voronka process behind the bench's front: its own
// listener address, its own replica id (so that a restart re-queues the
// jobs its killed predecessor left running), its own log file.
type replica struct {
	index int
	id    string
	addr  string
	log   string
	env   []string
	prog  replicaProgram

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	up      bool
	starts  int
	killed  int
	lastErr error
	spent   time.Duration // CPU time of its processes that have exited
}

// replicaSet is the bench's replicas.
type replicaSet struct {
	all []*replica
}

// freeAddr picks a free loopback port. The port is released before the
// replica binds it, which another process could take meanwhile; on a
// bench machine nothing does, and a replica that cannot bind fails its
// start loudly.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func newReplicaSet(n int, runID, dir string, prog replicaProgram, env func(r *replica) []string) (*replicaSet, error) {
	rs := &replicaSet{}
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		r := &replica{
			index: i,
			id:    fmt.Sprintf("%s-r%d", runID, i),
			addr:  addr,
			log:   filepath.Join(dir, fmt.Sprintf("replica-%d.log", i)),
			prog:  prog,
		}
		r.env = env(r)
		rs.all = append(rs.all, r)
	}
	return rs, nil
}

// start launches the process and waits until /readyz answers 200.
func (r *replica) start(ctx context.Context) error {
	logf, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.prog.Path, r.prog.Args...)
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C of the bench reaches the bench,
	// which stops the replicas in order, not all of them at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start replica %d: %w", r.index, err)
	}
	done := make(chan struct{})
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.starts++
	r.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		r.mu.Lock()
		r.up, r.lastErr = false, err
		if ps := cmd.ProcessState; ps != nil {
			r.spent += ps.UserTime() + ps.SystemTime()
		}
		r.mu.Unlock()
		close(done)
	}()
	if err := waitReady(ctx, "http://"+r.addr+"/readyz", done); err != nil {
		return fmt.Errorf("replica %d did not get ready (log: %s): %w", r.index, r.log, err)
	}
	r.mu.Lock()
	r.up = true
	r.mu.Unlock()
	return nil
}

func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out")
}

// kill sends SIGKILL: no drain, no deferred cleanup, connections cut
// mid-request, as a crashed machine or an OOM kill would.
func (r *replica) kill() error {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-done
	r.mu.Lock()
	r.killed++
	r.mu.Unlock()
	return nil
}

// stop asks for a graceful stop (SIGTERM) and kills after grace.
func (r *replica) stop(grace time.Duration) {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// pid is the running process's id, 0 when it is down.
func (r *replica) pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil || !r.up {
		return 0
	}
	return r.cmd.Process.Pid
}

// rssBytes is the process's resident memory (VmRSS in /proc), 0 when it
// cannot be read (a replica that is down, a system without /proc).
func rssBytes(pid int) int64 {
	if pid == 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				kb, _ := strconv.ParseInt(fields[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// rss is the replicas' resident memory, each and in all.
func (rs *replicaSet) rss() (each []int64, total int64) {
	for _, r := range rs.all {
		b := rssBytes(r.pid())
		each = append(each, b)
		total += b
	}
	return each, total
}

func (rs *replicaSet) startAll(ctx context.Context) error {
	errs := make([]error, len(rs.all))
	var wg sync.WaitGroup
	for i, r := range rs.all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.start(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (rs *replicaSet) stopAll(grace time.Duration) {
	var wg sync.WaitGroup
	for _, r := range rs.all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.stop(grace)
		}()
	}
	wg.Wait()
}
