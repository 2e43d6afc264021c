package crm_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
)

// monday noon, UTC: everyone with weekday hours is at work.
var mondayNoon = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func hours(t *testing.T, s string) crm.Hours {
	t.Helper()
	h, err := crm.ParseHours(s)
	require.NoError(t, err)
	return h
}

// team is a head on duty, two reps (one on duty, one with weekday hours
// and a limit of two open leads) and an admin on duty.
func team(t *testing.T) []crm.Manager {
	return []crm.Manager{
		{ID: 1, Name: "Anna", Role: crm.RoleHead, OnDuty: true},
		{ID: 2, Name: "Boris", Role: crm.RoleRep, OnDuty: true},
		{ID: 3, Name: "Vera", Role: crm.RoleRep, Hours: hours(t, "Mon-Fri 09:00-18:00"), MaxOpen: 2},
		{ID: 4, Name: "Ops", Role: crm.RoleAdmin, OnDuty: true},
	}
}

func TestSalesPick(t *testing.T) {
	t.Parallel()
	saturday := mondayNoon.AddDate(0, 0, -2)
	vladivostok := team(t)
	vladivostok[2].TimeZone = "Asia/Vladivostok" // UTC+10: 12:00 UTC is 22:00 there
	offDuty := team(t)
	offDuty[0].OnDuty, offDuty[1].OnDuty = false, false
	tests := []struct {
		name     string
		strategy crm.Strategy
		team     []crm.Manager
		load     map[int64]int
		last     int64
		previous int64
		now      time.Time
		want     int64 // 0: nobody
	}{
		{"first claim assigns no one", crm.FirstClaim, team(t), nil, 0, 0, mondayNoon, 0},
		{"least loaded", crm.LeastLoaded, team(t), map[int64]int{1: 3, 2: 1, 3: 0}, 0, 0, mondayNoon, 3},
		{"least loaded ties to the lower id", crm.LeastLoaded, team(t), map[int64]int{1: 1, 2: 1, 3: 1}, 0, 0, mondayNoon, 1},
		{"the admin takes no leads", crm.LeastLoaded, team(t), map[int64]int{1: 5, 2: 5, 3: 1, 4: 0}, 0, 0, mondayNoon, 3},
		{"max open reached", crm.LeastLoaded, team(t), map[int64]int{1: 5, 2: 4, 3: 2}, 0, 0, mondayNoon, 2},
		{"outside hours", crm.LeastLoaded, team(t), map[int64]int{1: 5, 2: 4}, 0, 0, saturday, 2},
		{"hours in the rep's own zone", crm.LeastLoaded, vladivostok, map[int64]int{1: 5, 2: 4}, 0, 0, mondayNoon, 2},
		{"nobody on duty", crm.LeastLoaded, offDuty, nil, 0, 0, saturday, 0},
		{"round robin after the last", crm.RoundRobin, team(t), nil, 1, 0, mondayNoon, 2},
		{"round robin skips who is away", crm.RoundRobin, team(t), nil, 2, 0, saturday, 1},
		{"round robin wraps", crm.RoundRobin, team(t), nil, 3, 0, mondayNoon, 1},
		{"round robin with nobody before", crm.RoundRobin, team(t), nil, 0, 0, mondayNoon, 1},
		{"sticky to the previous rep", crm.Sticky, team(t), map[int64]int{1: 0, 2: 0, 3: 1}, 0, 3, mondayNoon, 3},
		{"sticky falls back to least loaded", crm.Sticky, team(t), map[int64]int{1: 2, 2: 1, 3: 0}, 0, 3, saturday, 2},
		{"sticky without a previous rep", crm.Sticky, team(t), map[int64]int{1: 2, 2: 1, 3: 0}, 0, 0, mondayNoon, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, ok := crm.Pick(tt.strategy, tt.team, tt.load, tt.last, tt.previous, tt.now, time.UTC)
			if tt.want == 0 {
				assert.False(t, ok, "picked %s", m.Name)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, m.ID)
		})
	}
}

// salesEnv is a Sales over function-field fakes that record what the
// domain asked of them. Tests replace the fields they need to.
type salesEnv struct {
	store    *crmtest.SalesStore
	slack    *crmtest.SalesNotifier
	customer *crmtest.CustomerNotifier
	clock    *crmtest.Clock
	sales    *crm.Sales

	mu       sync.Mutex
	cards    map[int64]*crm.LeadCard // the store's leads, by id
	assignee map[int64]int64
	load     map[int64]int
	refs     map[int64]map[string]string
	calls    []string // "assign 7 to 2", "waiting 7", "post 7", "alerted 7"...
	reads    int      // how often the store was asked for a card
	jobs     []crm.Job
}

