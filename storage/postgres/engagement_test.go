package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

type engBundle struct {
	ctx   context.Context
	db    *postgres.DB
	leads *postgres.LeadStore
	store *postgres.EngagementStore
	at    time.Time
}

const day = 24 * time.Hour

func setupEngagement(t *testing.T) *engBundle {
	t.Helper()
	db := postgrestest.NewDB(t)
	_, err := postgres.NewQueue(db, nil, postgres.QueueOptions{})
	require.NoError(t, err)
	return &engBundle{ctx: t.Context(), db: db, leads: postgres.NewLeadStore(db),
		store: postgres.NewEngagementStore(db), at: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
}

// contact stores a reachable contact whose chat id is its Telegram id.
func (b *engBundle) contact(t *testing.T, tgID int64) *crm.Contact {
	t.Helper()
	c := &crm.Contact{TelegramUserID: tgID, ChatID: tgID, FirstName: "C", TimeZone: "Europe/Moscow", CreatedAt: b.at}
	require.NoError(t, b.leads.UpsertContact(b.ctx, c))
	return c
}

// lead stores a lead of the contact in stage, last active at updated.
func (b *engBundle) lead(t *testing.T, contactID int64, stage crm.Stage, updated time.Time) int64 {
	t.Helper()
	l := &crm.Lead{ContactID: contactID, Stage: stage, FlowID: "qualify", FlowVersion: 1, Step: "need",
		CreatedAt: updated.Add(-time.Hour), UpdatedAt: updated}
	require.NoError(t, b.leads.CreateLead(b.ctx, l))
	return l.ID
}

// won stores a lead of the contact won at wonAt by manager (0: none).
func (b *engBundle) won(t *testing.T, contactID int64, wonAt time.Time, manager int64) int64 {
	t.Helper()
	id := b.lead(t, contactID, crm.StageQualified, wonAt.Add(-time.Hour))
	b.exec(t, `UPDATE leads SET stage = 'won', won_at = $2, updated_at = $2, amount = 100,
		manager_id = nullif($3::bigint, 0) WHERE id = $1`, id, wonAt, manager)
	return id
}

// lost stores a lead of the contact lost at lostAt with reason.
func (b *engBundle) lost(t *testing.T, contactID int64, lostAt time.Time, reason string) int64 {
	t.Helper()
	id := b.lead(t, contactID, crm.StageQualified, lostAt.Add(-time.Hour))
	b.exec(t, `UPDATE leads SET stage = 'lost', lost_at = $2, updated_at = $2, lost_reason = $3 WHERE id = $1`,
		id, lostAt, reason)
	return id
}

func (b *engBundle) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	_, err := b.db.Pool.Exec(b.ctx, q, args...)
	require.NoError(t, err)
}

func (b *engBundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, q, args...).Scan(&n))
	return n
}

// survey creates the lead's survey, created at.
func (b *engBundle) survey(t *testing.T, leadID int64, at time.Time) *crm.Survey {
	t.Helper()
	s := &crm.Survey{LeadID: leadID, DueAt: at, CreatedAt: at}
	ok, err := b.store.CreateSurvey(b.ctx, s, crm.Job{Kind: crm.JobSurvey, LeadID: leadID})
	require.NoError(t, err)
	require.True(t, ok)
	return s
}

func dueIDs(due []crm.Due) []int64 {
	ids := []int64{}
	for _, d := range due {
		ids = append(ids, d.LeadID)
	}
	return ids
}

func requireEngCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, crm.ErrorCode(err), "error: %v", err)
}

func TestEngagementDueSurveys(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	now := b.at

	c := b.contact(t, 1)
	due := b.won(t, c.ID, now.Add(-8*day), 7)
	b.won(t, b.contact(t, 2).ID, now.Add(-6*day), 0) // won too recently
	b.lead(t, b.contact(t, 3).ID, crm.StageContacted, now.Add(-30*day))

	stopped := b.contact(t, 4)
	b.won(t, stopped.ID, now.Add(-8*day), 0)
	require.NoError(t, b.store.Stop(b.ctx, stopped.ID, now))
	blocked := b.contact(t, 5)
	b.won(t, blocked.ID, now.Add(-8*day), 0)
	require.NoError(t, b.store.MarkUnreachable(b.ctx, blocked.ID, now))
	erased := b.contact(t, 6)
	b.won(t, erased.ID, now.Add(-8*day), 0)
	require.NoError(t, b.store.Forget(b.ctx, erased.ID, now))
	noChat := &crm.Contact{TelegramUserID: 7, FirstName: "No chat", CreatedAt: now}
	require.NoError(t, b.leads.UpsertContact(b.ctx, noChat))
	b.won(t, noChat.ID, now.Add(-8*day), 0)

	got, err := b.store.DueSurveys(b.ctx, now.Add(-7*day), now.Add(-90*day), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []crm.Due{{LeadID: due, ContactID: c.ID, ManagerID: 7, FlowID: "qualify",
		TimeZone: "Europe/Moscow", Since: now.Add(-8 * day)}}, got)

	// wonBefore is exclusive.
	got, err = b.store.DueSurveys(b.ctx, now.Add(-8*day), now.Add(-90*day), 0, 10)
	require.NoError(t, err)
	require.Empty(t, got)

	// A survey takes the lead off the list.
	b.survey(t, due, now)
	got, err = b.store.DueSurveys(b.ctx, now.Add(-7*day), now.Add(-90*day), 0, 10)
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = b.store.DueSurveys(b.ctx, now, now, 0, 0)
	requireEngCode(t, err, crm.EINVALID)
}

