package bot

import (
	"fmt"
	"math"
	"regexp"
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

// maxTeamText keeps a report under Telegram's 4096 characters a message
// (Slack allows more) with room for the ellipsis.
const maxTeamText = 4000

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxTeamText {
		return s
	}
	r := []rune(s)
	return string(r[:maxTeamText-1]) + "…"
}

// report writes one report in one reader's language.
type report struct {
	lang string
	f    Format
}

func newReport(lang string, loc *time.Location) report {
	lang = TeamLang(lang)
	return report{lang: lang, f: Format{Lang: lang, Loc: loc}}
}

func (r report) t(key string, args ...any) string {
	if len(args) == 0 {
		return TeamText(r.lang, "rep."+key)
	}
	return TeamTextf(r.lang, "rep."+key, args...)
}

func (r report) num(n int) string       { return r.f.Count(n) }
func (r report) money(f float64) string { return r.f.Amount(f) }
func (r report) count(n int, key string) string {
	return strings.Replace(Count(r.lang, n, key), strconv.Itoa(n), r.num(n), 1)
}

// ratio writes "45% (9/20)", or "—" without a base.
func ratio(r crm.Ratio) string {
	if r.Den == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%d/%d)", r, r.Num, r.Den)
}

// change writes the comparison with the previous period: "prev 100, +20%".
func (r report) change(cur, prev float64, format func(float64) string) string {
	pct, ok := crm.Change(cur, prev)
	if !ok {
		return r.t("prev", format(prev))
	}
	sign := "+"
	if pct < 0 {
		sign = "−"
		pct = -pct
	}
	return r.t("prev", format(prev)) + ", " + sign + crm.FormatPercent(pct)
}

// duration writes a span as crm.FormatDuration does ("3m 30s", "6h 3m"),
// with the units of the reader's language («3 мин 30 с»).
func (r report) duration(d time.Duration) string {
	s := crm.FormatDuration(d)
	if r.lang != LangRU {
		return s
	}
	return durationUnit.ReplaceAllStringFunc(s, func(m string) string {
		unit := map[byte]string{'s': " с", 'm': " мин", 'h': " ч", 'd': " дн."}[m[len(m)-1]]
		return m[:len(m)-1] + unit
	})
}

var durationUnit = regexp.MustCompile(`[0-9]+[smhd]\b`)

func (r report) period(p crm.Period) string { return PeriodLabel(r.lang, p) }

// PeriodLabel is the period's dates in the reader's language: "16–22 Nov
// 2026", «16–22 ноября 2026».
func PeriodLabel(lang string, p crm.Period) string {
	if TeamLang(lang) != LangRU {
		return p.Label()
	}
	months := [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}
	from, last := p.From.In(p.Loc), p.To.In(p.Loc).AddDate(0, 0, -1)
	dm := func(t time.Time) string { return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] }
	switch {
	case from.Year() == last.Year() && from.YearDay() == last.YearDay():
		return dm(from) + " " + strconv.Itoa(from.Year())
	case from.Year() != last.Year():
		return dm(from) + " " + strconv.Itoa(from.Year()) + " – " + dm(last) + " " + strconv.Itoa(last.Year())
	case from.Month() != last.Month():
		return dm(from) + " – " + dm(last) + " " + strconv.Itoa(last.Year())
	}
	return strconv.Itoa(from.Day()) + "–" + dm(last) + " " + strconv.Itoa(last.Year())
}

func (r report) header(title string, p crm.Period) string {
	return fmt.Sprintf("%s · %s · %s\n%s", title, p.Name, r.period(p), r.t("zone", p.Loc))
}

