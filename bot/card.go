package bot

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// The lead card as every channel shows it. NewCard turns a crm.LeadCard
// into the facts a rep reads, already written out (amounts, ages, clock
// times, labels); bot/slack lays them out as Block Kit, bot/telegram as
// the sales group's text, and the team reports borrow the same figures,
// so one lead reads the same wherever the team sees it. Nothing here is
// escaped: every channel escapes for its own markup.

// TeamLanguage is the language a Format without one writes in. Channels
// pass the team's configured language (the `language:` of the config),
// reports the reader's own (MemberLang); see team_lang.go.
const TeamLanguage = LangEN

// groupSep separates the groups of three digits of every figure in every
// language: U+202F NARROW NO-BREAK SPACE, the SI and ISO 80000 thousands
// separator. A space cannot be mistaken for a decimal sign in any language
// (a comma reads as one to a Russian reader, a point to a German one), and
// a no-break one never splits an amount over two lines on a phone.
const groupSep = "\u202f"

// Format writes the figures and words of a card in one language: the
// decimal sign (a comma for ru, a point otherwise, as each language
// writes it), the units of an age (min, h, d or мин, ч, дн.), month names,
// stages, temperatures and who has the lead, all from TeamText.
type Format struct {
	// Lang is an IETF tag ("en", "ru"); "" is TeamLanguage.
	Lang string
	// Loc is where the team reads clock times (UTC when nil): the config's
	// timezone.
	Loc *time.Location
}

// lang is the team language f writes in.
func (f Format) lang() string {
	if f.Lang == "" {
		return TeamLanguage
	}
	return TeamLang(f.Lang)
}

// t is the team text of key in f's language.
func (f Format) t(key string, args ...any) string {
	if len(args) == 0 {
		return TeamText(f.lang(), key)
	}
	return TeamTextf(f.lang(), key, args...)
}

func (f Format) decimal() string {
	if strings.HasPrefix(strings.ToLower(f.Lang), "ru") {
		return ","
	}
	return "."
}

func (f Format) loc() *time.Location {
	if f.Loc == nil {
		return time.UTC
	}
	return f.Loc
}

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Number writes a plain decimal ("1500000.5") grouped, with the
// language's decimal sign: "1 500 000.5". Integer parts under minDigits
// digits stay as they are, so that a year or a quantity is not dressed as
// money; anything that is not a plain decimal (a phone, a text, a number
// written already) is returned unchanged.
func (f Format) Number(s string, minDigits int) string {
	if !plainDecimal.MatchString(s) {
		return s
	}
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	if len(whole) < minDigits {
		b.WriteString(whole)
	} else {
		for i, c := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteString(groupSep)
			}
			b.WriteRune(c)
		}
	}
	if frac != "" {
		b.WriteString(f.decimal() + frac)
	}
	return b.String()
}

// Amount writes money: grouped from four digits (1 500, 150 000), and
// with two decimals only when there are cents (1 500.50, never 1 500.5
// or 1 500.00), which is how a price is written in both languages. The
// amount is in the business's currency, which the card does not name.
func (f Format) Amount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	cents := math.Round(v * 100)
	if math.Mod(cents, 100) == 0 {
		return f.Number(strconv.FormatFloat(cents/100, 'f', 0, 64), 4)
	}
	return f.Number(strconv.FormatFloat(cents/100, 'f', 2, 64), 4)
}

// Count writes a count of things, grouped from four digits: 1 500.
func (f Format) Count(n int) string { return f.Number(strconv.Itoa(n), 4) }

// Age writes a span the way a rep reads it at a glance: "<1 min",
// "12 min", "2 h 5 min", "3 d 4 h". Precision drops as the number grows,
// because nobody acts on the minutes of a three-day-old lead; a negative
// span (clocks disagreeing) is "<1 min".
func (f Format) Age(d time.Duration) string {
	mn, h, day := f.t("unit.min"), f.t("unit.h"), f.t("unit.d")
	if d < time.Minute {
		return "<1 " + mn
	}
	mins := int(d / time.Minute)
	switch {
	case mins < 60:
		return fmt.Sprintf("%d %s", mins, mn)
	case mins < 24*60:
		if hh, m := mins/60, mins%60; m != 0 {
			return fmt.Sprintf("%d %s %d %s", hh, h, m, mn)
		}
		return fmt.Sprintf("%d %s", mins/60, h)
	default:
		if days, hh := mins/(24*60), mins%(24*60)/60; hh != 0 {
			return fmt.Sprintf("%d %s %d %s", days, day, hh, h)
		}
		return fmt.Sprintf("%d %s", mins/(24*60), day)
	}
}

// Ago writes how long before now t was: "just now" within a minute,
// "12 min ago" after.
func (f Format) Ago(now, t time.Time) string {
	if now.Sub(t) < time.Minute {
		return f.t("ago.now")
	}
	return f.t("ago", f.Age(now.Sub(t)))
}

