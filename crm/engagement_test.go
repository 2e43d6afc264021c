package crm_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
)

// engagementEnv is an Engagement over crmtest fakes; calls records what
// reached the store's writes and the customer.
type engagementEnv struct {
	store *crmtest.EngagementStore
	leads *crmtest.LeadStore
	out   *crmtest.Outreach
	clock *crmtest.Clock
	eng   *crm.Engagement
	calls []string
}

func (e *engagementEnv) record(format string, args ...any) {
	e.calls = append(e.calls, fmt.Sprintf(format, args...))
}

// lead stores a contact and a lead in stage, returning the lead's id.
func (e *engagementEnv) lead(t *testing.T, tgUser int64, stage crm.Stage) *crm.Lead {
	t.Helper()
	ctx := context.Background()
	c := &crm.Contact{TelegramUserID: tgUser, ChatID: tgUser}
	require.NoError(t, e.leads.UpsertContact(ctx, c))
	l := &crm.Lead{ContactID: c.ID, Stage: stage, FlowID: "qualify"}
	require.NoError(t, e.leads.CreateLead(ctx, l))
	return l
}

func quietNights(t *testing.T) crm.QuietHours {
	t.Helper()
	q, err := crm.ParseQuietHours("21:00", "09:00")
	require.NoError(t, err)
	return q
}

func engagementPolicy(t *testing.T) crm.EngagementPolicy {
	return crm.EngagementPolicy{
		NPSAfter:      7 * 24 * time.Hour,
		RepeatAfter:   90 * 24 * time.Hour,
		Followups:     crm.FollowupPolicy{NudgeAfter: 2 * time.Hour, AskAfter: 24 * time.Hour, MaxNudges: 2},
		FlowFollowups: map[string]crm.FollowupPolicy{"vip": {NudgeAfter: 10 * time.Minute, AskAfter: time.Hour, MaxNudges: 1}},
		ReengageAfter: 30 * 24 * time.Hour,
		Quiet:         quietNights(t),
		LostReasons:   []string{"expensive", "elsewhere"},
	}
}

func setupEngagement(t *testing.T, policy crm.EngagementPolicy, sales *crm.Sales) *engagementEnv {
	t.Helper()
	e := &engagementEnv{store: &crmtest.EngagementStore{}, leads: crmtest.NewLeadStore(), out: &crmtest.Outreach{}, clock: crmtest.NewClock(mondayNoon)}
	e.eng = crm.NewEngagement(e.store, e.leads, e.out, sales, policy, e.clock)
	return e
}

func TestEngagementSweepSurveys(t *testing.T) {
	t.Parallel()
	e := setupEngagement(t, engagementPolicy(t), nil)
	now := mondayNoon
	wonAt := now.Add(-8 * 24 * time.Hour)
	// A first page full to the limit makes the sweep read on after its
	// last lead; the second, short, ends it.
	var pages []int64
	e.store.DueSurveysFn = func(_ context.Context, wonBefore, surveyedAfter time.Time, after int64, limit int) ([]crm.Due, error) {
		assert.Equal(t, now.Add(-7*24*time.Hour), wonBefore)
		assert.Equal(t, now.Add(-90*24*time.Hour), surveyedAfter)
		pages = append(pages, after)
		if after == 0 {
			due := make([]crm.Due, limit)
			for i := range due {
				due[i] = crm.Due{LeadID: int64(i + 1), ContactID: 1000, TimeZone: "Asia/Vladivostok", Since: wonAt} // 22:00 there
			}
			return due, nil
		}
		return []crm.Due{{LeadID: after + 1, ContactID: 7, ManagerID: 2, Since: wonAt}}, nil
	}
	var created []crm.Survey
	e.store.CreateSurveyFn = func(_ context.Context, s *crm.Survey, job crm.Job) (bool, error) {
		assert.Equal(t, crm.Job{Kind: crm.JobSurvey, LeadID: s.LeadID}, job)
		created = append(created, *s)
		return true, nil
	}
	require.NoError(t, e.eng.SweepSurveys(context.Background(), now))
	assert.Equal(t, []int64{0, 500}, pages, "keyset paging by lead id")
	require.Len(t, created, 1, "customers at night are left for a later tick")
	assert.Equal(t, crm.Survey{LeadID: 501, ContactID: 7, ManagerID: 2, DueAt: wonAt.Add(7 * 24 * time.Hour), CreatedAt: now}, created[0])

	off := engagementPolicy(t)
	off.NPSAfter = 0
	require.NoError(t, setupEngagement(t, off, nil).eng.SweepSurveys(context.Background(), now), "no surveys: the store is not asked")
}

