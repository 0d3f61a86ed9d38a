# Build, test and run the SIEM loader. `sam build` calls the build-<Function>
# targets (BuildMethod: makefile) with ARTIFACTS_DIR set.
GO        ?= go
GOFLAGS   ?=
ARCH      ?= arm64
FUNCTIONS := split load throttle watchdog replay configure iocplan iocdownload ioccreatedb geoipdownload notifications backfill indexmetrics
FUZZTIME  ?= 20000x
FUZZMIN   ?= 0
BUILD_DIR ?= .build
# staticcheck, pinned: the module proxy serves exact versions only.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
export CGO_ENABLED=0

# Function logical id -> package folder.
fn_SplitFunction  := split
fn_LoadFunction   := load
fn_ThrottleFunction := throttle
fn_WatchdogFunction := watchdog
fn_ReplayFunction := replay
fn_ConfigureFunction := configure
fn_IocPlanFunction     := iocplan
fn_IocDownloadFunction := iocdownload
fn_IocCreateDBFunction := ioccreatedb
fn_GeoIPDownloadFunction := geoipdownload
fn_NotificationsFunction := notifications
fn_BackfillFunction := backfill
fn_IndexMetricsFunction := indexmetrics

.PHONY: all build test test-opensearch race fuzz fuzz-long lint demo bench clean deps node_modules

all: build

## build-<LogicalId>: what `sam build` runs for each function.
build-%:
	GOOS=linux GOARCH=$(ARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
		-o $(ARTIFACTS_DIR)/bootstrap ./functions/$(fn_$*)

## build: every function as a linux/arm64 bootstrap, as `sam build` would.
build:
	@for f in $(FUNCTIONS); do \
		echo "build $$f -> $(BUILD_DIR)/$$f/bootstrap"; \
		GOOS=linux GOARCH=$(ARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
			-o $(BUILD_DIR)/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	$(GO) build -o $(BUILD_DIR)/siem ./cmd/siem

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

deps: node_modules

## test: the whole suite (CI runs this).
test: deps build
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) test -count=1 ./...
	$(MAKE) race
	$(MAKE) fuzz

## race: the race detector over the packages whose code runs on several
## goroutines at once (LoadObject's workers, the runner, the shared caches,
## the lazily compiled user-agent regexes), ~40 s.
RACE_PKGS := ./shared/pipeline/ ./shared/runner/ ./shared/lru/ ./shared/normalize/
race:
	CGO_ENABLED=1 $(GO) test -count=1 -race $(RACE_PKGS)
	CGO_ENABLED=1 $(GO) test -count=1 -race -run 'Concurrent|Lazy' ./shared/useragent/

## fuzz: every parser briefly ($(FUZZTIME) each); fuzz-long for longer.
## Each run starts from the seeds in testdata only (a fresh fuzz cache): a
## cache grown by earlier runs would make the baseline pass outlast FUZZTIME.
## make test counts executions (20000x) rather than seconds: a timed run can
## end with a spurious "context deadline exceeded" on a busy machine.
FUZZ_TARGETS := FuzzDecode:./shared/logtypes/alb FuzzCloudTrail:./shared/logtypes/cloudtrail \
	FuzzVPCFlow:./shared/logtypes/vpcflow FuzzS3AccessLog:./shared/logtypes/s3accesslog \
	FuzzCWL:./shared/logtypes/clientvpn FuzzCEF:./shared/logtypes/deepsecurity FuzzSecurityHub:./shared/logtypes/asff FuzzSyslog:./shared/logtypes/linux FuzzApacheAccess:./shared/logtypes/apache FuzzNginxError:./shared/logtypes/nginx FuzzPostgreSQL:./shared/logtypes/rds FuzzCloudHSM:./shared/logtypes/cloudhsm FuzzWinEvtXML:./shared/logtypes/windows \
	FuzzDecodeMatchesEncodingJSON:./shared/doc FuzzAppendJSONMatchesEncodingJSON:./shared/doc \
	FuzzJSONFramer:./shared/format FuzzCoerceIP:./shared/ecs FuzzParseISO:./shared/normalize
# Parquet inputs cost milliseconds each (a whole file per input): fewer runs.
FUZZ_SLOW_TARGETS := FuzzParquet:./shared/parquet FuzzParquetRecords:./shared/format
FUZZTIME_SLOW ?= 5000x
fuzz:
	@set -e; cache=$$(mktemp -d); trap 'rm -rf $$cache' EXIT; \
	for t in $(FUZZ_TARGETS) $(addsuffix :slow,$(FUZZ_SLOW_TARGETS)); do \
		name=$${t%%:*}; pkg=$${t#*:}; time=$(FUZZTIME); \
		case $$pkg in *:slow) pkg=$${pkg%:slow}; time=$(FUZZTIME_SLOW);; esac; \
		echo "fuzz $$name ($$pkg) for $$time"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$$time -fuzzminimizetime=$(FUZZMIN) $$pkg -args -test.fuzzcachedir=$$cache; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=10m FUZZTIME_SLOW=10m FUZZMIN=60s

## lint: template (cfn-lint), state machines as deployed (asl-validator on
## the substituted definitions), placeholders, events, Go (vet, staticcheck).
lint: deps
	$(GO) test -count=1 ./test/static/
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## demo: the real pipeline over testdata/demo, no AWS account needed.
demo:
	rm -rf out/demo
	$(GO) run ./cmd/siem load --out out/demo --summary out/demo/summary.json testdata/demo

## bench: records/s and MB/s per log type (one core), peak memory, then the
## end-to-end table (siem load on inputs built from the samples, one core
## and all cores, fastest of 3 runs; BENCH_E2E_FLAGS="-quick -runs 1"
## skips the 1 GB row and measures once).
BENCH_E2E_FLAGS ?= -runs 3
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -cpu=1 ./bench/
	$(GO) run ./bench/e2e $(BENCH_E2E_FLAGS)

## invoke-<LogicalId>: sam local invoke with the function's first event.
invoke-%:
	sam local invoke $* -e $$(ls events/$(fn_$*)-*.json | head -1)

clean:
	rm -rf $(BUILD_DIR) out .aws-sam

## test-opensearch: the opt-in suite against a real cluster (OPENSEARCH_URL;
## docker compose up -d starts one). Skips with a message without it.
test-opensearch:
	$(GO) test -count=1 -v ./test/opensearch/
