package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/cmd/internal/schedule"
	"github.com/voronka/voronka/crm"
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
	// FlowFiles are flow files loaded after the directory, a flow of the
	// same id replacing the directory's (`voronka chat --flow FILE`).
	FlowFiles []string `yaml:"-"`
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
	// Language is the sales team's default language (ru or en): cards,
	// buttons, reports, digests, charts and exports. A member's own
	// `language:` wins.
	Language string `yaml:"language"`
	// Team is the sales team: who gets leads, who may press the buttons.
	Team      []TeamMember    `yaml:"team"`
	Routing   RoutingConfig   `yaml:"routing"`
	Surveys   SurveysConfig   `yaml:"surveys"`
	Followups FollowupsConfig `yaml:"followups"`
	// Relay is the two-way conversation between customers and the team.
	Relay struct {
		// OpenFor: a conversation stays open this long after its last
		// message (24h); nudges, "what happened?" and surveys wait.
		OpenFor Duration `yaml:"open_for"`
	} `yaml:"relay"`
	QuietHours struct {
		From string `yaml:"from"`
		To   string `yaml:"to"`
	} `yaml:"quiet_hours"`
	// Stats is what managers ask the bot for.
	Stats StatsConfig `yaml:"stats"`
	// Campaigns is marketing: where the campaign files are and the limits
	// every campaign shares.
	Campaigns CampaignsConfig `yaml:"campaigns"`
	// Model is the win-probability model.
	Model ModelConfig `yaml:"model"`
	Queue struct {
		// Workers is how many durable jobs (cards, notices, escalations)
		// this replica runs at once.
		Workers int `yaml:"workers"`
		// JobTimeout bounds one run of a job (1m): a send that waits out a
		// long 429 must not hold a worker for ever.
		JobTimeout Duration `yaml:"job_timeout"`
		// RescueAfter is when a job still "running" is taken for one whose
		// replica died, and run again elsewhere (2m). It must exceed
		// JobTimeout. A replica restarted under the same
		// VORONKA_REPLICA_ID does not wait for it: at start it re-queues
		// the jobs its previous process left running.
		RescueAfter Duration `yaml:"rescue_after"`
	} `yaml:"queue"`
	// Updates is how customers' updates are admitted across replicas.
	Updates struct {
		// Lease is how long a replica holds a chat and an update it
		// handles without renewing (15s). A live replica renews it, so
		// only a replica that dies mid-update makes the chat wait this
		// long.
		Lease Duration `yaml:"lease"`
	} `yaml:"updates"`
	// HTTP is how requests are served.
	HTTP struct {
		// RequestTimeout bounds the handling of one request: a Telegram
		// update (webhook, or one delivery attempt in long polling), a
		// Slack button press or slash command (10s). Every PostgreSQL and
		// Redis call on the way has this deadline, so a database that
		// stops answering fails the update with a 5xx (Telegram delivers
		// it again) instead of holding it, its chat and its connection
		// for as long as the database hangs. It must stay under the 20s
		// a stopping replica gives requests in flight.
		RequestTimeout Duration `yaml:"request_timeout"`
	} `yaml:"http"`
	// Slack is the pacing of the Slack sales channel.
	Slack struct {
		// ChannelPerSecond and ChannelBurst pace messages in the channel
		// (1 and 1: Slack's published limit is about one message a second
		// per channel). Raise them only against a test server.
		ChannelPerSecond float64 `yaml:"channel_per_second"`
		ChannelBurst     int     `yaml:"channel_burst"`
	} `yaml:"slack"`

	// From the environment only.
	DatabaseURL           string `yaml:"-"`
	RedisURL              string `yaml:"-"`
	TelegramToken         string `yaml:"-"`
	TelegramAPIEndpoint   string `yaml:"-"`
	TelegramWebhookURL    string `yaml:"-"`
	TelegramWebhookSecret string `yaml:"-"`
	HTTPAddr              string `yaml:"-"`
	SlackBotToken         string `yaml:"-"`
	SlackSigningSecret    string `yaml:"-"`
	SlackSalesChannel     string `yaml:"-"`
	SlackAPIURL           string `yaml:"-"`
	TelegramSalesChatID   int64  `yaml:"-"`
	// ReplicaID (VORONKA_REPLICA_ID) names this replica to the job queue.
	// Set it, unique per replica and the same across its restarts (a
	// StatefulSet's pod name, a systemd instance), and a restarted replica
	// re-queues at once the jobs its killed predecessor left running,
	// instead of after queue.rescue_after.
	ReplicaID string `yaml:"-"`
	// File is where the YAML came from, "" when only defaults apply.
	File string `yaml:"-"`
}

