package bot

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

// reportFixtures are one of every report, with data (names, sources,
// reasons) in lang, so only a label can be in the other language.
func reportFixtures(lang string) map[string]string {
	msk, _ := time.LoadLocation("Europe/Moscow")
	p := crm.Period{Name: "7d", From: time.Date(2026, 11, 16, 0, 0, 0, 0, msk), To: time.Date(2026, 11, 23, 0, 0, 0, 0, msk), Loc: msk}
	name, src, step := "Вера", "яндекс", "Бюджет"
	// Ids from the configuration (a campaign, a flow, an experiment, its
	// arms) are data too.
	campID, flowID, expID, stepID, armA, armB := "весна", "основной", "формулировка", "бюджет", "а", "б"
	if lang == LangEN {
		name, src, step = "Vera", "google", "Budget"
		campID, flowID, expID, stepID, armA, armB = "spring", "main", "need_wording", "budget", "a", "b"
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
			{Kind: "reassigned", Actor: name, At: claimed, Data: map[string]any{"manager": name, "by": name}},
			{Kind: "unclaimed", Actor: name, At: claimed, Data: map[string]any{"from": name, "by": name}},
			{Kind: "note", Actor: name, At: claimed, Data: map[string]any{"note_id": float64(1)}},
			{Kind: "callback_scheduled", Actor: "system", At: claimed, Data: map[string]any{"due_at": "2026-11-18T08:00:00Z"}},
			{Kind: "callback_due", Actor: "system", At: claimed},
			{Kind: "campaign_click", Actor: "customer", At: claimed, Data: map[string]any{"campaign": src}},
			{Kind: "handoff", Actor: "customer", At: claimed, Data: map[string]any{"campaign": src}},
		}}
	lead.Messages = []crm.Message{
		{Direction: crm.FromCustomer, Kind: crm.MessagePhoto, Text: name, At: at},
		{Direction: crm.ToCustomer, Author: name, Text: name, At: at, Delivery: crm.DeliveryBlocked},
		{Direction: crm.TeamNote, Author: name, Text: name, At: at, ErasedAt: &at},
	}
	steps := func(string) string { return step }

	camp := []crm.CampaignReport{{Campaign: &crm.Campaign{ID: campID, Name: name, Goal: crm.Goal{Kind: crm.GoalReply, Within: 72 * time.Hour}},
		Audience: 200, SRM: 0.004, SRMFlag: true, BestSent: 10, BestReplied: 3, RandomSent: 10, RandomReplied: 1,
		Variants: []crm.VariantReport{
			{VariantStats: crm.VariantStats{Variant: armA, Sent: 100, Delivered: 95, Blocked: 5, Replied: 10, Goal: 10}, Weight: 50, BeatsFirst: math.NaN(), ReplyRate: 0.105, ReplyLo: 0.05, ReplyHi: 0.18},
			{VariantStats: crm.VariantStats{Variant: armB, Sent: 100, Delivered: 90, Replied: 20, Goal: 20}, Weight: 50, Promoted: true, BeatsFirst: 0.97},
		}}}
	ab := &crm.ABReport{Period: p, Experiments: []crm.ABExperiment{{FlowExperiment: crm.FlowExperiment{ID: expID, Flow: flowID, Step: stepID},
		SRM: 0.5, Variants: []crm.ABVariant{
			{ID: armA, Weight: 50, Leads: 21, Started: crm.ABRate{Count: 20, Rate: 0.95, Lo: 0.8, Hi: 0.99, BeatsFirst: math.NaN()}},
			{ID: armB, Weight: 0, Leads: 3, Hot: crm.ABRate{Count: 1, Rate: 0.33, BeatsFirst: 0.4}},
		}}}}
	trained := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	model := &crm.ModelReport{Won: 40, Lost: 90, Policy: crm.ModelPolicy{MinWon: 30, MinLost: 30},
		Current: &crm.WinModel{ID: 3, TrainedAt: trained, Horizon: 30 * 24 * time.Hour, Current: true,
			Eval: crm.ModelEvaluation{TrainLeads: 100, TrainWon: 30, TrainLost: 70, TrainFrom: trained.AddDate(0, -3, 0), TrainTo: trained.AddDate(0, -1, 0),
				TestLeads: 30, TestWon: 10, TestLost: 20, TestFrom: trained.AddDate(0, -1, 0), TestTo: trained, AUC: 0.71, ScoreAUC: 0.6, Brier: 0.2,
				Calibration: []crm.CalibrationBin{{Leads: 10, Predicted: 0.2, Won: 2}}, Previous: &crm.PreviousModel{ID: 2, AUC: 0.7}}},
		Strongest: []crm.ModelFeature{{Name: "answer:budget", Weight: 1, Scale: 1}, {Name: "source=" + src, Weight: -1, Scale: 1},
			{Name: "weekday=Sun", Weight: 1, Scale: 1}, {Name: "hour=09-12", Weight: 1, Scale: 1}, {Name: "dialogue_minutes", Weight: 1, Scale: 1},
			{Name: "answer:budget?", Weight: 1, Scale: 1}},
		Names: map[string]crm.FeatureName{
			"answer:budget":    {Form: crm.FeatureFormHigher, Subject: step},
			"source=" + src:    {Form: crm.FeatureFormAttr, Subject: "source", Value: src},
			"weekday=Sun":      {Form: crm.FeatureFormWeekday, Value: "Sun"},
			"hour=09-12":       {Form: crm.FeatureFormHour, Value: "09-12"},
			"dialogue_minutes": {Form: crm.FeatureFormLonger},
			"answer:budget?":   {Form: crm.FeatureFormGiven, Subject: step},
		}}
	model.Recent = []crm.WinModel{*model.Current, {ID: 2, TrainedAt: trained.AddDate(0, 0, -7), Eval: crm.ModelEvaluation{AUC: 0.7}}}
	next := at.Add(26 * time.Hour)
	my := renderMy(Format{Lang: lang, Loc: msk}, []crm.OpenLead{{LeadID: 42, Name: name, Stage: crm.StageQualified, QualifiedAt: at, NextCall: &next},
		{LeadID: 43, Stage: crm.StageContacted, QualifiedAt: at}}, at.Add(3*time.Hour))
	desk := strings.Join([]string{
		TeamTextf(lang, "desk.note_added", 42), TeamText(lang, "desk.notes"), TeamText(lang, "desk.note_erased"),
		TeamTextf(lang, "desk.assigned", 42, name), TeamTextf(lang, "desk.unclaimed", 42), TeamTextf(lang, "desk.requeued", 42),
		TeamTextf(lang, "desk.callback_set", 42, Format{Lang: lang, Loc: msk}.DayTime(next), "Europe/Moscow"),
		renderMy(Format{Lang: lang}, nil, at),
		ErrorText(lang, crm.Errorf(crm.EFORBIDDEN, "lead #%d is %s's", 42, name)),
		ErrorText(lang, crm.Errorf(crm.ECONFLICT, "lead #%d is already contacted", 42)),
		ErrorText(lang, crm.Errorf(crm.EINVALID, "a period is at most %d days; %s", 366, crm.PeriodUsage)),
		crm.ErrorMessage(usage(lang, TeamCommand{Name: "export", Usage: "[period] [csv]"}, "")),
	}, "\n")
	var conv []string
	for _, m := range []*crm.Message{
		{Kind: crm.MessageHandoff, Text: name}, {Kind: crm.MessagePhoto}, {Kind: crm.MessageDocument}, {Kind: crm.MessageVoice},
		{Kind: crm.MessageLocation, Media: "55.7,37.6"}, {Kind: crm.MessageContact, Text: "+79001234567"},
	} {
		conv = append(conv, MessageBody(lang, m, m.Text))
	}
	for _, d := range []crm.Delivery{crm.DeliveryDelivered, crm.DeliveryBlocked, crm.DeliveryStopped, crm.DeliveryErased, crm.DeliveryUnknown, crm.DeliveryFailed} {
		conv = append(conv, DeliveryText(lang, &crm.Message{Delivery: d}))
	}
	for _, k := range []string{"conv.customer", "conv.erased_body", "conv.deleted", "conv.edited", "conv.delivered_short"} {
		conv = append(conv, TeamText(lang, k))
	}
	conv = append(conv, TeamTextf(lang, "conv.customer_named", name), TeamTextf(lang, "conv.note", name), TeamTextf(lang, "conv.to_customer", name))
	return map[string]string{
		"campaigns":    RenderCampaignsIn(lang, camp),
		"ab":           RenderABIn(lang, ab),
		"model":        RenderModelIn(lang, model, msk),
		"my":           my,
		"desk":         desk,
		"conversation": strings.Join(conv, "\n"),
		"stats":        renderSummary(lang, "title.stats", sum),
		"digest":       renderSummary(lang, "title.digest", sum),
		"funnel":       renderFunnel(lang, funnel),
		"nps":          renderNPS(lang, nps),
		"team":         renderTeam(lang, team),
		"sources":      renderSources(lang, sources),
		"cohorts":      renderCohorts(lang, cohorts),
		"lead":         renderLead(lang, lead, msk, steps),
		"help":         TeamHelp(crm.Manager{Name: name, Role: crm.RoleHead}, lang, "/"),
	}
}

