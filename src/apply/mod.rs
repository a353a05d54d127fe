//! Executes a saved plan exactly as written: stages in order, steps within a
//! stage concurrently (bounded), every step checking the live state before
//! it acts so that running it again is harmless, every event journaled
//! before the next action, the console stage as a gate, change windows and
//! interruption honoured at stage boundaries, and at the end the live proof
//! matrix compared with the prediction. Rollback walks the journal
//! backwards with the same machinery.
//!
//! This file holds the run itself: the stages in order, a stage's steps
//! concurrently, checkpoints, windows and interruption. Submodules:
//! [`launch`] (starting and continuing runs for the commands: refusals,
//! confirmation, the journal, the run) and [`conclusion`] (what an outcome
//! means, with the next command); [`next`] (the complete commands a
//! message prints for a journal); [`archive`] (an ended journal put aside
//! so that its plan name can be planned and applied again); [`journal`] (the file, the lock, its
//! records folded); [`live`] (targeted reads and expectation checks);
//! `converge` (one action driven to its effect, the control operations it
//! starts awaited); [`poll`] (when to poll next); [`coverage`] (the live
//! organization against the plan's end state); `gate` (the console stage,
//! re-verified live, and repairs); `rollback` (undo, deny first);
//! [`preflight`] (whether a plan may start, or a journal go on);
//! `readback` (the finished organization's proof against the prediction);
//! [`verify`] (prediction versus reality); [`status`] (what the journal
//! says, for people, corrected by what the organization says); [`history`]
//! (the last plan applied).
//!
//! It owns execution order and idempotence. It must not re-plan or import
//! the sandbox; the run reports [`Report`] events to its caller instead of
//! printing, and only `launch` drives the terminal (progress, the prompt).

pub mod archive;
pub mod conclusion;
mod converge;
pub mod coverage;
mod gate;
pub mod history;
pub mod journal;
pub mod launch;
pub mod live;
pub mod next;
pub mod poll;
pub mod preflight;
mod readback;
mod rollback;
pub mod status;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;

use crate::aws::{AwsError, ControlTower, Organizations};
use crate::plan::action::MapError;
use crate::plan::{Action, Expectation, Plan, Stage, Step};
pub use journal::{Event, Journal, JournalError, Prediction, Progress, Record};
use live::Live;
pub use poll::{next_poll, poll_interval};

/// Control Tower runs at most 10 control operations at once.
pub const MAX_CONCURRENCY: usize = 10;

/// The current time, RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Control operations at once within a stage (1..=10), and as many other steps beside them.
    pub max_concurrency: usize,
    /// How long to wait at the console gate; `None`: stop there at once.
    pub console_wait: Option<Duration>,
    /// A stage starts only if its estimate fits before this instant.
    pub window_end: Option<time::OffsetDateTime>,
    /// Shortest interval between polls of an operation (see [`poll_interval`]).
    pub poll_initial: Duration,
    pub poll_max: Duration,
    /// Rollback only: also undo the effects the forward run found in place
    /// without ctmigrate's tags (those a rollback leaves and names), because
    /// the person has said they should go.
    pub include_unowned: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_concurrency: 8,
            console_wait: None,
            window_end: None,
            poll_initial: Duration::from_millis(250),
            poll_max: Duration::from_secs(15),
            include_unowned: false,
        }
    }
}

/// What a [`Report`] is about (`kind` in `--format json` events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A stage begins.
    Stage,
    /// A step begins.
    Step,
    /// A step's (or an undo's, or a wait's) effect is in place.
    Done,
    /// Already in place: nothing was sent.
    Skipped,
    /// A Control Tower operation started.
    Operation,
    /// A transient failure or a FAILED operation: tried again.
    Retry,
    /// At the console step: the instructions for the person.
    Waiting,
    /// Every step of a stage is verified.
    Checkpoint,
    /// Stopped at a checkpoint (window, interruption).
    Stopped,
    /// A step failed.
    Failed,
    /// The live proof matrix was compared with the prediction.
    Verified,
    /// An undo began.
    Undo,
    /// Something another actor removed was put back.
    Repaired,
    /// A target has no region deny at all.
    Urgent,
}