// Clock writes t in Loc as "14:05" on now's day there, "12 Jan 14:05"
// on another day of the year and "12 Jan 2025 14:05" in another year, so a
// time on a card is never mistaken for today's.
func (f Format) Clock(t, now time.Time) string {
	t, now = t.In(f.loc()), now.In(f.loc())
	switch {
	case t.Year() != now.Year():
		return f.DayMonth(t) + " " + t.Format("2006 15:04")
	case t.YearDay() != now.YearDay():
		return f.DayMonth(t) + " " + t.Format("15:04")
	}
	return t.Format("15:04")
}

// DayMonth writes a date without the year: "12 Jan", «12 янв.».
func (f Format) DayMonth(t time.Time) string {
	if f.lang() == LangRU {
		months := [...]string{"янв.", "февр.", "марта", "апр.", "мая", "июня", "июля", "авг.", "сент.", "окт.", "нояб.", "дек."}
		return strconv.Itoa(t.Day()) + " " + months[t.Month()-1]
	}
	return t.Format("2 Jan")
}

// Temperature is "Hot", "Warm", "Cold" («Горячий»…); "—" for none.
func (f Format) Temperature(t crm.Temperature) string {
	return label(TemperatureName(f.lang(), t))
}

// Stage is the stage as the team says it: "Qualified", "Won"
// («Квалифицирован», «Продажа»); "—" for none.
func (f Format) Stage(s crm.Stage) string { return label(StageName(f.lang(), s)) }

// LeadNumber is "Lead #42", «Лид №42».
func (f Format) LeadNumber(id int64) string { return f.t("card.lead_no", id) }

