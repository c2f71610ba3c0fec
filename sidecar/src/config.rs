//! Command line: `serve`, `scan`, `eval`, `migrate` and the recovery
//! commands (`backup`, `restore`, `rebuild-state`), with environment
//! fallbacks for what a Kubernetes manifest sets.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sentinel_engines::{Engine, DEFAULT_BLOCK_THRESHOLD};

use crate::export::Format as ExportFormat;

#[derive(Debug, Parser)]
#[command(name = "sentinel-sidecar", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve /health, /ready, /v1/scan and /v1/events; move events to Postgres.
    Serve(ServeConfig),
    /// Judge texts and print one JSON verdict per text (JSON Lines).
    ///
    /// Input: the TEXT argument (one text); else `--jsonl FILE` (`-` for
    /// stdin), one `{"text": ...}` object per line; else stdin, one text per
    /// line. Blank lines are skipped. Exits 0 whatever the verdicts are.
    Scan(ScanArgs),
    /// Measure the engines on labelled corpora: TP/FP/FN/TN, precision,
    /// recall and false-positive rate per engine and in total.
    ///
    /// Default corpora: every `engines/corpus/*.jsonl` of the workspace plus
    /// `../shared/corpus/dev.jsonl` when present. An attack counts for its
    /// labelled engine when blocked with a detection of that engine; for pii
    /// and secrets a detection suffices (PII alone never blocks), and a
    /// pii/secrets detection in a text without such a planted value is a
    /// false positive. Exits 0 whatever the figures; non-zero only on
    /// unreadable input.
    Eval(EvalArgs),
    /// Apply the Postgres schema migrations not applied yet, then exit.
    Migrate(MigrateArgs),
    /// Write a consistent dump of the Postgres record (pg_dump custom
    /// format) and a manifest of its row counts and checksums into a new
    /// folder.
    Backup(BackupArgs),
    /// Restore a backup into a fresh, empty database and check it against
    /// its manifest.
    Restore(RestoreArgs),
    /// Rebuild the quarantines in Redis from the block events in Postgres
    /// (after Redis lost its data).
    RebuildState(RebuildStateArgs),
    /// Print the `response.system_prompts` entry of a filter policy for a
    /// system prompt (read from FILE or stdin): its word shingles, hashed,
    /// so the policy never holds the prompt itself.
    Fingerprint(FingerprintArgs),
}

// No Debug derive: the URLs may carry passwords and must not reach the logs.
#[derive(Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "SENTINEL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Redis Cluster seed nodes, comma-separated (redis://host:port,...).
    #[arg(
        long,
        env = "REDIS_URLS",
        value_delimiter = ',',
        required = true,
        hide_env_values = true
    )]
    pub redis_urls: Vec<String>,

    /// Postgres connection string (URL or key=value form; several hosts with
    /// target_session_attrs=read-write follow a failover).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    #[command(flatten)]
    pub detection: DetectionArgs,

    #[command(flatten)]
    pub events: EventArgs,

    /// Boxed: the URL would make `Command::Serve` much the largest variant.
    #[command(flatten)]
    pub export: Box<ExportArgs>,

    /// On SIGTERM, how long to keep serving with `/ready` at 503 before
    /// stopping, in milliseconds: Kubernetes signals all of a pod's
    /// containers at once, and meanwhile the balancer takes the pod out of
    /// rotation and the filter hands over the events it still holds (it
    /// sends every 500 ms). Keep the pod's grace period above it.
    #[arg(long, env = "SENTINEL_DRAIN_MS", default_value_t = 5000)]
    pub drain_ms: u64,

    /// An admin API token to accept (stored hashed in Postgres at start;
    /// more can be made with `sentinel-sidecar token`). Set it from a Secret.
    #[arg(long, env = "SENTINEL_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("redis_nodes", &self.redis_urls.len())
            .field("detection", &self.detection)
            .field("events", &self.events)
            .field("export", &self.export)
            .finish_non_exhaustive()
    }
}

/// SIEM export of incidents (see `export`); off unless a file or URL is set.
#[derive(Clone, Args)]
pub struct ExportArgs {
    /// Append incidents to this file as JSON lines (fsynced per batch).
    #[arg(long, env = "SENTINEL_EXPORT_FILE", conflicts_with = "export_url")]
    pub export_file: Option<PathBuf>,

