//! Where an apply stands, from its journal and plan alone: stages done, the
//! step in flight, the next action for the operator.
//!
//! Pure: it must not read the live organization or print.

use serde::Serialize;

use super::journal::Progress;
use crate::plan::Plan;

/// One stage's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageStatus {
    pub id: String,
    pub title: String,
    pub manual: bool,
    /// `done`, `in progress`, `waiting for the console`, `failed`, `not started`.
    pub state: String,
    pub steps_done: usize,
    pub steps: usize,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub plan: String,
    pub organization_id: String,
    /// `not started`, `in progress`, `waiting for the console`, `stopped`,
    /// `failed`, `finished`, `rolling back`, `rolled back`.
    pub phase: String,
    pub stages: Vec<StageStatus>,
    /// Steps started and not yet completed, with their running operations.
    pub in_flight: Vec<String>,
    pub failures: Vec<String>,
    pub last_stop: Option<String>,
    pub verification: Option<String>,
    pub records: u64,
    pub last_record_at: Option<String>,
    /// What the operator does next, as a command or an action.
    pub next_action: String,
}

/// Computes the status.
pub fn status(plan: &Plan, progress: &Progress, journal_path: &str) -> Status {
    let mut stages = Vec::new();
    let mut failures = Vec::new();
    let mut in_flight = Vec::new();
    for stage in &plan.stages {
        let done = stage
            .steps
            .iter()
            .filter(|s| progress.steps.get(&s.id).is_some_and(|p| p.verified))
            .count();
        let failed: Vec<String> = stage
            .steps
            .iter()
            .filter_map(|s| {
                let p = progress.steps.get(&s.id)?;
                p.error.as_ref().map(|e| format!("{}: {e}", s.id))
            })
            .collect();
        for s in &stage.steps {
            if let Some(p) = progress.steps.get(&s.id)
                && p.started
                && !p.completed
            {
                in_flight.push(if p.operations.is_empty() {
                    s.id.clone()
                } else {
                    format!("{} (operation {})", s.id, p.operations.join(", "))
                });
            }
        }
        let started = stage
            .steps
            .iter()
            .any(|s| progress.steps.contains_key(&s.id));
        let state = if progress.checkpoints.contains(&stage.id) {
            "done"
        } else if !failed.is_empty() {
            "failed"
        } else if stage.manual && progress.waiting_for_console {
            "waiting for the console"
        } else if started {
            "in progress"
        } else {
            "not started"
        };
        failures.extend(failed);
        stages.push(StageStatus {
            id: stage.id.clone(),
            title: stage.title.clone(),
            manual: stage.manual,
            state: state.to_string(),
            steps_done: done,
            steps: stage.steps.len(),
        });
    }
    let rolled_back = progress.rollback.as_ref().is_some_and(|r| r.finished);
    let rolling_back = progress.rollback.is_some() && !rolled_back;
    let next_stage = stages.iter().find(|s| s.state != "done");
    let phase = if rolled_back {
        "rolled back"
    } else if rolling_back {
        "rolling back"
    } else if progress.finished {
        "finished"
    } else if progress.started.is_none() {
        "not started"
    } else if !failures.is_empty() {
        "failed"
    } else if progress.waiting_for_console {
        "waiting for the console"
    } else if progress.last_stop.is_some() {
        "stopped"
    } else {
        "in progress"
    };
    let j = journal_path;
    let me = format!(
        "ctmigrate{}",
        progress
            .started
            .as_ref()
            .map(|s| s.connection.as_str())
            .unwrap_or_default()
    );
    let next_action = match phase {
        "rolled back" => format!(
            "nothing: the organization is back as it was{}; plan again to start over",
            progress
                .rollback
                .as_ref()
                .and_then(|r| r.to.as_ref())
                .map(|t| format!(" at checkpoint `{t}`"))
                .unwrap_or_default()
        ),
        "rolling back" => format!("{me} rollback --journal {j} (continues the rollback)"),
        "finished" => match &progress.verified {
            Some((true, _)) | None => "nothing: the migration is complete".to_string(),
            Some((false, _)) => format!(
                "investigate the differences between the prediction and the live SCPs, or roll back: {me} rollback --journal {j}"
            ),
        },
        "waiting for the console" => {
            let rollback = progress.rollback.is_some();
            if rollback {
                format!(
                    "turn the landing-zone region deny back ON in the Control Tower console, then: {me} rollback --journal {j}"
                )
            } else {
                format!(
                    "turn the landing-zone region deny OFF in the Control Tower console (Landing zone settings → Modify settings → Region deny: Not enabled), then: {me} resume --journal {j}"
                )
            }
        }
        "failed" => format!(
            "read the failure below, fix its cause, then: {me} resume --journal {j} (or roll back: {me} rollback --journal {j})"
        ),
        _ => match next_stage {
            Some(s) => format!(
                "{me} resume --journal {j} (next stage: {} — {})",
                s.id, s.title
            ),
            None => format!("{me} resume --journal {j} (verifies and finishes)"),
        },
    };
    Status {
        plan: progress
            .started
            .as_ref()
            .map(|s| s.plan_path.clone())
            .unwrap_or_default(),
        organization_id: plan.organization_id.clone(),
        phase: phase.to_string(),
        stages,
        in_flight,
        failures,
        last_stop: progress
            .last_stop
            .as_ref()
            .map(|(reason, next)| match next {
                Some(n) => format!("{reason} (next stage: {n})"),
                None => reason.clone(),
            }),
        verification: progress.verified.as_ref().map(|(equal, diffs)| {
            if *equal {
                "the live proof matrix equals the prediction, cell for cell".to_string()
            } else {
                format!(
                    "the live proof matrix differs from the prediction in {} place(s): {}",
                    diffs.len(),
                    diffs.join("; ")
                )
            }
        }),
        records: progress.records,
        last_record_at: progress.last_at.clone(),
        next_action,
    }
}
