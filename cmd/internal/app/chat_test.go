package app

import (
	"github.com/voronka/voronka/cmd/internal/defaults/defaultstest"

	"github.com/voronka/voronka/cmd/internal/defaults"

	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
	"github.com/voronka/voronka/storage/redis/redistest"
)

// hotChatScript answers the default flow (configs/flows/qualify.yaml) in
// English as a hot lead: buttons by number, a typed budget, the customer's
// own contact, a comment. The last line comes after qualification and must
// never be read.
const hotChatScript = `1
1.5m
1
1
2
/contact +7 916 123-45-67
Call after 5pm
this line comes after the end
`

func flowsConfig(t *testing.T, extra string) string {
	t.Helper()
	return writeConfig(t, "flows: "+filepath.Join("..", "..", "..", "configs", "flows")+"\n"+extra)
}

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// withSearchPath points every connection of url at schema.
func withSearchPath(t *testing.T, raw, schema string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// printedLead is the lead block `voronka chat` prints at the end.
type printedLead struct {
	fields  map[string]string // "stage" -> "qualified"
	answers map[string]string // step -> "value:score"
}

func parsePrintedLead(t *testing.T, out string) printedLead {
	t.Helper()
	i := strings.Index(out, "\nlead #")
	require.GreaterOrEqual(t, i, 0, "no lead printed in:\n%s", out)
	p := printedLead{fields: map[string]string{}, answers: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(out[i+1:]))
	sc.Scan() // the heading
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "    "):
			f := strings.Fields(line)
			require.GreaterOrEqual(t, len(f), 3, "answer line %q", line)
			value := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), f[0]), f[len(f)-1]))
			score, err := strconv.Atoi(f[len(f)-1])
			require.NoError(t, err, "answer line %q", line)
			p.answers[f[0]] = value + ":" + strconv.Itoa(score)
		case strings.HasPrefix(line, "  "):
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			require.True(t, ok, "field line %q", line)
			p.fields[k] = strings.TrimSpace(v)
		}
	}
	return p
}

// storedLead reads what PostgreSQL holds for lead id, in the printed
// block's terms.
func storedLead(t *testing.T, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, id string) printedLead {
	t.Helper()
	ctx := context.Background()
	var stage, temperature, source, payload, phone, email string
	var score int
	require.NoError(t, q.QueryRow(ctx, `
		SELECT l.stage, l.score, l.temperature, l.source, l.start_payload, c.phone, c.email
		FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE l.id = $1`, id).
		Scan(&stage, &score, &temperature, &source, &payload, &phone, &email))
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	p := printedLead{fields: map[string]string{
		"id": id, "stage": stage, "score": strconv.Itoa(score), "temperature": temperature,
		"attribution": "source=" + source + " payload=" + payload, "phone": dash(phone), "email": dash(email),
	}, answers: map[string]string{}}
	rows, err := q.Query(ctx, `SELECT step_id, value, score FROM answers
		WHERE lead_id = $1 AND superseded_at IS NULL ORDER BY id`, id)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var step, value string
		var score int
		require.NoError(t, rows.Scan(&step, &value, &score))
		if value == "" {
			value = "(skipped)"
		}
		p.answers[step] = value + ":" + strconv.Itoa(score)
	}
	require.NoError(t, rows.Err())
	return p
}

func requireSameLead(t *testing.T, printed, stored printedLead) {
	t.Helper()
	for k, v := range stored.fields {
		require.Equal(t, v, printed.fields[k], "printed %s", k)
	}
	require.Equal(t, stored.answers, printed.answers)
}

// chatSandbox is the schema `voronka chat` keeps its sandbox in beside
// the test's live schema, dropped when t ends.
func chatSandbox(t *testing.T, live string) string {
	t.Helper()
	sandbox := live + "_chat"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, postgrestest.DropSchema(ctx, postgrestest.URL(t), sandbox))
	})
	return sandbox
}

