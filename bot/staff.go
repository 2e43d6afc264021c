package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// StaffTeam finds a configured member of the sales team by the id a
// channel knows them by (crm.Sales has both).
type StaffTeam interface {
	ManagerByTelegram(id int64) (crm.Manager, bool)
	ManagerBySlack(id string) (crm.Manager, bool)
}

// Charts draws the pictures that say more than the text: PNG images.
// bot/chart implements it; nil means text only.
type Charts interface {
	Funnel(r *crm.FunnelReport) ([]byte, error)
	NPSTrend(r *crm.NPSReport) ([]byte, error)
	Cohorts(r *crm.CohortReport) ([]byte, error)
}

// StaffConfig wires Staff. Stats, Team and Sender are required.
type StaffConfig struct {
	Stats *crm.Stats
	// Campaigns answers /campaigns; nil means none are configured.
	Campaigns *crm.Campaigns
	// OnStart, when set, runs when a team member sends /start in their
	// private chat (the App sets their command menu then).
	OnStart func(ctx context.Context, m crm.Manager)
	// Desk answers the rep's daily tools (/my, /note, /callback,
	// /unclaim, /assign); nil leaves them out.
	Desk   *crm.Desk
	Team   StaffTeam
	Sender Sender // Telegram: replies in the private chat, digest DMs
	Charts Charts
	Logger *slog.Logger
	// Post, when set, also posts the daily digest to the sales team's
	// channel (Slack).
	Post func(ctx context.Context, m Message) error
}

// Staff answers the sales team's commands, the same in every channel:
// Telegram (a private chat with the bot: telegram.Router gives a team
// member's staff command to Handle, behind the dispatcher's gate) and
// Slack (the /voronka slash command, which calls Answer). The text is
// plain and short-lined, for a phone screen; charts and the CSV go as a
// photo and a document after it.
//
// Only configured managers get answers. The router sends anyone else's
// command to the customers' flow, so a customer who types /stats gets the
// flow's help for an unknown command and learns nothing, not even that
// the command exists.
type Staff struct {
	cfg StaffConfig
}

var (
	_ Handler            = (*Staff)(nil)
	_ crm.DigestNotifier = (*Staff)(nil)
)

