package bot

import (
	"fmt"
	"strings"

	"github.com/voronka/voronka/crm"
)

// TeamGroupUnknown is the one line the sales group answers an unknown
// command of a team member with, in lang.
func TeamGroupUnknown(lang, command string) string {
	return TeamTextf(lang, "help.group_unknown", command)
}

// TeamHelp lists the commands m's role allows (TeamCommandsFor), one a
// line, each as prefix+name ("/" in Telegram), in lang, and says what
// each figure of the reports counts, so that a name means one thing
// wherever it appears. A command's description is its help.cmd.<name>
// key in the team texts (What, the English, for one without).
func TeamHelp(m crm.Manager, lang, prefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, TeamText(lang, "help.title"), m.Name, RoleName(lang, m.Role))
	for _, c := range TeamCommandsFor(m) {
		line := prefix + c.Name
		if u := CommandUsage(lang, c); u != "" {
			line += " " + u
		}
		what := CommandWhat(lang, c)
		fmt.Fprintf(&b, "\n%s — %s", line, what)
	}
	b.WriteString("\n\n" + TeamTextf(lang, "help.periods", defaultPeriod))
	b.WriteString("\n\n" + TeamText(lang, "help.figures"))
	return b.String()
}

// RoleName is a team role as the team calls it.
func RoleName(lang string, r crm.Role) string {
	if t := TeamText(lang, "role."+string(r)); t != "role."+string(r) {
		return t
	}
	return string(r)
}

// CommandWhat is what c does, in lang.
func CommandWhat(lang string, c TeamCommand) string {
	if t := TeamText(lang, "help.cmd."+c.Name); t != "help.cmd."+c.Name {
		return t
	}
	return c.What
}

// CommandUsage is c's arguments as a usage line shows them, in lang: the
// placeholders are words ("[период]"), the keywords (csv, promote) stay.
func CommandUsage(lang string, c TeamCommand) string {
	key := map[string]string{
		"[period]":                   "arg.period",
		"[period] [csv]":             "arg.period_csv",
		"<id>":                       "arg.id",
		"<id> <text>":                "arg.lead_text",
		"<id> <when>":                "arg.lead_when",
		"<id> <name>":                "arg.lead_name",
		"<text>":                     "arg.find",
		"[name] [promote <variant>]": "arg.campaigns",
	}[c.Usage]
	if key == "" {
		return c.Usage
	}
	return TeamText(lang, key)
}
