//! What a drill reports: one line of `key=value` figures (drill, requests
//! sent, failures, attacks that slipped through, RTO seconds, RPO events,
//! then figures of its own), and the Markdown table `just drills` makes of
//! those lines.

use std::fmt;
use std::time::Duration;

/// The load of a drill: `SENTINEL_DRILL_RATE` requests a second for
/// `SENTINEL_DRILL_SECONDS` (`just drills` sets 200 and 20); by default
/// the short form `just test` runs, 40 a second for 10 s.
pub fn load_shape() -> (u32, Duration) {
    let read = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    };
    let rate = u32::try_from(read("SENTINEL_DRILL_RATE", 40)).unwrap_or(40);
    (
        rate,
        Duration::from_secs(read("SENTINEL_DRILL_SECONDS", 10)),
    )
}

/// The cargo profile of the drills' sidecars: `SENTINEL_DRILL_PROFILE`,
/// else `debug` (what `just test` builds).
pub fn profile() -> &'static str {
    match std::env::var("SENTINEL_DRILL_PROFILE").as_deref() {
        Ok("release") => "release",
        _ => "debug",
    }
}

pub struct Figures {
    pub drill: &'static str,
    pub sent: u64,
    pub failures: u64,
    pub slipped: u64,
    /// Seconds until the drill's recovery (what it is, the drill says).
    pub rto_s: Option<f64>,
    /// Acknowledged events missing afterwards.
    pub rpo_events: Option<i64>,
    pub notes: Vec<(&'static str, String)>,
}

impl Figures {
    pub fn note(mut self, key: &'static str, value: impl fmt::Display) -> Figures {
        self.notes.push((key, value.to_string()));
        self
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "drill={} sent={} failures={} slipped={}",
            self.drill, self.sent, self.failures, self.slipped
        )?;
        match self.rto_s {
            Some(s) => write!(f, " rto_s={s:.1}")?,
            None => write!(f, " rto_s=-")?,
        }
        match self.rpo_events {
            Some(n) => write!(f, " rpo_events={n}")?,
            None => write!(f, " rpo_events=-")?,
        }
        for (key, value) in &self.notes {
            write!(f, " {key}={value}")?;
        }
        Ok(())
    }
}

/// The columns every line has, in the table's order.
const COLUMNS: [(&str, &str); 6] = [
    ("drill", "Drill"),
    ("sent", "Requests"),
    ("failures", "Failures"),
    ("slipped", "Attacks through"),
    ("rto_s", "RTO (s)"),
    ("rpo_events", "RPO (events)"),
];

/// The `drill=` lines in `log`, from `drill=` on: with `--nocapture`, a
/// test's output follows the harness' `test name ... ` on the same line.
pub fn lines(log: &str) -> impl Iterator<Item = &str> {
    log.lines()
        .filter_map(|l| l.find("drill=").map(|at| l[at..].trim()))
}

/// A Markdown table of the `drill=` lines in `log`, one row each, in
/// order; with `others`, a last column of the figures beyond the common
/// ones.
pub fn table(log: &str, others: bool) -> String {
    let mut out = String::from("|");
    for (_, title) in COLUMNS {
        out.push_str(&format!(" {title} |"));
    }
    if others {
        out.push_str(" Other figures |");
    }
    out.push_str("\n|");
    out.push_str(&"---|".repeat(COLUMNS.len() + usize::from(others)));
    out.push('\n');
    for line in lines(log) {
        let pairs: Vec<(&str, &str)> = line
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let value = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map_or("-", |(_, v)| *v)
        };
        out.push('|');
        for (key, _) in COLUMNS {
            out.push_str(&format!(" {} |", value(key)));
        }
        if others {
            let rest: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| !COLUMNS.iter().any(|(c, _)| c == k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            out.push_str(&format!(" {} |", rest.join(", ")));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_rows() {
        let line = Figures {
            drill: "pod-loss",
            sent: 400,
            failures: 1,
            slipped: 0,
            rto_s: Some(0.24),
            rpo_events: None,
            notes: Vec::new(),
        }
        .note("rejoined_s", 2);
        assert_eq!(
            line.to_string(),
            "drill=pod-loss sent=400 failures=1 slipped=0 rto_s=0.2 rpo_events=- rejoined_s=2"
        );
        let log = format!("noise\ntest pod_loss ... {line}\nok\n");
        let full = table(&log, true);
        let rows: Vec<&str> = full.lines().collect();
        assert_eq!(rows.len(), 3, "{full}");
        assert_eq!(
            rows[2],
            "| pod-loss | 400 | 1 | 0 | 0.2 | - | rejoined_s=2 |"
        );
        let short = table(&log, false);
        assert_eq!(
            short.lines().nth(2),
            Some("| pod-loss | 400 | 1 | 0 | 0.2 | - |")
        );
    }
}
