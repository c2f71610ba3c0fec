//! The shared client state in a real Redis Cluster: blocks seen by two
//! sidecars ("pods") add up to one quarantine that both see, replays count
//! once, and a release lifts it everywhere.

use std::time::{SystemTime, UNIX_EPOCH};

use sentinel_sidecar::state::{Budget, Observation, QuarantineRule, RedisState, StateStore};
use sentinel_stack::ports::free_redis_port;
use sentinel_stack::redis_cluster::RedisCluster;
use sentinel_stack::tools;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A client id as the filter makes them, different on every run.
fn client_id(n: u64) -> String {
    format!("{:016x}{:016x}", now_ms(), n)
}

fn block<'a>(client_id: &'a str, event_id: &'a str, time_ms: u64) -> Observation<'a> {
    Observation {
        client_id,
        event_id,
        time_ms,
        blocked: true,
        risk: 0.9,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_from_two_pods_quarantine_a_client_everywhere() {
    let dir = tools::test_dir("state");
    let ports: Vec<u16> = (0..6).map(|_| free_redis_port()).collect();
    let mut cluster = RedisCluster::start(&dir, &ports).expect("Redis Cluster starts");
    let pod_a = RedisState::new(&cluster.urls()).expect("seed URLs");
    let pod_b = RedisState::new(&cluster.urls()).expect("seed URLs");
    let rule = QuarantineRule::default();
    let client = client_id(1);
    let t = now_ms();

    // Four blocks across both pods, one of them replayed: not yet.
    for (pod, event) in [
        (&pod_a, "e1"),
        (&pod_b, "e2"),
        (&pod_a, "e3"),
        (&pod_b, "e3"),
    ] {
        let started = pod.record(&block(&client, event, t), &rule).await;
        assert_eq!(started.expect("recorded"), None, "{event}");
    }
    // A request that was let through adds risk but no block.
    let allowed = Observation {
        blocked: false,
        risk: 0.1,
        ..block(&client, "e4", t)
    };
    assert_eq!(pod_a.record(&allowed, &rule).await.expect("recorded"), None);
    let state = pod_b.client(&client, t, &rule).await.expect("client read");
    assert_eq!(state.recent_blocks, 3);
    assert_eq!(state.quarantined_until_ms, None);
    assert!((state.risk - 3.7).abs() < 1e-6, "risk {}", state.risk);

    // A block older than the window (replayed late) does not count.
    let old = t - rule.window_ms - 1000;
    let stale = pod_a.record(&block(&client, "e0", old), &rule).await;
    assert_eq!(stale.expect("recorded"), None);

    let fourth = pod_b.record(&block(&client, "e5", t), &rule).await;
    assert_eq!(fourth.expect("recorded"), None);
    let started = pod_b
        .record(&block(&client, "e6", t + 1), &rule)
        .await
        .expect("recorded")
        .expect("the fifth block quarantines");
    assert_eq!(started.until_ms, t + 1 + rule.duration_ms);

    // Both pods see it, in the index the filters pull and per client.
    for pod in [&pod_a, &pod_b] {
        let listed = pod.quarantined(t + 2).await.expect("index read");
        assert!(listed.contains(&started), "{listed:?}");
        let state = pod
            .client(&client, t + 2, &rule)
            .await
            .expect("client read");
        assert_eq!(state.quarantined_until_ms, Some(started.until_ms));
    }
    // Past its end it is gone from the index.
    let later = pod_a
        .quarantined(started.until_ms + 1)
        .await
        .expect("index read");
    assert!(!later.iter().any(|q| q.client_id == client));

    // Released through either pod: lifted, and the old blocks forgotten.
    let other = client_id(2);
    for event in ["f1", "f2", "f3", "f4", "f5"] {
        pod_a
            .record(&block(&other, event, t), &rule)
            .await
            .expect("recorded");
    }
    assert!(pod_b.release(&other).await.expect("released"));
    assert!(!pod_b.release(&other).await.expect("released twice"));
    let listed = pod_a.quarantined(t + 2).await.expect("index read");
    assert!(!listed.iter().any(|q| q.client_id == other));
    let state = pod_a
        .client(&other, t + 2, &rule)
        .await
        .expect("client read");
    assert_eq!((state.recent_blocks, state.quarantined_until_ms), (0, None));

    // Rate limits: five requests a minute per client and route, over both
    // pods; the fifth makes the next one wait 12 s.
    let route = "0123456789abcdef";
    for n in 0..4 {
        let pod = if n % 2 == 0 { &pod_a } else { &pod_b };
        let limited = pod.spend(&client, route, Budget::Requests, t, 1, 5).await;
        assert_eq!(limited.expect("counted"), None, "request {n}");
    }
    let limited = pod_b
        .spend(&client, route, Budget::Requests, t, 1, 5)
        .await
        .expect("counted")
        .expect("the fifth request uses up the minute");
    assert_eq!(limited.until_ms, t + 12_000);
    let listed = pod_a.limited(t + 1).await.expect("index read");
    assert!(listed.contains(&limited), "{listed:?}");
    let other_route = pod_a
        .spend(&client, "fedcba9876543210", Budget::Requests, t, 1, 5)
        .await;
    assert_eq!(other_route.expect("counted"), None);
    assert!(pod_a.limited(t + 12_001).await.expect("read").is_empty());

    // Tokens: 100 a minute; 60 used leave room, 50 more use it up until
    // the 10 too many have drained (6 s).
    let other = client_id(3);
    let spent = pod_a.spend(&other, route, Budget::Tokens, t, 60, 100).await;
    assert_eq!(spent.expect("counted"), None);
    let over = pod_b
        .spend(&other, route, Budget::Tokens, t, 50, 100)
        .await
        .expect("counted")
        .expect("the minute's tokens are spent");
    assert_eq!(over.until_ms, t + 6_000);

    cluster.stop().expect("cluster stops");
}