func (e *salesEnv) record(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := format
	for _, a := range args {
		switch v := a.(type) {
		case int64:
			s += " " + strconv.FormatInt(v, 10)
		case string:
			s += " " + v
		}
	}
	e.calls = append(e.calls, s)
}

func (e *salesEnv) recorded() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

// hot adds a qualified hot lead to the store.
func (e *salesEnv) hot(id int64) *crm.LeadCard {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := &crm.LeadCard{Lead: crm.Lead{ID: id, ContactID: 100 + id, Stage: crm.StageQualified, Temperature: crm.Hot, FlowID: "qualify"},
		Contact: crm.Contact{ID: 100 + id, FirstName: "Ivan", ChatID: 500 + id}}
	e.cards[id] = c
	return c
}

func setupSales(t *testing.T, policy crm.SalesPolicy, members []crm.Manager) *salesEnv {
	t.Helper()
	e := &salesEnv{
		clock:    crmtest.NewClock(mondayNoon),
		cards:    map[int64]*crm.LeadCard{},
		assignee: map[int64]int64{},
		load:     map[int64]int{},
		refs:     map[int64]map[string]string{},
	}
	e.store = &crmtest.SalesStore{
		SyncTeamFn: func(_ context.Context, team []crm.Manager) ([]crm.Manager, error) { return team, nil },
		CardFn: func(_ context.Context, id int64) (*crm.LeadCard, int64, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.reads++
			c, ok := e.cards[id]
			if !ok {
				return nil, 0, crm.Errorf(crm.ENOTFOUND, "lead %d not found", id)
			}
			cp := *c
			return &cp, e.assignee[id], nil
		},
		CardRefsFn: func(_ context.Context, id int64) (map[string]string, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			out := map[string]string{}
			for k, v := range e.refs[id] {
				out[k] = v
			}
			return out, nil
		},
		SaveCardRefFn: func(_ context.Context, p crm.CardPost) (string, error) {
			e.mu.Lock()
			if e.refs[p.LeadID] == nil {
				e.refs[p.LeadID] = map[string]string{}
			}
			if _, ok := e.refs[p.LeadID][p.Channel]; !ok { // the first post wins
				e.refs[p.LeadID][p.Channel] = p.Ref
			}
			stored := e.refs[p.LeadID][p.Channel]
			e.mu.Unlock()
			if p.Alerted {
				assert.Equal(t, e.clock.Now(), p.At, "alerted at the clock's time")
				e.record("alerted", p.LeadID)
			}
			return stored, nil
		},
		MarkAlertedFn: func(_ context.Context, id int64, at time.Time) error {
			assert.Equal(t, e.clock.Now(), at, "alerted at the clock's time")
			e.record("alerted", id)
			return nil
		},
		OpenLoadFn: func(context.Context) (map[int64]int, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			out := map[int64]int{}
			for k, v := range e.load {
				out[k] = v
			}
			return out, nil
		},
		LastAssigneeFn:    func(context.Context) (int64, error) { return 0, nil },
		PreviousManagerFn: func(context.Context, int64, int64) (int64, error) { return 0, nil },
		AssignFn: func(_ context.Context, id, m int64, at time.Time, jobs []crm.Job) (*crm.Lead, error) {
			e.mu.Lock()
			lead := crm.Lead{ID: id}
			if c, ok := e.cards[id]; ok {
				if c.ClaimedAt != nil {
					e.mu.Unlock()
					return nil, crm.Errorf(crm.ECONFLICT, "lead %d is already claimed", id)
				}
				c.Lead.UpdatedAt, c.Waiting = at, false
				lead = c.Lead
			}
			e.assignee[id] = m
			e.load[m]++
			e.jobs = append(e.jobs, jobs...)
			e.mu.Unlock()
			e.record("assign", id, "to", m)
			return &lead, nil
		},
		SetWaitingFn: func(_ context.Context, id int64, _ time.Time) error {
			e.mu.Lock()
			if c := e.cards[id]; c.Waiting || c.ClaimedAt != nil {
				e.mu.Unlock()
				return crm.Errorf(crm.ECONFLICT, "lead %d is claimed or waiting", id)
			}
			e.cards[id].Waiting = true
			e.mu.Unlock()
			e.record("waiting", id)
			return nil
		},
	}
	e.slack = &crmtest.SalesNotifier{
		Name: "slack",
		PostCardFn: func(_ context.Context, c *crm.LeadCard) (string, error) {
			who := "nobody"
			if c.Assignee != nil {
				who = c.Assignee.Name
			}
			e.record("post", c.Lead.ID, "for", who)
			return "ts-" + strconv.FormatInt(c.Lead.ID, 10), nil
		},
		UpdateCardFn: func(_ context.Context, ref string, c *crm.LeadCard) error {
			e.record("update", ref)
			return nil
		},
	}
	e.customer = &crmtest.CustomerNotifier{}
	e.sales = crm.NewSales(e.store, policy, members, []crm.SalesNotifier{e.slack}, e.customer, nil, e.clock)
	require.NoError(t, e.sales.Sync(context.Background()))
	return e
}

