# The usual targets. `make run` and `make test` are the README's two
# promises; keep them working on a fresh machine.
GO ?= go
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: run build test lint bench bench-limit bench-load bench-faults fuzz services migrate

# bin/voronka is the server; bin/voronka-bench the load and fault suite
# (`voronka bench` runs it from beside itself).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/voronka ./cmd/voronka
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/voronka-bench ./cmd/voronka-bench

# The bot on its embedded defaults: serve when TELEGRAM_TOKEN is set, the
# terminal chat otherwise.
run:
	@if [ -n "$$TELEGRAM_TOKEN" ]; then $(GO) run ./cmd/voronka serve --migrate; else $(GO) run ./cmd/voronka chat; fi

# Every test, with the race detector, against the real PostgreSQL and Redis
# (started first when they are not answering).
test: services
	$(GO) test -race -count=1 ./...

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	@[ -x $(STATICCHECK) ] || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	$(STATICCHECK) ./...

bench: services
	$(GO) test -run '^$$' -bench . -benchtime 3s ./...

fuzz:
	$(GO) test ./flows -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./flows -run '^$$' -fuzz FuzzStep -fuzztime 30s
	$(GO) test ./crm -run '^$$' -fuzz FuzzParseStartPayload -fuzztime 30s
	$(GO) test ./crm -run '^$$' -fuzz FuzzParsePeriod -fuzztime 30s

services:
	@bash .ci/services

migrate: services
	$(GO) run ./cmd/voronka migrate

# PostgreSQL's own insert rate on this machine, to read the benchmarks against.
bench-limit: services
	bash .ci/pgbench-insert 10

# The load run of docs/benchmarks.md: two replicas of the binary against
# the real PostgreSQL and Redis, as fast as they answer, then at 2,500
# updates/s for the latency, with pgbench and redis-benchmark measured in
# the same runs. BENCH_FLAGS adds flags (e.g. BENCH_FLAGS="--customers 20000").
bench-load: services build
	./bin/voronka bench --customers 5000 --replicas 2 --json bench-load.json $(BENCH_FLAGS)
	./bin/voronka bench --customers 5000 --replicas 2 --rate 2500 --json bench-load-2500.json $(BENCH_FLAGS)

# The fault run at full size: 2 replicas, 2,000 customers, a fault every
# second or so (kill -9, PostgreSQL connections ended, Redis flushed,
# 429/5xx bursts, duplicate and stale deliveries); exits 1 if an invariant
# fails. `go test ./cmd/internal/bench -run TestBenchFaults` is the CI size.
bench-faults: services build
	./bin/voronka bench --customers 2000 --replicas 2 --faults --rate 400 --fault-every 1s --json bench-faults.json $(BENCH_FLAGS)
