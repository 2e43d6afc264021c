package slack

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// TestSlackCardInTheTeamsLanguage: the Block Kit card, its fallback, an
// escalation, a reminder and a digest hold no word of the other language.
func TestSlackCardInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	claimed := now.Add(-50 * time.Minute)
	for _, c := range []struct {
		lang, name, src, q string
		other              *regexp.Regexp
	}{
		{bot.LangRU, "Иван Петров", "яндекс", "Бюджет", regexp.MustCompile(`[A-Za-z]{2,}`)},
		{bot.LangEN, "Ivan Petrov", "google", "Budget", regexp.MustCompile(`[А-Яа-яЁё]`)},
	} {
		f := bot.Format{Lang: c.lang}
		var texts []string
		for _, st := range []crm.Stage{crm.StageQualified, crm.StageContacted, crm.StageWon, crm.StageLost} {
			card := &crm.LeadCard{
				Lead: crm.Lead{ID: 42, Stage: st, Temperature: crm.Hot, Score: 75, CreatedAt: now.Add(-time.Hour),
					LostReason: "no budget", FlowID: "qualify", Attribution: crm.Attribution{Source: c.src}},
				Contact:  crm.Contact{FirstName: c.name, Phone: "+79161234567", TelegramUserID: 7},
				Answers:  []crm.CardAnswer{{Question: c.q, Value: "1500000", Score: 30}},
				Assignee: &crm.Manager{Name: c.name, SlackID: "UANNA"}, Claimed: st != crm.StageQualified, ClaimedAt: &claimed,
				Amount: 1500, Escalations: 2, Now: now, Win: &crm.WinEstimate{MinWon: 30, MinLost: 30},
			}
			raw, err := json.Marshal(cardBlocks(card, f, true))
			require.NoError(t, err)
			texts = append(texts, textsOf(t, raw), cardText(card, f),
				escalationText(card, nil, c.lang), reminderText(card, crm.Manager{Name: c.name, SlackID: "UANNA"}, c.lang))
			raw, err = json.Marshal(digestBlocks("", []*crm.LeadCard{card}, f))
			require.NoError(t, err)
			texts = append(texts, textsOf(t, raw), digestText("", []*crm.LeadCard{card}, c.lang))
			if st == crm.StageWon {
				// Under a detractor's alert the won card offers Call back.
				card.FollowUp = true
				raw, err = json.Marshal(followUpBlocks("⚠️", card, true, c.lang))
				require.NoError(t, err)
				alert := textsOf(t, raw)
				assert.Contains(t, alert, "⏰ "+bot.TeamText(c.lang, "button.cb"), "the alert has Call back")
				texts = append(texts, alert)
			}
		}
		plain := strings.NewReplacer("Telegram", "", "SLA", "", "qualify", "", "UANNA", "", "find", "", "funnel", "").Replace(strings.Join(texts, "\n"))
		assert.NotRegexp(t, c.other, plain, "%s:\n%s", c.lang, plain)
	}
}

// textsOf is every "text" value in Block Kit JSON.
func textsOf(t *testing.T, raw []byte) string {
	t.Helper()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	walk(v)
	return strings.Join(out, "\n")
}
