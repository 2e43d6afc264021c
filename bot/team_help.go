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
// wherever it appears. A command's description is English until its
// help.cmd.<name> key is in the team texts.
func TeamHelp(m crm.Manager, lang, prefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, TeamText(lang, "help.title"), m.Name, RoleName(lang, m.Role))
	for _, c := range TeamCommandsFor(m) {
		line := prefix + c.Name
		if c.Usage != "" {
			line += " " + c.Usage
		}
		what := TeamText(lang, "help.cmd."+c.Name)
		if what == "help.cmd."+c.Name {
			what = c.What
		}
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
