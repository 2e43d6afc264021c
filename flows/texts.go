package flows

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// builtin returns the built-in text for key in Russian and English. It is a
// switch rather than a package-level map so no caller can change the texts
// of every flow at once. Flows override any of them under `texts:`.
func builtin(key string) (ru, en string, ok bool) {
	switch key {
	case "invalid_choice":
		return "Пожалуйста, выберите вариант кнопкой ниже или напишите его номер.",
			"Please pick an option with a button below or type its number.", true
	case "invalid_multi":
		return "Отметьте подходящие варианты кнопками и нажмите «Готово» — или напишите их номера через запятую, например: 1, 3.",
			"Tick the options that fit and press Done, or type their numbers separated by commas, e.g. 1, 3.", true
	case "invalid_phone":
		return "Не получилось распознать номер. Нажмите кнопку «Отправить мой номер» или напишите его с кодом страны, например +7 916 123-45-67.",
			"I couldn't read that number. Press “Share my number” or type it with the country code, e.g. +44 20 7946 0958.", true
	case "foreign_contact":
		return "Это чужой контакт. Пожалуйста, отправьте свой номер кнопкой ниже или напишите его.",
			"That is someone else's contact. Please share your own number with the button below or type it.", true
	case "invalid_email":
		return "Похоже, в адресе ошибка. Напишите email целиком, например name@company.ru.",
			"That doesn't look like an email address. Please type it in full, e.g. name@company.com.", true
	case "invalid_number":
		return "Пожалуйста, напишите число, например 150000, 150 000 или 150 тыс.",
			"Please type a number, e.g. 150000, 150,000 or 150k.", true
	case "number_too_small":
		return "Число должно быть не меньше {min}.", "The number must be at least {min}.", true
	case "number_too_large":
		return "Число должно быть не больше {max}.", "The number must be at most {max}.", true
	case "invalid_text":
		return "Пожалуйста, ответьте текстом.", "Please answer in words.", true
	case "text_too_short":
		return "Слишком коротко: нужно хотя бы {min} симв.", "That's too short: at least {min} characters, please.", true
	case "text_too_long":
		return "Слишком длинно: не больше {max} симв.", "That's too long: at most {max} characters, please.", true
	case "share_contact":
		return "📱 Отправить мой номер", "📱 Share my number", true
	case "done":
		return "Готово", "Done", true
	case "skip":
		return "Пропустить", "Skip", true
	case "skipped":
		return "Вопрос пропущен", "Skipped", true
	case "skip_prompt":
		return "Или пропустите этот вопрос:", "Or skip this question:", true
	case "thanks":
		return "Спасибо!", "Thank you!", true
	case "stale_button":
		return "На этот вопрос уже есть ответ.", "This question is already answered.", true
	case "help":
		return "Я задам несколько коротких вопросов, чтобы менеджер подготовился к разговору с вами. Отвечайте кнопками под сообщением или текстом; необязательный вопрос можно пропустить, написав «-». /manager — позвать менеджера, /restart — начать заново, /cancel — прервать разговор, /stop — не получать от нас сообщений первыми, /forget — удалить ваши данные.",
			"I'll ask a few short questions so a manager is ready to talk to you. Answer with the buttons under a message or in words; an optional question can be skipped by typing “-”. /manager calls a manager, /restart starts over, /cancel ends the conversation, /stop stops our messages, /forget erases your data.", true
	case "nps_question":
		return "Насколько вероятно, что вы порекомендуете нас другу или коллеге? 0 — точно нет, 10 — обязательно.",
			"How likely are you to recommend us to a friend or colleague? 0 means not at all, 10 means certainly.", true
	case "nps_reason":
		return "Спасибо! Какая главная причина вашей оценки? Напишите пару слов.",
			"Thank you! What is the main reason for your score? A few words are enough.", true
	case "nps_thanks":
		return "Спасибо, что нашли время ответить! Мы прочитаем каждое слово.",
			"Thank you for taking the time! We read every word.", true
	case "referral":
		return "Спасибо! Если кому-то из ваших знакомых нужно то же, что и вам, — просто перешлите им этот чат, мы поможем.",
			"Thank you! If a friend needs what you needed, just forward them this chat and we'll help.", true
	case "referral_link":
		return "Спасибо! Если кому-то из ваших знакомых нужно то же, что и вам, — отправьте им вашу ссылку, мы поможем: {link}",
			"Thank you! If a friend needs what you needed, send them your link and we'll help: {link}", true
	case "nudge":
		return "{name}, вы ещё здесь? Давайте продолжим — осталось совсем немного.",
			"{name}, still there? Let's carry on, there's not much left.", true
	case "ask_why":
		return "Кажется, мы не закончили. Что-то пошло не так? Выберите, что ближе:",
			"It looks like we didn't finish. Did something go wrong? Pick what fits best:", true
	case "why_later":
		return "Вернусь позже", "I'll come back later", true
	case "why_question":
		return "Есть вопрос к менеджеру", "I have a question for a manager", true
	case "why_expensive":
		return "Дорого", "Too expensive", true
	case "why_elsewhere":
		return "Нашлось другое решение", "Found another solution", true
	case "why_not_needed":
		return "Уже не нужно", "No longer needed", true
	case "why_thanks":
		return "Спасибо, что ответили! Мы это учтём.", "Thank you for telling us! We'll take it into account.", true
	case "reengage":
		return "Здравствуйте, {name}! Недавно вы интересовались нашим предложением. Если вопрос снова актуален — давайте поговорим.",
			"Hello, {name}! You were interested in our offer a while ago. If it's on your mind again, let's talk.", true
	case "reengage_button":
		return "Давайте поговорим", "Let's talk", true
	case "stopped":
		return "Хорошо, больше не будем писать вам первыми. Если понадобимся — просто напишите /start.",
			"All right, we won't write to you first any more. If you need us, just send /start.", true
	case "forgotten":
		return "Готово: ваши имя, контакты и ответы в свободной форме удалены, и писать вам первыми мы больше не будем.",
			"Done: your name, contacts and free-text answers are erased, and we won't write to you first any more.", true
	case "erased_card":
		// The team reads this on a card, in the flow's first language.
		return "Данные клиента удалены по его просьбе", "Customer data erased at their request", true
	case "claimed":
		return "{manager} из нашей команды уже занимается вашей заявкой и свяжется с вами {expect}.",
			"{manager} from our team has your request and will reach you {expect}.", true
	case "cancelled":
		return "Хорошо, остановились. Ваши ответы сохранены; чтобы начать заново, нажмите /start.",
			"All right, we've stopped. Your answers are kept; press /start to begin again.", true
	case "handed_off":
		return "Передали ваше сообщение менеджеру — ответим здесь, в этом чате.",
			"I've passed your message to a manager; the answer will come here, in this chat.", true
	case "manager":
		return "Зову менеджера. Напишите ваш вопрос — ответим здесь же.",
			"Calling a manager. Write your question and we'll answer right here.", true
	case "off_hours":
		return "Сейчас менеджеры не на связи, ответим {when}.",
			"Our managers are away right now; we'll answer {when}.", true
	case "campaign_handoff":
		return "Передали ваш запрос менеджеру — он скоро свяжется с вами.",
			"A manager has your request and will be in touch soon.", true
	case "campaign_choice":
		return "Спасибо, ваш ответ записан!", "Thank you, we've noted your answer!", true
	case "already_done":
		return "Спасибо, ваши ответы уже у нас — менеджер скоро свяжется с вами.",
			"Thank you, we have your answers — a manager will be in touch soon.", true
	}
	return "", "", false
}

