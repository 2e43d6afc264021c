package bot

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/voronka/voronka/crm"
)

// The managers' reports as plain text. Plain, because the same text goes
// to Telegram (sent without a parse mode, so a customer's name cannot
// break the markup) and to Slack; short lines, because it is read on a
// phone, where a table of columns wraps into noise. Every number a report
// shows is one crm computed; nothing is recomputed here.

// maxStaffText keeps a report under Telegram's 4096 characters a message
// (Slack allows more) with room for the ellipsis.
const maxStaffText = 4000

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxStaffText {
		return s
	}
	r := []rune(s)
	return string(r[:maxStaffText-1]) + "…"
}

// num writes a count grouped like an amount: 1 500 000.
func num(n int) string { return Format{Lang: TeamLanguage}.Count(n) }

// money writes an amount as the cards do (Format.Amount).
func money(f float64) string { return Format{Lang: TeamLanguage}.Amount(f) }

// ratio writes "45% (9/20)", or "—" without a base.
func ratio(r crm.Ratio) string {
	if r.Den == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%d/%d)", r, r.Num, r.Den)
}

// change writes the comparison with the previous period: "prev 100, +20%".
func change(cur, prev float64, format func(float64) string) string {
	pct, ok := crm.Change(cur, prev)
	if !ok {
		return "prev " + format(prev)
	}
	sign := "+"
	if pct < 0 {
		sign = "−"
		pct = -pct
	}
	return "prev " + format(prev) + ", " + sign + crm.FormatPercent(pct)
}

func countf(f float64) string { return num(int(f)) }

func header(title string, p crm.Period) string {
	return fmt.Sprintf("%s · %s · %s\n(%s time)", title, p.Name, p.Label(), p.Loc)
}

