package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/flows/campaign"
)

// Campaigns runs `voronka campaigns lint [FILES]`, `preview NAME` and
// `send NAME --dry-run`. Lint reads files only; preview and send read the
// database (the audience) through the same App the server runs, and
// preview sends nothing.
func Campaigns(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("campaigns: say lint, preview NAME or send NAME --dry-run")
	}
	switch args[0] {
	case "lint":
		return campaignsLint(args[1:], getenv, stdout)
	case "preview", "send":
		fs := flag.NewFlagSet("campaigns "+args[0], flag.ContinueOnError)
		fs.SetOutput(stderr)
		dry := fs.Bool("dry-run", false, "list what would be queued, queue nothing")
		n := fs.Int("n", 10, "how many to list")
		// Flags may come before or after the name, as the README writes
		// it (`send NAME --dry-run`); the flag package stops at the first
		// argument that is not one, so parse on after each name.
		var names []string
		for rest := args[1:]; ; {
			if err := fs.Parse(rest); err != nil {
				return err
			}
			if fs.NArg() == 0 {
				break
			}
			names = append(names, fs.Arg(0))
			rest = fs.Args()[1:]
		}
		if len(names) != 1 {
			return fmt.Errorf("campaigns %s: name one campaign", args[0])
		}
		if args[0] == "send" && !*dry {
			return errors.New("campaigns send: only --dry-run is run by hand; the server's schedules queue real sends")
		}
		return campaignsAudience(ctx, getenv, stdout, stderr, names[0], args[0] == "preview", *n)
	}
	return fmt.Errorf("campaigns: unknown command %q", args[0])
}

func campaignsLint(files []string, getenv func(string) string, stdout io.Writer) error {
	if len(files) == 0 {
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return err
		}
		matches, _ := filepath.Glob(filepath.Join(cfg.Campaigns.Dir, "*.y*ml"))
		files = matches
	}
	var all []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(f, "*.y*ml"))
			all = append(all, m...)
			continue
		}
		all = append(all, f)
	}
	set, err := campaign.LoadFiles(all, nil)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return errors.New("campaigns lint: problems found")
	}
	fmt.Fprintf(stdout, "%d campaigns, %d segments: ok\n", len(set.Campaigns), len(set.Segments))
	return nil
}

func campaignsAudience(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, id string, preview bool, n int) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	a, err := NewApp(ctx, cfg, logger, Deps{Sender: nopSender{}})
	if err != nil {
		return err
	}
	defer a.Close()
	now := a.clock.Now()
	tz, _ := time.LoadLocation(cfg.TimeZone)
	if preview {
		size, sample, err := a.campaigns.Preview(ctx, id, now, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "campaign %s: audience %d (reachable, by the segment's SQL part)\n", id, size)
		for _, p := range sample {
			fmt.Fprintf(stdout, "  contact %d  lead %d  %-8s variant %s  at %s (%s)\n", p.Member.ContactID, p.Member.LeadID,
				p.Member.Language, p.Variant, p.Plan.At.In(tz).Format("2006-01-02 15:04 MST"), p.Plan.Timing)
		}
		return nil
	}
	planned, err := a.campaigns.Fire(ctx, id, now, "manual:"+now.UTC().Format(time.RFC3339), true, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "campaign %s: %d sends would be queued now (dry run: none were)\n", id, len(planned))
	for i, p := range planned {
		if i == n {
			fmt.Fprintf(stdout, "  ... and %d more\n", len(planned)-n)
			break
		}
		fmt.Fprintf(stdout, "  contact %d  variant %s  at %s (%s)\n", p.Member.ContactID, p.Variant,
			p.Plan.At.In(tz).Format("2006-01-02 15:04 MST"), p.Plan.Timing)
	}
	return nil
}

// nopSender is the sender of the campaign tools, which send nothing.
type nopSender struct{}

func (nopSender) Send(context.Context, bot.Message) (int, error) {
	return 0, errors.New("the campaign tools send nothing")
}
func (nopSender) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }
