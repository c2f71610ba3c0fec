//! `just bench` in miniature: the same harness (real Redis Cluster,
//! Postgres and sidecar, the fast upstream, an Envoy with the filter and
//! one without, the load generator) for a fraction of a second per side.
//! Asserts what the run must produce, never how fast: speed is for
//! `just bench` to measure.

use sentinel_stack::bench::report;
use sentinel_stack::bench::run::{self, Options};
use sentinel_stack::tools;
use serde_json::Value;

#[test]
fn a_short_run_measures_both_envoys_on_every_mix() {
    let dir = tools::test_dir("bench");
    let opts = Options {
        seconds: 0.3,
        rounds: 2,
        connections: 4,
        sizes_kib: vec![4],
        sweep: vec![1],
        more_workers: vec![2],
        // Eight 4 MiB streams in all with the warm-up: seconds, not minutes.
        stream_rounds: 1,
        stream_requests: 2,
        // What `just test` builds.
        profile: "debug",
        ..Options::full(dir.join("run"))
    };
    // Attacks answered other than 403, or benign bodies other than 200,
    // fail the run itself.
    let report = run::run(&opts).expect("the bench runs");

    let names: Vec<&str> = report.mixes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "4k_benign",
            "4k_attack",
            "4k_chat",
            "4k_benign_c1",
            "4k_benign_w2"
        ]
    );
    for (name, f) in &report.mixes {
        assert!(
            f.requests_with > 0 && f.requests_without > 0,
            "{name}: {f:?}"
        );
        assert!(f.rps_with > 0.0 && f.rps_without > 0.0, "{name}: {f:?}");
        assert!((f.ratio - f.rps_with / f.rps_without).abs() < 1e-9);
        assert!(f.p50_us_with <= f.p99_us_with && f.p50_us_without <= f.p99_us_without);
        // The filter's side holds the wasm VMs.
        assert!(f.rss_mib_with > f.rss_mib_without, "{name}: {f:?}");
        // Every mix is judged by the filter, and its histogram says so.
        assert!(f.filter_us_mean.is_some_and(|us| us > 0.0), "{name}: {f:?}");
    }
    let (c1, w2) = (&report.mixes[3].1, &report.mixes[4].1);
    assert_eq!((c1.connections, c1.workers), (1, 1));
    assert_eq!((w2.connections, w2.workers), (4, 2));
    assert!(report.build_us > 0, "no policy build time");
    // The streams went through both Envoys in full (a shorter or longer one
    // fails the run); how fast is not asserted.
    let streams = report.streams.as_ref().expect("the streams are measured");
    assert_eq!((streams.requests_with, streams.requests_without), (2, 2));
    assert!(streams.bytes > 4_000_000, "{streams:?}");
    assert!(streams.ttfb_p50_us_with > 0 && streams.ttfb_p50_us_without > 0);
    assert!(streams.ttfb_p50_us_with <= streams.ttfb_p90_us_with);
    assert!(streams.seconds_mean_with > 0.0 && streams.seconds_mean_without > 0.0);

    report::write(&report, &dir, None, "now").unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("latest.json")).unwrap()).unwrap();
    let benign = &json["4k_benign"];
    for field in [
        "rps_with",
        "rps_without",
        "ratio",
        "p50_us_with",
        "p50_us_without",
        "p99_us_with",
        "p99_us_without",
        "rss_mib_with",
        "rss_mib_without",
    ] {
        assert!(
            benign[field].as_f64().is_some(),
            "latest.json has no {field}"
        );
    }
    assert!(
        json["streams"]["ttfb_p50_us_with"].as_u64().is_some(),
        "latest.json has no streams"
    );
    let goals = report::goals(&report);
    // Ratio, added p50 and p99 at 4 and at 1 connection, memory, build,
    // stream TTFB and scanner throughput.
    assert_eq!(goals.len(), 9, "{goals:?}");
}