// TestReportsInTheTeamsLanguage: a report, a digest and /lead for a
// Russian-speaking reader hold no English label, and for an English one
// no Russian; the timeline reads as sentences; counts have their plural.
func TestReportsInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	// Commands, periods' keywords, zone names and product names are the
	// same in both languages.
	keep := regexp.MustCompile(`/[a-z]+|\[[a-z <>|]+\]|Europe/Moscow|\b(7d|NPS|SLA|today|yesterday|month|Nd|\d+d|csv|CSV|xlsx|Excel|email|username|Slack|id|promote|tomorrow|fri|in \d+[hm]|README|experiments|AUC|Brier|Telegram)\b|https://\S+|\(\.xlsx\)|ГГГГ-ММ-ДД|YYYY-MM-DD`)
	for _, lang := range []string{LangRU, LangEN} {
		for name, text := range reportFixtures(lang) {
			plain := keep.ReplaceAllString(text, "")
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
	assert.Contains(t, ru["stats"], "Ваши лиды:\nНовые лиды 1 ·")
	assert.Contains(t, ru["funnel"], "Закрыты отказом: 3 (дорого или нет бюджета: 2; клиент прервал диалог: 1)", "one reason, whoever gave it")
	assert.Contains(t, ru["sources"], "яндекс: 1 лид ·")
	assert.Contains(t, ru["sources"], "прямой заход: 2 лида ·")
	assert.Contains(t, ru["sources"], "Итого: 3 лида ·")
	assert.Contains(t, ru["lead"], "17 нояб. 09:10 этап: продажа: 1\u202f200\u202f000 (Вера)")
	assert.Contains(t, ru["lead"], "17 нояб. 09:00 ответ: Бюджет (+30)")
	assert.NotContains(t, ru["lead"], "e+06")
	assert.Contains(t, ru["lead"], "17 нояб. 09:10 назначен перезвон на ср 18 нояб. 11:00")
	assert.Contains(t, ru["lead"], "17 нояб. 09:10 передан: Вера (Вера)")
	assert.Contains(t, ru["my"], "№42 Вера · 3 ч · Квалифицирован · перезвонить 18 нояб. 11:00")
	assert.Contains(t, ru["model"], "↑ пришёл в воскресенье ×2,72")
	assert.Contains(t, ru["model"], "AUC 0,710 (по одним баллам: 0,600;")
	assert.Contains(t, ru["ab"], "а (вес 50 = >99%): 21 лид\n")
	assert.Contains(t, ru["campaigns"], "Вера (весна, цель: ответ за 3 дн.) — аудитория 200")
	assert.Contains(t, ru["desk"], "⏰ Напомню перезвонить по лиду №42: ср 18 нояб. 11:00 (Europe/Moscow).")
	en := reportFixtures(LangEN)
	assert.Contains(t, en["sources"], "google: 1 lead ·")
	assert.Contains(t, en["lead"], "17 Nov 09:10 stage: won: 1\u202f200\u202f000 (Vera)")
	assert.Contains(t, en["lead"], "17 Nov 09:10 claimed by Vera")
	assert.True(t, strings.HasPrefix(en["stats"], "📊 Stats · 7d · 16–22 Nov 2026\n(Europe/Moscow time)"), en["stats"])
}

// TestErrorTextInTheTeamsLanguage: a crm error reaches a Russian reader
// in Russian, its stage and usage arguments too, and an English reader
// as crm wrote it; an error without a translation stays readable.
func TestErrorTextInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		ru, en string
	}{
		{crm.Errorf(crm.ENOTFOUND, "Lead #%d not found.", 7), "Лид №7 не найден.", "Lead #7 not found."},
		{crm.Errorf(crm.ENOTFOUND, "Lead #%d is not among your leads.", 7), "Лида №7 нет среди ваших.", "Lead #7 is not among your leads."},
		{crm.Errorf(crm.EFORBIDDEN, "lead #%d is %s's", 7, "Борис"), "Лид №7 ведёт Борис.", "lead #7 is Борис's"},
		{crm.Errorf(crm.ECONFLICT, "lead #%d is already contacted", 7), "По лиду №7 контакт уже отмечен.", "lead #7 is already contacted"},
		{crm.Errorf(crm.ECONFLICT, "lead #%d is already %s", 7, "won"), "Лид №7 уже закрыт: продажа.", "lead #7 is already won"},
		{crm.Errorf(crm.ECONFLICT, "lead #%d is %s", 7, crm.StageLost), "Лид №7 на этапе «отказ».", "lead #7 is lost"},
		{crm.Errorf(crm.EFORBIDDEN, "only a head of sales reassigns leads; /unclaim %d gives yours back", 7),
			"Передавать лиды может только руководитель продаж; вернуть свой лид — /unclaim 7.", "only a head of sales reassigns leads; /unclaim 7 gives yours back"},
		{crm.Errorf(crm.EINVALID, "the amount of a sale must be less than 1 000 000 000 000"),
			"сумма продажи должна быть меньше 1 000 000 000 000", "the amount of a sale must be less than 1 000 000 000 000"},
		{crm.Errorf(crm.EINVALID, "%s%s", "that time has passed; ", crm.CallbackUsage),
			"это время уже прошло; скажите когда, по вашему времени: tomorrow 15:00, today 18:30, fri 10:00, 25.12 11:00, 2026-12-25 11:00, in 2h, in 30m",
			"that time has passed; " + crm.CallbackUsage},
		{crm.Errorf(crm.EINVALID, "no translation %d", 1), "no translation 1", "no translation 1"},
		{errors.New("boom"), "У нас что-то пошло не так; попробуйте ещё раз через минуту.", "Something went wrong on our side; please try again in a minute."},
	}
	for _, c := range cases {
		assert.Equal(t, c.ru, ErrorText(LangRU, c.err))
		assert.Equal(t, c.en, ErrorText(LangEN, c.err))
		assert.Equal(t, c.ru, ErrorText(LangRU, fmt.Errorf("wrapped: %w", c.err)), "found through a wrap")
	}
	assert.Empty(t, ErrorText(LangRU, nil))
	assert.Equal(t, TeamText(LangRU, "usage.period"), func() string {
		var e *crm.Error
		errors.As(crm.Errorf(crm.EINVALID, "%s", crm.PeriodUsage), &e)
		return ErrorText(LangRU, e)
	}(), "crm.PeriodUsage is the team text's English")
	assert.Equal(t, crm.PeriodUsage, TeamText(LangEN, "usage.period"))
	assert.Equal(t, crm.CallbackUsage, TeamText(LangEN, "usage.callback"))
}

