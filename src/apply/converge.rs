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
use super::{Run, RunError, describe, resolve_call};
use crate::aws::{AwsError, ControlTower, Identity, Organizations};
use crate::model::{ControlOperation, EnablementStatus, OperationStatus, Tag};
use crate::plan::{ApiCall, Expectation, Stage};

/// Control operations that may end FAILED for one step in one run before it stops.
const MAX_FAILED_OPERATIONS: usize = 3;
/// Transient failures tolerated for one step in one run.
const MAX_TRANSIENT: u32 = 10;
/// How long one control operation may take (Terraform's provider uses 60 minutes).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60 * 60);

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
        call: &ApiCall,
        precondition: &[Expectation],
        postcondition: &[Expectation],
        undo: bool,
    ) -> Result<(), RunError> {
        let mut tries = Tries::default();
        loop {
            let progress = self.progress();
            let resolved = resolve_call(call, &progress).map_err(RunError::Invalid)?;
            let observed = match self.observe(&resolved).await {
                Ok(o) => o,
                Err(e) if e.is_transient() && tries.transient < MAX_TRANSIENT => {
                    tries.transient += 1;
                    tokio::time::sleep(live::backoff(tries.transient, e.retry_after_secs)).await;
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
                        if was_started || tries.acted {
                            "done"
                        } else {
                            "skipped"
                        },
                        Some(&stage.id),
                        Some(step_id),
                        if was_started || tries.acted {
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
                        one_more_failure(step_id, &mut tries.failed_ops)?;
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
                    let result = self.act(stage, step_id, &reapply, undo).await;
                    self.acted(stage, step_id, result, false, &mut tries)
                        .await?;
                }
                Observed::NotDone(before) => {
                    if !tries.acted
                        && !undo
                        && let Some(why) = self.live.check_all(precondition, &self.targets).await?
                    {
                        return Err(RunError::Invalid(format!(
                            "{step_id}: not as planned: {why}"
                        )));
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
        result: Result<Option<bool>, AwsError>,
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
            Err(e) if e.is_transient() && tries.transient < MAX_TRANSIENT => {
                tries.transient += 1;
                self.retry_later(stage, step_id, &e, tries.transient).await;
            }
            Err(e)
                if answer_may_be_lost
                    && (e.is("DuplicatePolicyException")
                        || e.is("DuplicatePolicyAttachmentException")
                        || e.is("PolicyNotAttachedException")
                        || e.is("PolicyNotFoundException")) =>
            {
                tries.acted = true;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
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
    pub(super) async fn act(
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
            if matches!(op.status, OperationStatus::Succeeded | OperationStatus::Failed)
                && fresh
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
        let ops = live::retry(|| self.live.ct.list_control_operations(Some(OperationStatus::InProgress))).await?;
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
                    Some(c) => match c.status {
                        EnablementStatus::UnderChange => Observed::InProgress {
                            operation: c.last_operation.clone(),
                            enabled_control: c.arn,
                        },
                        EnablementStatus::Failed => Observed::FailedControl {
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
                    Some(c) if c.status == EnablementStatus::UnderChange => Observed::InProgress {
                        operation: c.last_operation.clone(),
                        enabled_control: c.arn,
                    },
                    Some(c) if disable => Observed::NotDone(json!({
                        "enabledControlIdentifier": arn,
                        "parameters": parameters_json(&c.parameters),
                        "status": c.status,
                    })),
                    Some(c)
                        if c.status == EnablementStatus::Succeeded
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
        return Err(RunError::Invalid(format!(
            "{step_id}: {failed_ops} control operations ended FAILED; see the Control Tower console, then resume"
        )));
    }
    Ok(())
}
