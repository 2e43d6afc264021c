// Package defaults finds or starts what Voronka runs on when DATABASE_URL
// or REDIS_URL is not set.
package defaults

// Embedded defaults: what Voronka runs on when DATABASE_URL or REDIS_URL is
// not set, so `voronka chat` (and `serve`) work on a machine with nothing
// configured.
//
//   - PostgreSQL: the server on 127.0.0.1:5432 when one answers (as user
//     postgres, trust or PGPASSWORD/.pgpass), otherwise an embedded
//     PostgreSQL (initdb and pg_ctl, cluster.go) started on a free port on
//     127.0.0.1, from the machine's own PostgreSQL binaries (the newest of
//     /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew's, or pg_ctl on
//     PATH); nothing is downloaded, and without them Voronka says to install
//     PostgreSQL or set DATABASE_URL. Its cluster lives in <data dir>/postgres, its server log
//     in <data dir>/postgres.log and its generated password in
//     <data dir>/postgres.password. It is stopped when Voronka exits; a
//     second Voronka on the same data dir uses the running one.
//   - Redis: the server on 127.0.0.1:6379 when one answers, otherwise an
//     in-process Redis (github.com/alicebob/miniredis/v2): dialogue state
//     then lives as long as the process, which costs nothing but a replay
//     from PostgreSQL.
//   - Migrations run at start whenever a default database is used.
//
// The data dir is --data-dir, else VORONKA_DATA_DIR, else
// $XDG_DATA_HOME/voronka, else .data under the working directory.
// VORONKA_LOCAL_POSTGRES and VORONKA_LOCAL_REDIS replace the probed
// addresses (host:port; "off" skips the probe), so a test can force the
// embedded path on a machine where 5432 and 6379 are taken.
//
// PostgreSQL refuses to run as root. When Voronka runs as root (as in many
// containers and CI machines), initdb and pg_ctl are called through
// wrapper scripts that exec them as the "postgres" user (or "nobody")
// with runuser (or setpriv), and the cluster directory is owned by that
// user. Every directory above the data dir must then be searchable by it
// (so not under /root): Voronka checks and says so.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/redis"
)

// Options say where the local defaults are looked for and kept.
type Options struct {
	// DataDir holds the embedded PostgreSQL's cluster, log and password.
	DataDir string
	// PostgresAddr and RedisAddr are probed before anything is started;
	// "" skips the probe.
	PostgresAddr string
	RedisAddr    string
}

// OptionsFrom reads the data dir (dataDir, the --data-dir flag, wins)
// and the probe addresses from the environment.
func OptionsFrom(getenv func(string) string, dataDir string) Options {
	o := Options{
		DataDir:      dataDir,
		PostgresAddr: envOr(getenv("VORONKA_LOCAL_POSTGRES"), "127.0.0.1:5432"),
		RedisAddr:    envOr(getenv("VORONKA_LOCAL_REDIS"), "127.0.0.1:6379"),
	}
	if o.DataDir == "" {
		o.DataDir = defaultDataDir(getenv)
	}
	if o.PostgresAddr == "off" {
		o.PostgresAddr = ""
	}
	if o.RedisAddr == "off" {
		o.RedisAddr = ""
	}
	return o
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("VORONKA_DATA_DIR"); d != "" {
		return d
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "voronka")
	}
	return ".data"
}

// DataDirUsage documents the flag the same way in every subcommand.
const DataDirUsage = "where the embedded PostgreSQL keeps its data when DATABASE_URL is not set " +
	"(default: VORONKA_DATA_DIR, else $XDG_DATA_HOME/voronka, else .data)"

// Local is what Use found or started.
type Local struct {
	// Migrate is set when a default database is used: it is ours to keep
	// migrated.
	Migrate bool
	// Postgres and Redis describe what is used, for logs and tests:
	// "env", "local", "embedded" (PostgreSQL) or "miniredis" (Redis).
	Postgres, Redis string
	// DatabaseURL and RedisURL are set to what is used when the
	// environment left them unset.
	DatabaseURL, RedisURL string
	closers               []func()
}

// Close stops what was started, newest first.
func (l *Local) Close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
}

