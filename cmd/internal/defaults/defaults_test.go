package defaults

import (
	"github.com/voronka/voronka/cmd/internal/defaults/defaultstest"

	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/postgres/postgrestest"
	"github.com/voronka/voronka/storage/redis"
	"github.com/voronka/voronka/storage/redis/redistest"
)

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// TestLocalRedisDefaults: REDIS_URL unset uses a Redis that answers at the
// probed address, and miniredis when nothing does, until Close.
func TestLocalRedisDefaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	u, err := url.Parse(redistest.URL())
	require.NoError(t, err)
	env := map[string]string{"DATABASE_URL": "postgres://unused@127.0.0.1:1/x", "VORONKA_LOCAL_REDIS": u.Host}
	l, err := Use(ctx, getenvOf(env), OptionsFrom(getenvOf(env), ""), postgrestest.Logger(t))
	require.NoError(t, err)
	l.Close()
	require.Equal(t, "local", l.Redis)
	require.Equal(t, "env", l.Postgres)
	require.False(t, l.Migrate, "an explicit DATABASE_URL is not migrated unasked")
	require.Equal(t, "redis://"+u.Host+"/0", l.RedisURL)

	for _, probe := range []string{defaultstest.DeadAddr(t), "off"} {
		env["VORONKA_LOCAL_REDIS"] = probe
		l, err := Use(ctx, getenvOf(env), OptionsFrom(getenvOf(env), ""), postgrestest.Logger(t))
		require.NoError(t, err)
		require.Equal(t, "miniredis", l.Redis)
		rdb, err := redis.Open(ctx, l.RedisURL)
		require.NoError(t, err, "the in-process Redis answers")
		l.Close()
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		require.Error(t, rdb.Ping(pctx).Err(), "and is gone after Close")
		cancel()
		rdb.Close()
	}
}

func TestLocalOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		flag string
		want Options
	}{
		{"defaults", nil, "", Options{DataDir: ".data", PostgresAddr: "127.0.0.1:5432", RedisAddr: "127.0.0.1:6379"}},
		{"XDG", map[string]string{"XDG_DATA_HOME": "/home/a/.local/share"}, "",
			Options{DataDir: "/home/a/.local/share/voronka", PostgresAddr: "127.0.0.1:5432", RedisAddr: "127.0.0.1:6379"}},
		{"env over XDG", map[string]string{"XDG_DATA_HOME": "/x", "VORONKA_DATA_DIR": "/srv/voronka"}, "",
			Options{DataDir: "/srv/voronka", PostgresAddr: "127.0.0.1:5432", RedisAddr: "127.0.0.1:6379"}},
		{"flag over env", map[string]string{"VORONKA_DATA_DIR": "/srv/voronka"}, "/tmp/d",
			Options{DataDir: "/tmp/d", PostgresAddr: "127.0.0.1:5432", RedisAddr: "127.0.0.1:6379"}},
		{"probes moved and off", map[string]string{"VORONKA_LOCAL_POSTGRES": "127.0.0.1:15432", "VORONKA_LOCAL_REDIS": "off"}, "",
			Options{DataDir: ".data", PostgresAddr: "127.0.0.1:15432"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, OptionsFrom(getenvOf(tt.env), tt.flag), tt.name)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	require.Equal(t, `'/srv/it'\''s here'`, shellQuote("/srv/it's here"))
	require.Equal(t, `'runuser' '-u' 'postgres' '--'`, shellQuoteAll([]string{"runuser", "-u", "postgres", "--"}))
}

// TestEmbeddedRefusesToLoseData: a cluster of another PostgreSQL version,
// or one whose password file is gone, is reported and left alone, never
// re-initialised over.
func TestEmbeddedRefusesToLoseData(t *testing.T) {
	t.Parallel()
	dataDir := defaultstest.ReachableTempDir(t)
	pgData := filepath.Join(dataDir, "postgres")
	require.NoError(t, os.MkdirAll(pgData, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(pgData, "PG_VERSION"), []byte("9\n"), 0o600))

	_, _, err := StartPostgres(t.Context(), dataDir, postgrestest.Logger(t))
	require.ErrorContains(t, err, "postgres.password is missing")

	require.NoError(t, os.WriteFile(filepath.Join(dataDir, "postgres.password"), []byte("secret\n"), 0o600))
	_, _, err = StartPostgres(t.Context(), dataDir, postgrestest.Logger(t))
	require.ErrorContains(t, err, "holds a PostgreSQL 9 cluster")
	require.FileExists(t, filepath.Join(pgData, "PG_VERSION"), "the cluster is left as it was")
}

// TestEmbeddedAsRootNeedsReachableDataDir: as root, PostgreSQL runs as an
// unprivileged user, who must be able to reach the data dir; a dir under a
// 0700 parent (like /root) is refused with advice instead of a cryptic
// initdb failure.
func TestEmbeddedAsRootNeedsReachableDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only a root process hands PostgreSQL to another user")
	}
	if findPostgres().dir == "" {
		t.Skip("no PostgreSQL binaries installed")
	}
	private := t.TempDir() // 0700, owned by root
	_, _, err := StartPostgres(t.Context(), filepath.Join(private, "data"), postgrestest.Logger(t))
	require.ErrorContains(t, err, "cannot reach")
	require.ErrorContains(t, err, "--data-dir or VORONKA_DATA_DIR")
}

func TestBinariesPath(t *testing.T) {
	t.Parallel()
	got, err := binariesPath(t.TempDir(), "/usr/lib/postgresql/17/bin")
	require.NoError(t, err)
	require.Equal(t, "/usr/lib/postgresql/17", got)

	tmp := t.TempDir()
	got, err = binariesPath(tmp, "/opt/pg/tools")
	require.NoError(t, err)
	require.Equal(t, tmp, got)
	for _, name := range []string{"initdb", "pg_ctl"} {
		target, err := os.Readlink(filepath.Join(tmp, "bin", name))
		require.NoError(t, err)
		require.Equal(t, "/opt/pg/tools/"+name, target)
	}
}
