package slack_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/crm"
)

var moscow = time.FixedZone("MSK", 3*60*60)

// notifierBundle is a Notifier on a fake Slack whose waits go to a fake
// clock and whose limiter records what it was asked.
type notifierBundle struct {
	srv     *slackfake.Server
	n       *slack.Notifier
	clock   *fakeClock
	limiter *recordingLimiter
}

func setupNotifier(t *testing.T, opts slack.Options) notifierBundle {
	t.Helper()
	srv := slackfake.NewServer(t)
	clock := newFakeClock()
	limiter := &recordingLimiter{next: bot.NewLocalLimiter(clock.Now)}
	opts.Sleep = clock.Sleep
	opts.Logger = testLogger(t)
	opts.TimeZone = moscow
	return notifierBundle{
		srv:     srv,
		n:       slack.NewNotifier(slack.NewClient(slackfake.Token, srv.URL(), nil), "#sales", limiter, opts),
		clock:   clock,
		limiter: limiter,
	}
}

func testCard(now time.Time) *crm.LeadCard {
	qualified := now.Add(-10 * time.Minute)
	return &crm.LeadCard{
		Lead: crm.Lead{
			ID: 42, Stage: crm.StageQualified, Score: 75, Temperature: crm.Hot, FlowID: "qualify", FlowVersion: 1,
			Attribution: crm.Attribution{Source: "google", Medium: "cpc", Campaign: "black_friday"},
			CreatedAt:   now.Add(-12 * time.Minute), QualifiedAt: &qualified,
		},
		Contact: crm.Contact{ID: 7, TelegramUserID: 555, FirstName: "Ivan", LastName: "Petrov", Username: "ivanp", Phone: "+79991234567"},
		Answers: []crm.CardAnswer{{Question: "Budget", Value: "1500000", Score: 30}},
		Now:     now,
	}
}

func actionIDs(buttons []slackfake.Button) []string {
	out := []string{}
	for _, b := range buttons {
		out = append(out, b.ActionID)
	}
	return out
}

func TestNotifierChannel(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{})
	var n crm.SalesNotifier = b.n
	require.Equal(t, "slack", n.Channel())
}

func TestPostCardThenUpdateInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	card := testCard(b.clock.Now())

	ref, err := b.n.PostCard(ctx, card)
	require.NoError(t, err)

	posts := b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 1)
	post := posts[0]
	require.Equal(t, "CSALES:"+post.TS, ref, "the ref names the channel id Slack answered with")
	require.Equal(t, "#sales", post.Channel)
	require.Equal(t, "🔥 Hot lead: Ivan Petrov, score 75, qualified", post.Text, "a plain-text fallback")
	require.Contains(t, post.Texts(), "🔥 Ivan Petrov")
	require.Contains(t, post.Texts(), "Budget: 1\u202f500\u202f000 (+30)")
	require.Contains(t, post.Texts(), "*Arrived*\n12 min ago · 14:05")
	require.Equal(t, []string{"claim", "open_telegram"}, actionIDs(post.Buttons()))
	require.Equal(t, "false", post.Params["unfurl_links"])

	card.Assignee, card.Claimed = &anna, true
	claimedAt := b.clock.Now()
	card.ClaimedAt = &claimedAt
	require.NoError(t, b.n.UpdateCard(ctx, ref, card))

	updates := b.srv.CallsTo("chat.update")
	require.Len(t, updates, 1)
	require.Equal(t, "CSALES", updates[0].Channel, "chat.update addresses the channel id")
	require.Equal(t, post.TS, updates[0].TS)

	msg, ok := b.srv.MessageByRef(ref)
	require.True(t, ok)
	require.Equal(t, 1, msg.Updates)
	require.Contains(t, msg.Texts(), "Claimed by Anna at 14:17")
	require.Equal(t, []string{"contacted", "won", "lost", "open_telegram"}, actionIDs(msg.Buttons()))
	require.Len(t, b.srv.CallsTo("chat.postMessage"), 1, "an update posts nothing new")
}

func TestUpdateCardErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	card := testCard(b.clock.Now())

	err := b.n.UpdateCard(ctx, "CSALES:1767225600.999999", card)
	require.Error(t, err)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err), "a card gone from Slack is ENOTFOUND: %v", err)
	var se slackapi.SlackErrorResponse
	require.ErrorAs(t, err, &se, "the Slack error stays in the chain")
	require.Equal(t, "message_not_found", se.Err)

	err = b.n.UpdateCard(ctx, "no-colon", card)
	require.Equal(t, crm.EINVALID, crm.ErrorCode(err))
	require.Equal(t, 1, b.srv.Attempts("chat.update"), "a bad ref makes no call")
}