var salesPolicy = crm.SalesPolicy{Strategy: crm.LeastLoaded, ClaimWithin: 5 * time.Minute, ContactWithin: 15 * time.Minute,
	LostReasons: []string{"price", "competitor"}}

func TestSalesAlertRoutesAndPostsOnce(t *testing.T) {
	t.Parallel()
	e := setupSales(t, salesPolicy, team(t))
	e.hot(7)
	e.load = map[int64]int{1: 2, 2: 1, 3: 1}
	ctx := context.Background()

	require.NoError(t, e.sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: 7, Attempt: 1}))
	assert.Equal(t, []string{"assign 7 to 2", "post 7 for Boris", "alerted 7"}, e.recorded(),
		"the least loaded rep gets the lead before the card goes out, with the rep on it")
	assert.Equal(t, 1, e.reads, "the card is read once: the assignment is put on it, not read back")

	// A retried alert finds the lead assigned and the card posted: the card
	// is updated in place, nobody is assigned again.
	require.NoError(t, e.sales.Run(ctx, crm.Job{Kind: crm.JobSalesAlert, LeadID: 7, Attempt: 2}))
	assert.Equal(t, []string{"assign 7 to 2", "post 7 for Boris", "alerted 7", "update ts-7", "alerted 7"}, e.recorded())
}

func TestSalesAlertStrategies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		strategy crm.Strategy
		last     int64
		previous int64
		want     []string
	}{
		{"first claim routes nobody", crm.FirstClaim, 0, 0, []string{"post 7 for nobody", "alerted 7"}},
		{"round robin after the last assignee", crm.RoundRobin, 2, 0, []string{"assign 7 to 3", "post 7 for Vera", "alerted 7"}},
		{"sticky to the contact's previous rep", crm.Sticky, 0, 1, []string{"assign 7 to 1", "post 7 for Anna", "alerted 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := salesPolicy
			policy.Strategy = tt.strategy
			e := setupSales(t, policy, team(t))
			e.hot(7)
			e.store.LastAssigneeFn = func(context.Context) (int64, error) { return tt.last, nil }
			e.store.PreviousManagerFn = func(_ context.Context, contact, except int64) (int64, error) {
				assert.Equal(t, []int64{107, 7}, []int64{contact, except})
				return tt.previous, nil
			}
			require.NoError(t, e.sales.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7}))
			assert.Equal(t, tt.want, e.recorded())
		})
	}
}

func TestSalesAlertQueuesWhenNobodyOnDuty(t *testing.T) {
	t.Parallel()
	members := team(t)
	members[0].OnDuty, members[1].OnDuty = false, false
	e := setupSales(t, salesPolicy, members)
	e.clock.Set(mondayNoon.Add(-12 * time.Hour)) // Vera is off at midnight
	e.hot(7)
	require.NoError(t, e.sales.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7}))
	assert.Equal(t, []string{"waiting 7", "post 7 for nobody", "alerted 7"}, e.recorded(),
		"the card still goes out so anyone can claim it")
}

