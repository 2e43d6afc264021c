package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// event posts a signed Events API body to /slack/events and returns the
// status and the answer's body.
func (b *bundle) event(body []byte, at time.Time) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/events", bytes.NewReader(body))
	require.NoError(b.t, err)
	for k, v := range slack.Sign(slackSecret, body, at) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// waitThread waits for n posts of the bot under the card at channel/ts
// and returns them (people's messages left out).
func waitThread(t *testing.T, sl *slackfake.Server, channel, ts string, n int) []slackfake.Message {
	t.Helper()
	posts := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range sl.Thread(channel, ts) {
			if m.User == "" {
				out = append(out, m)
			}
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if th := posts(); len(th) >= n {
			return th
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.FailNow(t, "thread too short", "want %d posts, have %d", n, len(posts()))
	return nil
}

// textsTo are the texts the bot sent to chat.
func (b *bundle) textsTo(chat int64) []string {
	var out []string
	for _, c := range b.tg.Sent(chat) {
		out = append(out, c.Text)
	}
	return out
}

func TestConversationInSlackThread(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupSlack(t)
	const chat = 1501
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]

	// Slack's URL check, and unsigned or stale events.
	status, answer := b.event(slackfake.URLVerification("ch4llenge"), clock.Now())
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ch4llenge", answer)
	stale := sl.Say(card.ChannelID, card.TS, "UBORIS", "stale")
	status, _ = b.event(stale.Body, clock.Now().Add(-6*time.Minute))
	require.Equal(t, http.StatusUnauthorized, status)
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/events", bytes.NewReader(stale.Body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// After the flow, the customer's question reaches the card's thread
	// instead of the qualification flow; they are told a person answers.
	before := len(b.tg.Sent(chat))
	b.say(en(telegramtest.Text(chat, chat, "Can I pay in instalments?")))
	th := waitThread(t, sl, card.ChannelID, card.TS, 1)
	require.Contains(t, th[0].Text, "Can I pay in instalments?")
	require.Contains(t, th[0].Text, "Anna Petrova")
	sent := b.textsTo(chat)[before:]
	require.Len(t, sent, 1)
	require.Contains(t, sent[0], "passed your message to a manager")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE lead_id = $1 AND direction = 'in'`, leadID))

	// Boris answers in the thread; Slack delivers the event twice. The
	// customer gets it once, signed, and the lead is his and contacted.
	reply := sl.Say(card.ChannelID, card.TS, "UBORIS", "Yes, in up to 12 months.")
	for range 2 {
		status, _ := b.event(reply.Body, clock.Now())
		require.Equal(t, http.StatusOK, status)
	}
	b.waitFor(func() bool {
		m, _ := sl.Message(reply.ChannelID, reply.TS)
		return len(m.Reactions) > 0
	})
	m, _ := sl.Message(reply.ChannelID, reply.TS)
	require.Equal(t, []string{"white_check_mark"}, m.Reactions)
	var relayed int
	for _, text := range b.textsTo(chat) {
		if strings.Contains(text, "Yes, in up to 12 months.") {
			relayed++
			require.Equal(t, "Boris:\nYes, in up to 12 months.", text)
		}
	}
	require.Equal(t, 1, relayed)
	require.Equal(t, "Boris", b.owner(leadID))
	require.Equal(t, "contacted", b.stage(leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE lead_id = $1 AND direction = 'out' AND delivery = 'delivered'`, leadID))

	// A note stays with the team.
	n := len(b.tg.Sent(chat))
	note := sl.Say(card.ChannelID, card.TS, "UBORIS", "note: wants a discount, call after 5")
	status, _ = b.event(note.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE lead_id = $1 AND direction = 'note' AND body = 'wants a discount, call after 5'`, leadID))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM notes WHERE lead_id = $1 AND text = 'wants a discount, call after 5'`, leadID), "a note on the lead too")

	// Channel chatter and the bot's own posts are not relayed.
	chatter := sl.Say(card.ChannelID, "", "UBORIS", "lunch?")
	status, _ = b.event(chatter.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)

	// The customer blocked the bot: the next reply is marked not delivered
	// with the reason, in the thread.
	b.tg.Block(chat)
	lost := sl.Say(card.ChannelID, card.TS, "UBORIS", "Are you there?")
	status, _ = b.event(lost.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.waitFor(func() bool {
		m, _ := sl.Message(lost.ChannelID, lost.TS)
		return len(m.Reactions) > 0
	})
	m, _ = sl.Message(lost.ChannelID, lost.TS)
	require.Equal(t, []string{"x"}, m.Reactions)
	th = waitThread(t, sl, card.ChannelID, card.TS, 2)
	require.Contains(t, th[len(th)-1].Text, "blocked the bot")
	require.Equal(t, "blocked", b.delivery(lost.ChannelID+":"+lost.TS))
	require.Len(t, b.tg.Sent(chat), n, "neither the note nor the blocked reply reached the customer")

	// /lead shows the conversation's last messages, /export counts them.
	b.say(telegramtest.Text(9001, 9001, "/lead "+itoa(leadID)))
	lead := b.lastText(9001)
	require.Contains(t, lead, "Conversation:\n")
	require.Contains(t, lead, "Customer: Can I pay in instalments?")
	require.Contains(t, lead, "Boris → customer: Yes, in up to 12 months. ✓")
	require.Contains(t, lead, "Boris (note): wants a discount, call after 5")
	require.Contains(t, lead, "Boris → customer: Are you there? ✗ blocked")
	b.say(telegramtest.Text(9001, 9001, "/export today csv"))
	files := b.tg.Files(9001)
	require.Len(t, files, 1)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(files[0].File, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "Messages", rows[0][len(rows[0])-1])
	require.Equal(t, "3", rows[1][len(rows[1])-1], "the question and two replies; the note is not counted")
}

