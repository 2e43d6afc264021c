package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// Members finds a configured member of the sales team by the id a
// channel knows them by (crm.Sales has both).
type Members interface {
	ManagerByTelegram(id int64) (crm.Manager, bool)
	ManagerBySlack(id string) (crm.Manager, bool)
}

// Charts draws the pictures that say more than the text: PNG images.
// bot/chart implements it; nil means text only.
type Charts interface {
	// Each draws its labels in lang, the reader's language; a report
	// with nothing to draw returns an error wrapping ErrNoChartData.
	Funnel(r *crm.FunnelReport, lang string) ([]byte, error)
	NPSTrend(r *crm.NPSReport, lang string) ([]byte, error)
	Cohorts(r *crm.CohortReport, lang string) ([]byte, error)
}

// ErrNoChartData is what Charts return for a report with nothing to draw
// (an NPS trend without one response): the reader is told so in a
// sentence instead of being sent empty axes.
var ErrNoChartData = errors.New("no data to draw")

// TeamConfig wires Team. Stats, Team and Sender are required.
type TeamConfig struct {
	Stats *crm.Stats
	// Campaigns answers /campaigns; nil means none are configured.
	Campaigns *crm.Campaigns
	// OnStart, when set, runs when a team member sends /start in their
	// private chat (the App sets their command menu then).
	OnStart func(ctx context.Context, m crm.Manager)
	// Desk answers the rep's daily tools (/my, /note, /callback,
	// /unclaim, /assign); nil leaves them out.
	Desk   *crm.Desk
	Team   Members
	Sender Sender // Telegram: replies in the private chat, digest DMs
	Charts Charts
	Logger *slog.Logger
	// Post, when set, also posts the daily digest to the sales team's
	// channel (Slack).
	Post func(ctx context.Context, m Message) error
	// Flows are the loaded flows, by id: /export has a column per step.
	Flows map[string]*flows.Flow
	// Language is the team's default language (a member's own wins).
	Language string
}

// stepName names a step of flow as the team reads it in lang.
func (s *Team) stepName(flow, lang string) func(string) string {
	return func(id string) string {
		if f := s.cfg.Flows[flow]; f != nil {
			if st := f.Step(id); st != nil {
				return fieldNameIn(st, TeamLang(lang))
			}
		}
		return id
	}
}

// lang is the language m reads.
func (s *Team) lang(m crm.Manager) string { return MemberLang(m, s.cfg.Language) }

// Team answers the sales team's commands, the same in every channel:
// Telegram (a private chat with the bot: telegram.Router gives a team
// member's team command to Handle, behind the dispatcher's gate) and
// Slack (the /voronka slash command, which calls Answer). The text is
// plain and short-lined, for a phone screen; charts and the CSV go as a
// photo and a document after it.
//
// Only configured managers get answers. The router sends anyone else's
// command to the customers' flow, so a customer who types /stats gets the
// flow's help for an unknown command and learns nothing, not even that
// the command exists.
type Team struct {
	cfg TeamConfig
}

var (
	_ Handler            = (*Team)(nil)
	_ crm.DigestNotifier = (*Team)(nil)
)

