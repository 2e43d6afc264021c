package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// deskConfig is salesConfig in Moscow time: the team's zone, so that the
// reps' call-back times are Moscow's.
const deskConfig = "timezone: Europe/Moscow\n" + salesConfig

// deskBundle is an App with a Telegram sales group, serving, its clock
// on Friday 4 December 2026, 12:00 in Moscow.
type deskBundle struct {
	*bundle
	clock *fakeClock
}

func setupDesk(t *testing.T) *deskBundle {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	b := setupWithDeps(t, deskConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	return &deskBundle{bundle: b, clock: clock}
}

// dm sends text as a team member in their private chat with the bot and
// returns the bot's answers there.
func (b *deskBundle) dm(user int64, text string) []string {
	b.t.Helper()
	before := len(b.tg.Sent(user))
	b.say(telegramtest.Text(user, user, text))
	var out []string
	for _, c := range b.tg.Sent(user)[before:] {
		out = append(out, c.Text)
	}
	return out
}

// hotClaimed walks a customer to a hot lead and claims it for rep in the
// sales group; it returns the lead's id and its card's message id.
func (b *deskBundle) hotClaimed(chat, rep int64) (int64, int) {
	b.t.Helper()
	cards := len(b.tg.Sent(salesChat))
	b.hotDialogueTo(chat)
	b.waitSent(salesChat, cards+1)
	id := b.leadID(chat)
	msgID := b.tg.LastMessageID(salesChat)
	b.say(b.tg.Press(salesChat, rep, msgID, fmt.Sprintf("vk:claim:%d", id)))
	require.Equal(b.t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND claimed_at IS NOT NULL`, id))
	return id, msgID
}

// cardSays waits until the card's message in the sales group says want.
func (b *deskBundle) cardSays(msgID int, want string) {
	b.t.Helper()
	b.waitFor(func() bool {
		text, _, _ := b.tg.Message(salesChat, msgID)
		return strings.Contains(text, want)
	})
}

// TestDeskNotesReassignUnclaimAndMy: /my lists exactly the rep's open
// leads, oldest first; a note is kept and shown under /lead; a rep may
// not reassign, a head may, and the card follows; unclaim puts the lead
// back with its Claim button.
func TestDeskNotesReassignUnclaimAndMy(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris, vera, anna = 9002, 9003, 9001
	first, firstCard := b.hotClaimed(811, boris)
	b.clock.Add(time.Hour)
	second, _ := b.hotClaimed(812, boris)
	third, _ := b.hotClaimed(813, vera)
	b.clock.Add(30 * time.Minute)

	my := b.dm(boris, "/my")
	require.Len(t, my, 1)
	lines := strings.Split(my[0], "\n")
	require.Equal(t, "Your open leads (2), oldest first:", lines[0])
	require.Len(t, lines, 3)
	require.True(t, strings.HasPrefix(lines[1], fmt.Sprintf("#%d Anna Petrova · 1 h 30 min · Qualified · no call-back", first)), lines[1])
	require.True(t, strings.HasPrefix(lines[2], fmt.Sprintf("#%d ", second)), lines[2])
	require.NotContains(t, my[0], fmt.Sprintf("#%d ", third), "Vera's lead is not Boris's")

	// A note, shown under /lead, never to the customer.
	customerMsgs := len(b.tg.Sent(811))
	require.Equal(t, []string{fmt.Sprintf("📝 Note added to lead #%d.", first)}, b.dm(boris, fmt.Sprintf("/note %d wants a discount on 3 seats", first)))
	lead := b.dm(boris, fmt.Sprintf("/lead %d", first))
	require.Len(t, lead, 1)
	require.Contains(t, lead[0], "Notes:\n  13:30 Boris: wants a discount on 3 seats")
	require.Len(t, b.tg.Sent(811), customerMsgs, "the customer sees no note")
	require.Equal(t, []string{"Usage: /note <id> <text>"}, b.dm(boris, "/note 12"))

	// Reassign: heads only; the card and /my follow.
	forbidden := b.dm(boris, fmt.Sprintf("/assign %d Vera", first))
	require.Equal(t, []string{fmt.Sprintf("only a head of sales reassigns leads; /unclaim %d gives yours back", first)}, forbidden)
	require.Equal(t, []string{fmt.Sprintf("👤 Lead #%d is Vera's now.", first)}, b.dm(anna, fmt.Sprintf("/assign %d vera", first)))
	require.Equal(t, "Vera", b.owner(first))
	b.cardSays(firstCard, "Vera")
	b.waitFor(func() bool { return strings.Contains(b.lastText(811), "Vera") })
	require.Contains(t, b.dm(boris, "/my")[0], "Your open leads (1)")
	require.Contains(t, b.dm(vera, "/my")[0], "Your open leads (2)")
	require.Contains(t, b.dm(anna, fmt.Sprintf("/assign %d olga", first))[0], "nobody called \"olga\" in the team: Anna, Boris, Vera")

	// Unclaim: Boris cannot give back Vera's lead; Vera can, and the card
	// offers Claim again (first_claim).
	require.Equal(t, []string{fmt.Sprintf("lead #%d is Vera's", first)}, b.dm(boris, fmt.Sprintf("/unclaim %d", first)))
	require.Equal(t, []string{fmt.Sprintf("↩️ Lead #%d is nobody's now: the next rep can claim it.", first)}, b.dm(vera, fmt.Sprintf("/unclaim %d", first)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND manager_id IS NULL AND claimed_at IS NULL`, first))
	b.waitFor(func() bool {
		_, markup, _ := b.tg.Message(salesChat, firstCard)
		return strings.Contains(markup, fmt.Sprintf("vk:claim:%d", first))
	})
	require.Contains(t, b.dm(vera, "/my")[0], "Your open leads (1)")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'unclaimed'`, first))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'reassigned'`, first))

	// A customer typing the commands learns nothing and changes nothing.
	before := b.count(`SELECT count(*) FROM notes`)
	b.say(en(telegramtest.Text(899, 899, fmt.Sprintf("/note %d hello", second))))
	require.Equal(t, before, b.count(`SELECT count(*) FROM notes`))
}