func renderSummary(lang, titleKey string, s *crm.Summary) string {
	r := newReport(lang, s.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header(r.t(titleKey), s.Period))
	prev := s.Period.Previous()
	b.WriteString("\n" + r.t("compared", r.period(prev)) + "\n\n")
	c, p := s.Cur, s.Prev
	countf := func(f float64) string { return r.num(int(f)) }
	line := func(key string, cur, was int) {
		fmt.Fprintf(&b, "%s: %s (%s)\n", r.t(key), r.num(cur), r.change(float64(cur), float64(was), countf))
	}
	line("new", c.New, p.New)
	line("qualified", c.Qualified, p.Qualified)
	line("hot", c.Hot, p.Hot)
	line("contacted", c.Contacted, p.Contacted)
	line("won", c.Won, p.Won)
	line("lost", c.Lost, p.Lost)
	fmt.Fprintf(&b, "%s: %s (%s)\n", r.t("revenue"), r.money(c.Revenue), r.change(c.Revenue, p.Revenue, r.money))
	b.WriteString("\n" + r.t("conversion") + "\n")
	fmt.Fprintf(&b, "%s: %s\n", r.t("lead_to_qualified"), ratio(c.LeadToQualified))
	fmt.Fprintf(&b, "%s: %s\n", r.t("qualified_to_sale"), ratio(c.QualifiedToSale))
	b.WriteString(r.t("repeat", ratio(c.RepeatShare)) + "\n")
	b.WriteString("\n" + r.t("median_contact") + ": ")
	b.WriteString(r.median(c.MedianFirstContact, c.HasMedian))
	if p.HasMedian {
		b.WriteString(" (" + r.t("prev", r.duration(p.MedianFirstContact)) + ")")
	}
	b.WriteString("\n")
	if o := s.Own; o != nil {
		b.WriteString("\n" + r.t("yours") + "\n")
		b.WriteString(r.t("yours_line", r.num(o.New), r.num(o.Contacted), r.num(o.Won), r.num(o.Lost)) + "\n")
		b.WriteString(r.t("yours_money", r.money(o.Revenue), r.median(o.MedianFirstContact, o.HasMedian)) + "\n")
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

func (r report) median(d time.Duration, ok bool) string {
	if !ok {
		return "—"
	}
	return r.duration(d)
}

// funnelStageKeys name crm's funnel stages, top first, in the report.
var funnelStageKeys = map[string]string{
	"Leads": "f.leads", "Started dialogue": "f.started", "Qualified": "f.qualified", "Contacted": "f.contacted", "Won": "f.won",
}

func (r report) stageName(name string) string { return FunnelStageName(r.lang, name) }

// FunnelStageName is a stage of crm's funnel report as the reader calls
// it (the report and its chart).
func FunnelStageName(lang, name string) string {
	if key, ok := funnelStageKeys[name]; ok {
		return TeamText(lang, "rep."+key)
	}
	return name
}

func renderFunnel(lang string, fr *crm.FunnelReport) string {
	r := newReport(lang, fr.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header("🔻 "+r.t("funnel"), fr.Period))
	b.WriteString("\n" + r.t("funnel_intro") + "\n")
	for i, st := range fr.Stages {
		if i == 0 {
			fmt.Fprintf(&b, "%s: %s\n", r.stageName(st.Name), r.num(st.Count))
			continue
		}
		b.WriteString(r.t("funnel_row", r.stageName(st.Name), r.num(st.Count), st.FromPrev, st.FromTop) + "\n")
	}
	fmt.Fprintf(&b, "%s: %s", r.t("f.lost"), r.num(fr.Lost))
	if len(fr.LostReasons) > 0 {
		// Reasons stored in older words and the customers' own answers
		// are one reason of the list.
		merged := map[string]int{}
		var order []string
		for _, lr := range fr.LostReasons {
			name := LostReasonText(r.lang, lr.Name)
			if name == "" {
				name = r.t("no_reason")
			}
			if _, ok := merged[name]; !ok {
				order = append(order, name)
			}
			merged[name] += lr.Count
		}
		sort.SliceStable(order, func(i, j int) bool { return merged[order[i]] > merged[order[j]] })
		var rs []string
		for _, name := range order {
			rs = append(rs, fmt.Sprintf("%s: %s", name, r.num(merged[name])))
		}
		b.WriteString(" (" + strings.Join(rs, "; ") + ")")
	}
	b.WriteString("\n")
	if len(fr.Steps) > 0 {
		b.WriteString("\n" + r.t("steps_intro") + "\n")
		for _, st := range fr.Steps {
			b.WriteString(r.t("step_row", st.Label, r.num(st.Stopped), r.num(st.Reached), st.Drop) + "\n")
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

func renderNPS(lang string, nr *crm.NPSReport) string {
	r := newReport(lang, nr.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header("⭐ NPS", nr.Period))
	n := nr.Responses()
	fmt.Fprintf(&b, "\n\nNPS: %s (%s)\n", signedScore(nr.Score, nr.HasScore), r.count(n, "n.responses"))
	fmt.Fprintf(&b, "%s (9-10): %s · %s\n", r.t("promoters"), r.num(nr.Promoters), crm.Ratio{Num: nr.Promoters, Den: n})
	fmt.Fprintf(&b, "%s (7-8): %s · %s\n", r.t("passives"), r.num(nr.Passives), crm.Ratio{Num: nr.Passives, Den: n})
	fmt.Fprintf(&b, "%s (0-6): %s · %s\n", r.t("detractors"), r.num(nr.Detractors), crm.Ratio{Num: nr.Detractors, Den: n})
	if o := nr.Own; o != nil {
		score, ok := o.Score()
		b.WriteString(r.t("your_nps", signedScore(score, ok), r.count(o.Responses(), "n.responses")) + "\n")
	}
	b.WriteString("\n" + r.t("nps_trend") + "\n")
	for _, pt := range nr.Trend {
		fmt.Fprintf(&b, "%s: %s (%s)\n", r.f.DayMonth(pt.Week), signedScore(pt.Score, pt.Has), r.num(pt.Responses))
	}
	if len(nr.Comments) > 0 {
		b.WriteString("\n" + r.t("comments") + "\n")
		for _, c := range nr.Comments {
			score := "—"
			if c.Score >= 0 {
				score = strconv.Itoa(c.Score)
			}
			fmt.Fprintf(&b, "#%d · %s · %s: %s\n", c.LeadID, score, r.f.DayMonth(c.At.In(nr.Period.Loc)), quote(c.Comment, 200))
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

func renderTeam(lang string, tr *crm.TeamReport) string {
	r := newReport(lang, tr.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header("👥 "+r.t("team"), tr.Period))
	b.WriteString("\n")
	row := func(f crm.RepFigures) {
		name := f.Name
		if name == "Team" {
			name = r.t("team")
		}
		fmt.Fprintf(&b, "\n%s\n", name)
		b.WriteString(r.t("team_row", r.num(f.Open), r.num(f.Claimed), r.num(f.Contacted), r.num(f.Won), r.money(f.Revenue)) + "\n")
		b.WriteString(r.t("team_times", r.median(f.ToClaim, f.HasClaim), r.median(f.ToContact, f.HasContact), r.num(f.Breaches)) + "\n")
	}
	for _, f := range tr.Reps {
		row(f)
	}
	row(tr.Total)
	b.WriteString("\n" + r.t("team_note"))
	return clip(b.String())
}

func renderSources(lang string, sr *crm.SourcesReport) string {
	r := newReport(lang, sr.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header("📣 "+r.t("sources"), sr.Period))
	b.WriteString("\n" + r.t("sources_intro") + "\n")
	row := func(s crm.SourceRow) {
		name := s.Source
		switch name {
		case "direct":
			name = TeamText(r.lang, "source.direct")
		case "Total":
			name = r.t("total")
		case "other":
			name = r.t("other")
		}
		if s.Campaign != "" {
			name += " / " + s.Campaign
		}
		b.WriteString(r.t("source_row", name, r.count(s.Leads, "n.leads"), s.QualifiedRate, r.num(s.Won), s.WinRate, r.money(s.Revenue)) + "\n")
	}
	for _, s := range sr.Rows {
		row(s)
	}
	if len(sr.Rows) == 0 {
		b.WriteString(r.t("no_leads") + "\n")
	}
	row(sr.Total)
	return clip(strings.TrimRight(b.String(), "\n"))
}

func renderCohorts(lang string, cr *crm.CohortReport) string {
	r := newReport(lang, cr.Period.Loc)
	var b strings.Builder
	b.WriteString(r.header("📅 "+r.t("cohorts"), cr.Period))
	b.WriteString("\n" + r.t("cohorts_intro") + "\n")
	for _, c := range cr.Cohorts {
		shares := make([]string, len(c.Shares))
		for i, s := range c.Shares {
			shares[i] = s.String()
		}
		fmt.Fprintf(&b, "%s (%s): %s\n", r.f.DayMonth(c.Week), r.count(c.Size, "n.leads"), strings.Join(shares, " · "))
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

// eventLine is one line of a lead's timeline, as a person would say it:
// "17 Nov 12:16 claimed by Vera", «17 нояб. 12:16 отказ: дорого или нет
// бюджета (Вера)», never "amount=1.2e+06".
func (r report) eventLine(e crm.Event, step func(string) string) string {
	str := func(k string) string {
		if v, ok := e.Data[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	var what string
	switch e.Kind {
	case crm.EventCreated:
		what = r.t("ev.created")
		if src := str("source"); src != "" {
			what += " (" + src + ")"
		}
	case crm.EventAnswered:
		what = r.t("ev.answered", step(str("step")))
		if n, ok := e.Data["score"].(float64); ok && n != 0 {
			what += fmt.Sprintf(" (%+d)", int(n))
		}
	case crm.EventQualified:
		what = r.t("ev.qualified", TemperatureName(r.lang, crm.Temperature(str("temperature"))), str("score"))
	case "assigned":
		what = r.t("ev.assigned", str("manager"))
	case "waiting":
		what = r.t("ev.waiting")
	case "claimed":
		what = r.t("ev.claimed", e.Actor)
	case crm.EventStage:
		to := crm.Stage(str("to"))
		what = r.t("ev.stage", StageName(r.lang, to))
		switch to {
		case crm.StageWon:
			if a, ok := e.Data["amount"].(float64); ok && a > 0 {
				what += ": " + r.money(a)
			}
		case crm.StageLost:
			if reason := LostReasonText(r.lang, str("reason")); reason != "" {
				what += ": " + reason
			}
		}
		if e.Actor != "" && e.Actor != "customer" && e.Actor != "system" {
			what += " (" + e.Actor + ")"
		}
	case "sla_breached":
		what = r.t("ev.sla", str("sla"))
	case crm.EventRestarted:
		what = r.t("ev.restarted")
	case crm.EventCancelled:
		what = r.t("ev.cancelled")
	case crm.EventTouch:
		what = r.t("ev.touch", Format{Lang: r.lang}.Source(crm.Attribution{Source: str("source"), Campaign: str("campaign")}))
	case crm.EventMessage:
		what = r.t("ev.message", quote(str("text"), 100))
	case crm.EventTemperature:
		what = r.t("ev.temperature", TemperatureName(r.lang, crm.Temperature(str("to"))))
	case crm.EventNPSAnswered:
		if c := str("comment"); c != "" {
			what = r.t("ev.nps_comment", quote(c, 100))
		} else {
			what = r.t("ev.nps", str("score"))
		}
	case "followup_reason":
		what = r.t("ev.why", LostReasonText(r.lang, str("reason")))
	case "reassigned":
		what = r.t("ev.reassigned", str("manager"), str("by"))
	case "unclaimed":
		what = r.t("ev.unclaimed", str("from"))
	case "note":
		what = r.t("ev.note", e.Actor)
	case "callback_scheduled":
		what = r.t("ev.callback_scheduled")
		if due, err := time.Parse(time.RFC3339, str("due_at")); err == nil {
			what = r.t("ev.callback_for", r.f.DayTime(due))
		}
	case "callback_due":
		what = r.t("ev.callback_due")
	case "campaign_click":
		what = r.t("ev.campaign_click", str("campaign"))
	case "handoff":
		what = r.t("ev.handoff", str("campaign"))
	default:
		what = strings.ReplaceAll(e.Kind, "_", " ")
	}
	return r.f.DayMonth(e.At.In(r.f.loc())) + " " + e.At.In(r.f.loc()).Format("15:04") + " " + what
}

// renderLead is /lead: the card's facts as NewCard writes them (contact
// fields or the erased note, source, answers), then the dates and the
// timeline. step names a step id as the team reads it.
func renderLead(lang string, lv *crm.LeadView, loc *time.Location, step func(string) string) string {
	r := newReport(lang, loc)
	c := lv.Card
	l, ct := c.Lead, c.Contact
	v := NewCard(c, r.f)
	clock := func(t time.Time) string { return r.f.DayMonth(t.In(loc)) + " " + t.In(loc).Format("15:04") }
	var b strings.Builder
	b.WriteString(r.t("lead_head", v.Number, strings.ToLower(v.Stage), strings.ToLower(v.Temperature), l.Score) + "\n")
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
		who = append(who, r.t("no_contact"))
	}
	b.WriteString(strings.Join(who, " · ") + "\n")
	if a := l.Attribution; a.Source != "" || a.Medium != "" || a.Campaign != "" {
		b.WriteString(TeamText(r.lang, "card.source") + ": " + v.Source + "\n")
	}
	created := l.CreatedAt.In(loc)
	b.WriteString(r.t("created", r.f.DayMonth(created)+" "+created.Format("2006 15:04")))
	if l.QualifiedAt != nil {
		b.WriteString(" · " + r.t("qualified_at", clock(*l.QualifiedAt)))
	}
	b.WriteString("\n")
	if c.Assignee != nil {
		b.WriteString(r.t("manager", c.Assignee.Name))
		if c.ClaimedAt != nil {
			b.WriteString(" · " + r.t("claimed_at", clock(*c.ClaimedAt)))
		}
		if c.ContactedAt != nil {
			b.WriteString(" · " + r.t("contacted_at", clock(*c.ContactedAt)))
		}
		b.WriteString("\n")
	}
	if l.Stage == crm.StageWon {
		b.WriteString(r.t("sale", r.money(c.Amount)) + "\n")
	}
	if l.LostReason != "" {
		b.WriteString(r.t("lost_reason", v.Lost) + "\n")
	}
	if n := len(lv.Referred); n > 0 {
		ids := make([]string, n)
		for i, id := range lv.Referred {
			ids[i] = fmt.Sprintf("#%d", id)
		}
		b.WriteString(r.t("referred", r.count(n, "n.leads"), strings.Join(ids, ", ")) + "\n")
	}
	for _, line := range WinLinesIn(c.Win, r.lang) {
		b.WriteString(line + "\n")
	}
	if len(v.Answers) > 0 {
		b.WriteString("\n" + r.t("answers") + "\n")
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
		b.WriteString("\n" + r.t("conversation") + "\n")
		for _, m := range lv.Messages {
			b.WriteString(messageLine(r.lang, m, loc) + "\n")
		}
	}
	if len(lv.Timeline) > 0 {
		b.WriteString("\n" + r.t("timeline") + "\n")
		for _, e := range lv.Timeline {
			b.WriteString(r.eventLine(e, step) + "\n")
		}
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}

// messageLine is one message of a lead's conversation in /lead: when, who,
// what, and for a reply whether the customer got it.
func messageLine(lang string, m crm.Message, loc *time.Location) string {
	who := m.Author
	switch m.Direction {
	case crm.FromCustomer:
		who = TeamText(lang, "conv.customer")
	case crm.ToCustomer:
		who = TeamTextf(lang, "conv.to_customer", m.Author)
	case crm.TeamNote:
		who = TeamTextf(lang, "conv.note", m.Author)
	}
	text := clipRunes(strings.ReplaceAll(m.Text, "\n", " "), 200)
	switch {
	case m.ErasedAt != nil:
		text = "(" + TeamText(lang, "conv.erased_body") + ")"
	case m.DeletedAt != nil:
		text = "(" + TeamText(lang, "conv.deleted") + ")"
	default:
		text = MessageBody(lang, &m, text)
	}
	line := m.At.In(loc).Format("02.01 15:04") + " " + who + ": " + text
	if m.Direction == crm.ToCustomer {
		if m.Delivery == crm.DeliveryDelivered {
			line += " ✓"
		} else if m.Delivery.Final() {
			line += " ✗ " + DeliveryText(lang, &m)
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

func renderFound(lang, text string, found []crm.FoundLead, st *crm.Stats, loc *time.Location) string {
	r := newReport(lang, loc)
	if len(found) == 0 {
		return "🔎 " + r.t("found_none", quote(text, 60))
	}
	var b strings.Builder
	b.WriteString("🔎 " + r.t("found", r.count(len(found), "n.leads"), quote(text, 60)) + "\n")
	for _, f := range found {
		parts := []string{fmt.Sprintf("#%d", f.LeadID)}
		for _, s := range []string{f.Name, atName(f.Username), f.Phone, f.Email} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		parts = append(parts, StageName(r.lang, f.Stage))
		if name := st.ManagerName(f.ManagerID); name != "" {
			parts = append(parts, name)
		}
		t := f.CreatedAt.In(loc)
		parts = append(parts, r.f.DayMonth(t)+" "+strconv.Itoa(t.Year()))
		b.WriteString(strings.Join(parts, " · ") + "\n")
	}
	if len(found) == crm.FindLimit {
		b.WriteString(r.t("found_more", crm.FindLimit))
	}
	return clip(strings.TrimRight(b.String(), "\n"))
}
