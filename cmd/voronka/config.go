package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/voronka/voronka/flows"
)

// Config is everything Voronka reads at start: the YAML file named by
// VORONKA_CONFIG for behaviour, and the environment for secrets and
// endpoints (secrets never live in the file).
type Config struct {
	// TimeZone is the default IANA zone of customers and managers.
	TimeZone string `yaml:"timezone"`
	// Flows is the directory of flow files; "embedded" (or a missing
	// default directory) means the flows built into the binary.
	Flows string `yaml:"flows"`
	// DefaultFlow is the flow a new customer is taken through.
	DefaultFlow string `yaml:"default_flow"`
	// SessionTTL is how long an idle dialogue stays in Redis before it is
	// rebuilt from PostgreSQL on the next message.
	SessionTTL Duration `yaml:"session_ttl"`
	// RedisPrefix starts every Redis key, so deployments can share a Redis.
	RedisPrefix string `yaml:"redis_prefix"`
	Log         struct {
		Level  string `yaml:"level"`  // debug | info | warn | error
		Format string `yaml:"format"` // json | text
	} `yaml:"log"`
	Telegram TelegramConfig `yaml:"telegram"`

	// From the environment only.
	DatabaseURL           string `yaml:"-"`
	RedisURL              string `yaml:"-"`
	TelegramToken         string `yaml:"-"`
	TelegramAPIEndpoint   string `yaml:"-"`
	TelegramWebhookURL    string `yaml:"-"`
	TelegramWebhookSecret string `yaml:"-"`
	HTTPAddr              string `yaml:"-"`
	// File is where the YAML came from, "" when only defaults apply.
	File string `yaml:"-"`
}

// TelegramConfig holds the Bot API limits. The defaults are Telegram's
// published ones; raise them only against a test server.
type TelegramConfig struct {
	GlobalPerSecond float64  `yaml:"global_per_second"`
	ChatPerSecond   float64  `yaml:"chat_per_second"`
	ChatBurst       int      `yaml:"chat_burst"`
	GroupPerMinute  float64  `yaml:"group_per_minute"`
	PollTimeout     Duration `yaml:"poll_timeout"`
	MaxConnections  int      `yaml:"max_connections"` // setWebhook's max_connections
	MaxBody         int64    `yaml:"max_body"`        // webhook body limit, bytes
}

// Duration reads "15m", "4h" and "2d" from YAML. A value that does not
// parse is kept and reported by validate, which knows the key's name (the
// YAML decoder does not tell an unmarshaler where it is).
type Duration struct {
	time.Duration
	bad string
}

func dur(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalYAML parses a duration with flows.ParseDuration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := flows.ParseDuration(n.Value)
	if err != nil {
		*d = Duration{bad: fmt.Sprintf("line %d: %v", n.Line, err)}
		return nil
	}
	*d = dur(v)
	return nil
}

// defaultConfigFile is read when VORONKA_CONFIG is not set and the file
// exists; without it the defaults alone apply.
const defaultConfigFile = "configs/voronka.yaml"

func defaultConfig() Config {
	c := Config{
		TimeZone:    "UTC",
		Flows:       "configs/flows",
		DefaultFlow: "qualify",
		SessionTTL:  dur(30 * 24 * time.Hour),
		RedisPrefix: "voronka:",
		Telegram: TelegramConfig{
			GlobalPerSecond: 30,
			ChatPerSecond:   1,
			ChatBurst:       3,
			GroupPerMinute:  20,
			PollTimeout:     dur(25 * time.Second),
			MaxConnections:  40,
			MaxBody:         1 << 20,
		},
	}
	c.Log.Level, c.Log.Format = "info", "json"
	return c
}

