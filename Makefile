# hcp — the two commands a newcomer needs are `make demo` and `make test`; `make bench` measures.
# Every target installs what it needs into the tree (.venv, node_modules, Go module cache), so a
# fresh clone on a machine with Rust, Python 3, Node and Go works without any manual step.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
NODE_DIR := bindings/node
GO_DIR   := bindings/go-ffi/go
DASH_DIR := examples/dashboard
CARGO  ?= cargo
export CARGO_TERM_PROGRESS_WHEN = never
# Every build names the host triple, as napi-rs's build does, so that the core and its
# dependencies are compiled once into target/<triple>/ for the Python, Node and Go bindings alike.
HOST_TRIPLE := $(shell rustc -vV | sed -n 's/^host: //p')
export CARGO_BUILD_TARGET := $(HOST_TRIPLE)
RELEASE_DIR := $(CURDIR)/target/$(HOST_TRIPLE)/release
# The Go package finds the static library through pkg-config (hcpcore.pc, written by `make go`).
export PKG_CONFIG_PATH := $(RELEASE_DIR)/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

.PHONY: help demo test bench setup python node go header lint rust-test loom examples \
        python-test node-test node-package-test go-test go-package-test go-service-test serve check-generated readme-test sweep sweep-test \
        tree-snapshot tree-check clean dashboard dashboard-test dashboard-screenshot chromium wheel python-package-test sdist-check baseline-cpu-test crate-package-test

help:
	@echo "make demo   — replay real ERCOT + Bitcoin history for a reference site; writes out/site_report.html"
	@echo "make test   — every suite: Rust (+loom, doctests), Python, Node, Go, lints and generated-file checks"
	@echo "make bench  — criterion benches and the cross-language comparisons (see benches/RESULTS.md)"
	@echo "make serve  — the Go API service on 127.0.0.1:8080 with the demo keys (examples/go-service/README.md)"
	@echo "make exporters — a simulated fleet as dcgm-exporter, miner metrics and cgminer APIs (examples/exporters)"
	@echo "make dashboard — the live web dashboard of the reference site on http://127.0.0.1:3001/ (examples/dashboard)"
	@echo "make sweep  — thousands of what-if scenarios as Ray tasks (SWEEP_ARGS=\"--address ... --workers N --scenarios N\")"

# ---------------------------------------------------------------- set-up -----------------------

