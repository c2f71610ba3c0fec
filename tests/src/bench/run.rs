//! One benchmark run: the real stores and sidecar, a fast upstream, and
//! Envoy pairs (with and without the filter) driven in alternation, A B A B,
//! by the same load generator with the same request mix, so that the
//! machine's drift falls on both sides alike.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::load::{self, Load, Outcome};
use super::mixes::{self, Mix};
use super::pair::{FilterStats, Pair, STATS_FLUSH};
use super::streams::{self, StreamFigures};
use crate::envoy::Envoy;
use crate::postgres::Postgres;
use crate::redis_cluster::RedisCluster;
use crate::sidecar::Sidecar;
use crate::{ports, stack};

const PATH: &str = "/v1/chat/completions";

#[derive(Debug, Clone)]
pub struct Options {
    /// Logs and data of the processes.
    pub dir: PathBuf,
    /// Cargo profile of the sidecar.
    pub profile: &'static str,
    /// Load per side per round.
    pub seconds: f64,
    pub rounds: u32,
    /// Connections of the mixes (the sweep varies it for `4k_benign`).
    pub connections: usize,
    /// Envoy workers of the main pair.
    pub workers: u32,
    pub sizes_kib: Vec<usize>,
    /// Connections of the `4k_benign_c<n>` sweep.
    pub sweep: Vec<usize>,
    /// Other worker counts, each a pair of its own measured on `4k_benign`
    /// (`4k_benign_w<n>`): the memory per worker.
    pub more_workers: Vec<u32>,
    /// Rounds of the streams on the main pair, and requests per side per
    /// round.
    pub stream_rounds: u32,
    pub stream_requests: usize,
}

impl Options {
    /// `just bench`: every mix, 3 rounds of 3 s per side.
    pub fn full(dir: PathBuf) -> Options {
        Options {
            dir,
            profile: "release",
            seconds: 3.0,
            rounds: 3,
            connections: 8,
            workers: 1,
            sizes_kib: vec![1, 4, 16, 64],
            sweep: vec![1, 8, 64],
            more_workers: vec![2],
            stream_rounds: 3,
            stream_requests: 10,
        }
    }
}

/// Figures of one mix; the field names are those of `latest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub connections: usize,
    pub workers: u32,
    pub requests_with: u64,
    pub requests_without: u64,
    pub rps_with: f64,
    pub rps_without: f64,
    /// `rps_with / rps_without`.
    pub ratio: f64,
    pub p50_us_with: u64,
    pub p50_us_without: u64,
    pub p90_us_with: u64,
    pub p90_us_without: u64,
    pub p99_us_with: u64,
    pub p99_us_without: u64,
    pub rss_mib_with: f64,
    pub rss_mib_without: f64,
    /// Mean time the filter spent per judged request, from its own
    /// histogram (`sentinel_filter_time_us`).
    pub filter_us_mean: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Keyed by mix name, in the order measured.
    pub mixes: Vec<(String, Figures)>,
    /// `sentinel_policy_build_us` of the main pair's filter: one worker
    /// VM's policy parse and engine compile.
    pub build_us: u64,
    pub seconds: f64,
    pub rounds: u32,
    /// The streamed answers on the main pair.
    pub streams: Option<StreamFigures>,
}

impl Report {
    /// `target/bench/latest.json`: an object keyed by mix name, and the
    /// streams' figures under `streams`.
    pub fn json(&self) -> Value {
        let mixes: BTreeMap<&str, &Figures> =
            self.mixes.iter().map(|(n, f)| (n.as_str(), f)).collect();
        let mut json = json!(mixes);
        if let (Some(streams), Some(object)) = (&self.streams, json.as_object_mut()) {
            object.insert("streams".to_string(), json!(streams));
        }
        json
    }

    pub fn get(&self, name: &str) -> Option<&Figures> {
        self.mixes.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }
}

/// The policy of `just up`, but no quarantine: every attack is scanned,
/// not refused at the headers as its client's sixth block.
pub fn policy() -> Value {
    let mut policy = stack::local_policy();
    policy["quarantine"] = json!({"enabled": false});
    policy
}

pub fn run(opts: &Options) -> Result<Report> {
    std::fs::create_dir_all(&opts.dir)?;
    let redis_ports: Vec<u16> = (0..6).map(|_| ports::free_redis_port()).collect();
    let redis = RedisCluster::start(&opts.dir, &redis_ports)?;
    let postgres = Postgres::start(&opts.dir, ports::free_port())?;
    let sidecar = Sidecar::start(
        &opts.dir,
        opts.profile,
        ports::free_port(),
        &redis.urls(),
        &postgres.url(),
    )?;
    let upstream = Upstream::start()?;
    let policy = policy();
    let mut mixes = mixes::standard(&opts.sizes_kib)?;
    if opts.sizes_kib.contains(&4) {
        mixes.push(mixes::chat(4)?);
    }
    // 4 KiB benign and attack: the warm-up, and the sweeps' mix.
    let warm = mixes::standard(&[4])?;
    let four_k = warm.first().context("no 4k mix")?;

    let mut report = Report {
        mixes: Vec::new(),
        build_us: 0,
        seconds: opts.seconds,
        rounds: opts.rounds,
        streams: None,
    };
    let pair = Pair::start(
        &opts.dir,
        opts.workers,
        upstream.port,
        sidecar.port,
        &policy,
    )?;
    warm_up(&pair, &warm, opts)?;
    report.build_us = FilterStats::read(&pair.with)?.build_us;
    for mix in &mixes {
        let figures = measure(&pair, mix, opts.connections, opts)?;
        eprintln!("{}", line(&mix.name, &figures));
        report.mixes.push((mix.name.clone(), figures));
    }
    for &connections in &opts.sweep {
        let name = format!("{}_c{connections}", four_k.name);
        let figures = measure(&pair, four_k, connections, opts)?;
        eprintln!("{}", line(&name, &figures));
        report.mixes.push((name, figures));
    }
    let figures = streams::measure(&pair, opts.stream_rounds, opts.stream_requests)?;
    eprintln!("{}", stream_line(&figures));
    report.streams = Some(figures);
    pair.stop();
    for &workers in &opts.more_workers {
        let pair = Pair::start(&opts.dir, workers, upstream.port, sidecar.port, &policy)?;
        warm_up(&pair, &warm, opts)?;
        let name = format!("{}_w{workers}", four_k.name);
        let figures = measure(&pair, four_k, opts.connections, opts)?;
        eprintln!("{}", line(&name, &figures));
        report.mixes.push((name, figures));
        pair.stop();
    }
    upstream.stop();
    drop((sidecar, postgres, redis));
    Ok(report)
}