func TestEngagementDueSurveysPages(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	var want []int64
	for i := range 5 {
		want = append(want, b.won(t, b.contact(t, int64(10+i)).ID, b.at.Add(-10*day), 0))
	}
	var got []int64
	var after int64
	pages := 0
	for {
		due, err := b.store.DueSurveys(b.ctx, b.at, b.at, after, 2)
		require.NoError(t, err)
		pages++
		got = append(got, dueIDs(due)...)
		if len(due) < 2 {
			break
		}
		after = due[len(due)-1].LeadID
	}
	require.Equal(t, want, got)
	require.Equal(t, 3, pages)
}

// TestEngagementDueSurveysRepeatLimit: the first purchase always gets a
// survey, later ones at most once per repeat period, and never two at once.
func TestEngagementDueSurveysRepeatLimit(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	const nps, repeat = 7 * day, 90 * day
	surveyed := b.at // when each contact's first survey was created
	dueAt := func(now time.Time) []int64 {
		t.Helper()
		due, err := b.store.DueSurveys(b.ctx, now.Add(-nps), now.Add(-repeat), 0, 100)
		require.NoError(t, err)
		return dueIDs(due)
	}

	// Bought again 30 days after the first survey: not due with a 90-day
	// repeat when the purchase's own delay is over, nor later while the
	// repeat period lasts.
	soon := b.contact(t, 1)
	b.survey(t, b.won(t, soon.ID, surveyed.Add(-nps), 0), surveyed)
	second := b.won(t, soon.ID, surveyed.Add(30*day), 0)
	require.Empty(t, dueAt(surveyed.Add(30*day+nps+time.Second)))
	require.Empty(t, dueAt(surveyed.Add(repeat-time.Second)))

	// Bought again 100 days after: due, and by then the first contact's
	// repeat period is over too.
	late := b.contact(t, 2)
	b.survey(t, b.won(t, late.ID, surveyed.Add(-nps), 0), surveyed)
	third := b.won(t, late.ID, surveyed.Add(100*day), 0)
	require.Equal(t, []int64{second}, dueAt(surveyed.Add(repeat+nps)))
	require.Equal(t, []int64{second, third}, dueAt(surveyed.Add(100*day+nps+time.Second)))

	// The first purchase qualifies even when the contact was surveyed
	// recently (a later purchase got its survey first).
	first := b.contact(t, 3)
	firstLead := b.won(t, first.ID, b.at.Add(-20*day), 0)
	b.survey(t, b.won(t, first.ID, b.at.Add(-10*day), 0), b.at.Add(-day))
	require.Contains(t, dueAt(b.at), firstLead)

	// Two purchases due at once: one survey, the earlier lead's.
	two := b.contact(t, 4)
	a := b.won(t, two.ID, b.at.Add(-9*day), 0)
	c := b.won(t, two.ID, b.at.Add(-8*day), 0)
	got := dueAt(b.at)
	require.Contains(t, got, a)
	require.NotContains(t, got, c)
	b.survey(t, a, b.at)
	require.NotContains(t, dueAt(b.at), c, "the repeat limit now holds the second one back")
}

func TestEngagementCreateSurveyOnce(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	c := b.contact(t, 1)
	lead := b.won(t, c.ID, b.at.Add(-8*day), 7)

	s := &crm.Survey{LeadID: lead, DueAt: b.at.Add(-day), CreatedAt: b.at}
	ok, err := b.store.CreateSurvey(b.ctx, s, crm.Job{Kind: crm.JobSurvey, LeadID: lead})
	require.NoError(t, err)
	require.True(t, ok)
	require.NotZero(t, s.ID)
	require.Equal(t, c.ID, s.ContactID, "filled from the lead")
	require.Equal(t, int64(7), s.ManagerID, "the rep who won the sale")

	again := &crm.Survey{LeadID: lead, DueAt: b.at, CreatedAt: b.at.Add(time.Hour)}
	ok, err = b.store.CreateSurvey(b.ctx, again, crm.Job{Kind: crm.JobSurvey, LeadID: lead})
	require.NoError(t, err)
	require.False(t, ok)
	require.Zero(t, again.ID)

	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM surveys`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = $1`, crm.JobSurvey))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = $1
		AND (args->>'lead_id')::bigint = $2 AND args->>'key' = $3`, crm.JobSurvey, lead, strconv.FormatInt(s.ID, 10)))

	got, err := b.store.Survey(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, &crm.Survey{ID: s.ID, LeadID: lead, ContactID: c.ID, ManagerID: 7,
		DueAt: b.at.Add(-day), CreatedAt: b.at}, got)

	sent := b.at.Add(time.Minute)
	require.NoError(t, b.store.MarkSurveySent(b.ctx, s.ID, sent))
	require.NoError(t, b.store.MarkSurveySent(b.ctx, s.ID, sent.Add(time.Hour)), "a retry keeps the first time")
	got, err = b.store.Survey(b.ctx, s.ID)
	require.NoError(t, err)
	require.NotNil(t, got.SentAt)
	require.True(t, sent.Equal(*got.SentAt))
	// Marked before the send; a send that failed takes it back.
	require.NoError(t, b.store.UnmarkSurveySent(b.ctx, s.ID))
	got, err = b.store.Survey(b.ctx, s.ID)
	require.NoError(t, err)
	require.Nil(t, got.SentAt)
	require.NoError(t, b.store.MarkSurveySent(b.ctx, s.ID, sent))

	_, err = b.store.Survey(b.ctx, s.ID+1000)
	requireEngCode(t, err, crm.ENOTFOUND)
	requireEngCode(t, b.store.MarkSurveySent(b.ctx, s.ID+1000, sent), crm.ENOTFOUND)
	_, err = b.store.CreateSurvey(b.ctx, &crm.Survey{LeadID: 999999, DueAt: b.at}, crm.Job{Kind: crm.JobSurvey})
	requireEngCode(t, err, crm.ENOTFOUND)
	other := b.won(t, c.ID, b.at, 0)
	_, err = b.store.CreateSurvey(b.ctx, &crm.Survey{LeadID: other, ContactID: c.ID + 1000, DueAt: b.at}, crm.Job{Kind: crm.JobSurvey})
	requireEngCode(t, err, crm.EINVALID)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job`), "failed writes queue nothing")
}