// TestEveryTeamErrorTranslated: every crm.Errorf a team member can meet
// (crm's and the store's not-found, invalid, conflict and forbidden
// errors) has its Russian in crmErrorRU, so a new refusal cannot reach a
// Russian-speaking team in English unnoticed. The internal ones (a job's
// key, a configuration's segment, a customer's button) are listed apart.
func TestEveryTeamErrorTranslated(t *testing.T) {
	t.Parallel()
	internal := map[string]bool{
		"unknown job kind %q": true, "job %s: key %q is not a message id": true, "job key %q is not an id": true,
		"call-back job key %q": true, "digest job key %q": true, "digest day %q: %v": true, "unknown action %q": true,
		"the card of lead %d is not posted yet": true, "not a team member's message": true,
		"not your message": true, "no such button": true, "not your survey": true, "not your request": true,
		"a score is 0 to 10": true, "a score is 0 to 10, not %d": true, "card reference %q is not <chat id>:<message id>": true,
		"a contact needs a Telegram user id": true, "a page needs a positive limit": true, "no survey given": true,
		"lead %d belongs to contact %d, not %d": true, "survey %d not found": true, "survey %d is already answered": true,
		"the comment is empty": true, "survey %d has no score yet": true, "survey %d already has a comment": true,
		"unknown follow-up purpose %q": true, "lead %d has no %s follow-up": true, "the reason is empty": true,
		"contact %d not found": true, "the conversation of lead %d is being relayed": true,
		"segment: unknown field %q": true, "segment: operator %q": true, "segment: days_since needs a number": true,
		"segment: unknown condition %q": true, "unknown trigger event %q": true, "no card": true,
		// The customers' dialogue and the stores' own checks.
		"a job needs a kind": true, "a restart needs the step to wait on": true, "already exists": true,
		"an answer needs a step": true, "an event needs a kind": true, "an event needs a lead and a kind": true,
		"answer is for lead %d, not %d": true, "event data is not JSON: %v": true, "event is for lead %d, not %d": true,
		"lead %d is %s, not open": true, "no lead given": true, "progress needs a lead": true,
		"step %q of lead %d is already answered": true, "text contains characters that cannot be stored": true,
		"unknown time zone %q": true,
	}
	re := regexp.MustCompile(`Errorf\((?:crm\.)?E(?:NOTFOUND|INVALID|CONFLICT|FORBIDDEN), ("(?:[^"\\]|\\.)*")`)
	var files []string
	for _, dir := range []string{"../crm", "../storage/postgres", "."} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		files = append(files, fs...)
	}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			format, err := strconv.Unquote(m[1])
			require.NoError(t, err, m[1])
			if internal[format] {
				continue
			}
			seen++
			_, ok := crmErrorRU(format)
			assert.True(t, ok, "%s: %q has no Russian in crmErrorRU", f, format)
		}
	}
	assert.Greater(t, seen, 30)
}