func TestEngagementSweepFollowups(t *testing.T) {
	t.Parallel()
	now := mondayNoon
	tests := []struct {
		name   string
		due    crm.Due // returned for both purposes
		sent   int
		policy func(p *crm.EngagementPolicy)
		want   []string
	}{
		{name: "silent a day: nudge and ask", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-25 * time.Hour)},
			want: []string{"followup 1 nudge followup_nudge", "followup 1 ask followup_ask"}},
		{name: "silent three hours: the nudge only", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-3 * time.Hour)},
			want: []string{"followup 1 nudge followup_nudge"}},
		{name: "not due yet by its own flow", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-30 * time.Minute)}},
		{name: "the vip flow's shorter delay", due: crm.Due{LeadID: 1, FlowID: "vip", Since: now.Add(-30 * time.Minute)},
			want: []string{"followup 1 nudge followup_nudge"}},
		{name: "the vip flow's max_nudges 1: no ask", due: crm.Due{LeadID: 1, FlowID: "vip", Since: now.Add(-25 * time.Hour)},
			want: []string{"followup 1 nudge followup_nudge"}},
		{name: "max_nudges reached", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-25 * time.Hour)}, sent: 2},
		{name: "one sent of two", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-25 * time.Hour)}, sent: 1,
			want: []string{"followup 1 nudge followup_nudge", "followup 1 ask followup_ask"}},
		{name: "max_nudges 0: none", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-25 * time.Hour)},
			policy: func(p *crm.EngagementPolicy) { p.Followups.MaxNudges = 0 }},
		{name: "quiet hours in the customer's zone", due: crm.Due{LeadID: 1, FlowID: "qualify", TimeZone: "Asia/Vladivostok", Since: now.Add(-25 * time.Hour)}},
		{name: "quiet hours in the configured zone", due: crm.Due{LeadID: 1, FlowID: "qualify", Since: now.Add(-25 * time.Hour)},
			policy: func(p *crm.EngagementPolicy) { p.TimeZone = time.FixedZone("UTC+10", 10*3600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := engagementPolicy(t)
			if tt.policy != nil {
				tt.policy(&policy)
			}
			e := setupEngagement(t, policy, nil)
			e.store.StalledLeadsFn = func(_ context.Context, purpose string, silentBefore time.Time, _ int64, _ int) ([]crm.Due, error) {
				// The shortest delay of any flow bounds the query.
				want := map[string]time.Duration{crm.PurposeNudge: 10 * time.Minute, crm.PurposeAsk: time.Hour}[purpose]
				assert.Equal(t, now.Add(-want), silentBefore, purpose)
				return []crm.Due{tt.due}, nil
			}
			e.store.FollowupsSentFn = func(context.Context, int64) (int, error) { return tt.sent, nil }
			e.store.CreateFollowupFn = func(_ context.Context, lead int64, purpose string, due time.Time, job crm.Job) (bool, error) {
				assert.Equal(t, now, due)
				assert.Equal(t, lead, job.LeadID)
				e.record("followup %d %s %s", lead, purpose, job.Kind)
				return true, nil
			}
			require.NoError(t, e.eng.SweepFollowups(context.Background(), now))
			assert.Equal(t, tt.want, e.calls)
		})
	}
}

func TestEngagementSweepReengage(t *testing.T) {
	t.Parallel()
	now := mondayNoon
	e := setupEngagement(t, engagementPolicy(t), nil)
	e.store.LostLeadsFn = func(_ context.Context, lostBefore time.Time, _ int64, _ int) ([]crm.Due, error) {
		assert.Equal(t, now.Add(-30*24*time.Hour), lostBefore)
		return []crm.Due{{LeadID: 3}, {LeadID: 4, TimeZone: "Asia/Vladivostok"}}, nil
	}
	e.store.CreateFollowupFn = func(_ context.Context, lead int64, purpose string, _ time.Time, job crm.Job) (bool, error) {
		e.record("followup %d %s %s", lead, purpose, job.Kind)
		return false, nil // already there: a no-op, not an error
	}
	require.NoError(t, e.eng.SweepReengage(context.Background(), now))
	assert.Equal(t, []string{"followup 3 reengage followup_return"}, e.calls)

	off := engagementPolicy(t)
	off.ReengageAfter = 0
	require.NoError(t, setupEngagement(t, off, nil).eng.SweepReengage(context.Background(), now))
}

// blockedError is what a channel says when the customer blocked the bot.
type blockedError struct{}