// textKeys lists the keys a flow may set under `texts:`.
func textKeys() []string {
	return []string{
		"invalid_choice", "invalid_multi", "invalid_phone", "foreign_contact", "invalid_email",
		"invalid_number", "number_too_small", "number_too_large", "invalid_text", "text_too_short",
		"text_too_long", "share_contact", "done", "skip", "skipped", "skip_prompt", "thanks", "stale_button",
		"help", "cancelled", "claimed", "already_done", "handed_off", "manager", "off_hours",
		"nps_question", "nps_reason", "nps_thanks", "referral", "referral_link", "nudge", "ask_why", "why_later", "why_question",
		"why_expensive", "why_elsewhere", "why_not_needed", "why_thanks", "reengage", "reengage_button", "campaign_handoff", "campaign_choice", "stopped", "forgotten", "erased_card", "expect_hot", "expect_warm", "expect_cold",
	}
}

func isTextKey(key string) bool { return contains(textKeys(), key) }

// T returns a built-in text in lang, or the flow's override of it. The
// order is the flow's text in lang, the built-in in lang, the flow's text in
// its first language, the built-in in English: an operator who translates a
// flow to a language Voronka has no texts for still gets English hints
// instead of blanks, and overrides win wherever they exist.
// Named is T with {name} filled: the customer's name, or, when it is
// unknown, the text without it («{name}, вы ещё здесь?» becomes «Вы ещё
// здесь?»).
func (f *Flow) Named(key, lang, name string) string { return fill(f.T(key, lang), name) }