// TestDeskCallbackAcrossAWeekend: a call-back set on Friday for Monday
// 10:00 in the rep's zone reminds nobody over the weekend and the rep,
// with the card, on Monday at 10:00, once.
func TestDeskCallbackAcrossAWeekend(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris = 9002
	ctx := context.Background()
	id, _ := b.hotClaimed(821, boris)

	set := b.dm(boris, fmt.Sprintf("/callback %d mon 10:00", id))
	require.Equal(t, []string{fmt.Sprintf("⏰ I'll remind you to call back lead #%d on Mon 7 Dec 10:00 (Europe/Moscow).", id)}, set)
	require.Contains(t, b.dm(boris, "/my")[0], "call back 7 Dec 10:00")
	require.Contains(t, b.dm(boris, fmt.Sprintf("/callback %d yesterday 10:00", id))[0], "tomorrow 15:00")

	reminders := func() int {
		n := 0
		for _, c := range b.tg.Sent(salesChat) {
			if strings.HasPrefix(c.Text, "⏰ Call back now") {
				n++
			}
		}
		return n
	}
	for _, at := range []time.Time{
		time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC),  // Saturday 10:00
		time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC),  // Sunday 10:00
		time.Date(2026, 12, 7, 6, 59, 0, 0, time.UTC), // Monday 09:59
	} {
		b.clock.set(at)
		require.NoError(t, b.app.desk.SweepCallbacks(ctx, at))
	}
	require.Zero(t, b.count(`SELECT count(*) FROM events WHERE kind = 'callback_due'`))
	monday := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	b.clock.set(monday)
	require.NoError(t, b.app.desk.SweepCallbacks(ctx, monday))
	require.NoError(t, b.app.desk.SweepCallbacks(ctx, monday.Add(time.Minute)))
	b.waitFor(func() bool { return reminders() == 1 })
	var reminder telegramtest.Call
	for _, c := range b.tg.Sent(salesChat) {
		if strings.HasPrefix(c.Text, "⏰ Call back now") {
			reminder = c
		}
	}
	require.Contains(t, reminder.Text, fmt.Sprintf("lead #%d, as Boris planned for Mon 7 Dec 10:00", id))
	require.Contains(t, reminder.ReplyMarkup, fmt.Sprintf("vk:contacted:%d", id), "with the card's buttons")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM events WHERE kind = 'callback_due'`))
	require.NotContains(t, b.dm(boris, "/my")[0], "call back", "a reminded call-back is not the next one")
}

// warmDialogue walks a customer to a warm lead (35 points): pricing, a
// small budget, this month, an influencer, an email.
func warmDialogue(chat int64) []tgbotapi.Update {
	return []tgbotapi.Update{
		en(telegramtest.Text(chat, chat, "/start s-site")),
		en(telegramtest.Callback(chat, chat, 1, "need:pricing")),
		en(telegramtest.Text(chat, chat, "50000")),
		en(telegramtest.Callback(chat, chat, 2, "timeline:month")),
		en(telegramtest.Callback(chat, chat, 3, "role:influencer")),
		en(telegramtest.Callback(chat, chat, 4, "company_size:!skip")),
		en(telegramtest.Text(chat, chat, "warm@example.com")),
		en(telegramtest.Text(chat, chat, "later")),
	}
}

// TestWarmDigestAcrossAWeekend: with the Monday-Friday schedule, Monday's
// digest lists the warm leads of Friday after the digest, Saturday and
// Sunday that nobody claimed, each with a Claim button; a lead listed
// once is not listed again.
func TestWarmDigestAcrossAWeekend(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	ctx := context.Background()
	digests := func() []telegramtest.Call {
		var out []telegramtest.Call
		for _, c := range b.tg.Sent(salesChat) {
			if strings.HasPrefix(c.Text, "Warm leads since") {
				out = append(out, c)
			}
		}
		return out
	}
	warm := func(chat int64, at time.Time) int64 {
		b.clock.set(at)
		for _, u := range warmDialogue(chat) {
			b.say(u)
		}
		require.Equal(t, "warm", b.lead(chat).Temperature)
		return b.leadID(chat)
	}
	thursday := warm(831, time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC))
	friday10 := time.Date(2026, 12, 4, 7, 0, 0, 0, time.UTC)
	b.clock.set(friday10)
	require.NoError(t, b.app.desk.Digest(ctx, friday10))
	b.waitFor(func() bool { return len(digests()) == 1 })
	require.Contains(t, digests()[0].Text, fmt.Sprintf("#%d", thursday))
	firstDigest := b.tg.LastMessageID(salesChat)

	friday := warm(832, time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC))
	saturday := warm(833, time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC))
	claimed := warm(834, time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC))
	b.say(b.tg.Press(salesChat, 9003, firstDigest, fmt.Sprintf("vk:claim:%d", claimed)))
	require.Equal(t, "Vera", b.owner(claimed))
	// Claimed from the digest: the full card, to work the lead from.
	b.waitFor(func() bool {
		for _, c := range b.tg.Sent(salesChat) {
			if strings.Contains(c.ReplyMarkup, fmt.Sprintf("vk:contacted:%d", claimed)) && strings.Contains(c.Text, "Vera") {
				return true
			}
		}
		return false
	})
	// Recorded, so that the card follows the lead (the job records it
	// right after the post).
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM lead_cards WHERE lead_id = $1`, claimed) == 1 })

	monday10 := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	b.clock.set(monday10)
	require.NoError(t, b.app.desk.Digest(ctx, monday10))
	require.NoError(t, b.app.desk.Digest(ctx, monday10), "a tick run twice queues one digest")
	b.waitFor(func() bool { return len(digests()) == 2 })
	d := digests()[1]
	require.True(t, strings.HasPrefix(d.Text, "Warm leads since Fri 4 Dec 10:00 (2)"), d.Text)
	for _, id := range []int64{friday, saturday} {
		require.Contains(t, d.Text, fmt.Sprintf("#%d", id))
		require.Contains(t, d.ReplyMarkup, fmt.Sprintf("vk:claim:%d", id))
	}
	require.NotContains(t, d.Text, fmt.Sprintf("#%d ", thursday), "listed on Friday already")
	require.NotContains(t, d.Text, fmt.Sprintf("#%d ", claimed), "claimed since")
	time.Sleep(100 * time.Millisecond)
	require.Len(t, digests(), 2)
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestDeskInSlack: the same tools by /voronka, and its help lists what
// the member's role allows: /assign for a head, not for a rep. /my there
// agrees with an SQL count of the rep's open leads.
func TestDeskInSlack(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	at := b.clock.Now()
	_, repHelp := b.slash("UBORIS", "help", at, true)
	_, headHelp := b.slash("UANNA", "help", at, true)
	for _, c := range []string{"my", "note <id> <text>", "callback <id> <when>", "unclaim <id>"} {
		require.Contains(t, repHelp, "/voronka "+c+" ")
		require.Contains(t, headHelp, "/voronka "+c+" ")
	}
	require.NotContains(t, repHelp, "/voronka assign")
	require.Contains(t, headHelp, "/voronka assign <id> <name>")

	var borisID int64
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), `SELECT id FROM managers WHERE name = 'Boris'`).Scan(&borisID))
	open := b.count(`SELECT count(*) FROM leads WHERE manager_id = $1 AND stage IN ('qualified', 'contacted')`, borisID)
	status, my := b.slash("UBORIS", "my", at, true)
	require.Equal(t, 200, status)
	if open == 0 {
		require.Equal(t, "You have no open leads.", my)
	} else {
		require.Contains(t, my, fmt.Sprintf("Your open leads (%d), oldest first:", open))
		require.Len(t, strings.Split(my, "\n"), open+1)
	}

	var leadID int64
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), `SELECT id FROM leads WHERE stage IN ('qualified', 'contacted')
		ORDER BY id LIMIT 1`).Scan(&leadID))
	_, noted := b.slash("UANNA", fmt.Sprintf("note %d called, no answer", leadID), at, true)
	require.Equal(t, fmt.Sprintf("📝 Note added to lead #%d.", leadID), noted)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM notes WHERE lead_id = $1 AND author = 'Anna' AND text = 'called, no answer'`, leadID))
}

// TestTeamMemberIsNeverACustomer: a team member's /start, /help, text and
// button in their private chat open no contact and no lead; /help lists
// the commands of their role (/assign and /model for a head only).
func TestTeamMemberIsNeverACustomer(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris, anna = 9002, 9001
	repHelp := b.dm(boris, "/start")
	require.Len(t, repHelp, 1)
	require.True(t, strings.HasPrefix(repHelp[0], "Voronka for the team: you are Boris (rep). Your commands:"), repHelp[0])
	for _, c := range []string{"/stats [period]", "/lead <id>", "/my —", "/note <id> <text>", "/callback <id> <when>", "/unclaim <id>"} {
		require.Contains(t, repHelp[0], c)
	}
	require.NotContains(t, repHelp[0], "/assign")
	require.NotContains(t, repHelp[0], "/model")
	require.NotContains(t, repHelp[0], "/ab ")
	require.Equal(t, repHelp, b.dm(boris, "/help"))
	headHelp := b.dm(anna, "/help")[0]
	require.Contains(t, headHelp, "you are Anna (head)")
	require.Contains(t, headHelp, "/assign <id> <name>")
	require.Contains(t, headHelp, "/model")

	require.Equal(t, []string{"This chat takes the team's commands, not customers' messages. /help lists yours."}, b.dm(boris, "hello"))
	require.Equal(t, []string{"Unknown command /manager. /help lists yours."}, b.dm(boris, "/manager"))
	b.say(telegramtest.Callback(boris, boris, 1, "need:buy"))
	require.Zero(t, b.count(`SELECT count(*) FROM contacts WHERE telegram_user_id IN ($1, $2)`, boris, anna))
	require.Zero(t, b.count(`SELECT count(*) FROM leads`))
}

// group sends text to the sales group as user and returns what the bot
// posted there in answer.
func (b *deskBundle) group(user int64, text string) []telegramtest.Call {
	b.t.Helper()
	before := len(b.tg.Sent(salesChat))
	b.say(telegramtest.Text(salesChat, user, text))
	var out []telegramtest.Call
	for _, c := range b.tg.Sent(salesChat)[before:] {
		if c.Method != "editMessageText" { // a card updated meanwhile
			out = append(out, c)
		}
	}
	return out
}

// TestSalesGroupCommands: in the sales group a team member's /help lists
// their commands, /lead shows the card with the buttons of its stage,
// /claim claims, a report is answered for their role, an unknown command
// gets one line; a stranger's command gets nothing.
func TestSalesGroupCommands(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris, stranger = 9002, 4242
	cards := len(b.tg.Sent(salesChat))
	b.hotDialogueTo(841)
	b.waitSent(salesChat, cards+1)
	id := b.leadID(841)

	help := b.group(boris, "/help")
	require.Len(t, help, 1)
	require.Contains(t, help[0].Text, "you are Boris (rep)")
	require.Contains(t, help[0].Text, "/claim <id>")

	lead := b.group(boris, fmt.Sprintf("/lead %d", id))
	require.Len(t, lead, 1)
	require.Contains(t, lead[0].Text, "Anna Petrova")
	require.Contains(t, lead[0].ReplyMarkup, fmt.Sprintf("vk:claim:%d", id))
	require.Equal(t, "Lead #999999 not found.", b.group(boris, "/lead 999999")[0].Text)

	require.Equal(t, fmt.Sprintf("🙋 Boris claimed lead #%d.", id), b.group(boris, fmt.Sprintf("/claim %d", id))[0].Text)
	require.Equal(t, "Boris", b.owner(id))
	lead = b.group(boris, fmt.Sprintf("/lead %d", id))
	require.Contains(t, lead[0].ReplyMarkup, fmt.Sprintf("vk:contacted:%d", id), "the buttons of a claimed lead")
	require.NotContains(t, lead[0].ReplyMarkup, "vk:claim")

	stats := b.group(boris, "/stats today")
	require.Len(t, stats, 1)
	require.Contains(t, stats[0].Text, "Stats")
	require.Contains(t, b.group(boris, "/my")[0].Text, fmt.Sprintf("#%d Anna Petrova", id))
	require.Equal(t, "Unknown command /frobnicate. Here: /lead <id>, /claim <id>, /my, /note, /callback, /stats and the other reports; /help lists them.",
		b.group(boris, "/frobnicate")[0].Text)
	require.Empty(t, b.group(stranger, "/stats"))
	require.Empty(t, b.group(stranger, "/help"))
}

// TestCommandMenusPerAudience: at start the bot sets its menus with
// setMyCommands, one scope an audience: the customers' commands in every
// private chat (in Russian by default, English for English clients),
// each team member's own list in their chat (the head's with /assign),
// the group's in the sales group. A member's /start sets theirs again.
func TestCommandMenusPerAudience(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	menus := func() map[string]telegramtest.Call {
		out := map[string]telegramtest.Call{}
		for _, c := range b.tg.Calls() {
			if c.Method == "setMyCommands" {
				out[c.Params["scope"]+"|"+c.Params["language_code"]] = c
			}
		}
		return out
	}
	b.waitFor(func() bool { return len(menus()) == 7 })
	m := menus()
	customers := m[`{"type":"all_private_chats"}|`].Params["commands"]
	for _, c := range []string{`"command":"start"`, `"command":"help"`, `"command":"stop"`, `"command":"forget"`, `"command":"manager"`, "Удалить мои данные", "Связаться с менеджером"} {
		require.Contains(t, customers, c)
	}
	require.NotContains(t, customers, `"command":"stats"`)
	require.Contains(t, m[`{"type":"all_private_chats"}|en`].Params["commands"], "Delete my data")
	require.Contains(t, m[`{"type":"all_private_chats"}|ru`].Params["commands"], "Удалить мои данные")

	rep := m[`{"type":"chat","chat_id":9002}|`].Params["commands"]
	head := m[`{"type":"chat","chat_id":9001}|`].Params["commands"]
	for _, c := range []string{`"command":"my"`, `"command":"note"`, `"command":"callback"`, `"command":"stats"`} {
		require.Contains(t, rep, c)
		require.Contains(t, head, c)
	}
	require.NotContains(t, rep, `"command":"assign"`)
	require.Contains(t, head, `"command":"assign"`)
	require.NotContains(t, rep, `"command":"stop"`, "a team member never sees the customers' menu")
	group := m[fmt.Sprintf(`{"type":"chat","chat_id":%d}|`, salesChat)].Params["commands"]
	for _, c := range []string{`"command":"lead"`, `"command":"claim"`, `"command":"won"`, `"command":"help"`} {
		require.Contains(t, group, c)
	}

	before := len(b.tg.Calls())
	b.dm(9003, "/start")
	var again int
	for _, c := range b.tg.Calls()[before:] {
		if c.Method == "setMyCommands" && c.Params["scope"] == `{"type":"chat","chat_id":9003}` {
			again++
		}
	}
	require.Equal(t, 1, again)
}

// TestSlackLeadShowsTheCard: /voronka lead N answers with the lead's card
// and the buttons of its stage (none for a lost one), the timeline under
// it.
func TestSlackLeadShowsTheCard(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	open, lost := b.fx.Leads["L2"], b.fx.Leads["L3"] // claimed by Vera; lost
	blocks := func(id int64) string {
		body := slashForm("UANNA", fmt.Sprintf("lead %d", id))
		req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/commands", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range slack.Sign(slackSecret, body, b.clock.Now()) {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		var out struct {
			Text   string
			Blocks json.RawMessage
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.NotEmpty(t, out.Blocks)
		return string(out.Blocks)
	}
	card := blocks(open)
	require.Contains(t, card, `"action_id":"contacted"`)
	require.Contains(t, card, `"action_id":"lost"`)
	require.NotContains(t, card, `"action_id":"claim"`)
	require.Contains(t, card, fmt.Sprintf("Lead #%d", open))
	closed := blocks(lost)
	require.NotContains(t, closed, `"action_id":"claim"`)
	require.NotContains(t, closed, `"action_id":"won"`)
	require.Contains(t, closed, `"action_id":"reopen"`)
	require.Contains(t, closed, "no budget")
}

// TestCallbackButtonOnTheCard: a claimed card's Call back button offers
// quick times in the rep's zone; a pick schedules the call-back and puts
// the card's buttons back.
func TestCallbackButtonOnTheCard(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris = 9002
	id, card := b.hotClaimed(851, boris)
	b.waitFor(func() bool {
		_, markup, _ := b.tg.Message(salesChat, card)
		return strings.Contains(markup, fmt.Sprintf("vk:cb:%d", id))
	})
	b.say(b.tg.Press(salesChat, boris, card, fmt.Sprintf("vk:cb:%d", id)))
	_, markup, _ := b.tg.Message(salesChat, card)
	// Friday 12:00 in Moscow: in 1h, today 18:00, tomorrow 10:00 and 15:00, Monday 10:00.
	for _, c := range []string{"⏰ in 1h", "⏰ today 18:00", "⏰ tomorrow 15:00", "⏰ mon 10:00", "↩ Back"} {
		require.Contains(t, markup, c)
	}
	require.NotContains(t, markup, fmt.Sprintf("vk:contacted:%d", id))
	b.say(b.tg.Press(salesChat, boris, card, fmt.Sprintf("vk:cbat:%d:cwlb:tomorrow 15.00", id)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM callbacks WHERE lead_id = $1 AND due_at = $2`, id,
		time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)))
	_, markup, _ = b.tg.Message(salesChat, card)
	require.Contains(t, markup, fmt.Sprintf("vk:contacted:%d", id), "the card's buttons are back")
	require.Contains(t, markup, fmt.Sprintf("vk:cb:%d", id))
	require.Contains(t, b.dm(boris, "/my")[0], "call back 5 Dec 15:00")
}

