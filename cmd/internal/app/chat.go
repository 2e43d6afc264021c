package app

import (
	"github.com/voronka/voronka/cmd/internal/defaults"

	"context"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/console"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/storage/postgres"
)

const chatUsage = `usage: voronka chat [flags]

Talk to the bot in the terminal as a customer: the same flows, storage
(PostgreSQL and Redis; the embedded defaults when DATABASE_URL / REDIS_URL
are not set) and dispatcher as the Telegram bot. It starts with
"/start PAYLOAD" as a t.me link would, and ends when the lead is qualified
(or lost), at the end of input, or on /quit; then it prints the lead as
stored in PostgreSQL. It reads standard input line by line, so a script can
drive it: voronka chat --lang en < dialogue.txt

By default the session lives in a sandbox of its own, never where serve
works: the schema "voronka_chat" beside the live one ("<schema>_chat" when
DATABASE_URL names a search_path other than public), created and migrated
as needed, and Redis keys under "<redis_prefix>chat:". Its leads reach no
routing, job, card or report of the live bot. --live talks to the live
schema instead: the leads are real ones then, routed, alerted and counted.

--flow takes a flow's id or a flow file (a path ending in .yaml or .yml),
which is loaded beside the flows directory and replaces a flow of its id.

Typing:
  1, 2, ...              press the button with that number
  /contact +79161234567  share your own contact, as Telegram's button does
  /start, /restart, /cancel, /help  the bot's commands
  \1                     send "1" as text even when a button has that number
  /quit or end of input  end the session

Flags:
`

// Chat is `voronka chat`: it parses its own flags, which its usage text
// documents beside them.
func Chat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), chatUsage)
		fs.PrintDefaults()
	}
	flowID := fs.String("flow", "", "the flow to talk through: its id, or a flow file (default: default_flow of the config)")
	lang := fs.String("lang", "", "the customer's language, e.g. ru or en (default: the flow's first language)")
	payload := fs.String("payload", "", "the /start payload of the link the customer followed, e.g. s-google__m-cpc__c-spring")
	userID := fs.Int64("user", 0, "the customer's id: the same id continues that customer's dialogue (default: a new customer each run)")
	name := fs.String("name", "", "the customer's first name, for {name} in the flow's texts")
	migrate := fs.Bool("migrate", false, "with --live, apply migrations first (always done in the sandbox and on the embedded defaults)")
	live := fs.Bool("live", false, "use the live schema serve works in, not the sandbox: the leads are real ones")
	dataDir := fs.String("data-dir", "", defaults.DataDirUsage)
	color := fs.Bool("color", false, "colour the output with ANSI codes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("chat: unexpected argument %q", fs.Arg(0))
	}

	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	if isFlowFile(*flowID) {
		f, err := flows.Load(*flowID)
		if err != nil {
			return fmt.Errorf("chat: --flow: %w", err)
		}
		cfg.FlowFiles = append(cfg.FlowFiles, *flowID)
		cfg.DefaultFlow = f.ID
	} else if *flowID != "" {
		cfg.DefaultFlow = *flowID
	}
	fl, err := loadFlows(cfg)
	if err != nil {
		return err
	}
	if fl[cfg.DefaultFlow] == nil {
		ids := slices.Sorted(maps.Keys(fl))
		return fmt.Errorf("chat: --flow: no flow %q among the loaded flows (%s)", cfg.DefaultFlow, strings.Join(ids, ", "))
	}
	logger := newLogger(cfg, stderr)

	local, err := useDefaults(ctx, cfg, getenv, *dataDir, logger)
	if err != nil {
		return err
	}
	defer local.Close()

	customer := bot.User{ID: *userID, FirstName: *name, Language: *lang}
	if customer.ID == 0 {
		customer.ID = newConsoleUserID()
	}
	con := console.New(stdout, console.Options{User: customer, Echo: !isTerminal(stdin), Color: *color})
	deps := Deps{Sender: con, Migrate: *migrate || local.Migrate}
	where := "the live schema (--live): this lead is a real one, routed, alerted and counted"
	if !*live {
		sb, err := openSandbox(ctx, cfg, logger)
		if err != nil {
			return err
		}
		defer sb.db.Close()
		deps.DB, deps.Migrate = sb.db, true
		cfg.RedisPrefix += "chat:"
		where = fmt.Sprintf("sandbox schema %q (serve's data in %q is not touched; --live uses it)", sb.schema, sb.live)
	}
	app, err := NewApp(ctx, cfg, logger, deps)
	if err != nil {
		return err
	}
	defer app.Close()
	leads := postgres.NewLeadStore(app.db)

	// The dispatcher would create the contact on the first update too; it
	// is created here to learn its id, which finds the lead afterwards.
	contact := &crm.Contact{TelegramUserID: customer.ID, ChatID: customer.ID, FirstName: customer.FirstName,
		Language: customer.Language, CreatedAt: time.Now()}
	if err := leads.UpsertContact(ctx, contact); err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	done := leadWatch(leads, contact.ID)
	if _, err := done(ctx); err != nil {
		return fmt.Errorf("chat: %w", err)
	}

	con.Note("storing in " + where)
	con.Note(fmt.Sprintf("chatting as customer %d through flow %q; type a button's number to press it, "+
		"/contact +79161234567 to share a phone, /quit or end of input to stop", customer.ID, cfg.DefaultFlow))
	handler := bot.HandlerFunc(func(ctx context.Context, u bot.Update) error {
		err := app.dispatcher.Handle(ctx, u)
		if err != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "handle console update", "kind", u.Kind, "err", err)
		}
		return err
	})

	start := strings.TrimSpace("/start " + *payload)
	con.Echo(start)
	finished := false
	if con.Say(ctx, handler, start) {
		if finished, err = done(ctx); err != nil {
			return fmt.Errorf("chat: %w", err)
		}
		if !finished {
			if err := con.Run(ctx, stdin, handler, done); err != nil {
				return err
			}
		}
	}

	// Print even after Ctrl-C: what was stored is stored.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return printLead(pctx, stdout, leads, contact.ID)
}