// rowCounts is how many rows each table of the pool's schema holds.
func rowCounts(t *testing.T, db *postgres.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Contains(t, tables, "leads")
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		require.NoError(t, db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n))
		counts[table] = n
	}
	return counts
}

// TestChat: `voronka chat` fed a dialogue on stdin completes the default
// flow on the local PostgreSQL and Redis (its own prefix), in its
// sandbox schema, prints the lead exactly as stored there, and leaves
// every table of the live schema as it was: no contact, lead, job, card
// or report row.
func TestChat(t *testing.T) {
	t.Parallel()
	schema := postgrestest.NewSchema(t)
	db := postgrestest.Open(t, schema)
	require.NoError(t, db.Migrate(context.Background()))
	sandbox := postgrestest.Open(t, chatSandbox(t, schema))
	before := rowCounts(t, db)
	_, _, prefix := redistest.NewStore(t)
	env := map[string]string{
		"DATABASE_URL":   withSearchPath(t, postgrestest.URL(t), schema),
		"REDIS_URL":      redistest.URL(),
		"VORONKA_CONFIG": flowsConfig(t, "redis_prefix: \""+prefix+"\"\n"),
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"chat", "--lang", "en", "--payload", "s-test"}, getenvOf(env),
		strings.NewReader(hotChatScript), &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	require.NoError(t, err, "stdout:\n%s", stdout.String())
	out := stdout.String()
	t.Logf("stdout:\n%s", out)

	require.Contains(t, out, `storing in sandbox schema "`+schema+`_chat" (serve's data in "`+schema+`" is not touched; --live uses it)`)
	require.Contains(t, out, "you: /start s-test\nbot: Hello! I'll put you in touch with the right person. What brings you here?\n"+
		"     [1] I want to buy  [2] Pricing  [3] Partnership  [4] Support\n")
	require.Contains(t, out, "type /contact and your number, e.g. /contact +79161234567")
	require.Contains(t, out, "bot: Thank you! A manager will reach you within 15 minutes.\n")
	require.NotContains(t, out, "this line comes after the end", "the session ends when the lead is qualified")

	printed := parsePrintedLead(t, out)
	require.Equal(t, map[string]string{
		"need": "buy:30", "budget": "1500000:30", "timeline": "week:35", "role": "decision_maker:15",
		"company_size": "small:5", "phone": "+79161234567:0", "comment": "Call after 5pm:0",
	}, printed.answers)
	require.Equal(t, "qualified", printed.fields["stage"])
	require.Equal(t, "115", printed.fields["score"])
	require.Equal(t, "hot", printed.fields["temperature"])
	require.Equal(t, "source=test payload=s-test", printed.fields["attribution"])
	require.Equal(t, "+79161234567", printed.fields["phone"])
	requireSameLead(t, printed, storedLead(t, sandbox.Pool, printed.fields["id"]))
	require.Equal(t, before, rowCounts(t, db), "the live schema has no new row anywhere")

	var userID int64
	require.NoError(t, sandbox.Pool.QueryRow(t.Context(), `SELECT c.telegram_user_id FROM contacts c
		JOIN leads l ON l.contact_id = c.id WHERE l.id = $1`, printed.fields["id"]).Scan(&userID))
	require.Negative(t, userID, "console customers never take a Telegram user's id")
}