    /// POST incidents to this URL as JSON lines. http:// only: this build
    /// has no TLS, so point it at a collector or forwarder in the cluster.
    #[arg(long, env = "SENTINEL_EXPORT_URL", value_parser = parse_export_url,
          hide_env_values = true)]
    pub export_url: Option<reqwest::Url>,

    /// Record format: ECS documents, or ECS in Splunk HEC envelopes.
    #[arg(long, env = "SENTINEL_EXPORT_FORMAT", value_enum, default_value_t = ExportFormat::Ecs)]
    pub export_format: ExportFormat,

    /// Splunk HEC token, sent as `Authorization: Splunk <token>`.
    #[arg(
        long,
        env = "SENTINEL_EXPORT_HEC_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub export_hec_token: Option<String>,

    /// How often the lease holder looks for new incidents, in milliseconds.
    #[arg(long, env = "SENTINEL_EXPORT_INTERVAL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub export_interval_ms: u64,
}

impl Default for ExportArgs {
    fn default() -> Self {
        ExportArgs {
            export_file: None,
            export_url: None,
            export_format: ExportFormat::Ecs,
            export_hec_token: None,
            export_interval_ms: 1000,
        }
    }
}

// By hand: the URL may carry credentials and the token is a secret.
impl std::fmt::Debug for ExportArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportArgs")
            .field("export_file", &self.export_file)
            .field("export_url", &self.export_url.is_some())
            .field("export_format", &self.export_format)
            .field("export_interval_ms", &self.export_interval_ms)
            .finish_non_exhaustive()
    }
}

fn parse_export_url(s: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    if url.scheme() != "http" {
        return Err("only http:// URLs (this build has no TLS)".to_string());
    }
    Ok(url)
}

/// Where decision events wait for Postgres (docs/events.md).
#[derive(Debug, Clone, Args)]
pub struct EventArgs {
    /// Folder of the event spool (created if missing). Events acknowledged
    /// to the filter live here until they are in Postgres.
    #[arg(long, env = "SENTINEL_SPOOL_DIR", default_value = "spool")]
    pub spool_dir: PathBuf,

    /// Size bound of the spool; beyond it `POST /v1/events` answers 503.
    /// At least 16 MiB, so that any accepted batch (4 MiB at most) can fit.
    #[arg(long, env = "SENTINEL_SPOOL_MAX_BYTES", default_value_t = 1 << 30,
          value_parser = clap::value_parser!(u64).range(16 << 20..))]
    pub spool_max_bytes: u64,

    /// How often spooled events are moved to Postgres, in milliseconds.
    #[arg(long, env = "SENTINEL_FLUSH_INTERVAL_MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub flush_interval_ms: u64,

    /// Stored with each event as `pod` (default: the host name).
    #[arg(long, env = "POD_NAME", default_value_t = default_pod_name())]
    pub pod_name: String,
}

fn default_pod_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "local".to_string())
}

// No Debug derive: the URL may carry a password.
#[derive(Args)]
pub struct MigrateArgs {
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

impl std::fmt::Debug for MigrateArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrateArgs").finish_non_exhaustive()
    }
}

/// The database a PostgreSQL client program (`pg_dump`, `pg_restore`)
/// works on, and where that program is.
// No Debug derive: the URL may carry a password.
#[derive(Args)]
pub struct PgToolArgs {
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Folder of pg_dump and pg_restore (default: found on PATH).
    #[arg(long, env = "PG_BIN_DIR", value_name = "DIR")]
    pub pg_bin_dir: Option<PathBuf>,
}

impl std::fmt::Debug for PgToolArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgToolArgs")
            .field("pg_bin_dir", &self.pg_bin_dir)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The database to back up.
    #[command(flatten)]
    pub pg: PgToolArgs,

    /// Folder for the dump and its manifest (created if missing; one that
    /// already holds a backup is refused).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Folder of a backup (its manifest and dump).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,

    /// A fresh, empty database to restore into.
    #[command(flatten)]
    pub pg: PgToolArgs,
}

// No Debug derive: the URLs may carry passwords.
#[derive(Args)]
pub struct RebuildStateArgs {
    /// Postgres connection string (the record to replay).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Redis Cluster seed nodes, comma-separated (redis://host:port,...).
    #[arg(
        long,
        env = "REDIS_URLS",
        value_delimiter = ',',
        required = true,
        hide_env_values = true
    )]
    pub redis_urls: Vec<String>,
}