// LoadConfig reads the file and the environment through getenv, applies
// defaults and validates. Every error names the key at fault.
func LoadConfig(getenv func(string) string) (*Config, error) {
	c := defaultConfig()
	path := getenv("VORONKA_CONFIG")
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// An empty file (io.EOF) stands for "all defaults".
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		c.File = path
	case explicit || !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("config: VORONKA_CONFIG: %w", err)
	}

	c.DatabaseURL = envOr(getenv, "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	c.RedisURL = envOr(getenv, "REDIS_URL", "redis://127.0.0.1:6379/0")
	c.TelegramToken = getenv("TELEGRAM_TOKEN")
	c.TelegramAPIEndpoint = getenv("TELEGRAM_API_ENDPOINT")
	c.TelegramWebhookURL = getenv("TELEGRAM_WEBHOOK_URL")
	c.TelegramWebhookSecret = getenv("TELEGRAM_WEBHOOK_SECRET")
	c.HTTPAddr = envOr(getenv, "HTTP_ADDR", ":8080")
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// secretToken is what Telegram accepts as a webhook secret_token.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (c *Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad("timezone", "unknown time zone %q", c.TimeZone)
	}
	if c.DefaultFlow == "" {
		bad("default_flow", "must name a flow")
	}
	if c.SessionTTL.bad != "" {
		bad("session_ttl", "%s", c.SessionTTL.bad)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		bad("log.format", "must be json or text, not %q", c.Log.Format)
	}
	t := c.Telegram
	if t.GlobalPerSecond <= 0 {
		bad("telegram.global_per_second", "must be positive")
	}
	if t.ChatPerSecond <= 0 {
		bad("telegram.chat_per_second", "must be positive")
	}
	if t.ChatBurst < 1 {
		bad("telegram.chat_burst", "must be at least 1")
	}
	if t.GroupPerMinute <= 0 {
		bad("telegram.group_per_minute", "must be positive")
	}
	if t.PollTimeout.bad != "" {
		bad("telegram.poll_timeout", "%s", t.PollTimeout.bad)
	} else if t.PollTimeout.Duration < time.Second || t.PollTimeout.Duration > 50*time.Second {
		bad("telegram.poll_timeout", "must be between 1s and 50s")
	}
	if t.MaxConnections < 1 || t.MaxConnections > 100 {
		bad("telegram.max_connections", "must be between 1 and 100")
	}
	if t.MaxBody < 1024 {
		bad("telegram.max_body", "must be at least 1024 bytes")
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("DATABASE_URL", "must be a postgres:// URL")
	}
	if !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("REDIS_URL", "must be a redis:// or rediss:// URL")
	}
	if c.TelegramAPIEndpoint != "" && strings.Count(c.TelegramAPIEndpoint, "%s") != 2 {
		bad("TELEGRAM_API_ENDPOINT", "must hold two %%s, for the token and the method, like http://127.0.0.1:9000/bot%%s/%%s")
	}
	if c.TelegramWebhookURL != "" {
		u, err := url.Parse(c.TelegramWebhookURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad("TELEGRAM_WEBHOOK_URL", "must be an absolute https:// URL")
		}
		if !secretToken.MatchString(c.TelegramWebhookSecret) {
			bad("TELEGRAM_WEBHOOK_SECRET", "is required in webhook mode: 1-256 characters of A-Z, a-z, 0-9, _ and -")
		}
	}
	return errors.Join(errs...)
}

// WebhookPath is where the webhook handler listens: the path of
// TELEGRAM_WEBHOOK_URL, or /telegram/webhook.
func (c *Config) WebhookPath() string {
	if u, err := url.Parse(c.TelegramWebhookURL); err == nil && u.Path != "" && u.Path != "/" {
		return u.Path
	}
	return "/telegram/webhook"
}

// Redacted describes the config for the start-up log without secrets.
func (c *Config) Redacted() []any {
	return []any{
		"config_file", c.File, "timezone", c.TimeZone, "flows", c.Flows, "default_flow", c.DefaultFlow,
		"database", redactURL(c.DatabaseURL), "redis", redactURL(c.RedisURL),
		"telegram_token_set", c.TelegramToken != "", "webhook", c.TelegramWebhookURL != "", "http_addr", c.HTTPAddr,
	}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable>"
	}
	return u.Redacted()
}