// TestSalesAlertCardIsTheCardAfterRouting: the card an alert posts,
// with the assignment or "waiting" put on the card it read, is the card a
// read after routing gives; when the lead changed under the routing
// (claimed or queued meanwhile) the card is read again and shows that.
func TestSalesAlertCardIsTheCardAfterRouting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		offDuty   bool
		meanwhile func(e *salesEnv)
		want      []string
		reads     int
	}{
		{"assigned", false, nil, []string{"assign 7 to 1", "post 7 for Anna", "alerted 7"}, 1},
		{"waiting", true, nil, []string{"waiting 7", "post 7 for nobody", "alerted 7"}, 1},
		{"claimed meanwhile", false, func(e *salesEnv) {
			at := mondayNoon.Add(-time.Second)
			e.cards[7].ClaimedAt, e.cards[7].Claimed, e.assignee[7] = &at, true, 2
		}, []string{"post 7 for Boris", "alerted 7"}, 2},
		{"queued meanwhile", true, func(e *salesEnv) { e.cards[7].Waiting = true },
			[]string{"post 7 for nobody", "alerted 7"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			members := team(t)
			if tt.offDuty {
				members = members[:1]
				members[0].OnDuty = false
			}
			e := setupSales(t, salesPolicy, members)
			e.hot(7)
			if tt.meanwhile != nil {
				load := e.store.OpenLoadFn
				e.store.OpenLoadFn = func(ctx context.Context) (map[int64]int, error) {
					e.mu.Lock()
					tt.meanwhile(e)
					e.mu.Unlock()
					return load(ctx)
				}
			}
			var posted *crm.LeadCard
			post := e.slack.PostCardFn
			e.slack.PostCardFn = func(ctx context.Context, c *crm.LeadCard) (string, error) {
				posted = c
				return post(ctx, c)
			}
			require.NoError(t, e.sales.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7}))
			assert.Equal(t, tt.want, e.recorded())
			assert.Equal(t, tt.reads, e.reads)
			// What a read now gives (alerted_at aside: the fake does not
			// keep it) is what was posted.
			now, err := e.sales.LeadCard(context.Background(), 7)
			require.NoError(t, err)
			assert.Equal(t, now, posted)
		})
	}
}

func TestSalesAlertChannelFailure(t *testing.T) {
	t.Parallel()
	e := setupSales(t, crm.SalesPolicy{}, team(t))
	e.hot(7)
	e.slack.PostCardFn = func(context.Context, *crm.LeadCard) (string, error) { return "", errors.New("slack is down") }
	err := e.sales.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7})
	require.ErrorContains(t, err, "slack is down")
	assert.NotContains(t, e.recorded(), "alerted 7", "the claim SLA starts only once the team has the card")
}

// finder is a notifier that can find the card it posted before a crash.
type finder struct {
	*crmtest.SalesNotifier
	ref   string
	found bool
}

func (f finder) FindCard(context.Context, int64) (string, bool, error) { return f.ref, f.found, nil }

func TestSalesAlertInterruptedAdoptsTheCard(t *testing.T) {
	t.Parallel()
	for _, found := range []bool{true, false} {
		e := setupSales(t, crm.SalesPolicy{}, team(t))
		e.hot(7)
		s := crm.NewSales(e.store, crm.SalesPolicy{}, team(t), []crm.SalesNotifier{finder{e.slack, "ts-old", found}}, nil, nil, e.clock)
		require.NoError(t, s.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7, Interrupted: true}))
		if found {
			assert.Equal(t, []string{"alerted 7"}, e.recorded(), "the card found is adopted, not posted again")
			assert.Equal(t, "ts-old", e.refs[7]["slack"])
		} else {
			assert.Equal(t, []string{"post 7 for nobody", "alerted 7"}, e.recorded())
		}
	}
}

func TestSalesSweepRecordsBreaches(t *testing.T) {
	t.Parallel()
	e := setupSales(t, salesPolicy, team(t))
	now := mondayNoon
	type breach struct {
		lead int64
		kind string
		job  crm.Job
	}
	var (
		breaches []breach
		seen     = map[string]bool{}
	)
	e.store.DueClaimBreachesFn = func(_ context.Context, before time.Time) ([]int64, error) {
		assert.Equal(t, now.Add(-5*time.Minute), before, "claim_within counts back from now")
		return []int64{10, 11}, nil
	}
	e.store.DueContactBreachesFn = func(_ context.Context, before time.Time) ([]int64, error) {
		assert.Equal(t, now.Add(-15*time.Minute), before, "contact_within counts back from now")
		return []int64{12}, nil
	}
	e.store.RecordBreachFn = func(_ context.Context, id int64, kind string, at time.Time, job crm.Job) (bool, error) {
		assert.Equal(t, now, at)
		key := kind + strconv.FormatInt(id, 10)
		if seen[key] {
			return false, nil
		}
		seen[key] = true
		breaches = append(breaches, breach{id, kind, job})
		return true, nil
	}
	e.store.WaitingFn = func(context.Context) ([]int64, error) { return nil, nil }

	require.NoError(t, e.sales.Sweep(context.Background(), now))
	require.NoError(t, e.sales.Sweep(context.Background(), now), "a second sweep finds the breaches recorded")
	assert.Equal(t, []breach{
		{10, "claim", crm.Job{Kind: crm.JobEscalate, LeadID: 10}},
		{11, "claim", crm.Job{Kind: crm.JobEscalate, LeadID: 11}},
		{12, "contact", crm.Job{Kind: crm.JobRemind, LeadID: 12}},
	}, breaches, "an escalation per unclaimed lead, a reminder per uncontacted one; keyed by lead only, so each is queued once")
}

