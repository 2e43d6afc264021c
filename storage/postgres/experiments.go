package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/voronka/voronka/crm"
)

var _ crm.ExperimentStore = (*StatsStore)(nil)

// Experiments counts, per experiment and arm, the leads created in
// [from, to) with that arm and how far they got (crm.ExperimentCounts).
// A lead was asked a varied step when it has a current answer to it or
// waits on it; a whole flow's lead started when it has a current answer.
// The leads are found by creation time (leads_created_at_idx) and their
// arms by the primary key of lead_variants.
func (s *StatsStore) Experiments(ctx context.Context, from, to time.Time, steps map[string]string) ([]crm.ExperimentCounts, error) {
	ids := slices.Sorted(maps.Keys(steps))
	st := make([]string, len(ids))
	for i, id := range ids {
		st[i] = steps[id]
	}
	var out []crm.ExperimentCounts
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH x AS (SELECT * FROM unnest($3::text[], $4::text[]) AS x(experiment, step))
			SELECT v.experiment, v.variant, count(*),
				count(*) FILTER (WHERE CASE WHEN x.step = ''
					THEN EXISTS (SELECT 1 FROM answers a WHERE a.lead_id = l.id AND a.superseded_at IS NULL)
					ELSE l.step = x.step OR EXISTS (SELECT 1 FROM answers a
						WHERE a.lead_id = l.id AND a.step_id = x.step AND a.superseded_at IS NULL) END),
				count(l.qualified_at),
				count(*) FILTER (WHERE l.qualified_at IS NOT NULL AND l.temperature IN ('hot', 'warm')),
				count(*) FILTER (WHERE l.qualified_at IS NOT NULL AND l.temperature = 'hot'),
				count(l.won_at)
			FROM leads l
			JOIN lead_variants v ON v.lead_id = l.id
			JOIN x ON x.experiment = v.experiment
			WHERE l.created_at >= $1 AND l.created_at < $2
			GROUP BY 1, 2 ORDER BY 1, 2`, from, to, ids, st)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.ExperimentCounts, error) {
			var c crm.ExperimentCounts
			err := r.Scan(&c.Experiment, &c.Variant, &c.Leads, &c.Started, &c.Completed, &c.Qualified, &c.Hot, &c.Won)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count experiments: %w", err)
	}
	return out, nil
}
