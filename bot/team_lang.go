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
	case "tg.amount_reply":
		return "Ответьте на мой вопрос суммой", "Reply to my question with the amount", true
	case "tg.amount_ask":
		return "%s, ответьте на это сообщение суммой по лиду №%d, например 150000 или 1,5 млн (или отправьте /won %d <сумма>).",
			"%s, reply to this message with the amount for lead #%d, for example 150000 or 1.5m (or send /won %d <amount>).", true
	case "tg.amount_ask_again":
		return "%s, %s. Ответьте на это сообщение суммой по лиду №%d, например 150000 или 1,5 млн (или отправьте /won %d <сумма>).",
			"%s, %s. Reply to this message with the amount for lead #%d, for example 150000 or 1.5m (or send /won %d <amount>).", true
	case "tg.amount_unreadable":
		return "«%s» не похоже на сумму", "“%s” is not an amount I can read", true
	case "tg.amount_problem":
		return "«%s»: %s", "“%s”: %s", true
	case "tg.won_usage":
		return "Отправьте /won <лид> <сумма>, например /won 42 150000.", "Send /won <lead> <amount>, for example /won 42 150000.", true
	case "tg.won_done":
		return "Лид №%d — продажа: %s (%s)", "Lead #%d won: %s (%s)", true
	case "tg.lead_problem":
		return "Лид №%d: %s", "Lead #%d: %s", true
	case "tg.callback_set":
		return "Напомню: %s", "I'll remind you on %s", true
	case "tg.group_help":
		return "Здесь, в группе, ещё: /claim <номер> — взять лид; /won <номер> <сумма> — отметить продажу.",
			"Here in the group also: /claim <id> — take a lead; /won <id> <amount> — mark it won.", true
	case "tg.group_usage":
		return "Отправьте /%s <номер лида>, например /%s 42.", "Send /%s <lead>, for example /%s 42.", true
	case "tg.group_claimed":
		return "Лид №%[2]d взят в работу: %[1]s.", "%s claimed lead #%d.", true
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

	// The conversation as the team reads it (conversation_text.go, the
	// sales group, Slack's threads).
	case "conv.delivered":
		return "Доставлено.", "Delivered.", true
	case "conv.delivered_short":
		return "Доставлено", "Delivered", true
	case "conv.blocked":
		return "Не доставлено: клиент заблокировал бота.", "Not delivered: the customer has blocked the bot.", true
	case "conv.stopped":
		return "Не доставлено: клиент отписался командой /stop.", "Not delivered: the customer opted out with /stop.", true
	case "conv.erased":
		return "Не доставлено: клиент попросил удалить свои данные (/forget).", "Not delivered: the customer asked to be forgotten (/forget).", true
	case "conv.unknown":
		return "Возможно, не доставлено: пересылка прервалась. Уточните у клиента, прежде чем отправлять снова.",
			"May not have been delivered: the relay was cut short. Check with the customer before repeating it.", true
	case "conv.refused":
		return "Не доставлено: Telegram не принял сообщение.", "Not delivered: Telegram refused the message.", true
	case "conv.customer":
		return "Клиент", "Customer", true
	case "conv.customer_named":
		return "%s (клиент)", "%s (customer)", true
	case "conv.note":
		return "%s (заметка)", "%s (note)", true
	case "conv.to_customer":
		return "%s → клиенту", "%s → customer", true
	case "conv.erased_body":
		return "удалено по просьбе клиента", "erased at the customer's request", true
	case "conv.deleted":
		return "удалено", "deleted", true
	case "conv.edited":
		return "изменено", "edited", true
	case "conv.handoff":
		return "🙋 просит связать с менеджером.", "🙋 asks for a person.", true
	case "conv.photo":
		return "📷 фото", "📷 photo", true
	case "conv.file":
		return "📎 файл", "📎 file", true
	case "conv.voice":
		return "🎤 голосовое сообщение", "🎤 voice note", true
	case "conv.location":
		return "📍 геопозиция", "📍 location", true
	case "conv.contact":
		return "📱 отправлен контакт:", "📱 shared a contact:", true

	// The win model's features (FeatureText).
	case "feat.answer":
		return "%s: %s", "%s: %s", true
	case "feat.given":
		return "%s: есть ответ", "%s given", true
	case "feat.higher":
		return "%s (чем больше)", "%s (higher)", true
	case "feat.longer":
		return "длина диалога (чем дольше)", "dialogue length (longer)", true
	case "feat.dialogue":
		return "диалог занял %s мин", "dialogue took %s min", true
	case "feat.hour":
		return "пришёл в %s ч", "arrived %sh", true
	case "feat.hours":
		return "пришёл с %s до %s ч", "arrived %s-%sh", true
	case "feat.weekday":
		return "пришёл %s", "arrived on %s", true
	case "feat.source":
		return "источник", "source", true
	case "feat.medium":
		return "канал", "medium", true
	case "feat.campaign":
		return "кампания", "campaign", true
	case "feat.language":
		return "язык", "language", true

	// /model (team_model.go).
	case "model.title":
		return "🎯 Модель вероятности продажи", "🎯 Win model", true
	case "model.outcomes":
		return "Известно исходов: продаж — %d, без продажи — %d (модели нужно %d и %d)", "Outcomes known: %d won, %d not won (a model needs %d and %d)", true
	case "model.none":
		return "Модели пока нет: на карточках только баллы.", "No model in use yet: cards show the score alone.", true
	case "model.in_use":
		return "Используется модель №%d, обучена %s; P(продажа в течение %s после квалификации)", "In use: model #%d, trained %s; P(won within %s of qualification)", true
	case "model.trained":
		return "Обучена на %d лидах (продаж — %d, без продажи — %d), квалифицированных %s – %s", "Trained on %d leads (%d won, %d not) qualified %s – %s", true
	case "model.judged":
		return "Проверена на %d самых свежих (продаж — %d, без продажи — %d), %s – %s, которых в обучении не было:", "Judged on the %d most recent (%d won, %d not), %s – %s, never seen in training:", true
	case "model.auc":
		return "  AUC %s (по одним баллам: %s; 0,5 — как подбросить монетку)", "  AUC %s (score alone: %s; 0.5 is a coin toss)", true
	case "model.brier":
		return "  Brier %s (чем меньше, тем лучше; если всегда говорить %s: %s)", "  Brier %s (lower is better; always saying %s: %s)", true
	case "model.calibration":
		return "Калибровка по децилям прогнозов (прогноз → факт):", "Calibration, by tenth of predictions (said → happened):", true
	case "model.cal_row":
		return "  %2d. %4s → %4s из %d", "  %2d. %4s → %4s of %d", true
	case "model.strongest":
		return "Самые сильные признаки (шансы ×, на одно стандартное отклонение):", "Strongest features (odds ×, per standard deviation):", true
	case "model.recent":
		return "Последние обучения:", "Latest trainings:", true
	case "model.kept":
		return "оставлена прежняя", "kept the one in use", true
	case "model.current":
		return "используется", "in use", true
	case "model.replaced":
		return "была выбрана, потом заменена", "promoted, since replaced", true
	case "model.row":
		return "  №%d %s AUC %s", "  #%d %s AUC %s", true
	case "model.vs":
		return " против №%d %s", " vs #%d %s", true

	// /ab (team_ab.go).
	case "ab.title":
		return "🧪 Эксперименты · %s · %s", "🧪 Experiments · %s · %s", true
	case "ab.intro":
		return "Доли от лидов каждого варианта [95% интервал]; P(лучше …) — в сравнении с первым вариантом",
			"Shares of each arm's leads [95% interval]; P(beats …) against the first arm", true
	case "ab.whole":
		return "весь сценарий", "whole flow", true
	case "ab.step":
		return "шаг %s", "step %s", true
	case "ab.experiment":
		return "%s (сценарий %s, %s)", "%s (flow %s, %s)", true
	case "ab.gone":
		return "уже не в сценарии", "no longer in the flow", true
	case "ab.weight":
		return "вес %d = %s", "weight %d = %s", true
	case "ab.m.started":
		return "начали", "started", true
	case "ab.m.completed":
		return "прошли", "completed", true
	case "ab.m.qualified":
		return "квалиф.", "qualified", true
	case "ab.m.hot":
		return "горячие", "hot", true
	case "ab.m.won":
		return "продажи", "won", true
	case "ab.beats":
		return "P(лучше %s) %s", "P(beats %s) %s", true
	case "ab.srm":
		return "⚠️ перекос разбиения (p = %s): лиды разделились не по весам; сравнению не доверяйте",
			"⚠️ sample ratio mismatch (p = %s): the leads' split does not match the weights; do not trust the comparison", true
	case "ab.split_ok":
		return "Разбиение соответствует весам (p = %s)", "Split matches the weights (p = %s)", true

	// /campaigns (team_campaigns.go).
	case "camp.not_configured":
		return "Кампании не настроены.", "No campaigns are configured.", true
	case "camp.none":
		return "Кампаний нет.", "No campaigns.", true
	case "camp.promoted":
		return "Кампания %s: теперь все следующие отправки получает вариант %s.", "Campaign %s: variant %s now takes every further send.", true
	case "camp.head":
		return "%s (%s, цель: %s за %s) — аудитория %d", "%s (%s, goal: %s within %s) — audience %d", true
	case "camp.goal.reply":
		return "ответ", "reply", true
	case "camp.goal.flow":
		return "пройденный диалог", "flow", true
	case "camp.goal.won":
		return "продажа", "won", true
	case "camp.promoted_mark":
		return " ★ выбран", " ★ promoted", true
	case "camp.variant":
		return "  %s (вес %d)%s: отправлено %d, доставлено %d, заблокировали %d", "  %s (w %d)%s: sent %d, delivered %d, blocked %d", true
	case "camp.rates":
		return "    ответили %d = %s, цель %d = %s", "    replied %d = %s, goal %d = %s", true
	case "camp.beats":
		return ", P(лучше %s) %s", ", P(beats %s) %s", true
	case "camp.srm":
		return "  ⚠️ перекос разбиения (p = %s): отправки разделились не по весам; сравнению не доверяйте",
			"  ⚠️ sample ratio mismatch (p = %s): the split does not match the weights; do not trust the comparison", true
	case "camp.send_time":
		return "  время отправки: в лучший час ответили %d из %d за 24 ч, в случайный — %d из %d",
			"  send time: best hour %d/%d replied in 24h, random hour %d/%d", true

	// Notices about a lead (crm.NoticeWriter).
	case "notice.detractor":
		return "Критик, оценка %d/10", "Detractor, %d/10", true
	case "notice.rep":
		return "менеджер: %s", "rep: %s", true
	case "notice.call":
		return "Позвоните клиенту, пока не поздно.", "Please call them.", true
	case "notice.handoff":
		return "%s просит связать с менеджером (кампания %s)", "%s asked for a manager (campaign %s)", true
	case "notice.reach_now":
		return "Свяжитесь с клиентом сейчас.", "Please reach them now.", true
	case "notice.unanswered":
		return "%s (%s) ждёт ответа уже больше %s.", "%s (%s) has waited for an answer for over %s.", true
	case "notice.callback":
		return "Пора перезвонить по лиду №%[1]d: перезвон назначен на %[3]s, менеджер: %[2]s", "Call back now: lead #%d, as %s planned for %s", true
	case "notice.customer":
		return "Клиент", "The customer", true
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
		return "Новые лиды %s · первый контакт %s · продажи %s · отказы %s", "New leads %s · contacted %s · won %s · lost %s", true
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
		return "Закрыты отказом", "Closed as lost", true
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
		return "до взятия %s · от взятия до контакта %s · нарушений SLA %s", "to claim %s · claim to contact %s · SLA breaches %s", true
	case "rep.team_note":
		return "(в работе — сейчас; остальное — за период; время — медиана)", "(open: now; the rest: in the period; times are medians)", true
	case "rep.sources":
		return "Источники", "Sources", true
	case "rep.sources_intro":
		return "Лиды, пришедшие за период:", "Leads created in the period:", true
	case "rep.source_row":
		return "%s: %s · дошли до квалификации %s · дошли до продажи %s (%s) · их выручка %s", "%s: %s · reached qualified %s · reached a sale %s (%s) · their revenue %s", true
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
	case "rep.conversation":
		return "Переписка:", "Conversation:", true
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
	case "rep.ev.reassigned":
		return "передан: %s (%s)", "reassigned to %s by %s", true
	case "rep.ev.unclaimed":
		return "возвращён: %s больше не ведёт", "given back by %s", true
	case "rep.ev.note":
		return "заметка: %s", "note by %s", true
	case "rep.ev.callback_scheduled":
		return "назначен перезвон", "call-back set", true
	case "rep.ev.callback_for":
		return "назначен перезвон на %s", "call-back set for %s", true
	case "rep.ev.callback_due":
		return "пора перезвонить", "call-back due", true
	case "rep.ev.campaign_click":
		return "клиент нажал кнопку в рассылке %s", "the customer pressed a button of campaign %s", true
	case "rep.ev.handoff":
		return "клиент попросил менеджера (кампания %s)", "the customer asked for a manager (campaign %s)", true
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
		return "Неизвестная команда %s. Здесь: /lead <номер>, /claim <номер>, /my, /note, /callback, /stats и другие отчёты; список — /help.",
			"Unknown command %s. Here: /lead <id>, /claim <id>, /my, /note, /callback, /stats and the other reports; /help lists them.", true
	case "role.head":
		return "руководитель", "head", true
	case "role.rep":
		return "менеджер", "rep", true
	case "role.admin":
		return "администратор", "admin", true
	case "help.figures":
		return "Что значат цифры:\n" +
				"• /stats и /team считают события периода: «Новые лиды» — пришли в период; «Квалифицированы», «Первый контакт», «Продажи», «Отказы», «Выручка» — случились в период, когда бы лид ни пришёл. «Ваши лиды» в /stats — те же цифры по вашим лидам.\n" +
				"• /funnel и /sources следят за лидами, пришедшими в период: каждый считается на самом дальнем этапе, которого достиг к сегодняшнему дню («Дошли до контакта», «Дошли до продажи», «Закрыты отказом», «их выручка»). Поэтому у их чисел свои названия и они могут отличаться от чисел /stats.\n" +
				"• «Взято» в /team — лиды, которые менеджер взял себе в период; «в работе» — его открытые лиды сейчас.\n" +
				"• Время до первого контакта — медиана от квалификации до отметки «Связались»; в /team «до взятия» и «от взятия до контакта» — медианы этих отрезков.\n" +
				"• NPS = % сторонников (9–10) − % критиков (0–6).",
			"What the figures count:\n" +
				"• /stats and /team count the period's events: \"New leads\" arrived in the period; \"Qualified\", \"Contacted\", \"Won\", \"Lost\", \"Revenue\" happened in the period, whenever the lead arrived. \"Your leads\" in /stats are the same figures for your leads.\n" +
				"• /funnel and /sources follow the leads that arrived in the period: each counts at the furthest stage it has reached by now (\"Reached contact\", \"Reached a sale\", \"Closed as lost\", \"their revenue\"). So their figures have names of their own and may differ from /stats'.\n" +
				"• \"Claimed\" in /team are leads a rep took in the period; \"open\" are their open leads now.\n" +
				"• Time to first contact is the median from qualification to Contacted; /team's \"to claim\" and \"claim to contact\" are the medians of those spans.\n" +
				"• NPS = % promoters (9–10) − % detractors (0–6).", true

	// The rep's desk (staff_desk.go).
	case "desk.note_added":
		return "📝 Заметка к лиду №%d добавлена.", "📝 Note added to lead #%d.", true
	case "desk.notes":
		return "Заметки:", "Notes:", true
	case "desk.note_erased":
		return "(удалена)", "(erased)", true
	case "desk.assigned":
		return "👤 Лид №%d теперь ведёт %s.", "👤 Lead #%d is %s's now.", true
	case "desk.unclaimed":
		return "↩️ Лид №%d теперь ничей: его может взять следующий менеджер.", "↩️ Lead #%d is nobody's now: the next rep can claim it.", true
	case "desk.requeued":
		return "↩️ Лид №%d теперь ничей: он уйдёт следующему менеджеру на смене.", "↩️ Lead #%d is nobody's now: it goes to the next rep on duty.", true
	case "desk.callback_set":
		return "⏰ Напомню перезвонить по лиду №%d: %s (%s).", "⏰ I'll remind you to call back lead #%d on %s (%s).", true
	case "desk.my_none":
		return "Открытых лидов у вас нет.", "You have no open leads.", true
	case "desk.my_title":
		return "Ваши открытые лиды (%d), сначала давние:", "Your open leads (%d), oldest first:", true
	case "desk.my_line":
		return "№%d %s · %s · %s · %s", "#%d %s · %s · %s · %s", true
	case "desk.my_call":
		return "перезвонить %s", "call back %s", true
	case "desk.my_no_call":
		return "перезвон не назначен", "no call-back", true

	// Usage lines and the commands' arguments (usage, CommandUsage).
	case "usage.line":
		return "Как вызвать: %s", "Usage: %s", true
	case "usage.period_default":
		return "%s (по умолчанию %s)", "%s (default %s)", true
	case "usage.period":
		return "период: today, yesterday, 7d, 30d (любое Nd до 366d), month или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД",
			"period: today, yesterday, 7d, 30d (any Nd up to 366d), month, or YYYY-MM-DD..YYYY-MM-DD", true
	case "usage.callback":
		return "скажите когда, по вашему времени: tomorrow 15:00, today 18:30, fri 10:00, 25.12 11:00, 2026-12-25 11:00, in 2h, in 30m",
			"say when, in your time zone: tomorrow 15:00, today 18:30, fri 10:00, 25.12 11:00, 2026-12-25 11:00, in 2h, in 30m", true
	case "err.internal":
		return "У нас что-то пошло не так; попробуйте ещё раз через минуту.", "Something went wrong on our side; please try again in a minute.", true
	case "arg.period":
		return "[период]", "[period]", true
	case "arg.period_csv":
		return "[период] [csv]", "[period] [csv]", true
	case "arg.id":
		return "<номер>", "<id>", true
	case "arg.lead_text":
		return "<номер> <текст>", "<id> <text>", true
	case "arg.lead_when":
		return "<номер> <когда>", "<id> <when>", true
	case "arg.lead_name":
		return "<номер> <имя>", "<id> <name>", true
	case "arg.find":
		return "<текст>", "<text>", true
	case "arg.campaigns":
		return "[кампания] [promote <вариант>]", "[name] [promote <variant>]", true

	// The commands in /help (TeamHelp) and Slack's /voronka help.
	case "menu.help":
		return "Ваши команды", "Your commands", true
	case "menu.lead":
		return "Карточка лида: /lead 42", "A lead's card: /lead 42", true
	case "menu.claim":
		return "Взять лид: /claim 42", "Take a lead: /claim 42", true
	case "menu.won":
		return "Отметить продажу: /won 42 150000", "Mark a lead won: /won 42 150000", true
	case "slack.cmd.not_team":
		return "Извините, /voronka отвечает только команде продаж. Попросите администратора добавить ваш Slack id в команду в конфигурации.",
			"Sorry, /voronka answers the sales team only. Ask an admin to add your Slack id to the team in the configuration.", true
	case "slack.cmd.repeat":
		return "Эта команда уже получена, ответ на неё дан. Чтобы выполнить её снова, введите её ещё раз.",
			"This command was already received and answered. Type it again to run it anew.", true
	case "slack.help_unknown":
		return "Неизвестная команда «%s».", "Unknown command \"%s\".", true
	case "slack.help_args":
		return "<команда> [аргумент]", "<command> [argument]", true
	case "help.cmd.stats":
		return "лиды, конверсия, выручка, время до первого контакта, сравнение с прошлым периодом",
			"leads, conversion, revenue, time to first contact, vs the period before", true
	case "help.cmd.funnel":
		return "этапы и где клиенты останавливаются в диалоге", "stages and where customers stop in the dialogue", true
	case "help.cmd.nps":
		return "NPS, динамика по неделям, последние комментарии", "NPS, weekly trend, latest comments", true
	case "help.cmd.team":
		return "по менеджерам: в работе, взято, первый контакт, продажи, время реакции, нарушения SLA",
			"per rep: open, claimed, contacted, won, response times, SLA breaches", true
	case "help.cmd.sources":
		return "лиды периода по источникам и кампаниям: сколько дошли до квалификации и до продажи, их выручка",
			"the period's leads by source and campaign: how many reached qualified and a sale, their revenue", true
	case "help.cmd.cohorts":
		return "недельные когорты новых лидов: доля продаж по неделям с прихода",
			"weekly cohorts of new leads: share won by week since arrival", true
	case "help.cmd.lead":
		return "карточка лида и его история", "a lead's card and timeline", true
	case "help.cmd.find":
		return "лиды по имени, телефону, email или @username", "leads by name, phone, email or @username", true
	case "help.cmd.export":
		return "лиды периода файлом Excel (.xlsx): ответы, NPS, даты этапов, менеджер, источник; csv — файл CSV с разделителем вашей локали",
			"the period's leads as an Excel file (.xlsx): answers, NPS, stage dates, rep, source; csv for a CSV with your locale's separator", true
	case "help.cmd.campaigns":
		return "по кампаниям и вариантам: аудитория, отправлено, доставлено, заблокировали, ответили, цель — с 95% интервалами",
			"per campaign and variant: audience, sent, delivered, blocked, replied, goal, with 95% intervals", true
	case "help.cmd.model":
		return "модель вероятности продажи: как она угадывала на недавних лидах, её сильнейшие признаки, сравнение с баллами",
			"the win-probability model: how it did on recent leads, its strongest features, vs the score", true
	case "help.cmd.ab":
		return "эксперименты в сценариях по вариантам: лиды, начали, прошли, квалифицированы, горячие, продажи — с 95% интервалами, P(лучше первого варианта), проверка разбиения",
			"flow experiments per arm: leads, started, completed, qualified, hot, won, with 95% intervals, P(beats the first arm), split check", true
	case "help.cmd.my":
		return "ваши открытые лиды, сначала давние: возраст, этап, ближайший перезвон", "your open leads, oldest first: age, stage, next call-back", true
	case "help.cmd.note":
		return "внутренняя заметка к лиду; клиент её не увидит", "an internal note on a lead; the customer never sees it", true
	case "help.cmd.callback":
		return "напомнить перезвонить, по вашему времени: tomorrow 15:00, fri 10:00, in 2h", "remind you to call back, in your time zone: tomorrow 15:00, fri 10:00, in 2h", true
	case "help.cmd.unclaim":
		return "вернуть лид: он уйдёт следующему менеджеру", "give a lead back: it goes to the next rep", true
	case "help.cmd.assign":
		return "передать лид кому-то из команды (для руководителей)", "give a lead to someone in the team (heads)", true

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

