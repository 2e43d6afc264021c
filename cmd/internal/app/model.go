package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/cmd/internal/learn"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/storage/postgres"
)

// modelTrainTimeout bounds a scheduled training: reading the outcomes
// and fitting (half a second for 100,000 outcomes of 50 features in the
// benchmark) with a wide margin for a larger history.
const modelTrainTimeout = 10 * time.Minute

// newLearning wires the win model: outcomes and versions in PostgreSQL,
// fitted by gonum (cmd/internal/learn), features named by the flows.
func newLearning(db *postgres.DB, fl map[string]*flows.Flow, cfg *Config, clock crm.Clock) *crm.Learning {
	return crm.NewLearning(postgres.NewModelStore(db), learn.Logistic{}, bot.Labels{Flows: fl}, cfg.ModelPolicy(), clock)
}

// Model runs `voronka model train|show`: train fits, judges and (when it
// does better) promotes a model now, as the nightly schedule does; show
// prints what /model shows.
func Model(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "train" && args[0] != "show") {
		fmt.Fprintln(stderr, "usage: voronka model train|show")
		return fmt.Errorf("model: want train or show")
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	fl, err := loadFlows(cfg)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	clock := crm.ClockFunc(time.Now)
	l := newLearning(db, fl, cfg, clock)
	tz := cfg.ModelPolicy().TimeZone
	if args[0] == "train" {
		res, err := l.Train(ctx, clock.Now())
		if err != nil {
			return err
		}
		if res.Skipped != "" {
			fmt.Fprintf(stdout, "No model trained: %s.\n", res.Skipped)
			return nil
		}
		verdict := "promoted: it is the model in use"
		if !res.Promoted {
			verdict = "kept, not promoted: the model in use did as well or better on the same leads"
		}
		fmt.Fprintf(stdout, "Model #%d trained on %d outcomes (%d won), %s.\n", res.Model.ID, res.Won+res.Lost, res.Won, verdict)
	}
	r, err := l.Report(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, strings.TrimPrefix(bot.RenderModel(r, tz), "🎯 "))
	return nil
}
