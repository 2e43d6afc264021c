package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Words that read the same in both languages' texts: product names and
// abbreviations a Russian team uses as they are.
var bothLanguages = strings.NewReplacer("Telegram", "", "SLA", "", "NPS", "", "Email", "")

// AssertOneLanguage fails when text, in lang, holds a word of the other
// language: two Latin letters in a row for Russian, a Cyrillic one for
// English. Data in fixtures is written in the same language, so only a
// label can trip it.
func AssertOneLanguage(t *testing.T, lang, text, what string) {
	t.Helper()
	plain := bothLanguages.Replace(text)
	if lang == bot.LangRU {
		assert.NotRegexp(t, regexp.MustCompile(`[A-Za-z]{2,}`), plain, "%s: an English word for a Russian team:\n%s", what, text)
	} else {
		assert.NotRegexp(t, regexp.MustCompile(`[А-Яа-яЁё]`), plain, "%s: a Russian word for an English team:\n%s", what, text)
	}
}

// RichCard is a lead with every field a card shows: claimed, contacted,
// lost with a reason from the team's list, escalated, with answers.
func RichCard(lang string) *crm.LeadCard {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	claimed, contacted := now.Add(-50*time.Minute), now.Add(-30*time.Minute)
	name, src, q, v := "Иван Петров", "яндекс", "Бюджет", "1500000"
	if lang == bot.LangEN {
		name, src, q, v = "Ivan Petrov", "google", "Budget", "1500000"
	}
	return &crm.LeadCard{
		Lead: crm.Lead{ID: 42, Stage: crm.StageLost, Temperature: crm.Hot, Score: 75, FlowID: "qualify", FlowVersion: 1,
			CreatedAt: now.Add(-26 * time.Hour), LostReason: "no budget",
			Attribution: crm.Attribution{Source: src, Campaign: src}},
		Contact:  crm.Contact{FirstName: name, Phone: "+79161234567"},
		Answers:  []crm.CardAnswer{{Question: q, Value: v, Score: 30}},
		Assignee: &crm.Manager{Name: name}, Claimed: true, ClaimedAt: &claimed, ContactedAt: &contacted,
		Escalations: 2, Now: now,
		Win: &crm.WinEstimate{MinWon: 30, MinLost: 30},
	}
}

// TestCardInTheTeamsLanguage: every word of bot.NewCard is in the
// Format's language.
func TestCardInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{bot.LangRU, bot.LangEN} {
		c := bot.NewCard(RichCard(lang), bot.Format{Lang: lang})
		all := strings.Join([]string{c.Title(), c.Temperature, c.Source, c.Stage, c.Owner, c.Age, c.Arrived, c.Lost}, "\n")
		AssertOneLanguage(t, lang, all, "card")
	}
	ru := bot.NewCard(RichCard(bot.LangRU), bot.Format{Lang: bot.LangRU})
	assert.Equal(t, "🔥 Иван Петров · Лид №42", ru.Title())
	assert.Equal(t, "Отказ", ru.Stage)
	assert.Equal(t, "Горячий", ru.Temperature)
	assert.Equal(t, "дорого или нет бюджета", ru.Lost, "the list's reason, whoever stored it")
	assert.Equal(t, "1 дн. 2 ч назад", ru.Age)
	assert.Equal(t, "яндекс / кампания яндекс", ru.Source, "no empty slot; the campaign named")
	en := bot.NewCard(RichCard(bot.LangEN), bot.Format{Lang: bot.LangEN})
	assert.Equal(t, "google / campaign google", en.Source)
	assert.Equal(t, "too expensive or no budget", en.Lost)
}