/// One short load of each mix on each side first: the wasm VMs (their
/// rules' regexes compile on first use), connection pools and the
/// sidecar's first event batches are settled before anything counts.
fn warm_up(pair: &Pair, mixes: &[Mix], opts: &Options) -> Result<()> {
    let seconds = opts.seconds.min(1.0);
    for mix in mixes {
        drive(
            &pair.with,
            mix,
            mix.expect_status(),
            opts.connections,
            seconds,
        )?;
        drive(&pair.without, mix, 200, opts.connections, seconds)?;
    }
    Ok(())
}

/// `rounds` times: the mix through the Envoy with the filter, then through
/// the one without.
fn measure(pair: &Pair, mix: &Mix, connections: usize, opts: &Options) -> Result<Figures> {
    let before = FilterStats::read(&pair.with)?;
    let (mut with, mut without) = (None::<Outcome>, None::<Outcome>);
    for _ in 0..opts.rounds {
        // Without the filter, every body reaches the upstream.
        let sides = [
            (&pair.with, mix.expect_status(), &mut with),
            (&pair.without, 200, &mut without),
        ];
        for (envoy, status, total) in sides {
            let outcome = drive(envoy, mix, status, connections, opts.seconds)?;
            match total {
                Some(total) => total.merge(&outcome),
                None => *total = Some(outcome),
            }
        }
    }
    let (Some(with), Some(without)) = (with, without) else {
        bail!("no rounds");
    };
    std::thread::sleep(STATS_FLUSH + Duration::from_millis(200));
    let after = FilterStats::read(&pair.with)?;
    let mib = |envoy: &Envoy| envoy.rss_bytes().map(|b| b as f64 / 1048576.0);
    Ok(Figures {
        connections,
        workers: pair.workers,
        requests_with: with.requests,
        requests_without: without.requests,
        rps_with: with.rps(),
        rps_without: without.rps(),
        ratio: with.rps() / without.rps().max(f64::MIN_POSITIVE),
        p50_us_with: with.percentile_us(50.0),
        p50_us_without: without.percentile_us(50.0),
        p90_us_with: with.percentile_us(90.0),
        p90_us_without: without.percentile_us(90.0),
        p99_us_with: with.percentile_us(99.0),
        p99_us_without: without.percentile_us(99.0),
        rss_mib_with: mib(&pair.with)?,
        rss_mib_without: mib(&pair.without)?,
        filter_us_mean: before.mean_us_until(&after),
    })
}

/// The mix through one Envoy for `seconds`; any answer other than `status`
/// fails the run (a benchmark with errors measures them).
fn drive(
    envoy: &Envoy,
    mix: &Mix,
    status: u16,
    connections: usize,
    seconds: f64,
) -> Result<Outcome> {
    let outcome = load::run(&Load {
        addr: ([127, 0, 0, 1], envoy.config.port).into(),
        path: PATH.to_string(),
        body: mix.body.clone(),
        connections,
        duration: Duration::from_secs_f64(seconds),
        expect_status: status,
    })?;
    if outcome.errors > 0 {
        bail!(
            "{}: {} of {} answers through {} were not {} (first: {})",
            mix.name,
            outcome.errors,
            outcome.errors + outcome.requests,
            envoy.proc.name,
            status,
            outcome.first_error.as_deref().unwrap_or("?")
        );
    }
    Ok(outcome)
}

/// Progress on stderr, one line per mix.
fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name:<16} {:>8.0} / {:>8.0} rps ({:.2}), p50 {} / {} us, p99 {} / {} us",
        f.rps_with,
        f.rps_without,
        f.ratio,
        f.p50_us_with,
        f.p50_us_without,
        f.p99_us_with,
        f.p99_us_without
    )
}

/// Progress on stderr for the streams.
fn stream_line(f: &StreamFigures) -> String {
    let scanner = f
        .scanner_mb_per_s
        .map_or_else(|| "no added time".to_string(), |mb| format!("{mb:.0} MB/s"));
    format!(
        "{:<16} ttfb p50 {} / {} us, {:.1} / {:.1} MB/s, scanner {scanner}",
        "streams", f.ttfb_p50_us_with, f.ttfb_p50_us_without, f.mb_per_s_with, f.mb_per_s_without,
    )
}

/// The fast upstream on its own thread and single-threaded runtime.
struct Upstream {
    port: u16,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<Result<()>>,
}

impl Upstream {
    fn start() -> Result<Upstream> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || -> Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                super::upstream::run(listener, async {
                    let _ = stopped.await;
                })
                .await
            })
        });
        Ok(Upstream { port, stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