// TelegramConfig holds the Bot API limits. The defaults are Telegram's
// published ones; raise them only against a test server.
type TelegramConfig struct {
	GlobalPerSecond float64  `yaml:"global_per_second"`
	GlobalBurst     int      `yaml:"global_burst"`
	ChatPerSecond   float64  `yaml:"chat_per_second"`
	ChatBurst       int      `yaml:"chat_burst"`
	GroupPerMinute  float64  `yaml:"group_per_minute"`
	PollTimeout     Duration `yaml:"poll_timeout"`
	MaxConnections  int      `yaml:"max_connections"` // setWebhook's max_connections
	MaxBody         int64    `yaml:"max_body"`        // webhook body limit, bytes
	// WebhookReplies (default true) lets one call of each reply ride on
	// the webhook's 200 response (telegram.SenderOptions.NoWebhookReplies).
	WebhookReplies bool `yaml:"webhook_replies"`
	// SalesTopics: the sales group is a forum (topics enabled) and each
	// lead's card opens a topic for its conversation.
	SalesTopics bool `yaml:"sales_topics"`
}

// TeamMember is one member of the sales team in the config file.
type TeamMember struct {
	Name string `yaml:"name"`
	// CustomerName is how customers are told of the member («Анна из нашей
	// команды…») and signs their replies to customers (default Name).
	CustomerName string `yaml:"customer_name"`
	Role         string `yaml:"role"` // rep | head | admin
	SlackID      string `yaml:"slack_id"`
	TelegramID   int64  `yaml:"telegram_id"`
	// OnDuty switches a member without hours on or off (default on).
	OnDuty *bool `yaml:"on_duty"`
	// Hours like "Mon-Fri 09:00-18:00", in TimeZone (default: timezone).
	Hours    string `yaml:"hours"`
	TimeZone string `yaml:"time_zone"`
	MaxOpen  int    `yaml:"max_open"`
	// Language the member reads (ru or en); default: the team's.
	Language string `yaml:"language"`
}

// SurveysConfig is the NPS survey after a sale.
type SurveysConfig struct {
	NPSAfter    Duration `yaml:"nps_after"`    // after the win; 0 turns surveys off
	RepeatAfter Duration `yaml:"repeat_after"` // later purchases: at most this often
	Schedule    string   `yaml:"schedule"`     // cron of the survey sweep
}

// FollowupsConfig is the follow-up of stalled dialogues and lost leads.
// A flow may set its own nudge_after, ask_after and max_nudges.
type FollowupsConfig struct {
	NudgeAfter       Duration `yaml:"nudge_after"`
	AskAfter         Duration `yaml:"ask_after"`
	MaxNudges        int      `yaml:"max_nudges"`
	ReengageAfter    Duration `yaml:"reengage_after"` // 0 turns re-engagement off
	Schedule         string   `yaml:"schedule"`
	ReengageSchedule string   `yaml:"reengage_schedule"`
}

// CampaignsConfig configures the marketing campaigns.
type CampaignsConfig struct {
	// Dir holds the campaign and segment files (configs/campaigns); a
	// missing directory means no campaigns.
	Dir string `yaml:"dir"`
	// FrequencyCap is the most marketing messages a customer gets in a
	// window, across all campaigns: "1/72h" (the default); "" for none.
	FrequencyCap string `yaml:"frequency_cap"`
	// Schedule is the cron of the sweep of event and once triggers
	// (every 5 minutes).
	Schedule string `yaml:"schedule"`
	// Explore is the share of best-time sends made at a random allowed
	// moment instead (0.1).
	Explore *float64 `yaml:"explore"`
	// BulkSlots is how many campaign messages may hold a rate-limit
	// reservation at once on a replica (4): the most a live reply waits
	// behind.
	BulkSlots int `yaml:"bulk_slots"`
}

// StatsConfig configures the managers' reports.
type StatsConfig struct {
	// DailyDigest is the cron schedule of the day's /stats sent to the
	// heads and admins ("" turns it off).
	DailyDigest string `yaml:"daily_digest"`
}

// ModelConfig is the win-probability model (README: "Win probability").
type ModelConfig struct {
	// Schedule is the cron of the training ("0 3 * * *"; "" turns
	// scheduled training off, `voronka model train` still works).
	Schedule string `yaml:"schedule"`
	// Horizon: the model predicts a win within this long of
	// qualification (30d).
	Horizon     Duration `yaml:"horizon"`
	MinOutcomes struct {
		Won  int `yaml:"won"`
		Lost int `yaml:"lost"`
	} `yaml:"min_outcomes"`
	// Holdout is the most recent share of outcomes the model is judged
	// on (0.2).
	Holdout float64 `yaml:"holdout"`
	// L2 is the regularisation on the standardised weights (0.01).
	L2 float64 `yaml:"l2"`
}