func (blockedError) Error() string { return "forbidden: bot was blocked by the user" }
func (blockedError) Blocked() bool { return true }

func TestEngagementRunFollowups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		job     string
		stage   crm.Stage
		reach   func(r *crm.Reach)
		at      time.Time
		sendErr error
		later   time.Duration // a *crm.Later with this wait
		err     bool
		want    []string
	}{
		{name: "nudge", job: crm.JobNudge, stage: crm.StageQualifying, want: []string{"mark nudge", "send nudge"}},
		{name: "ask why", job: crm.JobAskWhy, stage: crm.StageNew, want: []string{"mark ask", "send ask"}},
		{name: "re-engage a lost lead", job: crm.JobReengage, stage: crm.StageLost, want: []string{"mark reengage", "send reengage"}},
		{name: "the dialogue finished meanwhile", job: crm.JobNudge, stage: crm.StageQualified},
		{name: "a lost lead that came back", job: crm.JobReengage, stage: crm.StageQualifying},
		{name: "said /stop", job: crm.JobNudge, stage: crm.StageNew, reach: func(r *crm.Reach) { r.Stopped = true }},
		{name: "forgotten", job: crm.JobNudge, stage: crm.StageNew, reach: func(r *crm.Reach) { r.Erased = true }},
		{name: "blocked the bot before", job: crm.JobNudge, stage: crm.StageNew, reach: func(r *crm.Reach) { r.Unreachable = true }},
		{name: "no chat", job: crm.JobNudge, stage: crm.StageNew, reach: func(r *crm.Reach) { r.ChatID = 0 }},
		{name: "at night: later, at nine", job: crm.JobNudge, stage: crm.StageNew, at: time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC),
			later: 9*time.Hour + 30*time.Minute},
		{name: "at night in the customer's zone", job: crm.JobNudge, stage: crm.StageNew, reach: func(r *crm.Reach) { r.TimeZone = "Asia/Vladivostok" },
			later: 11 * time.Hour},
		{name: "blocks the bot now", job: crm.JobNudge, stage: crm.StageNew, sendErr: fmt.Errorf("send: %w", blockedError{}),
			want: []string{"mark nudge", "send nudge", "unmark nudge", "unreachable"}},
		{name: "a send that fails takes its mark back", job: crm.JobNudge, stage: crm.StageNew, sendErr: errors.New("timeout"), err: true,
			want: []string{"mark nudge", "send nudge", "unmark nudge"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setupEngagement(t, engagementPolicy(t), nil)
			if !tt.at.IsZero() {
				e.clock.Set(tt.at)
			}
			l := e.lead(t, 42, tt.stage)
			e.store.ReachFn = func(_ context.Context, contact int64) (crm.Reach, error) {
				r := crm.Reach{ContactID: contact, ChatID: 42}
				if tt.reach != nil {
					tt.reach(&r)
				}
				return r, nil
			}
			e.store.MarkFollowupSentFn = func(_ context.Context, lead int64, purpose string, at time.Time) error {
				assert.Equal(t, l.ID, lead)
				e.record("mark %s", purpose)
				return nil
			}
			e.store.UnmarkFollowupSentFn = func(_ context.Context, _ int64, purpose string) error {
				e.record("unmark %s", purpose)
				return nil
			}
			e.store.MarkUnreachableFn = func(context.Context, int64, time.Time) error { e.record("unreachable"); return nil }
			send := func(what string) func(context.Context, crm.Reach, *crm.Lead) error {
				return func(_ context.Context, r crm.Reach, lead *crm.Lead) error {
					assert.Equal(t, int64(42), r.ChatID)
					assert.Equal(t, l.ID, lead.ID)
					e.record("send %s", what)
					return tt.sendErr
				}
			}
			e.out.NudgeFn, e.out.AskWhyFn, e.out.ReengageFn = send("nudge"), send("ask"), send("reengage")

			err := e.eng.Run(context.Background(), crm.Job{Kind: tt.job, LeadID: l.ID})
			switch {
			case tt.later > 0:
				var later *crm.Later
				require.ErrorAs(t, err, &later)
				assert.Equal(t, tt.later, later.Wait)
			case tt.err:
				require.Error(t, err)
			default:
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, e.calls)
		})
	}
}

