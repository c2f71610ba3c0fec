//! High-availability drills on the HA stack (three pods behind a
//! balancing Envoy), under steady load, each printing one line: drill,
//! requests sent, failures, attacks that slipped through, recovery seconds.

use std::time::{Duration, Instant};

use sentinel_stack::ha::HaStack;
use sentinel_stack::{load, tools};
use serde_json::json;

const RATE: u32 = 40;
const RUN: Duration = Duration::from_secs(10);

/// Waits until the balancer reports pod `port` as `healthy`; the seconds.
fn until_pod(stack: &HaStack, port: u16, healthy: bool, patience: Duration) -> f64 {
    let started = Instant::now();
    loop {
        let pods = stack.lb.pods_healthy().expect("balancer admin answers");
        if pods.iter().any(|&(p, h)| p == port && h == healthy) {
            return started.elapsed().as_secs_f64();
        }
        assert!(
            started.elapsed() < patience,
            "pod {port} never became healthy={healthy}: {pods:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Drill 1, pod loss: kill -9 one pod's Envoy and sidecar mid-run.
/// Expected: no attack slips through; failures only among the requests in
/// flight on the killed pod (a POST it may have judged is not resent), so
/// at most the load's concurrency; the pod leaves rotation within the
/// health-check window and rejoins only once its `/ready` is 200.
#[test]
fn pod_loss() {
    let dir = tools::test_dir("drill-pod-loss");
    let mut stack = HaStack::start(&dir, "debug", json!({})).expect("the HA stack starts");
    let victim = stack.pods[1].envoy.config.port;
    for pod in &stack.pods {
        until_pod(&stack, pod.envoy.config.port, true, Duration::from_secs(30));
    }
    let run = load::start(stack.lb.url("/v1/chat/completions"), RATE, RUN);
    std::thread::sleep(Duration::from_secs(3));
    let killed_at = Instant::now();
    stack.pods[1].envoy.proc.kill9().expect("kill -9 Envoy");
    stack.pods[1].sidecar.proc.kill9().expect("kill -9 sidecar");
    let out = until_pod(&stack, victim, false, Duration::from_secs(10));
    println!("pod out of rotation {out:.1} s after the kill");
    let tally = run.join().expect("the load ran");
    let restarted = Instant::now();
    stack.restart_pod(1).expect("the pod restarts");
    until_pod(&stack, victim, true, Duration::from_secs(60));
    let rejoined = restarted.elapsed().as_secs_f64();
    println!(
        "drill=pod-loss sent={} failures={} slipped={} blocked={} out_of_rotation_s={out:.1} \
         rejoined_after_restart_s={rejoined:.1} pod_down_s={:.1}",
        tally.sent,
        tally.failed,
        tally.slipped,
        tally.blocked,
        killed_at.elapsed().as_secs_f64(),
    );
    assert_eq!(tally.slipped, 0, "attacks passed during the drill");
    assert!(
        tally.failed <= 8,
        "{} failures, more than the requests in flight: {:?}",
        tally.failed,
        tally.examples
    );
    assert!(tally.blocked > 0 && tally.sent >= u64::from(RATE) * 9);
}