// TestEngagementCreateSurveyRace: two schedulers sweeping at once create
// one survey and queue one job.
func TestEngagementCreateSurveyRace(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	lead := b.won(t, b.contact(t, 1).ID, b.at.Add(-8*day), 0)
	var wg sync.WaitGroup
	created := make([]bool, 4)
	errs := make([]error, 4)
	for i := range created {
		wg.Go(func() {
			created[i], errs[i] = b.store.CreateSurvey(b.ctx, &crm.Survey{LeadID: lead, DueAt: b.at, CreatedAt: b.at},
				crm.Job{Kind: crm.JobSurvey, LeadID: lead})
		})
	}
	wg.Wait()
	n := 0
	for i := range created {
		require.NoError(t, errs[i])
		if created[i] {
			n++
		}
	}
	require.Equal(t, 1, n)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM surveys`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = $1`, crm.JobSurvey))
}

func TestEngagementScoreSurvey(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	lead := b.won(t, b.contact(t, 1).ID, b.at.Add(-8*day), 0)
	s := b.survey(t, lead, b.at)
	key := strconv.FormatInt(s.ID, 10)
	detractor := []crm.Job{{Kind: crm.JobDetractor, LeadID: lead, Key: key}}

	requireEngCode(t, b.store.ScoreSurvey(b.ctx, s.ID, 11, b.at, nil), crm.EINVALID)
	requireEngCode(t, b.store.ScoreSurvey(b.ctx, s.ID, -1, b.at, nil), crm.EINVALID)

	answered := b.at.Add(time.Hour)
	require.NoError(t, b.store.ScoreSurvey(b.ctx, s.ID, 3, answered, detractor))
	err := b.store.ScoreSurvey(b.ctx, s.ID, 9, answered.Add(time.Minute), detractor)
	requireEngCode(t, err, crm.ECONFLICT)
	require.Contains(t, crm.ErrorMessage(err), "already answered")
	requireEngCode(t, b.store.ScoreSurvey(b.ctx, s.ID+1000, 5, answered, nil), crm.ENOTFOUND)

	got, err := b.store.Survey(b.ctx, s.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Score)
	require.Equal(t, 3, *got.Score)
	require.True(t, answered.Equal(*got.AnsweredAt))

	events, err := b.leads.Events(b.ctx, lead)
	require.NoError(t, err)
	var nps []crm.Event
	for _, e := range events {
		if e.Kind == crm.EventNPSAnswered {
			nps = append(nps, e)
		}
	}
	require.Len(t, nps, 1)
	require.Equal(t, map[string]any{"score": float64(3)}, nps[0].Data)
	require.Equal(t, "customer", nps[0].Actor)
	require.True(t, answered.Equal(nps[0].At))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = $1 AND args->>'key' = $2`,
		crm.JobDetractor, key))
}

func TestEngagementCommentSurvey(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	c := b.contact(t, 1)
	lead := b.won(t, c.ID, b.at.Add(-8*day), 0)
	s := b.survey(t, lead, b.at)

	_, err := b.store.AwaitingComment(b.ctx, c.ID, b.at.Add(-day))
	requireEngCode(t, err, crm.ENOTFOUND)
	requireEngCode(t, b.store.CommentSurvey(b.ctx, s.ID, "too slow", b.at, nil), crm.ECONFLICT)

	scored := b.at.Add(time.Hour)
	require.NoError(t, b.store.ScoreSurvey(b.ctx, s.ID, 6, scored, nil))
	got, err := b.store.AwaitingComment(b.ctx, c.ID, scored.Add(-day))
	require.NoError(t, err)
	require.Equal(t, s.ID, got.ID)
	_, err = b.store.AwaitingComment(b.ctx, c.ID, scored)
	requireEngCode(t, err, crm.ENOTFOUND) // scored not after since
	_, err = b.store.AwaitingComment(b.ctx, c.ID+1000, scored.Add(-day))
	requireEngCode(t, err, crm.ENOTFOUND)

	requireEngCode(t, b.store.CommentSurvey(b.ctx, s.ID, "  ", scored, nil), crm.EINVALID)
	commented := scored.Add(time.Minute)
	require.NoError(t, b.store.CommentSurvey(b.ctx, s.ID, "доставка долгая 🐢", commented, nil))
	err = b.store.CommentSurvey(b.ctx, s.ID, "again", commented, nil)
	requireEngCode(t, err, crm.ECONFLICT)
	requireEngCode(t, b.store.CommentSurvey(b.ctx, s.ID+1000, "x", commented, nil), crm.ENOTFOUND)

	got, err = b.store.Survey(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, "доставка долгая 🐢", got.Comment)
	require.True(t, commented.Equal(*got.CommentedAt))
	_, err = b.store.AwaitingComment(b.ctx, c.ID, scored.Add(-day))
	requireEngCode(t, err, crm.ENOTFOUND)

	events, err := b.leads.Events(b.ctx, lead)
	require.NoError(t, err)
	last := events[len(events)-1]
	require.Equal(t, crm.EventNPSAnswered, last.Kind)
	require.Equal(t, map[string]any{"comment": "доставка долгая 🐢"}, last.Data)
	require.True(t, commented.Equal(last.At))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM events WHERE kind = $1`, crm.EventNPSAnswered))
}

