package bot

import (
	"fmt"
	"strings"

	"github.com/voronka/voronka/crm"
)

// The team's language. Everything the sales team reads — cards, buttons,
// reports, digests, chart labels, export headers — is written in the
// reader's language: a member's `language:` in the team config, else the
// config's `language:`. A text is one key in teamTexts below with its
// Russian and English; TeamText looks it up. A new team-facing text is a
// new case there, never a literal in a handler, so a Russian team never
// meets an English label. Customers' texts are not here: they live in
// the flows (flows.T), in the customer's language.

// Team languages. Anything else reads as English.
const (
	LangRU = "ru"
	LangEN = "en"
)

// TeamLang is lang as the team texts have it: "ru" for any Russian tag
// ("ru", "ru-RU"), else "en".
func TeamLang(lang string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "ru") {
		return LangRU
	}
	return LangEN
}

// MemberLang is the language a member reads: theirs, else the team's
// default.
func MemberLang(m crm.Manager, teamDefault string) string {
	if m.Language != "" {
		return TeamLang(m.Language)
	}
	return TeamLang(teamDefault)
}

// TeamText is the text of key in lang. An unknown key comes back as it
// is, which a test of the texts catches.
func TeamText(lang, key string) string {
	ru, en, ok := teamTexts(key)
	switch {
	case !ok:
		return key
	case TeamLang(lang) == LangRU:
		return ru
	}
	return en
}

// TeamTextf is TeamText formatted with args.
func TeamTextf(lang, key string, args ...any) string {
	return fmt.Sprintf(TeamText(lang, key), args...)
}

// Count is n with the noun of key in the right form: "1 lead", "5 leads";
// «1 лид», «3 лида», «5 лидов», «21 лид», «11 лидов». A key of a counted
// noun has its forms joined by "|": Russian one|few|many, English
// one|other.
func Count(lang string, n int, key string) string {
	forms := strings.Split(TeamText(lang, key), "|")
	return fmt.Sprintf("%d %s", n, pluralForm(TeamLang(lang), n, forms))
}

// pluralForm picks the form of n: for Russian by the last two digits
// (1, 21, 101 one; 2-4, 22-24 few; 0, 5-20, 25-30 many), for English one
// for 1 and other for the rest.
func pluralForm(lang string, n int, forms []string) string {
	if n < 0 {
		n = -n
	}
	pick := func(i int) string { return forms[min(i, len(forms)-1)] }
	if lang != LangRU {
		if n == 1 {
			return pick(0)
		}
		return pick(1)
	}
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return pick(0)
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return pick(1)
	}
	return pick(2)
}

// StageName is a stage as the team calls it.
func StageName(lang string, s crm.Stage) string {
	if s == "" {
		return ""
	}
	return TeamText(lang, "stage."+string(s))
}

// TemperatureName is a temperature as the team calls it.
func TemperatureName(lang string, t crm.Temperature) string {
	if t == "" {
		return ""
	}
	return TeamText(lang, "temp."+string(t))
}

// teamTexts is the table. A switch rather than a package-level map so
// nothing can change it at run time.
func teamTexts(key string) (ru, en string, ok bool) {
	switch key {
	// Counted nouns: one|few|many in Russian, one|other in English.
	case "n.leads":
		return "лид|лида|лидов", "lead|leads", true
	case "n.responses":
		return "ответ|ответа|ответов", "response|responses", true
	case "n.weeks":
		return "неделя|недели|недель", "week|weeks", true

	// Stages and temperatures.
	case "stage.new":
		return "новый", "new", true
	case "stage.qualifying":
		return "отвечает на вопросы", "qualifying", true
	case "stage.qualified":
		return "квалифицирован", "qualified", true
	case "stage.contacted":
		return "связались", "contacted", true
	case "stage.won":
		return "продажа", "won", true
	case "stage.lost":
		return "отказ", "lost", true
	case "temp.hot":
		return "горячий", "hot", true
	case "temp.warm":
		return "тёплый", "warm", true
	case "temp.cold":
		return "холодный", "cold", true

	// /export's columns.
	case "col.lead":
		return "Лид №", "Lead #", true
	case "col.created":
		return "Создан", "Created", true
	case "col.stage":
		return "Этап", "Stage", true
	case "col.temperature":
		return "Температура", "Temperature", true
	case "col.score":
		return "Баллы", "Score", true
	case "col.flow":
		return "Сценарий", "Flow", true
	case "col.source":
		return "Источник", "Source", true
	case "col.medium":
		return "Канал", "Medium", true
	case "col.campaign":
		return "Кампания", "Campaign", true
	case "col.landing":
		return "Страница входа", "Landing page", true
	case "col.referrer":
		return "Пригласил", "Referred by", true
	case "col.payload":
		return "Метка ссылки", "Start payload", true
	case "col.rep":
		return "Менеджер", "Rep", true
	case "col.qualified":
		return "Квалифицирован", "Qualified", true
	case "col.claimed":
		return "Взят в работу", "Claimed", true
	case "col.contacted":
		return "Первый контакт", "Contacted", true
	case "col.won":
		return "Продажа", "Won", true
	case "col.lost":
		return "Отказ", "Lost", true
	case "col.amount":
		return "Сумма", "Amount", true
	case "col.lost_reason":
		return "Причина отказа", "Lost reason", true
	case "col.name":
		return "Имя", "Name", true
	case "col.username":
		return "Telegram", "Telegram", true
	case "col.phone":
		return "Телефон", "Phone", true
	case "col.email":
		return "Email", "Email", true
	case "col.language":
		return "Язык", "Language", true
	case "col.win":
		return "Вероятность продажи", "Win probability", true
	case "col.nps":
		return "Оценка NPS (0–10)", "NPS score (0–10)", true
	case "col.nps_comment":
		return "Комментарий к оценке", "NPS comment", true
	case "sheet.leads":
		return "Лиды", "Leads", true
	case "export.caption":
		return "📎 Выгрузка · %s · %s: %s", "📎 Export · %s · %s: %s", true
	case "export.capped":
		return " (первые %d; остальное — выгрузкой за период покороче)", " (the first %d; export a shorter period for the rest)", true

	// Charts.
	case "chart.funnel":
		return "Воронка · %s", "Funnel · %s", true
	case "chart.leads_axis":
		return "лиды", "leads", true
	case "chart.nps":
		return "NPS по неделям", "NPS by week", true
	case "chart.cohorts":
		return "Доля продаж по неделям с прихода", "Share won by week since arrival", true
	case "chart.week_n":
		return "нед. %d", "wk %d", true
	case "chart.cohort_legend":
		return "белое — 0%%, тёмно-зелёное — %s · «…» — неделя ещё не наступила · «—» — лидов не было", "white 0%%, dark green %s · “…” week not reached yet · “—” no leads", true
	case "chart.no_data":
		return "Графика нет: за этот период нечего показать.", "No chart: nothing to draw for this period.", true
	}
	return "", "", false
}
