//! Incidents from the real Postgres through the real sidecar:
//! - `GET /v1/incidents`: token required, each filter returns exactly the
//!   expected events, cursor paging visits every incident once, unknown
//!   parameters are refused;
//! - the SIEM export writes each incident once as ECS with its OWASP id,
//!   and with two sidecars only the lease holder exports, the other taking
//!   over when it stops.
//!
//! Redis plays no part; the sidecars get a loopback URL where nothing
//! listens.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sentinel_stack::ports::free_port;
use sentinel_stack::postgres::Postgres;
use sentinel_stack::sidecar::Sidecar;
use sentinel_stack::{http, tools};
use serde_json::{json, Value};

/// 2026-01-01T00:00:00Z; event `i` is decided `i` minutes later.
const T0_MS: i64 = 1_767_225_600_000;
const EVENTS: usize = 30;
const CLIENTS: [&str; 4] = [
    "00000000000000000000000000000000",
    "11111111111111111111111111111111",
    "22222222222222222222222222222222",
    "33333333333333333333333333333333",
];
/// Categories of the blocking events, with their OWASP LLM 2025 ids.
const BLOCKED: [(&str, &str); 5] = [
    ("instruction_override", "LLM01:2025"),
    ("prompt_leak", "LLM07:2025"),
    ("sql_injection", "LLM05:2025"),
    ("shell_injection", "LLM06:2025"),
    ("aws_access_key", "LLM02:2025"),
];

/// What the test knows about each event it posts.
#[derive(Debug, Clone)]
struct Spec {
    id: String,
    request_id: String,
    minute: i64,
    client_id: &'static str,
    verdict: &'static str,
    /// The incident's category (stored, else its detection's).
    category: Option<&'static str>,
    /// None: not an incident. Some(None): an incident without an OWASP id.
    owasp: Option<Option<&'static str>>,
}

/// Event `i` of the run `run` (ids and request ids unique per run).
fn spec(run: &str, i: usize) -> Spec {
    let (verdict, category, owasp) = match i % 6 {
        0 => ("allow", None, None),
        1 => {
            let (category, owasp) = BLOCKED[(i / 6) % BLOCKED.len()];
            ("block", Some(category), Some(Some(owasp)))
        }
        2 => ("monitor", Some("jailbreak"), Some(Some("LLM01:2025"))),
        3 => ("allow", Some("email"), Some(Some("LLM02:2025"))),
        4 => ("too_large", None, Some(Some("LLM10:2025"))),
        _ => ("quarantined", Some("quarantined"), Some(None)),
    };
    Spec {
        id: format!("{run}-{i:02}"),
        request_id: format!("req-{run}-{i:02}"),
        minute: i as i64,
        client_id: CLIENTS[i % CLIENTS.len()],
        verdict,
        category,
        owasp,
    }
}

fn specs(run: &str) -> Vec<Spec> {
    (0..EVENTS).map(|i| spec(run, i)).collect()
}

/// The event as the filter sends it (docs/events.md).
fn event(spec: &Spec) -> Value {
    let detected = match (spec.verdict, spec.category) {
        ("quarantined" | "too_large", _) | (_, None) => vec![],
        (_, Some(category)) => vec![json!({
            "engine": "test", "category": category, "rule": format!("test.{category}"),
            "confidence": 0.9, "start": 0, "end": 12
        })],
    };
    let stored_category = match spec.verdict {
        "allow" => None,
        _ => spec.category,
    };
    json!({
        "id": spec.id, "request_id": spec.request_id,
        "time_ms": T0_MS + spec.minute * 60_000,
        "client_id": spec.client_id, "method": "POST",
        "authority": "api.example.com", "path": "/v1/chat/completions",
        "verdict": spec.verdict, "category": stored_category,
        "risk": if detected.is_empty() { 0.0 } else { 0.9 },
        "mode": if spec.verdict == "monitor" { "monitor" } else { "enforce" },
        "detections": detected,
        "text_sha256": "ab".repeat(32), "latency_us": 420
    })
}

