//! The local event spool: a folder of numbered, append-only segment files,
//! one JSON event per line. Ingest appends to the active segment and fsyncs
//! before it acknowledges; the writer seals the active segment (new events
//! go to a fresh one), moves sealed segments to Postgres and deletes them.
//!
//! Only an unacknowledged append can be torn, so a reader skips a bad line
//! rather than refusing the segment.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::Context;

use crate::events::Event;

const SUFFIX: &str = "jsonl";

#[derive(Debug)]
pub enum AppendError {
    /// Appending would take the spool past its size bound.
    Full,
    Io(io::Error),
}

/// A sealed segment, ready for the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub seq: u64,
    pub path: PathBuf,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes in every segment, the active one included.
    bytes: AtomicU64,
    active: Mutex<Active>,
}

#[derive(Debug)]
struct Active {
    seq: u64,
    file: File,
    len: u64,
}

impl Spool {
    /// Opens `dir` (created if missing). Segments left by an earlier run stay
    /// for the writer to replay; appends go to a new segment after them.
    pub fn open(dir: &Path, max_bytes: u64) -> anyhow::Result<Spool> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the spool folder {}", dir.display()))?;
        let mut bytes = 0;
        let mut last = 0;
        for segment in list(dir)? {
            bytes += fs::metadata(&segment.path)
                .with_context(|| format!("cannot read {}", segment.path.display()))?
                .len();
            last = segment.seq;
        }
        let active = create(dir, last + 1)
            .with_context(|| format!("cannot write to the spool folder {}", dir.display()))?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            bytes: AtomicU64::new(bytes),
            active: Mutex::new(active),
        })
    }

    /// Appends `events` as one batch and fsyncs: on `Ok` they survive a
    /// crash. On failure nothing of the batch counts as written.
    pub fn append(&self, events: &[Event]) -> Result<(), AppendError> {
        let mut batch = Vec::new();
        for event in events {
            serde_json::to_writer(&mut batch, event)
                .map_err(|e| AppendError::Io(io::Error::other(e)))?;
            batch.push(b'\n');
        }
        let mut active = self.lock();
        let size = batch.len() as u64;
        if self.bytes.load(Ordering::Relaxed) + size > self.max_bytes {
            return Err(AppendError::Full);
        }
        let written = active
            .file
            .write_all(&batch)
            .and_then(|()| active.file.sync_data());
        if let Err(error) = written {
            // Cut the partial batch off so that later lines do not follow
            // torn bytes; failing that, later batches go to a new segment.
            let len = active.len;
            let undone = active
                .file
                .set_len(len)
                .and_then(|()| active.file.sync_data());
            if undone.is_err() {
                let partial = active
                    .file
                    .metadata()
                    .map_or(0, |m| m.len().saturating_sub(len));
                self.bytes.fetch_add(partial, Ordering::Relaxed);
                self.rotate(&mut active).map_err(AppendError::Io)?;
            }
            return Err(AppendError::Io(error));
        }
        active.len += size;
        self.bytes.fetch_add(size, Ordering::Relaxed);
        Ok(())
    }

    /// Seals the active segment unless it is empty.
    pub fn seal(&self) -> io::Result<()> {
        let mut active = self.lock();
        if active.len == 0 {
            return Ok(());
        }
        self.rotate(&mut active)
    }

    /// Sealed segments, oldest first.
    pub fn sealed(&self) -> io::Result<Vec<Segment>> {
        let active = self.lock().seq;
        let mut segments = list(&self.dir)?;
        segments.retain(|s| s.seq < active);
        Ok(segments)
    }

    /// Deletes a sealed segment whose events are stored.
    pub fn remove(&self, segment: &Segment) -> io::Result<()> {
        let size = fs::metadata(&segment.path)?.len();
        fs::remove_file(&segment.path)?;
        self.bytes.fetch_sub(size, Ordering::Relaxed);
        sync_dir(&self.dir)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn rotate(&self, active: &mut Active) -> io::Result<()> {
        *active = create(&self.dir, active.seq + 1)?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Active> {
        // A panic mid-append leaves at most a torn line, which readers skip.
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Creates segment `seq` and makes its name durable before anything is
/// acknowledged from it.
fn create(dir: &Path, seq: u64) -> io::Result<Active> {
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(dir.join(format!("{seq:020}.{SUFFIX}")))?;
    sync_dir(dir)?;
    Ok(Active { seq, file, len: 0 })
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Segment files in `dir`, oldest first; other files are left alone.
fn list(dir: &Path) -> io::Result<Vec<Segment>> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let seq = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(SUFFIX)?.strip_suffix('.'))
            .and_then(|n| n.parse().ok());
        if let Some(seq) = seq {
            segments.push(Segment { seq, path });
        }
    }
    segments.sort_by_key(|s| s.seq);
    Ok(segments)
}

/// What one segment line holds.
#[derive(Debug)]
pub enum Line {
    Event(Box<Event>),
    /// Torn or corrupt: not valid JSON, not a valid event, or no newline.
    Bad,
}

/// Reads one line of a segment (the bytes up to and with its newline).
pub fn parse_line(bytes: &[u8]) -> Line {
    let Some(json) = bytes.strip_suffix(b"\n") else {
        return Line::Bad;
    };
    match serde_json::from_slice::<Event>(json) {
        Ok(event) if event.validate().is_ok() => Line::Event(Box::new(event)),
        _ => Line::Bad,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::events::tests::event_json;
    use std::io::{BufRead, BufReader};

    /// A fresh folder under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(name: &str) -> TempDir {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("sentinel-{name}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn event(id: &str) -> Event {
        let mut event: Event = serde_json::from_value(event_json(id)).expect("valid event");
        event.pod = "pod-a".to_string();
        event
    }

    fn read(segment: &Segment) -> (Vec<String>, usize) {
        let mut reader = BufReader::new(File::open(&segment.path).expect("open"));
        let (mut ids, mut bad) = (Vec::new(), 0);
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line).expect("read") == 0 {
                return (ids, bad);
            }
            match parse_line(&line) {
                Line::Event(e) => ids.push(e.id),
                Line::Bad => bad += 1,
            }
        }
    }

    #[test]
    fn appends_seal_in_order_and_replay_after_reopen() {
        let dir = TempDir::new("spool-order");
        let spool = Spool::open(&dir.0, 1 << 20).expect("open");
        assert_eq!(spool.sealed().expect("list"), []);
        spool.seal().expect("empty seal");
        assert_eq!(spool.sealed().expect("list"), [], "an empty segment stays");

        spool.append(&[event("a"), event("b")]).expect("append");
        spool.append(&[event("c")]).expect("append");
        spool.seal().expect("seal");
        spool.append(&[event("d")]).expect("append");
        let sealed = spool.sealed().expect("list");
        assert_eq!(sealed.len(), 1);
        assert_eq!(
            read(&sealed[0]),
            (vec!["a".into(), "b".into(), "c".into()], 0)
        );
        let bytes = spool.bytes();
        drop(spool);

        // A restart finds both segments, the unsealed one included.
        let spool = Spool::open(&dir.0, 1 << 20).expect("reopen");
        assert_eq!(spool.bytes(), bytes);
        let sealed = spool.sealed().expect("list");
        assert_eq!(sealed.len(), 2);
        assert_eq!(read(&sealed[1]).0, ["d"]);
        spool.append(&[event("e")]).expect("append");
        spool.seal().expect("seal");
        let sealed = spool.sealed().expect("list");
        assert_eq!(sealed.len(), 3);
        assert_eq!(read(&sealed[2]).0, ["e"]);

        for segment in &sealed {
            spool.remove(segment).expect("remove");
        }
        assert_eq!(spool.sealed().expect("list"), []);
        assert_eq!(spool.bytes(), 0);
    }

    #[test]
    fn torn_and_corrupt_lines_are_skipped() {
        let dir = TempDir::new("spool-torn");
        let spool = Spool::open(&dir.0, 1 << 20).expect("open");
        spool.append(&[event("a")]).expect("append");
        spool.seal().expect("seal");
        drop(spool);
        let path = &list(&dir.0).expect("list")[0].path;
        let good = serde_json::to_string(&event("b")).expect("json");
        let mut file = OpenOptions::new().append(true).open(path).expect("open");
        write!(
            file,
            "not json\n{{\"id\":\"x\"}}\n{good}\n{}",
            &good[..good.len() / 2]
        )
        .expect("write");
        drop(file);

        let spool = Spool::open(&dir.0, 1 << 20).expect("reopen");
        let sealed = spool.sealed().expect("list");
        assert_eq!(read(&sealed[0]), (vec!["a".into(), "b".into()], 3));
        assert!(
            matches!(parse_line(good.as_bytes()), Line::Bad),
            "no newline"
        );
    }

    #[test]
    fn a_full_spool_refuses_appends_until_drained() {
        let dir = TempDir::new("spool-full");
        let line = serde_json::to_vec(&event("a")).expect("json").len() as u64 + 1;
        let spool = Spool::open(&dir.0, 2 * line).expect("open");
        spool.append(&[event("a"), event("b")]).expect("fits");
        assert!(matches!(
            spool.append(&[event("c")]),
            Err(AppendError::Full)
        ));
        spool.seal().expect("seal");
        for segment in spool.sealed().expect("list") {
            spool.remove(&segment).expect("remove");
        }
        spool.append(&[event("c")]).expect("room again");
    }

    #[test]
    fn an_unwritable_folder_is_a_clear_error() {
        let dir = TempDir::new("spool-file");
        fs::write(&dir.0, "a file, not a folder").expect("write");
        let err = Spool::open(&dir.0.join("spool"), 1 << 20).expect_err("refused");
        assert!(format!("{err:#}").contains("cannot create the spool folder"));
        let _ = fs::remove_file(&dir.0);
    }
}