func TestEscalateInThreadAndChannel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	card := testCard(b.clock.Now())
	ref, err := b.n.PostCard(ctx, card)
	require.NoError(t, err)
	cardTS := b.srv.CallsTo("chat.postMessage")[0].TS

	card.Escalations = 1
	heads := []crm.Manager{anna, {Name: "Gleb", SlackID: "U0GLEB"}}
	require.NoError(t, b.n.Escalate(ctx, ref, card, heads))

	posts := b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 2)
	esc := posts[1]
	require.Equal(t, "CSALES", esc.Channel)
	require.Equal(t, cardTS, esc.ThreadTS, "under the card")
	require.True(t, esc.Broadcast, "and in the channel")
	require.Equal(t, "⏰ Unclaimed for 10 min: 🔥 Ivan Petrov — <@U0ANNA> <@U0GLEB>", esc.Text)
	require.Equal(t, []string{"claim", "open_telegram"}, actionIDs(esc.Buttons()), "the same buttons as the card")

	// Without a card, the escalation goes to the channel on its own.
	require.NoError(t, b.n.Escalate(ctx, "", card, heads))
	posts = b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 3)
	require.Equal(t, "#sales", posts[2].Channel)
	require.Empty(t, posts[2].ThreadTS)
	require.False(t, posts[2].Broadcast)
}

func TestRemindInThread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	card := testCard(b.clock.Now())
	ref, err := b.n.PostCard(ctx, card)
	require.NoError(t, err)

	claimedAt := b.clock.Now().Add(-20 * time.Minute)
	card.Assignee, card.Claimed, card.ClaimedAt = &boris, true, &claimedAt
	require.NoError(t, b.n.Remind(ctx, ref, card, boris))

	posts := b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 2)
	rem := posts[1]
	require.Equal(t, posts[0].TS, rem.ThreadTS)
	require.False(t, rem.Broadcast, "a reminder is for the rep, not the channel")
	require.Contains(t, rem.Text, "<@U0BORIS>")
	require.Contains(t, rem.Text, "claimed 20 min ago")
	require.Equal(t, []string{"contacted", "won", "lost", "open_telegram"}, actionIDs(rem.Buttons()))
}

func TestDigestOneMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})

	warm := testCard(b.clock.Now())
	warm.Lead.Temperature, warm.Lead.Score = crm.Warm, 40
	other := testCard(b.clock.Now())
	other.Lead.ID, other.Contact.FirstName, other.Contact.LastName, other.Contact.Username = 43, "Olga", "", ""
	other.Lead.Attribution = crm.Attribution{Source: "instagram"}

	require.NoError(t, b.n.Digest(ctx, "Warm leads, Monday", []*crm.LeadCard{warm, nil, other}))
	posts := b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 1)
	texts := posts[0].Texts()
	require.Contains(t, texts, "Warm leads, Monday")
	require.Contains(t, texts, "🌤 <https://t.me/ivanp|*Ivan Petrov*> · score 40 · google / cpc / black_friday")
	require.Contains(t, texts, "🔥 *Olga* · score 75 · instagram")
	require.Contains(t, posts[0].Text, "Warm leads, Monday: 2 leads")
	require.Equal(t, []string{"claim", "claim"}, actionIDs(posts[0].Buttons()))

	require.NoError(t, b.n.Digest(ctx, "Nothing", nil))
	require.Len(t, b.srv.CallsTo("chat.postMessage"), 1, "an empty digest posts nothing")
}

func TestRateLimitedIsWaitedOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	b.srv.Fail("chat.postMessage", 1, http.StatusTooManyRequests, 2*time.Second)

	_, err := b.n.PostCard(ctx, testCard(b.clock.Now()))
	require.NoError(t, err)
	require.Len(t, b.srv.CallsTo("chat.postMessage"), 1, "posted once")
	require.Equal(t, 2, b.srv.Attempts("chat.postMessage"))
	sleeps := b.clock.Sleeps()
	require.NotEmpty(t, sleeps)
	require.Equal(t, 2*time.Second, sleeps[0], "Retry-After: 2 is slept first")
	require.Len(t, b.limiter.Reservations(), 2, "the retry reserves from the bucket again")
}

func TestLongRetryAfterIsLeftToTheQueue(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{MaxRetryAfter: 30 * time.Second})
	b.srv.Fail("chat.postMessage", 1, http.StatusTooManyRequests, 2*time.Minute)

	_, err := b.n.PostCard(context.Background(), testCard(b.clock.Now()))
	var rl *slackapi.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 2*time.Minute, rl.RetryAfter)
	require.Empty(t, b.clock.Sleeps())
	require.Equal(t, 1, b.srv.Attempts("chat.postMessage"))
}

func TestServerErrorsBackOff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	b := setupNotifier(t, slack.Options{})
	b.srv.Fail("chat.postMessage", 2, http.StatusServiceUnavailable, 0)
	_, err := b.n.PostCard(ctx, testCard(b.clock.Now()))
	require.NoError(t, err)
	require.Len(t, b.srv.CallsTo("chat.postMessage"), 1)
	// Backoff 500ms, then the channel's bucket asks for the other half of
	// its second before the next attempt; backoff 1s covers the bucket.
	require.Equal(t, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, time.Second}, b.clock.Sleeps())

	b = setupNotifier(t, slack.Options{MaxAttempts: 3})
	b.srv.Fail("chat.postMessage", 5, http.StatusBadGateway, 0)
	_, err = b.n.PostCard(ctx, testCard(b.clock.Now()))
	var sc slackapi.StatusCodeError
	require.ErrorAs(t, err, &sc)
	require.Equal(t, http.StatusBadGateway, sc.Code)
	require.Equal(t, 3, b.srv.Attempts("chat.postMessage"), "MaxAttempts counts the first call")
}

func TestRefusalIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{})
	b.srv.Refuse("chat.postMessage", 1, "channel_not_found")

	_, err := b.n.PostCard(context.Background(), testCard(b.clock.Now()))
	require.Error(t, err)
	require.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
	require.Equal(t, 1, b.srv.Attempts("chat.postMessage"))
	require.Empty(t, b.clock.Sleeps())

	b.srv.Refuse("chat.postMessage", 1, "invalid_auth")
	_, err = b.n.PostCard(context.Background(), testCard(b.clock.Now()))
	require.Equal(t, crm.EINTERNAL, crm.ErrorCode(err))
	require.Equal(t, 2, b.srv.Attempts("chat.postMessage"))
}

// Should Slack refuse the tg:// link, the card goes out without it rather
// than not at all.
func TestInvalidBlocksDropsTelegramLink(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{})
	card := testCard(b.clock.Now())
	card.Contact.Username = ""
	b.srv.Refuse("chat.postMessage", 1, "invalid_blocks")

	_, err := b.n.PostCard(context.Background(), card)
	require.NoError(t, err)
	posts := b.srv.CallsTo("chat.postMessage")
	require.Len(t, posts, 1)
	require.Equal(t, []string{"claim"}, actionIDs(posts[0].Buttons()))
}

func TestLimiterIsPerChannel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupNotifier(t, slack.Options{})
	other := slack.NewNotifier(slack.NewClient(slackfake.Token, b.srv.URL(), nil), "C0OTHER", b.limiter,
		slack.Options{Sleep: b.clock.Sleep, Logger: testLogger(t)})

	var refs []string
	for range 3 {
		ref, err := b.n.PostCard(ctx, testCard(b.clock.Now()))
		require.NoError(t, err)
		refs = append(refs, ref)
	}
	require.Equal(t, []time.Duration{time.Second, time.Second}, b.clock.Sleeps(), "one message a second in #sales")

	_, err := other.PostCard(ctx, testCard(b.clock.Now()))
	require.NoError(t, err)
	require.Len(t, b.clock.Sleeps(), 2, "another channel has its own bucket")

	require.NoError(t, b.n.UpdateCard(ctx, refs[0], testCard(b.clock.Now())))

	want := []reservation{
		{"slack:chan:#sales", 1, 1}, {"slack:chan:#sales", 1, 1}, {"slack:chan:#sales", 1, 1},
		{"slack:chan:C0OTHER", 1, 1},
		{"slack:chan:CSALES", 1, 1},
	}
	require.Equal(t, want, b.limiter.Reservations())
}

func TestLimiterDownStillPosts(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{})
	b.limiter.err = errRedisDown
	_, err := b.n.PostCard(context.Background(), testCard(b.clock.Now()))
	require.NoError(t, err)
	require.Len(t, b.srv.CallsTo("chat.postMessage"), 1)
}

func TestCancelledContextStops(t *testing.T) {
	t.Parallel()
	b := setupNotifier(t, slack.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.n.PostCard(ctx, testCard(b.clock.Now()))
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	require.Zero(t, b.srv.Attempts("chat.postMessage"))
}

// TestFindCard: a card carries its lead in its metadata, so an alert cut
// short between posting and recording the card finds it instead of
// posting a second one; a channel that cannot be read finds nothing.
func TestFindCard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := slackfake.NewServer(t)
	n := slack.NewNotifier(slack.NewClient(slackfake.Token, srv.URL(), nil), "CSALES", bot.NewLocalLimiter(nil),
		slack.Options{Logger: testLogger(t), Sleep: func(context.Context, time.Duration) error { return nil }})
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	var refs []string
	for id := range int64(250) { // more than one page of history
		card := testCard(now)
		card.Lead.ID = 1000 + id
		ref, err := n.PostCard(ctx, card)
		require.NoError(t, err)
		refs = append(refs, ref)
	}

	ref, ok, err := n.FindCard(ctx, 1000)
	require.NoError(t, err)
	require.True(t, ok, "the oldest card is found on the second page")
	require.Equal(t, refs[0], ref)
	ref, ok, err = n.FindCard(ctx, 1249)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, refs[249], ref)
	_, ok, err = n.FindCard(ctx, 42)
	require.NoError(t, err)
	require.False(t, ok, "a lead without a card")

	srv.Refuse("conversations.history", 1, "missing_scope")
	_, ok, err = n.FindCard(ctx, 1000)
	require.NoError(t, err, "without channels:history the card is posted again, as before")
	require.False(t, ok)
}
