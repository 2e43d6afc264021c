package app

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// fakeClock is the injected clock of the sales tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

const salesChat = -100500

// salesConfig is a team of three in a Telegram sales group, first claim
// wins, SLAs of 5 and 15 minutes; the schedules never fire during a test,
// which drives the sweeps with the fake clock instead.
const salesConfig = `language: en
team:
  - {name: Anna, role: head, telegram_id: 9001, slack_id: UANNA}
  - {name: Boris, role: rep, telegram_id: 9002, slack_id: UBORIS}
  - {name: Vera, role: rep, telegram_id: 9003, slack_id: UVERA}
routing:
  strategy: first_claim
  claim_within: 5m
  contact_within: 15m
  sla_sweep: "0 0 1 1 *"
  warm_digest: "0 0 1 1 *"
`

// serving starts the bundle's App (queue workers included) on a listener
// and stops it when the test ends.
func (b *bundle) serving(clock *fakeClock) {
	b.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.app.Serve(ctx, ln) }()
	b.t.Cleanup(func() {
		cancel()
		require.NoError(b.t, <-done)
	})
}

// hotDialogueTo walks a customer through the hot path by the webhook.
func (b *bundle) hotDialogueTo(chat int64) {
	b.t.Helper()
	for _, u := range hotDialogue(chat) {
		b.say(telegramtest.WithName(u, "Anna", "Petrova", "anna_p"))
	}
}

// waitSent waits until chat has n messages from the bot.
func (b *bundle) waitSent(chat int64, n int) []telegramtest.Call {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sent := b.tg.Sent(chat); len(sent) >= n {
			return sent
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.FailNow(b.t, fmt.Sprintf("chat %d: %d messages, want %d", chat, len(b.tg.Sent(chat)), n))
	return nil
}

func TestHotLeadReachesTheSalesGroup(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	const chat = 801
	b.hotDialogueTo(chat)

	// Exactly one card, with the facts and the Claim button.
	cards := b.waitSent(salesChat, 1)
	card := cards[0]
	require.Contains(t, card.Text, "Anna Petrova")
	require.Contains(t, card.Text, "+79161234567")
	require.Contains(t, card.Text, "bench")
	require.Contains(t, card.ReplyMarkup, `"callback_data":"vk:claim:`)
	leadID := b.leadID(chat)

	// A stranger cannot claim; two reps at once: one owner.
	msgID := b.tg.LastMessageID(salesChat)
	b.say(b.tg.Press(salesChat, 4242, msgID, fmt.Sprintf("vk:claim:%d", leadID)))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM leads WHERE claimed_at IS NOT NULL`))
	var wg sync.WaitGroup
	for _, rep := range []int64{9002, 9003} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.say(b.tg.Press(salesChat, rep, msgID, fmt.Sprintf("vk:claim:%d", leadID)))
		}()
	}
	wg.Wait()
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'claimed'`))
	owner := b.owner(leadID)
	require.Contains(t, []string{"Boris", "Vera"}, owner)

	// The customer hears who will call; the card shows the owner.
	b.waitFor(func() bool {
		return strings.Contains(b.lastText(chat), owner+" from our team has your request and will reach you within 15 minutes")
	})
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(salesChat, msgID)
		return strings.Contains(text, owner)
	})

	// Contacted, then Won with an amount replied to the bot's question.
	ownerID := map[string]int64{"Boris": 9002, "Vera": 9003}[owner]
	b.say(b.tg.Press(salesChat, ownerID, msgID, fmt.Sprintf("vk:contacted:%d", leadID)))
	require.Equal(t, "contacted", b.lead(chat).Stage)
	b.say(b.tg.Press(salesChat, ownerID, msgID, fmt.Sprintf("vk:won:%d", leadID)))
	question := b.tg.LastMessageID(salesChat)
	b.say(b.tg.Reply(salesChat, ownerID, question, "150 000"))
	require.Equal(t, "won", b.lead(chat).Stage)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND amount = 150000`, leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'stage_changed' AND data->>'to' = 'won'`, leadID))
	b.waitFor(func() bool {
		text, markup, _ := b.tg.Message(salesChat, msgID)
		return strings.Contains(strings.ToLower(text), "won") && !strings.Contains(markup, "vk:claim")
	})
}

func TestSLAEscalatesAndRemindsOnce(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	ctx := context.Background()
	const chat = 802
	b.hotDialogueTo(chat)
	b.waitSent(salesChat, 1)
	leadID := b.leadID(chat)
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM leads WHERE alerted_at IS NOT NULL`) == 1 })

	// 4 minutes: within the SLA. 6 minutes: escalated, heads mentioned.
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(4*time.Minute)))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(2*time.Minute)))
	sent := b.waitSent(salesChat, 2)
	require.Contains(t, sent[1].Text, "Anna", "the head is mentioned")
	require.Contains(t, sent[1].ReplyMarkup, "vk:claim")
	// Later sweeps do not escalate again.
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(10*time.Minute)))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(10*time.Minute)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'sla_breached' AND data->>'sla' = 'claim'`))

	// Claimed but not contacted: the rep is reminded after 15 minutes, once.
	b.say(b.tg.Press(salesChat, 9002, b.tg.LastMessageID(salesChat), fmt.Sprintf("vk:claim:%d", leadID)))
	require.Equal(t, "Boris", b.owner(leadID))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(14*time.Minute)))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM events WHERE kind = 'sla_breached' AND data->>'sla' = 'contact'`))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(2*time.Minute)))
	require.NoError(t, b.app.sales.Sweep(ctx, clock.Add(30*time.Minute)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'sla_breached' AND data->>'sla' = 'contact'`))
	b.waitFor(func() bool {
		for _, c := range b.tg.Sent(salesChat) {
			if strings.HasPrefix(c.Text, "⏰ Boris") && strings.Contains(c.Text, "still waits for contact") {
				return true
			}
		}
		return false
	})
}

func (b *bundle) leadID(telegramUserID int64) int64 {
	b.t.Helper()
	var id int64
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), `SELECT l.id FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE c.telegram_user_id = $1 ORDER BY l.id DESC LIMIT 1`, telegramUserID).Scan(&id))
	return id
}

func (b *bundle) owner(leadID int64) string {
	b.t.Helper()
	var name string
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), `SELECT m.name FROM leads l JOIN managers m ON m.id = l.manager_id
		WHERE l.id = $1`, leadID).Scan(&name))
	return name
}

func (b *bundle) waitFor(cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.FailNow(b.t, "condition not met in 10s")
}