func label(s string) string {
	if s == "" {
		return "—"
	}
	r := []rune(s)
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// CardState is what a card's buttons depend on.
type CardState int

// The states of a card, in the order a lead goes through them.
const (
	CardUnclaimed CardState = iota
	CardClaimed
	CardContacted
	CardClosed
)

// StateOf is the state of a card: closed once won or lost, contacted,
// claimed, or unclaimed (assigned or not).
func StateOf(c *crm.LeadCard) CardState {
	switch {
	case c.Lead.Stage == crm.StageWon || c.Lead.Stage == crm.StageLost:
		return CardClosed
	case c.Lead.Stage == crm.StageContacted || c.ContactedAt != nil:
		return CardContacted
	case c.Claimed || c.ClaimedAt != nil:
		return CardClaimed
	}
	return CardUnclaimed
}

// Actions are the buttons of the state, the same on every channel: Claim
// while nobody has the lead; then Contacted, Won, Lost; once contacted,
// Won or Lost; none once it is closed.
func (s CardState) Actions() []crm.ActionKind {
	switch s {
	case CardUnclaimed:
		return []crm.ActionKind{crm.ActClaim}
	case CardClaimed:
		return []crm.ActionKind{crm.ActContacted, crm.ActWon, crm.ActLost}
	case CardContacted:
		return []crm.ActionKind{crm.ActWon, crm.ActLost}
	}
	return nil
}

// ActionsOf are the buttons of a card: its state's (CardState.Actions),
// and Reopen on a lost one.
func ActionsOf(c *crm.LeadCard) []crm.ActionKind {
	if c.Lead.Stage == crm.StageLost {
		return []crm.ActionKind{crm.ActReopen}
	}
	return StateOf(c).Actions()
}

// Card is a lead card written out for the team. Every string is plain
// text, unescaped; "" means the card has nothing to show there.
type Card struct {
	LeadID int64
	// Number is "Lead #42" in the card's language («Лид №42»).
	Number string
	// Lang is the team language the card is written in.
	Lang string
	// Mark is the temperature's emoji, where the eye lands first.
	Mark string
	// Name is the customer's name, or "Lead #42" when there is none (a
	// forgotten customer has none).
	Name string
	// Erased says the customer was forgotten (crm.LeadCard.Erased), in the
	// team's language; the contact fields are empty then.
	Erased                 string
	Phone, Email, Username string // Username without "@"
	Score                  int
	Temperature            string // "Hot"
	// Answers as the team reads them (bot.Labels), with plain decimals of
	// five digits and more grouped like amounts.
	Answers []crm.CardAnswer
	// Source is "source / medium / campaign" (see SourceText).
	Source string
	// Landing is the landing page, and the referrer: "pricing · via x.com".
	Landing string
	State   CardState
	Stage   string // "Qualified"
	// Owner says who has the lead: "Claimed by Anna at 14:05", "Assigned
	// to Anna, not claimed yet", "Waiting for a rep on duty", "Not claimed
	// yet: first to claim takes it".
	Owner string
	// OwnerName is the assignee's name, "" when nobody has the lead;
	// Waiting says routing found nobody on duty.
	OwnerName string
	Waiting   bool
	// Age and Arrived are how long ago and when the lead was created:
	// "12 min ago", "14:05"; "" when unknown.
	Age, Arrived string
	// Contacted is when the rep marked it contacted: "14:16".
	Contacted string
	// Won says the lead was sold; Amount is the sale ("150 000"), "" when
	// none was given.
	Won    bool
	Amount string
	// Lost is a lost lead's reason, "no reason given" when none was.
	Lost        string
	Escalations int
	Flow        string // "qualify v1"
}

// Title is the card's first line: temperature, who, and the lead's number
// unless the name already is it: "🔥 Ivan Petrov · Lead #42".
func (c Card) Title() string {
	number := c.Number
	if number == "" {
		number = fmt.Sprintf("Lead #%d", c.LeadID)
	}
	if c.Name == number {
		return c.Mark + " " + number
	}
	return c.Mark + " " + c.Name + " · " + number
}

// NewCard writes out card for the team in f, as of card.Now (the wall
// clock when the card has no time of its own).
func NewCard(card *crm.LeadCard, f Format) Card {
	l := card.Lead
	now := card.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := Card{
		LeadID:      l.ID,
		Number:      f.LeadNumber(l.ID),
		Lang:        f.lang(),
		Mark:        l.Temperature.Emoji(),
		Name:        strings.TrimSpace(card.Contact.Name()),
		Erased:      ErasedText(card),
		Phone:       card.Contact.Phone,
		Email:       card.Contact.Email,
		Username:    strings.TrimPrefix(card.Contact.Username, "@"),
		Score:       l.Score,
		Temperature: f.Temperature(l.Temperature),
		Source:      f.Source(l.Attribution),
		Landing:     f.landing(l.Attribution),
		State:       StateOf(card),
		Stage:       f.Stage(l.Stage),
		Escalations: card.Escalations,
	}
	if c.Name == "" {
		c.Name = c.Number
	}
	for _, a := range card.Answers {
		a.Value = f.Number(strings.TrimSpace(a.Value), 5)
		c.Answers = append(c.Answers, a)
	}
	if !l.CreatedAt.IsZero() {
		c.Age, c.Arrived = f.Ago(now, l.CreatedAt), f.Clock(l.CreatedAt, now)
	}
	if card.ContactedAt != nil {
		c.Contacted = f.Clock(*card.ContactedAt, now)
	}
	if card.Assignee != nil {
		c.OwnerName = card.Assignee.Name
	}
	switch {
	case card.Assignee != nil && c.State != CardUnclaimed && card.ClaimedAt != nil:
		c.Owner = f.t("owner.claimed_at", card.Assignee.Name, f.Clock(*card.ClaimedAt, now))
	case card.Assignee != nil && c.State != CardUnclaimed:
		c.Owner = f.t("owner.claimed", card.Assignee.Name)
	case card.Assignee != nil:
		c.Owner = f.t("owner.assigned", card.Assignee.Name)
	case card.Waiting:
		c.Owner, c.Waiting = f.t("owner.waiting"), true
	case c.State == CardUnclaimed:
		c.Owner = f.t("owner.open")
	}
	switch l.Stage {
	case crm.StageWon:
		c.Won = true
		if card.Amount > 0 {
			c.Amount = f.Amount(card.Amount)
		}
	case crm.StageLost:
		c.Lost = LostReasonText(f.lang(), l.LostReason)
		if c.Lost == "" {
			c.Lost = f.t("card.no_reason")
		}
	}
	if l.FlowID != "" {
		c.Flow = l.FlowID
		if l.FlowVersion > 0 {
			c.Flow += fmt.Sprintf(" v%d", l.FlowVersion)
		}
	}
	return c
}

// ErasedText is the card's statement that its customer was forgotten, in
// the team's language (crm.ErasedCustomerNote when the Labeler gave
// none); "" for a card that was not erased.
func ErasedText(card *crm.LeadCard) string {
	switch {
	case !card.Erased:
		return ""
	case card.ErasedNote != "":
		return card.ErasedNote
	}
	return crm.ErasedCustomerNote
}

// SourceText is Format{}.Source: the English form.
func SourceText(a crm.Attribution) string { return Format{}.Source(a) }

// Source is "source / medium / campaign" with the empty parts left out
// ("google / bf", not "google / — / bf"), and the campaign named when the
// medium is missing so it is not read as one ("google / campaign bf",
// «google / кампания bf»). No source at all is "direct" («прямой
// заход»): the lead came by a bare /start, which is what "direct" means in
// web analytics too.
func (f Format) Source(a crm.Attribution) string {
	src, medium, campaign := strings.TrimSpace(a.Source), strings.TrimSpace(a.Medium), strings.TrimSpace(a.Campaign)
	var parts []string
	for _, p := range []string{src, medium} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch {
	case campaign != "" && medium == "":
		parts = append(parts, f.t("source.campaign", campaign))
	case campaign != "":
		parts = append(parts, campaign)
	}
	if len(parts) == 0 {
		return f.t("source.direct")
	}
	return strings.Join(parts, " / ")
}

func (f Format) landing(a crm.Attribution) string {
	switch {
	case a.Landing != "" && a.Referrer != "":
		return a.Landing + " · " + f.t("source.via", a.Referrer)
	case a.Referrer != "":
		return f.t("source.via", a.Referrer)
	}
	return a.Landing
}
