package bot

import "github.com/voronka/voronka/crm"

// MenuCommand is one entry of a channel's command menu (Telegram's
// setMyCommands): the command without its slash, and what it does.
type MenuCommand struct {
	Command     string
	Description string
}

// customerMenus are the customers' commands in each language the flows
// speak; the dispatcher handles each of them.
var customerMenus = map[string][]MenuCommand{
	"ru": {
		{"start", "Начать разговор заново"},
		{"help", "Что умеет бот"},
		{"manager", "Связаться с менеджером"},
		{"stop", "Больше не присылать напоминаний и рассылок"},
		{"forget", "Удалить мои данные"},
	},
	"en": {
		{"start", "Start over"},
		{"help", "What the bot can do"},
		{"manager", "Talk to a manager"},
		{"stop", "No more reminders or offers"},
		{"forget", "Delete my data"},
	},
}

// CustomerMenu is the customers' menu in lang (ru or en; English for
// any other).
func CustomerMenu(lang string) []MenuCommand {
	if m, ok := customerMenus[lang]; ok {
		return m
	}
	return customerMenus["en"]
}

// CustomerMenuLanguages are the languages CustomerMenu speaks.
func CustomerMenuLanguages() []string { return []string{"ru", "en"} }

// TeamMenu is m's menu in their private chat: /help and the commands of
// their role, in lang (the language m reads).
func TeamMenu(m crm.Manager, lang string) []MenuCommand {
	out := []MenuCommand{{"help", TeamText(lang, "menu.help")}}
	for _, c := range TeamCommandsFor(m) {
		out = append(out, MenuCommand{c.Name, menuDescription(lang, c)})
	}
	return out
}

// GroupMenu is the sales group's menu: what the group answers a team
// member (SalesGroupHandler), the heads' commands included, since the
// group's menu is one for everyone in it, in the team's language lang.
func GroupMenu(lang string) []MenuCommand {
	out := []MenuCommand{
		{"help", TeamText(lang, "menu.help")},
		{"lead", TeamText(lang, "menu.lead")},
		{"claim", TeamText(lang, "menu.claim")},
		{"won", TeamText(lang, "menu.won")},
	}
	for _, c := range TeamCommandsFor(crm.Manager{Role: crm.RoleHead}) {
		if c.Name == "lead" {
			continue
		}
		out = append(out, MenuCommand{c.Name, menuDescription(lang, c)})
	}
	return out
}

// menuDescription is a command's line in a menu: the usage, then what it
// does, within Telegram's 256 characters.
func menuDescription(lang string, c TeamCommand) string {
	d := CommandWhat(lang, c)
	if u := CommandUsage(lang, c); u != "" {
		d = u + " — " + d
	}
	if r := []rune(d); len(r) > 256 {
		d = string(r[:255]) + "…"
	}
	return d
}
