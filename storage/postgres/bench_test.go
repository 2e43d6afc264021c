package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/storage/postgres"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// stepsPerLead is the length of the benchmark's dialogue, about the size of
// the default qualification flow.
const stepsPerLead = 5

// BenchmarkSaveProgress measures the write path of every customer answer:
// one SaveProgress transaction (answer, lead, event; on the last step also
// the contact's phone and email and a qualified event). "serial" is one
// customer after another, the latency of one update; "parallel" is as many
// customers at once as the pool has connections, the throughput of one
// replica.
//
// "commit" is the machine's own limit measured in the same run: a one-row
// INSERT per transaction, which is bounded by the server's commit (WAL
// flush) rate much as pgbench's insert-only rate is. SaveProgress cannot
// beat it; the gap between the two is the cost of this package's work.
func BenchmarkSaveProgress(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		mode := "serial"
		if parallel {
			mode = "parallel"
		}
		b.Run(mode, func(b *testing.B) { benchSaveProgress(b, parallel) })
		b.Run("commit_"+mode, func(b *testing.B) { benchCommit(b, parallel) })
	}
}

func benchSaveProgress(b *testing.B, parallel bool) {
	db := postgrestest.NewDB(b)
	ctx := b.Context()
	store := postgres.NewLeadStore(db)
	c := &crm.Contact{TelegramUserID: 1, FirstName: "Bench"}
	require.NoError(b, store.UpsertContact(ctx, c))
	leads := benchLeads(ctx, b, db, c.ID, b.N/stepsPerLead+1)

	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var next atomic.Int64
	save := func() {
		i := int(next.Add(1) - 1)
		step := i % stepsPerLead
		p := crm.Progress{
			LeadID: leads[i/stepsPerLead], ContactID: c.ID,
			Answer: &crm.Answer{StepID: fmt.Sprintf("step%d", step), Kind: "choice", Value: "buy",
				Score: 10, UpdateID: int64(i + 1)},
			Score: 10 * (step + 1), Stage: crm.StageQualifying, Temperature: crm.Cold,
			Step:   fmt.Sprintf("step%d", step+1),
			Events: []crm.Event{{Kind: crm.EventAnswered, Actor: "customer", Data: map[string]any{"step": step}}},
			At:     at.Add(time.Duration(i) * time.Second),
		}
		if step == stepsPerLead-1 {
			p.Stage, p.Temperature, p.Step = crm.StageQualified, crm.Warm, ""
			p.Phone, p.Email = "+79990001122", "bench@example.com"
			p.Events = append(p.Events, crm.Event{Kind: crm.EventQualified, Actor: "system"})
		}
		if err := store.SaveProgress(ctx, p); err != nil {
			b.Error(err)
		}
	}

	b.ResetTimer()
	if parallel {
		b.SetParallelism(perCPU(db))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				save()
			}
		})
	} else {
		for range b.N {
			save()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
}

// benchLeads inserts n leads in one statement, so that setting up a large
// b.N does not take longer than the benchmark.
func benchLeads(ctx context.Context, b *testing.B, db *postgres.DB, contactID int64, n int) []int64 {
	rows, err := db.Pool.Query(ctx, `
		INSERT INTO leads (contact_id, stage, flow_id, step, source)
		SELECT $1, 'qualifying', 'bench', 'step0', 'bench' FROM generate_series(1, $2)
		RETURNING id`, contactID, n)
	require.NoError(b, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(b, err)
	return ids
}

// perCPU is the RunParallel parallelism that gives one goroutine per pooled
// connection: more would only queue for a connection.
func perCPU(db *postgres.DB) int {
	return max(1, int(db.Pool.Config().MaxConns)/runtime.GOMAXPROCS(0))
}

func benchCommit(b *testing.B, parallel bool) {
	db := postgrestest.NewDB(b)
	ctx := b.Context()
	_, err := db.Pool.Exec(ctx, `CREATE TABLE bench_commit (id bigserial PRIMARY KEY, n bigint NOT NULL)`)
	require.NoError(b, err)
	insert := func() {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO bench_commit (n) VALUES ($1)`, 1); err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	if parallel {
		b.SetParallelism(perCPU(db))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				insert()
			}
		})
	} else {
		for range b.N {
			insert()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