// NewTeam checks cfg and returns the handler.
func NewTeam(cfg TeamConfig) (*Team, error) {
	if cfg.Stats == nil || cfg.Team == nil || cfg.Sender == nil {
		return nil, errors.New("new staff: stats, team and sender are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Team{cfg: cfg}, nil
}

// ManagerBySlack finds a member of the team by Slack user id (for the
// slash command).
func (s *Team) ManagerBySlack(id string) (crm.Manager, bool) { return s.cfg.Team.ManagerBySlack(id) }

// TeamCommand is one of the managers' commands.
type TeamCommand struct {
	Name  string
	Usage string // arguments, as the usage line shows them
	What  string
}

// teamCommands is the list, in the order a help text shows it.
var teamCommands = []TeamCommand{
	{"stats", "[period]", "leads, conversion, revenue, time to first contact, vs the period before"},
	{"funnel", "[period]", "stages and where customers stop in the dialogue"},
	{"nps", "[period]", "NPS, weekly trend, latest comments"},
	{"team", "[period]", "per rep: open, claimed, contacted, won, response times, SLA breaches"},
	{"sources", "[period]", "the period's leads by source and campaign: how many reached qualified and a sale, their revenue"},
	{"cohorts", "[period]", "weekly cohorts of new leads: share won by week since arrival"},
	{"lead", "<id>", "a lead's card and timeline"},
	{"find", "<text>", "leads by name, phone, email or @username"},
	{"export", "[period] [csv]", "the period's leads as an Excel file (.xlsx): answers, NPS, stage dates, rep, source; csv for a CSV with your locale's separator"},
	{"campaigns", "[name] [promote <variant>]", "per campaign and variant: audience, sent, delivered, blocked, replied, goal, with 95% intervals"},
	{"model", "", "the win-probability model: how it did on recent leads, its strongest features, vs the score"},
	{"ab", "[period]", "flow experiments per arm: leads, started, completed, qualified, hot, won, with 95% intervals, P(beats the first arm), split check"},
}

// TeamCommandList lists the managers' commands (for /voronka help).
func TeamCommandList() []TeamCommand { return append([]TeamCommand(nil), teamCommands...) }

// defaultPeriod is the period of a command given none: a week is the
// rhythm of a sales team's meeting and long enough to mean something.
const defaultPeriod = "7d"

func teamCommand(name string) (TeamCommand, bool) {
	for _, c := range teamCommands {
		if c.Name == name {
			return c, true
		}
	}
	return deskCommand(name)
}

// IsTeamCommand reports whether name is one of the managers' commands.
func IsTeamCommand(name string) bool {
	_, ok := teamCommand(strings.ToLower(name))
	return ok
}

// Handle implements Handler for Telegram: whatever a team member sends
// in their private chat with the bot (telegram.Router sends all of it
// here) is answered as the team's: a team command runs, /start and /help
// list the commands the member's role allows, any other command or text
// gets a one-line pointer to /help, and a button (one the member pressed
// as a customer once) is answered with nothing. None of it reaches the
// customers' flow. Anyone else's update is logged and left alone. A reply
// that cannot be sent is an error, so the update is delivered again.
func (s *Team) Handle(ctx context.Context, u Update) error {
	m, ok := s.cfg.Team.ManagerByTelegram(u.User.ID)
	if !u.Private || !ok {
		s.cfg.Logger.WarnContext(ctx, "staff: not a team member's update", "update_id", u.ID, "chat_id", u.ChatID)
		return nil
	}
	var msgs []Message
	switch {
	case u.Kind == InputCommand && IsTeamCommand(u.Command):
		msgs = s.Answer(ctx, m, "telegram", u.Command, u.Text)
	case u.Kind == InputCommand && (u.Command == "start" || u.Command == "help"):
		if u.Command == "start" && s.cfg.OnStart != nil {
			s.cfg.OnStart(ctx, m)
		}
		msgs = []Message{{Text: TeamHelp(m, s.lang(m), "/")}}
	case u.Kind == InputCommand:
		msgs = []Message{{Text: TeamTextf(s.lang(m), "help.unknown", "/"+u.Command)}}
	case u.Kind == InputText || u.Kind == InputContact:
		msgs = []Message{{Text: TeamText(s.lang(m), "help.not_customer")}}
	case u.Kind == InputButton && u.CallbackID != "":
		if err := s.cfg.Sender.AnswerCallback(ctx, CallbackAnswer{CallbackID: u.CallbackID}); err != nil {
			s.cfg.Logger.WarnContext(ctx, "staff: answer a button", "err", err)
		}
	}
	for _, msg := range msgs {
		msg.ChatID = u.ChatID
		if _, err := s.cfg.Sender.Send(ctx, msg); err != nil {
			return fmt.Errorf("staff /%s: %w", u.Command, err)
		}
	}
	return nil
}

// Answer runs one command for m and returns what to show, text first, then
// any chart or file (ChatID left for the channel to fill). It never fails:
// a bad argument gets the usage line, a lead that is not found or not the
// rep's says so, and a failure is logged and apologised for. Every command
// is written to the audit log with who asked and how it went: the argument
// as the command understood it (a period, a lead id) and the leads it
// showed, never typed text. /find's text is not logged at all, only the
// ids of the leads it returned, so that after /forget no line holds what
// found or names the customer (their leads are anonymous by then).
func (s *Team) Answer(ctx context.Context, m crm.Manager, channel, command, args string) []Message {
	start := time.Now()
	command = strings.ToLower(command)
	args = strings.TrimSpace(args)
	entry := crm.TeamCommand{ManagerID: m.ID, Manager: m.Name, Channel: channel, Command: command, Args: args}
	msgs, leadIDs, err := s.run(ctx, m, command, args)
	entry.LeadIDs = leadIDs
	if command == "lead" && len(leadIDs) == 1 {
		entry.LeadID = leadIDs[0]
	}
	if command == "find" || crm.ErrorCode(err) == crm.EINVALID {
		// What was typed to find a customer, or typed wrongly, is not
		// kept: /forget could not tell it from anything else.
		entry.Args = ""
	}
	switch code := crm.ErrorCode(err); code {
	case "":
		entry.Outcome = "ok"
	case crm.EINVALID, crm.ENOTFOUND, crm.EFORBIDDEN:
		entry.Outcome = code
		msgs = []Message{{Text: ErrorText(s.lang(m), err)}}
	default:
		entry.Outcome = "error"
		s.cfg.Logger.ErrorContext(ctx, "staff command failed", "command", command, "manager", m.Name, "err", err)
		msgs = []Message{{Text: TeamText(s.lang(m), "err.internal")}}
	}
	if err := s.cfg.Stats.Log(ctx, entry); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "staff audit log", "command", command, "manager", m.Name, "err", err)
	}
	s.cfg.Logger.InfoContext(ctx, "staff command", "command", command, "manager", m.Name, "channel", channel,
		"outcome", entry.Outcome, "took", time.Since(start).Round(time.Millisecond))
	return msgs
}