$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.10,<2" numpy pytest mypy pandas ruff hypothesis pyasic prometheus_client \
	  matplotlib nbclient nbformat ipykernel ray
	touch $@

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DASH_DIR)/node_modules/.installed: $(DASH_DIR)/package.json $(DASH_DIR)/package-lock.json
	cd $(DASH_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the dashboard's browser test (browser downloads by npm packages fail here).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

setup: $(VENV)/.installed $(NODE_DIR)/node_modules/.installed $(DASH_DIR)/node_modules/.installed

# Release builds of the three bindings (they share one release build of the core).
python: $(VENV)/.installed
	cd bindings/python && VIRTUAL_ENV=$(CURDIR)/$(VENV) ../../$(VENV)/bin/maturin develop --release -q

node: $(NODE_DIR)/node_modules/.installed
	cp $(NODE_DIR)/index.d.ts $(NODE_DIR)/.index.d.ts.checked-in
	cp $(NODE_DIR)/hcp.mjs $(NODE_DIR)/.hcp.mjs.checked-in
	cd $(NODE_DIR) && npx napi build --platform --release --no-js --dts index.d.ts >/dev/null && node scripts/gen-esm.cjs

go:
	$(CARGO) build --release -q -p hcp-ffi
	mkdir -p $(RELEASE_DIR)/pkgconfig
	printf 'libdir=%s\nName: hcpcore\nDescription: hcpcore C ABI (static)\nVersion: %s\nLibs: -L$${libdir} -lhcp_ffi -lm -ldl -lpthread\nCflags:\n' \
	  "$(RELEASE_DIR)" "$$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" > $(RELEASE_DIR)/pkgconfig/hcpcore.pc
	cd $(GO_DIR) && go mod download

# The Python wheel and sdist into out/dist/. `-i` names the interpreter by the same absolute path
# that `maturin develop` uses, so that pyo3 is not rebuilt between the two (its build script
# watches PYO3_PYTHON). The platform tag: maturin audits the extension as auditwheel does and
# refuses a tag the binary does not meet. Built on this machine (glibc 2.36) it needs glibc 2.34
# (pthread_* and dl* moved into libc then), hence manylinux_2_34; `--auditwheel check` fails the
# build rather than bundle a shared library. A wheel for older systems is built where glibc is
# older (the manylinux_2_28 container) or with zig (`pip install ziglang`, then
# PY_WHEEL_FLAGS="--zig" PY_WHEEL_COMPAT=manylinux_2_17). The code runs on any x86-64 CPU: no
# target-cpu is set, and the core picks its AVX2+FMA kernels at run time (core/src/simd.rs).
DIST := out/dist
PY_WHEEL_COMPAT ?= manylinux_2_34
PY_WHEEL_FLAGS ?=
wheel: $(VENV)/.installed
	mkdir -p $(DIST)
	rm -f $(DIST)/hcpcore-*.whl $(DIST)/hcpcore-*.tar.gz
	cd bindings/python && ../../$(VENV)/bin/maturin build --release -q -i $(CURDIR)/$(PY) \
	  --compatibility $(PY_WHEEL_COMPAT) --auditwheel check $(PY_WHEEL_FLAGS) --out $(CURDIR)/$(DIST)
	cd bindings/python && ../../$(VENV)/bin/maturin sdist --out $(CURDIR)/$(DIST)
	@ls -1 $(DIST)/hcpcore-*

# The wheel as a user gets it: installed with pandas into a fresh virtualenv in a temporary folder,
# then imported and used there with no repository path on sys.path (py.typed, stubs, licence
# metadata, docstrings; mypy --strict over tests/typecheck_usage.py against the installed
# package); the sdist holds the core crate. bindings/python/packaging/check_package.py says more.
python-package-test: wheel
	$(PY) bindings/python/packaging/check_package.py --dist $(DIST) --repo $(CURDIR)

# The sdist builds on its own: a wheel compiled from the unpacked archive in a temporary folder
# with a fresh target directory (a full release build of the core: minutes; not part of `test`).
sdist-check: wheel
	$(PY) bindings/python/packaging/check_package.py --dist $(DIST) --repo $(CURDIR) --build-sdist

header:
	$(CARGO) run -q -p hcp-header-gen -- write

# ---------------------------------------------------------------- demo -------------------------

demo:
	$(CARGO) run --release -q -p hcp-site-replay -- --config examples/site.json --data data/market --out out/site_report.html

# The Go API service (examples/go-service) over examples/site_plan.json and the replayed market, with
# the demo keys of examples/go-service/keys.example.json; its ledger is out/service-ledger.db.
# SERVE_FLAGS adds flags, e.g. SERVE_FLAGS="-addr 127.0.0.1:9000". The service runs as its own
# binary (out/go-service), so SIGTERM and Ctrl-C reach it and it stops without losing a ledger write.
SERVE_FLAGS ?=
serve: go
	mkdir -p out
	cd examples/go-service && go mod download && go build -o ../../out/go-service . && \
	  exec ../../out/go-service -keys keys.example.json -site ../site_plan.json -data ../../data/market \
	  -billing billing.example.json -ledger ../../out/service-ledger.db $(SERVE_FLAGS)

# The live dashboard (examples/dashboard/README.md): the reference site at 3600x real time.
# DASHBOARD_ARGS passes more options, e.g. DASHBOARD_ARGS="--speed 900 --scenario volatile".
DASHBOARD_PORT ?= 3001
DASHBOARD_ARGS ?=
dashboard: node $(DASH_DIR)/node_modules/.installed
	cd $(DASH_DIR) && node server.mjs --port $(DASHBOARD_PORT) $(DASHBOARD_ARGS)

# ---------------------------------------------------------------- test -------------------------

test: tree-snapshot lint rust-test loom python-test python-package-test node-test node-package-test go-test go-package-test go-service-test check-generated examples sweep-test exporters-test dashboard-test readme-test baseline-cpu-test crate-package-test tree-check
	@echo "make test: every suite passed"

lint: $(VENV)/.installed
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check bindings/python examples benches tests/readme
	test -z "$$(gofmt -l $(GO_DIR) examples/go examples/go-service 2>/dev/null)" || { gofmt -l $(GO_DIR) examples/go examples/go-service; echo "gofmt: files above need formatting"; exit 1; }

rust-test:
	$(CARGO) test -q --workspace --exclude hcp-python --exclude hcp-node

# loom models of the router's lock-free core, bounded as tokio does.
loom:
	RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
	  $(CARGO) test -q -p hcpcore --release --test router_loom

# tests/test_fuzz.py runs a seeded (derandomized) fuzz pass of every public entry point here.
python-test: python
	cd bindings/python && HCP_FUZZ_EXAMPLES=25 ../../$(PY) -m pytest -q -p no:cacheprovider tests
	cd /tmp && $(CURDIR)/$(PY) -m mypy.stubtest --allowlist $(CURDIR)/bindings/python/stubtest-allowlist.txt hcpcore
	$(PY) -m mypy --strict bindings/python/tests/typecheck_usage.py

node-test: node
	cd $(NODE_DIR) && node --test test/
	cd $(NODE_DIR) && npx tsc --noEmit -p tsconfig.json

# The npm package as a user installs it: npm pack, a fresh project, CJS / ESM / TypeScript.
node-package-test: node
	$(NODE_DIR)/package-check/check.sh
# The dashboard in headless Chromium (playwright-core): both views, live updates, controls; saves
# a screenshot to out/dashboard.png (make dashboard-screenshot refreshes the README's docs/dashboard.png).
dashboard-test: node chromium $(DASH_DIR)/node_modules/.installed
	mkdir -p out
	cd $(DASH_DIR) && CHROMIUM_PATH="$$(command -v chromium)" DASHBOARD_SCREENSHOT=$(CURDIR)/out/dashboard.png node --test test/
dashboard-screenshot: out/.dashboard-test-ran
	cp out/dashboard.png docs/dashboard.png
out/.dashboard-test-ran: dashboard-test
	touch $@

go-test: go
	cd $(GO_DIR) && go vet ./... && go test -count=1 ./...

# The Go package as a user outside the repository gets it: the README's Go program in a fresh
# module (a replace line to bindings/go-ffi/go) built with only PKG_CONFIG_PATH, then with
# -tags hcpcore_ldflags + CGO_LDFLAGS, its output checked against the README; a build with no
# library (or no cgo) must fail saying so (bindings/go-ffi/package-test.sh).
go-package-test: go
	bindings/go-ffi/package-test.sh $(RELEASE_DIR)

# The Go API service's tests: the server on a random port, driven over real HTTP and WebSocket.
go-service-test: go
	cd examples/go-service && go mod download && go vet ./... && go test -count=1 ./...

# Each Go fuzz target (fuzz_test.go) for GO_FUZZTIME; `go test` alone replays their seeds and
# testdata/fuzz corpora. HCP_FUZZ_KNOWN=Name,... lets a long run go on past reported core bugs.
GO_FUZZTIME ?= 20s
.PHONY: fuzz fuzz-go
fuzz-go: go
	cd $(GO_DIR) && for t in $$(go test -list '^Fuzz' . | grep '^Fuzz'); do \
	  go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(GO_FUZZTIME) . || exit 1; done

# The Node property tests (bindings/node/test/fuzz.test.mjs; `node-test` runs them seeded and
# bounded) with NODE_FUZZ_RUNS inputs per entry point and a fresh seed (HCP_FUZZ_SEED=n replays
# one); prints the inputs tried per entry point and lists every non-finite result found.
NODE_FUZZ_RUNS ?= 2000
.PHONY: fuzz-node
fuzz-node: node
	cd $(NODE_DIR) && HCP_FUZZ_RUNS=$(NODE_FUZZ_RUNS) HCP_FUZZ_SEED=$${HCP_FUZZ_SEED:-$$(( RANDOM * 32768 + RANDOM ))} \
	  HCP_FUZZ_COLLECT=1 HCP_FUZZ_REPORT=1 node --test-reporter=dot test/fuzz.test.mjs

# The Python fuzzer (bindings/python/tests/test_fuzz.py; `python-test` runs it seeded and bounded)
# with PY_FUZZ_EXAMPLES random inputs per entry point; writes out/fuzz-python.json (inputs tried
# per entry point, outcomes, and every core InternalError found, which does not stop the run).
PY_FUZZ_EXAMPLES ?= 2000
.PHONY: fuzz-python
fuzz-python: python
	mkdir -p out
	cd bindings/python && HCP_FUZZ_EXAMPLES=$(PY_FUZZ_EXAMPLES) HCP_FUZZ_RANDOM=1 HCP_FUZZ_COLLECT=1 \
	  HCP_FUZZ_REPORT=$(CURDIR)/out/fuzz-python.json ../../$(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

fuzz: fuzz-go fuzz-node fuzz-python

# The checked-in C header and index.d.ts must be what the build generates.
check-generated: node
	$(CARGO) run -q -p hcp-header-gen -- check
	@cmp -s LICENSE bindings/go-ffi/go/LICENSE || { echo "bindings/go-ffi/go/LICENSE (the Go module's copy) differs from LICENSE"; exit 1; }
	@if ! cmp -s $(NODE_DIR)/index.d.ts $(NODE_DIR)/.index.d.ts.checked-in; then \
	  diff -u $(NODE_DIR)/.index.d.ts.checked-in $(NODE_DIR)/index.d.ts | head -40; \
	  echo "bindings/node/index.d.ts differed from the build's output (now regenerated): commit it"; exit 1; fi
	@if ! cmp -s $(NODE_DIR)/hcp.mjs $(NODE_DIR)/.hcp.mjs.checked-in; then \
	  diff -u $(NODE_DIR)/.hcp.mjs.checked-in $(NODE_DIR)/hcp.mjs | head -40; \
	  echo "bindings/node/hcp.mjs differed from scripts/gen-esm.cjs's output (now regenerated): commit it"; exit 1; fi

# One build runs on every x86-64 CPU: the core's unit tests (the batch kernels among them, checked
# against the per-device functions) run on an emulated CPU without AVX (qemu64), where the run-time
# dispatch must pick the baseline path, and natively, where it picks AVX2+FMA if the CPU has them.
baseline-cpu-test:
	@if [ "$$(uname -m)" != x86_64 ]; then echo "baseline-cpu-test: x86-64 only, skipped"; exit 0; fi; \
	command -v qemu-x86_64 >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null; fi; }; \
	bin=$$($(CARGO) test -q --release -p hcpcore --lib --no-run --message-format=json \
	  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1); \
	HCPCORE_EXPECT_SIMD_LEVEL=baseline qemu-x86_64 -cpu qemu64 $$bin -q --test-threads 2 && \
	$$bin -q --nocapture dispatch_level_is_known | grep "simd level"

# The Rust crate as crates.io would take it: `cargo package` builds the packed crate on its own.
crate-package-test:
	$(CARGO) package -q -p hcpcore --allow-dirty

# Every snippet of README.md runs as a user would run it (the Rust one as a doctest in rust-test).
readme-test: python node go
	$(PY) tests/readme/run_snippets.py

# make test leaves the tree as it found it: nothing it runs may write a tracked file or leave an
# untracked one (build outputs go to gitignored folders).
TREE_STATE := $(CURDIR)/target/.tree-state-before-test
tree-snapshot:
	@mkdir -p target && { git status --porcelain=v1; git diff | sha256sum; } > $(TREE_STATE)
tree-check:
	@{ git status --porcelain=v1; git diff | sha256sum; } | diff -u $(TREE_STATE) - \
	  || { echo "make test changed the working tree (above): a test wrote a tracked or unignored file"; exit 1; }

# Every language's example runs end to end, so none of them rots.
examples: python node go
	$(PY) examples/python/what_if.py > /dev/null
	$(PY) examples/python/run_notebooks.py
	cd examples/node && npm ci --no-audit --no-fund --loglevel=error && node site_dashboard.mjs > /dev/null
	@if [ -d examples/go ]; then cd examples/go && go run . > /dev/null; fi
	@echo "examples: all ran"

# Thousands of what-if scenarios on Ray (examples/python/sweep_ray.py): a local Ray cluster on every
# core, or SWEEP_ARGS="--address HOST:PORT" an existing one; table and chart in out/.
SWEEP_ARGS ?=
sweep: python
	$(PY) examples/python/sweep_ray.py $(SWEEP_ARGS)

# The Ray sweep (examples/python/sweep_ray.py) on a local two-CPU Ray cluster: 40 scenarios over
# one day, every scenario in the gathered table with finite figures (--check); Ray's session files
# go to the system temp dir, the table and chart to out/, and ray.shutdown() stops its processes.
sweep-test: python
	$(PY) examples/python/sweep_ray.py --scenarios 40 --workers 2 --days 1 --out out/sweep-test --check > /dev/null

# ---------------------------------------------------------------- exporters --------------------

# A simulated fleet as monitoring tools see real devices (examples/exporters/README.md):
# dcgm-exporter metrics on :9400, miner metrics on :9401, each miner's cgminer API from :4028 and
# web interface from :8028. EXPORTERS_FLAGS passes flags (e.g. "--miners 8 --speed 60").
EXPORTERS_FLAGS ?=
.PHONY: exporters exporters-test
exporters:
	$(CARGO) run --release -q -p hcp-exporters -- $(EXPORTERS_FLAGS)

# The real process on free ports, read by prometheus_client's parser and by pyasic from PyPI.
exporters-test: $(VENV)/.installed
	$(CARGO) build -q -p hcp-exporters
	HCP_EXPORTERS_BIN=$(CURDIR)/target/$(HOST_TRIPLE)/debug/hcp-exporters \
	  $(PY) -m pytest -q -p no:cacheprovider examples/exporters/tests

# ---------------------------------------------------------------- bench ------------------------

bench: python node go
	mkdir -p out
	@echo "## criterion (Rust core, one core unless a bench says threads)"
	$(CARGO) bench -p hcpcore -q --benches -- --warm-up-time 1 --measurement-time 3 2>/dev/null | tee out/bench-criterion.txt \
	  | grep -E "^[a-z_0-9]+(/|:)|time:|thrpt:" || true
	$(CARGO) run -q --release -p hcpcore --example sim_year -- 100000 2
	$(PY) benches/python_bench.py | tee out/bench-python.txt
	$(PY) benches/sim_python_bench.py | tee out/bench-python-sim.txt
	$(PY) benches/sweep_ray_bench.py | tee out/bench-sweep.txt
	cd $(NODE_DIR) && node ../../benches/node_bench.mjs | tee ../../out/bench-node.txt
	cd $(GO_DIR) && go test -run '^$$' -bench . -benchtime 1s ./... | tee ../../../out/bench-go.txt

clean:
	$(CARGO) clean
	rm -rf $(VENV) $(NODE_DIR)/node_modules $(DASH_DIR)/node_modules out
