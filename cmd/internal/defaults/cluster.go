package defaults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/voronka/voronka/storage/postgres"
)

// cluster runs a PostgreSQL cluster with the installed initdb and pg_ctl.
// It is written here rather than taken from a library: the one we used
// (fergusstrange/embedded-postgres) ships a non-test file that imports
// the testing package, which the server binary must not link, and all we
// used of it was these few commands.
type cluster struct {
	bin     string // holds bin/initdb and bin/pg_ctl
	data    string // PGDATA
	runtime string // scratch: the password file initdb reads
	port    int
	log     *os.File // the server's and the tools' output
}

// startTimeout bounds initdb, the server's start and its first answer.
const startTimeout = time.Minute

// start initialises the cluster when it holds none, starts the server and
// waits until url answers, creating the database on a new cluster.
func (c *cluster) start(ctx context.Context, password, url string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	fresh := clusterMajor(c.data) == ""
	if fresh {
		if err := c.initdb(ctx, password); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf(`-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=""`, c.port)
	if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)), "-D", c.data, "-o", opts); err != nil {
		return err
	}
	if fresh {
		admin := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", embeddedUser, password, c.port)
		if err := postgres.CreateDatabase(ctx, admin, embeddedDB); err != nil {
			_ = c.stop()
			return fmt.Errorf("create database %s: %w", embeddedDB, err)
		}
	}
	for {
		err := postgres.Ping(ctx, url)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			_ = c.stop()
			return fmt.Errorf("the server does not answer: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// initdb makes a new cluster in c.data (whatever half-made one is there
// goes: a directory without PG_VERSION holds no database).
func (c *cluster) initdb(ctx context.Context, password string) error {
	if err := os.RemoveAll(c.data); err != nil {
		return fmt.Errorf("clean the data directory: %w", err)
	}
	if err := os.MkdirAll(c.runtime, 0o755); err != nil {
		return err
	}
	pwfile := filepath.Join(c.runtime, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password), 0o600); err != nil {
		return fmt.Errorf("write the password file: %w", err)
	}
	defer os.Remove(pwfile)
	args := []string{"-A", "password", "-U", embeddedUser, "-D", c.data, "--pwfile=" + pwfile, "--encoding=UTF8"}
	if runtime.GOOS == "linux" {
		args = append(args, "--locale=C.UTF-8")
	}
	return c.run(ctx, "initdb", args...)
}

// stop stops the server, fast: clients are disconnected, nothing is lost.
func (c *cluster) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return c.run(ctx, "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.data)
}

func (c *cluster) run(ctx context.Context, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "bin", tool), args...)
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer within %s", tool, startTimeout)
		}
		return fmt.Errorf("%s: %w", tool, err)
	}
	return nil
}