/// Something worth showing while a run goes on.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    pub stage: Option<String>,
    pub step: Option<String>,
    pub message: String,
    pub elapsed_ms: u128,
    /// For `waiting`: exactly what the person does in the console.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every stage done, and the live matrix equals the prediction (or not:
    /// the differences).
    Finished { differences: Vec<String> },
    /// Stopped at the console gate; `resume` continues after the console step.
    WaitingForConsole { stage: String },
    /// Stopped at a checkpoint (window closing, interrupted); `resume` continues.
    Stopped {
        reason: String,
        next: Option<String>,
    },
    /// A step failed; the journal says which, and `resume` retries it.
    Failed { step: String, error: String },
    /// A step could not reach AWS (the endpoint refused, reset or timed
    /// out, after retries): nothing is lost, `resume` goes on once it answers.
    Unreachable { step: String, error: String },
    /// Rollback finished. `left`: effects found in place that ctmigrate did
    /// not make (no ctmigrate tags), left as they are and named.
    RolledBack {
        to: Option<String>,
        left: Vec<String>,
    },
    /// Someone else changed the organization in a way ctmigrate does not
    /// undo (other PV.1 parameters, other companion content, a repair that
    /// failed): each change with its fix.
    Drifted { changes: Vec<String> },
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A journal write failed: the run stopped before its next AWS call.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// An earlier journal write of this run failed (another step saw it):
    /// nothing more was sent.
    #[error("an earlier journal write failed; nothing more was sent to AWS")]
    JournalStopped,
    #[error("{0}")]
    Aws(Box<AwsError>),
    /// A step cannot go on: the live state is not as planned, a control
    /// operation failed too often or ran too long.
    #[error("{0}")]
    Step(String),
    /// The plan and the journal do not fit together (a placeholder no step
    /// recorded, a checkpoint the plan does not have).
    #[error("{0}")]
    Plan(String),
    /// The organization changed in a way ctmigrate does not undo (journaled).
    #[error("the organization changed: {}", .0.join("; "))]
    Drifted(Vec<String>),
}

impl Outcome {
    /// How a step's `error` ends the run.
    pub(crate) fn of_step_error(step: String, error: &RunError) -> Outcome {
        match error {
            RunError::Aws(a) if a.is_unreachable() => Outcome::Unreachable {
                step,
                error: error.to_string(),
            },
            _ => Outcome::Failed {
                step,
                error: error.to_string(),
            },
        }
    }
}

impl From<AwsError> for RunError {
    fn from(e: AwsError) -> RunError {
        RunError::Aws(Box::new(e))
    }
}

/// One run over a journal.
pub struct Run<'a, O, C, I> {
    pub live: Live<'a, O, C, I>,
    pub plan: &'a Plan,
    pub options: Options,
    pub report: &'a (dyn Fn(&Report) + Sync),
    /// Set by a signal handler: start nothing new, finish what runs, checkpoint.
    pub stop: &'a AtomicBool,
    journal: Mutex<(Journal, Vec<Record>)>,
    started: Instant,
    targets: Vec<String>,
    /// The earliest time an operation of this run was seen still running
    /// just before it was seen ended: where to poll densely (see [`next_poll`]).
    operation_ends: Mutex<Option<Duration>>,
    /// The landing-zone deny was found off before the console stage (turned
    /// off while apply was stopped): checks that expect it on are moot.
    deny_gone: AtomicBool,
    /// Held while repairing what other actors removed: one repair at a time.
    repairing: tokio::sync::Mutex<()>,
    /// A journal write failed: nothing more is sent.
    journal_failed: AtomicBool,
}

/// Why a `${step.Field}` placeholder cannot be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceholderError {
    #[error("unterminated placeholder in `{0}`")]
    Unterminated(String),
    #[error("placeholder `${{{0}}}` names no field")]
    NoField(String),
    #[error("`${{{step}.{field}}}`: step {step} has not recorded its {field} yet")]
    NotRecorded { step: String, field: String },
}

