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
	case "n.escalations":
		return "эскалация|эскалации|эскалаций", "escalation|escalations", true
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

	// The card (card.go).
	case "card.lead_no":
		return "Лид №%d", "Lead #%d", true
	case "card.no_reason":
		return "причина не указана", "no reason given", true
	case "unit.min":
		return "мин", "min", true
	case "unit.h":
		return "ч", "h", true
	case "unit.d":
		return "дн.", "d", true
	case "ago.now":
		return "только что", "just now", true
	case "ago":
		return "%s назад", "%s ago", true
	case "owner.claimed_at":
		return "Ведёт: %s, взят в %s", "Claimed by %s at %s", true
	case "owner.claimed":
		return "Ведёт: %s", "Claimed by %s", true
	case "owner.assigned":
		return "Назначен: %s, ещё не взят в работу", "Assigned to %s, not claimed yet", true
	case "owner.waiting":
		return "Ждёт менеджера на смене", "Waiting for a rep on duty", true
	case "owner.open":
		return "Ещё не взят: кто первый возьмёт, того и лид", "Not claimed yet: first to claim takes it", true
	case "source.direct":
		return "прямой заход", "direct", true
	case "source.campaign":
		return "кампания %s", "campaign %s", true
	case "source.via":
		return "по ссылке с %s", "via %s", true

	// Card layouts (bot/telegram, bot/slack) and buttons.
	case "card.score":
		return "баллы: %d", "score %d", true
	case "card.source":
		return "Источник", "Source", true
	case "card.landing":
		return "страница", "landing", true
	case "card.arrived":
		return "Пришёл %s (%s)", "Arrived %s (%s)", true
	case "card.stage":
		return "Этап", "Stage", true
	case "card.escalated":
		return "Эскалаций: %d (не взят вовремя)", "Escalated %d× (not claimed in time)", true
	case "card.contacted_at":
		return "Связались в %s", "Contacted at %s", true
	case "card.won":
		return "Продажа", "Won", true
	case "card.lost":
		return "Отказ", "Lost", true
	case "button.claim":
		return "Беру", "Claim", true
	case "button.claim_n":
		return "Беру №%d", "Claim #%d", true
	case "button.contacted":
		return "Связались", "Contacted", true
	case "button.won":
		return "Продажа", "Won", true
	case "button.lost":
		return "Отказ", "Lost", true
	case "button.customer_tg":
		return "Клиент в Telegram", "Customer in Telegram", true
	case "slack.fallback":
		return "%s %s лид: %s", "%s %s lead: %s", true
	case "slack.contact":
		return "Контакт", "Contact", true
	case "slack.score":
		return "Баллы", "Score", true
	case "slack.temperature":
		return "Температура", "Temperature", true
	case "slack.source":
		return "Источник", "Source", true
	case "slack.landing":
		return "Страница входа", "Landing", true
	case "slack.arrived":
		return "Пришёл", "Arrived", true
	case "slack.stage":
		return "Этап", "Stage", true
	case "slack.assignee":
		return "Менеджер", "Assignee", true
	case "slack.yours":
		return "%s, этот лид ваш: нажмите «%s», чтобы взять его.", "%s, this lead is yours: press %s to take it.", true
	case "slack.why":
		return "Баллы: %d. Откуда:", "Score %d, why:", true
	case "slack.by":
		return "ведёт: %s", "by %s", true
	case "slack.open_tg":
		return "Открыть в Telegram", "Open in Telegram", true
	case "slack.flow":
		return "сценарий %s", "flow %s", true
	case "slack.anyone":
		return "кто свободен?", "anyone free?", true
	case "slack.unclaimed":
		return "Никто не взял уже %s: %s %s — %s", "Unclaimed for %s: %s %s — %s", true
	case "slack.waiting":
		return "%s, %s всё ещё ждёт вашего звонка", "%s, %s is still waiting for your call", true
	case "slack.claimed_ago":
		return "взят %s", "claimed %s", true
	case "slack.press_contacted":
		return "Когда поговорите, нажмите «%s».", "Press %s once you have talked.", true
	case "slack.digest_more":
		return "и ещё %d. Остальное — через `/find` или `/funnel`.", "and %d more. Ask `/find` or `/funnel` for the rest.", true
	case "tg.escalated":
		return "%s никто не взял уже %s", "%s not claimed for %s", true
	case "tg.escalate_heads":
		return "%s: возьмите лид или передайте его кому-нибудь.", "%s: please take it or hand it to someone.", true
	case "tg.remind":
		return "%s, %s (%s) %sвсё ещё ждёт звонка.", "%s, %s (%s) %sstill waits for contact.", true
	case "tg.remind_claimed":
		return "взят %s и ", "was claimed %s and ", true
	case "digest.more":
		return "и ещё %d", "and %d more", true

	case "win.not_ready":
		return "Вероятность продажи: пока мало исходов (нужно %d продаж и %d отказов), ориентируйтесь на баллы",
			"Win probability: not enough outcomes yet (needs %d won and %d lost); go by the score", true
	case "win.line":
		return "Вероятность продажи %s в течение %s", "Win probability %s within %s", true

	// Lost reasons: one list for the team's buttons and the customers'
	// answers (LostReasonText).
	case "lost.expensive":
		return "дорого или нет бюджета", "too expensive or no budget", true
	case "lost.elsewhere":
		return "предпочли другое решение", "chose another solution", true
	case "lost.not_needed":
		return "уже не нужно", "no longer needed", true
	case "lost.not_interested":
		return "нет интереса", "not interested", true
	case "lost.unreachable":
		return "не удалось связаться", "could not reach them", true
	case "lost.duplicate":
		return "дубль", "duplicate", true
	case "lost.cancelled":
		return "клиент прервал диалог", "the customer cancelled the dialogue", true
	case "lost.forgotten":
		return "клиент попросил удалить данные", "the customer asked to erase their data", true

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