func TestSalesSweepWithoutSLAs(t *testing.T) {
	t.Parallel()
	// No claim_within, no contact_within, first claim: the sweep asks the
	// store nothing (an unset function field would panic).
	e := setupSales(t, crm.SalesPolicy{Strategy: crm.FirstClaim}, team(t))
	require.NoError(t, e.sales.Sweep(context.Background(), mondayNoon))
	assert.Empty(t, e.recorded())
}

func TestSalesSweepHandsOutWaitingLeads(t *testing.T) {
	t.Parallel()
	members := team(t)
	members[0].OnDuty = false
	members[1].MaxOpen = 1
	e := setupSales(t, crm.SalesPolicy{Strategy: crm.RoundRobin}, members)
	e.load = map[int64]int{3: 1}
	e.store.WaitingFn = func(context.Context) ([]int64, error) { return []int64{20, 21, 22}, nil }
	conflict := true
	e.store.AssignFn = func(_ context.Context, id, m int64, at time.Time, jobs []crm.Job) (*crm.Lead, error) {
		if id == 20 && conflict {
			conflict = false
			return nil, crm.Errorf(crm.ECONFLICT, "claimed meanwhile")
		}
		e.load[m]++
		e.record("assign", id, "to", m)
		assert.Equal(t, []crm.Job{{Kind: crm.JobCardUpdate, LeadID: id, Key: "assigned@" + strconv.FormatInt(at.UnixNano(), 10)}}, jobs)
		return &crm.Lead{ID: id}, nil
	}
	require.NoError(t, e.sales.Sweep(context.Background(), mondayNoon))
	// 20 was claimed meanwhile (skipped); 21 to the least loaded (Boris,
	// 0 open); 22 to Vera (1 open, max 2); Vera is then full.
	assert.Equal(t, []string{"assign 21 to 2", "assign 22 to 3"}, e.recorded())

	e.calls = nil
	e.store.WaitingFn = func(context.Context) ([]int64, error) { return []int64{23, 24}, nil }
	require.NoError(t, e.sales.Sweep(context.Background(), mondayNoon))
	assert.Empty(t, e.recorded(), "everyone on duty is full: the queue waits")
}

func TestSalesEscalateAndRemind(t *testing.T) {
	t.Parallel()
	claimedAt := mondayNoon.Add(-time.Hour)
	tests := []struct {
		name  string
		job   string
		card  func(c *crm.LeadCard)
		owner int64
		want  []string
	}{
		{"unclaimed lead escalated to the heads", crm.JobEscalate, func(*crm.LeadCard) {}, 0, []string{"escalate ts-7 heads Anna"}},
		{"claimed since the breach", crm.JobEscalate, func(c *crm.LeadCard) { c.ClaimedAt = &claimedAt }, 2, nil},
		{"lost since the breach", crm.JobEscalate, func(c *crm.LeadCard) { c.Lead.Stage = crm.StageLost }, 0, nil},
		{"claimed, not contacted: the rep is reminded", crm.JobRemind, func(c *crm.LeadCard) { c.ClaimedAt = &claimedAt }, 2, []string{"remind ts-7 Boris"}},
		{"contacted since the breach", crm.JobRemind, func(c *crm.LeadCard) { c.ClaimedAt, c.ContactedAt = &claimedAt, &claimedAt }, 2, nil},
		{"won since the breach", crm.JobRemind, func(c *crm.LeadCard) { c.ClaimedAt, c.Lead.Stage = &claimedAt, crm.StageWon }, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setupSales(t, salesPolicy, team(t))
			tt.card(e.hot(7))
			e.assignee[7] = tt.owner
			e.refs[7] = map[string]string{"slack": "ts-7"}
			e.slack.EscalateFn = func(_ context.Context, ref string, _ *crm.LeadCard, heads []crm.Manager) error {
				args := []any{ref, "heads"}
				for _, h := range heads {
					args = append(args, h.Name)
				}
				e.record("escalate", args...)
				return nil
			}
			e.slack.RemindFn = func(_ context.Context, ref string, _ *crm.LeadCard, rep crm.Manager) error {
				e.record("remind", ref, rep.Name)
				return nil
			}
			require.NoError(t, e.sales.Run(context.Background(), crm.Job{Kind: tt.job, LeadID: 7}))
			assert.Equal(t, tt.want, e.recorded())
		})
	}
}

