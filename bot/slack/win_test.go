package slack

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

func TestCardShowsWinProbability(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	card := &crm.LeadCard{Lead: crm.Lead{ID: 9, Temperature: crm.Hot, Stage: crm.StageQualified, CreatedAt: now}, Now: now,
		Win: &crm.WinEstimate{Ready: true, Probability: 0.34, Horizon: 30 * 24 * time.Hour,
			Raised: []crm.Contribution{{Label: "Need: Buy", LogOdds: 0.69}}}}
	raw, err := json.Marshal(cardBlocks(card, bot.Format{Loc: time.UTC}, false))
	require.NoError(t, err)
	require.Contains(t, string(raw), `🎯 Win probability 34% within 30d\n↑ Need: Buy ×2.0`)
	card.Win = &crm.WinEstimate{MinWon: 30, MinLost: 30}
	raw, _ = json.Marshal(cardBlocks(card, bot.Format{Loc: time.UTC}, false))
	require.Contains(t, string(raw), "not enough outcomes yet (needs 30 won and 30 lost)")
}