fn incidents(specs: &[Spec]) -> Vec<&Spec> {
    specs.iter().filter(|s| s.owasp.is_some()).collect()
}

/// Request ids, newest first (the API's order).
fn newest_first<'a>(specs: impl IntoIterator<Item = &'a Spec>) -> Vec<String> {
    let mut specs: Vec<&Spec> = specs.into_iter().collect();
    specs.sort_by_key(|s| std::cmp::Reverse(s.minute));
    specs.iter().map(|s| s.request_id.clone()).collect()
}

fn rfc3339(minute: i64) -> String {
    format!("2026-01-01T{:02}:{:02}:00Z", minute / 60, minute % 60)
}

fn post_events(sidecar: &Sidecar, specs: &[Spec]) {
    let events: Vec<Value> = specs.iter().map(event).collect();
    let response = http::client()
        .post(sidecar.url("/v1/events"))
        .body(json!({ "events": events }).to_string())
        .send()
        .expect("the sidecar answers");
    assert_eq!(response.status(), StatusCode::OK);
}

fn stored(postgres: &Postgres, run: &str) -> usize {
    let sql = format!("SELECT count(*) FROM events WHERE id LIKE '{run}-%'");
    postgres
        .query(&sql)
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn get(sidecar: &Sidecar, query: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = http::client().get(sidecar.url(&format!("/v1/incidents{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().expect("the sidecar answers");
    let status = response.status();
    (status, response.json().expect("JSON answer"))
}

fn request_ids(page: &Value) -> Vec<String> {
    page["incidents"]
        .as_array()
        .expect("incidents array")
        .iter()
        .map(|i| i["request_id"].as_str().expect("request_id").to_string())
        .collect()
}

fn start_sidecar(dir: &Path, postgres: &Postgres, env: &[(&str, &str)]) -> Sidecar {
    std::fs::create_dir_all(dir).expect("sidecar dir");
    let redis = [format!("redis://127.0.0.1:{}", free_port())];
    Sidecar::start_with_env(dir, "debug", free_port(), &redis, &postgres.url(), env)
        .expect("the sidecar starts")
}

#[test]
fn incidents_are_filtered_and_paged() {
    let dir = tools::test_dir("incidents-api");
    let mut postgres = Postgres::start(&dir, free_port()).expect("postgres starts");
    let token = tools::random_token().expect("token");
    let sidecar = start_sidecar(&dir, &postgres, &[("SENTINEL_ADMIN_TOKEN", &token)]);
    let all = specs("api");
    post_events(&sidecar, &all);
    wait_until("the events in Postgres", || {
        stored(&postgres, "api") == EVENTS
    });
    wait_until("the admin token is active", || {
        get(&sidecar, "", Some(&token)).0 == StatusCode::OK
    });

    let (status, body) = get(&sidecar, "", None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = get(&sidecar, "", Some("smt_not_a_token"));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(&sidecar, "?bogus=1", None);
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the token is checked first"
    );

    let query = |q: &str| {
        let (status, body) = get(&sidecar, q, Some(&token));
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        body
    };
    let incidents = incidents(&all);
    assert_eq!(incidents.len(), 25);

    // Everything: allowed events without detections are no incidents.
    let page = query("?limit=500");
    assert_eq!(request_ids(&page), newest_first(incidents.iter().copied()));
    assert_eq!(page["next_cursor"], Value::Null);
    let first = &page["incidents"][0];
    let newest = incidents.last().expect("an incident");
    assert_eq!(first["time"], "2026-01-01T00:29:00.000Z");
    assert_eq!(first["verdict"], newest.verdict);
    assert_eq!(first["client_id"], newest.client_id);
    for field in [
        "category",
        "risk_score",
        "mode",
        "method",
        "authority",
        "path",
    ] {
        assert!(first.get(field).is_some(), "{field}");
    }
    assert!(!first["pod"].as_str().unwrap_or_default().is_empty());
    assert!(first["detections"].is_array());

    let expect = |q: &str, keep: &dyn Fn(&Spec) -> bool| {
        let want = newest_first(incidents.iter().copied().filter(|s| keep(s)));
        assert!(!want.is_empty(), "{q} selects something");
        assert_eq!(request_ids(&query(q)), want, "{q}");
    };
    for client in CLIENTS {
        expect(&format!("?limit=500&client_id={client}"), &|s| {
            s.client_id == client
        });
    }
    for verdict in ["block", "monitor", "allow", "too_large", "quarantined"] {
        expect(&format!("?limit=500&verdict={verdict}"), &|s| {
            s.verdict == verdict
        });
    }
    for category in ["prompt_leak", "email", "jailbreak", "quarantined"] {
        expect(&format!("?limit=500&category={category}"), &|s| {
            s.category == Some(category)
        });
    }
    expect("?request_id=req-api-07", &|s| s.id == "api-07");
    // since is inclusive, until exclusive.
    expect(
        &format!("?limit=500&since={}&until={}", rfc3339(10), rfc3339(20)),
        &|s| (10..20).contains(&s.minute),
    );
    expect(&format!("?since={}", rfc3339(25)), &|s| s.minute >= 25);
    expect(&format!("?until={}", rfc3339(3)), &|s| s.minute < 3);
    expect(
        &format!(
            "?category=jailbreak&client_id={}&until=2026-01-01T01:15:00%2B01:00",
            CLIENTS[2]
        ),
        &|s| s.category == Some("jailbreak") && s.client_id == CLIENTS[2] && s.minute < 15,
    );

    // Paging: every incident once, in order, whatever the page size.
    for limit in [1, 7, 25] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("?limit={limit}&cursor={c}"),
                None => format!("?limit={limit}"),
            };
            let page = query(&q);
            let ids = request_ids(&page);
            assert!(ids.len() <= limit);
            seen.extend(ids);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(
            seen,
            newest_first(incidents.iter().copied()),
            "limit {limit}"
        );
    }
    // A cursor carries over to a filtered listing.
    let page = query(&format!("?limit=2&client_id={}", CLIENTS[2]));
    let cursor = page["next_cursor"].as_str().expect("more pages");
    let rest = query(&format!(
        "?limit=500&client_id={}&cursor={cursor}",
        CLIENTS[2]
    ));
    let mut both = request_ids(&page);
    both.extend(request_ids(&rest));
    assert_eq!(
        both,
        newest_first(
            incidents
                .iter()
                .copied()
                .filter(|s| s.client_id == CLIENTS[2])
        )
    );

    for (q, says) in [
        ("?bogus=1", "bogus"),
        ("?limit=20&clientid=x", "clientid"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?verdict=maybe", "verdict"),
        ("?since=yesterday", "since"),
        ("?until=2026-01-01", "until"),
        ("?cursor=00zz", "cursor"),
    ] {
        let (status, body) = get(&sidecar, q, Some(&token));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{q}");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains(says), "{q}: {message}");
    }

    postgres
        .server
        .stop(Duration::from_secs(20))
        .expect("postgres stops");
    let (status, body) = get(&sidecar, "", Some(&token));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "store_unavailable");
}

/// The ECS records of `files`, one per line, all of them.
fn exported(files: &[&Path]) -> Vec<Value> {
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| {
            text.lines()
                .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
                .collect::<Vec<Value>>()
        })
        .collect()
}

/// Waits for `want` records over `files`, then a little longer to see that
/// no more (no duplicates) arrive; returns them.
fn settle(files: &[&Path], want: usize) -> Vec<Value> {
    wait_until("incidents exported", || exported(files).len() >= want);
    std::thread::sleep(Duration::from_secs(2));
    exported(files)
}

/// Each incident of `specs` exactly once, with its OWASP label.
fn check_export(records: &[Value], specs: &[&Spec]) {
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["event"]["id"].as_str().expect("event.id"))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no incident twice: {ids:?}");
    let want: BTreeSet<&str> = specs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(unique, want);
    for record in records {
        let id = record["event"]["id"].as_str().expect("id");
        let spec = specs.iter().find(|s| s.id == id).expect("known");
        assert_eq!(record["event"]["kind"], "alert");
        assert_eq!(record["event"]["category"], json!(["intrusion_detection"]));
        assert_eq!(record["event"]["action"], spec.verdict);
        assert_eq!(record["client"]["user"]["id"], spec.client_id);
        assert_eq!(record["http"]["request"]["id"], spec.request_id.as_str());
        assert_eq!(record["url"]["path"], "/v1/chat/completions");
        assert_eq!(record["rule"]["category"], json!(spec.category), "{id}");
        assert_eq!(
            record["@timestamp"],
            rfc3339(spec.minute).replace("Z", ".000Z")
        );
        assert_eq!(
            record["labels"].get("owasp_llm").and_then(Value::as_str),
            spec.owasp.flatten(),
            "{id}"
        );
    }
}