// TestEveryTeamTextInItsLanguage: each key of the team texts has Russian
// with no English word and English with no Russian one, beyond commands,
// their keywords and product names, which are the same in both.
func TestEveryTeamTextInItsLanguage(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("team_lang.go")
	require.NoError(t, err)
	keep := regexp.MustCompile(`/[a-z_]+|%[-+#0-9.\[\]]*[a-zA-Z]|\b(?:today|yesterday|month|tomorrow|fri|mon|in|Nd|\d+[dhm]|csv|CSV|xlsx|Excel|NPS|SLA|AUC|Brier|Telegram|Slack|id|email|Email|username|README|experiments|promote|P|Europe|Moscow|YYYY|MM|DD|https?|maps|google|com|q|p)\b`)
	keys := regexp.MustCompile(`case "([a-z][a-z0-9_.]*)"`).FindAllStringSubmatch(string(src), -1)
	require.Greater(t, len(keys), 200)
	for _, k := range keys {
		ru, en, ok := teamTexts(k[1])
		if !ok {
			continue // a case of another switch
		}
		assert.NotRegexp(t, `[A-Za-z]{2,}`, keep.ReplaceAllString(ru, ""), "%s in Russian: %q", k[1], ru)
		assert.NotRegexp(t, `[А-Яа-яЁё]`, en, "%s in English: %q", k[1], en)
	}
	// The Russian of crm's errors, by their English format.
	formats := regexp.MustCompile(`case ("(?:[^"\\]|\\.)*")(?:, ("(?:[^"\\]|\\.)*"))?:`).FindAllStringSubmatch(string(src), -1)
	checked := 0
	for _, f := range formats {
		for _, q := range f[1:] {
			format, err := strconv.Unquote(q)
			if q == "" || err != nil {
				continue
			}
			if ru, ok := crmErrorRU(format); ok {
				checked++
				assert.NotRegexp(t, `[A-Za-z]{2,}`, keep.ReplaceAllString(ru, ""), "%q in Russian: %q", format, ru)
			}
		}
	}
	assert.Greater(t, checked, 40)
}
