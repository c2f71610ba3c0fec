//! What a run prints and keeps: the table, the goals of the benchmark
//! checked against the figures, `target/bench/latest.json`, and
//! `docs/benchmarks.md` with the machine it ran on.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::run::{Figures, Report};
use crate::tools;

/// One goal of the benchmark, as measured.
#[derive(Debug, Clone)]
pub struct Goal {
    pub what: String,
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// The goals that the run has the figures for.
pub fn goals(report: &Report) -> Vec<Goal> {
    let mut goals = Vec::new();
    let mut add = |what: String, target: &str, measured: String, met| {
        goals.push(Goal {
            what,
            target: target.to_string(),
            measured,
            met,
        })
    };
    for (name, least) in [("4k_benign", 0.85), ("64k_benign", 0.70)] {
        if let Some(f) = report.get(name) {
            add(
                format!("{name} throughput ratio"),
                &format!(">= {least:.2}"),
                format!("{:.2}", f.ratio),
                f.ratio >= least,
            );
        }
    }
    // Added latency twice: at the mixes' concurrency, where the worker is
    // saturated and latency is mostly queueing behind the other requests,
    // and at one connection, where it is what one request pays.
    for name in ["4k_benign", "4k_benign_c1"] {
        let Some(f) = report.get(name) else {
            continue;
        };
        let p99 = f.p99_us_with as i64 - f.p99_us_without as i64;
        let p50 = f.p50_us_with as i64 - f.p50_us_without as i64;
        let conns = match f.connections {
            1 => "1 connection".to_string(),
            n => format!("{n} connections"),
        };
        let what = |p: &str| format!("{name} added {p} ({conns})");
        add(what("p99"), "<= 1000 us", format!("{p99} us"), p99 <= 1000);
        add(what("p50"), "<= 250 us", format!("{p50} us"), p50 <= 250);
    }
    if let Some((per_worker, measured)) = memory_per_worker(report) {
        add(
            "added memory per Envoy worker".to_string(),
            "<= 20 MiB",
            measured,
            per_worker <= 20.0,
        );
    }
    let ms = report.build_us as f64 / 1000.0;
    add(
        "policy build per worker VM".to_string(),
        "<= 50 ms",
        format!("{ms:.1} ms"),
        ms <= 50.0,
    );
    if let Some(s) = &report.streams {
        let added = s.added_ttfb_p50_us;
        add(
            "stream added TTFB p50".to_string(),
            "<= 2000 us",
            format!("{added} us"),
            added <= 2000,
        );
        // No added time at all: the scanner's cost is below the noise,
        // however fast that makes it.
        let (measured, met) = match s.scanner_mb_per_s {
            Some(mb) => (format!("{mb:.0} MB/s"), mb >= 50.0),
            None => ("no added time measured".to_string(), true),
        };
        add(
            "stream scanner throughput inside Envoy".to_string(),
            ">= 50 MB/s",
            measured,
            met,
        );
    }
    goals
}

/// The streams' figures in a sentence or two, for the page.
fn streams_text(report: &Report) -> String {
    let Some(s) = &report.streams else {
        return "Not measured in this run.\n".to_string();
    };
    let scanner = s
        .scanner_mb_per_s
        .map_or_else(|| "no added time".to_string(), |mb| format!("{mb:.0} MB/s"));
    format!(
        "{} + {} streams of {:.1} MiB: TTFB p50 {} / {} µs, p90 {} / {} µs\n\
         (with / without); full download {:.1} / {:.1} ms, {:.0} / {:.0} MB/s end\n\
         to end; scanner throughput {scanner}.\n",
        s.requests_with,
        s.requests_without,
        s.bytes as f64 / 1048576.0,
        s.ttfb_p50_us_with,
        s.ttfb_p50_us_without,
        s.ttfb_p90_us_with,
        s.ttfb_p90_us_without,
        s.seconds_mean_with * 1000.0,
        s.seconds_mean_without * 1000.0,
        s.mb_per_s_with,
        s.mb_per_s_without,
    )
}

/// The memory the filter adds per Envoy worker, and how it was found.
/// With `4k_benign` measured at two worker counts: the slope between them
/// (each worker has its own VM; Envoy's main thread has one more, and V8
/// itself is paid once). With one count only: everything added, divided by
/// the workers, which overstates it.
fn memory_per_worker(report: &Report) -> Option<(f64, String)> {
    let added = |f: &Figures| (f.workers, f.rss_mib_with - f.rss_mib_without);
    let mut points: Vec<(u32, f64)> = report
        .mixes
        .iter()
        .filter(|(name, _)| name == "4k_benign" || name.starts_with("4k_benign_w"))
        .map(|(_, f)| added(f))
        .collect();
    points.sort_by_key(|&(workers, _)| workers);
    match (points.first(), points.last()) {
        (Some(&(w1, m1)), Some(&(w2, m2))) if w2 > w1 => {
            let slope = (m2 - m1) / f64::from(w2 - w1);
            let once = m1 - slope * f64::from(w1);
            Some((
                slope,
                format!("{slope:.1} MiB per worker, {once:.0} MiB once (workers {w1} and {w2})"),
            ))
        }
        (Some(&(w, m)), _) => {
            let per = m / f64::from(w.max(1));
            Some((
                per,
                format!("{per:.1} MiB ({m:.0} MiB added with {w} worker(s))"),
            ))
        }
        _ => None,
    }
}

/// The figures as a Markdown table, one row per mix.
pub fn table(report: &Report) -> String {
    let mut out = String::from(
        "| mix | conns | workers | rps with | rps without | ratio | p50 µs with / without | p90 µs with / without | p99 µs with / without | RSS MiB with / without | filter µs/request |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (name, f) in &report.mixes {
        let filter = f
            .filter_us_mean
            .map_or_else(|| "-".to_string(), |us| format!("{us:.0}"));
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {:.0} | {:.0} | {:.2} | {} / {} | {} / {} | {} / {} | {:.1} / {:.1} | {filter} |",
            f.connections,
            f.workers,
            f.rps_with,
            f.rps_without,
            f.ratio,
            f.p50_us_with,
            f.p50_us_without,
            f.p90_us_with,
            f.p90_us_without,
            f.p99_us_with,
            f.p99_us_without,
            f.rss_mib_with,
            f.rss_mib_without,
        );
    }
    out
}

