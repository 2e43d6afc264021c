package app

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
)

const slackSecret = "slack-signing-secret"

// setupSlack is a served App with the sales team in a Slack channel.
func setupSlack(t *testing.T) (*bundle, *slackfake.Server, *fakeClock) {
	t.Helper()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL":  "CSALES",
		"SLACK_API_URL":        sl.URL(),
	}, clock)
	b.serving(clock)
	return b, sl, clock
}

// interact posts a signed interaction payload body and returns the status.
func (b *bundle) interact(body []byte, at time.Time) int {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/interactions", bytes.NewReader(body))
	require.NoError(b.t, err)
	for k, v := range slack.Sign(slackSecret, body, at) {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func (b *bundle) stage(leadID int64) string {
	b.t.Helper()
	var s string
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), `SELECT stage FROM leads WHERE id = $1`, leadID).Scan(&s))
	return s
}

func waitCalls(t *testing.T, sl *slackfake.Server, method string, n int) []slackfake.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls, err := sl.WaitCalls(ctx, method, n)
	require.NoError(t, err, "waiting for %d %s", n, method)
	return calls
}

func TestSlackLeadCardAndButtons(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupSlack(t)
	const chat = 901
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)

	// Exactly one card with the facts, the score's reasons and Claim.
	post := waitCalls(t, sl, "chat.postMessage", 1)[0]
	texts := post.Texts()
	for _, want := range []string{"Anna Petrova", "+79161234567", "@anna_p", "bench / campaign load", "Hot", "Budget: 1\u202f500\u202f000 (+30)", "Need: I want to buy (+30)", "Timeline: This week (+35)"} {
		require.Contains(t, texts, want)
	}
	var actions []string
	for _, btn := range post.Buttons() {
		actions = append(actions, btn.ActionID)
	}
	require.Equal(t, []string{"claim", "open_telegram"}, actions)

	// A stale or unsigned press is refused and changes nothing.
	press, ok := post.Press("UBORIS", "claim")
	require.True(t, ok)
	require.Equal(t, http.StatusUnauthorized, b.interact(press.Body(), clock.Now().Add(-6*time.Minute)))
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/interactions", bytes.NewReader(press.Body()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "qualified", b.stage(leadID))

	// Two reps press Claim at once: one owner, the other is told.
	var wg sync.WaitGroup
	for _, user := range []string{"UBORIS", "UVERA"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := post.Press(user, "claim")
			require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
		}()
	}
	wg.Wait()
	owner := b.owner(leadID)
	ownerSlack := map[string]string{"Boris": "UBORIS", "Vera": "UVERA"}[owner]
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'claimed'`))
	eph := waitCalls(t, sl, "chat.postEphemeral", 1)[0]
	require.Contains(t, eph.Params["text"], "already claimed by "+owner)

	// The card is updated in place with the owner and the next buttons.
	b.waitFor(func() bool {
		m, ok := sl.Message(post.ChannelID, post.TS)
		return ok && strings.Contains(m.Texts(), "Claimed by "+owner)
	})
	require.Len(t, sl.CallsTo("chat.postMessage"), 1, "updated, not posted again")

	// Contacted, then Won with an amount in the modal.
	m, _ := sl.Message(post.ChannelID, post.TS)
	p, ok := m.Press(ownerSlack, "contacted")
	require.True(t, ok)
	require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
	require.Equal(t, "contacted", b.stage(leadID))
	b.waitFor(func() bool {
		m, _ := sl.Message(post.ChannelID, post.TS)
		_, hasWon := m.Press(ownerSlack, "won")
		_, hasContacted := m.Press(ownerSlack, "contacted")
		return hasWon && !hasContacted
	})
	m, _ = sl.Message(post.ChannelID, post.TS)
	p, _ = m.Press(ownerSlack, "won")
	require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
	modal := waitCalls(t, sl, "views.open", 1)[0]
	sub, err := modal.Submit(ownerSlack, "150000")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.interact(sub.Body(), clock.Now()))
	require.Equal(t, "won", b.stage(leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND amount = 150000 AND won_at IS NOT NULL`, leadID))
	require.Equal(t, 3, b.count(`SELECT count(*) FROM events WHERE lead_id = $1 AND kind IN ('claimed', 'stage_changed')`, leadID))
	b.waitFor(func() bool {
		m, _ := sl.Message(post.ChannelID, post.TS)
		return strings.Contains(m.Texts(), "Won") && len(m.Buttons()) == 0
	})
}

