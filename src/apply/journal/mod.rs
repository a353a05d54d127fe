//! The journal: an append-only JSON Lines file, one record per event, each
//! written with a single `write` and followed by `fsync`, mode 0600, guarded
//! by an OS lock on the journal file itself (never replaced, so deleting a
//! file cannot let a second run in) and released when the [`Journal`] is
//! dropped. A sibling `<journal>.lock` file names the holder. It is the
//! single source of truth for `resume`, `rollback` and `status`; its
//! records and [`fold`] are in [`record`].
//!
//! It owns the file format, the lock and crash tolerance (a torn last line,
//! which only a crash during its own write can leave, is ignored and cut
//! off before the next append). It must not call AWS or decide what to run.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod record;

pub use record::*;

/// Version of the record format.
pub const JOURNAL_FORMAT_VERSION: u32 = 1;

/// Test hook (builds with the `test-hooks` feature only): abort the
/// process right after the journal holds this many records (the crash test
/// kills apply at every record boundary this way).
pub const ABORT_AFTER_ENV: &str = "CTMIGRATE_TEST_ABORT_AFTER_RECORD";
/// Test hook (builds with the `test-hooks` feature only): every write after
/// the journal holds this many records fails, as on a full or read-only
/// disk.
pub const FAIL_AFTER_ENV: &str = "CTMIGRATE_TEST_FAIL_JOURNAL_AFTER_RECORD";

/// Fault hooks for the crash and journal-failure tests. They read the
/// environment only in builds with the `test-hooks` feature, which
/// `cargo test` turns on (through the package's dev-dependency on itself)
/// and release builds never have.
#[derive(Debug, Clone, Copy, Default)]
struct Hooks {
    abort_after: Option<u64>,
    fail_after: Option<u64>,
    /// Tear this record: write this percentage of it, then die.
    tear: Option<(u64, u8)>,
}

impl Hooks {
    #[cfg(feature = "test-hooks")]
    fn from_env() -> Hooks {
        let n = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
        Hooks {
            abort_after: n(ABORT_AFTER_ENV),
            fail_after: n(FAIL_AFTER_ENV),
            tear: crate::crash::tear_record(),
        }
    }

    #[cfg(not(feature = "test-hooks"))]
    fn from_env() -> Hooks {
        Hooks::default()
    }

    /// Fails the write of record `seq` when the test asks for it.
    fn before_write(&self, seq: u64) -> std::io::Result<()> {
        match self.fail_after {
            Some(n) if seq > n => Err(std::io::Error::other(format!(
                "injected journal failure after record {n} ({FAIL_AFTER_ENV})"
            ))),
            _ => Ok(()),
        }
    }

