package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

func TestGroupCardShowsWinProbability(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	card := &crm.LeadCard{Lead: crm.Lead{ID: 9, Temperature: crm.Hot, Stage: crm.StageQualified, CreatedAt: now}, Now: now,
		Win: &crm.WinEstimate{Ready: true, Probability: 0.34, Horizon: 30 * 24 * time.Hour,
			Lowered: []crm.Contribution{{Label: "source ads", LogOdds: -0.69}}}}
	got := cardText(card, bot.Format{Loc: time.UTC})
	if !strings.HasSuffix(got, "\n🎯 Win probability 34% within 30d\n↓ source ads ×0.5") {
		t.Fatalf("card text ends:\n%s", got)
	}
}
