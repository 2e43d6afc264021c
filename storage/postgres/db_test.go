package postgres_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

func TestOpenAndPing(t *testing.T) {
	t.Parallel()
	url := postgrestest.URL(t)
	db, err := postgres.Open(t.Context(), url, postgrestest.Logger(t))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Ping(t.Context()))
	var app string
	require.NoError(t, db.Pool.QueryRow(t.Context(), `SHOW application_name`).Scan(&app))
	require.Equal(t, "voronka", app)
}

func TestOpenFailsFast(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Nothing listens on port 1.
	_, err := postgres.Open(ctx, "postgres://voronka:s3cret@127.0.0.1:1/voronka?connect_timeout=2", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")

	_, err = postgres.Open(ctx, "postgres://voronka:s3cret@127.0.0.1:notaport/db", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret", "a bad URL never echoes the password")
}

func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := postgres.ParseConfig("postgres://u@h/db")
	require.NoError(t, err)
	require.Equal(t, int32(max(4, 2*runtime.GOMAXPROCS(0))), cfg.MaxConns)
	require.Equal(t, 5*time.Minute, cfg.MaxConnIdleTime)
	require.Equal(t, "voronka", cfg.ConnConfig.RuntimeParams["application_name"])

	cfg, err = postgres.ParseConfig("postgres://u@h/db?pool_max_conns=3&pool_max_conn_idle_time=1m&application_name=worker")
	require.NoError(t, err)
	require.Equal(t, int32(3), cfg.MaxConns, "the URL wins")
	require.Equal(t, time.Minute, cfg.MaxConnIdleTime)
	require.Equal(t, "worker", cfg.ConnConfig.RuntimeParams["application_name"])
}
