package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/crm"
)

const commandSecret = "command-secret"

// teamDesk answers like bot.Team, from a script.
type teamDesk struct {
	mu    sync.Mutex
	asked []string
	reply []bot.Message
}

func (d *teamDesk) ManagerBySlack(id string) (crm.Manager, bool) {
	if id == "UANNA" {
		return crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead, SlackID: id}, true
	}
	return crm.Manager{}, false
}

func (d *teamDesk) Answer(ctx context.Context, m crm.Manager, channel, command, args string) []bot.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, m.Name+" "+channel+" "+command+" "+args)
	return d.reply
}

type commandBundle struct {
	desk  *teamDesk
	fake  *slackfake.Server
	once  *memOnce
	h     *slack.Commands
	srv   *httptest.Server
	clock *fakeClock
}

func setupCommands(t *testing.T) *commandBundle {
	t.Helper()
	b := &commandBundle{desk: &teamDesk{}, fake: slackfake.NewServer(t), once: newMemOnce(), clock: newFakeClock()}
	b.h = slack.NewCommands(b.desk, slack.NewClient(slackfake.Token, b.fake.URL(), nil), commandSecret,
		slack.CommandOptions{Now: b.clock.Now, Logger: testLogger(t), Once: b.once})
	b.srv = httptest.NewServer(b.h)
	t.Cleanup(b.srv.Close)
	return b
}

func commandForm(user, text string) []byte {
	return []byte(url.Values{"command": {"/voronka"}, "text": {text}, "user_id": {user}, "team_id": {"T1"},
		"channel_id": {"CPUBLIC"}, "response_url": {"https://hooks.slack.com/commands/x"}}.Encode())
}

// post sends body signed at ts (unsigned when ts is zero) and returns the
// status and the ephemeral text.
func (b *commandBundle) post(t *testing.T, body []byte, ts time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !ts.IsZero() {
		for k, v := range slack.Sign(commandSecret, body, ts) {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
		Mrkdwn       bool   `json:"mrkdwn"`
	}
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.Equal(t, "ephemeral", out.ResponseType, "only the manager sees it")
		require.False(t, out.Mrkdwn)
	}
	return resp.StatusCode, out.Text
}

func TestCommandsVerifySignature(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	b.desk.reply = []bot.Message{{Text: "figures"}}
	body := commandForm("UANNA", "stats 7d")
	status, _ := b.post(t, body, time.Time{})
	require.Equal(t, http.StatusUnauthorized, status, "unsigned")
	status, _ = b.post(t, body, b.clock.Now().Add(-6*time.Minute))
	require.Equal(t, http.StatusUnauthorized, status, "stale")
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL, bytes.NewReader(commandForm("UANNA", "stats 30d")))
	for k, v := range slack.Sign(commandSecret, body, b.clock.Now()) {
		req.Header[k] = v // the signature of another body
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "tampered")
	require.Empty(t, b.desk.asked, "nothing reached the reports")

	status, text := b.post(t, body, b.clock.Now())
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "figures", text)
	require.Equal(t, []string{"Anna slack stats 7d"}, b.desk.asked)
}

func TestCommandsRefuseOutsiders(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	b.desk.reply = []bot.Message{{Text: "secret figures"}}
	status, text := b.post(t, commandForm("USTRANGER", "stats"), b.clock.Now())
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, text, "sales team only")
	require.NotContains(t, text, "figures")
	require.Empty(t, b.desk.asked)
}

func TestCommandsHelpAndEscaping(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	_, text := b.post(t, commandForm("UANNA", ""), b.clock.Now())
	require.Contains(t, text, "/voronka stats [period]")
	require.Contains(t, text, "/voronka find &lt;text&gt;", "escaped for Slack")
	_, text = b.post(t, commandForm("UANNA", "sales"), b.clock.Now())
	require.Contains(t, text, `Unknown command "sales"`)
	require.Empty(t, b.desk.asked)

	b.desk.reply = []bot.Message{{Text: "#1 <Tom & Jerry> *bold*"}}
	_, text = b.post(t, commandForm("UANNA", "FIND tom"), b.clock.Now())
	require.Equal(t, "#1 &lt;Tom &amp; Jerry&gt; *bold*", text)
	require.Equal(t, []string{"Anna slack find tom"}, b.desk.asked)
}