// usage is the EINVALID answer for a bad argument, in lang.
func usage(lang string, c TeamCommand, why string) error {
	line := TeamTextf(lang, "usage.line", strings.TrimSpace("/"+c.Name+" "+CommandUsage(lang, c)))
	if strings.Contains(c.Usage, "period") {
		line += "\n" + TeamTextf(lang, "usage.period_default", TeamText(lang, "usage.period"), defaultPeriod)
	}
	if why != "" {
		line = why + "\n" + line
	}
	return crm.Errorf(crm.EINVALID, "%s", line)
}

func (s *Team) period(m crm.Manager, c TeamCommand, args, def string) (crm.Period, error) {
	p, err := s.cfg.Stats.Period(m, args, def)
	if err != nil {
		why := ""
		if crm.ErrorMessage(err) != crm.PeriodUsage {
			why, _, _ = strings.Cut(ErrorText(s.lang(m), err), ";")
		}
		return p, usage(s.lang(m), c, why)
	}
	return p, nil
}

// run does the work of one command and says which leads it showed.
func (s *Team) run(ctx context.Context, m crm.Manager, command, args string) ([]Message, []int64, error) {
	if msgs, ids, ok, err := s.runDesk(ctx, m, command, args); ok {
		return msgs, ids, err
	}
	c, _ := teamCommand(command)
	st := s.cfg.Stats
	switch command {
	case "lead":
		id, err := strconv.ParseInt(strings.TrimPrefix(args, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, nil, usage(s.lang(m), c, "")
		}
		v, err := st.Lead(ctx, m, id)
		if err != nil {
			return nil, []int64{id}, err
		}
		text := renderLead(s.lang(m), v, st.Location(m), s.stepName(v.Card.Lead.FlowID, s.lang(m)))
		if notes := s.leadNotes(ctx, m, id); notes != "" {
			text = strings.TrimRight(text, "\n") + "\n" + notes
		}
		return []Message{{Text: text, Card: v.Card}}, []int64{id}, nil
	case "model":
		r, err := st.Model(ctx, m)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: RenderModelIn(s.lang(m), r, st.Location(m))}}, nil, nil
	case "find":
		found, err := st.Find(ctx, m, args)
		if err != nil {
			return nil, nil, err
		}
		ids := make([]int64, len(found))
		for i, f := range found {
			ids[i] = f.LeadID
		}
		return []Message{{Text: renderFound(s.lang(m), args, found, st, st.Location(m))}}, ids, nil
	case "campaigns":
		// Its arguments are a campaign and a promotion, not a period.
		return s.campaigns(ctx, m, args)
	}

	def := defaultPeriod
	if command == "cohorts" {
		def = strconv.Itoa(7*crm.DefaultCohortWeeks) + "d"
	}
	format := ""
	if command == "export" {
		args, format = exportFormat(args)
	}
	p, err := s.period(m, c, args, def)
	if err != nil {
		return nil, nil, err
	}
	switch command {
	case "stats":
		sum, err := st.Summary(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: renderSummary(s.lang(m), "title.stats", sum)}}, nil, nil
	case "funnel":
		r, err := st.Funnel(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		lang := s.lang(m)
		return s.withChart(ctx, lang, renderFunnel(lang, r), "funnel.png", TeamTextf(lang, "chart.funnel", PeriodLabel(lang, p)), func() ([]byte, error) { return s.cfg.Charts.Funnel(r, lang) }), nil, nil
	case "nps":
		r, err := st.NPS(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		lang := s.lang(m)
		return s.withChart(ctx, lang, renderNPS(lang, r), "nps.png", TeamText(lang, "chart.nps"), func() ([]byte, error) { return s.cfg.Charts.NPSTrend(r, lang) }), nil, nil
	case "team":
		r, err := st.Team(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: renderTeam(s.lang(m), r)}}, nil, nil
	case "sources":
		r, err := st.Sources(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: renderSources(s.lang(m), r)}}, nil, nil
	case "cohorts":
		r, err := st.Cohorts(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		lang := s.lang(m)
		return s.withChart(ctx, lang, renderCohorts(lang, r), "cohorts.png", TeamText(lang, "chart.cohorts"), func() ([]byte, error) { return s.cfg.Charts.Cohorts(r, lang) }), nil, nil
	case "ab":
		r, err := st.AB(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: RenderABIn(s.lang(m), r)}}, nil, nil
	case "export":
		file, name, n, err := s.exportFile(ctx, m, p, format)
		if err != nil {
			return nil, nil, err
		}
		lang := s.lang(m)
		text := TeamTextf(lang, "export.caption", p.Name, PeriodLabel(lang, p), Count(lang, n, "n.leads"))
		if n >= crm.ExportLimit {
			text += TeamTextf(lang, "export.capped", crm.ExportLimit)
		}
		return []Message{{Text: text, Document: file, DocumentName: name}}, nil, nil
	}
	return nil, nil, crm.Errorf(crm.EINVALID, "unknown command /%s", command)
}