// TestReopenALostLead: a lost card offers Reopen; the rep's press brings
// the lead back to where it was and the card gets its buttons back.
func TestReopenALostLead(t *testing.T) {
	t.Parallel()
	b := setupDesk(t)
	const boris = 9002
	id, card := b.hotClaimed(861, boris)
	b.say(b.tg.Press(salesChat, boris, card, fmt.Sprintf("vk:lost:%d", id)))
	b.say(b.tg.Press(salesChat, boris, card, fmt.Sprintf("vk:lostr:%d:0", id)))
	require.Equal(t, "lost", b.lead(861).Stage)
	b.waitFor(func() bool {
		_, markup, _ := b.tg.Message(salesChat, card)
		return strings.Contains(markup, fmt.Sprintf("vk:reopen:%d", id)) && !strings.Contains(markup, "vk:won")
	})
	require.Contains(t, b.group(boris, fmt.Sprintf("/lead %d", id))[0].ReplyMarkup, fmt.Sprintf("vk:reopen:%d", id))
	b.say(b.tg.Press(salesChat, 9003, card, fmt.Sprintf("vk:reopen:%d", id)))
	require.Equal(t, "lost", b.lead(861).Stage, "Vera may not reopen Boris's lead")
	b.say(b.tg.Press(salesChat, boris, card, fmt.Sprintf("vk:reopen:%d", id)))
	require.Equal(t, "qualified", b.lead(861).Stage)
	b.waitFor(func() bool {
		_, markup, _ := b.tg.Message(salesChat, card)
		return strings.Contains(markup, fmt.Sprintf("vk:contacted:%d", id)) && !strings.Contains(markup, "vk:reopen")
	})
}