// TestWinFactorsInTheTeamsLanguage: the win-probability lines of a card,
// the factors' words with them, are in the team's language; a question's
// label and a source are data.
func TestWinFactorsInTheTeamsLanguage(t *testing.T) {
	t.Parallel()
	estimate := func(lang string) *crm.WinEstimate {
		q, src := "Бюджет", "яндекс"
		if lang == bot.LangEN {
			q, src = "Budget", "google"
		}
		return &crm.WinEstimate{Ready: true, Probability: 0.34, Horizon: 30 * 24 * time.Hour,
			Raised: []crm.Contribution{
				{LogOdds: 0.8, Name: crm.FeatureName{Form: crm.FeatureFormAnswer, Subject: q, Value: "1 500 000"}},
				{LogOdds: 0.2, Name: crm.FeatureName{Form: crm.FeatureFormAttr, Subject: "source", Value: src}},
				{LogOdds: 0.1, Name: crm.FeatureName{Form: crm.FeatureFormGiven, Subject: q}},
			},
			Lowered: []crm.Contribution{
				{LogOdds: -0.2, Name: crm.FeatureName{Form: crm.FeatureFormWeekday, Value: "Sun"}},
				{LogOdds: -0.1, Name: crm.FeatureName{Form: crm.FeatureFormDialogue, Value: "12"}},
				{LogOdds: -0.1, Name: crm.FeatureName{Form: crm.FeatureFormHour, Value: "21-24"}},
			}}
	}
	for _, lang := range []string{bot.LangRU, bot.LangEN} {
		AssertOneLanguage(t, lang, strings.Join(bot.WinLinesIn(estimate(lang), lang), "\n"), "win lines")
		AssertOneLanguage(t, lang, strings.Join(bot.WinLinesIn(&crm.WinEstimate{MinWon: 30, MinLost: 30}, lang), "\n"), "win lines, no model")
	}
	assert.Equal(t, []string{
		"Вероятность продажи 34% в течение 30 дн.",
		"↑ Бюджет: 1 500 000 ×2,2 · источник яндекс ×1,2 · Бюджет: есть ответ ×1,1",
		"↓ пришёл в воскресенье ×0,8 · диалог занял 12 мин ×0,9 · пришёл с 21 до 24 ч ×0,9",
	}, bot.WinLinesIn(estimate(bot.LangRU), bot.LangRU))
	assert.Equal(t, []string{
		"Win probability 34% within 30d",
		"↑ Budget: 1 500 000 ×2.2 · source google ×1.2 · Budget given ×1.1",
		"↓ arrived on Sun ×0.8 · dialogue took 12 min ×0.9 · arrived 21-24h ×0.9",
	}, bot.WinLinesIn(estimate(bot.LangEN), bot.LangEN))
}

// TestPlurals: counts read right in both languages.
func TestPlurals(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0 лидов", 1: "1 лид", 2: "2 лида", 4: "4 лида", 5: "5 лидов", 11: "11 лидов",
		12: "12 лидов", 14: "14 лидов", 21: "21 лид", 22: "22 лида", 101: "101 лид", 111: "111 лидов"} {
		assert.Equal(t, want, bot.Count(bot.LangRU, n, "n.leads"))
	}
	assert.Equal(t, "1 lead", bot.Count(bot.LangEN, 1, "n.leads"))
	assert.Equal(t, "0 leads", bot.Count(bot.LangEN, 0, "n.leads"))
	assert.Equal(t, "21 leads", bot.Count(bot.LangEN, 21, "n.leads"))
}

// TestLostReasonsOneList: the reasons of the team's buttons and of the
// customers' answers are one list; a rep's own words stay as typed.
func TestLostReasonsOneList(t *testing.T) {
	t.Parallel()
	for _, stored := range []string{"expensive", "no budget", "too expensive"} {
		assert.Equal(t, "дорого или нет бюджета", bot.LostReasonText(bot.LangRU, stored))
	}
	assert.Equal(t, "chose another solution", bot.LostReasonText(bot.LangEN, "chose a competitor"))
	assert.Equal(t, "предпочли другое решение", bot.LostReasonText(bot.LangRU, "elsewhere"))
	assert.Equal(t, "ушли на паузу", bot.LostReasonText(bot.LangRU, " ушли на паузу "))
	assert.Equal(t, "expensive", bot.LostReasonID("Дорого или нет бюджета"))
	assert.Equal(t, "unreachable", bot.LostReasonID("not reachable"))
}

// recorder keeps what was sent.
type recorder struct{ sent []bot.Message }

func (r *recorder) Send(_ context.Context, m bot.Message) (int, error) {
	r.sent = append(r.sent, m)
	return len(r.sent), nil
}
func (r *recorder) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }

// TestCustomerReadsTheCustomerName: the customer is told of the member by
// customer_name, never the team's internal name.
func TestCustomerReadsTheCustomerName(t *testing.T) {
	t.Parallel()
	f, err := flows.Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	rec := &recorder{}
	n := bot.CustomerNotices{Flows: map[string]*flows.Flow{"qualify": f}, Sender: rec}
	card := &crm.LeadCard{Lead: crm.Lead{ID: 1, FlowID: "qualify", Temperature: crm.Hot}, Contact: crm.Contact{ChatID: 5, Language: "ru"}}
	require.NoError(t, n.LeadClaimed(context.Background(), card, crm.Manager{Name: "Anna Head", CustomerName: "Анна"}))
	require.Len(t, rec.sent, 1)
	assert.True(t, strings.HasPrefix(rec.sent[0].Text, "Анна из нашей команды"), rec.sent[0].Text)
	assert.NotContains(t, rec.sent[0].Text, "Head")
	require.NoError(t, n.LeadClaimed(context.Background(), card, crm.Manager{Name: "Boris"}))
	assert.True(t, strings.HasPrefix(rec.sent[1].Text, "Boris из нашей команды"), "no customer_name: the name")
}

