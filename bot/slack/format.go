package slack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack/slackutilsx"

	"github.com/voronka/voronka/crm"
)

// escape makes customer text safe inside mrkdwn. Slack reads <...> as a
// link or a mention, so a customer called "<!channel>" would otherwise page
// the whole sales channel; &, < and > are the three characters Slack asks
// apps to escape.
func escape(s string) string { return slackutilsx.EscapeMessage(s) }

// truncate cuts s to at most n runes, marking the cut with an ellipsis:
// Slack refuses a whole message when one text is over its limit, and a
// card that fails to post is worse than a shortened answer.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// truncateBytes cuts s to at most n bytes on a rune boundary, for limits
// Slack counts in bytes rather than characters.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// formatContribution shows what an answer added to the score: "+30", "−10".
func formatContribution(n int) string {
	if n < 0 {
		return fmt.Sprintf("−%d", -n)
	}
	return fmt.Sprintf("+%d", n)
}

var slackIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// mention addresses a manager: <@U123> notifies them in Slack. A manager
// without a (well-formed) Slack id is named in plain text instead, so a
// typo in the configuration cannot turn into a broken or foreign mention.
func mention(m crm.Manager) string {
	if slackIDRE.MatchString(m.SlackID) {
		return "<@" + m.SlackID + ">"
	}
	if m.Name != "" {
		return escape(m.Name)
	}
	return "—" // a member without a name or a Slack id: nobody to address
}

// telegramURL links to the customer's Telegram: t.me/<username> opens for
// anyone, tg://user?id= only in a Telegram app that has seen the user, so
// the username is preferred. "" when there is neither.
func telegramURL(c crm.Contact) string {
	if u := strings.TrimPrefix(strings.TrimSpace(c.Username), "@"); u != "" && usernameRE.MatchString(u) {
		return "https://t.me/" + u
	}
	if c.TelegramUserID > 0 {
		return "tg://user?id=" + strconv.FormatInt(c.TelegramUserID, 10)
	}
	return ""
}

// usernameRE is Telegram's username alphabet; anything else is not put in
// a URL.
var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{3,32}$`)