impl std::fmt::Debug for RebuildStateArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RebuildStateArgs")
            .field("redis_nodes", &self.redis_urls.len())
            .finish_non_exhaustive()
    }
}

/// What the engines run and where allow turns into block; shared by `serve`
/// and `scan` so both judge alike.
#[derive(Debug, Clone, Args)]
pub struct DetectionArgs {
    /// Risk score at or above which a text is blocked (0..=1).
    #[arg(long, env = "SENTINEL_THRESHOLD", default_value_t = DEFAULT_BLOCK_THRESHOLD, value_parser = parse_threshold)]
    pub threshold: f32,

    /// Engines to run, comma-separated (default: all of injection, jailbreak,
    /// pii, secrets).
    #[arg(long, env = "SENTINEL_ENGINES", value_delimiter = ',')]
    pub engines: Vec<Engine>,
}

impl DetectionArgs {
    /// The engines asked for, or all of them when none were named.
    pub fn engines(&self) -> &[Engine] {
        if self.engines.is_empty() {
            &Engine::ALL
        } else {
            &self.engines
        }
    }
}

impl Default for DetectionArgs {
    fn default() -> Self {
        DetectionArgs {
            threshold: DEFAULT_BLOCK_THRESHOLD,
            engines: Vec::new(),
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Text to judge; without it (and without --jsonl) stdin is read, one
    /// text per line.
    #[arg(conflicts_with = "jsonl")]
    pub text: Option<String>,

    /// JSON Lines input, one {"text": "..."} object per line; `-` is stdin.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,

    #[command(flatten)]
    pub detection: DetectionArgs,
}

#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// The name the policy gives the prompt (reported with a leak).
    #[arg(long)]
    pub id: String,

    /// The prompt's file; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled JSONL corpus to read (repeatable); replaces the defaults.
    #[arg(long, value_name = "FILE")]
    pub corpus: Vec<PathBuf>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Risk score at or above which a text is blocked (0..=1).
    #[arg(long, default_value_t = DEFAULT_BLOCK_THRESHOLD, value_parser = parse_threshold)]
    pub threshold: f32,
}

fn parse_threshold(s: &str) -> Result<f32, String> {
    let value: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside 0..=1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_reads_flags() {
        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--redis-urls",
            "redis://127.0.0.1:7000,redis://127.0.0.1:7001",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/sentinel",
            "--engines",
            "pii,secrets",
        ])
        .expect("valid flags");
        let Command::Serve(config) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(config.redis_urls.len(), 2);
        assert_eq!(config.detection.engines(), [Engine::Pii, Engine::Secrets]);
        assert_eq!(config.detection.threshold, DEFAULT_BLOCK_THRESHOLD);
        assert_eq!(config.events.spool_dir, PathBuf::from("spool"));
        assert_eq!(config.events.flush_interval_ms, 200);
        assert_eq!(config.events.spool_max_bytes, 1 << 30);
        assert!(!config.events.pod_name.is_empty());
    }

    #[test]
    fn serve_reads_event_flags_and_migrate_its_url() {
        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "serve",
            "--redis-urls",
            "redis://127.0.0.1:7000",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/sentinel",
            "--spool-dir",
            "/var/spool/sentinel",
            "--spool-max-bytes",
            "16777216",
            "--flush-interval-ms",
            "50",
            "--pod-name",
            "pod-7",
        ])
        .expect("valid flags");
        let Command::Serve(config) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(
            config.events.spool_dir,
            PathBuf::from("/var/spool/sentinel")
        );
        assert_eq!(config.events.spool_max_bytes, 16 << 20);
        assert_eq!(config.events.flush_interval_ms, 50);
        assert_eq!(config.events.pod_name, "pod-7");

        let zero = Cli::try_parse_from([
            "sentinel-sidecar",
            "serve",
            "--redis-urls",
            "redis://127.0.0.1:7000",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/sentinel",
            "--flush-interval-ms",
            "0",
        ]);
        assert!(zero.is_err());
        let tiny = Cli::try_parse_from([
            "sentinel-sidecar",
            "serve",
            "--redis-urls",
            "redis://127.0.0.1:7000",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/sentinel",
            "--spool-max-bytes",
            "1048576",
        ]);
        assert!(tiny.is_err(), "a spool smaller than one batch");

        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "migrate",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1/db",
        ])
        .expect("valid flags");
        assert!(matches!(cli.command, Command::Migrate(_)));
        assert!(!format!("{cli:?}").contains("hunter2"));
    }

    #[test]
    fn export_flags() {
        let serve = |extra: &[&str]| {
            let args = [
                "sentinel-sidecar",
                "serve",
                "--redis-urls",
                "redis://127.0.0.1:7000",
                "--database-url",
                "postgres://postgres@127.0.0.1:5432/sentinel",
            ];
            Cli::try_parse_from(args.iter().chain(extra)).map(|cli| match cli.command {
                Command::Serve(config) => config.export,
                _ => panic!("expected serve"),
            })
        };
        let off = serve(&[]).expect("valid");
        assert!(off.export_file.is_none() && off.export_url.is_none());
        assert_eq!(off.export_format, ExportFormat::Ecs);
        assert_eq!(off.export_interval_ms, 1000);

        let hec = serve(&[
            "--export-url",
            "http://127.0.0.1:8088/services/collector/event",
            "--export-format",
            "hec",
            "--export-hec-token",
            "hunter2",
            "--export-interval-ms",
            "250",
        ])
        .expect("valid");
        assert_eq!(hec.export_format, ExportFormat::Hec);
        assert_eq!(hec.export_interval_ms, 250);
        assert!(!format!("{hec:?}").contains("hunter2"));

        for bad in [
            &["--export-url", "https://siem.example.com/"][..],
            &["--export-url", "not a url"],
            &["--export-format", "cef"],
            &["--export-interval-ms", "0"],
            &[
                "--export-file",
                "/tmp/x",
                "--export-url",
                "http://127.0.0.1:1/",
            ],
        ] {
            assert!(serve(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scan_rejects_bad_threshold_and_engine() {
        for bad in [
            ["scan", "--threshold", "1.5"],
            ["scan", "--threshold", "NaN"],
            ["scan", "--engines", "magic"],
        ] {
            let args = std::iter::once("sentinel-sidecar").chain(bad);
            assert!(Cli::try_parse_from(args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scan_text_and_jsonl_conflict() {
        let parsed = Cli::try_parse_from(["sentinel-sidecar", "scan", "hi", "--jsonl", "-"]);
        assert!(parsed.is_err());
    }

    #[test]
    fn recovery_commands_read_their_flags() {
        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "backup",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1/db",
            "--out",
            "/backups/b1",
            "--pg-bin-dir",
            "/usr/lib/postgresql/15/bin",
        ])
        .expect("valid flags");
        assert!(!format!("{cli:?}").contains("hunter2"));
        let Command::Backup(args) = cli.command else {
            panic!("expected backup");
        };
        assert_eq!(args.out, PathBuf::from("/backups/b1"));
        assert_eq!(
            args.pg.pg_bin_dir,
            Some(PathBuf::from("/usr/lib/postgresql/15/bin"))
        );

        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "restore",
            "--from",
            "/backups/b1",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1/fresh",
        ])
        .expect("valid flags");
        assert!(!format!("{cli:?}").contains("hunter2"));
        let Command::Restore(args) = cli.command else {
            panic!("expected restore");
        };
        assert_eq!(args.from, PathBuf::from("/backups/b1"));

        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "rebuild-state",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1/db",
            "--redis-urls",
            "redis://:hunter2@127.0.0.1:7000,redis://127.0.0.1:7001",
        ])
        .expect("valid flags");
        assert!(!format!("{cli:?}").contains("hunter2"));
        let Command::RebuildState(args) = cli.command else {
            panic!("expected rebuild-state");
        };
        assert_eq!(args.redis_urls.len(), 2);

        // Where to write is never guessed.
        let no_out = Cli::try_parse_from([
            "sentinel-sidecar",
            "backup",
            "--database-url",
            "postgres://127.0.0.1/db",
        ]);
        assert!(no_out.is_err());
    }

    #[test]
    fn debug_hides_urls() {
        let cli = Cli::try_parse_from([
            "sentinel-sidecar",
            "serve",
            "--redis-urls",
            "redis://:hunter2@127.0.0.1:7000",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1/db",
        ])
        .expect("valid flags");
        assert!(!format!("{cli:?}").contains("hunter2"));
    }
}