// isFlowFile reports whether --flow names a file rather than a flow id.
func isFlowFile(v string) bool {
	return strings.HasSuffix(v, ".yaml") || strings.HasSuffix(v, ".yml") || strings.ContainsRune(v, os.PathSeparator)
}

// sandbox is where `voronka chat` stores by default.
type sandbox struct {
	db           *postgres.DB
	schema, live string
}

// openSandbox opens DATABASE_URL with the sandbox schema as its only
// search_path, creating the schema when it is not there: "voronka_chat"
// beside public, "<schema>_chat" beside any other. River's tables are
// migrated into it too, so a chat's jobs sit in a queue serve never reads.
func openSandbox(ctx context.Context, cfg *Config, logger *slog.Logger) (*sandbox, error) {
	pc, err := postgres.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	live, _, _ := strings.Cut(pc.ConnConfig.RuntimeParams["search_path"], ",")
	live = strings.Trim(strings.TrimSpace(live), `"`)
	if live == "" || live == "$user" {
		live = "public"
	}
	schema := live + "_chat"
	if live == "public" {
		schema = "voronka_chat"
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	db, err := postgres.OpenConfig(ctx, pc, logger)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := db.CreateSchema(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("chat: sandbox: %w", err)
	}
	return &sandbox{db: db, schema: schema, live: live}, nil
}

// leadWatch returns a check that reports when the customer's lead has
// been closed by the dialogue (qualified, or lost by /cancel) since the
// previous call: a lead that was already closed before does not end the
// session, so /restart can still be typed.
func leadWatch(leads crm.LeadStore, contactID int64) func(context.Context) (bool, error) {
	var lastID int64
	lastOpen := false
	return func(ctx context.Context) (bool, error) {
		l, err := leads.LatestLead(ctx, contactID)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		closed := !l.Stage.Open() && (l.ID != lastID || lastOpen)
		lastID, lastOpen = l.ID, l.Stage.Open()
		return closed, nil
	}
}

// newConsoleUserID makes up a customer id for a console session. It is
// negative: Telegram's user ids are positive, so a console customer never
// shares a contact row with a real one.
func newConsoleUserID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return -int64(binary.BigEndian.Uint64(b[:])>>12) - 1
}

// isTerminal reports whether r is a terminal, where the person's typing is
// echoed by the terminal itself.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printLead writes the contact's latest lead as PostgreSQL holds it.
func printLead(ctx context.Context, w io.Writer, leads crm.LeadStore, contactID int64) error {
	l, err := leads.LatestLead(ctx, contactID)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		fmt.Fprintln(w, "\nno lead was created")
		return nil
	}
	if err != nil {
		return fmt.Errorf("chat: read the lead: %w", err)
	}
	c, err := leads.Contact(ctx, contactID)
	if err != nil {
		return fmt.Errorf("chat: read the contact: %w", err)
	}
	answers, err := leads.Answers(ctx, l.ID)
	if err != nil {
		return fmt.Errorf("chat: read the answers: %w", err)
	}

	fmt.Fprintf(w, "\nlead #%d as stored in PostgreSQL\n", l.ID)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("id", strconv.FormatInt(l.ID, 10))
	row("stage", string(l.Stage))
	row("score", strconv.Itoa(l.Score))
	row("temperature", string(l.Temperature))
	row("flow", fmt.Sprintf("%s v%d", l.FlowID, l.FlowVersion))
	if l.Stage.Open() && l.Step != "" {
		row("waiting on", l.Step)
	}
	if l.LostReason != "" {
		row("lost reason", l.LostReason)
	}
	row("attribution", attributionText(l.Attribution))
	row("contact", fmt.Sprintf("#%d %s", c.ID, orDash(c.Name())))
	row("phone", orDash(c.Phone))
	row("email", orDash(c.Email))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  answers:\n")
	if len(answers) == 0 {
		fmt.Fprintln(w, "    (none)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range answers {
		value := a.Value
		if value == "" {
			value = "(skipped)"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%+d\n", a.StepID, value, a.Score)
	}
	return tw.Flush()
}

func attributionText(a crm.Attribution) string {
	var parts []string
	for _, f := range []struct{ k, v string }{
		{"source", a.Source}, {"medium", a.Medium}, {"campaign", a.Campaign},
		{"landing", a.Landing}, {"referrer", a.Referrer}, {"payload", a.Payload},
	} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if len(parts) == 0 {
		return "(none: no start payload)"
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