// Use finds or starts a PostgreSQL and a Redis for what the environment
// left unset (DATABASE_URL, REDIS_URL) and says where in DatabaseURL and
// RedisURL. The caller must Close the result; on an error, what was
// started is stopped already.
func Use(ctx context.Context, getenv func(string) string, o Options, logger *slog.Logger) (*Local, error) {
	l := &Local{Postgres: "env", Redis: "env"}
	if getenv("DATABASE_URL") == "" {
		l.Migrate = true
		if err := l.usePostgres(ctx, o, logger); err != nil {
			l.Close()
			return nil, err
		}
	}
	if getenv("REDIS_URL") == "" {
		if err := l.useRedis(ctx, o, logger); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

func (l *Local) usePostgres(ctx context.Context, o Options, logger *slog.Logger) error {
	why := "no address to probe (VORONKA_LOCAL_POSTGRES=off)"
	if o.PostgresAddr != "" {
		url := "postgres://postgres@" + o.PostgresAddr + "/postgres?sslmode=disable"
		err := probePostgres(ctx, url)
		if err == nil {
			l.DatabaseURL, l.Postgres = url, "local"
			logger.Info("DATABASE_URL is not set: using the local PostgreSQL", "addr", o.PostgresAddr)
			return nil
		}
		why = err.Error()
	}
	logger.Info("DATABASE_URL is not set and no local PostgreSQL answers: starting an embedded PostgreSQL",
		"probed", o.PostgresAddr, "reason", why, "data_dir", filepath.Join(absPath(o.DataDir), "postgres"))
	url, stop, err := StartPostgres(ctx, o.DataDir, logger)
	if err != nil {
		return err
	}
	l.closers = append(l.closers, stop)
	l.DatabaseURL, l.Postgres = url, "embedded"
	return nil
}

func (l *Local) useRedis(ctx context.Context, o Options, logger *slog.Logger) error {
	why := "no address to probe (VORONKA_LOCAL_REDIS=off)"
	if o.RedisAddr != "" {
		url := "redis://" + o.RedisAddr + "/0"
		err := probeRedis(ctx, url)
		if err == nil {
			l.RedisURL, l.Redis = url, "local"
			logger.Info("REDIS_URL is not set: using the local Redis", "addr", o.RedisAddr)
			return nil
		}
		why = err.Error()
	}
	mr := miniredis.NewMiniRedis()
	// Expire keys by the wall clock, as Redis does (locks, de-duplication).
	mr.ClockTTL(true)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start in-process redis: %w", err)
	}
	l.closers = append(l.closers, mr.Close)
	l.RedisURL, l.Redis = "redis://"+mr.Addr()+"/0", "miniredis"
	logger.Info("REDIS_URL is not set and no local Redis answers: using an in-process Redis (miniredis); "+
		"dialogue state lasts as long as this process and is rebuilt from PostgreSQL after it",
		"probed", o.RedisAddr, "reason", why, "addr", mr.Addr())
	return nil
}

// probeTimeout bounds each probe, so a machine with nothing local starts
// the embedded servers at once.
const probeTimeout = 3 * time.Second

func probePostgres(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	addr, err := postgres.Addr(url)
	if err != nil {
		return errors.New("invalid probe address")
	}
	if err := dialable(ctx, addr); err != nil {
		return err
	}
	if err := postgres.Ping(ctx, url); err != nil {
		return fmt.Errorf("a server answers but refuses the connection: %w", err)
	}
	return nil
}

func probeRedis(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "redis://"), "/0")
	if err := dialable(ctx, addr); err != nil {
		return err
	}
	rdb, err := redis.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("a server answers but not as Redis: %w", err)
	}
	return rdb.Close()
}

// dialable tells "nothing listens" apart quickly from a slow server.
func dialable(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("nothing answers on %s", addr)
	}
	return conn.Close()
}

// The embedded cluster's superuser and database.
const embeddedUser, embeddedDB = "voronka", "voronka"

