# reviewq — every set-up step is a target here; see README.md. `make help` lists them.
GO       ?= go
BIN      := bin/reviewq
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
STAMP    := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GOFILES   = $(shell git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)

# The linters live in their own module (tools/go.mod): gosec's dependencies
# include AI model SDKs and cloud clients, which must not enter the product's
# module graph. -modfile builds the tool from tools/go.mod; the tool itself
# then analyses the product with the product's go.mod.
LINT     := $(GO) tool -modfile=tools/go.mod
# templ fmt without Prettier, so that the check gives the same answer on every
# machine whether or not Prettier happens to be installed (the name below is
# meant not to exist; templ skips Prettier when its command is not found).
TEMPL_FMT = $(GO) tool templ fmt -prettier-command=reviewq-no-prettier

# The local MariaDB of the development machine; tests that need it skip with
# a message when it does not answer (CI fails instead, see .ci/run).
export REVIEWQ_TEST_MYSQL_URL ?= mysql://root@127.0.0.1:3306/test

.PHONY: all help build run test check generate fmt release clean bench smoke \
	check-gofmt check-templ-fmt check-generate check-mod vet staticcheck gosec govulncheck

all: check test

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Quick local build: cgo as the machine has it, symbols kept for debuggers
# and profiles, version and commit stamped so `reviewq version` and
# /metrics say what runs. What ships is `make release`.
build: ## quick local build into bin/reviewq (not what ships: see release)
	$(GO) build -ldflags '$(STAMP)' -o $(BIN) ./cmd/reviewq

# Build, migrate the embedded SQLite database, add demo data to an empty
# one (printing the demo logins) and serve on http://127.0.0.1:8080.
run: build ## build, migrate data/reviewq.db, add demo data, serve on :8080
	./$(BIN) migrate up
	./$(BIN) serve --demo

test: ## the whole test suite (SQLite; MariaDB and Chromium when present)
	$(GO) test -count=1 -timeout 20m ./...

generate: ## regenerate views/*_templ.go after editing a .templ file
	$(GO) tool templ generate

fmt: ## format Go and templ files in place (gofmt, templ fmt), then regenerate
	gofmt -w $(GOFILES)
	$(TEMPL_FMT) views
	$(GO) tool templ generate

# Every check CI runs (.ci/run runs make check before make test). Each is a
# target of its own so that one can be run alone, e.g. make staticcheck.
check: check-gofmt check-templ-fmt check-generate check-mod vet staticcheck gosec govulncheck ## everything CI checks besides the tests
	@echo "check: ok"

check-gofmt: ## fail when gofmt would change a .go file
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Formats a copy of views/ and compares, so the check never writes to the
# work tree; make fmt applies the same formatting.
check-templ-fmt: ## fail when templ fmt would change a .templ file
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -r views "$$tmp/" && \
	  $(TEMPL_FMT) -log-level=warn "$$tmp/views" && \
	  if ! diff -r -q views "$$tmp/views" >/dev/null; then \
	    echo "templ fmt would change (run make fmt):"; diff -r -q views "$$tmp/views" | awk '{print "  " $$2}'; exit 1; fi

check-generate: ## fail when views/*_templ.go are not what templ generate makes
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && templ=$$($(GO) tool -n templ) && cp -r views go.mod go.sum "$$tmp/" && \
	  (cd "$$tmp" && $$templ generate >/dev/null 2>&1) && \
	  if ! diff -r -q views "$$tmp/views" >/dev/null; then echo "templ generate would change views/: run make generate"; diff -r views "$$tmp/views" | head -20; exit 1; fi

# go.mod lists what the product needs and nothing else: tidy changes nothing,
# and no linter's dependencies (AI SDKs, cloud clients) are in the graph.
check-mod: ## fail when go mod tidy would change go.mod/go.sum or a linter entered the module graph
	@$(GO) mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum (diff above): run go mod tidy"; exit 1; }
	@(cd tools && $(GO) mod tidy -diff) || { echo "go mod tidy would change tools/go.mod (diff above): run cd tools && go mod tidy"; exit 1; }
	@out=$$($(GO) list -m all | grep -E '^(github.com/securego/gosec|honnef.co/go/tools|golang.org/x/vuln|github.com/anthropics/|github.com/openai/|google.golang.org/genai) ' || true); \
	  if [ -n "$$out" ]; then echo "the product's module graph (go list -m all) has linter or AI SDK modules; linters belong in tools/go.mod:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck (from tools/go.mod)
	$(LINT) staticcheck ./...

