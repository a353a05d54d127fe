//! Driving one call of a step (or of its undo) to its effect: observe the
//! live state first, act only when the effect is missing, journal the
//! request and the before-image before acting, journal each control
//! operation as soon as its id is known, poll it to its end (see
//! [`super::poll`]), and verify the postcondition. Transient failures are
//! retried with backoff, a FAILED control is re-applied, and an answer lost
//! to a crash is recognised on the next run by observing again.
//!
//! It owns idempotence of a single call. It must not choose which steps
//! run (that is the run loop's and the gate's) or print.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::journal::Event;
use super::live::{self, control_parameters, normalise_parameters, parameters_json};
use super::poll::next_poll;
use super::{ReportKind, Run, RunError, resolve_action};
use crate::aws::{AwsError, ControlTower, Identity, Organizations};
use crate::model::{ControlOperation, EnablementStatus, OperationStatus, Tag};
use crate::plan::action::UpdateControlInput;
use crate::plan::{Action, Expectation, Stage};

/// Control operations that may end FAILED for one step in one run before it stops.
const MAX_FAILED_OPERATIONS: usize = 3;
/// Transient failures tolerated for one step in one run.
const MAX_TRANSIENT: u32 = 10;
/// Rounds of the same for an endpoint that does not answer at all: each
/// read inside already tried a few times, and a vanished endpoint should
/// be reported (exit 69, with the `resume` command) within seconds.
const MAX_UNREACHABLE: u32 = 1;

