package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

// engagementConfig: Moscow time, quiet 21:00-09:00, surveys 7 days after
// a win, nudges at 2h and 24h; schedules that never fire by themselves.
const engagementConfig = salesConfig + `timezone: Europe/Moscow
surveys: {nps_after: 7d, repeat_after: 90d, schedule: "0 0 1 1 *"}
followups: {nudge_after: 2h, ask_after: 24h, max_nudges: 2, reengage_after: 30d, schedule: "0 0 1 1 *", reengage_schedule: "0 0 1 1 *"}
quiet_hours: {from: "21:00", to: "09:00"}
`

var moscow = func() *time.Location { l, _ := time.LoadLocation("Europe/Moscow"); return l }()

func setupEngagement(t *testing.T, at time.Time) (*bundle, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: at}
	b := setupWithDeps(t, engagementConfig, map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	return b, clock
}

// wonLead takes a customer through the hot path and has Boris win it.
func (b *bundle) wonLead(t *testing.T, chat int64) int64 {
	t.Helper()
	b.hotDialogueTo(chat)
	id := b.leadID(chat)
	boris, ok := b.app.sales.ManagerByTelegram(9002)
	require.True(t, ok)
	for _, kind := range []crm.ActionKind{crm.ActClaim, crm.ActWon} {
		_, err := b.app.sales.Act(context.Background(), crm.Action{LeadID: id, Kind: kind, By: boris, Amount: 90000})
		require.NoError(t, err)
	}
	return id
}

// sentTo counts what chat received that contains text.
func (b *bundle) sentTo(chat int64, text string) int {
	n := 0
	for _, c := range b.tg.Sent(chat) {
		if strings.Contains(c.Text, text) {
			n++
		}
	}
	return n
}

const npsQuestion = "How likely are you to recommend us"

func TestNPSSurveyAfterWin(t *testing.T) {
	t.Parallel()
	// Monday 12:00 in Moscow.
	b, clock := setupEngagement(t, time.Date(2026, 11, 23, 12, 0, 0, 0, moscow))
	ctx := context.Background()
	e := b.app.engagement
	const detractor, promoter = 1101, 1102
	b.wonLead(t, detractor)
	b.wonLead(t, promoter)

	// Six days on: not due. Seven days on, at 23:00: due but night.
	require.NoError(t, e.SweepSurveys(ctx, clock.Add(6*24*time.Hour)))
	require.NoError(t, e.SweepSurveys(ctx, clock.Add(24*time.Hour+11*time.Hour)))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM surveys`))
	// The next morning at 10:00: one survey each, sent once however often
	// the sweep runs.
	clock.Add(11 * time.Hour)
	for range 3 {
		require.NoError(t, e.SweepSurveys(ctx, clock.Now()))
	}
	// Surveys are marked sent just before they go out (at most once).
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM surveys WHERE sent_at IS NOT NULL`) == 2 &&
			b.sentTo(detractor, npsQuestion) == 1 && b.sentTo(promoter, npsQuestion) == 1
	})
	var q telegramtest.Call
	for _, c := range b.tg.Sent(detractor) {
		if strings.Contains(c.Text, npsQuestion) {
			q = c
		}
	}
	for n := 0; n <= 10; n++ {
		require.Contains(t, q.ReplyMarkup, fmt.Sprintf(`:%d"`, n))
	}
	survey := func(chat int64) int64 {
		var id int64
		require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT s.id FROM surveys s JOIN contacts c ON c.id = s.contact_id WHERE c.telegram_user_id = $1`, chat).Scan(&id))
		return id
	}

	// A 3: asked why, and the team hears of it at once.
	b.say(en(telegramtest.Callback(detractor, detractor, 1, fmt.Sprintf("nps:%d:3", survey(detractor)))))
	require.Contains(t, b.lastText(detractor), "main reason")
	b.say(en(telegramtest.Text(detractor, detractor, "Delivery took three weeks")))
	require.Contains(t, b.lastText(detractor), "Thank you for taking the time")
	b.waitFor(func() bool {
		for _, c := range b.tg.Sent(salesChat) {
			if strings.Contains(c.Text, "Detractor, 3/10") && strings.Contains(c.Text, "rep: Boris") && strings.Contains(c.Text, "📞 +") {
				return true
			}
		}
		return false
	})
	// A 10: asked why, then for a referral.
	b.say(en(telegramtest.Callback(promoter, promoter, 1, fmt.Sprintf("nps:%d:10", survey(promoter)))))
	b.say(en(telegramtest.Text(promoter, promoter, "Fast and friendly")))
	// The promoter's own link: whoever starts the bot by it is their referral.
	var promoterID int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT id FROM contacts WHERE telegram_user_id = $1`, promoter).Scan(&promoterID))
	code := crm.ReferralCode(promoterID)
	require.Contains(t, b.lastText(promoter), "send them your link and we'll help: https://t.me/voronka_test_bot?start=r-"+code)
	const friend = 1103
	b.say(en(telegramtest.Text(friend, friend, "/start r-"+code)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE c.telegram_user_id = $1 AND l.referrer = $2 AND l.source = 'referral'`, friend, code), "attributed to the referrer, counted as a referral")
	b.say(en(telegramtest.Text(promoter, promoter, "/start r-"+code)))
	require.Zero(t, b.count(`SELECT count(*) FROM leads WHERE referrer <> '' AND contact_id = $1`, promoterID), "nobody refers themselves")
	// The referrer's /lead shows whom they brought.
	b.say(telegramtest.Text(9001, 9001, fmt.Sprintf("/lead %d", b.leadID(promoter))))
	require.Contains(t, b.lastText(9001), fmt.Sprintf("Referred by this customer: 1 lead (#%d)", b.leadID(friend)))
	// A second press changes nothing.
	b.say(en(telegramtest.Callback(promoter, promoter, 1, fmt.Sprintf("nps:%d:2", survey(promoter)))))

	require.Equal(t, 1, b.count(`SELECT count(*) FROM surveys WHERE score = 3 AND comment = 'Delivery took three weeks' AND manager_id IS NOT NULL`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM surveys WHERE score = 10 AND comment = 'Fast and friendly'`))
	require.Equal(t, 4, b.count(`SELECT count(*) FROM events WHERE kind = 'nps_answered'`))
	require.Equal(t, 2, b.count(`SELECT count(*) FROM river_job WHERE args->>'job' = 'nps_detractor'`), "the alert, and its reason")
	b.waitFor(func() bool {
		for _, c := range b.tg.Sent(salesChat) {
			if strings.Contains(c.Text, "Why 3/10") && strings.Contains(c.Text, "Delivery took three weeks") {
				return true
			}
		}
		return false
	})
}

