//! What the end of a run means for the person who started it: the exit
//! code, one line saying where things stand, and the complete command that
//! goes on from there (with the flags that reach the same organization, and
//! the journal), or an error that names the cause and the way out.
//!
//! Pure: it words an [`Outcome`]; it must not run, read or print anything.

use super::Outcome;
use crate::cli::shell_word;
use crate::error::{Error, ErrorKind, Exit};
use crate::plan::Plan;

/// Which way a run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    Forward,
    /// A finished apply: put back what other actors removed since.
    Repair,
    /// Back to a checkpoint (None: to before apply).
    Rollback(Option<String>),
}

/// How a command that ran (or refused to run) ends well enough to say so
/// as a status line, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conclusion {
    pub exit: Exit,
    /// The status verb (`Finished`, `Waiting`, `Rolled back`, …).
    pub verb: &'static str,
    pub message: String,
    /// Said as a warning (stopped before the end).
    pub warning: bool,
}

impl Conclusion {
    /// Exit 0 with a status line.
    pub fn done(verb: &'static str, message: String) -> Conclusion {
        Conclusion {
            exit: Exit::Ok,
            verb,
            message,
            warning: false,
        }
    }
}

/// The meaning of `outcome` for a run of `plan` over `journal`, reached
/// with the command prefix `me` (`ctmigrate --sandbox …`).
pub fn of(
    outcome: Outcome,
    direction: &Direction,
    plan: &Plan,
    me: &str,
    journal: &str,
) -> Result<Conclusion, Error> {
    let rolling_back = matches!(direction, Direction::Rollback(_));
    let then = if rolling_back { "rollback" } else { "resume" };
    let j = shell_word(journal);
    match outcome {
        Outcome::Finished { differences } if differences.is_empty() => Ok(Conclusion::done(
            "Finished",
            format!("the migration is complete; the live proof matrix equals the prediction cell for cell (journal {journal})"),
        )),
        Outcome::Finished { differences } => {
            let mut e = Error::new(
                ErrorKind::Failed,
                format!("every stage is done, but the live SCPs do not give the predicted decisions in {} cell(s)", differences.len()),
            )
            .hint(format!(
                "compare with `{me} simulate --plan {}`; to undo: {me} rollback --journal {j}",
                shell_word(&plan_beside(journal, &plan.name))
            ));
            e.causes = differences;
            Err(e)
        }
        Outcome::WaitingForConsole { stage } => Ok(Conclusion {
            exit: Exit::WaitingForConsole,
            verb: "Waiting",
            message: format!("stage `{stage}` is done by a person in the Control Tower console; when it is done, run: {me} {then} --journal {j}"),
            warning: false,
        }),
        Outcome::Stopped { reason, next } => Ok(Conclusion {
            exit: Exit::Stopped,
            verb: "Stopped",
            message: format!(
                "stopped at a checkpoint: {reason}; continue with: {me} {then} --journal {j}{}",
                next.map(|n| format!(" (next stage: {n})")).unwrap_or_default()
            ),
            warning: true,
        }),
        Outcome::Failed { step, error } => Err(Error::new(
            ErrorKind::Failed,
            format!("step `{step}` failed: {error}"),
        )
        .hint(format!("the journal records everything done so far; fix the cause, then `{me} {then} --journal {j}`{}", if rolling_back {
            String::new()
        } else {
            format!(" (or `{me} rollback --journal {j}`)")
        }))),
        Outcome::Drifted { changes } => {
            let mut e = Error::new(
                ErrorKind::Changed,
                format!(
                    "stopped: the organization changed under the {} in {} way(s) ctmigrate does not undo; nothing was asked of the console while it is so",
                    if rolling_back { "rollback" } else { "apply" },
                    changes.len()
                ),
            )
            .hint(format!("fix each change named above, then: {me} {then} --journal {j}; or, if the changes are wanted, plan again with the same decisions: {me} {}; `{me} status --journal {j}` shows the live state", replan_args(journal, &plan.name)));
            e.causes = changes;
            Err(e)
        }
        Outcome::RolledBack { to } => Ok(Conclusion::done(
            "Rolled back",
            match to {
                Some(t) => format!("the organization is back at checkpoint `{t}` (journal {journal})"),
                None => format!("the organization is back as it was before apply (journal {journal}); to migrate again, plan again under a new name and apply that plan: {me} {}", replan_args(journal, &plan.name)),
            },
        )),
    }
}

/// `plan` arguments that keep the decisions of the plan behind `journal`
/// and write the new plan beside it under a new name.
pub fn replan_args(journal: &str, name: &str) -> String {
    let file = plan_beside(journal, name);
    let dir = std::path::Path::new(&file)
        .parent()
        .map(|d| d.display().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| ".".into());
    format!(
        "plan --from-plan {} --name {} --out {}",
        shell_word(&file),
        shell_word(&format!("{name}-replanned")),
        shell_word(&dir)
    )
}

/// The plan file beside a journal (`x.journal.jsonl` → `x.plan.json`).
fn plan_beside(journal: &str, name: &str) -> String {
    match journal.strip_suffix(".journal.jsonl") {
        Some(stem) => format!("{stem}.plan.json"),
        None => format!("plans/{name}.plan.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        serde_json::from_str(include_str!("../../plans/sandbox-example.plan.json")).unwrap()
    }

    #[test]
    fn every_outcome_names_a_complete_next_command() {
        let p = plan();
        let me = "ctmigrate --sandbox --sandbox-dir sb";
        let j = "plans/t.journal.jsonl";
        let waiting = of(
            Outcome::WaitingForConsole {
                stage: "console".into(),
            },
            &Direction::Forward,
            &p,
            me,
            j,
        )
        .unwrap();
        assert_eq!(waiting.exit, Exit::WaitingForConsole);
        assert!(
            waiting
                .message
                .ends_with(&format!("run: {me} resume --journal {j}")),
            "{}",
            waiting.message
        );
        let stopped = of(
            Outcome::Stopped {
                reason: "interrupted".into(),
                next: Some("enable".into()),
            },
            &Direction::Rollback(None),
            &p,
            me,
            j,
        )
        .unwrap();
        assert_eq!(stopped.exit, Exit::Stopped);
        assert!(
            stopped
                .message
                .contains(&format!("{me} rollback --journal {j}"))
        );
        let back = of(
            Outcome::RolledBack { to: None },
            &Direction::Rollback(None),
            &p,
            me,
            j,
        )
        .unwrap();
        assert!(
            back.message
                .contains(&format!("{me} plan --from-plan plans/t.plan.json --name")),
            "{}",
            back.message
        );
        let failed = of(
            Outcome::Failed {
                step: "enable-pv1:ou-1".into(),
                error: "FAILED".into(),
            },
            &Direction::Forward,
            &p,
            me,
            j,
        )
        .unwrap_err();
        assert_eq!(failed.exit(), Exit::Failure);
        assert!(
            failed
                .hint
                .unwrap_or_default()
                .contains(&format!("{me} resume --journal {j}"))
        );
        let drifted = of(
            Outcome::Drifted {
                changes: vec!["x".into()],
            },
            &Direction::Forward,
            &p,
            me,
            j,
        )
        .unwrap_err();
        assert_eq!(drifted.exit(), Exit::Changed);
        assert_eq!(drifted.causes, vec!["x".to_string()]);
    }
}