// ErrorText is err as the team reads it in lang. crm (and its stores)
// write errors in English with crm.Errorf; the Russian of each one the
// team can meet is in crmErrorRU below, found by the error's English
// format, and filled with its arguments, a stage or a usage line among
// them translated too. A key per message in crm would put the team's
// vocabulary into the domain and touch every call site; the English
// format is already a stable key, so the translation stays at the
// boundary, beside the other team texts. An error without a translation
// (or any error for an English reader) reads as crm.ErrorMessage; one
// that is not a *crm.Error reads as "something went wrong".
func ErrorText(lang string, err error) string {
	e := crm.AsError(err)
	switch {
	case err == nil:
		return ""
	case e == nil:
		return TeamText(lang, "err.internal")
	case TeamLang(lang) != LangRU:
		return e.Message
	}
	ru, ok := crmErrorRU(e.Format)
	if !ok {
		return e.Message
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		args[i] = crmArgRU(a)
	}
	return fmt.Sprintf(ru, args...)
}

// crmArgRU is an argument of a crm error in Russian: a stage, a usage
// line, a reason a message is built of; anything else (a name, a number)
// as it is.
func crmArgRU(a any) any {
	switch v := a.(type) {
	case crm.Stage:
		return StageName(LangRU, v)
	case string:
		switch v {
		case string(crm.StageNew), string(crm.StageQualifying), string(crm.StageQualified),
			string(crm.StageContacted), string(crm.StageWon), string(crm.StageLost):
			return StageName(LangRU, crm.Stage(v))
		case crm.PeriodUsage:
			return TeamText(LangRU, "usage.period")
		case crm.CallbackUsage:
			return TeamText(LangRU, "usage.callback")
		case "that time has passed; ":
			return "это время уже прошло; "
		case "that is more than a year ahead; ":
			return "это больше чем через год; "
		case "someone else":
			return "другой менеджер"
		}
	}
	return a
}

