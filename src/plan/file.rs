//! The plan's files, the one place the plan module touches the disk: the
//! plan itself (`<dir>/<name>.plan.json` and its Markdown), read back with
//! its format version and checksum checked, and the inputs a person writes
//! (answers files, permitted-account lists). Everything else in `plan`
//! stays pure.

use std::path::{Path, PathBuf};

use super::inputs::{self, InputError, PlanInputs, SessionChoices};
use super::model::{PLAN_FORMAT_VERSION, Plan};
use crate::fs::{WriteError, write_atomically};

/// What an answers file holds, for error hints.
pub const ANSWERS_HINT: &str = "the answers file is a JSON object with the fields listed in docs/plan-format.md (inference_profiles, allow_global, permitted_accounts, companion_mode, exempt_actions, exempt_principals, accept_loosened, source_regions, scp_attachment_limit, scp_size_limit, and `session` for the guided session)";

/// A plan or input file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {what} `{path}`: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a ctmigrate plan: {detail}")]
    NotAPlan { path: PathBuf, detail: String },
    #[error("plan `{path}` has format_version {found}, this ctmigrate reads {PLAN_FORMAT_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error(
        "plan `{path}` does not match its checksum: it was changed after `ctmigrate plan` wrote it"
    )]
    Tampered { path: PathBuf },
    #[error("invalid plan name `{0}`")]
    Name(String),
    #[error("answers file `{path}` is not valid: {detail}")]
    Answers { path: PathBuf, detail: String },
    #[error("invalid input `{}` in answers file `{path}`: {}", .error.field, .error.message)]
    AnswersValue { path: PathBuf, error: InputError },
    #[error("cannot encode the plan: {0}")]
    Encode(String),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The plan file and its Markdown for plan `name` in `dir`.
pub fn paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.plan.json")),
        dir.join(format!("{name}.plan.md")),
    )
}

/// A plan name: 1 to 64 letters, digits, `-`, `_` or `.`, not starting with `.`.
pub fn check_name(name: &str) -> Result<(), FileError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(FileError::Name(name.to_string()))
    }
}

/// Reads a plan file: it must parse, be of this format version, and match
/// its checksum.
pub fn read(path: &Path) -> Result<Plan, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        what: "plan",
        path: path.to_path_buf(),
        source,
    })?;
    from_text(path, &text)
}

/// A plan file's `text` (read from `path`, which errors name), checked as
/// [`read`] checks it.
pub fn from_text(path: &Path, text: &str) -> Result<Plan, FileError> {
    let plan: Plan = serde_json::from_str(text).map_err(|e| FileError::NotAPlan {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if plan.format_version != PLAN_FORMAT_VERSION {
        return Err(FileError::Version {
            path: path.to_path_buf(),
            found: plan.format_version,
        });
    }
    if super::checksum(&plan) != plan.checksum {
        return Err(FileError::Tampered {
            path: path.to_path_buf(),
        });
    }
    // Ids name what the journal records: each must be unique.
    let mut seen = std::collections::BTreeSet::new();
    for id in plan
        .stages
        .iter()
        .map(|s| format!("stage `{}`", s.id))
        .chain(
            plan.stages
                .iter()
                .flat_map(|s| &s.steps)
                .map(|s| format!("step `{}`", s.id)),
        )
    {
        if !seen.insert(id.clone()) {
            return Err(FileError::NotAPlan {
                path: path.to_path_buf(),
                detail: format!("{id} appears twice"),
            });
        }
    }
    Ok(plan)
}

/// Writes `plan` as `<dir>/<name>.plan.json` and `.plan.md`, each
/// atomically; returns both paths.
pub fn write(plan: &Plan, dir: &Path) -> Result<(PathBuf, PathBuf), FileError> {
    let (json_path, md_path) = paths(dir, &plan.name);
    let json = serde_json::to_string_pretty(plan).map_err(|e| FileError::Encode(e.to_string()))?;
    write_atomically(&json_path, (json + "\n").as_bytes())?;
    write_atomically(&md_path, super::markdown(plan).as_bytes())?;
    Ok((json_path, md_path))
}

/// Reads an answers file (docs/wizard.md): the plan inputs, checked value by
/// value, and the guided session's own choices when it has them.
pub fn read_answers(path: &Path) -> Result<(PlanInputs, Option<SessionChoices>), FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        what: "answers file",
        path: path.to_path_buf(),
        source,
    })?;
    let (inputs, session) = inputs::read_answers(&text).map_err(|e| FileError::Answers {
        path: path.to_path_buf(),
        detail: e.0,
    })?;
    inputs
        .validate_values()
        .map_err(|error| FileError::AnswersValue {
            path: path.to_path_buf(),
            error,
        })?;
    Ok((inputs, session))
}

/// Reads a permitted-accounts file: one account id per line, `#` comments.
pub fn read_account_list(path: &Path) -> Result<Vec<String>, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        what: "permitted accounts file",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_account_lists() {
        assert!(check_name("migration-2026.12").is_ok());
        for bad in ["", ".hidden", "a/b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.txt");
        std::fs::write(&path, "111111111111\n# a comment\n222222222222  # dev\n\n").unwrap();
        assert_eq!(
            read_account_list(&path).unwrap(),
            vec!["111111111111".to_string(), "222222222222".into()]
        );
        assert!(matches!(
            read(&dir.path().join("missing.plan.json")),
            Err(FileError::Read { .. })
        ));
        std::fs::write(dir.path().join("x.plan.json"), "{}").unwrap();
        assert!(matches!(
            read(&dir.path().join("x.plan.json")),
            Err(FileError::NotAPlan { .. })
        ));
    }
}
