package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// TestForgetReachesEveryCard is /forget end to end: a hot lead's card is
// in Slack and in the Telegram sales group, a manager found the customer
// by the first letters of their surname, and the customer says /forget.
// Once the jobs have run, the cards say the data are erased and hold no
// personal value, and no column of the schema, no Redis key of the test
// and no final message in the Slack channel or the sales group holds the
// customer's name, username, phone or typed text, nor a prefix of three
// characters or more of one, while another customer's are all there.
//
// Not scanned: the customer's own chat (what the bot said to them there)
// and the manager's private chat with the bot, where the /find answer
// named the customer; Voronka keeps no reference to either message.
func TestForgetReachesEveryCard(t *testing.T) {
	t.Parallel()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	b := setupWithDeps(t, salesConfig, map[string]string{
		"SLACK_BOT_TOKEN":        "xoxb-test",
		"SLACK_SIGNING_SECRET":   slackSecret,
		"SLACK_SALES_CHANNEL":    "CSALES",
		"SLACK_API_URL":          sl.URL(),
		"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat),
	}, clock)
	b.serving(clock)

	// Another customer, who stays.
	const keptChat, goneChat = 1701, 1702
	b.hotDialogueTo(keptChat)
	kept := []string{"Anna", "Petrova", "anna_p", "+79161234567", "call me"}

	const first, last, username, phone, comment = "Zyxwvut", "Qzyxovna", "zyx_user", "+79990001122", "Jqxplan is my secret"
	who := func(u tgbotapi.Update) tgbotapi.Update { return telegramtest.WithName(en(u), first, last, username) }
	for _, u := range []tgbotapi.Update{
		telegramtest.Text(goneChat, goneChat, "/start s-fb__c-spring"),
		telegramtest.Callback(goneChat, goneChat, 1, "need:buy"),
		telegramtest.Text(goneChat, goneChat, "2 млн"),
		telegramtest.Callback(goneChat, goneChat, 2, "timeline:week"),
		telegramtest.Callback(goneChat, goneChat, 3, "role:decision_maker"),
		telegramtest.Callback(goneChat, goneChat, 4, "company_size:!skip"),
		telegramtest.Contact(goneChat, goneChat, goneChat, phone),
		telegramtest.Text(goneChat, goneChat, comment),
	} {
		b.say(who(u))
	}
	goneLead := b.leadID(goneChat)

	// Both cards in both channels, the customer's name on them.
	waitCalls(t, sl, "chat.postMessage", 2)
	b.waitSent(salesChat, 2)
	refs := map[string]string{}
	b.waitFor(func() bool {
		refs = b.cardRefs(goneLead)
		return len(refs) == 2 && b.count(`SELECT count(*) FROM leads WHERE alerted_at IS NOT NULL`) == 2
	})
	slackCard, ok := sl.MessageByRef(refs["slack"])
	require.True(t, ok)
	require.Contains(t, slackCard.Text, first)
	groupChat, groupMsg := splitRef(t, refs["telegram"])
	text, _, _ := b.tg.Message(groupChat, groupMsg)
	require.Contains(t, text, phone)

	// Anna, head of sales, looks the customer up by three letters.
	b.say(telegramtest.Text(9001, 9001, "/find Qzy"))
	require.Contains(t, b.lastText(9001), first+" "+last)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE command = 'find' AND $1 = ANY(lead_ids)`, goneLead))

	// The scan sees the customer where they are before the erasure.
	seen := map[string]bool{}
	for place, text := range b.everything(t, sl) {
		if strings.Contains(text, "Qzyx") {
			seen[strings.SplitN(place, ":", 2)[0]] = true
		}
	}
	require.Equal(t, map[string]bool{"db": true, "slack": true, "telegram": true}, seen)

	b.say(en(telegramtest.Text(goneChat, goneChat, "/forget")))
	require.Contains(t, b.lastText(goneChat), "erased")

	// The card_update jobs queued with the erasure redraw both cards.
	b.waitFor(func() bool {
		m, _ := sl.MessageByRef(refs["slack"])
		text, _, _ := b.tg.Message(groupChat, groupMsg)
		// In the team's language (language: en), as the card's answers are.
		return strings.Contains(slackfake.Texts(m.Blocks), "🔒 Customer data erased at their request") &&
			strings.Contains(text, "🔒 Customer data erased at their request")
	})
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')`) == 0
	})
	require.Zero(t, b.count(`SELECT count(*) FROM river_job WHERE state = 'discarded'`))
	m, _ := sl.MessageByRef(refs["slack"])
	require.Contains(t, slackfake.Texts(m.Blocks), fmt.Sprintf("Lead #%d", goneLead))
	text, markup, _ := b.tg.Message(groupChat, groupMsg)
	require.Contains(t, text, fmt.Sprintf("Lead #%d", goneLead))
	require.NotContains(t, markup, "t.me", "no link to the customer")

	// What is left anywhere: the database, Redis, every message in the
	// Slack channel and the sales group as it stands now.
	// The phone also as people type it, by its digits; short runs of
	// digits are in random ids and times, so only the whole of them.
	needles := []string{strings.TrimPrefix(phone, "+7")}
	for _, v := range []string{first, last, username, phone, comment} {
		r := []rune(v)
		for n := 3; n <= len(r); n++ {
			p := string(r[:n])
			if !sharedWith(p, kept) { // "+79" is the other customer's too
				needles = append(needles, p)
			}
		}
	}
	places := b.everything(t, sl)
	for _, n := range needles {
		for place, text := range places {
			require.NotContains(t, strings.ToLower(text), strings.ToLower(n), "%q in %s", n, place)
		}
	}
	for _, v := range kept {
		require.True(t, func() bool {
			for place, text := range places {
				if strings.HasPrefix(place, "db:") && strings.Contains(text, v) {
					return true
				}
			}
			return false
		}(), "%q of another customer is gone from the database", v)
	}
	keptRefs := b.cardRefs(b.leadID(keptChat))
	keptCard, _ := sl.MessageByRef(keptRefs["slack"])
	require.Contains(t, keptCard.Text, "Anna Petrova")
	kc, km := splitRef(t, keptRefs["telegram"])
	text, _, _ = b.tg.Message(kc, km)
	require.Contains(t, text, "+79161234567")

	// Their answers are gone, so /start does not say "your answers are
	// with us": it begins a new request.
	b.say(en(telegramtest.Text(goneChat, goneChat, "/start")))
	require.Contains(t, b.lastText(goneChat), "What brings you here?")
	require.NotEqual(t, goneLead, b.leadID(goneChat), "a new lead")
}