// TestDetractorNotice: the alert names the customer, their phone, the
// lead and its rep in the team's language; the reason follows.
func TestDetractorNotice(t *testing.T) {
	t.Parallel()
	card := RichCard(bot.LangRU)
	ru := bot.Labels{Language: "ru"}
	alert := ru.DetractorNotice(card, 3, "", false)
	assert.Equal(t, "⚠️ Критик, оценка 3/10: Иван Петров · 📞 +79161234567 · Лид №42 · менеджер: Иван Петров. Позвоните клиенту, пока не поздно.", alert)
	AssertOneLanguage(t, bot.LangRU, alert, "detractor alert")
	why := ru.DetractorNotice(card, 3, "доставка три недели", true)
	assert.Equal(t, "💬 Почему 3/10 (Лид №42, Иван Петров): «доставка три недели»", why)
	en := bot.Labels{Language: "en"}.DetractorNotice(RichCard(bot.LangEN), 3, "", false)
	AssertOneLanguage(t, bot.LangEN, en, "detractor alert")
}

// TestHandoffAndUnansweredNotices: what the team is told under a card
// when a customer asks for a person from a campaign, when they have
// waited too long for an answer, and when a call-back is due, in the
// team's language.
func TestHandoffAndUnansweredNotices(t *testing.T) {
	t.Parallel()
	ru, en := bot.Labels{Language: "ru"}, bot.Labels{Language: "en"}
	handoff := ru.HandoffNotice(RichCard(bot.LangRU), "весна")
	assert.Equal(t, "🙋 Иван Петров просит связать с менеджером (кампания весна) · Лид №42 · менеджер: Иван Петров. Свяжитесь с клиентом сейчас.", handoff)
	unanswered := ru.UnansweredNotice(RichCard(bot.LangRU), 2*time.Hour)
	assert.Equal(t, "⏰ Иван Петров (Лид №42) ждёт ответа уже больше 2 ч.", unanswered)
	AssertOneLanguage(t, bot.LangRU, handoff+"\n"+unanswered, "notices")
	enHandoff := en.HandoffNotice(RichCard(bot.LangEN), "spring")
	assert.Equal(t, "🙋 Ivan Petrov asked for a manager (campaign spring) · Lead #42 · rep: Ivan Petrov. Please reach them now.", enHandoff)
	enUnanswered := en.UnansweredNotice(RichCard(bot.LangEN), 2*time.Hour)
	AssertOneLanguage(t, bot.LangEN, enHandoff+"\n"+enUnanswered, "notices")
	assert.Contains(t, enUnanswered, "has waited for an answer for over 2 h")

	msk, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	due := time.Date(2026, 12, 7, 10, 0, 0, 0, msk)
	remind := ru.CallbackReminder(RichCard(bot.LangRU), crm.Manager{Name: "Борис"}, due)
	assert.Equal(t, "⏰ Пора перезвонить по лиду №42: перезвон назначен на пн 7 дек. 10:00, менеджер: Борис", remind)
	AssertOneLanguage(t, bot.LangRU, remind, "call-back reminder")
	assert.Equal(t, "⏰ Call back now: lead #42, as Boris planned for Mon 7 Dec 10:00",
		en.CallbackReminder(RichCard(bot.LangEN), crm.Manager{Name: "Boris"}, due))
}

// TestWarmDigestTitle: the digest's title in the team's language.
func TestWarmDigestTitle(t *testing.T) {
	t.Parallel()
	msk, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, msk)
	assert.Equal(t, "Тёплые лиды за 22 ноября 2026", bot.Labels{Language: "ru"}.WarmDigestTitle(day, false))
	assert.Equal(t, "Warm leads of 2026-11-22", bot.Labels{Language: "en"}.WarmDigestTitle(day, false))
	since := time.Date(2026, 11, 23, 10, 0, 0, 0, msk)
	assert.Equal(t, "Тёплые лиды с пн 23 нояб. 10:00", bot.Labels{Language: "ru"}.WarmDigestTitle(since, true))
	assert.Equal(t, "Warm leads since Mon 23 Nov 10:00", bot.Labels{Language: "en"}.WarmDigestTitle(since, true))
}