// NewStaff checks cfg and returns the handler.
func NewStaff(cfg StaffConfig) (*Staff, error) {
	if cfg.Stats == nil || cfg.Team == nil || cfg.Sender == nil {
		return nil, errors.New("new staff: stats, team and sender are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Staff{cfg: cfg}, nil
}

// ManagerBySlack finds a member of the team by Slack user id (for the
// slash command).
func (s *Staff) ManagerBySlack(id string) (crm.Manager, bool) { return s.cfg.Team.ManagerBySlack(id) }

// StaffCommand is one of the managers' commands.
type StaffCommand struct {
	Name  string
	Usage string // arguments, as the usage line shows them
	What  string
}

// staffCommands is the list, in the order a help text shows it.
var staffCommands = []StaffCommand{
	{"stats", "[period]", "leads, conversion, revenue, time to first contact, vs the period before"},
	{"funnel", "[period]", "stages and where customers stop in the dialogue"},
	{"nps", "[period]", "NPS, weekly trend, latest comments"},
	{"team", "[period]", "per rep: open, claimed, contacted, won, response times, SLA breaches"},
	{"sources", "[period]", "leads, qualified rate, wins and revenue by source and campaign"},
	{"cohorts", "[period]", "weekly cohorts of new leads: share won by week since arrival"},
	{"lead", "<id>", "a lead's card and timeline"},
	{"find", "<text>", "leads by name, phone, email or @username"},
	{"export", "[period]", "the period's leads as a CSV file"},
	{"campaigns", "[name] [promote <variant>]", "per campaign and variant: audience, sent, delivered, blocked, replied, goal, with 95% intervals"},
	{"model", "", "the win-probability model: how it did on recent leads, its strongest features, vs the score"},
	{"ab", "[period]", "flow experiments per arm: leads, started, completed, qualified, hot, won, with 95% intervals, P(beats the first arm), split check"},
}

// StaffCommandList lists the managers' commands (for /voronka help).
func StaffCommandList() []StaffCommand { return append([]StaffCommand(nil), staffCommands...) }

// defaultPeriod is the period of a command given none: a week is the
// rhythm of a sales team's meeting and long enough to mean something.
const defaultPeriod = "7d"

func staffCommand(name string) (StaffCommand, bool) {
	for _, c := range staffCommands {
		if c.Name == name {
			return c, true
		}
	}
	return deskCommand(name)
}

// IsStaffCommand reports whether name is one of the managers' commands.
func IsStaffCommand(name string) bool {
	_, ok := staffCommand(strings.ToLower(name))
	return ok
}

// Handle implements Handler for Telegram: whatever a team member sends
// in their private chat with the bot (telegram.Router sends all of it
// here) is answered as the team's: a staff command runs, /start and /help
// list the commands the member's role allows, any other command or text
// gets a one-line pointer to /help, and a button (one the member pressed
// as a customer once) is answered with nothing. None of it reaches the
// customers' flow. Anyone else's update is logged and left alone. A reply
// that cannot be sent is an error, so the update is delivered again.
func (s *Staff) Handle(ctx context.Context, u Update) error {
	m, ok := s.cfg.Team.ManagerByTelegram(u.User.ID)
	if !u.Private || !ok {
		s.cfg.Logger.WarnContext(ctx, "staff: not a team member's update", "update_id", u.ID, "chat_id", u.ChatID)
		return nil
	}
	var msgs []Message
	switch {
	case u.Kind == InputCommand && IsStaffCommand(u.Command):
		msgs = s.Answer(ctx, m, "telegram", u.Command, u.Text)
	case u.Kind == InputCommand && (u.Command == "start" || u.Command == "help"):
		if u.Command == "start" && s.cfg.OnStart != nil {
			s.cfg.OnStart(ctx, m)
		}
		msgs = []Message{{Text: StaffHelp(m, "/")}}
	case u.Kind == InputCommand:
		msgs = []Message{{Text: fmt.Sprintf(staffUnknownCommand, "/"+u.Command)}}
	case u.Kind == InputText || u.Kind == InputContact:
		msgs = []Message{{Text: staffNotACustomer}}
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
func (s *Staff) Answer(ctx context.Context, m crm.Manager, channel, command, args string) []Message {
	start := time.Now()
	command = strings.ToLower(command)
	args = strings.TrimSpace(args)
	entry := crm.StaffCommand{ManagerID: m.ID, Manager: m.Name, Channel: channel, Command: command, Args: args}
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
		msgs = []Message{{Text: crm.ErrorMessage(err)}}
	default:
		entry.Outcome = "error"
		s.cfg.Logger.ErrorContext(ctx, "staff command failed", "command", command, "manager", m.Name, "err", err)
		msgs = []Message{{Text: "Something went wrong on our side; please try again in a minute."}}
	}
	if err := s.cfg.Stats.Log(ctx, entry); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "staff audit log", "command", command, "manager", m.Name, "err", err)
	}
	s.cfg.Logger.InfoContext(ctx, "staff command", "command", command, "manager", m.Name, "channel", channel,
		"outcome", entry.Outcome, "took", time.Since(start).Round(time.Millisecond))
	return msgs
}

// usage is the EINVALID answer for a bad argument.
func usage(c StaffCommand, why string) error {
	line := "Usage: /" + c.Name + " " + c.Usage
	if strings.Contains(c.Usage, "period") {
		line += "\n" + crm.PeriodUsage + " (default " + defaultPeriod + ")"
	}
	if why != "" {
		line = why + "\n" + line
	}
	return crm.Errorf(crm.EINVALID, "%s", line)
}

func (s *Staff) period(m crm.Manager, c StaffCommand, args, def string) (crm.Period, error) {
	p, err := s.cfg.Stats.Period(m, args, def)
	if err != nil {
		why := ""
		if msg := crm.ErrorMessage(err); msg != crm.PeriodUsage {
			why, _, _ = strings.Cut(msg, ";")
		}
		return p, usage(c, why)
	}
	return p, nil
}

// run does the work of one command and says which leads it showed.
func (s *Staff) run(ctx context.Context, m crm.Manager, command, args string) ([]Message, []int64, error) {
	if msgs, ids, ok, err := s.runDesk(ctx, m, command, args); ok {
		return msgs, ids, err
	}
	c, _ := staffCommand(command)
	st := s.cfg.Stats
	switch command {
	case "lead":
		id, err := strconv.ParseInt(strings.TrimPrefix(args, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, nil, usage(c, "")
		}
		v, err := st.Lead(ctx, m, id)
		if err != nil {
			return nil, []int64{id}, err
		}
		text := renderLead(v, st.Location(m))
		if notes := s.leadNotes(ctx, m, id); notes != "" {
			text = strings.TrimRight(text, "\n") + "\n" + notes
		}
		return []Message{{Text: text, Card: v.Card}}, []int64{id}, nil
	case "model":
		r, err := st.Model(ctx, m)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: RenderModel(r, st.Location(m))}}, nil, nil
	case "find":
		found, err := st.Find(ctx, m, args)
		if err != nil {
			return nil, nil, err
		}
		ids := make([]int64, len(found))
		for i, f := range found {
			ids[i] = f.LeadID
		}
		return []Message{{Text: renderFound(args, found, st, st.Location(m))}}, ids, nil
	case "campaigns":
		// Its arguments are a campaign and a promotion, not a period.
		return s.campaigns(ctx, m, args)
	}

	def := defaultPeriod
	if command == "cohorts" {
		def = strconv.Itoa(7*crm.DefaultCohortWeeks) + "d"
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
		return []Message{{Text: renderSummary("📊 Stats", sum)}}, nil, nil
	case "funnel":
		r, err := st.Funnel(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return s.withChart(ctx, renderFunnel(r), "funnel.png", "Funnel · "+p.Label(), func() ([]byte, error) { return s.cfg.Charts.Funnel(r) }), nil, nil
	case "nps":
		r, err := st.NPS(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return s.withChart(ctx, renderNPS(r), "nps.png", "NPS by week", func() ([]byte, error) { return s.cfg.Charts.NPSTrend(r) }), nil, nil
	case "team":
		r, err := st.Team(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: renderTeam(r)}}, nil, nil
	case "sources":
		r, err := st.Sources(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: renderSources(r)}}, nil, nil
	case "cohorts":
		r, err := st.Cohorts(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return s.withChart(ctx, renderCohorts(r), "cohorts.png", "Share won by week since arrival", func() ([]byte, error) { return s.cfg.Charts.Cohorts(r) }), nil, nil
	case "ab":
		r, err := st.AB(ctx, m, p)
		if err != nil {
			return nil, nil, err
		}
		return []Message{{Text: RenderAB(r)}}, nil, nil
	case "export":
		var buf bytes.Buffer
		buf.Grow(1 << 20) // a week's leads; a month's grows it a few times, not twenty
		n, err := writeExport(ctx, &buf, st, m, p)
		if err != nil {
			return nil, nil, err
		}
		text := fmt.Sprintf("📎 Export · %s · %s: %d leads", p.Name, p.Label(), n)
		if n >= crm.ExportLimit {
			text += fmt.Sprintf(" (the first %d; export a shorter period for the rest)", crm.ExportLimit)
		}
		name := "leads-" + p.From.In(p.Loc).Format(time.DateOnly) + "--" + p.To.In(p.Loc).AddDate(0, 0, -1).Format(time.DateOnly) + ".csv"
		return []Message{{Text: text, Document: buf.Bytes(), DocumentName: name}}, nil, nil
	}
	return nil, nil, crm.Errorf(crm.EINVALID, "unknown command /%s", command)
}

// withChart puts the chart after the text. A chart that fails to draw is
// logged and left out: the numbers are in the text already.
func (s *Staff) withChart(ctx context.Context, text, name, caption string, draw func() ([]byte, error)) []Message {
	msgs := []Message{{Text: text}}
	if s.cfg.Charts == nil {
		return msgs
	}
	png, err := draw()
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
func (s *Staff) Digest(ctx context.Context, to []crm.Manager, sum *crm.Summary) error {
	text := renderSummary("🗓 Daily digest", sum)
	var errs []error
	for _, m := range to {
		if m.TelegramID == 0 {
			continue
		}
		if _, err := s.cfg.Sender.Send(ctx, Message{ChatID: m.TelegramID, Text: text}); err != nil {
			s.cfg.Logger.WarnContext(ctx, "digest not delivered", "manager", m.Name, "err", err)
			errs = append(errs, fmt.Errorf("digest to %s: %w", m.Name, err))
		}
	}
	if s.cfg.Post != nil {
		if err := s.cfg.Post(ctx, Message{Text: text}); err != nil {
			errs = append(errs, fmt.Errorf("digest to the sales channel: %w", err))
		}
	}
	if err := s.cfg.Stats.Log(ctx, crm.StaffCommand{Manager: "system", Channel: "digest", Command: "stats",
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