func TestEngagementStalledLeadsAndFollowups(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	now := b.at
	c := b.contact(t, 1)
	quiet := b.lead(t, c.ID, crm.StageQualifying, now.Add(-3*time.Hour))
	fresh := b.lead(t, b.contact(t, 2).ID, crm.StageNew, now.Add(-time.Hour))
	b.lead(t, b.contact(t, 3).ID, crm.StageQualified, now.Add(-5*time.Hour)) // finished the dialogue
	stopped := b.contact(t, 4)
	b.lead(t, stopped.ID, crm.StageNew, now.Add(-5*time.Hour))
	require.NoError(t, b.store.Stop(b.ctx, stopped.ID, now))
	newLead := b.lead(t, b.contact(t, 5).ID, crm.StageNew, now.Add(-4*time.Hour))

	due, err := b.store.StalledLeads(b.ctx, crm.PurposeNudge, now.Add(-2*time.Hour), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{quiet, newLead}, dueIDs(due))
	require.Equal(t, crm.Due{LeadID: quiet, ContactID: c.ID, FlowID: "qualify", TimeZone: "Europe/Moscow",
		Since: now.Add(-3 * time.Hour)}, due[0])
	due, err = b.store.StalledLeads(b.ctx, crm.PurposeNudge, now.Add(-2*time.Hour), quiet, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{newLead}, dueIDs(due), "keyset after the first")
	_, err = b.store.StalledLeads(b.ctx, "spam", now, 0, 10)
	requireEngCode(t, err, crm.EINVALID)

	n, err := b.store.FollowupsSent(b.ctx, quiet)
	require.NoError(t, err)
	require.Zero(t, n)

	for i := range 3 {
		ok, err := b.store.CreateFollowup(b.ctx, quiet, crm.PurposeNudge, now, crm.Job{Kind: crm.JobNudge, LeadID: quiet})
		require.NoError(t, err)
		require.Equal(t, i == 0, ok)
	}
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM followups WHERE lead_id = $1`, quiet))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = $1`, crm.JobNudge))

	due, err = b.store.StalledLeads(b.ctx, crm.PurposeNudge, now.Add(-2*time.Hour), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{newLead}, dueIDs(due), "nudged once")
	due, err = b.store.StalledLeads(b.ctx, crm.PurposeAsk, now.Add(-30*time.Minute), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []int64{quiet, fresh, newLead}, dueIDs(due), "the other purpose is still due")

	n, err = b.store.FollowupsSent(b.ctx, quiet)
	require.NoError(t, err)
	require.Zero(t, n, "queued, not sent")
	require.NoError(t, b.store.MarkFollowupSent(b.ctx, quiet, crm.PurposeNudge, now.Add(time.Minute)))
	require.NoError(t, b.store.MarkFollowupSent(b.ctx, quiet, crm.PurposeNudge, now.Add(time.Hour)))
	n, err = b.store.FollowupsSent(b.ctx, quiet)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM followups WHERE lead_id = $1 AND sent_at = $2`, quiet, now.Add(time.Minute)))
	require.NoError(t, b.store.UnmarkFollowupSent(b.ctx, quiet, crm.PurposeNudge), "a send that failed takes the mark back")
	n, err = b.store.FollowupsSent(b.ctx, quiet)
	require.NoError(t, err)
	require.Zero(t, n)

	requireEngCode(t, b.store.MarkFollowupSent(b.ctx, quiet, crm.PurposeAsk, now), crm.ENOTFOUND)
	_, err = b.store.FollowupsSent(b.ctx, 999999)
	requireEngCode(t, err, crm.ENOTFOUND)
	_, err = b.store.CreateFollowup(b.ctx, 999999, crm.PurposeNudge, now, crm.Job{Kind: crm.JobNudge})
	requireEngCode(t, err, crm.ENOTFOUND)
	_, err = b.store.CreateFollowup(b.ctx, quiet, "spam", now, crm.Job{Kind: crm.JobNudge})
	requireEngCode(t, err, crm.EINVALID)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job`))
}

func TestEngagementLostLeads(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	now := b.at
	c := b.contact(t, 1)
	old := b.lost(t, c.ID, now.Add(-31*day), "cancelled")
	b.lost(t, b.contact(t, 2).ID, now.Add(-10*day), "no budget") // too recent
	b.lost(t, b.contact(t, 3).ID, now.Add(-40*day), "forgotten")
	blocked := b.contact(t, 4)
	b.lost(t, blocked.ID, now.Add(-40*day), "price")
	require.NoError(t, b.store.MarkUnreachable(b.ctx, blocked.ID, now))
	returned := b.contact(t, 5)
	b.lost(t, returned.ID, now.Add(-40*day), "price")
	b.lead(t, returned.ID, crm.StageQualifying, now.Add(-day)) // came back on their own

	due, err := b.store.LostLeads(b.ctx, now.Add(-30*day), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []crm.Due{{LeadID: old, ContactID: c.ID, FlowID: "qualify", TimeZone: "Europe/Moscow",
		Since: now.Add(-31 * day)}}, due)

	ok, err := b.store.CreateFollowup(b.ctx, old, crm.PurposeReengage, now, crm.Job{Kind: crm.JobReengage, LeadID: old})
	require.NoError(t, err)
	require.True(t, ok)
	due, err = b.store.LostLeads(b.ctx, now.Add(-30*day), 0, 10)
	require.NoError(t, err)
	require.Empty(t, due, "re-engaged once")
}

