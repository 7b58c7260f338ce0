# reviewq — every set-up step is a target here; see README.md.
GO       ?= go
BIN      := bin/reviewq
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GOFILES   = $(shell git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)

# The local MariaDB of the development machine; tests that need it skip with
# a message when it does not answer (CI fails instead, see .ci/run).
export REVIEWQ_TEST_MYSQL_URL ?= mysql://root@127.0.0.1:3306/test

.PHONY: all build run test check generate release clean bench smoke

all: check test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/reviewq

# Build, migrate the embedded SQLite database, add demo data to an empty
# one (printing the demo logins) and serve on http://127.0.0.1:8080.
run: build
	./$(BIN) migrate up
	./$(BIN) serve --demo

test:
	$(GO) test -count=1 -timeout 20m ./...

generate:
	$(GO) tool templ generate

# Formatting, vet, staticcheck, generated templ code that is up to date,
# gosec and govulncheck.
check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@tmp=$$(mktemp -d) && templ=$$($(GO) tool -n templ) && cp -r views go.mod go.sum $$tmp/ && (cd $$tmp && $$templ generate >/dev/null 2>&1) && \
	  if ! diff -r -q views $$tmp/views >/dev/null; then echo "templ generate would change views/: run make generate"; diff -r views $$tmp/views | head -20; rm -rf $$tmp; exit 1; fi; rm -rf $$tmp
	@# Security scans (issue 6). gosec findings are fixed or justified inline
	@# (#nosec G... -- reason); cmd/reviewqbench is the benchmark harness, a
	@# development tool run against throwaway databases and never deployed.
	$(GO) tool gosec -quiet -exclude-dir=cmd/reviewqbench ./...
	@# govulncheck needs its database from vuln.go.dev (or GOVULNDB); where
	@# that cannot be reached it is skipped with a message, not failed.
	@out=$$($(GO) tool govulncheck ./... 2>&1); rc=$$?; \
	  if [ $$rc -ne 0 ] && echo "$$out" | grep -q 'fetching vulnerabilities'; then \
	    echo "govulncheck: skipped, the vulnerability database cannot be reached from this machine"; \
	  elif [ $$rc -ne 0 ]; then echo "$$out"; exit $$rc; \
	  else echo "govulncheck: no known vulnerabilities reached by the code"; fi
	@echo "check: ok"

# Load benchmark: seeds (or reuses) its data set in the local MariaDB, starts
# reviewq serve, and prints throughput and latency per scenario. SCALE=10m
# for 10,000,000 leads; REVIEWQ_BENCH_DATABASE_URL to use another database.
# CLUSTER=1: the approve and read scenarios on one MariaDB and on a
# three-node Galera cluster, alternating ROUNDS times (deploy/galera/bench.sh;
# SCALE defaults to 100k, ROUNDS to 2).
SCALE ?= 1m
bench: build
ifeq ($(CLUSTER),1)
	deploy/galera/bench.sh $(BIN) $(if $(filter command line,$(origin SCALE)),$(SCALE),100k)
else
	$(GO) run ./cmd/reviewqbench --scale $(SCALE) --bin $(BIN)
endif

# The binary to ship: static (no cgo, no libc), version and commit stamped
# (reviewq version). deploy/deploy_test.go checks both.
release:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/reviewq
	@case "$(BIN)" in */*) $(BIN) version ;; *) ./$(BIN) version ;; esac

# Smoke test of a running instance (or its load balancer):
#   make smoke URL=https://reviewq.example.com TOKEN=rq_...   (a queue:read token)
# The token travels in the environment, not on the command line.
smoke: build
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://host TOKEN=token-with-queue:read"; exit 2; }
	@REVIEWQ_SMOKE_TOKEN='$(TOKEN)' ./$(BIN) smoke --url '$(URL)'

clean:
	rm -rf bin test-artifacts

# The three-node MariaDB Galera cluster test (deploy/galera): starts the
# cluster on 127.0.0.1:13306-13308 (deploy/galera/cluster.sh), three
# instances and HAProxy, and runs the same-moment race, a mixed load while a
# node is killed and rejoins, HAProxy failover and writes with two nodes.
# Needs mariadb-server, galera-4, rsync (and haproxy for the failover part).
# REVIEWQ_CLUSTER_LOAD=30s shortens the mixed load (default 60s).
.PHONY: test-cluster
test-cluster: build
	REVIEWQ_CLUSTER=1 REVIEWQ_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m -v -run '^TestCluster$$' ./deploy/galera
