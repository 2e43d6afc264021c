package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(env(map[string]string{"VORONKA_CONFIG": writeConfig(t, "")}))
	require.NoError(t, err)
	require.Equal(t, ":8080", cfg.HTTPAddr)
	require.Equal(t, "qualify", cfg.DefaultFlow)
	require.Equal(t, 30*24*time.Hour, cfg.SessionTTL.Duration)
	require.Equal(t, "/telegram/webhook", cfg.WebhookPath())
	require.Equal(t, 30.0, cfg.Telegram.GlobalPerSecond)
	require.Equal(t, 1, cfg.Telegram.GlobalBurst)
}

func TestConfigReadsFileAndEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(env(map[string]string{
		"VORONKA_CONFIG":          writeConfig(t, "timezone: Europe/Moscow\nsession_ttl: 2d\ntelegram:\n  chat_burst: 5\n"),
		"DATABASE_URL":            "postgres://u:p@db:5432/voronka",
		"REDIS_URL":               "redis://cache:6379/1",
		"TELEGRAM_TOKEN":          "1:abc",
		"TELEGRAM_API_ENDPOINT":   "http://127.0.0.1:9000/bot%s/%s",
		"TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/hooks/tg",
		"TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123",
		"HTTP_ADDR":               "127.0.0.1:9999",
	}))
	require.NoError(t, err)
	require.Equal(t, "Europe/Moscow", cfg.TimeZone)
	require.Equal(t, 48*time.Hour, cfg.SessionTTL.Duration)
	require.Equal(t, 5, cfg.Telegram.ChatBurst)
	require.Equal(t, "/hooks/tg", cfg.WebhookPath())
	require.Equal(t, "127.0.0.1:9999", cfg.HTTPAddr)
	require.Equal(t, "redis://cache:6379/1", cfg.RedisURL)
	for _, kv := range cfg.Redacted() {
		s, _ := kv.(string)
		require.NotContains(t, s, ":p@", "no password in the start-up log")
		require.NotContains(t, s, "1:abc", "no token in the start-up log")
	}
}

// TestConfigErrorsNameTheKey: every bad value stops start-up with an error
// that names the key at fault.
func TestConfigErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		env  map[string]string
		want string
	}{
		{file: "timezone: Mars/Olympus\n", want: "timezone: unknown time zone"},
		{file: "session_ttl: soon\n", want: "session_ttl"},
		{file: "telegram:\n  chat_per_second: 0\n", want: "telegram.chat_per_second"},
		{file: "telegram:\n  poll_timeout: 2m\n", want: "telegram.poll_timeout"},
		{file: "log:\n  level: loud\n", want: "log.level"},
		{file: "http:\n  request_timeout: 30s\n", want: "http.request_timeout"},
		{file: "http:\n  request_timeout: soon\n", want: "http.request_timeout"},
		{file: "flow: x\n", want: "field flow not found"},
		{file: "default_flow: ''\n", want: "default_flow"},
		{env: map[string]string{"DATABASE_URL": "mysql://x"}, want: "DATABASE_URL"},
		{env: map[string]string{"REDIS_URL": "localhost:6379"}, want: "REDIS_URL"},
		{env: map[string]string{"TELEGRAM_API_ENDPOINT": "http://x/bot"}, want: "TELEGRAM_API_ENDPOINT"},
		{env: map[string]string{"TELEGRAM_WEBHOOK_URL": "https://x.example/hook"}, want: "TELEGRAM_WEBHOOK_SECRET"},
		{env: map[string]string{"TELEGRAM_WEBHOOK_URL": "not a url", "TELEGRAM_WEBHOOK_SECRET": "ok"}, want: "TELEGRAM_WEBHOOK_URL"},
		{env: map[string]string{"VORONKA_CONFIG": "/nonexistent/voronka.yaml"}, want: "VORONKA_CONFIG"},
	}
	for _, tt := range tests {
		m := map[string]string{"VORONKA_CONFIG": writeConfig(t, tt.file)}
		for k, v := range tt.env {
			m[k] = v
		}
		_, err := LoadConfig(env(m))
		require.Error(t, err, "%q %v", tt.file, tt.env)
		require.Contains(t, err.Error(), tt.want)
	}
}

// TestExampleConfigIsTheDefaults: the documented example loads, and says
// exactly what the defaults are.
func TestExampleConfigIsTheDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(env(map[string]string{"VORONKA_CONFIG": "../../../configs/voronka.example.yaml"}))
	require.NoError(t, err)
	def, err := LoadConfig(env(map[string]string{"VORONKA_CONFIG": writeConfig(t, "")}))
	require.NoError(t, err)
	cfg.File, def.File = "", ""
	cfg.Team, def.Team = nil, nil
	require.Equal(t, def, cfg)
}