// LostReasons are the ids of the lost reasons, in the order the team's
// buttons show them: one vocabulary for what a rep picks and what a
// customer answers to "what happened?", so a report never counts
// "expensive" and "no budget" apart.
func LostReasons() []string {
	return []string{"expensive", "elsewhere", "not_needed", "not_interested", "unreachable", "duplicate"}
}

// lostReasonID is the id a stored lost reason stands for: an id itself,
// or a phrase earlier versions stored ("no budget", "chose a
// competitor"); "" for a rep's own words.
func lostReasonID(stored string) string {
	switch strings.ToLower(strings.TrimSpace(stored)) {
	case "expensive", "too expensive", "no budget", "no_budget", "дорого", "нет бюджета":
		return "expensive"
	case "elsewhere", "chose a competitor", "competitor", "chose something else":
		return "elsewhere"
	case "not_needed", "no longer needed":
		return "not_needed"
	case "not_interested", "not interested":
		return "not_interested"
	case "unreachable", "not reachable", "not_reachable":
		return "unreachable"
	case "duplicate":
		return "duplicate"
	case "cancelled":
		return "cancelled"
	case "forgotten":
		return "forgotten"
	}
	return ""
}

// LostReasonText is a stored lost reason as the team reads it in lang: a
// reason of the list in its words, anything a rep typed as typed.
func LostReasonText(lang, stored string) string {
	if id := lostReasonID(stored); id != "" {
		return TeamText(lang, "lost."+id)
	}
	return strings.TrimSpace(stored)
}

// LostReasonID is the id to store for a reason a rep picked or typed: the
// list's id when it names one (in either language), else the text.
func LostReasonID(text string) string {
	if id := lostReasonID(text); id != "" {
		return id
	}
	t := strings.ToLower(strings.TrimSpace(text))
	for _, id := range LostReasons() {
		for _, lang := range []string{LangRU, LangEN} {
			if t == TeamText(lang, "lost."+id) {
				return id
			}
		}
	}
	return strings.TrimSpace(text)
}

// ActionLabel is the label of a card's button in lang.
func ActionLabel(lang string, kind crm.ActionKind) string {
	return TeamText(lang, "button."+string(kind))
}
