package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/voronka/voronka/crm"
)

// reportFixtures are one of every report, with data (names, sources,
// reasons) in lang, so only a label can be in the other language.
func reportFixtures(lang string) map[string]string {
	msk, _ := time.LoadLocation("Europe/Moscow")
	p := crm.Period{Name: "7d", From: time.Date(2026, 11, 16, 0, 0, 0, 0, msk), To: time.Date(2026, 11, 23, 0, 0, 0, 0, msk), Loc: msk}
	name, src, step := "Вера", "яндекс", "Бюджет"
	if lang == LangEN {
		name, src, step = "Vera", "google", "Budget"
	}
	at := time.Date(2026, 11, 17, 9, 0, 0, 0, msk)
	sum := &crm.Summary{Period: p, Cur: crm.SummaryFigures{SummaryCounts: crm.SummaryCounts{New: 7, Qualified: 1, Contacted: 4, Won: 2, Revenue: 1200000},
		LeadToQualified: crm.Ratio{Num: 3, Den: 7}, MedianFirstContact: 40 * time.Minute, HasMedian: true},
		Prev: crm.SummaryFigures{SummaryCounts: crm.SummaryCounts{New: 3}, HasMedian: true, MedianFirstContact: 3*time.Minute + 30*time.Second}}
	sum.Own = &crm.SummaryFigures{SummaryCounts: crm.SummaryCounts{New: 1, Won: 1}}
	funnel := &crm.FunnelReport{Period: p, Stages: crm.FunnelStages([]string{"Leads", "Started dialogue", "Qualified", "Contacted", "Won"}, []int{7, 5, 3, 3, 2}),
		Lost: 3, LostReasons: []crm.NamedCount{{Name: "no budget", Count: 1}, {Name: "expensive", Count: 1}, {Name: "cancelled", Count: 1}},
		Steps: []crm.StepDrop{{Step: "budget", Label: step, Reached: 5, Stopped: 1, Drop: crm.Ratio{Num: 1, Den: 5}}}}
	nps := &crm.NPSReport{Period: p, NPSCounts: crm.NPSCounts{Promoters: 1}, Score: 100, HasScore: true,
		Trend: []crm.NPSPoint{{Week: p.From, Responses: 1, Score: 100, Has: true}}, Own: &crm.NPSCounts{}}
	team := &crm.TeamReport{Period: p, Reps: []crm.RepFigures{{Name: name, ToClaim: 3 * time.Minute, HasClaim: true}}, Total: crm.RepFigures{Name: "Team"}}
	sources := &crm.SourcesReport{Period: p, Rows: []crm.SourceRow{{SourceCounts: crm.SourceCounts{Source: src, Leads: 1}}, {SourceCounts: crm.SourceCounts{Source: "direct", Leads: 2}}},
		Total: crm.SourceRow{SourceCounts: crm.SourceCounts{Source: "Total", Leads: 3}}}
	cohorts := &crm.CohortReport{Period: p, Cohorts: []crm.Cohort{{Week: p.From, Size: 1, Shares: []crm.Ratio{{Num: 0, Den: 1}}}}}
	claimed := at.Add(10 * time.Minute)
	lead := &crm.LeadView{Card: &crm.LeadCard{
		Lead:    crm.Lead{ID: 42, Stage: crm.StageWon, Temperature: crm.Hot, Score: 70, CreatedAt: at, Attribution: crm.Attribution{Source: src}},
		Contact: crm.Contact{FirstName: name}, Assignee: &crm.Manager{Name: name}, ClaimedAt: &claimed, Amount: 1200000, Now: at.Add(48 * time.Hour)},
		Timeline: []crm.Event{
			{Kind: crm.EventCreated, At: at, Data: map[string]any{"source": src}},
			{Kind: crm.EventAnswered, At: at, Data: map[string]any{"step": "budget", "score": float64(30)}},
			{Kind: crm.EventQualified, At: at, Data: map[string]any{"temperature": "hot", "score": float64(70)}},
			{Kind: "claimed", Actor: name, At: claimed, Data: map[string]any{"manager": name}},
			{Kind: crm.EventStage, Actor: name, At: claimed, Data: map[string]any{"to": "won", "amount": 1.2e+06}},
			{Kind: crm.EventStage, Actor: name, At: claimed, Data: map[string]any{"to": "lost", "reason": "no budget"}},
			{Kind: crm.EventNPSAnswered, Actor: "customer", At: claimed, Data: map[string]any{"score": float64(9)}},
		}}
	steps := func(string) string { return step }
	return map[string]string{
		"stats":   renderSummary(lang, "title.stats", sum),
		"digest":  renderSummary(lang, "title.digest", sum),
		"funnel":  renderFunnel(lang, funnel),
		"nps":     renderNPS(lang, nps),
		"team":    renderTeam(lang, team),
		"sources": renderSources(lang, sources),
		"cohorts": renderCohorts(lang, cohorts),
		"lead":    renderLead(lang, lead, msk, steps),
		"help":    TeamHelp(crm.Manager{Name: name, Role: crm.RoleHead}, lang, "/"),
	}
}