func TestSalesAct(t *testing.T) {
	t.Parallel()
	members := team(t)
	anna, boris := members[0], members[1]
	at := mondayNoon.Add(time.Minute)
	key := func(k crm.ActionKind) string { return string(k) + "@" + strconv.FormatInt(at.UnixNano(), 10) }
	tests := []struct {
		name      string
		action    crm.Action
		refusal   error // the store's
		code      string
		message   string
		anyOwner  bool
		jobs      []crm.Job
		noStoreOK bool // the domain refuses before the store
	}{
		{name: "claim", action: crm.Action{Kind: crm.ActClaim, By: boris},
			jobs: []crm.Job{{Kind: crm.JobCardUpdate, LeadID: 7, Key: key(crm.ActClaim)}, {Kind: crm.JobCustomerNotice, LeadID: 7, Key: "claimed"}}},
		{name: "contacted by a head on any lead", action: crm.Action{Kind: crm.ActContacted, By: anna}, anyOwner: true,
			jobs: []crm.Job{{Kind: crm.JobCardUpdate, LeadID: 7, Key: key(crm.ActContacted)}}},
		{name: "won", action: crm.Action{Kind: crm.ActWon, By: boris, Amount: 1500},
			jobs: []crm.Job{{Kind: crm.JobCardUpdate, LeadID: 7, Key: key(crm.ActWon)}}},
		{name: "lost", action: crm.Action{Kind: crm.ActLost, By: boris, Reason: "price"},
			jobs: []crm.Job{{Kind: crm.JobCardUpdate, LeadID: 7, Key: key(crm.ActLost)}}},
		{name: "not on the team", action: crm.Action{Kind: crm.ActClaim, By: crm.Manager{ID: 99, Name: "Mallory"}},
			code: crm.EFORBIDDEN, message: "only the sales team can do this", noStoreOK: true},
		{name: "no id", action: crm.Action{Kind: crm.ActClaim, By: crm.Manager{Name: "Anna"}},
			code: crm.EFORBIDDEN, noStoreOK: true},
		{name: "won without an amount", action: crm.Action{Kind: crm.ActWon, By: boris},
			code: crm.EINVALID, message: "the amount of a sale must be a positive number", noStoreOK: true},
		{name: "lost for a reason not on the list", action: crm.Action{Kind: crm.ActLost, By: boris, Reason: "weather"},
			code: crm.EINVALID, message: "pick a reason from the list", noStoreOK: true},
		{name: "unknown action", action: crm.Action{Kind: "dance", By: boris}, code: crm.EINVALID, noStoreOK: true},
		{name: "claimed by someone else", action: crm.Action{Kind: crm.ActClaim, By: boris},
			refusal: crm.Errorf(crm.ECONFLICT, "lead #7 is already claimed by Anna"), code: crm.ECONFLICT, message: "lead #7 is already claimed by Anna"},
		{name: "someone else's lead", action: crm.Action{Kind: crm.ActWon, By: boris, Amount: 10},
			refusal: crm.Errorf(crm.EFORBIDDEN, "lead #7 is Anna's"), code: crm.EFORBIDDEN, message: "lead #7 is Anna's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := setupSales(t, salesPolicy, members)
			e.clock.Set(at)
			e.hot(7)
			stored := false
			e.store.ActFn = func(_ context.Context, a crm.Action, anyOwner bool, jobs []crm.Job) (*crm.Lead, error) {
				stored = true
				if tt.refusal != nil {
					return nil, tt.refusal
				}
				assert.Equal(t, at, a.At, "an action without a time happens now")
				assert.Equal(t, tt.anyOwner, anyOwner)
				assert.Equal(t, tt.jobs, jobs)
				e.assignee[7] = a.By.ID
				return &crm.Lead{ID: 7}, nil
			}
			tt.action.LeadID = 7
			card, err := e.sales.Act(context.Background(), tt.action)
			assert.Equal(t, !tt.noStoreOK, stored, "whether the store was asked")
			if tt.code != "" {
				require.Error(t, err)
				assert.Equal(t, tt.code, crm.ErrorCode(err))
				if tt.message != "" {
					assert.Equal(t, tt.message, crm.ErrorMessage(err), "the rep reads the reason")
				}
				assert.Nil(t, card)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, card.Assignee)
			assert.Equal(t, tt.action.By.Name, card.Assignee.Name)
			assert.Equal(t, []string{"price", "competitor"}, card.LostReasons)
			assert.Equal(t, at, card.Now)
		})
	}
}