/// Whether a step tries again after `e`, having done so `tries` times.
fn try_again(e: &crate::aws::AwsError, tries: u32) -> bool {
    e.is_transient()
        && tries
            < if e.is_unreachable() {
                MAX_UNREACHABLE
            } else {
                MAX_TRANSIENT
            }
}
/// How long one control operation may take (Terraform's provider uses 60 minutes).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// What observing a step's effect found.
pub(super) enum Observed {
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

impl<O, C, I> Run<'_, O, C, I>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    /// Drives one call (forward or undo) to its effect.
    pub(super) async fn converge(
        &self,
        stage: &Stage,
        step_id: &str,
        action: &Action,
        precondition: &[Expectation],
        postcondition: &[Expectation],
        undo: bool,
    ) -> Result<(), RunError> {
        let mut tries = Tries::default();
        loop {
            let progress = self.progress();
            let resolved = resolve_action(action, &progress)?;
            let observed = match self.observe(&resolved).await {
                Ok(o) => o,
                Err(RunError::Aws(e)) if try_again(&e, tries.transient) => {
                    tries.transient += 1;
                    tokio::time::sleep(live::backoff(tries.transient, e.retry_after_secs)).await;
                    continue;
                }
                Err(e) => return Err(e),
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
                            if was_started {
                                ReportKind::Done
                            } else {
                                ReportKind::Skipped
                            },
                            Some(&stage.id),
                            Some(step_id),
                            format!("undone: {resolved}"),
                        );
                        return Ok(());
                    }
                    self.record(Event::StepCompleted {
                        step: step_id.to_string(),
                        outputs,
                        skipped: !was_started,
                    })?;
                    if let Some(why) = self.verify_post(postcondition).await? {
                        return Err(RunError::Step(format!(
                            "{step_id}: the call succeeded but {why}"
                        )));
                    }
                    self.record(Event::StepVerified {
                        step: step_id.to_string(),
                    })?;
                    self.say(
                        if was_started || tries.acted {
                            ReportKind::Done
                        } else {
                            ReportKind::Skipped
                        },
                        Some(&stage.id),
                        Some(step_id),
                        if was_started || tries.acted {
                            resolved.to_string()
                        } else {
                            format!("already in place: {resolved}")
                        },
                    );
                    return Ok(());
                }
                Observed::Conflict(why) => {
                    return Err(RunError::Step(format!("{step_id}: {why}")));
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
                                RunError::Step(format!(
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
                        one_more_failure(step_id, &mut tries.failed_ops)?;
                    }
                }
                Observed::FailedControl { enabled_control } => {
                    // Re-apply with the planned parameters: UpdateEnabledControl
                    // re-runs a FAILED control even with unchanged parameters.
                    let parameters = match &resolved {
                        Action::EnableControl(c) => c.parameters.clone(),
                        Action::UpdateEnabledControl(c) => c.parameters.clone(),
                        _ => Value::Null,
                    };
                    let reapply = Action::UpdateEnabledControl(UpdateControlInput {
                        enabled_control_identifier: enabled_control.clone(),
                        parameters,
                    });
                    let before = json!({"enabled_control": enabled_control, "status": "FAILED"});
                    self.start(step_id, &reapply, before, undo).await?;
                    let result = self.act(stage, step_id, &reapply, undo).await;
                    self.acted(stage, step_id, result, false, &mut tries)
                        .await?;
                }
                Observed::NotDone(before) => {
                    if !tries.acted
                        && !undo
                        && let Some(why) = self.live.check_all(precondition, &self.targets).await?
                    {
                        return Err(RunError::Step(format!("{step_id}: not as planned: {why}")));
                    }
                    self.start(step_id, &resolved, before, undo).await?;
                    let result = self.act(stage, step_id, &resolved, undo).await;
                    self.acted(stage, step_id, result, true, &mut tries).await?;
                }
            }
        }
    }

    /// Takes in what one act gave: `Ok` to observe again (after a backoff
    /// for a transient error), `Err` to stop. `answer_may_be_lost`: an
    /// Organizations write whose "already so" error means an earlier attempt
    /// did it and its answer was lost.
    async fn acted(
        &self,
        stage: &Stage,
        step_id: &str,
        result: Result<Option<bool>, RunError>,
        answer_may_be_lost: bool,
        tries: &mut Tries,
    ) -> Result<(), RunError> {
        match result {
            Ok(outcome) => {
                tries.acted = true;
                if outcome == Some(false) {
                    one_more_failure(step_id, &mut tries.failed_ops)?;
                }
            }
            Err(RunError::Aws(e)) if try_again(&e, tries.transient) => {
                tries.transient += 1;
                self.retry_later(stage, step_id, &e, tries.transient).await;
            }
            Err(RunError::Aws(e))
                if answer_may_be_lost
                    && (e.is("DuplicatePolicyException")
                        || e.is("DuplicatePolicyAttachmentException")
                        || e.is("PolicyNotAttachedException")
                        || e.is("PolicyNotFoundException")) =>
            {
                tries.acted = true;
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Says why a call is retried, then waits the backoff for `attempt`.
    async fn retry_later(&self, stage: &Stage, step_id: &str, e: &AwsError, attempt: u32) {
        self.say(
            ReportKind::Retry,
            Some(&stage.id),
            Some(step_id),
            e.to_string(),
        );
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
        request: &Action,
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
    /// its id is known and then awaited. Nothing is sent once a journal
    /// write has failed.
    pub(super) async fn act(
        &self,
        stage: &Stage,
        step: &str,
        action: &Action,
        undo: bool,
    ) -> Result<Option<bool>, RunError> {
        self.journal_intact()?;
        let orgs = self.live.orgs;
        let ct = self.live.ct;
        let operation: (String, Option<String>) = match action {
            Action::CreatePolicy(p) => {
                let tags: Vec<Tag> = p
                    .tags
                    .iter()
                    .map(|t| Tag {
                        key: t.key.clone(),
                        value: t.value.clone(),
                    })
                    .collect();
                orgs.create_policy(&p.name, &p.description, &p.content, &tags)
                    .await?;
                return Ok(None);
            }
            Action::UpdatePolicy(p) => {
                orgs.update_policy_content(&p.policy_id, &p.content).await?;
                return Ok(None);
            }
            Action::DeletePolicy(p) => {
                orgs.delete_policy(&p.policy_id).await?;
                return Ok(None);
            }
            Action::AttachPolicy(p) => {
                orgs.attach_policy(&p.policy_id, &p.target_id).await?;
                return Ok(None);
            }
            Action::DetachPolicy(p) => {
                orgs.detach_policy(&p.policy_id, &p.target_id).await?;
                return Ok(None);
            }
            Action::EnableControl(c) => {
                let params = control_parameters(&c.parameters);
                ct.enable_control(
                    &c.control_identifier,
                    &c.target_identifier,
                    &params,
                    &c.tags,
                )
                .await?
            }
            Action::DisableControl(c) => {
                let arn = &c.enabled_control_identifier;
                (ct.disable_control(arn).await?, Some(arn.clone()))
            }
            Action::UpdateEnabledControl(c) => {
                let arn = &c.enabled_control_identifier;
                let params = control_parameters(&c.parameters);
                (
                    ct.update_enabled_control(arn, &params).await?,
                    Some(arn.clone()),
                )
            }
            Action::GetCallerIdentity
            | Action::GetLandingZone(_)
            | Action::ListControlOperations(_)
            | Action::ListPoliciesForTarget(_) => {
                return Err(RunError::Step(format!(
                    "{step}: {action} only reads; apply checks it instead of sending it"
                )));
            }
        };
        let (op, arn) = operation;
        self.record_operation(step, &op, arn.as_deref(), undo)?;
        self.say(
            ReportKind::Operation,
            Some(&stage.id),
            Some(step),
            if undo {
                format!("undo: Control Tower operation {op} started")
            } else {
                format!("Control Tower operation {op} started")
            },
        );
        Ok(Some(self.wait_operation(stage, step, &op, true).await?))
    }

    /// Polls a control operation until it ends (see [`next_poll`]).
    /// `Ok(true)` when it SUCCEEDED, `Ok(false)` when it FAILED (journaled).
    /// `fresh`: the operation was started just now, so its running time is
    /// known and teaches where later operations will end.
    pub(super) async fn wait_operation(
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
            if matches!(
                op.status,
                OperationStatus::Succeeded | OperationStatus::Failed
            ) && fresh
                && let Some(running) = last_running
                && let Ok(mut ends) = self.operation_ends.lock()
            {
                *ends = Some(ends.map_or(running, |e| e.min(running)));
            }
            match op.status {
                OperationStatus::Succeeded => return Ok(true),
                OperationStatus::Failed => {
                    let message = op.message.unwrap_or_else(|| "no message".into());
                    self.record(Event::OperationFailed {
                        step: step.to_string(),
                        operation_id: operation.to_string(),
                        message: message.clone(),
                    })?;
                    self.say(
                        ReportKind::Retry,
                        Some(&stage.id),
                        Some(step),
                        format!("Control Tower operation {operation} FAILED: {message}"),
                    );
                    return Ok(false);
                }
                _ => {}
            }
            if started.elapsed() > OPERATION_TIMEOUT {
                return Err(RunError::Step(format!(
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
        let ops = live::retry(|| {
            self.live
                .ct
                .list_control_operations(Some(OperationStatus::InProgress))
        })
        .await?;
        Ok(ops
            .into_iter()
            .find(|o| o.enabled_control.as_deref() == Some(enabled_control))
            .map(|o| o.id))
    }

    /// Where an action's effect stands now.
    pub(super) async fn observe(&self, action: &Action) -> Result<Observed, RunError> {
        self.journal_intact()?;
        let l = &self.live;
        Ok(match action {
            Action::CreatePolicy(planned) => {
                let name = &planned.name;
                match l.policy_by_name(name).await? {
                    None => Observed::NotDone(json!({"policy": null, "name": name})),
                    Some(p) if p.content == planned.content => {
                        // Adopt it only if it carries every tag the plan gives it:
                        // found by name and tag, never someone else's policy.
                        let have = l.tags(&p.summary.id).await?;
                        let missing: Vec<String> = planned
                            .tags
                            .iter()
                            .filter(|t| have.get(&t.key) != Some(&t.value))
                            .map(|t| format!("{}={}", t.key, t.value))
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
            Action::UpdatePolicy(planned) => {
                let id = &planned.policy_id;
                match l.policy(id).await? {
                    None => Observed::Conflict(format!("policy {id} does not exist")),
                    Some(p) if p.content == planned.content => {
                        Observed::Done(BTreeMap::from([("PolicyId".to_string(), id.clone())]))
                    }
                    Some(p) => Observed::NotDone(json!({"PolicyId": id, "Content": p.content})),
                }
            }
            Action::DeletePolicy(planned) => {
                let id = &planned.policy_id;
                match l.policy(id).await? {
                    None => Observed::Done(BTreeMap::new()),
                    Some(p) => Observed::NotDone(
                        json!({"PolicyId": id, "Name": p.summary.name, "Content": p.content}),
                    ),
                }
            }
            Action::AttachPolicy(planned) | Action::DetachPolicy(planned) => {
                let (id, target) = (&planned.policy_id, &planned.target_id);
                let attached = l.attached(target).await?;
                let is_attached = attached.iter().any(|p| &p.id == id);
                let want = matches!(action, Action::AttachPolicy(_));
                if is_attached == want {
                    Observed::Done(BTreeMap::new())
                } else {
                    Observed::NotDone(json!({
                        "TargetId": target,
                        "attached": attached.iter().map(|p| &p.name).collect::<Vec<_>>(),
                    }))
                }
            }
            Action::EnableControl(planned) => {
                let target = &planned.target_identifier;
                let wanted = normalise_parameters(&planned.parameters);
                match l.pv1_on(target).await? {
                    None => Observed::NotDone(
                        json!({"targetIdentifier": target, "enabled_control": null}),
                    ),
                    Some(c) => match c.status {
                        EnablementStatus::UnderChange => Observed::InProgress {
                            operation: c.last_operation.clone(),
                            enabled_control: c.arn,
                        },
                        EnablementStatus::Failed => Observed::FailedControl {
                            enabled_control: c.arn,
                        },
                        _ if normalise_parameters(&parameters_json(&c.parameters)) == wanted => {
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
            Action::DisableControl(planned) => {
                let arn = &planned.enabled_control_identifier;
                match l.enabled_control(arn).await? {
                    None => Observed::Done(BTreeMap::new()),
                    Some(c) if c.status == EnablementStatus::UnderChange => Observed::InProgress {
                        operation: c.last_operation.clone(),
                        enabled_control: c.arn,
                    },
                    Some(c) => Observed::NotDone(json!({
                        "enabledControlIdentifier": arn,
                        "parameters": parameters_json(&c.parameters),
                        "status": c.status,
                    })),
                }
            }
            Action::UpdateEnabledControl(planned) => {
                let arn = &planned.enabled_control_identifier;
                match l.enabled_control(arn).await? {
                    None => Observed::Conflict(format!("enabled control {arn} does not exist")),
                    Some(c) if c.status == EnablementStatus::UnderChange => Observed::InProgress {
                        operation: c.last_operation.clone(),
                        enabled_control: c.arn,
                    },
                    Some(c)
                        if c.status == EnablementStatus::Succeeded
                            && normalise_parameters(&parameters_json(&c.parameters))
                                == normalise_parameters(&planned.parameters) =>
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
            Action::GetCallerIdentity
            | Action::GetLandingZone(_)
            | Action::ListControlOperations(_)
            | Action::ListPoliciesForTarget(_) => {
                Observed::Conflict(format!("{action} only reads; nothing to converge"))
            }
        })
    }
}

/// Counts one more FAILED control operation for `step_id`; after
/// [`MAX_FAILED_OPERATIONS`] the step fails for a person to look at.
/// What one `converge` has tried so far.
#[derive(Default)]
struct Tries {
    /// A mutating call was sent (or found done by a lost earlier attempt).
    acted: bool,
    /// Control operations that ended FAILED.
    failed_ops: usize,
    /// Transient errors retried.
    transient: u32,
}

fn one_more_failure(step_id: &str, failed_ops: &mut usize) -> Result<(), RunError> {
    *failed_ops += 1;
    if *failed_ops >= MAX_FAILED_OPERATIONS {
        return Err(RunError::Step(format!(
            "{step_id}: {failed_ops} control operations ended FAILED; see the Control Tower console, then resume"
        )));
    }
    Ok(())
}