func (f *Flow) T(key, lang string) string {
	if f == nil {
		return ""
	}
	ru, en, _ := builtin(key)
	if t, ok := f.Texts[key][lang]; ok && t != "" {
		return t
	}
	switch lang {
	case "ru":
		if ru != "" {
			return ru
		}
	case "en":
		if en != "" {
			return en
		}
	}
	if t, ok := f.Texts[key][f.fallback()]; ok && t != "" {
		return t
	}
	return en
}

// Without a name, {name} goes away with the comma and spaces that belong to
// it: "Thanks, {name}!" -> "Thanks!", "Hi {name}, how are you" -> "Hi, how
// are you", "{name}, welcome" -> "Welcome".
var (
	leadingName = regexp.MustCompile(`(?m)^([ \t]*)\{name\}[ \t]*,?[ \t]*`)
	innerName   = regexp.MustCompile(`(?:[ \t]*,)?[ \t]*\{name\}`)
)

// fill substitutes placeholders in one pass, so a customer whose name is
// "{expect}" does not get it expanded. vars are pairs of placeholder and
// value, like strings.NewReplacer's.
func fill(s, name string, vars ...string) string {
	name = strings.TrimSpace(name)
	if name == "" && strings.Contains(s, "{name}") {
		s = leadingName.ReplaceAllStringFunc(s, func(m string) string {
			return "\x00" // mark where a sentence now starts, to capitalise it
		})
		s = innerName.ReplaceAllString(s, "")
		for {
			i := strings.IndexByte(s, 0)
			if i < 0 {
				break
			}
			s = s[:i] + capitalise(s[i+1:])
		}
	}
	pairs := append([]string{"{name}", name}, vars...)
	return strings.NewReplacer(pairs...).Replace(s)
}

// capitalise upper-cases the first letter, for a text that lost its
// leading "{name}, ".
func capitalise(s string) string {
	for i, r := range s {
		return s[:i] + strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// ExpectPhrase says when a person will reach a lead of temperature t, for
// the closing message's {expect}. A flow may word it itself with
// texts.expect_hot / expect_warm / expect_cold; otherwise it is built from
// `expect:` in Russian or English (English for every other language).
func (f *Flow) ExpectPhrase(t crm.Temperature, lang string) string {
	if s, ok := f.Texts["expect_"+string(t)][lang]; ok && s != "" {
		return s
	}
	d, ok := f.Expect[t]
	if !ok || d <= 0 {
		return ""
	}
	return within(d, lang)
}

// within renders a duration as the biggest whole unit: 2d -> "within 2
// days", 90m -> "within 90 minutes" (a customer reads "90 minutes" more
// easily than "1 hour 30 minutes"). Russian takes the genitive after "в
// течение": singular for 1, 21, 31… (минуты, часа, дня), plural otherwise
// (минут, часов, дней), so "в течение 21 часа" but "в течение 4 часов".
func within(d time.Duration, lang string) string {
	type unit struct {
		size       time.Duration
		en1, en    string // English for exactly one, and for n
		ruG1, ruGn string // Russian genitive singular and plural
	}
	units := []unit{
		{24 * time.Hour, "a day", "days", "дня", "дней"},
		{time.Hour, "an hour", "hours", "часа", "часов"},
		{time.Minute, "a minute", "minutes", "минуты", "минут"},
	}
	if d < time.Minute {
		d = time.Minute
	}
	u := units[len(units)-1]
	for _, c := range units {
		if d%c.size == 0 {
			u = c
			break
		}
	}
	n := int64((d + u.size - 1) / u.size) // minutes round up: never promise sooner than configured
	if lang == "ru" {
		if n == 1 {
			return "в течение " + u.ruG1
		}
		form := u.ruGn
		if n%10 == 1 && n%100 != 11 {
			form = u.ruG1
		}
		return "в течение " + strconv.FormatInt(n, 10) + " " + form
	}
	if n == 1 {
		return "within " + u.en1
	}
	return "within " + strconv.FormatInt(n, 10) + " " + u.en
}