// TestSurveysOnceAcrossSchedulersAndFailures: two replicas' schedulers
// fire the same tick and one runs it; a sweep that fails half-way and runs
// again sends nothing twice.
func TestSurveysOnceAcrossSchedulersAndFailures(t *testing.T) {
	t.Parallel()
	b, clock := setupEngagement(t, time.Date(2026, 11, 23, 12, 0, 0, 0, moscow))
	ctx := context.Background()
	chats := []int64{1201, 1202, 1203, 1204}
	for _, c := range chats {
		b.wonLead(t, c)
	}
	clock.Add(8 * 24 * time.Hour)

	// Half-way failure: the store refuses the third survey.
	var calls atomic.Int32
	failing := crm.NewEngagement(failAfter{EngagementStore: b.app.engagementStore(), n: 2, calls: &calls}, nil, nil, nil,
		crm.EngagementPolicy{NPSAfter: 7 * 24 * time.Hour, RepeatAfter: 90 * 24 * time.Hour, TimeZone: moscow}, clock)
	require.Error(t, failing.SweepSurveys(ctx, clock.Now()))
	require.Equal(t, 2, b.count(`SELECT count(*) FROM surveys`))

	// Two replicas, one tick: one of them runs the sweep, which finishes the job.
	first := b.app
	b.start()
	second := b.app
	tick := clock.Now().Truncate(time.Minute)
	ran := 0
	for _, a := range []*App{first, second} {
		if a.schedule.Fire(ctx, "nps_surveys", tick, clock.Now()) {
			ran++
		}
	}
	require.Equal(t, 1, ran)
	b.waitFor(func() bool {
		for _, c := range chats {
			if b.sentTo(c, npsQuestion) != 1 {
				return false
			}
		}
		return true
	})
	require.Equal(t, 4, b.count(`SELECT count(*) FROM surveys`))
	require.Equal(t, 4, b.count(`SELECT count(*) FROM river_job WHERE args->>'job' = 'nps_survey'`))
	time.Sleep(100 * time.Millisecond)
	for _, c := range chats {
		require.Equal(t, 1, b.sentTo(c, npsQuestion))
	}
}

type failAfter struct {
	crm.EngagementStore
	n     int32
	calls *atomic.Int32
}

