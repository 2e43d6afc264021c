package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

// dieHolding makes the queued job of kind look like what a killed replica
// leaves behind: running, last attempted by replica, its run's mark in
// job_runs.
func (b *bundle) dieHolding(kind, replica string) {
	b.t.Helper()
	tag, err := b.db.Pool.Exec(context.Background(), `WITH held AS (
			UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY[$2::text]
			WHERE args->>'job' = $1 AND state = 'available' RETURNING id)
		INSERT INTO job_runs (job_id) SELECT id FROM held`, kind, replica)
	require.NoError(b.t, err)
	require.Equal(b.t, int64(1), tag.RowsAffected())
}

// TestRelayKilledMidwayRelaysOnce: a replica dies with both relays in
// hand, the customer's message posted to Slack but not recorded, the
// reply not sent yet. Restarted under its id, it finds the post instead
// of posting again and sends the reply once.
func TestRelayKilledMidwayRelaysOnce(t *testing.T) {
	t.Parallel()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret, "SLACK_SALES_CHANNEL": "CSALES",
		"SLACK_API_URL": sl.URL(), "VORONKA_REPLICA_ID": "replica-a",
	}, clock)
	ctx := context.Background()
	const chat = 1505
	// Replica A serves the webhooks; its workers are the ones that die,
	// so jobs are run here by hand.
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	require.NoError(t, b.app.sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: leadID}))
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]

	b.say(en(telegramtest.Text(chat, chat, "Do you deliver to Kazan?")))
	var msgID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT id FROM messages WHERE direction = 'in'`).Scan(&msgID))
	// A's relay posted it to the thread and died before recording it.
	require.NoError(t, b.app.convs.Run(ctx, crm.Job{Kind: crm.JobRelayIn, LeadID: leadID, Key: itoa(msgID), Attempt: 1}))
	_, err := b.db.Pool.Exec(ctx, `DELETE FROM message_refs`)
	require.NoError(t, err)
	b.dieHolding(crm.JobRelayIn, "replica-a")

	// Boris answers; A took the relay and died before sending it.
	ev := sl.Say(card.ChannelID, card.TS, "UBORIS", "Yes, in two days.")
	status, _ := b.event(ev.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.dieHolding(crm.JobRelayOut, "replica-a")
	sentBefore := len(b.tg.Sent(chat))

	// Replica A comes back and works its queue.
	b.start()
	b.serving(clock)
	b.waitFor(func() bool {
		m, _ := sl.Message(ev.ChannelID, ev.TS)
		return len(m.Reactions) > 0
	})
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM message_refs`) == 1 })
	require.Len(t, waitThread(t, sl, card.ChannelID, card.TS, 1), 1, "the customer's message is in the thread once")
	var got []string
	for _, c := range b.tg.Sent(chat)[sentBefore:] {
		if strings.Contains(c.Text, "two days") {
			got = append(got, c.Text)
		}
	}
	require.Equal(t, []string{"Boris:\nYes, in two days."}, got)
	require.Equal(t, "delivered", b.delivery(ev.ChannelID+":"+ev.TS))
}

// TestRelayKilledWhileSendingIsNotRepeated: a replica died in the middle
// of sending a reply; Telegram cannot be asked whether it arrived, so it is
// not sent again and the rep is told it may not have.
func TestRelayKilledWhileSendingIsNotRepeated(t *testing.T) {
	t.Parallel()
	sl := slackfake.NewServer(t)
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret, "SLACK_SALES_CHANNEL": "CSALES",
		"SLACK_API_URL": sl.URL(),
	}, &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)})
	ctx := context.Background()
	const chat = 1506
	b.hotDialogueTo(chat) // not served: no workers, jobs are run here
	leadID := b.leadID(chat)
	require.NoError(t, b.app.sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: leadID}))
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	said := sl.Say(card.ChannelID, card.TS, "UBORIS", "lost in the crash")
	// The reply as a dead replica left it: sending.
	boris, _ := b.app.sales.ManagerBySlack("UBORIS")
	_, err := b.app.convs.Write(ctx, crm.TeamMessage{Channel: "slack", CardRef: card.ChannelID + ":" + card.TS,
		Ref: said.ChannelID + ":" + said.TS, By: boris, Text: "lost in the crash"})
	require.NoError(t, err)
	var id int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `UPDATE messages SET delivery = 'sending' WHERE direction = 'out' RETURNING id`).Scan(&id))
	require.NoError(t, b.app.convs.Run(ctx, crm.Job{Kind: crm.JobRelayOut, LeadID: leadID, Key: itoa(id), Interrupted: true}))
	for _, c := range b.tg.Sent(chat) {
		require.NotContains(t, c.Text, "lost in the crash")
	}
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE id = $1 AND delivery = 'unknown'`, id))
	m, _ := sl.Message(said.ChannelID, said.TS)
	require.Equal(t, []string{"x"}, m.Reactions)
	th := waitThread(t, sl, card.ChannelID, card.TS, 1)
	require.Contains(t, th[0].Text, "May not have been delivered")
}