    /// Dies like SIGKILL would, without unwinding or cleanup, once record
    /// `seq` is durable, when the test asks for it.
    fn after_write(&self, seq: u64) {
        if self.abort_after == Some(seq) {
            std::process::abort();
        }
    }
}

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use journal `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal `{path}` already exists")]
    Exists { path: PathBuf },
    #[error("journal `{path}` does not exist")]
    Missing { path: PathBuf },
    #[error("journal `{path}` is corrupt at line {line}: {detail}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("journal `{path}` is locked by {holder}")]
    Locked { path: PathBuf, holder: LockHolder },
    #[error(
        "journal `{path}` has a lock left by {holder}, on another host: ctmigrate cannot tell whether that run is still going"
    )]
    ForeignLock { path: PathBuf, holder: LockHolder },
}

/// Who holds (or held) a journal's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
    pub command: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`ctmigrate {}` (pid {} on {}, since {})",
            self.command, self.pid, self.host, self.started_at
        )
    }
}

/// The host name, for lock records.
pub fn host_name() -> String {
    os_host_name()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

#[cfg(unix)]
fn os_host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into the buffer
    // we own; the result is read only up to its first NUL.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

#[cfg(not(unix))]
fn os_host_name() -> Option<String> {
    None
}

/// An open, locked journal. Dropping it releases the lock (the OS lock
/// goes with the file handle) and removes the holder file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    lock_path: PathBuf,
    next_seq: u64,
    hooks: Hooks,
    /// The unfinished last line [`Journal::open`] cut off, if any.
    cut: Option<TornTail>,
}

/// An unfinished last line: a record whose write a crash interrupted
/// (never acknowledged, so nothing after it was sent). It is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where it starts, in bytes from the start of the file.
    pub offset: u64,
    pub bytes: u64,
}

impl std::fmt::Display for TornTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "an unfinished last line at byte {} ({} bytes: a record whose write a crash interrupted)",
            self.offset, self.bytes
        )
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// The lock file's path for a journal.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    journal.with_file_name(name)
}

/// Opening `path` failed: it is missing, or unusable.
fn not_opened(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            JournalError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            io(path)(e)
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Takes the journal's lock: an OS lock on the open journal file (released
/// by the OS if the process dies), and `<journal>.lock` naming the holder's
/// pid, host and start time. When the OS lock is free but the holder file
/// names someone, that run died without cleaning up: the lock is stale,
/// reported through `stale` and taken over. A holder on another host may
/// still be running against the same file over a network share (where OS
/// locks may not reach), so taking over its lock needs `force`
/// (`--force-unlock`).
fn take_lock(
    file: &File,
    journal: &Path,
    command: &str,
    force: bool,
    stale: &mut Option<LockHolder>,
) -> Result<PathBuf, JournalError> {
    let path = lock_path(journal);
    let previous: Option<LockHolder> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(JournalError::Locked {
                path: journal.to_path_buf(),
                holder: previous.unwrap_or(LockHolder {
                    pid: 0,
                    host: "unknown".into(),
                    started_at: "unknown".into(),
                    command: "unknown".into(),
                }),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(journal)(e)),
    }
    let host = host_name();
    if let Some(prev) = previous {
        if prev.host != host && !force {
            return Err(JournalError::ForeignLock {
                path: journal.to_path_buf(),
                holder: prev,
            });
        }
        *stale = Some(prev);
    }
    let me = LockHolder {
        pid: std::process::id(),
        host,
        started_at: crate::apply::now_rfc3339(),
        command: command.to_string(),
    };
    let text = serde_json::to_string(&me).unwrap_or_default();
    let mut holder = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(io(&path))?;
    set_private(&holder, &path)?;
    holder.write_all(text.as_bytes()).map_err(io(&path))?;
    holder.sync_all().map_err(io(&path))?;
    Ok(path)
}

#[cfg(unix)]
fn set_private(file: &File, path: &Path) -> Result<(), JournalError> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io(path))
}

#[cfg(not(unix))]
fn set_private(_file: &File, _path: &Path) -> Result<(), JournalError> {
    Ok(())
}

/// Reads every complete record. A last line without its newline is a write
/// the process did not finish (it was never acknowledged): it is ignored.
/// Any other unreadable line is corruption.
pub fn read(path: &Path) -> Result<Vec<Record>, JournalError> {
    Ok(read_with_tail(path)?.0)
}

/// [`read`], and the unfinished last line it ignored, if any, for the
/// caller to warn about. Corruption anywhere else is an error naming the
/// line: it is never silently dropped.
pub fn read_with_tail(path: &Path) -> Result<(Vec<Record>, Option<TornTail>), JournalError> {
    let file = File::open(path).map_err(not_opened(path))?;
    let len = file.metadata().map_err(io(path))?.len();
    let (records, good_len) = read_from(path, file)?;
    Ok((records, torn(good_len, len)))
}

fn torn(good_len: u64, len: u64) -> Option<TornTail> {
    (len > good_len).then_some(TornTail {
        offset: good_len,
        bytes: len - good_len,
    })
}

/// Records and the byte length of the complete lines.
fn read_from(path: &Path, file: File) -> Result<(Vec<Record>, u64), JournalError> {
    parse(path, BufReader::new(file))
}

/// The records of a journal's bytes (read from `path`, which errors name)
/// and the byte length of its complete lines: what [`read`] does without
/// the file.
pub fn parse(path: &Path, mut reader: impl BufRead) -> Result<(Vec<Record>, u64), JournalError> {
    let mut records = Vec::new();
    let mut good_len = 0u64;
    let mut line = String::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let read = match reader.read_line(&mut line) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line: n + 1,
                    detail: "the line is not UTF-8 text".into(),
                });
            }
            Err(e) => return Err(io(path)(e)),
        };
        if read == 0 {
            break;
        }
        n += 1;
        if !line.ends_with('\n') {
            // Torn tail: the crash happened during this write.
            break;
        }
        let record: Record =
            serde_json::from_str(line.trim_end()).map_err(|e| JournalError::Corrupt {
                path: path.to_path_buf(),
                line: n,
                detail: e.to_string(),
            })?;
        if record.seq != records.len() as u64 + 1 {
            return Err(JournalError::Corrupt {
                path: path.to_path_buf(),
                line: n,
                detail: format!(
                    "record number {} where {} was expected",
                    record.seq,
                    records.len() + 1
                ),
            });
        }
        good_len += read as u64;
        records.push(record);
    }
    Ok((records, good_len))
}

impl Journal {
    /// A journal whose lock was just taken, before its first record.
    fn locked(path: &Path, file: File, lock_path: PathBuf) -> Journal {
        Journal {
            path: path.to_path_buf(),
            file,
            lock_path,
            next_seq: 1,
            hooks: Hooks::from_env(),
            cut: None,
        }
    }

    /// Creates the journal of a new apply of `plan` (read from `plan_path`,
    /// reached with the `connection` flags) and writes its first two
    /// records: the start, with the end-state proof matrix `predicted`, and
    /// this run's start.
    pub fn start(
        path: &Path,
        plan: &crate::plan::Plan,
        plan_path: &Path,
        connection: &str,
        predicted: Prediction,
    ) -> Result<(Journal, Vec<Record>), JournalError> {
        let mut journal = Journal::create(path, "apply")?;
        let mut records = Vec::new();
        for event in [
            Event::Started {
                format_version: JOURNAL_FORMAT_VERSION,
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                plan_path: plan_path.display().to_string(),
                plan_name: plan.name.clone(),
                plan_checksum: plan.checksum.clone(),
                organization_id: plan.organization_id.clone(),
                management_account: plan.management_account.clone(),
                home_region: plan.home_region.clone(),
                connection: connection.to_string(),
                predicted: Box::new(predicted),
            },
            Event::RunStarted {
                command: "apply".into(),
                pid: std::process::id(),
                host: host_name(),
            },
        ] {
            records.push(journal.append(event)?);
        }
        Ok((journal, records))
    }

    /// Creates a new journal and locks it. It refuses to overwrite one,
    /// except a journal that holds no complete record: an apply that died
    /// (or found the disk full) before its first record was durable sent
    /// nothing to AWS, so it may start over.
    pub fn create(path: &Path, command: &str) -> Result<Journal, JournalError> {
        let file = match OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Journal::create_over_empty(path, command);
            }
            Err(e) => return Err(io(path)(e)),
        };
        set_private(&file, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            // Make the new file's directory entry durable too.
            let _ = d.sync_all();
        }
        let mut stale = None;
        let lock_path = take_lock(&file, path, command, false, &mut stale)?;
        Ok(Journal::locked(path, file, lock_path))
    }

    /// An existing journal without one complete record, taken over and
    /// emptied; any other existing journal is [`JournalError::Exists`].
    fn create_over_empty(path: &Path, command: &str) -> Result<Journal, JournalError> {
        let exists = || JournalError::Exists {
            path: path.to_path_buf(),
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io(path))?;
        let mut stale = None;
        let lock_path = match take_lock(&file, path, command, false, &mut stale) {
            Ok(p) => p,
            Err(e @ JournalError::Locked { .. }) => return Err(e),
            Err(_) => return Err(exists()),
        };
        let (records, _) = match read_from(path, file.try_clone().map_err(io(path))?) {
            Ok(r) => r,
            Err(_) => {
                let _ = std::fs::remove_file(&lock_path);
                return Err(exists());
            }
        };
        if !records.is_empty() {
            let _ = std::fs::remove_file(&lock_path);
            return Err(exists());
        }
        file.set_len(0).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        Ok(Journal::locked(path, file, lock_path))
    }

    /// Opens an existing journal for appending, locks it, and cuts off a torn
    /// last line. Returns the records and, if the lock was left behind by a
    /// process that is gone, who that was.
    pub fn open(
        path: &Path,
        command: &str,
        force_unlock: bool,
    ) -> Result<(Journal, Vec<Record>, Option<LockHolder>), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(not_opened(path))?;
        let mut stale = None;
        let lock_path = take_lock(&file, path, command, force_unlock, &mut stale)?;
        let mut journal = Journal::locked(path, file, lock_path);
        let (records, good_len) = read_from(path, journal.file.try_clone().map_err(io(path))?)?;
        let len = journal.file.metadata().map_err(io(path))?.len();
        if len != good_len {
            journal.file.set_len(good_len).map_err(io(path))?;
            journal.file.sync_all().map_err(io(path))?;
            journal.cut = torn(good_len, len);
        }
        journal.next_seq = records.len() as u64 + 1;
        Ok((journal, records, stale))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The unfinished last line that opening cut off, if there was one.
    pub fn cut_tail(&self) -> Option<TornTail> {
        self.cut
    }

    /// Appends one record and makes it durable before returning.
    pub fn append(&mut self, event: Event) -> Result<Record, JournalError> {
        let record = Record {
            seq: self.next_seq,
            at: crate::apply::now_rfc3339(),
            event,
        };
        let mut line = serde_json::to_string(&record).map_err(|e| JournalError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push('\n');
        self.hooks
            .before_write(record.seq)
            .map_err(io(&self.path))?;
        if let Some((seq, percent)) = self.hooks.tear
            && seq == record.seq
        {
            // The crash harness: a torn last line, durable, then death.
            let cut = (line.len() * usize::from(percent) / 100).clamp(1, line.len() - 1);
            self.file
                .write_all(&line.as_bytes()[..cut])
                .map_err(io(&self.path))?;
            self.file.sync_data().map_err(io(&self.path))?;
            crate::crash::die();
        }
        self.file
            .write_all(line.as_bytes())
            .map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))?;
        self.next_seq += 1;
        self.hooks.after_write(record.seq);
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction() -> Box<Prediction> {
        Box::new(Prediction {
            regions: vec!["us-east-1".into()],
            rows: vec!["ou / acct".into()],
            probes: vec!["ec2:RunInstances".into()],
            cells: vec![vec!["A".into()]],
        })
    }

    fn started() -> Event {
        Event::Started {
            format_version: JOURNAL_FORMAT_VERSION,
            tool_version: "test".into(),
            plan_path: "p.plan.json".into(),
            plan_name: "p".into(),
            plan_checksum: "c".into(),
            organization_id: "o-x".into(),
            management_account: "111111111111".into(),
            home_region: "ap-northeast-1".into(),
            connection: " --sandbox".into(),
            predicted: prediction(),
        }
    }

    #[test]
    fn records_are_durable_numbered_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        let mut j = Journal::create(&path, "apply").unwrap();
        j.append(started()).unwrap();
        j.append(Event::Checkpoint {
            stage: "preflight".into(),
        })
        .unwrap();
        drop(j);
        let records = read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].seq, 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let p = fold(&records);
        assert_eq!(p.checkpoints, vec!["preflight".to_string()]);
        assert!(p.started.is_some());
    }

    #[test]
    fn defect_6_corruption_is_refused_with_its_line_number_and_a_failed_open_leaves_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        let mut j = Journal::create(&path, "apply").unwrap();
        j.append(started()).unwrap();
        j.append(Event::Finished).unwrap();
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // A damaged first line, then an intact one: never dropped silently.
        let damaged = format!("{}\n{}\n", &lines[0][..lines[0].len() / 2], lines[1]);
        std::fs::write(&path, damaged).unwrap();
        match read_with_tail(&path) {
            Err(JournalError::Corrupt { line, .. }) => assert_eq!(line, 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Journal::open(&path, "resume", false),
            Err(JournalError::Corrupt { line: 1, .. })
        ));
        // A failed open leaves no lock file behind (defect 6).
        let leftovers: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".lock"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        let mut j = Journal::create(&path, "apply").unwrap();
        j.append(started()).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        let whole = std::fs::metadata(&path).unwrap().len();
        f.write_all(b"{\"seq\":2,\"at\":\"2026").unwrap();
        drop(f);
        let (records, tail) = read_with_tail(&path).unwrap();
        assert_eq!(records.len(), 1);
        let tail = tail.unwrap();
        assert_eq!((tail.offset, tail.bytes), (whole, 19));
        assert!(
            tail.to_string()
                .contains(&format!("at byte {whole} (19 bytes"))
        );
        let (mut j, records, _) = Journal::open(&path, "resume", false).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(j.cut_tail(), Some(tail));
        j.append(Event::Finished).unwrap();
        drop(j);
        let records = read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].event, Event::Finished);
    }

    #[test]
    fn a_corrupt_line_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        std::fs::write(&path, "not json\n{}\n").unwrap();
        assert!(matches!(
            read(&path),
            Err(JournalError::Corrupt { line: 1, .. })
        ));
    }

    #[test]
    fn a_second_holder_is_refused_and_a_dead_holder_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        let j = Journal::create(&path, "apply").unwrap();
        let second = Journal::open(&path, "resume", false);
        assert!(matches!(second, Err(JournalError::Locked { .. })));
        // Simulate a crash: the OS lock goes away but the lock file stays.
        drop(j);
        let dead = LockHolder {
            pid: u32::MAX - 1,
            host: host_name(),
            started_at: "2026-11-23T00:00:00Z".into(),
            command: "apply".into(),
        };
        std::fs::write(lock_path(&path), serde_json::to_string(&dead).unwrap()).unwrap();
        let (j, _, stale) = Journal::open(&path, "resume", false).unwrap();
        assert_eq!(stale, Some(dead));
        drop(j);
        // A lock from another host needs --force-unlock.
        let foreign = LockHolder {
            pid: 1,
            host: "elsewhere.example".into(),
            started_at: "2026-11-23T00:00:00Z".into(),
            command: "apply".into(),
        };
        std::fs::write(lock_path(&path), serde_json::to_string(&foreign).unwrap()).unwrap();
        assert!(matches!(
            Journal::open(&path, "resume", false),
            Err(JournalError::ForeignLock { .. })
        ));
        let (j, _, stale) = Journal::open(&path, "resume", true).unwrap();
        assert_eq!(stale, Some(foreign));
        drop(j);
    }

    #[test]
    fn defect_3_deleting_the_lock_file_does_not_let_a_second_run_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        let mut j = Journal::create(&path, "apply").unwrap();
        j.append(started()).unwrap();
        std::fs::remove_file(lock_path(&path)).unwrap();
        let second = Journal::open(&path, "resume", false);
        assert!(
            matches!(second, Err(JournalError::Locked { .. })),
            "{second:?}"
        );
        drop(j);
        assert!(
            !lock_path(&path).exists(),
            "dropping the journal removes the holder file"
        );
        let (_again, records, stale) = Journal::open(&path, "resume", false).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(stale, None);
    }

    #[test]
    fn defect_5_a_journal_without_a_complete_record_may_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal.jsonl");
        // The disk filled up during the first write: a torn first line.
        std::fs::write(&path, b"{\"seq\":1,\"at\":\"20").unwrap();
        let mut j = Journal::create(&path, "apply").unwrap();
        j.append(started()).unwrap();
        drop(j);
        assert_eq!(read(&path).unwrap().len(), 1);
        // With a complete record it is an earlier apply: refused.
        assert!(matches!(
            Journal::create(&path, "apply"),
            Err(JournalError::Exists { .. })
        ));
    }
}
