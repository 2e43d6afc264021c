package slack

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
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

// humanDuration says how long ago something happened the way a rep reads
// it at a glance: "just now", "12 min", "2 h 5 min", "3 d 4 h". Precision
// drops as the number grows, because nobody acts on the seconds of a
// three-day-old lead.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return "just now"
	}
	mins := int(d / time.Minute)
	switch {
	case mins < 60:
		return fmt.Sprintf("%d min", mins)
	case mins < 24*60:
		h, m := mins/60, mins%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		days, h := mins/(24*60), (mins%(24*60))/60
		if h == 0 {
			return fmt.Sprintf("%d d", days)
		}
		return fmt.Sprintf("%d d %d h", days, h)
	}
}

// ago is humanDuration of now-t with "ago", except for "just now".
func ago(now, t time.Time) string {
	s := humanDuration(now.Sub(t))
	if s == "just now" {
		return s
	}
	return s + " ago"
}

// clock shows t in loc as "14:05", or "12 Jan 14:05" when it is not on
// now's day there, so a time on a card is never mistaken for today's.
func clock(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	if t.Year() == now.Year() {
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

var decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// groupDigits writes the integer part of a decimal in groups of three
// separated by spaces ("1 500 000"), as Russian and most European readers
// write money; minDigits keeps shorter numbers (a year, a quantity) as
// they are. Anything that is not a plain decimal is returned unchanged.
func groupDigits(s string, minDigits int) string {
	if !decimalRE.MatchString(s) {
		return s
	}
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) < minDigits {
		return sign + s
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// formatAmount shows a sale: grouped digits, at most two decimals.
func formatAmount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return groupDigits(strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64), 4)
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
	return "someone on the team"
}

// leadName is how the card calls the customer: their name, or the lead's
// number once /forget has erased the name.
func leadName(card *crm.LeadCard) string {
	if n := strings.TrimSpace(card.Contact.Name()); n != "" {
		return n
	}
	return fmt.Sprintf("Lead #%d", card.Lead.ID)
}

// erasedText is the card's statement that its customer was forgotten,
// unescaped; "" for a card that was not erased.
func erasedText(card *crm.LeadCard) string {
	if !card.Erased {
		return ""
	}
	if card.ErasedNote != "" {
		return card.ErasedNote
	}
	return crm.ErasedCustomerNote
}

// erasedNote is erasedText as mrkdwn with its mark.
func erasedNote(card *crm.LeadCard) string {
	if t := erasedText(card); t != "" {
		return "🔒 " + escape(t)
	}
	return ""
}

// temperatureEmoji marks a lead's temperature where the eye lands first.
func temperatureEmoji(t crm.Temperature) string { return t.Emoji() }

// temperatureLabel is "Hot", "Warm", "Cold".
func temperatureLabel(t crm.Temperature) string {
	switch t {
	case crm.Hot:
		return "Hot"
	case crm.Warm:
		return "Warm"
	case crm.Cold:
		return "Cold"
	case "":
		return "—"
	default:
		return string(t)
	}
}

// stageLabel is the stage as the sales team says it.
func stageLabel(s crm.Stage) string {
	switch s {
	case crm.StageNew:
		return "New"
	case crm.StageQualifying:
		return "Qualifying"
	case crm.StageQualified:
		return "Qualified"
	case crm.StageContacted:
		return "Contacted"
	case crm.StageWon:
		return "Won"
	case crm.StageLost:
		return "Lost"
	case "":
		return "—"
	default:
		return string(s)
	}
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