// crmErrorRU is the Russian of a crm error the team can meet, by its
// English format (crm.Error.Format).
func crmErrorRU(format string) (string, bool) {
	switch format {
	// Leads: not found, not the reader's, in another stage.
	case "Lead #%d not found.", "lead %d not found":
		return "Лид №%d не найден.", true
	case "Lead #%d is not among your leads.":
		return "Лида №%d нет среди ваших.", true
	case "lead #%d is someone else's":
		return "Лид №%d ведёт другой менеджер.", true
	case "lead #%d is %s's":
		return "Лид №%d ведёт %s.", true
	case "lead #%d is already %s's", "lead #%d is already claimed by %s":
		return "Лид №%d уже ведёт %s.", true
	case "lead #%d is already yours":
		return "Лид №%d уже ваш.", true
	case "lead #%d is already contacted":
		return "По лиду №%d контакт уже отмечен.", true
	case "lead #%d is already %s":
		return "Лид №%d уже закрыт: %s.", true
	case "lead #%d is %s, not lost":
		return "Лид №%d не в отказе, его этап — «%s».", true
	case "lead #%d is %s":
		return "Лид №%d на этапе «%s».", true
	case "lead #%d is %s and cannot be claimed":
		return "Лид №%d на этапе «%s», его нельзя взять в работу.", true
	case "unknown command /%s":
		return "Неизвестная команда /%s.", true
	case "lead #%d is assigned to %s":
		return "Лид №%d назначен: %s.", true
	case "lead #%d is nobody's":
		return "Лид №%d сейчас никто не ведёт.", true
	case "lead %d is already claimed or gone":
		return "Лид №%d уже взят или закрыт.", true
	case "lead %d is claimed, queued already or gone":
		return "Лид №%d уже взят, уже в очереди или закрыт.", true
	case "claim lead #%d first":
		return "Сначала возьмите лид №%d в работу.", true

	// Who may do what.
	case "only the sales team can do this":
		return "Это может только команда продаж.", true
	case "only a head of sales reassigns leads; /unclaim %d gives yours back":
		return "Передавать лиды может только руководитель продаж; вернуть свой лид — /unclaim %d.", true
	case "/model is for heads of sales and admins.":
		return "/model — только для руководителей продаж и администраторов.", true
	case "Only a head of sales promotes a variant.":
		return "Выбрать вариант может только руководитель продаж.", true
	case "/ab is for heads of sales and admins.":
		return "/ab — только для руководителей продаж и администраторов.", true
	case "only the sales team can write to customers":
		return "Писать клиентам может только команда продаж.", true
	case "lead #%d is assigned to %s; the reply was not sent":
		return "Лид №%d назначен: %s; ответ не отправлен.", true
	case "you have %d open leads, your limit is %d: the reply was not sent and lead #%d stays unclaimed":
		return "Открытых лидов у вас %d при пределе %d: ответ не отправлен, лид №%d остаётся свободным.", true
	case "you are off duty now, so replying cannot claim lead #%d; the reply was not sent":
		return "Вы сейчас не на смене, и ответ не может взять лид №%d в работу; ответ не отправлен.", true

	// The desk.
	case "whom to? The team: %s":
		return "Кому? В команде: %s", true
	case "nobody called %q in the team: %s":
		return "В команде нет никого с именем «%s». В команде: %s", true
	case "%q could be several people: %s":
		return "«%s» — под это имя подходит несколько человек: %s", true
	case "the note is empty":
		return "Заметка пустая.", true
	case "a note is at most %d characters":
		return "Заметка — не длиннее %d символов.", true
	case "%s%s": // a call-back's why and crm.CallbackUsage
		return "%s%s", true

	// A sale's amount and a lost reason.
	case "the amount of a sale must be a number":
		return "сумма продажи должна быть числом", true
	case "the amount of a sale must be a positive number":
		return "сумма продажи должна быть больше нуля", true
	case "the amount of a sale must be at least 0.01":
		return "сумма продажи должна быть не меньше 0,01", true
	case "the amount of a sale must be less than 1 000 000 000 000":
		return "сумма продажи должна быть меньше 1 000 000 000 000", true
	case "pick a reason from the list":
		return "выберите причину из списка", true

	// Reports.
	case "%s": // crm.PeriodUsage alone
		return "%s", true
	case "the period ends before it starts; %s":
		return "Период кончается раньше, чем начинается; %s", true
	case "a period is at most %d days; %s":
		return "Период — не больше %d дней; %s", true
	case "No flow has experiments: add experiments: to a flow file (see the README).":
		return "Ни в одном сценарии нет экспериментов: добавьте experiments: в файл сценария (см. README).", true
	case "Win probability is not set up in this deployment.":
		return "Вероятность продажи здесь не настроена.", true
	case "usage: /find <name, phone, email or @username> (at least 2 characters)":
		return "Как искать: /find <имя, телефон, email или @username> (не меньше 2 символов)", true
	case "no campaign %q":
		return "Кампании «%s» нет.", true
	case "campaign %s has no variant %q":
		return "В кампании %s нет варианта «%s».", true
	}
	return "", false
}
