//! Where the sandbox keeps its estate between invocations: `state.json` in the
//! sandbox directory, guarded by an exclusive lock on `state.lock`, replaced
//! atomically (write, fsync, rename), and the append-only `timeline.jsonl`.
//!
//! Every request runs as one transaction: lock, load, let time move forward,
//! apply the request, save if anything changed, append to the timeline, unlock.
//! So separate processes (`sandbox serve`, `plan --sandbox`, the console
//! command) always see one consistent estate. It must not interpret requests.

use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

use super::SandboxError;
use super::world::{Happening, STATE_VERSION, World, epoch_ms};

const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "state.lock";
const TIMELINE_FILE: &str = "timeline.jsonl";

/// Region-deny coverage of one registered first-tier OU at one moment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Coverage {
    pub ou_id: String,
    pub ou_name: String,
    /// Sids of the region-deny statements in force (`GRREGIONDENY`, `CTMULTISERVICEPV1`).
    pub region_denies: Vec<String>,
}

/// One line of `timeline.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelineEntry {
    pub seq: u64,
    /// RFC 3339 time the change took effect.
    pub at: String,
    pub event: String,
    pub detail: String,
    pub coverage: Vec<Coverage>,
    /// Names of registered first-tier OUs with no region deny in force.
    pub uncovered: Vec<String>,
}

/// The sandbox directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// The estate this process last read or wrote, with the exact bytes of
    /// `state.json` then: when the file still holds those bytes, the parse is
    /// skipped (parsing dominates a request's cost on a large estate). Bytes,
    /// not timestamps, decide, so a write by another process is never missed.
    cache: std::sync::Arc<std::sync::Mutex<Option<Cached>>>,
}

/// The bytes of `state.json` and the estate they parse to.
type Cached = (Vec<u8>, World);

