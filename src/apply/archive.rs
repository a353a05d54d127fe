//! Planning again under a name that an earlier apply used. A plan name owns
//! `<name>.plan.json`, `.plan.md` and `<name>.journal.jsonl`. When that
//! apply has ended with the organization back as before (a complete
//! rollback, or a journal with no start record), its plan and journal are
//! kept under a dated name (`<name>.<UTC stamp>.…`), so that the same
//! `plan` and `apply` commands work again and nothing is lost. Any other
//! journal is still in use (in progress, waiting for the console, or a
//! migration in effect): writing over its plan would strand it, so that is
//! refused, naming the commands that go on with it.
//!
//! `apply` uses the same rule for its journal alone, so that applying a
//! plan again after its rollback works too.
//!
//! It owns only the renaming; it must not plan or reach AWS.

use std::path::{Path, PathBuf};

use super::journal::{self, Journal};
use super::next::Next;
use crate::error::{Error, ErrorKind};

/// What was put aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    pub journal: PathBuf,
    /// The plan the journal applied, when it was still beside it.
    pub plan: Option<PathBuf>,
}

/// A journal that is still in use: where it stands and the commands that
/// go on with it, for the refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    pub journal: PathBuf,
    /// "finished: …", "not ended", …
    pub state: String,
    /// The commands that go on with it, as a clause.
    pub go_on: String,
}

impl InUse {
    /// `plan` would write over this journal's plan `plan_file`.
    pub fn refusing_plan(&self, plan_file: &Path, name: &str) -> Error {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "`{}` is the plan of the apply in journal `{}`, which is {}; writing a new plan over it would strand that journal, so nothing was written",
                plan_file.display(),
                self.journal.display(),
                self.state
            ),
        )
        .hint(format!(
            "{}; or write this plan under another name: add `--name {name}-2` to the same command",
            self.go_on
        ))
    }

    /// `apply` would start a second apply in this journal.
    pub fn refusing_apply(&self) -> Error {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "journal `{}` already exists and is {}: an apply with it has started; nothing was changed",
                self.journal.display(),
                self.state
            ),
        )
        .hint(format!(
            "{}; or start a separate apply with another `--journal FILE`",
            self.go_on
        ))
    }
}

/// Makes `journal_path` free for a new apply: nothing to do when it does
/// not exist; the ended journal moved to a dated name, with `plan_file`
/// (its plan, when the caller is about to write a new one there) if that
/// is the plan it applied; or [`InUse`], with nothing changed.
/// `command` names who holds the lock meanwhile; `interactive`: stdin is
/// a terminal (for the commands printed). With `act` false it only looks:
/// an ended journal is `Ok(None)`, left in place (a refusal that comes
/// later then changes nothing).
pub fn make_room(
    command: &str,
    act: bool,
    journal_path: &Path,
    plan_file: Option<&Path>,
    interactive: bool,
    now: time::OffsetDateTime,
) -> Result<Result<Option<Archived>, InUse>, Error> {
    if !journal_path.exists() {
        return Ok(Ok(None));
    }
    // The lock keeps a run that is going on now out while we look and move.
    let (held, records, _) = Journal::open(journal_path, command, false)?;
    let progress = journal::fold(&records);
    let back_as_before = progress
        .rollback
        .as_ref()
        .is_some_and(|r| r.finished && r.to.is_none());
    let Some(started) = progress.started.as_ref().filter(|_| !back_as_before) else {
        if !act {
            return Ok(Ok(None));
        }
        let archived = archive(journal_path, plan_file, progress.started.as_ref(), now)?;
        drop(held);
        return Ok(Ok(Some(archived)));
    };
    let next = Next::new(
        &started.connection,
        &journal_path.display().to_string(),
        interactive,
    );
    let resume_or_undo = |what: &str| {
        format!(
            "go on with `{}` or undo {what} with `{}`",
            next.resume(),
            next.rollback()
        )
    };
    let (state, go_on) = if progress.finished {
        (
            "finished: the migration it applied is in effect".to_string(),
            format!("`{}` shows it", next.status()),
        )
    } else if let Some(to) = progress.rollback.as_ref().and_then(|r| r.to.clone()) {
        (
            format!("rolled back to checkpoint `{to}` only"),
            resume_or_undo("the rest"),
        )
    } else {
        ("not ended".to_string(), resume_or_undo("it"))
    };
    Ok(Err(InUse {
        journal: journal_path.to_path_buf(),
        state,
        go_on,
    }))
}

/// Moves the journal, and the plan it applied when that is beside it
/// unchanged, to `<name>.<stamp>.…`.
fn archive(
    journal_path: &Path,
    plan_file: Option<&Path>,
    started: Option<&journal::StartInfo>,
    now: time::OffsetDateTime,
) -> Result<Archived, Error> {
    let dir = journal_path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = journal_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = file_name
        .strip_suffix(".journal.jsonl")
        .unwrap_or(&file_name);
    let stem = free_stem(dir, name, now);
    let applied = plan_file.filter(|plan_json| {
        started.is_some_and(|s| {
            crate::plan::file::read(plan_json).is_ok_and(|p| p.checksum == s.plan_checksum)
        })
    });
    let mut moved_plan = None;
    if let Some(plan_json) = applied {
        let to = dir.join(format!("{stem}.plan.json"));
        rename(plan_json, &to)?;
        let md = plan_json.with_extension("md");
        if md.exists() {
            rename(&md, &dir.join(format!("{stem}.plan.md")))?;
        }
        moved_plan = Some(to);
    }
    let to = dir.join(format!("{stem}.journal.jsonl"));
    rename(journal_path, &to)?;
    Ok(Archived {
        journal: to,
        plan: moved_plan,
    })
}

/// `<name>.<YYYYMMDDTHHMMSSZ>`, with `-2`, `-3`, … when that is taken.
fn free_stem(dir: &Path, name: &str, now: time::OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let taken = |stem: &str| {
        ["journal.jsonl", "plan.json", "plan.md"]
            .iter()
            .any(|ext| dir.join(format!("{stem}.{ext}")).exists())
    };
    let base = format!("{name}.{stamp}");
    let mut stem = base.clone();
    let mut n = 2;
    while taken(&stem) {
        stem = format!("{base}-{n}");
        n += 1;
    }
    stem
}

fn rename(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::rename(from, to).map_err(|e| {
        Error::new(
            ErrorKind::Failed,
            format!(
                "could not move `{}` to `{}`: {e}",
                from.display(),
                to.display()
            ),
        )
        .hint("check that the plans directory is writable; nothing else was changed")
    })
}

/// Before `plan` writes `<dir>/<name>.plan.json`: the ended apply of that
/// name put aside with its plan, or the refusal of writing over a plan
/// whose journal is in use.
pub fn make_room_for_plan(
    dir: &Path,
    name: &str,
    interactive: bool,
    now: time::OffsetDateTime,
) -> Result<Option<Archived>, Error> {
    let plan_file = dir.join(format!("{name}.plan.json"));
    let journal = dir.join(format!("{name}.journal.jsonl"));
    make_room("plan", true, &journal, Some(&plan_file), interactive, now)?
        .map_err(|in_use| in_use.refusing_plan(&plan_file, name))
}

impl Archived {
    /// One line for the person: what was kept where.
    pub fn said(&self) -> String {
        match &self.plan {
            Some(plan) => format!(
                "the earlier plan and the journal of its ended apply as {} and {}",
                plan.display(),
                self.journal.display()
            ),
            None => format!(
                "the journal of the earlier, ended apply as {}",
                self.journal.display()
            ),
        }
    }
}
