package telegram

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// TestGroupCardInTheTeamsLanguage: the sales group's card, its buttons,
// an escalation and a digest hold no word of the other language.
func TestGroupCardInTheTeamsLanguage(t *testing.T) {
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
		mk := func(stage crm.Stage) *crm.LeadCard {
			return &crm.LeadCard{
				Lead: crm.Lead{ID: 42, Stage: stage, Temperature: crm.Hot, Score: 75, CreatedAt: now.Add(-time.Hour),
					LostReason: "no budget", Attribution: crm.Attribution{Source: c.src}},
				Contact:  crm.Contact{FirstName: c.name, Phone: "+79161234567", TelegramUserID: 7},
				Answers:  []crm.CardAnswer{{Question: c.q, Value: "1500000", Score: 30}},
				Assignee: &crm.Manager{Name: c.name}, Claimed: stage != crm.StageQualified, ClaimedAt: &claimed,
				Escalations: 1, Now: now, Win: &crm.WinEstimate{MinWon: 30, MinLost: 30},
			}
		}
		g := NewSalesGroup(nil, 1, SalesGroupOptions{Language: c.lang})
		var texts []string
		for _, st := range []crm.Stage{crm.StageQualified, crm.StageContacted, crm.StageLost} {
			card := mk(st)
			texts = append(texts, cardText(card, g.format()))
			for _, row := range cardButtons(card, c.lang) {
				for _, b := range row {
					texts = append(texts, b.Text)
				}
			}
		}
		// A won lead's card under a detractor's alert offers Call back.
		followUp := mk(crm.StageWon)
		followUp.FollowUp = true
		rows := cardButtons(followUp, c.lang)
		assert.NotEmpty(t, rows, "a detractor's alert has Call back")
		for _, row := range rows {
			for _, b := range row {
				texts = append(texts, b.Text)
			}
		}
		assert.Empty(t, cardButtons(mk(crm.StageWon), c.lang), "a won card alone has no button")
		plain := strings.NewReplacer("Telegram", "").Replace(strings.Join(texts, "\n"))
		assert.NotRegexp(t, c.other, plain, "%s:\n%s", c.lang, plain)
		assert.Contains(t, plain, bot.ActionLabel(c.lang, actCallback))
	}
}
