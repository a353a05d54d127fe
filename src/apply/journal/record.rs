//! The journal's records (one JSON line each) and what they add up to:
//! [`fold`] turns them into a [`Progress`] without any I/O. The file, the
//! lock and crash tolerance are the parent module's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::Action;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1-based position in the journal.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The first record: which plan, for which organization, and the proof
    /// matrix predicted for the end state (compared with reality at the end).
    Started {
        format_version: u32,
        tool_version: String,
        plan_path: String,
        plan_name: String,
        plan_checksum: String,
        organization_id: String,
        management_account: String,
        home_region: String,
        /// The global flags that reach this organization (e.g. ` --sandbox`),
        /// so that status can print commands that work as they are.
        #[serde(default)]
        connection: String,
        predicted: Box<Prediction>,
    },
    /// A run (apply, resume or rollback) took the journal.
    RunStarted {
        command: String,
        pid: u32,
        host: String,
    },
    StageStarted {
        stage: String,
    },
    /// Before acting: the exact request (placeholders resolved) and the
    /// observed before-image.
    StepStarted {
        step: String,
        request: Option<Action>,
        before: Value,
    },
    /// A Control Tower operation was accepted.
    OperationStarted {
        step: String,
        operation_id: String,
        enabled_control: Option<String>,
    },
    /// A control operation ended FAILED.
    OperationFailed {
        step: String,
        operation_id: String,
        message: String,
    },
    /// The step's effect is in place; `outputs` feed `${step.Field}` placeholders.
    StepCompleted {
        step: String,
        outputs: BTreeMap<String, String>,
        /// True when the effect was already in place and nothing was sent.
        skipped: bool,
    },
    /// The postconditions were observed.
    StepVerified {
        step: String,
    },
    StepFailed {
        step: String,
        error: String,
    },
    /// Every step of a stage is verified.
    Checkpoint {
        stage: String,
    },
    /// Stopped at the manual console stage.
    WaitingForConsole {
        stage: String,
    },
    /// Stopped before finishing, and why; resume continues.
    Stopped {
        reason: String,
        next: Option<String>,
    },
    /// The live matrix was compared with the prediction.
    Verified {
        equal: bool,
        differences: Vec<String>,
    },
    Finished,
    /// Rollback began, back to `to` (a checkpoint; None: before apply).
    RollbackStarted {
        to: Option<String>,
    },
    /// An undo step (the inverse of `step`) before acting.
    UndoStarted {
        step: String,
        request: Option<Action>,
    },
    UndoOperationStarted {
        step: String,
        operation_id: String,
    },
    UndoCompleted {
        step: String,
        skipped: bool,
    },
    RollbackFinished {
        to: Option<String>,
        /// Effects the rollback left in place because ctmigrate did not make
        /// them (found in place, without its tags), each named.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        left: Vec<String>,
    },
    /// Something another actor removed was put back with the plan's own
    /// step (`step` runs again after this record).
    Repaired {
        step: String,
        change: String,
    },
    /// The organization changed in a way ctmigrate does not undo; the run
    /// stopped. Each change with its fix.
    Drifted {
        changes: Vec<String>,
    },
}

/// The end state's proof matrix as apply predicted it: one string per
/// (row, probe), a character per Region column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub regions: Vec<String>,
    pub rows: Vec<String>,
    pub probes: Vec<String>,
    pub cells: Vec<Vec<String>>,
}

/// What the journal says, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub started: Option<StartInfo>,
    pub steps: BTreeMap<String, StepProgress>,
    /// Stage ids with a checkpoint, in order.
    pub checkpoints: Vec<String>,
    pub waiting_for_console: bool,
    pub last_stop: Option<(String, Option<String>)>,
    pub verified: Option<(bool, Vec<String>)>,
    pub finished: bool,
    pub rollback: Option<RollbackProgress>,
    pub records: u64,
    pub last_at: Option<String>,
    pub runs: Vec<(String, u32, String, String)>,
    /// Repairs made (step, change), in order.
    pub repairs: Vec<(String, String)>,
    /// The changes that stopped the last run, if it stopped on them.
    pub drifted: Option<Vec<String>>,
}

/// The `Started` record's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct StartInfo {
    pub tool_version: String,
    pub plan_path: String,
    pub plan_name: String,
    pub plan_checksum: String,
    pub organization_id: String,
    pub management_account: String,
    pub home_region: String,
    pub connection: String,
    pub predicted: Prediction,
}

/// One step, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepProgress {
    pub started: bool,
    pub request: Option<Action>,
    pub before: Option<Value>,
    pub operations: Vec<String>,
    pub failed_operations: usize,
    pub enabled_control: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub completed: bool,
    pub skipped: bool,
    pub verified: bool,
    pub error: Option<String>,
    /// Position of the `StepStarted` (or `StepCompleted`) record: undo order.
    pub order: u64,
}

/// Rollback, folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackProgress {
    pub to: Option<String>,
    pub undone: BTreeMap<String, bool>,
    pub in_flight: BTreeMap<String, Vec<String>>,
    pub finished: bool,
    /// What the finished rollback left in place (not ctmigrate's).
    pub left: Vec<String>,
}

