//! Processes with a log file and a pid file, stopped by pid.
//!
//! The tests own their processes ([`Proc`] stops them on drop, also when a
//! test fails); `just up` detaches them and `just down` stops them by the pid
//! files left in the run folder.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

#[derive(Debug)]
pub struct Proc {
    pub name: String,
    pub pid: i32,
    pid_file: PathBuf,
    child: Option<Child>,
    signal: Signal,
    stop_on_drop: bool,
}

/// Starts `cmd` in its own process group (a Ctrl-C in the terminal that ran
/// `just up` must not reach it) with stdout and stderr in `<dir>/<name>.log`.
pub fn spawn(name: &str, cmd: &mut Command, dir: &Path) -> Result<Proc> {
    fs::create_dir_all(dir)?;
    let log_path = dir.join(format!("{name}.log"));
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {name}: {cmd:?}"))?;
    let pid = child.id() as i32;
    let pid_file = dir.join(format!("{name}.pid"));
    fs::write(&pid_file, format!("{pid}\n"))?;
    Ok(Proc {
        name: name.to_string(),
        pid,
        pid_file,
        child: Some(child),
        signal: Signal::SIGTERM,
        stop_on_drop: true,
    })
}

impl Proc {
    /// A process started by someone else (e.g. `pg_ctl`), known by its pid.
    pub fn adopt(name: &str, pid: i32, pid_file: PathBuf, signal: Signal) -> Proc {
        Proc {
            name: name.to_string(),
            pid,
            pid_file,
            child: None,
            signal,
            stop_on_drop: true,
        }
    }

    /// Signal used to stop it (Postgres: SIGINT is its fast shutdown).
    pub fn with_stop_signal(mut self, signal: Signal) -> Self {
        self.signal = signal;
        self
    }

    /// Leaves the process running after this handle is gone (`just up`).
    pub fn detach(mut self) {
        self.leave_running();
    }

    /// [`Proc::detach`] for a handle that cannot be moved out.
    pub fn leave_running(&mut self) {
        self.stop_on_drop = false;
    }

    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => pid_alive(self.pid),
        }
    }

    /// Stops it by pid: the polite signal, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) -> Result<()> {
        let result = match self.child.as_mut() {
            Some(child) => stop_child(child, self.signal, grace),
            None => stop_pid(self.pid, self.signal, grace),
        };
        let _ = fs::remove_file(&self.pid_file);
        result.with_context(|| format!("stopping {} (pid {})", self.name, self.pid))
    }

    /// Sends its stop signal without waiting: it may take its time (a
    /// draining sidecar); [`Proc::stop`] waits for it later. Not for a
    /// detached process: that one is left running.
    pub fn terminate(&self) {
        if self.stop_on_drop {
            let _ = kill(Pid::from_raw(self.pid), self.signal);
        }
    }

    /// Kills it at once, like a crash (`kill -9`).
    pub fn kill9(&mut self) -> Result<()> {
        self.signal = Signal::SIGKILL;
        self.stop(Duration::from_secs(5))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.stop_on_drop && self.is_running() {
            let _ = self.stop(Duration::from_secs(10));
        }
    }
}

/// True while `pid` runs. A zombie counts as gone: a daemon whose parent
/// exited may wait for a reaper that never comes.
pub fn pid_alive(pid: i32) -> bool {
    pid > 0 && kill(Pid::from_raw(pid), None).is_ok() && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // The state follows the command name, which is in parentheses.
            let after = stat.rsplit_once(')')?.1;
            after.trim_start().chars().next()
        })
        == Some('Z')
}

/// Reads a pid file; `None` when absent, unreadable or the process is gone.
pub fn live_pid(pid_file: &Path) -> Option<i32> {
    let text = fs::read_to_string(pid_file).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    pid_alive(pid).then_some(pid)
}

fn stop_child(child: &mut Child, signal: Signal, grace: Duration) -> Result<()> {
    let pid = Pid::from_raw(child.id() as i32);
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    let _ = kill(pid, signal);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(pid, Signal::SIGKILL);
    child.wait()?;
    Ok(())
}

pub fn stop_pid(pid: i32, signal: Signal, grace: Duration) -> Result<()> {
    if !pid_alive(pid) {
        return Ok(());
    }
    let target = Pid::from_raw(pid);
    let _ = kill(target, signal);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !pid_alive(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(target, Signal::SIGKILL);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !pid_alive(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("pid {pid} survived SIGKILL")
}
