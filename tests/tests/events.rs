//! Decision events from `POST /v1/events` to the `events` table of the real
//! Postgres, through the real sidecar's spool: exactly once, across a
//! duplicate batch, a `kill -9` of the sidecar and a Postgres outage.
//!
//! Redis plays no part in events; the sidecar is given a loopback URL where
//! nothing listens and reports Redis down, which is fine here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sentinel_stack::ports::free_port;
use sentinel_stack::postgres::Postgres;
use sentinel_stack::sidecar::Sidecar;
use sentinel_stack::{http, tools};
use serde_json::{json, Value};

/// Longer than any test: the sidecar keeps everything in its spool.
const NEVER_FLUSH: (&str, &str) = ("SENTINEL_FLUSH_INTERVAL_MS", "600000");

struct Setup {
    dir: PathBuf,
    postgres: Postgres,
    sidecar: Sidecar,
}

fn start(name: &str, env: &[(&str, &str)]) -> Setup {
    let dir = tools::test_dir(name);
    let postgres = Postgres::start(&dir, free_port()).expect("postgres starts");
    let redis = [format!("redis://127.0.0.1:{}", free_port())];
    let sidecar = Sidecar::start_with_env(&dir, "debug", free_port(), &redis, &postgres.url(), env)
        .expect("the sidecar starts");
    Setup {
        dir,
        postgres,
        sidecar,
    }
}

fn event(id: &str) -> Value {
    json!({
        "id": id, "request_id": format!("req-{id}"), "time_ms": 1_767_225_600_123_i64,
        "client_id": "0123456789abcdef0123456789abcdef", "method": "POST",
        "authority": "api.example.com", "path": "/v1/chat/completions",
        "verdict": "block", "category": "prompt_injection", "risk": 0.9, "mode": "enforce",
        "detections": [{"engine": "injection", "category": "prompt_injection",
            "rule": "inj.override", "confidence": 0.95, "start": 3, "end": 40}],
        "text_sha256": "ab".repeat(32), "latency_us": 420, "from_a_newer_filter": true
    })
}

fn events(prefix: &str, n: usize) -> Vec<Value> {
    (0..n).map(|i| event(&format!("{prefix}-{i}"))).collect()
}

fn post(sidecar: &Sidecar, events: &[Value]) -> (StatusCode, Value) {
    let response = http::client()
        .post(sidecar.url("/v1/events"))
        .body(json!({ "events": events }).to_string())
        .send()
        .expect("the sidecar answers");
    let status = response.status();
    (status, response.json().expect("JSON answer"))
}