// TestChatContinuesAndStops: --user continues a customer's dialogue in a
// new session, a closed lead is printed as it is, and /cancel ends it.
// With --live all of it is in the live schema.
func TestChatContinuesAndStops(t *testing.T) {
	t.Parallel()
	schema := postgrestest.NewSchema(t)
	db := postgrestest.Open(t, schema)
	require.NoError(t, db.Migrate(context.Background()))
	_, _, prefix := redistest.NewStore(t)
	env := map[string]string{
		"DATABASE_URL":   withSearchPath(t, postgrestest.URL(t), schema),
		"REDIS_URL":      redistest.URL(),
		"VORONKA_CONFIG": flowsConfig(t, "redis_prefix: \""+prefix+"\"\n"),
	}
	chat := func(stdin string, args ...string) printedLead {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), append([]string{"chat", "--live", "--user", "-7", "--name", "Ivan"}, args...), getenvOf(env),
			strings.NewReader(stdin), &stdout, &stderr)
		require.NoError(t, err, "stderr:\n%s", stderr.String())
		t.Logf("stdout:\n%s", stdout.String())
		return parsePrintedLead(t, stdout.String())
	}

	first := chat("2\n", "--payload", "s-vk")
	require.Equal(t, "qualifying", first.fields["stage"], "the end of input ends the session, not the dialogue")
	require.Equal(t, "budget", first.fields["waiting on"])
	require.Equal(t, map[string]string{"need": "pricing:15"}, first.answers)

	second := chat("300000\n/cancel\nnever read\n")
	require.Equal(t, first.fields["id"], second.fields["id"], "the same customer's dialogue goes on")
	require.Equal(t, "lost", second.fields["stage"])
	require.Equal(t, "cancelled", second.fields["lost reason"])
	require.Equal(t, "source=vk payload=s-vk", second.fields["attribution"], "a later session keeps the first touch")
	require.True(t, strings.HasSuffix(second.fields["contact"], " Ivan"), "contact %q", second.fields["contact"])
	requireSameLead(t, second, storedLead(t, db.Pool, second.fields["id"]))
}

func TestChatUnknownFlow(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VORONKA_CONFIG": flowsConfig(t, "")}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"chat", "--flow", "nope"}, getenvOf(env), strings.NewReader(""), &stdout, &stderr)
	require.ErrorContains(t, err, `--flow: no flow "nope" among the loaded flows (qualify)`)
}

// logLines decodes the JSON log lines with the given message.
func logLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestChatOnEmbeddedDefaults is the acceptance path of a machine with
// nothing configured and nothing listening: no DATABASE_URL or REDIS_URL,
// and the probed addresses dead, so `voronka chat` starts an embedded
// PostgreSQL (as an unprivileged user when run as root) and an in-process
// Redis, completes the flow, and the lead stays in the embedded cluster.
func TestChatOnEmbeddedDefaults(t *testing.T) {
	t.Parallel()
	if defaults.InstalledPostgres() == "" {
		t.Skip("no PostgreSQL binaries installed (looked in /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew and PATH); " +
			"the embedded path would download them, which this test does not do")
	}
	dataDir := defaultstest.ReachableTempDir(t)
	pgAddr, redisAddr := defaultstest.DeadAddr(t), defaultstest.DeadAddr(t)
	env := map[string]string{
		"VORONKA_CONFIG":         flowsConfig(t, ""),
		"VORONKA_DATA_DIR":       dataDir,
		"VORONKA_LOCAL_POSTGRES": pgAddr,
		"VORONKA_LOCAL_REDIS":    redisAddr,
	}
	dialogue := "4\nMy invoice is wrong\nivan@example.com\n"
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"chat", "--lang", "en", "--payload", "s-embedded__c-quickstart"}, getenvOf(env),
		strings.NewReader(dialogue), &stdout, &stderr)
	logs := stderr.String()
	t.Logf("stderr:\n%s", logs)
	t.Logf("stdout:\n%s", stdout.String())
	require.NoError(t, err)

	pgData := filepath.Join(dataDir, "postgres")
	started := logLines(t, logs, "starting the embedded PostgreSQL")
	require.Len(t, started, 1)
	require.Equal(t, pgData, started[0]["data_dir"], "the log names the data directory")
	require.Equal(t, defaults.InstalledPostgres(), started[0]["binaries"], "the machine's own binaries, nothing downloaded")
	if os.Geteuid() == 0 {
		require.NotEmpty(t, started[0]["run_as"])
		fi, err := os.Stat(pgData)
		require.NoError(t, err)
		require.NotZero(t, fi.Sys().(*syscall.Stat_t).Uid, "the cluster belongs to an unprivileged user")
	}
	mini := logLines(t, logs, "REDIS_URL is not set and no local Redis answers: using an in-process Redis (miniredis); "+
		"dialogue state lasts as long as this process and is rebuilt from PostgreSQL after it")
	require.Len(t, mini, 1)
	require.Equal(t, redisAddr, mini[0]["probed"])
	require.NotEqual(t, redisAddr, mini[0]["addr"])
	require.Len(t, logLines(t, logs, "embedded PostgreSQL stopped"), 1)
	require.NoFileExists(t, filepath.Join(pgData, "postmaster.pid"), "the server was stopped on exit")

	out := stdout.String()
	require.Contains(t, out, "bot: Thank you! Your question is with our support team; we'll answer within 2 days.")
	printed := parsePrintedLead(t, out)
	require.Equal(t, "qualified", printed.fields["stage"])
	require.Equal(t, "cold", printed.fields["temperature"])
	require.Equal(t, "ivan@example.com", printed.fields["email"])
	require.Equal(t, map[string]string{
		"need": "support:0", "issue": "My invoice is wrong:0", "support_email": "ivan@example.com:0",
	}, printed.answers)

	// The lead is in the embedded cluster's data directory: start it again
	// and look.
	ctx := t.Context()
	url, stop, err := defaults.StartPostgres(ctx, dataDir, postgrestest.Logger(t))
	require.NoError(t, err)
	t.Cleanup(stop)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var liveLeads *string
	require.NoError(t, conn.QueryRow(ctx, `SELECT to_regclass('public.leads')::text`).Scan(&liveLeads))
	require.Nil(t, liveLeads, "the sandbox is all the chat touched: the live schema was not even migrated")
	_, err = conn.Exec(ctx, `SET search_path = voronka_chat`)
	require.NoError(t, err)
	stored := storedLead(t, conn, printed.fields["id"])
	stored.fields["attribution"] = "source=embedded campaign=quickstart payload=s-embedded__c-quickstart"
	requireSameLead(t, printed, stored)
	var campaign string
	require.NoError(t, conn.QueryRow(ctx, `SELECT campaign FROM leads WHERE id = $1`, printed.fields["id"]).Scan(&campaign))
	require.Equal(t, "quickstart", campaign)
}