// TestReportsInTheTeamsLanguage: a report, a digest and /lead for a
// Russian-speaking reader hold no English label, and for an English one
// no Russian; the timeline reads as sentences; counts have their plural.
func TestReportsInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	// Commands, periods' keywords, zone names and product names are the
	// same in both languages.
	keep := regexp.MustCompile(`/[a-z]+|\[[a-z <>|]+\]|Europe/Moscow|\b(7d|NPS|SLA|today|yesterday|month|Nd|\d+d|csv|xlsx|Excel)\b|\(\.xlsx\)|ГГГГ-ММ-ДД`)
	for _, lang := range []string{LangRU, LangEN} {
		for name, text := range reportFixtures(lang) {
			plain := keep.ReplaceAllString(text, "")
			if name == "help" && lang == LangRU {
				// The commands' own descriptions are English until each is translated.
				continue
			}
			if lang == LangRU {
				assert.NotRegexp(t, `[A-Za-z]{2,}`, plain, "%s in Russian:\n%s", name, text)
			} else {
				assert.NotRegexp(t, `[А-Яа-яЁё]`, plain, "%s in English:\n%s", name, text)
			}
		}
	}
	ru := reportFixtures(LangRU)
	assert.Contains(t, ru["stats"], "📊 Показатели · 7d · 16–22 ноября 2026\n(время: Europe/Moscow)")
	assert.Contains(t, ru["stats"], "Медиана времени до первого контакта: 40 мин (было 3 мин 30 с)")
	assert.Contains(t, ru["stats"], "Ваши лиды:\nВзято в работу 1 ·")
	assert.Contains(t, ru["funnel"], "Отказы: 3 (дорого или нет бюджета: 2; клиент прервал диалог: 1)", "one reason, whoever gave it")
	assert.Contains(t, ru["sources"], "яндекс: 1 лид ·")
	assert.Contains(t, ru["sources"], "прямой заход: 2 лида ·")
	assert.Contains(t, ru["sources"], "Итого: 3 лида ·")
	assert.Contains(t, ru["lead"], "17 нояб. 09:10 этап: продажа: 1\u202f200\u202f000 (Вера)")
	assert.Contains(t, ru["lead"], "17 нояб. 09:00 ответ: Бюджет (+30)")
	assert.NotContains(t, ru["lead"], "e+06")
	en := reportFixtures(LangEN)
	assert.Contains(t, en["sources"], "google: 1 lead ·")
	assert.Contains(t, en["lead"], "17 Nov 09:10 stage: won: 1\u202f200\u202f000 (Vera)")
	assert.Contains(t, en["lead"], "17 Nov 09:10 claimed by Vera")
	assert.True(t, strings.HasPrefix(en["stats"], "📊 Stats · 7d · 16–22 Nov 2026\n(Europe/Moscow time)"), en["stats"])
}