// StartPostgres runs a PostgreSQL cluster kept in dataDir and
// returns its URL and the function that stops it.
func StartPostgres(ctx context.Context, dataDir string, logger *slog.Logger) (url string, stop func(), err error) {
	dataDir = absPath(dataDir)
	pgData := filepath.Join(dataDir, "postgres")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", nil, fmt.Errorf("embedded postgres: data dir: %w", err)
	}
	password, err := clusterPassword(dataDir, pgData)
	if err != nil {
		return "", nil, err
	}

	// Another Voronka on the same data dir (serve and chat side by side)
	// already runs it: use that one and leave stopping it to its owner.
	if port, ok := runningPort(pgData); ok {
		url := embeddedURL(password, port)
		if probePostgres(ctx, url) == nil {
			logger.Info("using the embedded PostgreSQL another voronka runs on this data dir",
				"data_dir", pgData, "port", port)
			return url, func() {}, nil
		}
	}

	bin := findPostgres()
	if bin.dir == "" {
		return "", nil, errors.New("embedded postgres: no PostgreSQL binaries are installed " +
			"(looked in /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew and PATH): " +
			"install them (apt-get install postgresql, brew install postgresql) or set DATABASE_URL")
	}
	major := bin.major
	if have := clusterMajor(pgData); have != "" && have != major {
		// A cluster of another version is not ours to re-initialise: a
		// customer database is not ours to lose.
		return "", nil, fmt.Errorf("embedded postgres: %s holds a PostgreSQL %s cluster but PostgreSQL %s is installed: "+
			"upgrade it with pg_upgrade, move it away, or point --data-dir elsewhere", pgData, have, major)
	}

	tmp, err := os.MkdirTemp("", "voronka-postgres-")
	if err != nil {
		return "", nil, fmt.Errorf("embedded postgres: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	runtimeDir := filepath.Join(tmp, "run")
	// pg_ctl and initdb are run as <binaries>/bin/...; they find the
	// server binary next to their real selves.
	var binaries, asUser string
	if os.Geteuid() == 0 {
		asUser, binaries, err = dropRoot(tmp, bin.dir, dataDir, pgData, runtimeDir)
	} else {
		binaries, err = binariesPath(tmp, bin.dir)
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}

	port, err := freePort()
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("embedded postgres: %w", err)
	}
	logPath := filepath.Join(dataDir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("embedded postgres: server log: %w", err)
	}
	attrs := []any{"data_dir", pgData, "port", port, "version", major, "binaries", bin.dir, "log", logPath}
	if asUser != "" {
		attrs = append(attrs, "run_as", asUser)
	}
	logger.Info("starting the embedded PostgreSQL", attrs...)
	c := &cluster{bin: binaries, data: pgData, runtime: runtimeDir, port: port, log: logFile}
	url = embeddedURL(password, port)
	if err := c.start(ctx, password, url); err != nil {
		logFile.Close()
		cleanup()
		return "", nil, fmt.Errorf("embedded postgres (server log: %s): %w", logPath, err)
	}
	logger.Info("embedded PostgreSQL started", "data_dir", pgData, "addr", "127.0.0.1:"+strconv.Itoa(port))
	return url, func() {
		if err := c.stop(); err != nil {
			logger.Warn("stop the embedded PostgreSQL", "err", err)
		} else {
			logger.Info("embedded PostgreSQL stopped", "data_dir", pgData)
		}
		logFile.Close()
		cleanup()
	}, nil
}

func embeddedURL(password string, port int) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", embeddedUser, password, port, embeddedDB)
}

// clusterPassword returns the embedded superuser's password, made up when
// the cluster is. The cluster listens on 127.0.0.1 only, but other users
// of the machine could reach it there, so it is not a fixed word.
func clusterPassword(dataDir, pgData string) (string, error) {
	path := filepath.Join(dataDir, "postgres.password")
	raw, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(raw)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("embedded postgres: %w", err)
	}
	if clusterMajor(pgData) != "" {
		return "", fmt.Errorf("embedded postgres: %s is missing, so the cluster in %s cannot be reached; "+
			"restore the file or remove the cluster to start afresh", path, pgData)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("embedded postgres: %w", err)
	}
	password := hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("embedded postgres: %w", err)
	}
	return password, nil
}