// delivery is the delivery state of the message written at ref.
func (b *bundle) delivery(ref string) string {
	b.t.Helper()
	var d string
	require.NoError(b.t, b.db.Pool.QueryRow(b.t.Context(), `SELECT delivery FROM messages WHERE source_ref = $1`, ref).Scan(&d))
	return d
}

// setupBoth is a served App whose team works in Slack and in the Telegram
// sales group at once.
func setupBoth(t *testing.T) (*bundle, *slackfake.Server, *fakeClock) {
	t.Helper()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-test",
		"SLACK_SIGNING_SECRET":   slackSecret,
		"SLACK_SALES_CHANNEL":    "CSALES",
		"SLACK_API_URL":          sl.URL(),
		"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat),
	}, clock)
	b.serving(clock)
	return b, sl, clock
}

// groupTexts are the texts the bot sent to the sales group.
func (b *bundle) groupTexts() []string { return b.textsTo(salesChat) }

func countContaining(texts []string, part string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, part) {
			n++
		}
	}
	return n
}

func TestConversationInSalesGroupAndSlack(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupBoth(t)
	const chat = 1502
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	slackCard := waitCalls(t, sl, "chat.postMessage", 1)[0]
	b.waitSent(salesChat, 1)
	groupCard := b.tg.LastMessageID(salesChat)

	// The customer's message reaches the card's thread and the group, as
	// a reply to the card there.
	b.say(en(telegramtest.Text(chat, chat, "When will you call me?")))
	waitThread(t, sl, slackCard.ChannelID, slackCard.TS, 1)
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "When will you call me?") == 1 })
	var inGroup telegramtest.Call
	for _, c := range b.tg.Sent(salesChat) {
		if strings.Contains(c.Text, "When will you call me?") {
			inGroup = c
		}
	}
	require.Equal(t, fmt.Sprint(groupCard), inGroup.Params["reply_to_message_id"])
	relayedID := b.tg.LastMessageID(salesChat)

	// Vera replies in the group to the customer's message; Telegram
	// delivers the update twice. The customer gets it once; Slack shows
	// it in the thread with who wrote it; the lead is hers.
	reply := b.tg.Reply(salesChat, 9003, relayedID, "Today at 3 pm, if that suits you.")
	reply.UpdateID = int(b.nextID.Add(1))
	for range 2 {
		b.say(reply)
	}
	b.waitFor(func() bool { return countContaining(b.textsTo(chat), "Today at 3 pm") == 1 })
	require.Contains(t, b.textsTo(chat), "Vera:\nToday at 3 pm, if that suits you.")
	th := waitThread(t, sl, slackCard.ChannelID, slackCard.TS, 2)
	require.Contains(t, th[1].Text, "*Vera* → customer: Today at 3 pm")
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "✓ Delivered") == 1 })
	require.Equal(t, "Vera", b.owner(leadID))
	require.Equal(t, "contacted", b.stage(leadID))

	// Vera corrects her reply in the group: the customer's copy and
	// Slack's follow.
	var chatMsg int
	require.NoError(t, b.db.Pool.QueryRow(t.Context(), `SELECT chat_message_id FROM messages WHERE via = 'telegram' AND direction = 'out'`).Scan(&chatMsg))
	b.say(telegramtest.Edit(reply, "Today at 4 pm, if that suits you."))
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(chat, chatMsg)
		return text == "Vera:\nToday at 4 pm, if that suits you."
	})
	b.waitFor(func() bool {
		th := sl.Thread(slackCard.ChannelID, slackCard.TS)
		for _, m := range th {
			if strings.Contains(m.Text, "Today at 4 pm, if that suits you. _(edited)_") {
				return true
			}
		}
		return false
	})

	// A reply written in Slack shows in the group, with who wrote it and
	// that it was delivered.
	ev := sl.Say(slackCard.ChannelID, slackCard.TS, "UVERA", "Or tomorrow morning.")
	status, _ := b.event(ev.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.waitFor(func() bool {
		return countContaining(b.groupTexts(), "💬 Vera → customer: Or tomorrow morning.\n✓ Delivered") == 1
	})

	// A note in the group stays in the team.
	n := len(b.tg.Sent(chat))
	b.say(b.tg.Reply(salesChat, 9003, groupCard, "note: prefers mornings"))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE direction = 'note' AND via = 'telegram'`))
	time.Sleep(200 * time.Millisecond) // nothing is queued for a note; give a wrong relay the chance to show
	require.Len(t, b.tg.Sent(chat), n)
	sends := 0
	for _, c := range b.tg.Sent(chat) {
		if c.Method == "sendMessage" && strings.HasPrefix(c.Text, "Vera:\n") {
			sends++
		}
	}
	require.Equal(t, 2, sends, "two replies, one edit, nothing else")
}

// TestSupportBranchReachesTheTeam: the default flow's Support option is a
// hand-off: the cold lead gets a card in Slack as its dialogue ends, with
// the request in the thread, and /manager in the middle of a dialogue
// hands that lead to the team at once.
func TestSupportBranchReachesTheTeam(t *testing.T) {
	t.Parallel()
	b, sl, _ := setupSlack(t)
	const chat = 1507
	for _, text := range []string{"/start", "Support", "My invoice is wrong", "me@example.org"} {
		b.say(en(telegramtest.Text(chat, chat, text)))
	}
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	th := waitThread(t, sl, card.ChannelID, card.TS, 1)
	require.Contains(t, th[0].Text, "asks for a person. Support")
	require.Contains(t, card.Texts(), "My invoice is wrong")

	// /manager at the first question: the lead goes to the team where it
	// stands, and the customer is asked to write their question.
	const other = 1508
	b.say(en(telegramtest.Text(other, other, "/start")))
	b.say(en(telegramtest.Text(other, other, "/manager")))
	require.Contains(t, b.lastText(other), "Calling a manager")
	require.Equal(t, "qualified", b.stage(b.leadID(other)))
	b.say(en(telegramtest.Text(other, other, "Do you work on weekends?")))
	b.waitFor(func() bool { return len(sl.CallsTo("chat.postMessage")) >= 4 })
	var second slackfake.Call
	for _, c := range sl.CallsTo("chat.postMessage") {
		if c.ThreadTS == "" && c.TS != card.TS {
			second = c
		}
	}
	require.NotEmpty(t, second.TS)
	th = waitThread(t, sl, second.ChannelID, second.TS, 2)
	require.Contains(t, th[0].Text, "asks for a person")
	require.Contains(t, th[1].Text, "Do you work on weekends?")

	// /help lists /manager.
	b.say(en(telegramtest.Text(other, other, "/help")))
	require.Contains(t, b.lastText(other), "/manager")
}

// TestForgetErasesTheConversation: /forget blanks the conversation's texts
// both ways and rewrites the copies in the Slack thread and the sales group
// to the erased form; nothing is relayed to the customer afterwards.
func TestForgetErasesTheConversation(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupBoth(t)
	const chat = 1509
	b.hotDialogueTo(chat)
	slackCard := waitCalls(t, sl, "chat.postMessage", 1)[0]
	b.say(en(telegramtest.Text(chat, chat, "My passport is 4510 123456")))
	waitThread(t, sl, slackCard.ChannelID, slackCard.TS, 1)
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "4510 123456") == 1 })
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM message_refs`) == 2 })

	b.say(en(telegramtest.Text(chat, chat, "/forget")))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM messages WHERE body LIKE '%4510%'`))
	b.waitFor(func() bool {
		th := sl.Thread(slackCard.ChannelID, slackCard.TS)
		return len(th) > 0 && strings.Contains(th[0].Text, "erased at the customer's request") && !strings.Contains(th[0].Text, "4510")
	})
	var ref string
	require.NoError(t, b.db.Pool.QueryRow(t.Context(), `SELECT ref FROM message_refs WHERE channel = 'telegram'`).Scan(&ref))
	msgID, err := strconv.Atoi(ref[strings.LastIndexByte(ref, ':')+1:])
	require.NoError(t, err)
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(salesChat, msgID)
		return strings.Contains(text, "erased") && !strings.Contains(text, "4510")
	})

	// A reply after /forget does not reach the customer; the rep sees why.
	n := len(b.tg.Sent(chat))
	ev := sl.Say(slackCard.ChannelID, slackCard.TS, "UBORIS", "Hello?")
	status, _ := b.event(ev.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.waitFor(func() bool { return b.delivery(ev.ChannelID+":"+ev.TS) != "pending" })
	require.Equal(t, "erased", b.delivery(ev.ChannelID+":"+ev.TS))
	require.Len(t, b.tg.Sent(chat), n)
}

// TestSlackEditsAndDeletionsReachTheCustomer: a rep who edits a relayed
// reply in the thread changes it in the customer's chat and in the group;
// one who deletes it takes it back from both.
func TestSlackEditsAndDeletionsReachTheCustomer(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupBoth(t)
	const chat = 1510
	b.hotDialogueTo(chat)
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM lead_cards`) == 2 })
	ev := sl.Say(card.ChannelID, card.TS, "UBORIS", "The price is 100 000.")
	status, _ := b.event(ev.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.waitFor(func() bool { return b.delivery(ev.ChannelID+":"+ev.TS) == "delivered" })
	var chatMsg int
	require.NoError(t, b.db.Pool.QueryRow(t.Context(), `SELECT chat_message_id FROM messages WHERE source_ref = $1`,
		ev.ChannelID+":"+ev.TS).Scan(&chatMsg))
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "The price is 100 000.") == 1 })

	edit := sl.Edit(ev.ChannelID, ev.TS, "UBORIS", "The price is 90 000.")
	for range 2 { // Slack retries
		status, _ = b.event(edit.Body, clock.Now())
		require.Equal(t, http.StatusOK, status)
	}
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(chat, chatMsg)
		return text == "Boris:\nThe price is 90 000."
	})
	var ref string
	require.NoError(t, b.db.Pool.QueryRow(t.Context(), `SELECT r.ref FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE m.source_ref = $1 AND r.channel = 'telegram'`, ev.ChannelID+":"+ev.TS).Scan(&ref))
	groupMsg, err := strconv.Atoi(ref[strings.LastIndexByte(ref, ':')+1:])
	require.NoError(t, err)
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(salesChat, groupMsg)
		return strings.Contains(text, "The price is 90 000. (edited)")
	})
	edits := 0
	for _, c := range b.tg.Calls() {
		// Not the echoes of the dialogue's pressed buttons, which are edits too.
		if c.Method == "editMessageText" && c.ChatID == chat && strings.Contains(c.Text, "90 000") {
			edits++
		}
	}
	require.Equal(t, 1, edits, "the edit reached the customer once")

	del := sl.Delete(ev.ChannelID, ev.TS)
	status, _ = b.event(del.Body, clock.Now())
	require.Equal(t, http.StatusOK, status)
	b.waitFor(func() bool {
		_, _, ok := b.tg.Message(chat, chatMsg)
		return !ok
	})
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(salesChat, groupMsg)
		return strings.Contains(text, "(deleted)")
	})
}