func TestSalesCustomerNotice(t *testing.T) {
	t.Parallel()
	e := setupSales(t, salesPolicy, team(t))
	e.hot(7)
	e.assignee[7] = 2
	var told []string
	e.customer.LeadClaimedFn = func(_ context.Context, c *crm.LeadCard, by crm.Manager) error {
		told = append(told, c.Contact.FirstName+" by "+by.Name)
		return nil
	}
	ctx := context.Background()
	require.NoError(t, e.sales.Run(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: 7, Interrupted: true}))
	assert.Empty(t, told, "an interrupted notice is not sent again")
	require.NoError(t, e.sales.Run(ctx, crm.Job{Kind: crm.JobCustomerNotice, LeadID: 7}))
	assert.Equal(t, []string{"Ivan by Boris"}, told)
	require.Equal(t, crm.EINVALID, crm.ErrorCode(e.sales.Run(ctx, crm.Job{Kind: "nonsense", LeadID: 7})))
}

func TestSalesDigest(t *testing.T) {
	t.Parallel()
	moscow, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	policy := salesPolicy
	policy.TimeZone = moscow
	e := setupSales(t, policy, team(t))
	var queued []crm.Job
	e.store.EnqueueFn = func(_ context.Context, jobs ...crm.Job) error { queued = append(queued, jobs...); return nil }
	// 22:30 UTC on Monday is 01:30 on Tuesday in Moscow: the digest is Monday's.
	require.NoError(t, e.sales.Digest(context.Background(), time.Date(2026, 11, 23, 22, 30, 0, 0, time.UTC)))
	require.Equal(t, []crm.Job{{Kind: crm.JobWarmDigest, Key: "2026-11-23"}}, queued)

	e.hot(8).Lead.Temperature = crm.Warm
	e.hot(9).Lead.Temperature = crm.Warm
	var warm []int64
	e.store.WarmQualifiedFn = func(_ context.Context, from, to time.Time) ([]int64, error) {
		assert.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, moscow), from)
		assert.Equal(t, time.Date(2026, 11, 24, 0, 0, 0, 0, moscow), to)
		return warm, nil
	}
	var digests []string
	e.slack.DigestFn = func(_ context.Context, title string, cards []*crm.LeadCard) error {
		for _, c := range cards {
			title += " #" + strconv.FormatInt(c.Lead.ID, 10)
		}
		digests = append(digests, title)
		return nil
	}
	require.NoError(t, e.sales.Run(context.Background(), queued[0]))
	assert.Empty(t, digests, "a day without warm leads posts nothing")
	warm = []int64{8, 9}
	require.NoError(t, e.sales.Run(context.Background(), queued[0]))
	assert.Equal(t, []string{"Warm leads of 2026-11-23 #8 #9"}, digests)
	require.Equal(t, crm.EINVALID, crm.ErrorCode(e.sales.Run(context.Background(), crm.Job{Kind: crm.JobWarmDigest, Key: "yesterday"})))
}

// TestWonAmountRange: the domain refuses, as EINVALID with words for the
// rep, every amount the store cannot keep (numeric(14, 2)) or that is not
// a sale, before it reaches the store; an accepted amount is stored in
// cents.
func TestWonAmountRange(t *testing.T) {
	t.Parallel()
	members := team(t)
	boris := members[1]
	e := setupSales(t, salesPolicy, members)
	e.hot(7)
	var stored []float64
	e.store.ActFn = func(_ context.Context, a crm.Action, _ bool, _ []crm.Job) (*crm.Lead, error) {
		stored = append(stored, a.Amount)
		return &crm.Lead{ID: a.LeadID}, nil
	}
	const tooLarge = "the amount of a sale must be less than 1 000 000 000 000"
	for _, tc := range []struct {
		amount float64
		want   string
	}{
		{1e12, tooLarge},
		{1e15, tooLarge},
		{999_999_999_999.995, tooLarge}, // rounds to 10^12
		{math.Inf(1), tooLarge},
		{math.MaxFloat64, tooLarge},
		{math.NaN(), "the amount of a sale must be a number"},
		{math.Inf(-1), "the amount of a sale must be a positive number"},
		{-5, "the amount of a sale must be a positive number"},
		{0, "the amount of a sale must be a positive number"},
		{0.004, "the amount of a sale must be at least 0.01"},
	} {
		_, err := e.sales.Act(context.Background(), crm.Action{LeadID: 7, Kind: crm.ActWon, By: boris, Amount: tc.amount})
		require.Equal(t, crm.EINVALID, crm.ErrorCode(err), "%v", tc.amount)
		require.Equal(t, tc.want, crm.ErrorMessage(err), "%v", tc.amount)
	}
	require.Empty(t, stored, "nothing refused reaches the store")

	for _, tc := range []struct{ amount, stored float64 }{
		{crm.MaxAmount, 999_999_999_999.99},
		{999_999_999_999.994, 999_999_999_999.99},
		{150000, 150000},
		{0.005, 0.01},
		{1234.567, 1234.57},
	} {
		_, err := e.sales.Act(context.Background(), crm.Action{LeadID: 7, Kind: crm.ActWon, By: boris, Amount: tc.amount})
		require.NoError(t, err, "%v", tc.amount)
		require.Equal(t, tc.stored, stored[len(stored)-1], "%v", tc.amount)
	}
}