fn io_err(path: &Path, source: std::io::Error) -> SandboxError {
    SandboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Opens the sandbox directory, creating and seeding it on first use.
    pub fn open(dir: &Path) -> Result<Store, SandboxError> {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let store = Store {
            dir: dir.to_path_buf(),
            cache: Default::default(),
        };
        if !store.state_path().exists() {
            let _lock = store.lock()?;
            if !store.state_path().exists() {
                let world = super::seed::scenario("default", Default::default())
                    .ok_or_else(|| SandboxError::UnknownScenario("default".into()))?;
                store.write_state(&world)?;
            }
        }
        Ok(store)
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn timeline_path(&self) -> PathBuf {
        self.dir.join(TIMELINE_FILE)
    }

    fn lock(&self) -> Result<File, SandboxError> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        file.lock().map_err(|e| io_err(&path, e))?;
        Ok(file)
    }

    fn read_state(&self) -> Result<World, SandboxError> {
        let path = self.state_path();
        let bytes = fs::read(&path).map_err(|e| io_err(&path, e))?;
        if let Ok(cache) = self.cache.lock()
            && let Some((cached, world)) = cache.as_ref()
            && *cached == bytes
        {
            return Ok(world.clone());
        }
        let world = Self::parse_state(&path, &bytes)?;
        self.remember(bytes, &world);
        Ok(world)
    }

    fn remember(&self, bytes: Vec<u8>, world: &World) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some((bytes, world.clone()));
        }
    }

    fn parse_state(path: &Path, bytes: &[u8]) -> Result<World, SandboxError> {
        let path = path.to_path_buf();
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| SandboxError::CorruptState {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        let version = value.get("state_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(STATE_VERSION)) {
            return Err(SandboxError::CorruptState {
                path,
                detail: format!(
                    "state_version is {}, this ctmigrate reads version {STATE_VERSION}",
                    version.map_or("missing".to_string(), |v| v.to_string())
                ),
            });
        }
        serde_json::from_value(value).map_err(|e| SandboxError::CorruptState {
            path,
            detail: e.to_string(),
        })
    }

    fn write_state(&self, world: &World) -> Result<(), SandboxError> {
        let path = self.state_path();
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(world).map_err(|e| SandboxError::CorruptState {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| io_err(&tmp, e))?;
        f.sync_all().map_err(|e| io_err(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        self.remember(bytes, world);
        Ok(())
    }

    /// Replaces the estate (used by `sandbox reset`) and clears the timeline.
    pub fn replace(&self, world: &World) -> Result<(), SandboxError> {
        let _lock = self.lock()?;
        self.write_state(world)?;
        let tl = self.timeline_path();
        if tl.exists() {
            fs::remove_file(&tl).map_err(|e| io_err(&tl, e))?;
        }
        Ok(())
    }

    /// Reads the estate as of now (operations due by now are finished).
    pub fn snapshot(&self) -> Result<World, SandboxError> {
        let read =
            self.transact(|w, _| Ok::<_, std::convert::Infallible>((w.clone(), Vec::new())))?;
        read.map_err(|never| match never {})
    }

    /// Runs `f` on the estate as one locked transaction. `f` returns its value
    /// plus the timeline events its change caused (none for reads). When `f`
    /// fails, its partial changes are dropped: only the passage of time is kept.
    pub fn transact<T, E>(
        &self,
        f: impl FnOnce(&mut World, i64) -> Result<(T, Vec<Happening>), E>,
    ) -> Result<Result<T, E>, SandboxError> {
        let _lock = self.lock()?;
        let mut world = self.read_state()?;
        let before = world.clone();
        let now = epoch_ms(OffsetDateTime::now_utc());
        let mut entries = Vec::new();
        while let Some(h) = world.advance_one(now) {
            entries.push(timeline_entry(&mut world, &h));
        }
        let advanced = world.clone();
        let value = match f(&mut world, now) {
            Ok((value, happenings)) => {
                for h in &happenings {
                    entries.push(timeline_entry(&mut world, h));
                }
                Ok(value)
            }
            Err(e) => {
                world = advanced;
                Err(e)
            }
        };
        if world != before {
            self.write_state(&world)?;
            self.append_timeline(&entries)?;
        }
        Ok(value)
    }

    fn append_timeline(&self, entries: &[TimelineEntry]) -> Result<(), SandboxError> {
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.timeline_path();
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        let mut buf = String::new();
        for e in entries {
            let line = serde_json::to_string(e).map_err(|err| SandboxError::CorruptState {
                path: path.clone(),
                detail: err.to_string(),
            })?;
            buf.push_str(&line);
            buf.push('\n');
        }
        f.write_all(buf.as_bytes()).map_err(|e| io_err(&path, e))?;
        f.sync_all().map_err(|e| io_err(&path, e))
    }

    /// Every timeline record so far.
    pub fn timeline(&self) -> Result<Vec<TimelineEntry>, SandboxError> {
        let path = self.timeline_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&path, e)),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).map_err(|e| SandboxError::CorruptState {
                    path: path.clone(),
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

fn rfc3339_ms(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

fn timeline_entry(world: &mut World, h: &Happening) -> TimelineEntry {
    world.timeline_seq += 1;
    let coverage: Vec<Coverage> = world
        .registered_first_tier_ou_ids()
        .into_iter()
        .map(|id| Coverage {
            ou_name: world
                .ous
                .get(&id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            region_denies: world.region_denies_on(&id),
            ou_id: id,
        })
        .collect();
    let uncovered = coverage
        .iter()
        .filter(|c| c.region_denies.is_empty())
        .map(|c| c.ou_name.clone())
        .collect();
    TimelineEntry {
        seq: world.timeline_seq,
        at: rfc3339_ms(h.at_ms),
        event: h.event.clone(),
        detail: h.detail.clone(),
        coverage,
        uncovered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_reopen_and_corruption_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .transact(|w, now| {
                w.settings.page_size = 7;
                Ok::<_, SandboxError>((
                    (),
                    vec![Happening {
                        at_ms: now,
                        event: "Test".into(),
                        detail: String::new(),
                    }],
                ))
            })
            .unwrap()
            .unwrap();
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.snapshot().unwrap().settings.page_size, 7);
        assert_eq!(again.timeline().unwrap().len(), 1);
        assert_eq!(again.timeline().unwrap()[0].uncovered, Vec::<String>::new());

        fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
        let err = again.snapshot().unwrap_err();
        assert!(matches!(err, SandboxError::CorruptState { .. }), "{err}");
    }

    #[test]
    fn a_cached_estate_never_hides_another_writers_change() {
        let dir = tempfile::tempdir().unwrap();
        let a = Store::open(dir.path()).unwrap();
        let b = Store::open(dir.path()).unwrap();
        let page = |s: &Store| s.snapshot().unwrap().settings.page_size;
        let set = |s: &Store, n: usize| {
            s.transact(|w, _| {
                w.settings.page_size = n;
                Ok::<_, SandboxError>(((), Vec::new()))
            })
            .unwrap()
            .unwrap()
        };
        assert_eq!(page(&a), 3);
        // Writes by the other store (another process in real use), back to back.
        for n in [4, 5, 6, 7] {
            set(&b, n);
            assert_eq!(page(&a), n);
        }
        set(&a, 9);
        assert_eq!(page(&b), 9);
        assert_eq!(page(&a), 9);
    }
}