func TestEngagementFollowupReason(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	now := b.at
	c := b.contact(t, 1)
	closing := b.lead(t, c.ID, crm.StageQualifying, now.Add(-day))
	staying := b.lead(t, b.contact(t, 2).ID, crm.StageNew, now.Add(-day))
	for _, id := range []int64{closing, staying} {
		_, err := b.store.CreateFollowup(b.ctx, id, crm.PurposeAsk, now, crm.Job{Kind: crm.JobAskWhy, LeadID: id})
		require.NoError(t, err)
	}

	at := now.Add(time.Hour)
	require.NoError(t, b.store.FollowupReason(b.ctx, closing, "expensive", true, at))
	l, err := b.leads.Lead(b.ctx, closing)
	require.NoError(t, err)
	require.Equal(t, crm.StageLost, l.Stage)
	require.Equal(t, "expensive", l.LostReason)
	require.True(t, at.Equal(l.UpdatedAt))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND lost_at = $2`, closing, at))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM followups WHERE lead_id = $1 AND purpose = 'ask' AND reason = 'expensive'`, closing))
	events, err := b.leads.Events(b.ctx, closing)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, "followup_reason", crm.EventStage}, eventKinds(events))
	require.Equal(t, map[string]any{"reason": "expensive", "lost": true}, events[1].Data)
	require.Equal(t, map[string]any{"to": "lost", "reason": "expensive"}, events[2].Data)
	require.Equal(t, "customer", events[2].Actor)

	require.NoError(t, b.store.FollowupReason(b.ctx, staying, "thinking", false, at))
	l, err = b.leads.Lead(b.ctx, staying)
	require.NoError(t, err)
	require.Equal(t, crm.StageNew, l.Stage, "not a lost reason: the dialogue stays open")
	events, err = b.leads.Events(b.ctx, staying)
	require.NoError(t, err)
	require.Equal(t, []string{crm.EventCreated, "followup_reason"}, eventKinds(events))
	require.Equal(t, map[string]any{"reason": "thinking", "lost": false}, events[1].Data)

	// A lead past the dialogue keeps its stage; the answer is still kept.
	won := b.won(t, c.ID, now, 0)
	require.NoError(t, b.store.FollowupReason(b.ctx, won, "expensive", true, at))
	l, err = b.leads.Lead(b.ctx, won)
	require.NoError(t, err)
	require.Equal(t, crm.StageWon, l.Stage)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM followups WHERE lead_id = $1 AND purpose = 'ask' AND reason = 'expensive'`, won))

	requireEngCode(t, b.store.FollowupReason(b.ctx, 999999, "expensive", true, at), crm.ENOTFOUND)
}

func eventKinds(events []crm.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func TestEngagementReachStopUnreachable(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	c := b.contact(t, 42)
	r, err := b.store.Reach(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, crm.Reach{ContactID: c.ID, ChatID: 42, TimeZone: "Europe/Moscow"}, r)
	require.True(t, r.Allowed())

	stopped := b.at.Add(time.Hour)
	require.NoError(t, b.store.Stop(b.ctx, c.ID, stopped))
	require.NoError(t, b.store.Stop(b.ctx, c.ID, stopped.Add(time.Hour)))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND stopped_at = $2`, c.ID, stopped), "the first /stop stays")
	require.NoError(t, b.store.MarkUnreachable(b.ctx, c.ID, stopped))
	r, err = b.store.Reach(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, crm.Reach{ContactID: c.ID, ChatID: 42, TimeZone: "Europe/Moscow", Stopped: true, Unreachable: true}, r)
	require.False(t, r.Allowed())

	// Unblocked: reachable again, but /stop stays.
	require.NoError(t, b.store.MarkReachable(b.ctx, c.ID))
	r, err = b.store.Reach(b.ctx, c.ID)
	require.NoError(t, err)
	require.False(t, r.Unreachable)
	require.True(t, r.Stopped)
	later := stopped.Add(2 * time.Hour)
	require.NoError(t, b.store.MarkUnreachable(b.ctx, c.ID, later))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND unreachable_at = $2`, c.ID, later), "blocked again: the new time")

	noChat := &crm.Contact{TelegramUserID: 43, CreatedAt: b.at}
	require.NoError(t, b.leads.UpsertContact(b.ctx, noChat))
	r, err = b.store.Reach(b.ctx, noChat.ID)
	require.NoError(t, err)
	require.Zero(t, r.ChatID)
	require.False(t, r.Allowed())

	_, err = b.store.Reach(b.ctx, 999999)
	requireEngCode(t, err, crm.ENOTFOUND)
	requireEngCode(t, b.store.Stop(b.ctx, 999999, b.at), crm.ENOTFOUND)
	requireEngCode(t, b.store.MarkUnreachable(b.ctx, 999999, b.at), crm.ENOTFOUND)
	requireEngCode(t, b.store.MarkReachable(b.ctx, 999999), crm.ENOTFOUND)
	requireEngCode(t, b.store.Forget(b.ctx, 999999, b.at), crm.ENOTFOUND)
}

// person is one customer's whole history, seeded through the stores the
// way the bot writes it, with personal strings distinctive enough to
// find anywhere in the database.
type person struct {
	tgID                                int64
	first, last, username, phone, email string
	plan, message, comment, lastWord    string
	// searches are what a manager typed to find the customer: /find
	// texts, and an argument /stats refused.
	searches []string
}

// personal is everything the customer is or typed.
func (p person) personal() []string {
	return []string{p.first, p.last, p.username, p.phone, p.email, p.plan, p.message, p.comment, p.lastWord}
}

// members is Anna, head of sales, as bot.Team finds her.
type members struct{}

var anna = crm.Manager{ID: 1, Name: "Anna", Role: crm.RoleHead, TelegramID: 9001}

func (members) ManagerByTelegram(id int64) (crm.Manager, bool) { return anna, id == anna.TelegramID }
func (members) ManagerBySlack(string) (crm.Manager, bool)      { return crm.Manager{}, false }

type noSender struct{}

func (noSender) Send(context.Context, bot.Message) (int, error)           { return 0, nil }
func (noSender) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }

// search runs a manager's command the way every channel does (bot.Team,
// which writes staff_log) and returns its answer.
func (b *engBundle) search(t *testing.T, command, args string) string {
	t.Helper()
	stats := crm.NewStats(postgres.NewStatsStore(b.db), postgres.NewSalesStore(b.db), nil, []crm.Manager{anna},
		crm.ClockFunc(func() time.Time { return b.at.Add(30 * day) }), time.UTC)
	staff, err := bot.NewTeam(bot.TeamConfig{Stats: stats, Team: members{}, Sender: noSender{}})
	require.NoError(t, err)
	msgs := staff.Answer(b.ctx, anna, "telegram", command, args)
	require.NotEmpty(t, msgs)
	return msgs[0].Text
}

func (b *engBundle) seedPerson(t *testing.T, p person) (contactID int64, leadIDs []int64) {
	t.Helper()
	ctx := b.ctx
	at := b.at
	c := &crm.Contact{TelegramUserID: p.tgID, ChatID: p.tgID, FirstName: p.first, LastName: p.last,
		Username: p.username, Language: "ru", TimeZone: "Europe/Moscow", CreatedAt: at}
	require.NoError(t, b.leads.UpsertContact(ctx, c))

	// A lead that went all the way: answers of every kind, a message, a
	// sale, a survey with a score and a comment.
	l := &crm.Lead{ContactID: c.ID, FlowID: "qualify", FlowVersion: 1, Step: "need", CreatedAt: at,
		Attribution: crm.Attribution{Source: "google", Campaign: "spring", Payload: "s-google__c-spring"}}
	require.NoError(t, b.leads.CreateLead(ctx, l))
	steps := []struct{ step, kind, value string }{
		{"need", "choice", "buy"}, {"budget", "number", "150000"}, {"plan", "text", p.plan},
		{"phone", "phone", p.phone}, {"email", "email", p.email},
	}
	for i, s := range steps {
		at = at.Add(time.Minute)
		pr := crm.Progress{LeadID: l.ID, ContactID: c.ID,
			Answer: &crm.Answer{StepID: s.step, Kind: s.kind, Value: s.value, Score: 10},
			Score:  10 * (i + 1), Stage: crm.StageQualifying, Temperature: crm.Warm, Step: "next", At: at,
			// An "answered" event as answers wrote them before (the scrub
			// still finds such rows).
			Events: []crm.Event{{Kind: crm.EventAnswered, Actor: "customer",
				Data: map[string]any{"step": s.step, "value": s.value, "score": 10}}}}
		switch s.kind {
		case "phone":
			pr.Phone = s.value
		case "email":
			pr.Email = s.value
		}
		if i == len(steps)-1 {
			pr.Stage, pr.Temperature, pr.Step = crm.StageQualified, crm.Hot, ""
		}
		require.NoError(t, b.leads.SaveProgress(ctx, pr))
	}
	require.NoError(t, b.leads.AddEvent(ctx, crm.Event{LeadID: l.ID, Kind: crm.EventMessage, Actor: "customer",
		Data: map[string]any{"text": p.message}, At: at.Add(time.Minute)}))
	require.NoError(t, b.leads.AddEvent(ctx, crm.Event{LeadID: l.ID, Kind: crm.EventMessage, Actor: "customer",
		Data: map[string]any{"text": "contact " + p.phone}, At: at.Add(time.Minute)}))
	require.NoError(t, b.leads.AddEvent(ctx, crm.Event{LeadID: l.ID, Kind: crm.EventTouch, Actor: "customer",
		Data: map[string]any{"payload": "s-fb", "source": "fb"}, At: at.Add(time.Minute)}))
	won := at.Add(time.Hour)
	b.exec(t, `UPDATE leads SET stage = 'won', won_at = $2, amount = 1000, manager_id = 7 WHERE id = $1`, l.ID, won)
	b.exec(t, `INSERT INTO events (lead_id, kind, actor, data, created_at)
		VALUES ($1, 'stage_changed', 'Anna', '{"to": "won", "amount": 1000}', $2)`, l.ID, won)
	s := b.survey(t, l.ID, won.Add(7*day))
	require.NoError(t, b.store.ScoreSurvey(ctx, s.ID, 4, won.Add(8*day), []crm.Job{{Kind: crm.JobDetractor, LeadID: l.ID, Key: strconv.FormatInt(s.ID, 10)}}))
	require.NoError(t, b.store.CommentSurvey(ctx, s.ID, p.comment, won.Add(8*day+time.Minute), nil))

	// A lead that stalled, was asked why, and was closed by the answer.
	stalled := &crm.Lead{ContactID: c.ID, Stage: crm.StageQualifying, FlowID: "qualify", FlowVersion: 1,
		Step: "plan", CreatedAt: won.Add(10 * day)}
	require.NoError(t, b.leads.CreateLead(ctx, stalled))
	require.NoError(t, b.leads.SaveProgress(ctx, crm.Progress{LeadID: stalled.ID,
		Answer: &crm.Answer{StepID: "plan", Kind: "text", Value: p.lastWord}, Stage: crm.StageQualifying,
		Step: "phone", At: won.Add(10*day + time.Minute),
		Events: []crm.Event{{Kind: crm.EventAnswered, Actor: "customer", Data: map[string]any{"step": "plan", "value": p.lastWord}}}}))
	_, err := b.store.CreateFollowup(ctx, stalled.ID, crm.PurposeAsk, won.Add(11*day), crm.Job{Kind: crm.JobAskWhy, LeadID: stalled.ID})
	require.NoError(t, err)
	require.NoError(t, b.store.MarkFollowupSent(ctx, stalled.ID, crm.PurposeAsk, won.Add(11*day)))
	require.NoError(t, b.store.FollowupReason(ctx, stalled.ID, "expensive", true, won.Add(11*day+time.Hour)))

	// The card went to Slack and the sales group.
	sales := postgres.NewSalesStore(b.db)
	_, err = sales.SaveCardRef(ctx, crm.CardPost{LeadID: l.ID, Channel: "slack", Ref: fmt.Sprintf("CSALES:%d.0001", l.ID), At: at})
	require.NoError(t, err)
	_, err = sales.SaveCardRef(ctx, crm.CardPost{LeadID: l.ID, Channel: "telegram", Ref: fmt.Sprintf("-100500:%d", l.ID), At: at})
	require.NoError(t, err)

	// A manager looked the customer up, by what they are and by what
	// they typed, and mistyped a period with their surname.
	for _, q := range p.searches {
		b.search(t, "find", q)
	}
	require.Contains(t, b.search(t, "stats", p.last), "Usage")
	return c.ID, []int64{l.ID, stalled.ID}
}

// funnel is what the reports count, which /forget must not change.
func (b *engBundle) funnel(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	rows, err := b.db.Pool.Query(b.ctx, `SELECT 'stage:' || stage, count(*) FROM leads GROUP BY stage
		UNION ALL SELECT 'answers', count(*) FROM answers
		UNION ALL SELECT 'answers:' || kind, count(*) FROM answers GROUP BY kind
		UNION ALL SELECT 'events', count(*) FROM events
		UNION ALL SELECT 'events:' || kind, count(*) FROM events GROUP BY kind
		UNION ALL SELECT 'nps:' || score, count(*) FROM surveys GROUP BY score
		UNION ALL SELECT 'nps_events_scored', count(*) FROM events WHERE kind = 'nps_answered' AND data ? 'score'
		UNION ALL SELECT 'contacts', count(*) FROM contacts
		UNION ALL SELECT 'won_amount', sum(amount)::int FROM leads
		UNION ALL SELECT 'lost:' || lost_reason, count(*) FROM leads WHERE stage = 'lost' GROUP BY lost_reason
		UNION ALL SELECT 'followups', count(*) FROM followups
		UNION ALL SELECT 'staff_log', count(*) FROM staff_log
		UNION ALL SELECT 'river_job', count(*) FROM river_job`)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		var n int
		require.NoError(t, rows.Scan(&k, &n))
		out[k] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// occurrences counts, for every column of every table in the test's
// schema, the rows whose text form contains needle (case-insensitively),
// and returns "table.column" -> count for the columns that have any.
func (b *engBundle) occurrences(t *testing.T, needle string) map[string]int {
	t.Helper()
	rows, err := b.db.Pool.Query(b.ctx, `SELECT c.table_name, c.column_name
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY 1, 2`)
	require.NoError(t, err)
	type column struct{ Table, Name string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	require.NoError(t, err)
	require.Greater(t, len(cols), 50, "the scan must see the whole schema")
	found := map[string]int{}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT count(*) FROM %s WHERE strpos(lower(%s::text), lower($1)) > 0`,
			pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Name}.Sanitize())
		if n := b.count(t, q, needle); n > 0 {
			found[c.Table+"."+c.Name] = n
		}
	}
	return found
}