// cardRefs is channel -> ref of the lead's cards.
func (b *bundle) cardRefs(leadID int64) map[string]string {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `SELECT channel, ref FROM lead_cards WHERE lead_id = $1`, leadID)
	require.NoError(b.t, err)
	refs := map[string]string{}
	for rows.Next() {
		var ch, ref string
		require.NoError(b.t, rows.Scan(&ch, &ref))
		refs[ch] = ref
	}
	require.NoError(b.t, rows.Err())
	return refs
}

func splitRef(t *testing.T, ref string) (int64, int) {
	t.Helper()
	var chat int64
	var msg int
	_, err := fmt.Sscanf(ref, "%d:%d", &chat, &msg)
	require.NoError(t, err, ref)
	return chat, msg
}

func sharedWith(p string, values []string) bool {
	for _, v := range values {
		if strings.Contains(strings.ToLower(v), strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// everything is the text of every place a customer's data could be left:
// "db:table.column" (every value of every column of the test's schema as
// text, joined), "redis:key" (the value of every key of the test's
// prefix), "slack:channel/ts" (each message's text and blocks as they
// stand) and "telegram:message id" (each message in the sales group, text
// and keyboard, after its edits).
func (b *bundle) everything(t *testing.T, sl *slackfake.Server) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	rows, err := b.db.Pool.Query(ctx, `SELECT c.table_name, c.column_name
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`)
	require.NoError(t, err)
	type column struct{ Table, Name string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	require.NoError(t, err)
	require.Greater(t, len(cols), 50, "the scan must see the whole schema")
	for _, c := range cols {
		var all *string
		q := fmt.Sprintf(`SELECT string_agg(%s::text, E'\n') FROM %s`,
			pgx.Identifier{c.Name}.Sanitize(), pgx.Identifier{c.Table}.Sanitize())
		require.NoError(t, b.db.Pool.QueryRow(ctx, q).Scan(&all))
		if all != nil {
			out["db:"+c.Table+"."+c.Name] = *all
		}
	}

	keys, err := b.rdb.Keys(ctx, b.prefix+"*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		var v string
		switch typ := b.rdb.Type(ctx, k).Val(); typ {
		case "string":
			v = b.rdb.Get(ctx, k).Val()
		case "hash":
			v = fmt.Sprint(b.rdb.HGetAll(ctx, k).Val())
		case "list":
			v = strings.Join(b.rdb.LRange(ctx, k, 0, -1).Val(), "\n")
		case "set":
			v = strings.Join(b.rdb.SMembers(ctx, k).Val(), "\n")
		case "zset":
			v = strings.Join(b.rdb.ZRange(ctx, k, 0, -1).Val(), "\n")
		case "none":
			continue
		default:
			t.Fatalf("redis key %s of type %s is not scanned", k, typ)
		}
		out["redis:"+k] = k + "\n" + v
	}

	for _, c := range sl.Calls() {
		if c.Method != "chat.postMessage" {
			continue
		}
		if m, ok := sl.Message(c.ChannelID, c.TS); ok {
			out["slack:"+c.ChannelID+"/"+c.TS] = m.Text + "\n" + string(m.Blocks) + "\n" + string(m.Metadata)
		}
	}
	for id := 1; id <= b.tg.LastMessageID(salesChat); id++ {
		if text, markup, ok := b.tg.Message(salesChat, id); ok {
			out[fmt.Sprintf("telegram:%d", id)] = text + "\n" + markup
		}
	}
	require.NotEmpty(t, out)
	return out
}
