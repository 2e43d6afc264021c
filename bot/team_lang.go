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
	case "button.cb":
		return "Перезвонить", "Call back", true
	case "button.reopen":
		return "Открыть снова", "Reopen", true
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
	case "modal.won_title":
		return "Продажа", "Lead won", true
	case "modal.lost_title":
		return "Отказ", "Lead lost", true
	case "modal.save":
		return "Сохранить", "Save", true
	case "modal.cancel":
		return "Отмена", "Cancel", true
	case "modal.won_ask":
		return "%s — продажа. На какую сумму?", "%s is won. How much was the sale?", true
	case "modal.amount":
		return "Сумма", "Amount", true
	case "modal.amount_hint":
		return "Сумма продажи, больше нуля.", "The sale's total, more than zero.", true
	case "modal.lost_ask":
		return "%s — отказ. Почему?", "%s is lost. Why?", true
	case "modal.what_happened":
		return "Что случилось?", "What happened?", true
	case "modal.pick_reason":
		return "Выберите причину", "Pick a reason", true
	case "modal.reason":
		return "Причина", "Reason", true
	case "tg.team_only":
		return "Это может только команда продаж", "Only the sales team can do this", true
	case "tg.unknown_button":
		return "Неизвестная кнопка", "Unknown button", true
	case "tg.done_claim":
		return "Лид ваш", "Claimed", true
	case "tg.done_contacted":
		return "Отмечено: связались", "Marked contacted", true
	case "tg.done_reopen":
		return "Лид снова открыт", "Reopened", true
	case "tg.try_again":
		return "Не получилось сохранить, попробуйте ещё раз", "Could not save that, please try again", true
	case "tg.reason_gone":
		return "Этой причины уже нет в списке, нажмите «%s» ещё раз", "That reason is no longer on the list, press %s again", true
	case "tg.stays_open":
		return "%s остаётся открытым.", "%s stays open.", true
	case "tg.callback_when":
		return "Когда? Или отправьте /callback %d <когда>", "When? Or send /callback %d <when>", true
	case "slack.msg.not_team":
		return "Это может только команда продаж. Попросите администратора добавить ваш Slack id в команду в конфигурации.",
			"Only the sales team can do this. Ask an admin to add your Slack id to the team in the configuration.", true
	case "slack.msg.bad_button":
		return "Эта кнопка больше не ведёт к лиду.", "This button does not point to a lead any more.", true
	case "slack.msg.try_again":
		return "У нас что-то пошло не так. Попробуйте ещё раз через минуту.", "Something went wrong on our side. Please try again in a moment.", true
	case "slack.msg.bad_amount":
		return "Введите сумму продажи — число больше нуля.", "Enter the amount of the sale, a number above zero.", true
	case "slack.msg.bad_reason":
		return "Выберите одну из причин.", "Pick one of the reasons.", true
	case "slack.msg.form_failed":
		return "Не удалось открыть форму. Нажмите кнопку ещё раз.", "Could not open the form. Please press the button again.", true
	case "tg.marked_lost":
		return "Отмечен отказ", "Marked lost", true
	case "tg.why_lost":
		return "Почему отказ?", "Why was it lost?", true
	case "tg.why_lost_of":
		return "%s, почему отказ по лиду %s?", "%s, why was %s lost?", true
	case "tg.lost_of":
		return "%s — отказ: %s (%s)", "%s lost: %s (%s)", true
	case "tg.back":
		return "Назад", "Back", true
	case "digest.warm_day":
		return "Тёплые лиды за %s", "Warm leads of %s", true
	case "digest.warm_since":
		return "Тёплые лиды с %s", "Warm leads since %s", true
	case "wd.mon":
		return "пн", "Mon", true
	case "wd.tue":
		return "вт", "Tue", true
	case "wd.wed":
		return "ср", "Wed", true
	case "wd.thu":
		return "чт", "Thu", true
	case "wd.fri":
		return "пт", "Fri", true
	case "wd.sat":
		return "сб", "Sat", true
	case "wd.sun":
		return "вс", "Sun", true
	case "digest.more":
		return "и ещё %d", "and %d more", true

	case "win.not_ready":
		return "Вероятность продажи: пока мало исходов (нужно %d продаж и %d отказов), ориентируйтесь на баллы",
			"Win probability: not enough outcomes yet (needs %d won and %d lost); go by the score", true
	case "win.line":
		return "Вероятность продажи %s в течение %s", "Win probability %s within %s", true

	// Notices about a lead (crm.NoticeWriter).
	case "notice.detractor":
		return "Критик, оценка %d/10", "Detractor, %d/10", true
	case "notice.rep":
		return "менеджер: %s", "rep: %s", true
	case "notice.call":
		return "Позвоните клиенту, пока не поздно.", "Please call them.", true
	case "notice.detractor_why":
		return "Почему %d/10 (%s, %s): «%s»", "Why %d/10 (%s, %s): “%s”", true

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
	case "col.messages":
		return "Сообщений в переписке", "Messages", true
	case "sheet.leads":
		return "Лиды", "Leads", true
	case "export.caption":
		return "📎 Выгрузка · %s · %s: %s", "📎 Export · %s · %s: %s", true
	case "export.capped":
		return " (первые %d; остальное — выгрузкой за период покороче)", " (the first %d; export a shorter period for the rest)", true

	// Reports (staff_render.go).
	case "rep.title.stats":
		return "📊 Показатели", "📊 Stats", true
	case "rep.title.digest":
		return "🗓 Сводка за день", "🗓 Daily digest", true
	case "rep.zone":
		return "(время: %s)", "(%s time)", true
	case "rep.compared":
		return "в сравнении с периодом %s", "compared with %s", true
	case "rep.prev":
		return "было %s", "prev %s", true
	case "rep.new":
		return "Новые лиды", "New leads", true
	case "rep.qualified":
		return "Квалифицированы", "Qualified", true
	case "rep.hot":
		return "Горячие", "Hot", true
	case "rep.contacted":
		return "Первый контакт", "Contacted", true
	case "rep.won":
		return "Продажи", "Won", true
	case "rep.lost":
		return "Отказы", "Lost", true
	case "rep.revenue":
		return "Выручка", "Revenue", true
	case "rep.conversion":
		return "Конверсия новых лидов периода на сегодня:", "Conversion of the period's new leads, so far:", true
	case "rep.lead_to_qualified":
		return "Лид → квалифицирован", "Lead → qualified", true
	case "rep.qualified_to_sale":
		return "Квалифицирован → продажа", "Qualified → sale", true
	case "rep.repeat":
		return "Продажа → повторная продажа: %s продаж периода", "Sale → repeat sale: %s of the period's sales", true
	case "rep.median_contact":
		return "Медиана времени до первого контакта", "Median time to first contact", true
	case "rep.yours":
		return "Ваши лиды:", "Your leads:", true
	case "rep.yours_line":
		return "Взято в работу %s · первый контакт %s · продажи %s · отказы %s", "Claimed %s · contacted %s · won %s · lost %s", true
	case "rep.yours_money":
		return "Выручка %s · до первого контакта %s", "Revenue %s · first contact %s", true
	case "rep.funnel":
		return "Воронка", "Funnel", true
	case "rep.funnel_intro":
		return "Лиды, пришедшие за период, по самому дальнему этапу:", "Leads created in the period, by the furthest stage reached:", true
	case "rep.funnel_row":
		return "%s: %s · %s от предыдущего · %s от всех", "%s: %s · %s of the previous · %s of all", true
	case "rep.f.leads":
		return "Лиды", "Leads", true
	case "rep.f.started":
		return "Начали диалог", "Started dialogue", true
	case "rep.f.qualified":
		return "Дошли до квалификации", "Reached qualified", true
	case "rep.f.contacted":
		return "Дошли до контакта", "Reached contact", true
	case "rep.f.won":
		return "Дошли до продажи", "Reached a sale", true
	case "rep.f.lost":
		return "Отказы", "Lost", true
	case "rep.no_reason":
		return "без причины", "no reason", true
	case "rep.steps_intro":
		return "Где клиенты останавливаются в диалоге (остановились из дошедших):", "Where customers stop in the dialogue (stopped of reached):", true
	case "rep.step_row":
		return "%s: остановились %s из %s (%s)", "%s: %s of %s stopped (%s)", true
	case "rep.promoters":
		return "Сторонники", "Promoters", true
	case "rep.passives":
		return "Нейтральные", "Passives", true
	case "rep.detractors":
		return "Критики", "Detractors", true
	case "rep.your_nps":
		return "Ваши лиды: NPS %s (%s)", "Your leads: NPS %s (%s)", true
	case "rep.nps_trend":
		return "По неделям (NPS, ответов):", "Trend by week (NPS, responses):", true
	case "rep.comments":
		return "Последние комментарии:", "Latest comments:", true
	case "rep.team":
		return "Команда", "Team", true
	case "rep.team_row":
		return "в работе %s · взято %s · первый контакт %s · продажи %s · выручка %s", "open %s · claimed %s · contacted %s · won %s · revenue %s", true
	case "rep.team_times":
		return "до взятия %s · до контакта %s · нарушений SLA %s", "to claim %s · to contact %s · SLA breaches %s", true
	case "rep.team_note":
		return "(в работе — сейчас; остальное — за период; время — медиана)", "(open: now; the rest: in the period; times are medians)", true
	case "rep.sources":
		return "Источники", "Sources", true
	case "rep.sources_intro":
		return "Лиды, пришедшие за период:", "Leads created in the period:", true
	case "rep.source_row":
		return "%s: %s · квалифицированы %s · продажи %s (%s) · выручка %s", "%s: %s · qualified %s · won %s (%s) · revenue %s", true
	case "rep.total":
		return "Итого", "Total", true
	case "rep.other":
		return "прочие", "other", true
	case "rep.no_leads":
		return "Лидов нет.", "No leads.", true
	case "rep.cohorts":
		return "Когорты", "Cohorts", true
	case "rep.cohorts_intro":
		return "Лиды по неделе прихода; доля продаж к концу недели 0, 1, 2… с прихода:", "Leads by week of arrival; share won by the end of week 0, 1, 2… since:", true
	case "rep.lead_head":
		return "%s · %s · %s · баллы: %d", "%s · %s · %s · score %d", true
	case "rep.no_contact":
		return "(контактов нет)", "(no contact details)", true
	case "rep.created":
		return "Создан %s", "Created %s", true
	case "rep.qualified_at":
		return "квалифицирован %s", "qualified %s", true
	case "rep.manager":
		return "Менеджер: %s", "Manager: %s", true
	case "rep.claimed_at":
		return "взят %s", "claimed %s", true
	case "rep.contacted_at":
		return "первый контакт %s", "contacted %s", true
	case "rep.sale":
		return "Продажа: %s", "Sale: %s", true
	case "rep.lost_reason":
		return "Отказ: %s", "Lost: %s", true
	case "rep.referred":
		return "Пришли по рекомендации клиента: %s (%s)", "Referred by this customer: %s (%s)", true
	case "rep.answers":
		return "Ответы:", "Answers:", true
	case "rep.timeline":
		return "История:", "Timeline:", true
	case "rep.found_none":
		return "Ничего не нашлось по запросу %s.", "Nothing found for %s.", true
	case "rep.found":
		return "%s по запросу %s (сначала новые):", "%s for %s (newest first):", true
	case "rep.found_more":
		return "(первые %d; уточните запрос)", "(the first %d; type more to narrow it down)", true
	case "rep.ev.created":
		return "лид создан", "created", true
	case "rep.ev.answered":
		return "ответ: %s", "answered %s", true
	case "rep.ev.qualified":
		return "квалифицирован: %s, баллы: %s", "qualified: %s, score %s", true
	case "rep.ev.assigned":
		return "назначен: %s", "assigned to %s", true
	case "rep.ev.waiting":
		return "ждёт менеджера на смене", "waiting for a rep on duty", true
	case "rep.ev.claimed":
		return "взят в работу: %s", "claimed by %s", true
	case "rep.ev.stage":
		return "этап: %s", "stage: %s", true
	case "rep.ev.sla":
		return "нарушен SLA (%s)", "SLA breached (%s)", true
	case "rep.ev.restarted":
		return "клиент начал заново", "the customer started over", true
	case "rep.ev.cancelled":
		return "клиент прервал диалог", "the customer cancelled the dialogue", true
	case "rep.ev.touch":
		return "клиент снова пришёл по ссылке: %s", "the customer came back via %s", true
	case "rep.ev.message":
		return "сообщение клиента: %s", "the customer wrote %s", true
	case "rep.ev.temperature":
		return "температура: %s", "temperature: %s", true
	case "rep.ev.nps":
		return "оценка NPS: %s", "NPS score %s", true
	case "rep.ev.nps_comment":
		return "комментарий к оценке: %s", "NPS comment %s", true
	case "rep.ev.why":
		return "ответ на «что случилось?»: %s", "answer to “what happened?”: %s", true

	// The managers' /help (TeamHelp).
	case "help.title":
		return "Воронка для команды: вы — %s (%s). Ваши команды:", "Voronka for the team: you are %s (%s). Your commands:", true
	case "help.periods":
		return "Период отчёта: today, yesterday, 7d, 30d (любое Nd до 366d), month или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД; по умолчанию %s.",
			"A report takes a period: today, yesterday, 7d, 30d (any Nd up to 366d), month, or YYYY-MM-DD..YYYY-MM-DD; default %s.", true
	case "help.unknown":
		return "Неизвестная команда %s. Список ваших — /help.", "Unknown command %s. /help lists yours.", true
	case "help.not_customer":
		return "Этот чат принимает команды команды продаж, а не сообщения клиентов. Список ваших — /help.",
			"This chat takes the team's commands, not customers' messages. /help lists yours.", true
	case "help.group_unknown":
		return "Неизвестная команда %s. Здесь: /lead <id>, /claim <id>, /my, /note, /callback, /stats и другие отчёты; список — /help.",
			"Unknown command %s. Here: /lead <id>, /claim <id>, /my, /note, /callback, /stats and the other reports; /help lists them.", true
	case "role.head":
		return "руководитель", "head", true
	case "role.rep":
		return "менеджер", "rep", true
	case "role.admin":
		return "администратор", "admin", true
	case "help.figures":
		return "Что значат цифры:\n" +
				"• /stats считает события периода: «Новые лиды» — пришли в период; «Квалифицированы», «Первый контакт», «Продажи», «Отказы» — случились в период, когда бы лид ни пришёл.\n" +
				"• /funnel и /sources следят за лидами, пришедшими в период: каждый считается на самом дальнем этапе, которого достиг к сегодняшнему дню («Дошли до контакта»). Поэтому их числа называются иначе и могут отличаться от «Первого контакта» в /stats.\n" +
				"• «Взято в работу» — лиды, которые менеджер взял себе; «в работе» в /team — открытые лиды сейчас.\n" +
				"• Время до первого контакта — медиана от квалификации до отметки «Связались».\n" +
				"• NPS = % сторонников (9–10) − % критиков (0–6).",
			"What the figures count:\n" +
				"• /stats counts the period's events: \"New leads\" arrived in the period; \"Qualified\", \"Contacted\", \"Won\", \"Lost\" happened in the period, whenever the lead arrived.\n" +
				"• /funnel and /sources follow the leads that arrived in the period: each counts at the furthest stage it has reached by now (\"Reached contact\"). So they have names of their own and may differ from /stats' \"Contacted\".\n" +
				"• \"Claimed\" are leads a rep took; \"open\" in /team are open leads now.\n" +
				"• Time to first contact is the median from qualification to Contacted.\n" +
				"• NPS = % promoters (9–10) − % detractors (0–6).", true

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

// CallbackText is a call-back preset (crm.CallbackPresets: "in 1h",
// "tomorrow 10:00", "mon 10:00") as the team reads it; the preset itself
// stays the value crm parses.
func CallbackText(lang, preset string) string {
	if TeamLang(lang) != LangRU {
		return preset
	}
	f := strings.Fields(preset)
	switch {
	case len(f) == 2 && f[0] == "in" && strings.HasSuffix(f[1], "h"):
		return "через " + strings.TrimSuffix(f[1], "h") + " ч"
	case len(f) == 2 && f[0] == "in" && strings.HasSuffix(f[1], "m"):
		return "через " + strings.TrimSuffix(f[1], "m") + " мин"
	case len(f) == 2:
		day := map[string]string{"today": "сегодня", "tonight": "сегодня", "tomorrow": "завтра", "mon": "в понедельник",
			"tue": "во вторник", "wed": "в среду", "thu": "в четверг", "fri": "в пятницу", "sat": "в субботу", "sun": "в воскресенье"}[f[0]]
		if day != "" {
			return day + " в " + f[1]
		}
	}
	return preset
}