// RoutingConfig is how hot leads reach the team and the SLAs on them.
type RoutingConfig struct {
	// Strategy: first_claim, round_robin, least_loaded or sticky.
	Strategy      string   `yaml:"strategy"`
	ClaimWithin   Duration `yaml:"claim_within"`
	ContactWithin Duration `yaml:"contact_within"`
	// WarmDigest is the cron schedule of the warm-lead digest.
	WarmDigest string `yaml:"warm_digest"`
	// SLASweep is the cron schedule of the SLA and queue sweep.
	SLASweep    string   `yaml:"sla_sweep"`
	LostReasons []string `yaml:"lost_reasons"`
	// RespondWithin: a customer message nobody answered this long (10m,
	// in working hours) is escalated like an unclaimed hot lead.
	RespondWithin Duration `yaml:"respond_within"`
	// OrderBy is how the queue of leads waiting for a rep is served:
	// "age" (oldest first, the default) or "probability" (the highest
	// predicted win probability first).
	OrderBy string `yaml:"order_by"`
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
		Language:    "ru",
		Flows:       "configs/flows",
		DefaultFlow: "qualify",
		SessionTTL:  dur(30 * 24 * time.Hour),
		RedisPrefix: "voronka:",
		Telegram: TelegramConfig{
			// Telegram's 30/s, no margin: the bot-wide sliding window in
			// Redis (storage/redis/window.go) counts each call from its
			// admission until a second after its answer, so a message
			// that leaves late cannot make another second look like 31.
			// The old margin (28) was what kept broadcasts at 0.93 of the
			// allowed rate (issue 18).
			GlobalPerSecond: 30,
			GlobalBurst:     1,
			ChatPerSecond:   1,
			ChatBurst:       3,
			GroupPerMinute:  20,
			PollTimeout:     dur(25 * time.Second),
			MaxConnections:  40,
			MaxBody:         1 << 20,
			WebhookReplies:  true,
		},
	}
	c.Log.Level, c.Log.Format = "info", "json"
	c.Campaigns = CampaignsConfig{Dir: "configs/campaigns", FrequencyCap: "1/72h", Schedule: "*/5 * * * *", BulkSlots: 4}
	c.Routing = RoutingConfig{
		Strategy:      string(crm.FirstClaim),
		ClaimWithin:   dur(5 * time.Minute),
		ContactWithin: dur(15 * time.Minute),
		WarmDigest:    "0 10 * * 1-5",
		SLASweep:      "* * * * *",
		RespondWithin: dur(10 * time.Minute),
		LostReasons:   []string{"no budget", "chose a competitor", "not reachable", "not interested", "duplicate"},
	}
	c.Queue.Workers = 10
	c.Queue.JobTimeout, c.Queue.RescueAfter = dur(time.Minute), dur(2*time.Minute)
	c.Updates.Lease = dur(15 * time.Second)
	c.HTTP.RequestTimeout = dur(10 * time.Second)
	c.Slack.ChannelPerSecond, c.Slack.ChannelBurst = 1, 1
	c.Surveys = SurveysConfig{NPSAfter: dur(7 * 24 * time.Hour), RepeatAfter: dur(90 * 24 * time.Hour), Schedule: "*/15 * * * *"}
	c.Followups = FollowupsConfig{NudgeAfter: dur(2 * time.Hour), AskAfter: dur(24 * time.Hour), MaxNudges: 2,
		ReengageAfter: dur(30 * 24 * time.Hour), Schedule: "*/10 * * * *", ReengageSchedule: "0 11 * * *"}
	c.QuietHours.From, c.QuietHours.To = "21:00", "09:00"
	c.Relay.OpenFor = dur(24 * time.Hour)
	c.Stats.DailyDigest = "0 19 * * *"
	c.Routing.OrderBy = "age"
	c.Model.Schedule, c.Model.Horizon = "0 3 * * *", dur(30*24*time.Hour)
	c.Model.MinOutcomes.Won, c.Model.MinOutcomes.Lost = 30, 30
	c.Model.Holdout, c.Model.L2 = 0.2, 0.01
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
	c.SlackBotToken = getenv("SLACK_BOT_TOKEN")
	c.SlackSigningSecret = getenv("SLACK_SIGNING_SECRET")
	c.SlackSalesChannel = getenv("SLACK_SALES_CHANNEL")
	c.SlackAPIURL = getenv("SLACK_API_URL")
	c.ReplicaID = getenv("VORONKA_REPLICA_ID")
	var salesChatErr error
	if v := getenv("TELEGRAM_SALES_CHAT_ID"); v != "" {
		c.TelegramSalesChatID, salesChatErr = strconv.ParseInt(v, 10, 64)
	}
	if err := errors.Join(salesChatErr, c.validate()); err != nil {
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
	if t.GlobalBurst < 1 {
		bad("telegram.global_burst", "must be at least 1")
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
	if c.TelegramSalesChatID > 0 {
		bad("TELEGRAM_SALES_CHAT_ID", "must be a group's id (negative, like -1001234567890)")
	}
	if (c.SlackBotToken != "") != (c.SlackSalesChannel != "") || (c.SlackBotToken != "" && c.SlackSigningSecret == "") {
		bad("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_SALES_CHANNEL go together")
	}
	if c.SlackAPIURL != "" && !strings.HasSuffix(c.SlackAPIURL, "/") {
		bad("SLACK_API_URL", "must end with a slash, like http://127.0.0.1:9001/api/")
	}
	c.validateSales(bad)
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

// validTeamLanguage reports whether the team texts have lang.
func validTeamLanguage(lang string) bool { return lang == bot.LangRU || lang == bot.LangEN }

func (c *Config) validateSales(bad func(key, format string, args ...any)) {
	if !validTeamLanguage(c.Language) {
		bad("language", "must be ru or en, not %q", c.Language)
	}
	seen := map[string]bool{}
	for i, m := range c.Team {
		key := fmt.Sprintf("team[%d]", i)
		if strings.TrimSpace(m.Name) == "" {
			bad(key+".name", "is required")
		} else if seen[m.Name] {
			bad(key+".name", "%q is used twice", m.Name)
		}
		seen[m.Name] = true
		if !crm.Role(m.Role).Valid() {
			bad(key+".role", "must be rep, head or admin, not %q", m.Role)
		}
		if m.SlackID == "" && m.TelegramID == 0 {
			bad(key, "needs a slack_id or a telegram_id to press the buttons")
		}
		if m.Hours != "" {
			if _, err := crm.ParseHours(m.Hours); err != nil {
				bad(key+".hours", "%v", err)
			}
		}
		if m.TimeZone != "" {
			if _, err := time.LoadLocation(m.TimeZone); err != nil {
				bad(key+".time_zone", "unknown time zone %q", m.TimeZone)
			}
		}
		if m.Language != "" && !validTeamLanguage(m.Language) {
			bad(key+".language", "must be ru or en, not %q", m.Language)
		}
		if m.MaxOpen < 0 {
			bad(key+".max_open", "must not be negative")
		}
	}
	r := c.Routing
	if !crm.Strategy(r.Strategy).Valid() {
		bad("routing.strategy", "must be first_claim, round_robin, least_loaded or sticky, not %q", r.Strategy)
	}
	for key, d := range map[string]Duration{"routing.claim_within": r.ClaimWithin, "routing.contact_within": r.ContactWithin,
		"routing.respond_within": r.RespondWithin, "relay.open_for": c.Relay.OpenFor} {
		if d.bad != "" {
			bad(key, "%s", d.bad)
		}
	}
	for key, spec := range map[string]string{"routing.warm_digest": r.WarmDigest, "routing.sla_sweep": r.SLASweep} {
		if err := schedule.Check(spec); err != nil {
			bad(key, "not a cron schedule: %v", err)
		}
	}
	c.validateEngagement(bad)
	if spec := c.Stats.DailyDigest; spec != "" {
		if err := schedule.Check(spec); err != nil {
			bad("stats.daily_digest", "not a cron schedule: %v", err)
		}
	}
	switch r.OrderBy {
	case "age", "probability":
	default:
		bad("routing.order_by", "must be age or probability, not %q", r.OrderBy)
	}
	c.validateModel(bad)
	if len(r.LostReasons) == 0 {
		bad("routing.lost_reasons", "needs at least one reason")
	}
	if c.Queue.Workers < 1 {
		bad("queue.workers", "must be at least 1")
	}
	for key, d := range map[string]Duration{"queue.job_timeout": c.Queue.JobTimeout, "queue.rescue_after": c.Queue.RescueAfter, "updates.lease": c.Updates.Lease, "http.request_timeout": c.HTTP.RequestTimeout} {
		if d.bad != "" {
			bad(key, "%s", d.bad)
		}
	}
	if c.Queue.RescueAfter.Duration <= c.Queue.JobTimeout.Duration {
		bad("queue.rescue_after", "must be longer than queue.job_timeout, or running jobs would be run twice")
	}
	if c.Updates.Lease.bad == "" && c.Updates.Lease.Duration < 300*time.Millisecond {
		bad("updates.lease", "must be at least 300ms (it is renewed every third of it)")
	}
	if rt := c.HTTP.RequestTimeout; rt.bad == "" && (rt.Duration < 100*time.Millisecond || rt.Duration >= drainTimeout) {
		bad("http.request_timeout", "must be at least 100ms and under %s (the drain on stop)", drainTimeout)
	}
	if c.Slack.ChannelPerSecond <= 0 {
		bad("slack.channel_per_second", "must be positive")
	}
	if c.Slack.ChannelBurst < 1 {
		bad("slack.channel_burst", "must be at least 1")
	}
}

func (c *Config) validateModel(bad func(key, format string, args ...any)) {
	m := c.Model
	if m.Schedule != "" {
		if err := schedule.Check(m.Schedule); err != nil {
			bad("model.schedule", "not a cron schedule: %v", err)
		}
	}
	if m.Horizon.bad != "" {
		bad("model.horizon", "%s", m.Horizon.bad)
	} else if m.Horizon.Duration < 24*time.Hour {
		bad("model.horizon", "must be at least 1d")
	}
	if m.MinOutcomes.Won < 1 || m.MinOutcomes.Lost < 1 {
		bad("model.min_outcomes", "won and lost must be at least 1")
	}
	if m.Holdout <= 0 || m.Holdout >= 1 {
		bad("model.holdout", "must be between 0 and 1, not %v", m.Holdout)
	}
	if m.L2 <= 0 {
		bad("model.l2", "must be positive")
	}
}

// ModelPolicy is the learning's policy from the config.
func (c *Config) ModelPolicy() crm.ModelPolicy {
	tz, _ := time.LoadLocation(c.TimeZone) // validated
	return crm.ModelPolicy{Horizon: c.Model.Horizon.Duration, MinWon: c.Model.MinOutcomes.Won, MinLost: c.Model.MinOutcomes.Lost,
		Holdout: c.Model.Holdout, L2: c.Model.L2, TimeZone: tz, Flow: c.DefaultFlow}
}

func (c *Config) validateEngagement(bad func(key, format string, args ...any)) {
	if _, err := crm.ParseFrequencyCap(c.Campaigns.FrequencyCap, flows.ParseDuration); err != nil {
		bad("campaigns.frequency_cap", "%v", err)
	}
	if e := c.Campaigns.Explore; e != nil && (*e < 0 || *e > 1) {
		bad("campaigns.explore", "must be between 0 and 1")
	}
	for key, d := range map[string]Duration{
		"surveys.nps_after": c.Surveys.NPSAfter, "surveys.repeat_after": c.Surveys.RepeatAfter,
		"followups.nudge_after": c.Followups.NudgeAfter, "followups.ask_after": c.Followups.AskAfter,
		"followups.reengage_after": c.Followups.ReengageAfter,
	} {
		if d.bad != "" {
			bad(key, "%s", d.bad)
		}
	}
	for key, spec := range map[string]string{"surveys.schedule": c.Surveys.Schedule, "followups.schedule": c.Followups.Schedule,
		"followups.reengage_schedule": c.Followups.ReengageSchedule} {
		if err := schedule.Check(spec); err != nil {
			bad(key, "not a cron schedule: %v", err)
		}
	}
	if f := c.Followups; f.MaxNudges < 0 || f.MaxNudges > 2 {
		bad("followups.max_nudges", "must be 0, 1 or 2 (the nudge, then \"what happened?\")")
	} else if f.AskAfter.Duration <= f.NudgeAfter.Duration {
		bad("followups.ask_after", "must be later than followups.nudge_after")
	}
	if _, err := crm.ParseQuietHours(c.QuietHours.From, c.QuietHours.To); err != nil {
		bad("quiet_hours", "%v", err)
	}
}

// Managers turns the configured team into crm managers.
func (c *Config) Managers() []crm.Manager {
	out := make([]crm.Manager, len(c.Team))
	for i, m := range c.Team {
		out[i] = crm.Manager{Name: m.Name, CustomerName: m.CustomerName, Role: crm.Role(m.Role), SlackID: m.SlackID, TelegramID: m.TelegramID,
			OnDuty: m.OnDuty == nil || *m.OnDuty, TimeZone: m.TimeZone, MaxOpen: m.MaxOpen, Language: m.Language}
		out[i].Hours, _ = crm.ParseHours(m.Hours) // validated; "" stays zero
	}
	return out
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