/// Replaces each `${step.Field}` in `s` with the output the journal
/// recorded for that step.
pub fn resolve(s: &str, progress: &Progress) -> Result<String, PlaceholderError> {
    if !s.contains("${") {
        return Ok(s.to_string());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| PlaceholderError::Unterminated(s.to_string()))?;
        let inner = &after[..end];
        let (step, key) = inner
            .rsplit_once('.')
            .ok_or_else(|| PlaceholderError::NoField(inner.to_string()))?;
        let v = progress
            .steps
            .get(step)
            .and_then(|p| p.outputs.get(key))
            .ok_or_else(|| PlaceholderError::NotRecorded {
                step: step.to_string(),
                field: key.to_string(),
            })?;
        out.push_str(v);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `action` with its placeholders resolved from the journal's outputs.
fn resolve_action(action: &Action, progress: &Progress) -> Result<Action, RunError> {
    action
        .map_strings(&mut |s: &str| resolve(s, progress))
        .map_err(|e| match e {
            MapError::Map(m) => RunError::Plan(m.to_string()),
            MapError::Action(a) => RunError::Plan(a.to_string()),
        })
}

/// The plan's first-tier OU ids.
pub fn target_ids(plan: &Plan) -> Vec<String> {
    plan.targets.iter().map(|t| t.ou_id.clone()).collect()
}

impl<'a, O, C, I> Run<'a, O, C, I>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: crate::aws::Identity + Sync,
{
    pub fn new(
        live: Live<'a, O, C, I>,
        plan: &'a Plan,
        journal: Journal,
        records: Vec<Record>,
        options: Options,
        report: &'a (dyn Fn(&Report) + Sync),
        stop: &'a AtomicBool,
    ) -> Self {
        Run {
            live,
            plan,
            options,
            report,
            stop,
            journal: Mutex::new((journal, records)),
            started: Instant::now(),
            targets: target_ids(plan),
            operation_ends: Mutex::new(None),
            deny_gone: AtomicBool::new(false),
            repairing: tokio::sync::Mutex::new(()),
            journal_failed: AtomicBool::new(false),
        }
    }

    /// Appends a record; the run stops if the journal cannot be written.
    pub fn record(&self, event: Event) -> Result<(), RunError> {
        self.journal_intact()?;
        let mut guard = match self.journal.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (journal, records) = &mut *guard;
        match journal.append(event) {
            Ok(record) => {
                records.push(record);
                Ok(())
            }
            Err(e) => {
                self.journal_failed.store(true, Ordering::SeqCst);
                Err(RunError::Journal(e))
            }
        }
    }

    /// Refuses to go on once a journal write of this run has failed: every
    /// AWS call is checked against this first, so that nothing is sent that
    /// the journal could not record.
    pub fn journal_intact(&self) -> Result<(), RunError> {
        if self.journal_failed.load(Ordering::SeqCst) {
            Err(RunError::JournalStopped)
        } else {
            Ok(())
        }
    }

    /// Milliseconds since this run began.
    pub fn elapsed_ms(&self) -> u128 {
        self.started.elapsed().as_millis()
    }

    pub fn progress(&self) -> Progress {
        match self.journal.lock() {
            Ok(g) => journal::fold(&g.1),
            Err(p) => journal::fold(&p.into_inner().1),
        }
    }

    fn say(&self, kind: ReportKind, stage: Option<&str>, step: Option<&str>, message: String) {
        (self.report)(&Report {
            kind,
            stage: stage.map(str::to_string),
            step: step.map(str::to_string),
            message,
            elapsed_ms: self.started.elapsed().as_millis(),
            instructions: Vec::new(),
        });
    }

    // ---- forward ----------------------------------------------------------

    /// Runs the plan from where the journal stands.
    pub async fn forward(&self) -> Result<Outcome, RunError> {
        if let Some(outcome) = self.look_before_forward().await? {
            return Ok(outcome);
        }
        for stage in &self.plan.stages {
            if self.progress().checkpoints.contains(&stage.id) {
                continue;
            }
            if self.stop.load(Ordering::SeqCst) {
                return self.stopped("interrupted", Some(stage));
            }
            if let Some(end) = self.options.window_end {
                let estimate = Duration::from_secs(stage.estimated_seconds);
                let now = time::OffsetDateTime::now_utc();
                if !stage.manual && now + estimate > end {
                    let reason = format!(
                        "the change window ends at {}: stage `{}` is estimated at {} and would not finish before it",
                        end.format(&time::format_description::well_known::Rfc3339)
                            .unwrap_or_default(),
                        stage.id,
                        crate::plan::human_duration(stage.estimated_seconds)
                    );
                    return self.stopped(&reason, Some(stage));
                }
            }
            self.record(Event::StageStarted {
                stage: stage.id.clone(),
            })?;
            self.say(
                ReportKind::Stage,
                Some(&stage.id),
                None,
                stage.title.clone(),
            );
            if stage.manual {
                if let Some(outcome) = self.console_gate(stage, false).await? {
                    return Ok(outcome);
                }
            } else if let Some(outcome) = self.run_stage(stage).await? {
                return Ok(outcome);
            }
            self.record(Event::Checkpoint {
                stage: stage.id.clone(),
            })?;
            self.say(
                ReportKind::Checkpoint,
                Some(&stage.id),
                None,
                format!("checkpoint `{}`", stage.id),
            );
        }
        Ok(Outcome::Finished {
            differences: Vec::new(),
        })
    }

    /// Before going on: wait out a landing-zone update in progress, and
    /// recognise a landing-zone deny that is already off although the console
    /// stage has not been reached (turned off while this apply was stopped),
    /// saying loudly which targets that leaves without any region deny.
    async fn look_before_forward(&self) -> Result<Option<Outcome>, RunError> {
        let progress = self.progress();
        let Some(console) = self
            .plan
            .stages
            .iter()
            .find(|s| s.manual && !progress.checkpoints.contains(&s.id))
        else {
            return Ok(None);
        };
        if progress.checkpoints.is_empty() {
            // Preflight has not passed: it checks the landing zone itself.
            return Ok(None);
        }
        if let Some(outcome) = self.settle_landing_zone(console, &console.id).await? {
            return Ok(Some(outcome));
        }
        let found = self.coverage().await?;
        if found.deny_off_everywhere() {
            self.deny_gone.store(true, Ordering::SeqCst);
            let uncovered: Vec<String> = found
                .uncovered()
                .iter()
                .map(|t| format!("{} ({})", t.name, t.ou_id))
                .collect();
            self.say(
                if uncovered.is_empty() { ReportKind::Done } else { ReportKind::Urgent },
                Some(&console.id),
                None,
                if uncovered.is_empty() {
                    "the landing-zone region deny is already off (read just now); going on to verify".into()
                } else {
                    format!(
                        "URGENT: the landing-zone region deny is already off and {} have no region deny at all; ctmigrate completes PV.1 on them now",
                        uncovered.join(", ")
                    )
                },
            );
        }
        Ok(None)
    }

    fn stopped(&self, reason: &str, next: Option<&Stage>) -> Result<Outcome, RunError> {
        self.record(Event::Stopped {
            reason: reason.to_string(),
            next: next.map(|s| s.id.clone()),
        })?;
        self.say(
            ReportKind::Stopped,
            next.map(|s| s.id.as_str()),
            None,
            reason.to_string(),
        );
        Ok(Outcome::Stopped {
            reason: reason.to_string(),
            next: next.map(|s| s.id.clone()),
        })
    }

    /// Runs a stage's steps, at most `max_concurrency` control operations and
    /// `max_concurrency` other steps at once, honouring `after`. `None` when
    /// every step is verified.
    async fn run_stage(&self, stage: &Stage) -> Result<Option<Outcome>, RunError> {
        let done_before: Vec<String> = {
            let p = self.progress();
            stage
                .steps
                .iter()
                .filter(|s| p.steps.get(&s.id).is_some_and(|x| x.verified))
                .map(|s| s.id.clone())
                .collect()
        };
        let mut finished: Vec<String> = done_before;
        let mut pending: Vec<&Step> = stage
            .steps
            .iter()
            .filter(|s| !finished.contains(&s.id))
            .collect();
        let mut running = FuturesUnordered::new();
        let mut failure: Option<Outcome> = None;
        let limit = self.options.max_concurrency.clamp(1, MAX_CONCURRENCY);
        // Control operations (minutes each on AWS, at most 10 at once) and the
        // quick Organizations calls have their own `limit` each, so the calls
        // run beside the operations instead of holding up the next one.
        let (mut operations, mut calls) = (0usize, 0usize);
        loop {
            while failure.is_none() && !self.stop.load(Ordering::SeqCst) {
                let ready = |s: &&Step| s.after.iter().all(|a| finished.contains(a));
                let Some(pos) = pending.iter().position(|s| {
                    ready(s)
                        && if is_control_operation(s) {
                            operations < limit
                        } else {
                            calls < limit
                        }
                }) else {
                    break;
                };
                let step = pending.remove(pos);
                let operation = is_control_operation(step);
                if operation {
                    operations += 1;
                } else {
                    calls += 1;
                }
                running.push(async move {
                    (
                        step.id.clone(),
                        operation,
                        self.forward_step(stage, step).await,
                    )
                });
            }
            let Some((id, operation, result)) = running.next().await else {
                break;
            };
            if operation {
                operations -= 1;
            } else {
                calls -= 1;
            }
            match result {
                Ok(()) => finished.push(id),
                Err(e @ (RunError::Journal(_) | RunError::JournalStopped)) => return Err(e),
                Err(RunError::Drifted(changes)) => {
                    return Ok(Some(Outcome::Drifted { changes }));
                }
                Err(e) => {
                    let error = e.to_string();
                    self.record(Event::StepFailed {
                        step: id.clone(),
                        error: error.clone(),
                    })?;
                    self.say(
                        ReportKind::Failed,
                        Some(&stage.id),
                        Some(&id),
                        error.clone(),
                    );
                    if failure.is_none() {
                        failure = Some(Outcome::of_step_error(id, &e));
                    }
                }
            }
        }
        if let Some(outcome) = failure {
            return Ok(Some(outcome));
        }
        if !pending.is_empty() {
            return self.stopped("interrupted", Some(stage)).map(Some);
        }
        Ok(None)
    }

    /// One forward step, idempotent: observe, act only if needed, wait for
    /// the operation, verify.
    async fn forward_step(&self, stage: &Stage, step: &Step) -> Result<(), RunError> {
        let Some(request) = &step.request else {
            return self.check_step(stage, step).await;
        };
        if request.is_read_only() {
            return self.check_step(stage, step).await;
        }
        self.converge(
            stage,
            &step.id,
            request,
            &step.precondition,
            &step.postcondition,
            false,
        )
        .await
    }

    /// Checks-only steps: the preconditions and postconditions must hold.
    async fn check_step(&self, stage: &Stage, step: &Step) -> Result<(), RunError> {
        let deny_gone = self.deny_gone.load(Ordering::SeqCst);
        let all: Vec<Expectation> = step
            .precondition
            .iter()
            .chain(step.postcondition.iter())
            .filter(|e| {
                !(deny_gone
                    && matches!(e, Expectation::StatementPresent { sid, .. } if sid == coverage::GRREGIONDENY))
            })
            .cloned()
            .collect();
        if self.live.check_all(&all, &self.targets).await?.is_some() {
            // Another actor may have removed what an earlier stage put there:
            // put back what is ours, stop on anything else, then look again.
            // Only once everything the plan puts on the targets was put there
            // (verify and final), and one repair at a time.
            let progress = self.progress();
            let all_put = self
                .plan
                .stages
                .iter()
                .filter(|st| {
                    st.steps
                        .iter()
                        .any(|x| x.request.as_ref().is_some_and(|r| !r.is_read_only()))
                })
                .all(|st| progress.checkpoints.contains(&st.id));
            if all_put {
                let _one = self.repairing.lock().await;
                let found = self.coverage().await?;
                if !found.drifts.is_empty()
                    && let Some(Outcome::Drifted { changes }) = self.repair(stage, &found).await?
                {
                    return Err(RunError::Drifted(changes));
                }
            }
            if let Some(why) = self.live.check_all(&all, &self.targets).await? {
                return Err(RunError::Step(format!("{}: {why}", step.title)));
            }
        }
        self.record(Event::StepCompleted {
            step: step.id.clone(),
            outputs: BTreeMap::new(),
            skipped: false,
        })?;
        self.record(Event::StepVerified {
            step: step.id.clone(),
        })?;
        self.say(
            ReportKind::Done,
            Some(&stage.id),
            Some(&step.id),
            step.title.clone(),
        );
        Ok(())
    }
}

/// A step whose request starts a Control Tower control operation.
fn is_control_operation(step: &Step) -> bool {
    step.request
        .as_ref()
        .is_some_and(Action::starts_control_operation)
}

/// What a person does in the console to turn the landing-zone region deny back on.
pub fn console_on_instructions(plan: &Plan) -> Vec<String> {
    vec![
        format!(
            "Sign in to the management account {} and open the AWS Control Tower console in {}.",
            plan.management_account, plan.home_region
        ),
        "Landing zone settings → Modify settings.".into(),
        "Region deny: choose Enabled; keep the governed Regions as they are.".into(),
        "Update landing zone, and wait until its status is Active again.".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_resolve_from_recorded_outputs() {
        let mut p = Progress::default();
        p.steps.insert(
            "create-companion".into(),
            journal::StepProgress {
                outputs: BTreeMap::from([("PolicyId".to_string(), "p-123".to_string())]),
                ..Default::default()
            },
        );
        assert_eq!(
            resolve("${create-companion.PolicyId}x", &p).unwrap(),
            "p-123x"
        );
        assert_eq!(resolve("ou-1", &p).unwrap(), "ou-1");
        let err = resolve("${enable-pv1:ou-1.arn}", &p).unwrap_err();
        assert!(err.to_string().contains("enable-pv1:ou-1"), "{err}");
        assert!(resolve("${broken", &p).is_err());
        let action: Action = serde_json::from_value(json!({
            "service": "organizations", "operation": "AttachPolicy",
            "input": {"PolicyId": "${create-companion.PolicyId}", "TargetId": "ou-1"}
        }))
        .unwrap();
        assert_eq!(
            resolve_action(&action, &p).unwrap().to_string(),
            "organizations:AttachPolicy PolicyId=p-123 TargetId=ou-1"
        );
    }
}