func TestEngagementRunSurvey(t *testing.T) {
	t.Parallel()
	e := setupEngagement(t, engagementPolicy(t), nil)
	l := e.lead(t, 42, crm.StageWon)
	sent := &mondayNoon
	surveys := map[int64]*crm.Survey{5: {ID: 5, LeadID: l.ID}, 6: {ID: 6, LeadID: l.ID, SentAt: sent}}
	e.store.ReachFn = func(_ context.Context, c int64) (crm.Reach, error) { return crm.Reach{ContactID: c, ChatID: 42}, nil }
	e.store.SurveyFn = func(_ context.Context, id int64) (*crm.Survey, error) {
		s, ok := surveys[id]
		if !ok {
			return nil, crm.Errorf(crm.ENOTFOUND, "no survey %d", id)
		}
		return s, nil
	}
	e.store.MarkSurveySentFn = func(_ context.Context, id int64, _ time.Time) error { e.record("mark %d", id); return nil }
	e.out.AskNPSFn = func(_ context.Context, _ crm.Reach, _ *crm.Lead, s *crm.Survey) error {
		e.record("ask %d", s.ID)
		return nil
	}
	ctx := context.Background()

	require.NoError(t, e.eng.Run(ctx, crm.Job{Kind: crm.JobSurvey, LeadID: l.ID, Key: "5"}))
	require.NoError(t, e.eng.Run(ctx, crm.Job{Kind: crm.JobSurvey, LeadID: l.ID, Key: "6"}), "sent before a crash")
	require.NoError(t, e.eng.Run(ctx, crm.Job{Kind: crm.JobSurvey, LeadID: l.ID, Key: "5", Interrupted: true}))
	assert.Equal(t, []string{"mark 5", "ask 5"}, e.calls, "a survey is marked, then asked, once")
	assert.Equal(t, crm.EINVALID, crm.ErrorCode(e.eng.Run(ctx, crm.Job{Kind: crm.JobSurvey, LeadID: l.ID, Key: "x"})))
	assert.True(t, e.eng.Handles(crm.JobReengage))
	assert.False(t, e.eng.Handles(crm.JobSalesAlert))
}

func TestEngagementScore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		contact int64
		score   int
		code    string
		jobs    []crm.Job
	}{
		{name: "promoter", contact: 7, score: 10},
		{name: "passive", contact: 7, score: 7},
		{name: "detractor alerts the team", contact: 7, score: 6, jobs: []crm.Job{{Kind: crm.JobDetractor, LeadID: 3, Key: "5"}}},
		{name: "zero is a detractor", contact: 7, score: 0, jobs: []crm.Job{{Kind: crm.JobDetractor, LeadID: 3, Key: "5"}}},
		{name: "above ten", contact: 7, score: 11, code: crm.EINVALID},
		{name: "below zero", contact: 7, score: -1, code: crm.EINVALID},
		{name: "someone else's survey", contact: 8, score: 9, code: crm.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setupEngagement(t, engagementPolicy(t), nil)
			e.store.SurveyFn = func(context.Context, int64) (*crm.Survey, error) {
				return &crm.Survey{ID: 5, LeadID: 3, ContactID: 7}, nil
			}
			scored := false
			e.store.ScoreSurveyFn = func(_ context.Context, id int64, score int, at time.Time, jobs []crm.Job) error {
				scored = true
				assert.Equal(t, []any{int64(5), tt.score, mondayNoon}, []any{id, score, at})
				assert.Equal(t, tt.jobs, jobs)
				return nil
			}
			s, err := e.eng.Score(context.Background(), tt.contact, 5, tt.score)
			if tt.code != "" {
				assert.Equal(t, tt.code, crm.ErrorCode(err))
				assert.False(t, scored, "a refused score stores nothing")
				return
			}
			require.NoError(t, err)
			require.True(t, scored)
			require.NotNil(t, s.Score)
			assert.Equal(t, tt.score, *s.Score)
		})
	}
}

func TestEngagementComment(t *testing.T) {
	t.Parallel()
	e := setupEngagement(t, engagementPolicy(t), nil)
	waiting := true
	e.store.AwaitingCommentFn = func(_ context.Context, contact int64, since time.Time) (*crm.Survey, error) {
		assert.Equal(t, mondayNoon.Add(-24*time.Hour), since, "a comment counts for a day after the score")
		if !waiting {
			return nil, crm.Errorf(crm.ENOTFOUND, "none")
		}
		return &crm.Survey{ID: 5, LeadID: 3, ContactID: contact}, nil
	}
	e.store.CommentSurveyFn = func(_ context.Context, id int64, text string, _ time.Time, jobs []crm.Job) error {
		e.record("comment %d %s %v", id, text, jobs)
		return nil
	}
	s, ok, err := e.eng.Comment(context.Background(), 7, "slow delivery")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "slow delivery", s.Comment)

	waiting = false
	_, ok, err = e.eng.Comment(context.Background(), 7, "hello?")
	require.NoError(t, err)
	assert.False(t, ok, "no survey waits: the text is not a comment")
	assert.Equal(t, []string{"comment 5 slow delivery []"}, e.calls)

	// A detractor's reason follows their alert to the team.
	waiting, e.calls = true, nil
	three := 3
	e.store.AwaitingCommentFn = func(_ context.Context, contact int64, _ time.Time) (*crm.Survey, error) {
		return &crm.Survey{ID: 5, LeadID: 3, ContactID: contact, Score: &three}, nil
	}
	_, ok, err = e.eng.Comment(context.Background(), 7, "late")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []string{"comment 5 late [{nps_detractor 3 reason:5 0001-01-01 00:00:00 +0000 UTC false 0}]"}, e.calls)
}

