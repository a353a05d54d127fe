//! Rollback: undoes what the journal says was done after a checkpoint,
//! newest first, with the same observe-then-act machinery as the forward
//! run. The organization is read first, whatever the journal says: while
//! the landing-zone deny is off anywhere, nothing that stands in for it is
//! removed, and the first action is the gate that has it turned back on.
//!
//! It must not remove a replacement while the deny it replaces is off, or
//! print.

use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::converge::Observed;
use super::journal::{Event, Progress};
use super::{MAX_CONCURRENCY, Outcome, PlaceholderError, Run, RunError, resolve_action};
use crate::aws::{ControlTower, Identity, Organizations};
use crate::plan::{Action, Stage, Step};

impl<O, C, I> Run<'_, O, C, I>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
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
                    .ok_or_else(|| RunError::Plan(format!("the plan has no stage `{cp}`")))?;
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
        let mut left: Vec<String> = Vec::new();
        for stage in stages_after.iter().rev().filter(|s| !s.manual) {
            // SIGINT, SIGTERM: stop at this checkpoint; rollback goes on later.
            if self.stop.load(Ordering::SeqCst) {
                return self.stopped("interrupted", Some(stage));
            }
            // Read again before each stage's removals: the deny may have
            // been turned off meanwhile.
            if let Some(console) = console
                && let Some(outcome) = self.console_gate(console, true).await?
            {
                return Ok(outcome);
            }
            let mut steps: Vec<(&Step, u64)> = Vec::new();
            for s in stage.steps.iter().filter(|s| s.inverse.is_some()) {
                let Some(p) = progress.steps.get(&s.id) else {
                    continue;
                };
                if p.started || (p.completed && !p.skipped) {
                    steps.push((s, p.order));
                } else if p.skipped {
                    // Found in place by the forward run, not made by it as
                    // far as the journal knows (another actor, or a journal
                    // that lost its tail): undone only when the effect
                    // carries ctmigrate's tags; otherwise left and named.
                    match self.skipped_effect(s, &progress).await? {
                        Effect::Ours => steps.push((s, p.order)),
                        // The person asked for these to go too.
                        Effect::Theirs(_) if self.options.include_unowned => {
                            steps.push((s, p.order))
                        }
                        Effect::Theirs(what) => left.push(what),
                        Effect::Absent => {}
                    }
                }
            }
            steps.sort_by_key(|s| std::cmp::Reverse(s.1));
            // Detach before delete, disable before anything it depends on:
            // newest first, one at a time per kind, control operations concurrently.
            let mut running = FuturesUnordered::new();
            let limit = self.options.max_concurrency.clamp(1, MAX_CONCURRENCY);
            let mut failure: Option<(String, RunError)> = None;
            let mut queue = steps.into_iter();
            loop {
                // A signal starts nothing new; what runs finishes and is journaled.
                while failure.is_none()
                    && running.len() < limit
                    && !self.stop.load(Ordering::SeqCst)
                {
                    let Some((step, _)) = queue.next() else { break };
                    if progress
                        .rollback
                        .as_ref()
                        .is_some_and(|r| r.undone.get(&step.id) == Some(&true))
                    {
                        continue;
                    }
                    let Some(planned) = step.inverse.as_ref() else {
                        continue;
                    };
                    // A step that started but never recorded its outputs
                    // (a crash, a FAILED operation) is undone from what the
                    // organization shows; one whose effect is not there is
                    // skipped.
                    let inverse = match self.undo_action(planned, &progress).await {
                        Ok(Some(a)) => a,
                        Ok(None) => {
                            self.record(Event::UndoCompleted {
                                step: step.id.clone(),
                                skipped: true,
                            })?;
                            continue;
                        }
                        Err(RunError::Journal(e)) => return Err(RunError::Journal(e)),
                        Err(e) => {
                            failure.get_or_insert((step.id.clone(), e));
                            continue;
                        }
                    };
                    // Policy deletions wait for the detaches before them.
                    if matches!(inverse, Action::DeletePolicy(_)) && !running.is_empty() {
                        while let Some((id, r)) = running.next().await {
                            if let Err(e) = r {
                                failure.get_or_insert((id, e));
                            }
                        }
                    }
                    running.push(async move {
                        (
                            step.id.clone(),
                            self.converge(stage, &step.id, &inverse, &[], &[], true)
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
                    failure.get_or_insert((id, e));
                }
            }
            if failure.is_none() && self.stop.load(Ordering::SeqCst) && queue.next().is_some() {
                return self.stopped("interrupted", Some(stage));
            }
            if let Some((step, error)) = failure {
                self.record(Event::StepFailed {
                    step: format!("undo:{step}"),
                    error: error.to_string(),
                })?;
                return Ok(Outcome::of_step_error(step, &error));
            }
        }
        self.record(Event::RollbackFinished {
            to: to.map(str::to_string),
            left: left.clone(),
        })?;
        Ok(Outcome::RolledBack {
            to: to.map(str::to_string),
            left,
        })
    }

    /// Whose is the effect of `step`, which the forward run found already
    /// in place? ctmigrate's when it carries ctmigrate's tags: the
    /// companion SCP (its tags), an attachment of that companion, a PV.1
    /// enabled with ctmigrate's tags. Anything else in place is someone
    /// else's, named with how to remove it.
    async fn skipped_effect(&self, step: &Step, progress: &Progress) -> Result<Effect, RunError> {
        let Some(request) = step.request.as_ref() else {
            return Ok(Effect::Absent);
        };
        let action = match resolve_action_or_missing(request, progress)? {
            Ok(a) => a,
            // Its inputs were never recorded: nothing of it can be in place.
            Err(_) => return Ok(Effect::Absent),
        };
        let l = &self.live;
        Ok(match &action {
            Action::CreatePolicy(_) => match self.observe(&action).await? {
                Observed::Done(_) => Effect::Ours,
                Observed::Conflict(why) => Effect::Theirs(format!("{}: {why}", step.id)),
                _ => Effect::Absent,
            },
            Action::AttachPolicy(a) => {
                let attached = l.attached(&a.target_id).await?;
                match attached.iter().find(|p| p.id == a.policy_id) {
                    None => Effect::Absent,
                    Some(_)
                        if crate::plan::action::made_by_ctmigrate(&l.tags(&a.policy_id).await?) =>
                    {
                        Effect::Ours
                    }
                    Some(p) => Effect::Theirs(format!(
                        "{}: policy {} ({}) is attached to {} and carries no managed-by=ctmigrate tag",
                        step.id, p.name, p.id, a.target_id
                    )),
                }
            }
            Action::EnableControl(c) => match l.pv1_on(&c.target_identifier).await? {
                None => Effect::Absent,
                Some(found)
                    if crate::plan::action::made_by_ctmigrate(
                        &l.control_tags(&found.arn).await?,
                    ) =>
                {
                    Effect::Ours
                }
                Some(found) => Effect::Theirs(format!(
                    "{}: CT.MULTISERVICE.PV.1 on {} ({}) was enabled by someone else (no managed-by=ctmigrate tag)",
                    step.id, c.target_identifier, found.arn
                )),
            },
            // Updates and removals found done: ctmigrate cannot tell who did
            // them, so it undoes nothing it cannot prove is its own.
            _ => match self.observe(&action).await? {
                Observed::Done(_) => Effect::Theirs(format!(
                    "{}: `{}` was found done when the run reached it; ctmigrate cannot tell who did it",
                    step.id, step.title
                )),
                _ => Effect::Absent,
            },
        })
    }

    /// `inverse` with its `${step.Field}` placeholders filled: from the
    /// journal, else from the organization (the forward step's effect,
    /// observed as the forward run would: PV.1 on the target, the companion
    /// found by name, content and ctmigrate's tags). `None` when an effect
    /// it needs is not there: then there is nothing to undo. An effect in a
    /// state ctmigrate did not leave is an error naming it.
    async fn undo_action(
        &self,
        inverse: &Action,
        progress: &Progress,
    ) -> Result<Option<Action>, RunError> {
        let mut known = progress.clone();
        loop {
            let missing = match resolve_action_or_missing(inverse, &known)? {
                Ok(action) => return Ok(Some(action)),
                Err(missing) => missing,
            };
            let Some(forward) = self
                .plan
                .stages
                .iter()
                .flat_map(|s| &s.steps)
                .find(|s| s.id == missing)
                .and_then(|s| s.request.as_ref())
            else {
                return Err(RunError::Plan(format!(
                    "the undo needs an output of step {missing}, which the plan does not have"
                )));
            };
            let outputs = match self.observe(&resolve_action(forward, &known)?).await? {
                Observed::Done(outputs) => outputs,
                Observed::InProgress {
                    enabled_control, ..
                }
                | Observed::FailedControl { enabled_control } => {
                    std::collections::BTreeMap::from([("arn".to_string(), enabled_control)])
                }
                Observed::NotDone(_) => return Ok(None),
                Observed::Conflict(why) => {
                    return Err(RunError::Plan(format!(
                        "cannot undo step {missing} from what the organization shows: {why}"
                    )));
                }
            };
            let entry = known.steps.entry(missing.clone()).or_default();
            if outputs.iter().all(|(k, v)| entry.outputs.get(k) == Some(v)) {
                return Err(RunError::Plan(format!(
                    "step {missing} is in place but gives no output the undo needs"
                )));
            }
            entry.outputs.extend(outputs);
        }
    }
}

/// Whose an effect found in place is (see [`Run::skipped_effect`]).
enum Effect {
    Ours,
    /// Someone else's: what it is and how to remove it.
    Theirs(String),
    Absent,
}

/// `action` resolved, or the step whose recorded output it lacks.
fn resolve_action_or_missing(
    action: &Action,
    progress: &Progress,
) -> Result<Result<Action, String>, RunError> {
    let mut missing = None;
    let filled = action.map_strings(&mut |s: &str| match super::resolve(s, progress) {
        Err(PlaceholderError::NotRecorded { step, .. }) => {
            missing.get_or_insert(step);
            Ok(s.to_string())
        }
        other => other,
    });
    match (missing, filled) {
        (Some(step), _) => Ok(Err(step)),
        (None, Ok(a)) => Ok(Ok(a)),
        (None, Err(_)) => resolve_action(action, progress).map(Ok),
    }
}