func TestSlackLostWithReasonAndEscalation(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupSlack(t)
	ctx := context.Background()
	const chat = 902
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	post := waitCalls(t, sl, "chat.postMessage", 1)[0]
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM leads WHERE alerted_at IS NOT NULL`) == 1 })

	// Unclaimed for 6 minutes: re-announced once, the head mentioned.
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(6*time.Minute)))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(6*time.Minute)))
	esc := waitCalls(t, sl, "chat.postMessage", 2)[1]
	require.Contains(t, esc.Params["text"]+esc.Texts(), "<@UANNA>")
	time.Sleep(100 * time.Millisecond)
	require.Len(t, sl.CallsTo("chat.postMessage"), 2, "escalated once")

	// A head marks it lost with a reason from the list.
	p, _ := post.Press("UBORIS", "claim")
	require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
	m, _ := sl.Message(post.ChannelID, post.TS)
	b.waitFor(func() bool {
		m, _ = sl.Message(post.ChannelID, post.TS)
		_, ok := m.Press("UANNA", "lost")
		return ok
	})
	p, _ = m.Press("UANNA", "lost")
	require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
	modal := waitCalls(t, sl, "views.open", 1)[0]
	sub, err := modal.Submit("UANNA", "chose a competitor")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.interact(sub.Body(), clock.Now()))
	require.Equal(t, "lost", b.stage(leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND lost_reason = 'chose a competitor'`, leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE lead_id = $1 AND data->>'reason' = 'chose a competitor'`, leadID))

}

// TestCardSurvivesACrash: the process dies after the lead turned hot and
// before its card was posted (its job workers never ran); the next process
// posts the card exactly once.
func TestCardSurvivesACrash(t *testing.T) {
	t.Parallel()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Now().UTC()}
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, clock)
	// Not serving: the webhook stores the answers and queues the alert in
	// the same transaction, but no worker runs before the "crash".
	const chat = 903
	b.hotDialogueTo(chat)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM river_job WHERE args->>'job' = 'sales_alert' AND state = 'available'`))
	require.Empty(t, sl.CallsTo("chat.postMessage"))
	b.srv.Close()
	b.app.Close()

	// Two replicas come back; the card is posted once.
	b.start()
	first := b.app
	b.serving(clock)
	b.start()
	b.serving(clock)
	require.NotSame(t, first, b.app)
	waitCalls(t, sl, "chat.postMessage", 1)
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM river_job WHERE args->>'job' = 'sales_alert' AND state = 'completed'`) == 1
	})
	time.Sleep(200 * time.Millisecond)
	require.Len(t, sl.CallsTo("chat.postMessage"), 1)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM lead_cards`))
}

// TestRoutingStrategies: round robin among reps on duty; with nobody on
// duty the lead waits and goes to the first rep who comes on duty.
func TestRoutingStrategies(t *testing.T) {
	t.Parallel()
	const team = `language: en
team:
  - {name: Anna, role: head, slack_id: UANNA, on_duty: false}
  - {name: Boris, role: rep, slack_id: UBORIS, hours: "Mon-Fri 09:00-18:00"}
  - {name: Gleb, role: rep, slack_id: UGLEB, hours: "Mon-Fri 09:00-18:00", max_open: 5}
routing:
  strategy: round_robin
  sla_sweep: "0 0 1 1 *"
  warm_digest: "0 0 1 1 *"
`
	sl := slackfake.NewServer(t)
	saturday := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: saturday}
	b := setupWithDeps(t, team, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, clock)
	b.serving(clock)
	ctx := context.Background()

	// Saturday: nobody on duty, the lead waits.
	b.hotDialogueTo(904)
	waiting := b.leadID(904)
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	require.Contains(t, card.Texts(), "Waiting for a rep on duty")
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM leads WHERE alerted_at IS NOT NULL`) == 1 })
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Now()))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE waiting`))

	// Monday 09:30: the sweep hands it to the first rep on duty.
	clock.Add(45*time.Hour + 30*time.Minute)
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Now()))
	require.Equal(t, "Boris", b.owner(waiting))
	b.waitFor(func() bool {
		m, _ := sl.Message(card.ChannelID, card.TS)
		return strings.Contains(m.Texts(), "Assigned to Boris")
	})

	// Round robin: the next leads go to Gleb, then Boris again.
	b.hotDialogueTo(905)
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM leads WHERE manager_id IS NOT NULL`) == 2 })
	require.Equal(t, "Gleb", b.owner(b.leadID(905)))
	clock.Add(time.Minute)
	b.hotDialogueTo(906)
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM leads WHERE manager_id IS NOT NULL`) == 3 })
	require.Equal(t, "Boris", b.owner(b.leadID(906)))

	// An assigned lead is Boris's to claim; Gleb is told.
	m, _ := sl.Message(card.ChannelID, card.TS)
	p, ok := m.Press("UGLEB", "claim")
	require.True(t, ok)
	require.Equal(t, http.StatusOK, b.interact(p.Body(), clock.Now()))
	eph := waitCalls(t, sl, "chat.postEphemeral", 1)[0]
	require.Contains(t, eph.Params["text"], "assigned to Boris")
}