# Security scans (issue 6). gosec findings are fixed or justified inline
# (#nosec G... -- reason); cmd/reviewqbench is the benchmark harness, a
# development tool run against throwaway databases and never deployed.
gosec: ## gosec security scan (from tools/go.mod)
	$(LINT) gosec -quiet -exclude-dir=cmd/reviewqbench ./...

# govulncheck needs its database from vuln.go.dev (or GOVULNDB); where that
# cannot be reached it is skipped with a message, not failed.
govulncheck: ## known vulnerabilities reached by the code (skipped when offline)
	@out=$$($(LINT) govulncheck ./... 2>&1); rc=$$?; \
	  if [ $$rc -ne 0 ] && echo "$$out" | grep -q 'fetching vulnerabilities'; then \
	    echo "govulncheck: skipped, the vulnerability database cannot be reached from this machine"; \
	  elif [ $$rc -ne 0 ]; then echo "$$out"; exit $$rc; \
	  else echo "govulncheck: no known vulnerabilities reached by the code"; fi

# Load benchmark: seeds (or reuses) its data set in the local MariaDB, starts
# reviewq serve, and prints throughput and latency per scenario. SCALE=10m
# for 10,000,000 leads; REVIEWQ_BENCH_DATABASE_URL to use another database.
# CLUSTER=1: the approve and read scenarios on one MariaDB and on a
# three-node Galera cluster, alternating ROUNDS times (deploy/galera/bench.sh;
# SCALE defaults to 100k, ROUNDS to 2).
SCALE ?= 1m
bench: build ## load benchmark against the local MariaDB (SCALE=1m|10m; CLUSTER=1 also on a Galera cluster)
ifeq ($(CLUSTER),1)
	deploy/galera/bench.sh $(BIN) $(if $(filter command line,$(origin SCALE)),$(SCALE),100k)
else
	$(GO) run ./cmd/reviewqbench --scale $(SCALE) --bin $(BIN)
endif

# The binary to ship: static (no cgo, no libc), paths trimmed, symbols
# stripped, version and commit stamped (reviewq version). deploy/deploy_test.go
# checks that it is static and stamped.
release: ## the static, stripped, version-stamped binary to ship
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w $(STAMP)' -o $(BIN) ./cmd/reviewq
	@case "$(BIN)" in */*) $(BIN) version ;; *) ./$(BIN) version ;; esac

# Smoke test of a running instance (or its load balancer):
#   make smoke URL=https://reviewq.example.com TOKEN=rq_...   (a queue:read token)
# The token travels in the environment, not on the command line.
smoke: build ## smoke-test a running instance: make smoke URL=https://host TOKEN=rq_...
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://host TOKEN=token-with-queue:read"; exit 2; }
	@REVIEWQ_SMOKE_TOKEN='$(TOKEN)' ./$(BIN) smoke --url '$(URL)'

clean: ## remove bin/ and test-artifacts/
	rm -rf bin test-artifacts

# The three-node MariaDB Galera cluster test (deploy/galera): starts the
# cluster on 127.0.0.1:13306-13308 (deploy/galera/cluster.sh), three
# instances and HAProxy, and runs the same-moment race, a mixed load while a
# node is killed and rejoins, HAProxy failover and writes with two nodes.
# Needs mariadb-server, galera-4, rsync (and haproxy for the failover part).
# REVIEWQ_CLUSTER_LOAD=30s shortens the mixed load (default 60s).
.PHONY: test-cluster
test-cluster: build ## the three-node Galera cluster test (needs galera-4, rsync, haproxy)
	REVIEWQ_CLUSTER=1 REVIEWQ_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m -v -run '^TestCluster$$' ./deploy/galera
