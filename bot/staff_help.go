package bot

import (
	"fmt"
	"strings"

	"github.com/voronka/voronka/crm"
)

// The team's help texts, in one place for the team-language work (English
// until then, like the rest of the team's side).
const (
	staffHelpTitle      = "Voronka for the team: you are %s (%s). Your commands:"
	staffHelpPeriods    = "A report takes a %s (default %s)."
	staffUnknownCommand = "Unknown command %s. /help lists yours."
	staffNotACustomer   = "This chat takes the team's commands, not customers' messages. /help lists yours."
	// StaffGroupUnknown is the one line the sales group answers an
	// unknown command of a team member with.
	StaffGroupUnknown = "Unknown command %s. Here: /lead <id>, /claim <id>, /my, /note, /callback, /stats and the other reports; /help lists them."
)

// StaffHelp lists the commands m's role allows (StaffCommandsFor), one a
// line, each as prefix+name: "/" in Telegram.
func StaffHelp(m crm.Manager, prefix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, staffHelpTitle, m.Name, m.Role)
	for _, c := range StaffCommandsFor(m) {
		line := prefix + c.Name
		if c.Usage != "" {
			line += " " + c.Usage
		}
		fmt.Fprintf(&b, "\n%s — %s", line, c.What)
	}
	b.WriteString("\n" + fmt.Sprintf(staffHelpPeriods, crm.PeriodUsage, defaultPeriod))
	return b.String()
}
