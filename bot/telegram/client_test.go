package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

func TestNewAPI(t *testing.T) {
	t.Parallel()
	srv := telegramtest.NewServer(t)

	api, err := telegram.NewAPI(srv.Token(), srv.Endpoint(), nil)
	require.NoError(t, err)
	require.Equal(t, srv.BotID(), api.ID())
	require.NotEmpty(t, api.Username())
	client, ok := api.Client().(*http.Client)
	require.True(t, ok)
	require.Equal(t, 35*time.Second, client.Timeout, "outlasts a 25s long poll, never waits forever")

	custom := &http.Client{Timeout: time.Second}
	api, err = telegram.NewAPI(srv.Token(), srv.Endpoint(), custom)
	require.NoError(t, err)
	require.Same(t, custom, api.Client())
}

func TestNewAPIKeepsTokenOutOfErrors(t *testing.T) {
	t.Parallel()
	srv := telegramtest.NewServer(t)
	const wrong = "987654:WRONG-secret"

	_, err := telegram.NewAPI(wrong, srv.Endpoint(), nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "WRONG-secret")
	require.Contains(t, err.Error(), "Unauthorized")

	// A dead endpoint: the library's error is a *url.Error with the token
	// in its URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = telegram.NewAPI(wrong, dead.URL+"/bot%s/%s", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "WRONG-secret")
	require.Contains(t, err.Error(), "<token>")

	// A cancelled call keeps its cause for errors.Is.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	api, err := telegram.NewAPI(srv.Token(), srv.Endpoint(), nil)
	require.NoError(t, err)
	err = telegram.DeleteWebhook(ctx, api)
	require.True(t, errors.Is(err, context.Canceled), err)
	require.NotContains(t, err.Error(), srv.Token())

	_, err = telegram.NewAPI("", srv.Endpoint(), nil)
	require.Error(t, err)
}