/// Rows whose id starts with `prefix-`.
fn stored(postgres: &Postgres, prefix: &str) -> usize {
    let sql = format!("SELECT count(*) FROM events WHERE id LIKE '{prefix}-%'");
    match postgres.query(&sql) {
        Ok(count) => count.parse().expect("a count"),
        // The writer creates the table with its first insert.
        Err(e) if e.to_string().contains("does not exist") => 0,
        Err(e) => panic!("query failed: {e:#}"),
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bytes of events waiting in the spool.
fn spooled(spool: &Path) -> u64 {
    std::fs::read_dir(spool)
        .expect("spool folder")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

#[test]
fn events_are_stored_exactly_once() {
    let Setup {
        dir: _dir,
        postgres,
        sidecar,
    } = start("events-once", &[]);
    let batch = events("a", 50);
    let (status, answer) = post(&sidecar, &batch);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"accepted": 50}));
    wait_until("50 events in Postgres", || stored(&postgres, "a") == 50);

    // Every field lands in its column.
    let row = postgres
        .query(
            "SELECT request_id, (extract(epoch FROM time) * 1000)::bigint, client_id, method,
                    authority, path, verdict, category, risk, mode,
                    detections->0->>'rule', text_sha256, latency_us, pod <> ''
             FROM events WHERE id = 'a-7'",
        )
        .expect("row");
    let expected = [
        "req-a-7",
        "1767225600123",
        "0123456789abcdef0123456789abcdef",
        "POST",
        "api.example.com",
        "/v1/chat/completions",
        "block",
        "prompt_injection",
        "0.9",
        "enforce",
        "inj.override",
        &"ab".repeat(32),
        "420",
        "t",
    ]
    .join("|");
    assert_eq!(row, expected);

    // The same batch again adds nothing.
    let (status, _) = post(&sidecar, &batch);
    assert_eq!(status, StatusCode::OK);
    wait_until("the spool drained", || spooled(&sidecar.spool_dir) == 0);
    assert_eq!(stored(&postgres, "a"), 50);

    // A batch with one bad event is refused whole, naming it.
    let mut bad = events("e", 3);
    bad[2]["risk"] = json!(7);
    let (status, answer) = post(&sidecar, &bad);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = answer["error"]["message"].as_str().expect("message");
    assert!(message.starts_with("event 2: "), "{message}");
    // A later good batch arrives; nothing of the refused one ever does.
    let (status, _) = post(&sidecar, &events("f", 1));
    assert_eq!(status, StatusCode::OK);
    wait_until("the good batch in Postgres", || stored(&postgres, "f") == 1);
    wait_until("the spool drained", || spooled(&sidecar.spool_dir) == 0);
    assert_eq!(stored(&postgres, "e"), 0);

    // The sidecar's metrics count them: 101 acknowledged (the replayed
    // batch too), 51 new rows stored.
    let metrics = sentinel_stack::http::client()
        .get(sidecar.url("/metrics"))
        .send()
        .and_then(|r| r.text())
        .expect("/metrics answers");
    for (name, want) in [
        ("sentinel_sidecar_events_ingested_total ", "101"),
        ("sentinel_sidecar_events_stored_total ", "51"),
        ("sentinel_sidecar_store_up{store=\"postgres\"} ", "1"),
    ] {
        let got = metrics.lines().find_map(|l| l.strip_prefix(name));
        assert_eq!(got, Some(want), "{name}in:\n{metrics}");
    }

    // The events migration is recorded and `migrate` finds nothing to do.
    assert_eq!(
        postgres
            .query("SELECT count(*) FROM schema_migrations WHERE version = 1")
            .expect("migrations"),
        "1"
    );
    let out = std::process::Command::new(tools::sidecar("debug").expect("binary"))
        .args(["migrate", "--database-url", &postgres.url()])
        .output()
        .expect("migrate runs");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}

#[test]
fn acknowledged_events_survive_kill_9() {
    let Setup {
        dir: _dir,
        postgres,
        mut sidecar,
    } = start("events-kill9", &[NEVER_FLUSH]);
    for round in 0..3 {
        let (status, _) = post(&sidecar, &events(&format!("k{round}"), 40));
        assert_eq!(status, StatusCode::OK);
    }
    sidecar.proc.kill9().expect("killed");
    assert!(
        spooled(&sidecar.spool_dir) > 0,
        "the events wait in the spool"
    );
    assert_eq!(
        stored(&postgres, "k0"),
        0,
        "nothing was flushed before the crash"
    );

    sidecar.restart(&[]).expect("restarts on the same spool");
    for round in 0..3 {
        let prefix = format!("k{round}");
        wait_until("replayed events in Postgres", || {
            stored(&postgres, &prefix) == 40
        });
    }
    wait_until("the spool drained", || spooled(&sidecar.spool_dir) == 0);
    assert_eq!(
        postgres
            .query("SELECT count(*) FROM events WHERE id LIKE 'k%'")
            .expect("count"),
        "120"
    );
}

#[test]
fn events_wait_out_a_postgres_outage() {
    let Setup {
        dir,
        mut postgres,
        sidecar,
    } = start("events-outage", &[]);
    // The table exists before the outage, so the replay is what is tested.
    let (status, _) = post(&sidecar, &events("before", 5));
    assert_eq!(status, StatusCode::OK);
    wait_until("events in Postgres", || stored(&postgres, "before") == 5);

    let port = postgres.port;
    postgres
        .server
        .stop(Duration::from_secs(20))
        .expect("postgres stops");
    for round in 0..4 {
        let (status, answer) = post(&sidecar, &events(&format!("out{round}"), 25));
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    assert!(
        spooled(&sidecar.spool_dir) > 0,
        "the events wait in the spool"
    );

    let postgres = Postgres::start(&dir, port).expect("postgres starts again");
    for round in 0..4 {
        let prefix = format!("out{round}");
        wait_until("events in Postgres after the outage", || {
            stored(&postgres, &prefix) == 25
        });
    }
    wait_until("the spool drained", || spooled(&sidecar.spool_dir) == 0);
    assert_eq!(
        postgres
            .query("SELECT count(*) FROM events WHERE id LIKE 'out%'")
            .expect("count"),
        "100"
    );
}
