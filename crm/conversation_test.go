package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/crm/crmtest"
)

// escalations is a ConversationStore that only records the sweep's calls.
type escalations struct {
	crm.ConversationStore
	before []time.Time
}

func (e *escalations) EscalateUnanswered(_ context.Context, before time.Time, _ int) (int, error) {
	e.before = append(e.before, before)
	return 0, nil
}

// TestRespondWithinCountsWorkingTime: routing.respond_within counts the
// time someone is on duty. A message written at night is not overdue at
// the first sweep of the morning, only once a rep has been on duty for
// the whole of respond_within; during the day it is overdue after it.
func TestRespondWithinCountsWorkingTime(t *testing.T) {
	t.Parallel()
	hours, err := crm.ParseHours("Mon-Fri 09:00-18:00")
	require.NoError(t, err)
	team := []crm.Manager{
		{ID: 1, Name: "Anna", Role: crm.RoleHead, Hours: hours},
		{ID: 2, Name: "Admin", Role: crm.RoleAdmin, OnDuty: true}, // admins take no leads
	}
	clock := crmtest.NewClock(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) // a Monday
	sales := crm.NewSales(&crmtest.SalesStore{}, crm.SalesPolicy{TimeZone: time.UTC}, team, nil, nil, nil, clock)
	store := &escalations{}
	convs := crm.NewConversations(store, sales, nil, nil, nil, crm.ConversationPolicy{RespondWithin: 10 * time.Minute}, clock)
	ctx := context.Background()
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }

	for _, tt := range []struct {
		at    time.Time
		sweep bool
	}{
		{day(3, 0), false},  // night: nobody on duty
		{day(9, 0), false},  // the first minute of the day
		{day(9, 9), false},  // on duty for 9 minutes only
		{day(9, 10), true},  // on duty for the whole 10 minutes
		{day(14, 0), true},  // the day
		{day(18, 5), false}, // after hours
		{time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), false}, // Saturday
	} {
		store.before = nil
		require.NoError(t, convs.Sweep(ctx, tt.at))
		if !tt.sweep {
			require.Empty(t, store.before, "%s", tt.at)
			continue
		}
		require.Equal(t, []time.Time{tt.at.Add(-10 * time.Minute)}, store.before, "%s", tt.at)
	}
}