func TestEngagementReason(t *testing.T) {
	t.Parallel()
	e := setupEngagement(t, engagementPolicy(t), nil)
	l := e.lead(t, 42, crm.StageQualifying)
	e.store.FollowupReasonFn = func(_ context.Context, lead int64, reason string, lost bool, _ time.Time) error {
		e.record("reason %d %s %v", lead, reason, lost)
		return nil
	}
	ctx := context.Background()
	lost, err := e.eng.Reason(ctx, l.ContactID, l.ID, "expensive")
	require.NoError(t, err)
	assert.True(t, lost, "a configured lost reason closes the lead")
	lost, err = e.eng.Reason(ctx, l.ContactID, l.ID, "later")
	require.NoError(t, err)
	assert.False(t, lost)
	_, err = e.eng.Reason(ctx, l.ContactID+1, l.ID, "expensive")
	assert.Equal(t, crm.EFORBIDDEN, crm.ErrorCode(err))
	_, err = e.eng.Reason(ctx, l.ContactID, 999, "expensive")
	assert.Equal(t, crm.ENOTFOUND, crm.ErrorCode(err))
	assert.Equal(t, []string{
		fmt.Sprintf("reason %d expensive true", l.ID),
		fmt.Sprintf("reason %d later false", l.ID),
	}, e.calls)
}

func TestEngagementStopAndForget(t *testing.T) {
	t.Parallel()
	e := setupEngagement(t, engagementPolicy(t), nil)
	e.store.StopFn = func(_ context.Context, c int64, at time.Time) error {
		e.record("stop %d %s", c, at.Format(time.RFC3339))
		return nil
	}
	e.store.ForgetFn = func(_ context.Context, c int64, at time.Time) error {
		e.record("forget %d %s", c, at.Format(time.RFC3339))
		return nil
	}
	require.NoError(t, e.eng.Stop(context.Background(), 7))
	require.NoError(t, e.eng.Forget(context.Background(), 8))
	assert.Equal(t, []string{"stop 7 2026-11-23T12:00:00Z", "forget 8 2026-11-23T12:00:00Z"}, e.calls)
}

func TestEngagementDetractorAlert(t *testing.T) {
	t.Parallel()
	s := setupSales(t, salesPolicy, team(t))
	s.hot(3)
	s.assignee[3] = 2
	s.refs[3] = map[string]string{"slack": "ts-3"}
	var notes []string
	s.slack.NotifyFn = func(_ context.Context, ref string, _ *crm.LeadCard, text string, mention []crm.Manager) error {
		var names []string
		for _, m := range mention {
			names = append(names, m.Name)
		}
		notes = append(notes, ref+" "+text+" @"+strings.Join(names, ",@"))
		return nil
	}
	e := setupEngagement(t, engagementPolicy(t), s.sales)
	score := 3
	e.store.SurveyFn = func(context.Context, int64) (*crm.Survey, error) {
		return &crm.Survey{ID: 5, LeadID: 3, Score: &score, Comment: "late"}, nil
	}
	// Run even when interrupted: the alert goes to the team, never the customer.
	require.NoError(t, e.eng.Run(context.Background(), crm.Job{Kind: crm.JobDetractor, LeadID: 3, Key: strconv.Itoa(5), Interrupted: true}))
	// The reason, once given, follows in a message of its own.
	require.NoError(t, e.eng.Run(context.Background(), crm.Job{Kind: crm.JobDetractor, LeadID: 3, Key: "reason:5"}))
	assert.Equal(t, []string{
		"ts-3 ⚠️ Detractor: Ivan scored 3/10 after lead #3 (Boris's sale). Please call them. @Boris,@Anna",
		"ts-3 💬 Why 3/10 (lead #3, Ivan): “late” @Boris,@Anna",
	}, notes, "under the card, mentioning the rep and the heads")
}