func renderSummary(title string, s *crm.Summary) string {
	var b strings.Builder
	b.WriteString(header(title, s.Period))
	prev := s.Period.Previous()
	fmt.Fprintf(&b, "\ncompared with %s\n\n", prev.Label())
	c, p := s.Cur, s.Prev
	line := func(name string, cur, was int) {
		fmt.Fprintf(&b, "%s: %s (%s)\n", name, num(cur), change(float64(cur), float64(was), countf))
	}
	line("New leads", c.New, p.New)
	line("Qualified", c.Qualified, p.Qualified)
	line("Hot", c.Hot, p.Hot)
	line("Contacted", c.Contacted, p.Contacted)
	line("Won", c.Won, p.Won)
	line("Lost", c.Lost, p.Lost)
	fmt.Fprintf(&b, "Revenue: %s (%s)\n", money(c.Revenue), change(c.Revenue, p.Revenue, money))
	b.WriteString("\nConversion of the period's new leads, so far:\n")
	fmt.Fprintf(&b, "Lead → qualified: %s\n", ratio(c.LeadToQualified))
	fmt.Fprintf(&b, "Qualified → sale: %s\n", ratio(c.QualifiedToSale))
	fmt.Fprintf(&b, "Sale → repeat sale: %s of the period's sales\n", ratio(c.RepeatShare))
	b.WriteString("\nMedian time to first contact: ")
	b.WriteString(median(c.MedianFirstContact, c.HasMedian))
	if p.HasMedian {
		b.WriteString(" (prev " + crm.FormatDuration(p.MedianFirstContact) + ")")
	}
	b.WriteString("\n")
	if o := s.Own; o != nil {
		b.WriteString("\nYour leads:\n")
		fmt.Fprintf(&b, "New %s · contacted %s · won %s · lost %s\n", num(o.New), num(o.Contacted), num(o.Won), num(o.Lost))
		fmt.Fprintf(&b, "Revenue %s · first contact %s\n", money(o.Revenue), median(o.MedianFirstContact, o.HasMedian))
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

func median(d time.Duration, ok bool) string {
	if !ok {
		return "—"
	}
	return crm.FormatDuration(d)
}

func renderFunnel(r *crm.FunnelReport) string {
	var b strings.Builder
	b.WriteString(header("🔻 Funnel", r.Period))
	b.WriteString("\nLeads created in the period, by the furthest stage reached:\n")
	for i, st := range r.Stages {
		if i == 0 {
			fmt.Fprintf(&b, "%s: %s\n", st.Name, num(st.Count))
			continue
		}
		fmt.Fprintf(&b, "%s: %s · %s of the previous · %s of all\n", st.Name, num(st.Count), st.FromPrev, st.FromTop)
	}
	fmt.Fprintf(&b, "Lost: %s", num(r.Lost))
	if len(r.LostReasons) > 0 {
		var rs []string
		for _, lr := range r.LostReasons {
			name := lr.Name
			if name == "" {
				name = "no reason"
			}
			rs = append(rs, fmt.Sprintf("%s %s", name, num(lr.Count)))
		}
		b.WriteString(" (" + strings.Join(rs, ", ") + ")")
	}
	b.WriteString("\n")
	if len(r.Steps) > 0 {
		b.WriteString("\nWhere customers stop in the dialogue (stopped of reached):\n")
		for _, st := range r.Steps {
			fmt.Fprintf(&b, "%s: %s of %s stopped (%s)\n", st.Label, num(st.Stopped), num(st.Reached), st.Drop)
		}
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

func signedScore(score float64, ok bool) string {
	if !ok {
		return "—"
	}
	v := math.Round(score)
	switch {
	case v > 0:
		return "+" + strconv.FormatFloat(v, 'f', 0, 64)
	case v < 0:
		return "−" + strconv.FormatFloat(-v, 'f', 0, 64) // a real minus, as in the changes
	}
	return "0"
}

func renderNPS(r *crm.NPSReport) string {
	var b strings.Builder
	b.WriteString(header("⭐ NPS", r.Period))
	n := r.Responses()
	fmt.Fprintf(&b, "\n\nNPS: %s (%s responses)\n", signedScore(r.Score, r.HasScore), num(n))
	fmt.Fprintf(&b, "Promoters (9-10): %s · %s\n", num(r.Promoters), crm.Ratio{Num: r.Promoters, Den: n})
	fmt.Fprintf(&b, "Passives (7-8): %s · %s\n", num(r.Passives), crm.Ratio{Num: r.Passives, Den: n})
	fmt.Fprintf(&b, "Detractors (0-6): %s · %s\n", num(r.Detractors), crm.Ratio{Num: r.Detractors, Den: n})
	if o := r.Own; o != nil {
		score, ok := o.Score()
		fmt.Fprintf(&b, "Your leads: NPS %s (%s responses)\n", signedScore(score, ok), num(o.Responses()))
	}
	b.WriteString("\nTrend by week (NPS, responses):\n")
	for _, pt := range r.Trend {
		fmt.Fprintf(&b, "%s: %s (%s)\n", pt.Week.Format("2 Jan"), signedScore(pt.Score, pt.Has), num(pt.Responses))
	}
	if len(r.Comments) > 0 {
		b.WriteString("\nLatest comments:\n")
		for _, c := range r.Comments {
			score := "—"
			if c.Score >= 0 {
				score = strconv.Itoa(c.Score)
			}
			fmt.Fprintf(&b, "#%d · %s · %s: %s\n", c.LeadID, score, c.At.In(r.Period.Loc).Format("2 Jan"), quote(c.Comment, 200))
		}
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

// quote shortens a customer's text to n characters on one line.
func quote(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return "«" + s + "»"
}

func renderTeam(r *crm.TeamReport) string {
	var b strings.Builder
	b.WriteString(header("👥 Team", r.Period))
	b.WriteString("\n")
	row := func(f crm.RepFigures) {
		fmt.Fprintf(&b, "\n%s\n", f.Name)
		fmt.Fprintf(&b, "open %s · claimed %s · contacted %s · won %s · revenue %s\n",
			num(f.Open), num(f.Claimed), num(f.Contacted), num(f.Won), money(f.Revenue))
		fmt.Fprintf(&b, "to claim %s · to contact %s · SLA breaches %s\n",
			median(f.ToClaim, f.HasClaim), median(f.ToContact, f.HasContact), num(f.Breaches))
	}
	for _, f := range r.Reps {
		row(f)
	}
	row(r.Total)
	b.WriteString("\n(open: now; the rest: in the period; times are medians)")
	return clip(b.String())
}

func renderSources(r *crm.SourcesReport) string {
	var b strings.Builder
	b.WriteString(header("📣 Sources", r.Period))
	b.WriteString("\nLeads created in the period:\n")
	row := func(s crm.SourceRow) {
		name := s.Source
		if s.Campaign != "" {
			name += " / " + s.Campaign
		}
		fmt.Fprintf(&b, "%s: %s leads · qualified %s · won %s (%s) · revenue %s\n",
			name, num(s.Leads), s.QualifiedRate, num(s.Won), s.WinRate, money(s.Revenue))
	}
	for _, s := range r.Rows {
		row(s)
	}
	if len(r.Rows) == 0 {
		b.WriteString("No leads.\n")
	}
	row(r.Total)
	return clip(strings.TrimRight(b.String(), "\n"))
}

func renderCohorts(r *crm.CohortReport) string {
	var b strings.Builder
	b.WriteString(header("📅 Cohorts", r.Period))
	b.WriteString("\nLeads by week of arrival; share won by the end of week 0, 1, 2… since:\n")
	for _, c := range r.Cohorts {
		shares := make([]string, len(c.Shares))
		for i, s := range c.Shares {
			shares[i] = s.String()
		}
		fmt.Fprintf(&b, "%s (%s leads): %s\n", c.Week.Format("2 Jan"), num(c.Size), strings.Join(shares, " · "))
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

// eventLine is one line of a lead's timeline.
func eventLine(e crm.Event, loc *time.Location) string {
	var details []string
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "manager_id" || k == "flow_version" {
			continue
		}
		v := fmt.Sprint(e.Data[k])
		if v == "" {
			continue
		}
		details = append(details, k+"="+v)
	}
	line := e.At.In(loc).Format("2 Jan 15:04") + " " + e.Kind
	if e.Actor != "" {
		line += " (" + e.Actor + ")"
	}
	if len(details) > 0 {
		d := strings.Join(details, ", ")
		if utf8.RuneCountInString(d) > 120 {
			d = string([]rune(d)[:119]) + "…"
		}
		line += ": " + d
	}
	return line
}

// renderLead is /lead: the card's facts as NewCard writes them (contact
// fields or the erased note, source, answers), then the dates and the
// timeline.
func renderLead(lv *crm.LeadView, loc *time.Location) string {
	c := lv.Card
	l, ct := c.Lead, c.Contact
	v := NewCard(c, Format{Lang: TeamLanguage, Loc: loc})
	var b strings.Builder
	fmt.Fprintf(&b, "Lead #%d · %s · %s · score %d\n", l.ID, l.Stage, l.Temperature, l.Score)
	var who []string
	if ct.FirstName != "" || ct.LastName != "" {
		who = append(who, v.Name)
	}
	for _, s := range []string{atName(v.Username), v.Phone, v.Email} {
		if s != "" {
			who = append(who, s)
		}
	}
	switch {
	case v.Erased != "":
		who = append(who, "🔒 "+v.Erased)
	case len(who) == 0:
		who = append(who, "(no contact details)")
	}
	b.WriteString(strings.Join(who, " · ") + "\n")
	if a := l.Attribution; a.Source != "" || a.Medium != "" || a.Campaign != "" {
		b.WriteString("Source: " + v.Source + "\n")
	}
	fmt.Fprintf(&b, "Created %s", l.CreatedAt.In(loc).Format("2 Jan 2006 15:04"))
	if l.QualifiedAt != nil {
		fmt.Fprintf(&b, " · qualified %s", l.QualifiedAt.In(loc).Format("2 Jan 15:04"))
	}
	b.WriteString("\n")
	if c.Assignee != nil {
		fmt.Fprintf(&b, "Manager: %s", c.Assignee.Name)
		if c.ClaimedAt != nil {
			fmt.Fprintf(&b, " · claimed %s", c.ClaimedAt.In(loc).Format("2 Jan 15:04"))
		}
		if c.ContactedAt != nil {
			fmt.Fprintf(&b, " · contacted %s", c.ContactedAt.In(loc).Format("2 Jan 15:04"))
		}
		b.WriteString("\n")
	}
	if l.Stage == crm.StageWon {
		fmt.Fprintf(&b, "Sale: %s\n", money(c.Amount))
	}
	if l.LostReason != "" {
		fmt.Fprintf(&b, "Lost: %s\n", l.LostReason)
	}
	for _, line := range WinLines(c.Win) {
		b.WriteString(line + "\n")
	}
	if len(v.Answers) > 0 {
		b.WriteString("\nAnswers:\n")
		for _, ans := range v.Answers {
			val := ans.Value
			if val == "" {
				val = "—"
			}
			fmt.Fprintf(&b, "%s: %s", ans.Question, val)
			if ans.Score != 0 {
				fmt.Fprintf(&b, " (%+d)", ans.Score)
			}
			b.WriteString("\n")
		}
	}
	if len(lv.Messages) > 0 {
		b.WriteString("\nConversation:\n")
		for _, m := range lv.Messages {
			b.WriteString(messageLine(m, loc) + "\n")
		}
	}
	if len(lv.Timeline) > 0 {
		b.WriteString("\nTimeline:\n")
		for _, e := range lv.Timeline {
			b.WriteString(eventLine(e, loc) + "\n")
		}
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

// messageLine is one message of a lead's conversation in /lead: when, who,
// what, and for a reply whether the customer got it.
func messageLine(m crm.Message, loc *time.Location) string {
	who := m.Author
	switch m.Direction {
	case crm.FromCustomer:
		who = "Customer"
	case crm.ToCustomer:
		who = m.Author + " → customer"
	case crm.TeamNote:
		who = m.Author + " (note)"
	}
	text := clipRunes(strings.ReplaceAll(m.Text, "\n", " "), 200)
	switch {
	case m.ErasedAt != nil:
		text = "(erased)"
	case m.DeletedAt != nil:
		text = "(deleted)"
	case m.Kind != crm.MessageText && m.Kind != "":
		text = strings.TrimSpace("[" + m.Kind + "] " + text)
	}
	line := m.At.In(loc).Format("02.01 15:04") + " " + who + ": " + text
	if m.Direction == crm.ToCustomer {
		if m.Delivery == crm.DeliveryDelivered {
			line += " ✓"
		} else if m.Delivery.Final() {
			line += " ✗ " + string(m.Delivery)
		}
	}
	return line
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func atName(u string) string {
	if u == "" {
		return ""
	}
	return "@" + u
}

func renderFound(text string, found []crm.FoundLead, st *crm.Stats, loc *time.Location) string {
	if len(found) == 0 {
		return "🔎 Nothing found for " + quote(text, 60) + "."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "🔎 %d leads for %s (newest first):\n", len(found), quote(text, 60))
	for _, f := range found {
		parts := []string{fmt.Sprintf("#%d", f.LeadID)}
		for _, s := range []string{f.Name, atName(f.Username), f.Phone, f.Email} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		parts = append(parts, string(f.Stage))
		if name := st.ManagerName(f.ManagerID); name != "" {
			parts = append(parts, name)
		}
		parts = append(parts, f.CreatedAt.In(loc).Format("2 Jan 2006"))
		b.WriteString(strings.Join(parts, " · ") + "\n")
	}
	if len(found) == crm.FindLimit {
		fmt.Fprintf(&b, "(the first %d; type more to narrow it down)", crm.FindLimit)
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}
