//! What the end of a run means for the person who started it: the exit
//! code, one line saying where things stand, and the complete command that
//! goes on from there (with the flags that reach the same organization, and
//! the journal), or an error that names the cause and the way out.
//!
//! Pure: it words an [`Outcome`]; it must not run, read or print anything.

use super::Outcome;
use super::next::Next;
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

/// The meaning of `outcome` for a run of `plan`, with the commands of its
/// journal (`next`).
pub fn of(
    outcome: Outcome,
    direction: &Direction,
    plan: &Plan,
    next: &Next,
) -> Result<Conclusion, Error> {
    let rolling_back = matches!(direction, Direction::Rollback(_));
    let then = if rolling_back {
        next.rollback()
    } else {
        next.resume()
    };
    let j = next.journal();
    let journal = next.path().to_string();
    match outcome {
        Outcome::Finished { differences } if differences.is_empty() => Ok(Conclusion::done(
            "Finished",
            format!(
                "the migration is complete; the live proof matrix equals the prediction cell for cell (journal {j})"
            ),
        )),
        Outcome::Finished { differences } => {
            let mut e = Error::new(
                ErrorKind::Failed,
                format!("every stage is done, but the live SCPs do not give the predicted decisions in {} cell(s)", differences.len()),
            )
            .hint(format!(
                "compare with `{}`; to undo: {}",
                next.with(&format!("simulate --plan {}", shell_word(&plan_beside(&journal, &plan.name)))),
                next.rollback()
            ));
            e.causes = differences;
            Err(e)
        }
        Outcome::WaitingForConsole { stage } => Ok(Conclusion {
            exit: Exit::WaitingForConsole,
            verb: "Waiting",
            message: format!(
                "stage `{stage}` is done by a person in the Control Tower console; {}when it is done, run: {then}",
                next.console_on_sandbox(rolling_back)
                    .map(|s| format!("{s}; "))
                    .unwrap_or_default()
            ),
            warning: false,
        }),
        Outcome::Stopped {
            reason,
            next: stage,
        } => Ok(Conclusion {
            exit: Exit::Stopped,
            verb: "Stopped",
            message: format!(
                "stopped at a checkpoint: {reason}; continue with: {then}{}",
                stage
                    .map(|n| format!(" (next stage: {n})"))
                    .unwrap_or_default()
            ),
            warning: true,
        }),
        Outcome::Failed { step, error } => Err(Error::new(
            ErrorKind::Failed,
            format!("step `{step}` failed: {error}"),
        )
        .hint(format!(
            "the journal records everything done so far; fix the cause, then `{then}`{}",
            if rolling_back {
                String::new()
            } else {
                format!(" (or `{}`)", next.rollback())
            }
        ))),
        Outcome::Unreachable { step, error } => Err(Error::new(
            ErrorKind::Unreachable,
            format!("step `{step}` could not reach AWS: {error}"),
        )
        .hint(format!(
            "nothing is lost: the journal records everything sent; when the endpoint answers again (check the network, the proxy, or `--endpoint-url`), run: {then}"
        ))),
        Outcome::Drifted { changes } => {
            let mut e = Error::new(
                ErrorKind::Changed,
                format!(
                    "stopped: the organization changed under the {} in {} way(s) ctmigrate does not undo; nothing was asked of the console while it is so",
                    if rolling_back { "rollback" } else { "apply" },
                    changes.len()
                ),
            )
            .hint(format!("fix each change named above, then: {then}; or, if the changes are wanted, plan again with the same decisions: {}; `{}` shows the live state", next.with(&replan_args(&journal, &plan.name)), next.status()));
            e.causes = changes;
            Err(e)
        }
        Outcome::RolledBack { to, left } if !left.is_empty() => {
            let mut e = Error::new(
                ErrorKind::Changed,
                format!(
                    "rollback incomplete: everything ctmigrate made is undone{}, but {} effect(s) of the plan that ctmigrate did not make stay in place (journal {j})",
                    to.as_ref().map(|t| format!(" back to checkpoint `{t}`")).unwrap_or_default(),
                    left.len()
                ),
            )
            .hint(format!(
                "they carry no managed-by=ctmigrate tag, so another admin or a pipeline made them; keep them, or, if they should go too, undo them with: {}",
                next.rollback_unowned(to.as_deref())
            ));
            e.causes = left;
            Err(e)
        }
        Outcome::RolledBack { to, .. } => Ok(Conclusion::done(
            "Rolled back",
            match to {
                Some(t) => format!("the organization is back at checkpoint `{t}` (journal {j})"),
                None => format!(
                    "the organization is back as it was before apply (journal {j}); to migrate again, apply the plan again (it refuses a stale plan and names the plan command to run first; this journal is then kept under a dated name): {}",
                    next.apply_again(&plan_beside(&journal, &plan.name))
                ),
            },
        )),
    }
}

/// `plan` arguments that keep the decisions of the plan behind `journal`
/// and write the new plan beside it under a new name.
pub fn replan_args(journal: &str, name: &str) -> String {
    from_plan_args(&plan_beside(journal, name), &format!("{name}-replanned"))
}

/// `plan --from-plan FILE --name NAME --out DIR`: every decision of the
/// plan in `file`, written as `name` in the same directory.
pub fn from_plan_args(file: &str, name: &str) -> String {
    let dir = std::path::Path::new(file)
        .parent()
        .map(|d| d.display().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| ".".into());
    format!(
        "plan --from-plan {} --name {} --out {}",
        shell_word(file),
        shell_word(name),
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
        let n = Next::new(" --sandbox --sandbox-dir sb", j, true);
        let waiting = of(
            Outcome::WaitingForConsole {
                stage: "console".into(),
            },
            &Direction::Forward,
            &p,
            &n,
        )
        .unwrap();
        assert_eq!(waiting.exit, Exit::WaitingForConsole);
        assert!(
            waiting.message.contains(&format!(
                "play the console step in another terminal: {me} sandbox console region-deny off --wait"
            )),
            "{}",
            waiting.message
        );
        // Off a terminal, the command carries the confirmation it needs.
        let scripted = of(
            Outcome::WaitingForConsole {
                stage: "console".into(),
            },
            &Direction::Rollback(None),
            &p,
            &Next::new(" --sandbox --sandbox-dir sb", j, false),
        )
        .unwrap();
        assert!(
            scripted.message.contains("region-deny on --wait")
                && scripted
                    .message
                    .ends_with(&format!("run: {me} rollback --journal {j} --yes")),
            "{}",
            scripted.message
        );
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
            &n,
        )
        .unwrap();
        assert_eq!(stopped.exit, Exit::Stopped);
        assert!(
            stopped
                .message
                .contains(&format!("{me} rollback --journal {j}"))
        );
        let back = of(
            Outcome::RolledBack {
                to: None,
                left: Vec::new(),
            },
            &Direction::Rollback(None),
            &p,
            &n,
        )
        .unwrap();
        assert!(
            back.message
                .contains(&format!("{me} apply --plan plans/t.plan.json")),
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
            &n,
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
            &n,
        )
        .unwrap_err();
        assert_eq!(drifted.exit(), Exit::Changed);
        assert_eq!(drifted.causes, vec!["x".to_string()]);
    }
}