/// The first checkpoint the journal cannot stand behind: one that names a
/// stage the plan lacks, or comes before a record of every step of its
/// stage being completed (an edited or spliced journal). Its line (record
/// number) and what is wrong.
pub fn unfounded_checkpoint(records: &[Record], plan: &crate::plan::Plan) -> Option<(u64, String)> {
    let mut completed = std::collections::BTreeSet::new();
    for r in records {
        match &r.event {
            Event::StepCompleted { step, .. } => {
                completed.insert(step.as_str());
            }
            Event::Checkpoint { stage } => {
                let Some(st) = plan.stages.iter().find(|s| &s.id == stage) else {
                    return Some((
                        r.seq,
                        format!("checkpoint `{stage}` names a stage the plan does not have"),
                    ));
                };
                let missing: Vec<&str> = st
                    .steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .filter(|id| !completed.contains(id))
                    .collect();
                if !missing.is_empty() {
                    return Some((
                        r.seq,
                        format!(
                            "checkpoint `{stage}` without a record of its step(s) {} being completed",
                            missing.join(", ")
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// [`fold`], with the start record's plan path replaced by `plan_path`,
/// where the plan was found (a journal put aside keeps its plan beside it).
pub fn fold_read_from(records: &[Record], plan_path: String) -> Progress {
    let mut progress = fold(records);
    if let Some(started) = progress.started.as_mut() {
        started.plan_path = plan_path;
    }
    progress
}

/// Folds records into progress. Pure.
pub fn fold(records: &[Record]) -> Progress {
    let mut p = Progress::default();
    for r in records {
        p.records = r.seq;
        p.last_at = Some(r.at.clone());
        match &r.event {
            Event::Started {
                tool_version,
                plan_path,
                plan_name,
                plan_checksum,
                organization_id,
                management_account,
                home_region,
                connection,
                predicted,
                ..
            } => {
                p.started = Some(StartInfo {
                    tool_version: tool_version.clone(),
                    plan_path: plan_path.clone(),
                    plan_name: plan_name.clone(),
                    plan_checksum: plan_checksum.clone(),
                    organization_id: organization_id.clone(),
                    management_account: management_account.clone(),
                    home_region: home_region.clone(),
                    connection: connection.clone(),
                    predicted: (**predicted).clone(),
                })
            }
            Event::RunStarted { command, pid, host } => {
                p.runs
                    .push((command.clone(), *pid, host.clone(), r.at.clone()));
                p.waiting_for_console = false;
                p.last_stop = None;
                p.drifted = None;
            }
            Event::StageStarted { .. } => {}
            Event::StepStarted {
                step,
                request,
                before,
            } => {
                let s = p.steps.entry(step.clone()).or_default();
                if !s.started {
                    s.order = r.seq;
                    s.before = Some(before.clone());
                }
                s.started = true;
                s.request = request.clone();
                s.error = None;
            }
            Event::OperationStarted {
                step,
                operation_id,
                enabled_control,
            } => {
                let s = p.steps.entry(step.clone()).or_default();
                s.operations.push(operation_id.clone());
                if enabled_control.is_some() {
                    s.enabled_control = enabled_control.clone();
                }
            }
            Event::OperationFailed { step, .. } => {
                p.steps.entry(step.clone()).or_default().failed_operations += 1;
            }
            Event::StepCompleted {
                step,
                outputs,
                skipped,
            } => {
                let s = p.steps.entry(step.clone()).or_default();
                if s.order == 0 {
                    s.order = r.seq;
                }
                s.completed = true;
                s.skipped = *skipped && !s.started;
                s.outputs.extend(outputs.clone());
                s.error = None;
            }
            Event::StepVerified { step } => {
                p.steps.entry(step.clone()).or_default().verified = true;
            }
            Event::StepFailed { step, error } => {
                p.steps.entry(step.clone()).or_default().error = Some(error.clone());
            }
            Event::Checkpoint { stage } => {
                if !p.checkpoints.contains(stage) {
                    p.checkpoints.push(stage.clone());
                }
                p.waiting_for_console = false;
            }
            Event::WaitingForConsole { .. } => p.waiting_for_console = true,
            Event::Stopped { reason, next } => p.last_stop = Some((reason.clone(), next.clone())),
            Event::Verified { equal, differences } => {
                p.verified = Some((*equal, differences.clone()))
            }
            Event::Finished => p.finished = true,
            Event::RollbackStarted { to } => {
                let rb = p.rollback.get_or_insert_with(RollbackProgress::default);
                rb.to = to.clone();
                rb.finished = false;
            }
            Event::UndoStarted { step, .. } => {
                p.rollback
                    .get_or_insert_with(RollbackProgress::default)
                    .undone
                    .entry(step.clone())
                    .or_insert(false);
            }
            Event::UndoOperationStarted { step, operation_id } => {
                p.rollback
                    .get_or_insert_with(RollbackProgress::default)
                    .in_flight
                    .entry(step.clone())
                    .or_default()
                    .push(operation_id.clone());
            }
            Event::UndoCompleted { step, .. } => {
                p.rollback
                    .get_or_insert_with(RollbackProgress::default)
                    .undone
                    .insert(step.clone(), true);
            }
            Event::RollbackFinished { to, left } => {
                let rb = p.rollback.get_or_insert_with(RollbackProgress::default);
                rb.finished = true;
                rb.to = to.clone();
                rb.left = left.clone();
            }
            Event::Repaired { step, change } => {
                p.repairs.push((step.clone(), change.clone()));
            }
            Event::Drifted { changes } => {
                p.drifted = Some(changes.clone());
                p.waiting_for_console = false;
            }
        }
    }
    p
}