#[test]
fn incidents_are_exported_once_as_ecs() {
    let dir = tools::test_dir("incidents-export");
    let postgres = Postgres::start(&dir, free_port()).expect("postgres starts");
    let file = dir.join("siem.jsonl");
    let sidecar = start_sidecar(
        &dir,
        &postgres,
        &[
            ("SENTINEL_EXPORT_FILE", file.to_str().expect("UTF-8 path")),
            ("SENTINEL_EXPORT_INTERVAL_MS", "100"),
        ],
    );
    let all = specs("ecs");
    post_events(&sidecar, &all[..EVENTS / 2]);
    post_events(&sidecar, &all[EVENTS / 2..]);
    let records = settle(&[&file], 25);
    check_export(&records, &incidents(&all));
    assert!(records
        .iter()
        .all(|r| r["host"]["name"].as_str().is_some_and(|p| !p.is_empty())));
    assert_eq!(
        postgres
            .query("SELECT id FROM export_cursor WHERE name = 'siem'")
            .expect("cursor"),
        // Cursor order is (transaction, id): the second batch's last one.
        "ecs-29"
    );
}

#[test]
fn only_the_lease_holder_exports() {
    let dir = tools::test_dir("incidents-lease");
    let postgres = Postgres::start(&dir, free_port()).expect("postgres starts");
    let files: [PathBuf; 2] = [dir.join("a.jsonl"), dir.join("b.jsonl")];
    let env = |file: &Path| {
        vec![
            (
                "SENTINEL_EXPORT_FILE",
                file.to_str().expect("UTF-8 path").to_string(),
            ),
            ("SENTINEL_EXPORT_INTERVAL_MS", "100".to_string()),
        ]
    };
    let start = |name: &str, file: &Path| {
        let env = env(file);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        start_sidecar(&dir.join(name), &postgres, &env)
    };
    let mut sidecars = [start("a", &files[0]), start("b", &files[1])];
    let paths = [files[0].as_path(), files[1].as_path()];

    let first = specs("one");
    post_events(&sidecars[0], &first[..EVENTS / 2]);
    post_events(&sidecars[1], &first[EVENTS / 2..]);
    let records = settle(&paths, 25);
    check_export(&records, &incidents(&first));
    let lines = |path: &Path| exported(&[path]).len();
    let holder = if lines(paths[0]) > 0 { 0 } else { 1 };
    assert_eq!(lines(paths[1 - holder]), 0, "only the lease holder exports");

    // The holder stops; the other takes the lease and goes on from the
    // cursor: nothing twice, nothing lost.
    sidecars[holder]
        .proc
        .stop(Duration::from_secs(20))
        .expect("the holder stops");
    let second = specs("two");
    post_events(&sidecars[1 - holder], &second);
    let records = settle(&paths, 50);
    let mut both = incidents(&first);
    both.extend(incidents(&second));
    check_export(&records, &both);
    assert_eq!(lines(paths[1 - holder]), 25, "the new holder sent the rest");
}