// clusterMajor is the major version of the cluster in pgData, "" if none.
func clusterMajor(pgData string) string {
	raw, err := os.ReadFile(filepath.Join(pgData, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

// runningPort reads the port of a server running on pgData from its
// postmaster.pid (the fourth line).
func runningPort(pgData string) (int, bool) {
	f, err := os.Open(filepath.Join(pgData, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		if i == 4 {
			port, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
			return port, err == nil && port > 0
		}
	}
	return 0, false
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// postgresBinaries is an installed PostgreSQL: the directory holding
// initdb, pg_ctl and postgres, and its major version.
type postgresBinaries struct {
	dir   string
	major string
}

// findPostgres picks the newest PostgreSQL installed where distributions
// put it. None found is not an error: embedded-postgres then downloads
// one (the zero postgresBinaries).
func findPostgres() postgresBinaries {
	var dirs []string
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu
		"/usr/pgsql-*/bin",                   // PGDG RPMs
		"/opt/homebrew/opt/postgresql@*/bin", // Homebrew, Apple silicon
		"/usr/local/opt/postgresql@*/bin",    // Homebrew, Intel
		"/Applications/Postgres.app/Contents/Versions/*/bin",
	} {
		m, _ := filepath.Glob(pattern)
		dirs = append(dirs, m...)
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	var best postgresBinaries
	bestMajor := -1
	for _, dir := range dirs {
		if !hasPostgresTools(dir) {
			continue
		}
		major, err := postgresMajor(filepath.Join(dir, "postgres"))
		if err != nil {
			continue
		}
		if n, _ := strconv.Atoi(major); n > bestMajor {
			best, bestMajor = postgresBinaries{dir: dir, major: major}, n
		}
	}
	return best
}

// binariesPath is dir's parent when dir is a "bin" directory, and
// otherwise tmp, given a bin directory of links to dir's tools.
func binariesPath(tmp, dir string) (string, error) {
	if filepath.Base(dir) == "bin" {
		return filepath.Dir(dir), nil
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", fmt.Errorf("embedded postgres: %w", err)
	}
	for _, name := range []string{"initdb", "pg_ctl"} {
		if err := os.Symlink(filepath.Join(dir, name), filepath.Join(bin, name)); err != nil {
			return "", fmt.Errorf("embedded postgres: %w", err)
		}
	}
	return tmp, nil
}

func hasPostgresTools(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// postgresMajor reads "postgres (PostgreSQL) 15.14 (Debian ...)".
func postgresMajor(postgres string) (string, error) {
	out, err := exec.Command(postgres, "--version").Output()
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(out))
	i := slices.Index(fields, "(PostgreSQL)")
	if i < 0 || i+1 >= len(fields) {
		return "", fmt.Errorf("unexpected version %q", out)
	}
	major, _, _ := strings.Cut(fields[i+1], ".")
	if _, err := strconv.Atoi(major); err != nil {
		return "", fmt.Errorf("unexpected version %q", out)
	}
	return major, nil
}

// dropRoot writes wrapper scripts for initdb and pg_ctl into tmp/bin that
// run the real ones as an unprivileged user, and returns that user and the
// binaries path for embedded-postgres. The initdb wrapper, still root,
// creates the cluster directory for that user first, and hands it the
// password file embedded-postgres writes just before.
func dropRoot(tmp, binDir, dataDir, pgData, runtimeDir string) (string, string, error) {
	name := ""
	for _, candidate := range []string{"postgres", "nobody"} {
		if _, err := user.Lookup(candidate); err == nil {
			name = candidate
			break
		}
	}
	if name == "" {
		return "", "", errors.New("embedded postgres: PostgreSQL refuses to run as root and there is no postgres or nobody user " +
			"to run it as: run voronka as another user, or set DATABASE_URL")
	}
	var as []string
	if p, err := exec.LookPath("runuser"); err == nil {
		as = []string{p, "-u", name, "--"}
	} else if p, err := exec.LookPath("setpriv"); err == nil {
		as = []string{p, "--reuid=" + name, "--regid=" + name, "--init-groups"}
	} else {
		return "", "", errors.New("embedded postgres: PostgreSQL refuses to run as root and neither runuser nor setpriv " +
			"(util-linux) is installed: run voronka as another user, or set DATABASE_URL")
	}

	// The user must reach the cluster through every directory above it.
	check := exec.Command(as[0], append(as[1:], "test", "-x", dataDir)...)
	if out, err := check.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("embedded postgres: PostgreSQL runs as user %s (it refuses to run as root), who cannot reach %s "+
			"(a directory above it is not searchable, e.g. /root): use --data-dir or VORONKA_DATA_DIR to put the data elsewhere: %v %s",
			name, dataDir, err, strings.TrimSpace(string(out)))
	}

	// The wrappers live in tmp, which the user must traverse to read the
	// password file in tmp/run.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", "", fmt.Errorf("embedded postgres: %w", err)
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", "", fmt.Errorf("embedded postgres: %w", err)
	}
	run := shellQuoteAll(as)
	header := "#!/bin/sh\n# Written by voronka: PostgreSQL refuses to run as root, so this runs it as " + name + ".\ncd / || exit 1\n"
	scripts := map[string]string{
		"pg_ctl": header + "exec " + run + " " + shellQuote(filepath.Join(binDir, "pg_ctl")) + ` "$@"` + "\n",
		"initdb": header +
			"mkdir -p " + shellQuote(pgData) + " || exit 1\n" +
			"chown " + shellQuote(name) + " " + shellQuote(pgData) + " || exit 1\n" +
			"chmod 700 " + shellQuote(pgData) + " || exit 1\n" +
			"chown " + shellQuote(name) + " " + shellQuote(filepath.Join(runtimeDir, "pwfile")) + " 2>/dev/null\n" +
			"exec " + run + " " + shellQuote(filepath.Join(binDir, "initdb")) + ` "$@"` + "\n",
	}
	for file, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, file), []byte(body), 0o755); err != nil {
			return "", "", fmt.Errorf("embedded postgres: %w", err)
		}
	}
	return name, tmp, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellQuoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func envOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// InstalledPostgres is the directory of the machine's newest PostgreSQL
// binaries, "" when none is installed.
func InstalledPostgres() string { return findPostgres().dir }