func (f failAfter) CreateSurvey(ctx context.Context, s *crm.Survey, job crm.Job) (bool, error) {
	if f.calls.Add(1) > f.n {
		return false, fmt.Errorf("injected failure")
	}
	return f.EngagementStore.CreateSurvey(ctx, s, job)
}

// TestStalledDialogueNudges: silent 2h → a nudge; 24h → "what happened?";
// nothing more; /stop before the second cancels it; a lost reason closes
// the lead.
func TestStalledDialogueNudges(t *testing.T) {
	t.Parallel()
	b, clock := setupEngagement(t, time.Date(2026, 11, 23, 10, 0, 0, 0, moscow))
	ctx := context.Background()
	e := b.app.engagement
	const quiet, stopper = 1301, 1302
	for _, c := range []int64{quiet, stopper} {
		b.say(en(telegramtest.Text(c, c, "/start")))
		b.say(en(telegramtest.Callback(c, c, 1, "need:pricing")))
	}
	require.NoError(t, e.SweepFollowups(ctx, clock.Add(time.Hour)))
	require.Equal(t, 0, b.count(`SELECT count(*) FROM followups`))

	require.NoError(t, e.SweepFollowups(ctx, clock.Add(time.Hour+time.Minute)))
	b.waitFor(func() bool {
		return b.sentTo(quiet, "Test, still there?") == 1 && b.sentTo(stopper, "Test, still there?") == 1
	}) // by name
	b.waitFor(func() bool { return strings.Contains(b.lastText(quiet), "What budget") }) // the nudge asks the waiting question again
	require.NoError(t, e.SweepFollowups(ctx, clock.Add(3*time.Hour)))

	b.say(en(telegramtest.Text(stopper, stopper, "/stop")))
	require.Contains(t, b.lastText(stopper), "won't write to you first")

	// 24 hours of silence (10:01 the next day): the question with reasons.
	require.NoError(t, e.SweepFollowups(ctx, clock.Add(19*time.Hour)))
	b.waitFor(func() bool { return b.sentTo(quiet, "Did something go wrong") == 1 })
	for range 3 {
		require.NoError(t, e.SweepFollowups(ctx, clock.Add(24*time.Hour)))
	}
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, 1, b.sentTo(quiet, "Test, still there?"))
	require.Equal(t, 1, b.sentTo(quiet, "Did something go wrong"))
	require.Equal(t, 0, b.sentTo(stopper, "Did something go wrong"), "/stop cancelled the rest")

	b.say(en(telegramtest.Callback(quiet, quiet, 1, fmt.Sprintf("why:%d:expensive", b.leadID(quiet)))))
	require.Contains(t, b.lastText(quiet), "Thank you for telling us")
	l := b.lead(quiet)
	require.Equal(t, "lost", l.Stage)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE lost_reason = 'expensive'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM followups WHERE reason = 'expensive'`))
}

// TestBlockedCustomerIsSkipped: a 403 marks the customer unreachable and
// later sweeps leave them alone.
func TestBlockedCustomerIsSkipped(t *testing.T) {
	t.Parallel()
	b, clock := setupEngagement(t, time.Date(2026, 11, 23, 10, 0, 0, 0, moscow))
	ctx := context.Background()
	const chat = 1401
	b.say(en(telegramtest.Text(chat, chat, "/start")))
	b.tg.Block(chat)
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(3*time.Hour)))
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM contacts WHERE unreachable_at IS NOT NULL`) == 1 })
	require.NoError(t, b.app.engagement.SweepFollowups(ctx, clock.Add(24*time.Hour)))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM followups`), "no ask for an unreachable customer")
}

// TestForgetThroughTheBot: /forget erases the customer's personal data
// and confirms; the lead's stage and score stay for the stats.
func TestForgetThroughTheBot(t *testing.T) {
	t.Parallel()
	b, _ := setupEngagement(t, time.Date(2026, 11, 23, 10, 0, 0, 0, moscow))
	const chat = 1501
	b.hotDialogueTo(chat)
	before := b.lead(chat)
	b.say(en(telegramtest.Text(chat, chat, "/forget")))
	require.Contains(t, b.lastText(chat), "erased")
	after := b.lead(chat)
	require.Equal(t, "", after.Phone)
	require.Equal(t, "", after.FirstName)
	require.Equal(t, before.Stage, after.Stage)
	require.Equal(t, before.Score, after.Score)
	require.Equal(t, 0, b.count(`SELECT count(*) FROM answers WHERE value = 'call me' OR value = '+79161234567'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM contacts WHERE erased_at IS NOT NULL AND stopped_at IS NOT NULL`))
}