// withChart puts the chart after the text. A chart that fails to draw is
// logged and left out: the numbers are in the text already.
func (s *Team) withChart(ctx context.Context, lang, text, name, caption string, draw func() ([]byte, error)) []Message {
	msgs := []Message{{Text: text}}
	if s.cfg.Charts == nil {
		return msgs
	}
	png, err := draw()
	if errors.Is(err, ErrNoChartData) {
		return append(msgs, Message{Text: TeamText(lang, "chart.no_data")})
	}
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "staff chart failed", "chart", name, "err", err)
		return msgs
	}
	if png != nil {
		msgs = append(msgs, Message{Text: caption, Photo: png, PhotoName: name})
	}
	return msgs
}

// Digest implements crm.DigestNotifier: the day's /stats to each recipient
// with a Telegram id (a private chat's id is the user's id, and the bot can
// write there once the manager has started it), and once to the sales
// channel. A recipient who cannot be reached is logged and the others still
// get theirs; the error reports every failure.
func (s *Team) Digest(ctx context.Context, to []crm.Manager, sum *crm.Summary) error {
	var errs []error
	for _, m := range to {
		if m.TelegramID == 0 {
			continue
		}
		text := renderSummary(s.lang(m), "title.digest", sum) // in each reader's language
		if _, err := s.cfg.Sender.Send(ctx, Message{ChatID: m.TelegramID, Text: text}); err != nil {
			s.cfg.Logger.WarnContext(ctx, "digest not delivered", "manager", m.Name, "err", err)
			errs = append(errs, fmt.Errorf("digest to %s: %w", m.Name, err))
		}
	}
	if s.cfg.Post != nil {
		text := renderSummary(s.cfg.Language, "title.digest", sum) // the channel: the team's language
		if err := s.cfg.Post(ctx, Message{Text: text}); err != nil {
			errs = append(errs, fmt.Errorf("digest to the sales channel: %w", err))
		}
	}
	if err := s.cfg.Stats.Log(ctx, crm.TeamCommand{Manager: "system", Channel: "digest", Command: "stats",
		Args: sum.Period.Name, Outcome: outcome(errors.Join(errs...))}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "staff audit log", "command", "digest", "err", err)
	}
	return errors.Join(errs...)
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