// TestSlackCallbackMenu: a claimed card in Slack has a Call back menu; a
// pick schedules the call-back in the rep's zone and says when.
func TestSlackCallbackMenu(t *testing.T) {
	t.Parallel()
	b, sl, clock := setupSlack(t)
	const chat = 951
	b.hotDialogueTo(chat)
	leadID := b.leadID(chat)
	post := waitCalls(t, sl, "chat.postMessage", 1)[0]
	require.NotContains(t, string(post.Blocks), `"action_id":"callback"`, "not before the claim")
	press, ok := post.Press("UBORIS", "claim")
	require.True(t, ok)
	require.Equal(t, http.StatusOK, b.interact(press.Body(), clock.Now()))
	update := waitCalls(t, sl, "chat.update", 1)[0]
	require.Contains(t, string(update.Blocks), `"action_id":"callback"`)
	require.Contains(t, string(update.Blocks), fmt.Sprintf(`"value":"%d|tomorrow 15:00"`, leadID))

	pick := press
	pick.ActionID, pick.Value, pick.Selected = "callback", "", fmt.Sprintf("%d|in 3h", leadID)
	pick.TriggerID, pick.ActionTS = "trigger.pick", "1700000000.000200"
	require.Equal(t, http.StatusOK, b.interact(pick.Body(), clock.Now()))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM callbacks WHERE lead_id = $1 AND due_at = $2`, leadID, clock.Now().Add(3*time.Hour)))
	eph := waitCalls(t, sl, "chat.postEphemeral", 1)[0]
	require.Contains(t, eph.Params["text"], fmt.Sprintf("I'll remind you to call back lead #%d on ", leadID))

	// Vera, whose lead it is not, is told so.
	pick.UserID, pick.TriggerID, pick.ActionTS = "UVERA", "trigger.vera", "1700000000.000300"
	require.Equal(t, http.StatusOK, b.interact(pick.Body(), clock.Now()))
	eph = waitCalls(t, sl, "chat.postEphemeral", 2)[1]
	require.Contains(t, eph.Params["text"], "someone else's")
}