// TestChatFlowFile: --flow takes a flow file, talked through beside the
// flows directory.
func TestChatFlowFile(t *testing.T) {
	t.Parallel()
	schema := postgrestest.NewSchema(t)
	chatSandbox(t, schema)
	_, _, prefix := redistest.NewStore(t)
	file := filepath.Join(t.TempDir(), "tiny.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`id: tiny
version: 1
languages: [en]
thresholds: {hot: 60, warm: 30}
start: need
steps:
  - id: need
    kind: choice
    ask: {en: "What do you need, in a word?"}
    options:
      - {id: apples, text: {en: Apples}, score: 60}
      - {id: pears, text: {en: Pears}}
    next: done
  - id: done
    kind: end
    say: {en: "Noted, thanks!"}
`), 0o600))
	env := map[string]string{
		"DATABASE_URL":   withSearchPath(t, postgrestest.URL(t), schema),
		"REDIS_URL":      redistest.URL(),
		"VORONKA_CONFIG": flowsConfig(t, "redis_prefix: \""+prefix+"\"\n"),
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"chat", "--flow", file}, getenvOf(env), strings.NewReader("1\n"), &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s", stderr.String())
	out := stdout.String()
	require.Contains(t, out, "bot: What do you need, in a word?")
	require.Contains(t, out, "bot: Noted, thanks!")
	require.Equal(t, map[string]string{"need": "apples:60"}, parsePrintedLead(t, out).answers)

	err = run(t.Context(), []string{"chat", "--flow", filepath.Join(t.TempDir(), "none.yaml")}, getenvOf(env), strings.NewReader(""), &stdout, &stderr)
	require.ErrorContains(t, err, "chat: --flow: load flow:")
}
