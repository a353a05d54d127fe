//! Executes a saved plan exactly as written: stages in order, steps within a
//! stage concurrently (bounded), every step checking the live state before
//! it acts so that running it again is harmless, every event journaled
//! before the next action, the console stage as a gate, change windows and
//! interruption honoured at stage boundaries, and at the end the live proof
//! matrix compared with the prediction. Rollback walks the journal
//! backwards with the same machinery.
//!
//! Submodules: [`journal`] (the file, the lock, folding), [`live`] (targeted
//! reads and expectation checks), [`coverage`] (the live organization against
//! the plan's end state), `gate` (the console stage, re-verified live),
//! [`verify`] (prediction versus reality), [`status`] (what the journal
//! says, for people, corrected by what the organization says).
//!
//! It owns execution order and idempotence. It must not re-plan, print
//! (it reports [`Report`] events to the caller), or import the sandbox.

pub mod coverage;
mod gate;
pub mod journal;
pub mod live;
pub mod status;
pub mod verify;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use serde_json::{Value, json};

use crate::aws::{AwsError, ControlTower, Organizations};
use crate::model::{ControlOperation, Tag};
use crate::plan::{ApiCall, Expectation, Plan, Stage, Step};
pub use journal::{Event, Journal, JournalError, Prediction, Progress, Record};
use live::{Live, control_parameters, normalise_parameters, parameters_json};

/// Control Tower runs at most 10 control operations at once.
pub const MAX_CONCURRENCY: usize = 10;
/// Control operations that may end FAILED for one step in one run before it stops.
const MAX_FAILED_OPERATIONS: usize = 3;
/// Transient failures tolerated for one step in one run.
const MAX_TRANSIENT: u32 = 10;
/// How long one control operation may take (Terraform's provider uses 60 minutes).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60 * 60);

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_concurrency: 8,
            console_wait: None,
            window_end: None,
            poll_initial: Duration::from_millis(250),
            poll_max: Duration::from_secs(15),
        }
    }
}

/// Something worth showing while a run goes on.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `stage`, `step`, `done`, `skipped`, `operation`, `retry`, `waiting`,
    /// `checkpoint`, `stopped`, `failed`, `verified`, `undo`, `repaired`
    /// (something another actor removed was put back), `urgent` (a target
    /// has no region deny at all).
    pub kind: &'static str,
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
    /// Rollback finished.
    RolledBack { to: Option<String> },
    /// Someone else changed the organization in a way ctmigrate does not
    /// undo (other PV.1 parameters, other companion content, a repair that
    /// failed): each change with its fix.
    Drifted { changes: Vec<String> },
}

/// A failure of the journal itself, or of reading what a run needs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Aws(Box<AwsError>),
    #[error("{0}")]
    Invalid(String),
    /// The organization changed in a way ctmigrate does not undo (journaled).
    #[error("the organization changed: {}", .0.join("; "))]
    Drifted(Vec<String>),
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
}

/// What observing a step's effect found.
enum Observed {
    /// In place; the outputs feed placeholders.
    Done(BTreeMap<String, String>),
    /// A control operation is running on it.
    InProgress {
        operation: Option<String>,
        enabled_control: String,
    },
    /// An enabled control whose last operation FAILED: re-apply it.
    FailedControl { enabled_control: String },
    /// Not in place; the before-image.
    NotDone(Value),
    /// In a state the plan does not expect.
    Conflict(String),
}

fn field<'v>(input: &'v Value, key: &str) -> &'v str {
    input.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Replaces `${step.Field}` in every string of `value` with the journal's outputs.
pub fn resolve(value: &Value, progress: &Progress) -> Result<Value, String> {
    match value {
        Value::String(s) if s.contains("${") => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("unterminated placeholder in `{s}`"))?;
                let inner = &after[..end];
                let (step, key) = inner
                    .rsplit_once('.')
                    .ok_or_else(|| format!("placeholder `${{{inner}}}` names no field"))?;
                let v = progress
                    .steps
                    .get(step)
                    .and_then(|p| p.outputs.get(key))
                    .ok_or_else(|| {
                        format!("`${{{inner}}}`: step {step} has not recorded its {key} yet")
                    })?;
                out.push_str(v);
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Ok(Value::String(out))
        }
        Value::Array(a) => Ok(Value::Array(
            a.iter()
                .map(|v| resolve(v, progress))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(m) => Ok(Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, progress)?)))
                .collect::<Result<_, String>>()?,
        )),
        other => Ok(other.clone()),
    }
}