// TestConversationInForumTopic: with telegram.sales_topics and a forum
// sales group, a lead's card opens a topic of its own; the customer's
// messages go there, a team member writing in the topic reaches the
// customer once, and a note stays.
func TestConversationInForumTopic(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, salesConfig+"telegram:\n  sales_topics: true\n",
		map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.tg.SetForum(salesChat)
	b.serving(clock)
	const chat = 1511
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM lead_cards`) == 1 })
	var ref string
	require.NoError(t, b.db.Pool.QueryRow(t.Context(), `SELECT ref FROM lead_cards`).Scan(&ref))
	parts := strings.Split(ref, ":")
	require.Len(t, parts, 3, "the card's ref names its topic")
	thread, err := strconv.Atoi(parts[2])
	require.NoError(t, err)
	name, ok := b.tg.Topic(salesChat, thread)
	require.True(t, ok)
	require.Equal(t, "#"+itoa(leadID)+" · Anna Petrova", name)
	card := b.waitSent(salesChat, 1)[0]
	require.Equal(t, parts[2], card.Params["message_thread_id"])

	b.say(en(telegramtest.Text(chat, chat, "Is delivery free?")))
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "Is delivery free?") == 1 })
	for _, c := range b.tg.Sent(salesChat) {
		if strings.Contains(c.Text, "Is delivery free?") {
			require.Equal(t, parts[2], c.Params["message_thread_id"], "in the lead's topic")
		}
	}

	// Vera writes in the topic (not a reply to anything); Telegram
	// delivers it twice.
	u := b.tg.InTopic(salesChat, 9003, thread, "Yes, over 5 000 roubles.")
	u.UpdateID = int(b.nextID.Add(1))
	b.say(u)
	b.say(u)
	b.waitFor(func() bool { return countContaining(b.textsTo(chat), "Yes, over 5 000 roubles.") == 1 })
	require.Contains(t, b.textsTo(chat), "Vera:\nYes, over 5 000 roubles.")
	require.Equal(t, "Vera", b.owner(leadID))
	b.waitFor(func() bool { return countContaining(b.groupTexts(), "✓ Delivered") == 1 })

	n := len(b.tg.Sent(chat))
	b.say(b.tg.InTopic(salesChat, 9003, thread, "note: asked about delivery"))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM messages WHERE direction = 'note'`))
	time.Sleep(100 * time.Millisecond)
	require.Len(t, b.tg.Sent(chat), n)
}

// TestCustomerPhotoUploadedToThread: a photo the customer sends after the
// flow is named in the card's thread and uploaded there as a file.
func TestCustomerPhotoUploadedToThread(t *testing.T) {
	t.Parallel()
	b, sl, _ := setupSlack(t)
	const chat = 1513
	b.hotDialogueTo(chat)
	card := waitCalls(t, sl, "chat.postMessage", 1)[0]
	jpeg := []byte("\xff\xd8\xff\xe0 a small jpeg")
	b.tg.AddFile("ph-big", "photos/file_7.jpg", jpeg)
	b.say(en(photo(chat, "ph-big", "the broken part")))
	th := waitThread(t, sl, card.ChannelID, card.TS, 1)
	require.Contains(t, th[0].Text, "📷 photo the broken part")
	b.waitFor(func() bool { return len(sl.Uploads()) == 1 })
	up := sl.Uploads()[0]
	require.Equal(t, jpeg, up.Data)
	require.Equal(t, "file_7.jpg", up.Filename)
	require.Equal(t, card.ChannelID, up.Channel)
	require.Equal(t, card.TS, up.ThreadTS)
}