// TestCommandsUploadFiles: charts and the CSV go to the manager's direct
// messages by the three-step upload, never to the channel of the command.
func TestCommandsUploadFiles(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	png := []byte("\x89PNG fake chart")
	csv := []byte("lead_id\n1\n")
	b.desk.reply = []bot.Message{
		{Text: "Funnel text"},
		{Text: "Funnel · 16–22 Nov", Photo: png, PhotoName: "funnel.png"},
	}
	_, text := b.post(t, commandForm("UANNA", "funnel 7d"), b.clock.Now())
	require.Equal(t, "Funnel text", text)
	b.h.Wait() // uploads run after the answer; one at a time keeps their order
	b.desk.reply = []bot.Message{{Text: "Export: 1 lead", Document: csv, DocumentName: "leads.csv"}}
	_, text = b.post(t, commandForm("UANNA", "export"), b.clock.Now())
	require.Equal(t, "Export: 1 lead", text)
	b.h.Wait()

	ups := b.fake.Uploads()
	require.Len(t, ups, 2)
	require.Equal(t, slackfake.Upload{FileID: ups[0].FileID, Filename: "funnel.png", Title: "funnel.png", Channel: "DUANNA",
		Comment: "Funnel · 16–22 Nov", Data: png, Length: "15"}, ups[0])
	require.Equal(t, csv, ups[1].Data)
	require.Equal(t, "DUANNA", ups[1].Channel)
	require.Len(t, b.fake.CallsTo("conversations.open"), 2)
	require.Len(t, b.fake.CallsTo("files.completeUploadExternal"), 2)
}

// TestCommandsRunOnceForAReplay: a signed command replayed within the
// signature's window is answered without running again (no second audit
// row, no second CSV); the same command typed again is a new invocation
// (a new trigger_id) and runs.
func TestCommandsRunOnceForAReplay(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	csv := []byte("lead_id\n1\n")
	b.desk.reply = []bot.Message{{Text: "Export: 1 lead", Document: csv, DocumentName: "leads.csv"}}
	form := func(trigger string) []byte {
		return []byte(url.Values{"command": {"/voronka"}, "text": {"export"}, "user_id": {"UANNA"}, "team_id": {"T1"},
			"channel_id": {"CPUBLIC"}, "response_url": {"https://hooks.slack.com/commands/" + trigger},
			"trigger_id": {trigger}}.Encode())
	}
	first := form("13345224609.738474920.8088930838d88f008e0")

	status, text := b.post(t, first, b.clock.Now())
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Export: 1 lead", text)
	status, text = b.post(t, first, b.clock.Now().Add(4*time.Minute))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "This command was already received and answered. Type it again to run it anew.", text)
	b.h.Wait()
	require.Equal(t, []string{"Anna slack export "}, b.desk.asked, "the replay did not run")
	require.Len(t, b.fake.Uploads(), 1, "one CSV")

	_, text = b.post(t, form("13345224609.738474920.99"), b.clock.Now())
	require.Equal(t, "Export: 1 lead", text, "typed again: a new invocation")
	b.h.Wait()
	require.Len(t, b.desk.asked, 2)
	require.Len(t, b.fake.Uploads(), 2)

	// Without Redis the command runs rather than no command running.
	b.once.mu.Lock()
	b.once.err = errRedisDown
	b.once.mu.Unlock()
	_, text = b.post(t, first, b.clock.Now())
	require.Equal(t, "Export: 1 lead", text)
	b.h.Wait()
	require.Len(t, b.desk.asked, 3)
}

func TestPostTeam(t *testing.T) {
	t.Parallel()
	fake := slackfake.NewServer(t)
	post := slack.PostTeam(slack.NewClient(slackfake.Token, fake.URL(), nil), "CSALES")
	require.NoError(t, post(context.Background(), bot.Message{Text: "Digest <b> & co"}))
	calls := fake.CallsTo("chat.postMessage")
	require.Len(t, calls, 1)
	require.Equal(t, "Digest &lt;b&gt; &amp; co", calls[0].Text)
	require.NoError(t, post(context.Background(), bot.Message{Text: "chart", Photo: []byte("png"), PhotoName: "x.png"}))
	require.Equal(t, "CSALES", fake.Uploads()[0].Channel)
}

// TestCommandsDropNUL: a %00 or a broken UTF-8 byte in the command's text
// never reaches the desk (which writes the team log and searches
// PostgreSQL with it).
func TestCommandsDropNUL(t *testing.T) {
	t.Parallel()
	b := setupCommands(t)
	b.desk.reply = []bot.Message{{Text: "nobody"}}
	_, text := b.post(t, commandForm("UANNA", "find An\x00na \xff"), b.clock.Now())
	require.Equal(t, "nobody", text)
	require.Equal(t, []string{"Anna slack find Anna \uFFFD"}, b.desk.asked)
}