fn resolve_call(call: &ApiCall, progress: &Progress) -> Result<ApiCall, String> {
    Ok(ApiCall {
        service: call.service.clone(),
        operation: call.operation.clone(),
        input: resolve(&call.input, progress)?,
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
        }
    }

    /// Gives the journal back (to close it).
    pub fn into_journal(self) -> Journal {
        match self.journal.into_inner() {
            Ok((j, _)) => j,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Appends a record; the run stops if the journal cannot be written.
    pub fn record(&self, event: Event) -> Result<(), RunError> {
        let mut guard = self
            .journal
            .lock()
            .map_err(|_| RunError::Invalid("the journal lock was poisoned".into()))?;
        let (journal, records) = &mut *guard;
        let record = journal.append(event)?;
        records.push(record);
        Ok(())
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

    fn say(&self, kind: &'static str, stage: Option<&str>, step: Option<&str>, message: String) {
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
            self.say("stage", Some(&stage.id), None, stage.title.clone());
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
                "checkpoint",
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
                if uncovered.is_empty() { "done" } else { "urgent" },
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
            "stopped",
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
        let mut failure: Option<(String, String)> = None;
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
                Err(RunError::Journal(e)) => return Err(RunError::Journal(e)),
                Err(RunError::Drifted(changes)) => {
                    return Ok(Some(Outcome::Drifted { changes }));
                }
                Err(e) => {
                    let error = e.to_string();
                    self.record(Event::StepFailed {
                        step: id.clone(),
                        error: error.clone(),
                    })?;
                    self.say("failed", Some(&stage.id), Some(&id), error.clone());
                    if failure.is_none() {
                        failure = Some((id, error));
                    }
                }
            }
        }
        if let Some((step, error)) = failure {
            return Ok(Some(Outcome::Failed { step, error }));
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
        if is_read_only(request) {
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
                        .any(|x| x.request.as_ref().is_some_and(|r| !is_read_only(r)))
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
                return Err(RunError::Invalid(format!("{}: {why}", step.title)));
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
        self.say("done", Some(&stage.id), Some(&step.id), step.title.clone());
        Ok(())
    }

    /// Drives one call (forward or undo) to its effect.
    async fn converge(
        &self,
        stage: &Stage,
        step_id: &str,
        call: &ApiCall,
        precondition: &[Expectation],
        postcondition: &[Expectation],
        undo: bool,
    ) -> Result<(), RunError> {
        let mut transient = 0u32;
        let mut failed_ops = 0usize;
        let mut acted = false;
        loop {
            let progress = self.progress();
            let resolved = resolve_call(call, &progress).map_err(RunError::Invalid)?;
            let observed = match self.observe(&resolved).await {
                Ok(o) => o,
                Err(e) if e.is_transient() && transient < MAX_TRANSIENT => {
                    transient += 1;
                    tokio::time::sleep(live::backoff(transient, e.retry_after_secs)).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            match observed {
                Observed::Done(outputs) => {
                    let was_started = if undo {
                        progress
                            .rollback
                            .as_ref()
                            .is_some_and(|r| r.undone.contains_key(step_id))
                    } else {
                        progress.steps.get(step_id).is_some_and(|s| s.started)
                    };
                    if undo {
                        self.record(Event::UndoCompleted {
                            step: step_id.to_string(),
                            skipped: !was_started,
                        })?;
                        self.say(
                            if was_started { "done" } else { "skipped" },
                            Some(&stage.id),
                            Some(step_id),
                            format!("undone: {}", describe(&resolved)),
                        );
                        return Ok(());
                    }
                    self.record(Event::StepCompleted {
                        step: step_id.to_string(),
                        outputs,
                        skipped: !was_started,
                    })?;
                    if let Some(why) = self.verify_post(postcondition).await? {
                        return Err(RunError::Invalid(format!(
                            "{step_id}: the call succeeded but {why}"
                        )));
                    }
                    self.record(Event::StepVerified {
                        step: step_id.to_string(),
                    })?;
                    self.say(
                        if was_started || acted {
                            "done"
                        } else {
                            "skipped"
                        },
                        Some(&stage.id),
                        Some(step_id),
                        if was_started || acted {
                            describe(&resolved)
                        } else {
                            format!("already in place: {}", describe(&resolved))
                        },
                    );
                    return Ok(());
                }
                Observed::Conflict(why) => {
                    return Err(RunError::Invalid(format!("{step_id}: {why}")));
                }
                Observed::InProgress {
                    operation,
                    enabled_control,
                } => {
                    let operation = match operation {
                        Some(op) => op,
                        None => self
                            .running_operation_on(&enabled_control)
                            .await?
                            .ok_or_else(|| {
                                RunError::Invalid(format!(
                                    "{step_id}: {enabled_control} is under change but no running operation was found"
                                ))
                            })?,
                    };
                    let known = if undo {
                        progress
                            .rollback
                            .as_ref()
                            .and_then(|r| r.in_flight.get(step_id))
                            .is_some_and(|ops| ops.contains(&operation))
                    } else {
                        progress
                            .steps
                            .get(step_id)
                            .is_some_and(|s| s.operations.contains(&operation))
                    };
                    if !known {
                        self.record_operation(step_id, &operation, Some(&enabled_control), undo)?;
                    }
                    if !self
                        .wait_operation(stage, step_id, &operation, false)
                        .await?
                    {
                        one_more_failure(step_id, &mut failed_ops)?;
                    }
                }
                Observed::FailedControl { enabled_control } => {
                    // Re-apply with the planned parameters: UpdateEnabledControl
                    // re-runs a FAILED control even with unchanged parameters.
                    let params = resolved
                        .input
                        .get("parameters")
                        .cloned()
                        .unwrap_or(Value::Null);
                    let reapply = ApiCall {
                        service: "controltower".into(),
                        operation: "UpdateEnabledControl".into(),
                        input: json!({"enabledControlIdentifier": enabled_control, "parameters": params}),
                    };
                    let before = json!({"enabled_control": enabled_control, "status": "FAILED"});
                    self.start(step_id, &reapply, before, undo).await?;
                    match self.act(stage, step_id, &reapply, undo).await {
                        Ok(outcome) => {
                            acted = true;
                            if outcome == Some(false) {
                                one_more_failure(step_id, &mut failed_ops)?;
                            }
                        }
                        Err(e) if e.is_transient() && transient < MAX_TRANSIENT => {
                            transient += 1;
                            self.retry_later(stage, step_id, &e, transient).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Observed::NotDone(before) => {
                    if !acted
                        && !undo
                        && let Some(why) = self.live.check_all(precondition, &self.targets).await?
                    {
                        return Err(RunError::Invalid(format!(
                            "{step_id}: not as planned: {why}"
                        )));
                    }
                    self.start(step_id, &resolved, before, undo).await?;
                    match self.act(stage, step_id, &resolved, undo).await {
                        Ok(outcome) => {
                            acted = true;
                            if outcome == Some(false) {
                                one_more_failure(step_id, &mut failed_ops)?;
                            }
                        }
                        Err(e) if e.is_transient() && transient < MAX_TRANSIENT => {
                            transient += 1;
                            self.retry_later(stage, step_id, &e, transient).await;
                        }
                        // Already done by an earlier attempt whose answer was lost.
                        Err(e)
                            if e.is("DuplicatePolicyException")
                                || e.is("DuplicatePolicyAttachmentException")
                                || e.is("PolicyNotAttachedException")
                                || e.is("PolicyNotFoundException") =>
                        {
                            acted = true;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
    }

    /// Says why a call is retried, then waits the backoff for `attempt`.
    async fn retry_later(&self, stage: &Stage, step_id: &str, e: &AwsError, attempt: u32) {
        self.say("retry", Some(&stage.id), Some(step_id), e.to_string());
        tokio::time::sleep(live::backoff(attempt, e.retry_after_secs)).await;
    }

    async fn verify_post(&self, post: &[Expectation]) -> Result<Option<String>, RunError> {
        Ok(self.live.check_all(post, &self.targets).await?)
    }

    fn record_operation(
        &self,
        step: &str,
        operation: &str,
        enabled_control: Option<&str>,
        undo: bool,
    ) -> Result<(), RunError> {
        if undo {
            self.record(Event::UndoOperationStarted {
                step: step.to_string(),
                operation_id: operation.to_string(),
            })
        } else {
            self.record(Event::OperationStarted {
                step: step.to_string(),
                operation_id: operation.to_string(),
                enabled_control: enabled_control.map(str::to_string),
            })
        }
    }

    /// Journals the start of an action, with the exact request and the before-image.
    async fn start(
        &self,
        step: &str,
        request: &ApiCall,
        before: Value,
        undo: bool,
    ) -> Result<(), RunError> {
        if undo {
            self.record(Event::UndoStarted {
                step: step.to_string(),
                request: Some(request.clone()),
            })
        } else {
            self.record(Event::StepStarted {
                step: step.to_string(),
                request: Some(request.clone()),
                before,
            })
        }
    }

    /// Sends one mutating call; a control operation is journaled as soon as
    /// its id is known and then awaited.
    async fn act(
        &self,
        stage: &Stage,
        step: &str,
        call: &ApiCall,
        undo: bool,
    ) -> Result<Option<bool>, AwsError> {
        let i = &call.input;
        let orgs = self.live.orgs;
        let ct = self.live.ct;
        let operation: Option<(String, Option<String>)> =
            match (call.service.as_str(), call.operation.as_str()) {
                ("organizations", "CreatePolicy") => {
                    let tags: Vec<Tag> = i
                        .get("Tags")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|t| Tag {
                                    key: field(t, "Key").to_string(),
                                    value: field(t, "Value").to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    orgs.create_policy(
                        field(i, "Name"),
                        field(i, "Description"),
                        field(i, "Content"),
                        &tags,
                    )
                    .await?;
                    None
                }
                ("organizations", "UpdatePolicy") => {
                    orgs.update_policy_content(field(i, "PolicyId"), field(i, "Content"))
                        .await?;
                    None
                }
                ("organizations", "DeletePolicy") => {
                    orgs.delete_policy(field(i, "PolicyId")).await?;
                    None
                }
                ("organizations", "AttachPolicy") => {
                    orgs.attach_policy(field(i, "PolicyId"), field(i, "TargetId"))
                        .await?;
                    None
                }
                ("organizations", "DetachPolicy") => {
                    orgs.detach_policy(field(i, "PolicyId"), field(i, "TargetId"))
                        .await?;
                    None
                }
                ("controltower", "EnableControl") => {
                    let params = control_parameters(i.get("parameters").unwrap_or(&Value::Null));
                    let (op, arn) = ct
                        .enable_control(
                            field(i, "controlIdentifier"),
                            field(i, "targetIdentifier"),
                            &params,
                        )
                        .await?;
                    Some((op, arn))
                }
                ("controltower", "DisableControl") => {
                    let arn = field(i, "enabledControlIdentifier");
                    Some((ct.disable_control(arn).await?, Some(arn.to_string())))
                }
                ("controltower", "UpdateEnabledControl") => {
                    let arn = field(i, "enabledControlIdentifier");
                    let params = control_parameters(i.get("parameters").unwrap_or(&Value::Null));
                    Some((
                        ct.update_enabled_control(arn, &params).await?,
                        Some(arn.to_string()),
                    ))
                }
                (service, op) => {
                    return Err(AwsError {
                        service: "ctmigrate",
                        operation: "apply",
                        kind: crate::aws::AwsErrorKind::Other(format!(
                            "the plan asks for {service}:{op}, which apply does not perform"
                        )),
                        retry_after_secs: None,
                    });
                }
            };
        if let Some((op, arn)) = operation {
            if let Err(e) = self.record_operation(step, &op, arn.as_deref(), undo) {
                return Err(AwsError {
                    service: "ctmigrate",
                    operation: "journal",
                    kind: crate::aws::AwsErrorKind::Other(e.to_string()),
                    retry_after_secs: None,
                });
            }
            self.say(
                "operation",
                Some(&stage.id),
                Some(step),
                if undo {
                    format!("undo: Control Tower operation {op} started")
                } else {
                    format!("Control Tower operation {op} started")
                },
            );
            return match self.wait_operation(stage, step, &op, true).await {
                Ok(succeeded) => Ok(Some(succeeded)),
                Err(e) => Err(AwsError {
                    service: "ctmigrate",
                    operation: "wait",
                    kind: crate::aws::AwsErrorKind::Other(e.to_string()),
                    retry_after_secs: None,
                }),
            };
        }
        Ok(None)
    }

    /// Polls a control operation until it ends (see [`next_poll`]).
    /// `Ok(true)` when it SUCCEEDED, `Ok(false)` when it FAILED (journaled).
    /// `fresh`: the operation was started just now, so its running time is
    /// known and teaches where later operations will end.
    async fn wait_operation(
        &self,
        stage: &Stage,
        step: &str,
        operation: &str,
        fresh: bool,
    ) -> Result<bool, RunError> {
        let started = Instant::now();
        let mut last_running: Option<Duration> = None;
        loop {
            let asked_at = started.elapsed();
            let op: ControlOperation =
                live::retry(|| self.live.ct.get_control_operation(operation)).await?;
            if matches!(op.status.as_str(), "SUCCEEDED" | "FAILED")
                && fresh
                && let Some(running) = last_running
                && let Ok(mut ends) = self.operation_ends.lock()
            {
                *ends = Some(ends.map_or(running, |e| e.min(running)));
            }
            match op.status.as_str() {
                "SUCCEEDED" => return Ok(true),
                "FAILED" => {
                    let message = op.message.unwrap_or_else(|| "no message".into());
                    self.record(Event::OperationFailed {
                        step: step.to_string(),
                        operation_id: operation.to_string(),
                        message: message.clone(),
                    })?;
                    self.say(
                        "retry",
                        Some(&stage.id),
                        Some(step),
                        format!("Control Tower operation {operation} FAILED: {message}"),
                    );
                    return Ok(false);
                }
                _ => {}
            }
            if started.elapsed() > OPERATION_TIMEOUT {
                return Err(RunError::Invalid(format!(
                    "Control Tower operation {operation} is still {} after {}",
                    op.status,
                    crate::plan::human_duration(OPERATION_TIMEOUT.as_secs())
                )));
            }
            last_running = Some(asked_at);
            let expected = self.operation_ends.lock().ok().and_then(|e| *e);
            tokio::time::sleep(next_poll(
                started.elapsed(),
                expected,
                self.options.poll_initial,
                self.options.poll_max,
            ))
            .await;
        }
    }

    /// The running operation on an enabled control, found through the
    /// control's last operation or the in-progress list.
    async fn running_operation_on(
        &self,
        enabled_control: &str,
    ) -> Result<Option<String>, RunError> {
        if let Some(c) = self.live.enabled_control(enabled_control).await?
            && let Some(op) = c.last_operation
        {
            return Ok(Some(op));
        }
        let ops = live::retry(|| self.live.ct.list_control_operations(Some("IN_PROGRESS"))).await?;
        Ok(ops
            .into_iter()
            .find(|o| o.enabled_control.as_deref() == Some(enabled_control))
            .map(|o| o.id))
    }

    /// Where a call's effect stands now.
    async fn observe(&self, call: &ApiCall) -> Result<Observed, AwsError> {
        let i = &call.input;
        let l = &self.live;
        Ok(match (call.service.as_str(), call.operation.as_str()) {
            ("organizations", "CreatePolicy") => {
                let name = field(i, "Name");
                match l.policy_by_name(name).await? {
                    None => Observed::NotDone(json!({"policy": null, "name": name})),
                    Some(p) if p.content == field(i, "Content") => {
                        // Adopt it only if it carries every tag the plan gives it:
                        // found by name and tag, never someone else's policy.
                        let have = l.tags(&p.summary.id).await?;
                        let missing: Vec<String> = i
                            .get("Tags")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter(|t| {
                                have.get(field(t, "Key")).map(String::as_str)
                                    != Some(field(t, "Value"))
                            })
                            .map(|t| format!("{}={}", field(t, "Key"), field(t, "Value")))
                            .collect();
                        if missing.is_empty() {
                            Observed::Done(BTreeMap::from([("PolicyId".to_string(), p.summary.id)]))
                        } else {
                            Observed::Conflict(format!(
                                "a policy named {name} already exists ({}) without the tags {}; it was not made by ctmigrate",
                                p.summary.id,
                                missing.join(", ")
                            ))
                        }
                    }
                    Some(p) => Observed::Conflict(format!(
                        "a policy named {name} already exists ({}) with other content; it was not made by this plan",
                        p.summary.id
                    )),
                }
            }
            ("organizations", "UpdatePolicy") => {
                let id = field(i, "PolicyId");
                match l.policy(id).await? {
                    None => Observed::Conflict(format!("policy {id} does not exist")),
                    Some(p) if p.content == field(i, "Content") => {
                        Observed::Done(BTreeMap::from([("PolicyId".to_string(), id.to_string())]))
                    }
                    Some(p) => Observed::NotDone(json!({"PolicyId": id, "Content": p.content})),
                }
            }
            ("organizations", "DeletePolicy") => {
                let id = field(i, "PolicyId");
                match l.policy(id).await? {
                    None => Observed::Done(BTreeMap::new()),
                    Some(p) => Observed::NotDone(
                        json!({"PolicyId": id, "Name": p.summary.name, "Content": p.content}),
                    ),
                }
            }
            ("organizations", "AttachPolicy") | ("organizations", "DetachPolicy") => {
                let (id, target) = (field(i, "PolicyId"), field(i, "TargetId"));
                let attached = l.attached(target).await?;
                let is_attached = attached.iter().any(|p| p.id == id);
                let want = call.operation == "AttachPolicy";
                if is_attached == want {
                    Observed::Done(BTreeMap::new())
                } else {
                    Observed::NotDone(json!({
                        "TargetId": target,
                        "attached": attached.iter().map(|p| &p.name).collect::<Vec<_>>(),
                    }))
                }
            }
            ("controltower", "EnableControl") => {
                let target = field(i, "targetIdentifier");
                let planned = normalise_parameters(i.get("parameters").unwrap_or(&Value::Null));
                match l.pv1_on(target).await? {
                    None => Observed::NotDone(
                        json!({"targetIdentifier": target, "enabled_control": null}),
                    ),
                    Some(c) => match c.status.as_str() {
                        "UNDER_CHANGE" => Observed::InProgress {
                            operation: c.last_operation.clone(),
                            enabled_control: c.arn,
                        },
                        "FAILED" => Observed::FailedControl {
                            enabled_control: c.arn,
                        },
                        _ if normalise_parameters(&parameters_json(&c.parameters)) == planned => {
                            Observed::Done(BTreeMap::from([("arn".to_string(), c.arn)]))
                        }
                        _ => Observed::Conflict(format!(
                            "CT.MULTISERVICE.PV.1 is enabled on {target} ({}) with other parameters: {}",
                            c.arn,
                            parameters_json(&c.parameters)
                        )),
                    },
                }
            }
            ("controltower", "UpdateEnabledControl") | ("controltower", "DisableControl") => {
                let arn = field(i, "enabledControlIdentifier");
                let disable = call.operation == "DisableControl";
                match l.enabled_control(arn).await? {
                    None if disable => Observed::Done(BTreeMap::new()),
                    None => Observed::Conflict(format!("enabled control {arn} does not exist")),
                    Some(c) if c.status == "UNDER_CHANGE" => Observed::InProgress {
                        operation: c.last_operation.clone(),
                        enabled_control: c.arn,
                    },
                    Some(c) if disable => Observed::NotDone(json!({
                        "enabledControlIdentifier": arn,
                        "parameters": parameters_json(&c.parameters),
                        "status": c.status,
                    })),
                    Some(c)
                        if c.status == "SUCCEEDED"
                            && normalise_parameters(&parameters_json(&c.parameters))
                                == normalise_parameters(
                                    i.get("parameters").unwrap_or(&Value::Null),
                                ) =>
                    {
                        Observed::Done(BTreeMap::from([("arn".to_string(), c.arn)]))
                    }
                    Some(c) => Observed::NotDone(json!({
                        "enabledControlIdentifier": arn,
                        "parameters": parameters_json(&c.parameters),
                        "status": c.status,
                    })),
                }
            }
            (service, op) => Observed::Conflict(format!(
                "the plan asks for {service}:{op}, which apply does not perform"
            )),
        })
    }

    // ---- rollback -----------------------------------------------------------

    /// Undoes what the journal says was done after checkpoint `to` (None:
    /// everything), newest first. If the landing-zone deny was turned off,
    /// it must be back on before anything else is undone.
    pub async fn rollback(&self, to: Option<&str>) -> Result<Outcome, RunError> {
        let stages_after: Vec<&Stage> = match to {
            None => self.plan.stages.iter().collect(),
            Some(cp) => {
                let pos = self
                    .plan
                    .stages
                    .iter()
                    .position(|s| s.id == cp)
                    .ok_or_else(|| RunError::Invalid(format!("the plan has no stage `{cp}`")))?;
                self.plan.stages[pos + 1..].iter().collect()
            }
        };
        // The organization first, whatever the journal says: while the
        // landing-zone deny is off (turned off in the console, whether the
        // journal knows it or not), nothing that stands in for it is removed.
        // The gate reads it live, waits out a landing-zone update in
        // progress, and asks for the deny back on only when it is off.
        let console = stages_after.iter().find(|s| s.manual).copied();
        if let Some(stage) = console
            && let Some(outcome) = self.console_gate(stage, true).await?
        {
            return Ok(outcome);
        }
        let progress = self.progress();
        for stage in stages_after.iter().rev().filter(|s| !s.manual) {
            // Read again before each stage's removals: the deny may have
            // been turned off meanwhile.
            if let Some(console) = console
                && let Some(outcome) = self.console_gate(console, true).await?
            {
                return Ok(outcome);
            }
            let mut steps: Vec<(&Step, u64)> = stage
                .steps
                .iter()
                .filter_map(|s| {
                    let p = progress.steps.get(&s.id)?;
                    let ours = p.started || (p.completed && !p.skipped);
                    (ours && s.inverse.is_some()).then_some((s, p.order))
                })
                .collect();
            steps.sort_by_key(|s| std::cmp::Reverse(s.1));
            // Detach before delete, disable before anything it depends on:
            // newest first, one at a time per kind, control operations concurrently.
            let mut running = FuturesUnordered::new();
            let limit = self.options.max_concurrency.clamp(1, MAX_CONCURRENCY);
            let mut failure: Option<(String, String)> = None;
            let mut queue = steps.into_iter();
            loop {
                while failure.is_none() && running.len() < limit {
                    let Some((step, _)) = queue.next() else { break };
                    if progress
                        .rollback
                        .as_ref()
                        .is_some_and(|r| r.undone.get(&step.id) == Some(&true))
                    {
                        continue;
                    }
                    let Some(inverse) = step.inverse.as_ref() else {
                        continue;
                    };
                    // Policy deletions wait for the detaches before them.
                    if inverse.operation == "DeletePolicy" && !running.is_empty() {
                        while let Some((id, r)) = running.next().await {
                            if let Err(e) = r {
                                failure.get_or_insert((id, format!("{e}")));
                            }
                        }
                    }
                    running.push(async move {
                        (
                            step.id.clone(),
                            self.converge(stage, &step.id, inverse, &[], &[], true)
                                .await,
                        )
                    });
                }
                let Some((id, result)) = running.next().await else {
                    break;
                };
                if let Err(e) = result {
                    if let RunError::Journal(_) = e {
                        return Err(e);
                    }
                    failure.get_or_insert((id, e.to_string()));
                }
            }
            if let Some((step, error)) = failure {
                self.record(Event::StepFailed {
                    step: format!("undo:{step}"),
                    error: error.clone(),
                })?;
                return Ok(Outcome::Failed { step, error });
            }
        }
        self.record(Event::RollbackFinished {
            to: to.map(str::to_string),
        })?;
        Ok(Outcome::RolledBack {
            to: to.map(str::to_string),
        })
    }
}

/// Calls that only read (preflight steps carry them to name what is checked).
fn is_read_only(call: &ApiCall) -> bool {
    ["Get", "List", "Describe"]
        .iter()
        .any(|p| call.operation.starts_with(p))
}

/// A short description of a call for progress lines.
pub fn describe(call: &ApiCall) -> String {
    let i = &call.input;
    let mut parts = vec![format!("{}:{}", call.service, call.operation)];
    for key in [
        "Name",
        "PolicyId",
        "TargetId",
        "targetIdentifier",
        "enabledControlIdentifier",
    ] {
        if let Some(v) = i.get(key).and_then(Value::as_str) {
            parts.push(format!("{key}={v}"));
        }
    }
    parts.join(" ")
}

/// Counts one more FAILED control operation for `step_id`; after
/// [`MAX_FAILED_OPERATIONS`] the step fails for a person to look at.
fn one_more_failure(step_id: &str, failed_ops: &mut usize) -> Result<(), RunError> {
    *failed_ops += 1;
    if *failed_ops >= MAX_FAILED_OPERATIONS {
        return Err(RunError::Invalid(format!(
            "{step_id}: {failed_ops} control operations ended FAILED; see the Control Tower console, then resume"
        )));
    }
    Ok(())
}

/// A step whose request starts a Control Tower control operation.
fn is_control_operation(step: &Step) -> bool {
    step.request.as_ref().is_some_and(|r| {
        r.service == "controltower"
            && matches!(
                r.operation.as_str(),
                "EnableControl" | "DisableControl" | "UpdateEnabledControl"
            )
    })
}

/// The wait before the next poll of an operation that has run `elapsed`:
/// a fifth of that, between `min` and `max`. The end is then noticed within
/// 20% of the operation's own duration (or `min`), whether it takes two
/// seconds on a sandbox or three minutes on AWS, with about 25 polls for an
/// operation of minutes.
pub fn poll_interval(elapsed: Duration, min: Duration, max: Duration) -> Duration {
    (elapsed / 5).clamp(min, max.max(min))
}

/// The wait before the next poll of an operation that has run `elapsed`,
/// when earlier operations of this run were still running at `expected`
/// just before they ended. Before that point the usual schedule
/// ([`poll_interval`]) runs but never overshoots it; from 0.9x to 1.3x of
/// it, polls come every 1/40 of it (at least 50 ms), about 16 polls, so an
/// operation's end is noticed within a few percent of its duration without
/// polling densely all the time. Without `expected`: the usual schedule.
pub fn next_poll(
    elapsed: Duration,
    expected: Option<Duration>,
    min: Duration,
    max: Duration,
) -> Duration {
    let usual = poll_interval(elapsed, min, max);
    let Some(e) = expected.filter(|e| !e.is_zero()) else {
        return usual;
    };
    let (from, to) = (e.mul_f64(0.9), e.mul_f64(1.3));
    if elapsed < from {
        usual.min(from - elapsed)
    } else if elapsed < to {
        usual.min((e / 40).max(Duration::from_millis(50)))
    } else {
        usual
    }
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

    #[test]
    fn polls_come_every_fifth_of_the_running_time_within_bounds() {
        let ms = Duration::from_millis;
        let (min, max) = (ms(250), Duration::from_secs(15));
        assert_eq!(poll_interval(ms(0), min, max), min);
        assert_eq!(poll_interval(ms(1000), min, max), min);
        assert_eq!(poll_interval(ms(2000), min, max), ms(400));
        assert_eq!(poll_interval(Duration::from_secs(600), min, max), max);
        // A maximum below the minimum does not panic; the minimum wins.
        assert_eq!(poll_interval(ms(10), ms(500), ms(100)), ms(500));
        // A 3-minute operation takes about 25 polls.
        let (mut t, mut polls) = (Duration::ZERO, 0);
        while t < Duration::from_secs(180) {
            t += poll_interval(t, min, max);
            polls += 1;
        }
        assert!((15..=35).contains(&polls), "{polls}");
    }

    #[test]
    fn polls_gather_where_earlier_operations_ended() {
        let ms = Duration::from_millis;
        let (min, max) = (ms(250), Duration::from_secs(15));
        // Nothing learned yet: the usual schedule.
        assert_eq!(next_poll(ms(2000), None, min, max), ms(400));
        // Earlier operations were still running at 1.8 s: no overshoot of 1.62 s,
        // then polls every 50 ms until 2.34 s, then the usual schedule again.
        let e = Some(ms(1800));
        assert_eq!(next_poll(ms(1500), e, min, max), ms(120));
        assert_eq!(next_poll(ms(1700), e, min, max), ms(50));
        assert_eq!(next_poll(ms(2300), e, min, max), ms(50));
        assert_eq!(next_poll(ms(2400), e, min, max), ms(480));
        // A 3-minute operation: dense polls every 4.5 s, about 16 of them.
        let e = Some(Duration::from_secs(180));
        assert_eq!(next_poll(Duration::from_secs(170), e, min, max), ms(4500));
        let (mut t, mut dense) = (Duration::ZERO, 0);
        while t < Duration::from_secs(240) {
            let step = next_poll(t, e, min, max);
            if step == ms(4500) {
                dense += 1;
            }
            t += step;
        }
        assert!((12..=18).contains(&dense), "{dense}");
    }

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
        let v = json!({"PolicyId": "${create-companion.PolicyId}", "TargetId": "ou-1", "n": [1, "${create-companion.PolicyId}x"]});
        assert_eq!(
            resolve(&v, &p).unwrap(),
            json!({"PolicyId": "p-123", "TargetId": "ou-1", "n": [1, "p-123x"]})
        );
        let missing = json!("${enable-pv1:ou-1.arn}");
        let err = resolve(&missing, &p).unwrap_err();
        assert!(err.contains("enable-pv1:ou-1"), "{err}");
        assert!(resolve(&json!("${broken"), &p).is_err());
    }

    #[test]
    fn read_only_calls_are_recognised() {
        let call = |op: &str| ApiCall {
            service: "x".into(),
            operation: op.into(),
            input: json!({}),
        };
        assert!(is_read_only(&call("GetLandingZone")));
        assert!(is_read_only(&call("ListPoliciesForTarget")));
        assert!(!is_read_only(&call("AttachPolicy")));
    }
}