pub fn goals_table(goals: &[Goal]) -> String {
    let mut out = String::from("| goal | target | measured | met |\n|---|---|---|---|\n");
    for g in goals {
        let met = if g.met { "yes" } else { "no" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {met} |",
            g.what, g.target, g.measured
        );
    }
    out
}

/// The machine and the Envoy, as the page notes them.
pub fn machine() -> String {
    let envoy = tools::envoy()
        .ok()
        .and_then(|e| Command::new(e).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        // "<path>  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL": the number.
        .and_then(|v| {
            let version = v.split("version:").nth(1)?;
            version.split('/').nth(1).map(|n| n.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    format!("{}; Envoy {envoy}", tools::machine())
}

/// Writes `dir/latest.json` and, when `page` is given, the Markdown page.
pub fn write(report: &Report, dir: &Path, page: Option<&Path>, when: &str) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&report.json())?;
    std::fs::write(dir.join("latest.json"), json + "\n")
        .with_context(|| format!("writing {}", dir.join("latest.json").display()))?;
    if let Some(page) = page {
        std::fs::write(page, markdown(report, when))
            .with_context(|| format!("writing {}", page.display()))?;
    }
    Ok(())
}

fn markdown(report: &Report, when: &str) -> String {
    format!(
        "# Benchmarks: Envoy with and without the Sentinel filter\n\n\
         Written by `just bench` on {when}, on {machine}. Run it again to\n\
         replace this page; `just bench --quick` measures the 4 KiB mixes only\n\
         and leaves it alone.\n\n\
         Two Envoys with the same configuration (`envoy/local.yaml`, once as is\n\
         and once without the filter's lines) in front of the same minimal\n\
         upstream, each driven in turn by the same closed-loop load generator\n\
         (one thread, keep-alive connections) with the same bodies: {rounds}\n\
         rounds of {seconds} s per side per mix, A B A B. The bodies are OpenAI\n\
         chat completions made of the benign prompts in\n\
         `engines/corpus/benign.jsonl`; an attack body ends with a prompt\n\
         injection, which the filter refuses (403) after reading the whole body.\n\
         Every message carries a number unique to the request, so no text\n\
         repeats and every one is scanned; `4k_chat` is the exception, as a\n\
         chat client sends it turn after turn: the same history, one new\n\
         message (the filter remembers the verdicts of texts it judged).\n\
         The filter runs every engine in enforce mode and sends its decision\n\
         events to a real sidecar (Redis Cluster, Postgres) on the same machine.\n\n\
         Latencies are the client's. \"filter µs/request\" is the filter's own\n\
         histogram (`sentinel_filter_time_us`: time in its callbacks, parsing,\n\
         scanning and deciding). RSS is Envoy's resident memory after the mix;\n\
         the memory per worker is the slope between the 1- and 2-worker pairs.\n\
         With one worker, the mixes saturate it: latency at 8 connections is\n\
         mostly waiting behind the other requests, so the added latency is\n\
         also given at 1 connection.\n\n\
         ## Goals\n\n{goals}\n\
         Policy build (parse and engine compile) per worker VM: {build:.1} ms\n\
         (`sentinel_policy_build_us`).\n\n\
         ## Streams\n\n\
         Streamed answers (`text/event-stream`) are judged as they flow, a\n\
         small window of text held back. Each Envoy gets one kept-alive\n\
         connection and one request at a time, the sides in turn; every\n\
         request asks for the upstream's 4 MiB stream of OpenAI\n\
         `chat.completion.chunk` events, 4 characters of benign prose each: the\n\
         first kilobyte of events, then after 2 ms (a model's first tokens come\n\
         before the bulk of its answer) the rest in 16 KiB pieces as fast as\n\
         the connection takes them. The client times each request from just before it\n\
         is written to the first byte of the body (TTFB) and to its last\n\
         byte (full download), with and without the filter. The stream is\n\
         clean, so the filter passes it byte for byte (any other length fails\n\
         the run); its scanner throughput is the stream's bytes over the time\n\
         it adds to the mean download (MB = 10^6 bytes).\n\n{streams}\n\
         ## Figures\n\n{table}",
        machine = machine(),
        rounds = report.rounds,
        seconds = report.seconds,
        goals = goals_table(&goals(report)),
        build = report.build_us as f64 / 1000.0,
        table = table(report),
        streams = streams_text(report),
    )
}
