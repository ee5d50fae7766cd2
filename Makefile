# Centralita: `make run` starts the server on its embedded defaults;
# `make test` installs what is missing and runs every test, MariaDB included.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
GO ?= go
export PATH := $(PATH):/usr/local/go/bin
# Each store test creates (and drops) its own database on this server.
export CENTRALITA_TEST_MYSQL_DSN ?= mysql://root@127.0.0.1:3306/

.PHONY: run build test test-deps lint bench bench-dialer generate

run:
	$(GO) run ./cmd/centralita serve

build:
	$(GO) build -o bin/centralita ./cmd/centralita

test-deps:
	@bash scripts/test-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every test, with -race. The full verbose log is kept in .test.log; the
# screen shows each package, each failure, and the store contract suites on
# SQLite and on MariaDB.
test: test-deps lint
	@$(GO) test -race -count=1 -v ./... 2>&1 | tee .test.log \
	  | grep -E --line-buffered '^(ok|FAIL|panic:)|^--- (FAIL|SKIP)|^ +--- (FAIL|SKIP)|^ +--- PASS: Test[A-Za-z]+/(sqlite|mysql) ' \
	  || { echo; echo "FAILED; details (full log in .test.log):"; \
	       bash scripts/test-failures.sh .test.log | tail -300; exit 1; }
	@echo "$$(grep -cE '^ *--- PASS' .test.log) passed, $$(grep -cE '^ *--- FAIL' .test.log) failed, $$(grep -cE '^ *--- SKIP' .test.log) skipped"

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

generate:
	$(GO) generate ./...

# The outbound pacing benchmark: 9 scenarios x 4 strategies over 30
# simulated days (docs/dialer-pacing.md).
bench-dialer:
	$(GO) run ./cmd/centralita dialsim --days 30 --seed 1
