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
// their role.
func TeamMenu(m crm.Manager) []MenuCommand {
	out := []MenuCommand{{"help", "Your commands"}}
	for _, c := range TeamCommandsFor(m) {
		out = append(out, MenuCommand{c.Name, menuDescription(c)})
	}
	return out
}

// GroupMenu is the sales group's menu: what the group answers a team
// member (SalesGroupHandler), the heads' commands included, since the
// group's menu is one for everyone in it.
func GroupMenu() []MenuCommand {
	out := []MenuCommand{
		{"help", "Your commands"},
		{"lead", "A lead's card: /lead 42"},
		{"claim", "Take a lead: /claim 42"},
		{"won", "Mark a lead won: /won 42 150000"},
	}
	for _, c := range TeamCommandsFor(crm.Manager{Role: crm.RoleHead}) {
		if c.Name == "lead" {
			continue
		}
		out = append(out, MenuCommand{c.Name, menuDescription(c)})
	}
	return out
}

// menuDescription is a command's line in a menu: the usage, then what it
// does, within Telegram's 256 characters.
func menuDescription(c TeamCommand) string {
	d := c.What
	if c.Usage != "" {
		d = c.Usage + " — " + d
	}
	if r := []rune(d); len(r) > 256 {
		d = string(r[:255]) + "…"
	}
	return d
}