// winByLead is a WinEstimator with a fixed probability per lead; a lead
// it does not know has no estimate yet.
type winByLead map[int64]float64

func (w winByLead) Estimate(_ context.Context, c *crm.LeadCard) (*crm.WinEstimate, error) {
	p, ok := w[c.Lead.ID]
	return &crm.WinEstimate{Ready: ok, Probability: p}, nil
}

func (w winByLead) Score(context.Context, crm.LeadFacts) (float64, bool, error) { return 0, false, nil }

// TestSalesSweepOrdersQueueByProbability: with routing.order_by:
// probability the waiting leads are handed out highest probability
// first; leads without an estimate (no model, or no card) go last in
// their queue order, and without the setting the queue order stands.
func TestSalesSweepOrdersQueueByProbability(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		order bool
		want  []string
	}{
		{"by probability", true, []string{"assign 32 to 1", "assign 30 to 2", "assign 31 to 3"}},
		{"by age", false, []string{"assign 30 to 1", "assign 31 to 2", "assign 32 to 3"}},
	} {
		members := team(t)
		for i := range members {
			members[i].MaxOpen = 1
		}
		e := setupSales(t, crm.SalesPolicy{Strategy: crm.LeastLoaded, OrderByProbability: c.order}, members)
		for _, id := range []int64{30, 31, 32, 33} {
			e.cards[id] = &crm.LeadCard{Lead: crm.Lead{ID: id, Stage: crm.StageQualified}}
		}
		// 33 has no card (the store says not found), 31 no estimate.
		delete(e.cards, 33)
		e.sales.SetWinEstimator(winByLead{30: 0.2, 32: 0.7, 33: 0.9})
		e.store.WaitingFn = func(context.Context) ([]int64, error) { return []int64{30, 31, 32, 33}, nil }
		require.NoError(t, e.sales.Sweep(context.Background(), mondayNoon))
		assert.Equal(t, c.want, e.recorded(), c.name)
	}
}

// TestSalesAlertMarksAlertedWithItsLastCard: the alert marks the lead
// alerted in the write of its last channel's card when every channel has
// its card, and not at all when one failed; a card posted meanwhile by a
// concurrent alert is the one the alert keeps.
func TestSalesAlertMarksAlertedWithItsLastCard(t *testing.T) {
	t.Parallel()
	for _, groupDown := range []bool{false, true} {
		e := setupSales(t, crm.SalesPolicy{}, team(t))
		e.hot(7)
		var saves []string
		save := e.store.SaveCardRefFn
		e.store.SaveCardRefFn = func(ctx context.Context, p crm.CardPost) (string, error) {
			saves = append(saves, p.Channel+" alerted="+strconv.FormatBool(p.Alerted))
			if p.Channel == "slack" {
				// Another run of the alert got there first.
				e.refs[7] = map[string]string{"slack": "ts-first"}
			}
			return save(ctx, p)
		}
		e.store.MarkAlertedFn = func(context.Context, int64, time.Time) error {
			t.Error("MarkAlerted is a round trip of its own; the last card's save does it")
			return nil
		}
		group := &crmtest.SalesNotifier{Name: "telegram", PostCardFn: func(context.Context, *crm.LeadCard) (string, error) {
			if groupDown {
				return "", errors.New("the group is down")
			}
			return "-100:7", nil
		}}
		s := crm.NewSales(e.store, crm.SalesPolicy{}, team(t), []crm.SalesNotifier{e.slack, group}, nil, nil, e.clock)
		err := s.Run(context.Background(), crm.Job{Kind: crm.JobSalesAlert, LeadID: 7})
		assert.Equal(t, "ts-first", e.refs[7]["slack"], "the first post wins")
		if groupDown {
			require.ErrorContains(t, err, "the group is down")
			assert.Equal(t, []string{"slack alerted=false"}, saves)
			assert.NotContains(t, e.recorded(), "alerted 7")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, []string{"slack alerted=false", "telegram alerted=true"}, saves)
		assert.Equal(t, []string{"post 7 for nobody", "alerted 7"}, e.recorded())
	}
}
