package app

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

// TestUpdateInHandElsewhere: a delivery of an update another replica is
// handling is neither acknowledged (that replica may yet fail) nor an
// error: 503, and Telegram delivers it again.
func TestUpdateInHandElsewhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat = 601
	b.say(telegramtest.Text(chat, chat, "/start"))
	u := telegramtest.Callback(chat, chat, 1, "need:buy")
	u.UpdateID = 7001
	// Another replica's "in hand" mark.
	require.NoError(t, b.rdb.Set(context.Background(), b.prefix+"upd:7001", "w:other-replica", time.Minute).Err())
	require.Equal(t, http.StatusServiceUnavailable, b.post(u))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM answers`))
	// That replica died; its lease ran out.
	require.NoError(t, b.rdb.Del(context.Background(), b.prefix+"upd:7001").Err())
	require.Equal(t, http.StatusOK, b.post(u))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM answers`))
}

// TestRedeliveryAfterACrashBetweenPostgresAndRedis: a replica stored the
// answer and died before Redis knew (the session it had taken out is gone,
// the update is not marked done). The redelivery stores nothing twice and
// says what the dead replica never did: the next question, once.
func TestRedeliveryAfterACrashBetweenPostgresAndRedis(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	const chat = 602
	b.say(en(telegramtest.Text(chat, chat, "/start")))
	u := en(telegramtest.Callback(chat, chat, 1, "need:buy"))
	u.UpdateID = 7002
	b.say(u)
	before := len(b.tg.Sent(chat))
	// The crash, as Redis sees it: no session, no "done" mark.
	require.NoError(t, b.rdb.Del(ctx, b.prefix+"sess:"+strconv.Itoa(chat), b.prefix+"upd:7002").Err())
	b.say(u)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM answers WHERE step_id = 'need'`))
	sent := b.tg.Sent(chat)
	require.Len(t, sent, before+1, "one message: the question the crash lost")
	require.Contains(t, sent[len(sent)-1].Text, "What budget")
	// Delivered once more, now marked done: nothing at all.
	b.say(u)
	require.Len(t, b.tg.Sent(chat), before+1)
}

// TestInterruptedAlertAdoptsItsCard: an alert whose run died between
// posting the card and recording it finds the card in the channel instead
// of posting a second one; an interrupted customer notice is not sent
// again (Telegram cannot be asked whether it went out).
func TestInterruptedAlertAdoptsItsCard(t *testing.T) {
	t.Parallel()
	b, sl, _ := setupSlack(t)
	ctx := context.Background()
	const chat = 603
	b.hotDialogueTo(chat)
	id := b.leadID(chat)
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM lead_cards WHERE lead_id = $1`, id) == 1 })
	var ref string
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT ref FROM lead_cards WHERE lead_id = $1`, id).Scan(&ref))

	// The crash came after Slack took the card, before PostgreSQL knew.
	_, err := b.db.Pool.Exec(ctx, `DELETE FROM lead_cards WHERE lead_id = $1`, id)
	require.NoError(t, err)
	require.NoError(t, b.app.sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: id, Interrupted: true}))
	require.Len(t, sl.CallsTo("chat.postMessage"), 1, "the card was found, not posted again")
	var adopted string
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT ref FROM lead_cards WHERE lead_id = $1`, id).Scan(&adopted))
	require.Equal(t, ref, adopted)
	require.Equal(t, card.ChannelID+":"+card.TS, adopted)

	sentBefore := len(b.tg.Sent(chat))
	boris, ok := b.app.sales.ManagerBySlack("UBORIS")
	require.True(t, ok)
	_, err = b.app.sales.Act(ctx, crm.Action{LeadID: id, Kind: crm.ActClaim, By: boris})
	require.NoError(t, err)
	b.waitFor(func() bool { return len(b.tg.Sent(chat)) == sentBefore+1 })
	require.NoError(t, b.app.sales.Run(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: id, Interrupted: true}))
	require.Len(t, b.tg.Sent(chat), sentBefore+1, "an interrupted notice is not sent again")
}