// anyOccurrence is occurrences for many needles at once: needle ->
// "table.column" of the columns whose text form contains it.
func (b *engBundle) anyOccurrence(t *testing.T, needles []string) map[string][]string {
	t.Helper()
	rows, err := b.db.Pool.Query(b.ctx, `SELECT c.table_name, c.column_name
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			-- A time holds nothing personal, and its digits (".999") would
			-- match a phone's.
			AND c.data_type NOT IN ('timestamp with time zone', 'timestamp without time zone', 'date', 'interval')
		ORDER BY 1, 2`)
	require.NoError(t, err)
	type column struct{ Table, Name string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[column])
	require.NoError(t, err)
	require.Greater(t, len(cols), 50, "the scan must see the whole schema")
	found := map[string][]string{}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT n FROM unnest($1::text[]) n
			WHERE EXISTS (SELECT 1 FROM %s WHERE strpos(lower(%s::text), lower(n)) > 0)`,
			pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Name}.Sanitize())
		rows, err := b.db.Pool.Query(b.ctx, q, needles)
		require.NoError(t, err)
		hits, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		for _, h := range hits {
			found[h] = append(found[h], c.Table+"."+c.Name)
		}
	}
	return found
}

// TestEngagementForget: after /forget none of the customer's personal
// strings, nor any prefix of three characters or more of one, is anywhere
// in the database (staff_log included: a manager found them by the first
// letters of their surname and by words they typed), another customer's
// are all still there, every count the reports make is the same, and
// each lead of theirs with a posted card has a card_update job queued.
func TestEngagementForget(t *testing.T) {
	t.Parallel()
	b := setupEngagement(t)
	gone := person{tgID: 1001, first: "Zyxwvut", last: "Qzyxovna", username: "zyx_user", phone: "+79990001122",
		email: "zyx@example.org", plan: "Jqxplan is my secret", message: "Vwkmsg call my wife", comment: "Hjgcmt hated it",
		lastWord: "Pqxword second thoughts"}
	gone.searches = []string{"Qzy", "Zyxw Qzyx", "999 000-11-22", "@zyx_u", "zyx@exa", "Jqxplan", "Vwkmsg call"}
	kept := person{tgID: 1002, first: "Mnbvcxz", last: "Lkjhgova", username: "mnb_user", phone: "+78880003344",
		email: "mnb@example.org", plan: "an open plan", message: "call my boss", comment: "loved it mnb",
		lastWord: "mnb second thoughts"}
	kept.searches = []string{"Lkj", "mnb@example.org"}
	goneID, goneLeads := b.seedPerson(t, gone)
	_, keptLeads := b.seedPerson(t, kept)

	for _, s := range gone.personal() {
		require.NotEmpty(t, b.occurrences(t, s), "seeded %q", s)
	}
	var prefixes []string
	for _, v := range append(gone.personal(), "9990001122") {
		r := []rune(v)
		for n := 3; n <= len(r); n++ {
			prefixes = append(prefixes, string(r[:n]))
		}
	}
	// What the manager typed is not in the log even before the erasure;
	// what the searches found is, as lead ids.
	for _, q := range append(gone.searches, kept.searches...) {
		require.Zero(t, b.count(t, `SELECT count(*) FROM staff_log WHERE strpos(lower(args), lower($1)) > 0`, q), q)
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM staff_log WHERE args <> ''`))
	require.Equal(t, 5, b.count(t, `SELECT count(*) FROM staff_log WHERE command = 'find' AND lead_ids && $1`, goneLeads),
		"every search but the two for typed answers found the customer")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM staff_log WHERE command = 'find' AND lead_ids && $1`, keptLeads))
	before := b.funnel(t)
	goneAnswers, err := b.leads.Answers(b.ctx, goneLeads[0])
	require.NoError(t, err)

	erased := b.at.Add(100 * day)
	require.NoError(t, b.store.Forget(b.ctx, goneID, erased))
	require.NoError(t, b.store.Forget(b.ctx, goneID, erased), "forgetting twice is harmless")

	require.Empty(t, b.anyOccurrence(t, prefixes), "the customer's values or their prefixes are still in the database")
	for _, s := range kept.personal() {
		require.NotEmpty(t, b.occurrences(t, s), "%q of another customer was erased", s)
	}
	require.Equal(t, before["staff_log"], b.funnel(t)["staff_log"], "the audit log keeps its lines")
	require.Equal(t, 5, b.count(t, `SELECT count(*) FROM staff_log WHERE command = 'find' AND lead_ids && $1`, goneLeads),
		"the log still says which leads were looked at; they name no one now")
	after := b.funnel(t)
	require.Equal(t, before["river_job"]+1, after["river_job"], "one card_update job, the same for the second /forget")
	delete(before, "river_job")
	delete(after, "river_job")
	require.Equal(t, before, after, "the reports count the same")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update'
		AND (args->>'lead_id')::bigint = $1 AND args->>'key' = $2`, goneLeads[0], "erased@"+strconv.FormatInt(erased.UnixNano(), 10)),
		"the lead with cards is redrawn")
	require.Zero(t, b.count(t, `SELECT count(*) FROM river_job WHERE args->>'job' = 'card_update' AND (args->>'lead_id')::bigint <> $1`,
		goneLeads[0]), "no job for a lead without a card, nor for another customer's")

	// The customer is anonymous and out of reach, and their leads read as
	// before but for what they typed.
	r, err := b.store.Reach(b.ctx, goneID)
	require.NoError(t, err)
	require.True(t, r.Erased)
	require.True(t, r.Stopped)
	require.False(t, r.Allowed())
	contact, err := b.leads.Contact(b.ctx, goneID)
	require.NoError(t, err)
	require.Equal(t, int64(gone.tgID), contact.TelegramUserID)
	require.Equal(t, "", contact.Name())
	require.Equal(t, "", contact.Phone)
	require.Equal(t, "", contact.Email)

	answers, err := b.leads.Answers(b.ctx, goneLeads[0])
	require.NoError(t, err)
	require.Len(t, answers, len(goneAnswers))
	values := map[string]string{}
	for i, a := range answers {
		require.Equal(t, goneAnswers[i].Score, a.Score)
		values[a.StepID] = a.Value
	}
	require.Equal(t, map[string]string{"need": "buy", "budget": "150000", "plan": "", "phone": "", "email": ""}, values)

	lead, err := b.leads.Lead(b.ctx, goneLeads[0])
	require.NoError(t, err)
	require.Equal(t, crm.StageWon, lead.Stage)
	require.Equal(t, 50, lead.Score)
	require.Equal(t, "google", lead.Attribution.Source)
	stalled, err := b.leads.Lead(b.ctx, goneLeads[1])
	require.NoError(t, err)
	require.Equal(t, crm.StageLost, stalled.Stage)
	require.Equal(t, "expensive", stalled.LostReason)

	// The "answered" events the seed wrote are rows of before answers
	// stopped writing them (Events leaves them out): the scrub still
	// blanks their typed values and keeps a choice or a number, which are
	// not personal.
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE lead_id = $1 AND kind = 'answered' AND data->>'value' = 'buy'`, goneLeads[0]))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM events WHERE lead_id = ANY($1) AND kind = 'answered' AND data->>'step' NOT IN ('need', 'budget') AND data ? 'value'`, goneLeads))
	events, err := b.leads.Events(b.ctx, goneLeads[0])
	require.NoError(t, err)
	for _, e := range events {
		switch e.Kind {
		case crm.EventAnswered:
			require.NotContains(t, e.Data, "value", "an answer's timeline entry holds no value")
		case crm.EventNPSAnswered:
			require.NotContains(t, e.Data, "comment")
		case crm.EventTouch:
			require.Equal(t, "fb", e.Data["source"])
		case crm.EventMessage:
			require.Equal(t, map[string]any{}, e.Data)
		}
	}
	sv, err := b.store.AwaitingComment(b.ctx, goneID, b.at)
	require.Nil(t, sv)
	requireEngCode(t, err, crm.ENOTFOUND)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM surveys WHERE contact_id = $1 AND score = 4 AND comment = ''
		AND commented_at IS NOT NULL`, goneID), "the score stays; the comment is gone but was given")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND erased_at = $2 AND stopped_at = $2`,
		goneID, erased))

	// The other customer's rows are untouched.
	keptAnswers, err := b.leads.Answers(b.ctx, keptLeads[0])
	require.NoError(t, err)
	require.Equal(t, kept.plan, keptAnswers[2].Value)
}
