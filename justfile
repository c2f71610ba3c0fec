# Sentinel Mesh. The README names two recipes: `just up` and `just test`.
set shell := ["bash", "-euo", "pipefail", "-c"]

stack := "target/release/sentinel-stack"
wasm_build := "cargo build --release -p sentinel-filter --target wasm32-wasip1"

# Run the product locally: Redis Cluster, Postgres, sidecar, demo upstream, Envoy with the filter.
up: setup
    {{wasm_build}}
    cargo build --release -p sentinel-sidecar -p sentinel-stack
    {{stack}} up

# The HA stack: 3 pods (Envoy + sidecar) behind a balancing Envoy, Redis Cluster, Postgres with a synchronous standby.
up-ha: setup
    {{wasm_build}}
    cargo build --release -p sentinel-sidecar -p sentinel-stack
    {{stack}} up-ha

# Stop everything `just up` or `just up-ha` started (by pid).
down:
    @cargo build -q --release -p sentinel-stack
    {{stack}} down

# What runs; `just status --json` prints the stack's addresses as one JSON object.
status *args:
    @cargo build -q --release -p sentinel-stack
    @{{stack}} status {{args}}

# Formatting, lints, unit tests and the integration tests against the real programs.
test: setup lint
    {{wasm_build}}
    cargo build -p sentinel-sidecar -p sentinel-stack
    # Only the last run's directories are kept, to read after a failure (a run leaves gigabytes of data dirs).
    target/debug/sentinel-stack reap target/it && rm -rf target/it
    # Whatever happens, no test process outlives the run.
    trap 'target/debug/sentinel-stack reap target/it' EXIT; cargo test --workspace 2>&1 | tee target/test.log
    @awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' target/test.log

# The six HA drills in their long form (200 requests/s for 20 s each); writes docs/ha-drills.md.
drills: setup
    {{wasm_build}}
    cargo build --release -p sentinel-sidecar -p sentinel-stack
    trap 'target/release/sentinel-stack reap target/it' EXIT; \
      SENTINEL_DRILL_PROFILE=release SENTINEL_DRILL_RATE=200 SENTINEL_DRILL_SECONDS=20 \
      cargo test -p sentinel-stack --test drills --test recovery -- --nocapture --test-threads=1 2>&1 | tee target/drills.log
    SENTINEL_DRILL_PROFILE=release SENTINEL_DRILL_RATE=200 SENTINEL_DRILL_SECONDS=20 \
      {{stack}} drills-report target/drills.log "$(date -u '+%Y-%m-%d %H:%M UTC')"

# Precision, recall and false-positive rate of the engines on engines/corpus/ and ../shared/corpus/ (`just eval --json` for JSON).
eval *args:
    cargo run -q --release -p sentinel-sidecar -- eval {{args}}

# What the filter costs inside Envoy: two Envoys, with and without it, driven A B A B; writes target/bench/latest.json and docs/benchmarks.md (`just bench --quick`: the 4 KiB mixes only, nothing but the JSON written).
bench *args: setup
    {{wasm_build}}
    cargo build --release -p sentinel-sidecar -p sentinel-stack
    trap '{{stack}} reap target/bench' EXIT; {{stack}} bench "$(date -u '+%Y-%m-%d %H:%M UTC')" {{args}}

# Engine scan throughput natively (MB/s for 1, 16 and 256 KiB, benign and attack-laden) and build time.
bench-engines:
    cargo bench -p sentinel-engines --bench scan

# cargo fmt and clippy, natively and for the wasm target of the filter.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p sentinel-filter --target wasm32-wasip1 -- -D warnings

# Install what is missing (Rust wasm target, Redis, PostgreSQL, Envoy in .venv).
setup:
    scripts/setup.sh
