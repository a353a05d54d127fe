//! Rollback: undoes what the journal says was done after a checkpoint,
//! newest first, with the same observe-then-act machinery as the forward
//! run. The organization is read first, whatever the journal says: while
//! the landing-zone deny is off anywhere, nothing that stands in for it is
//! removed, and the first action is the gate that has it turned back on.
//!
//! It must not remove a replacement while the deny it replaces is off, or
//! print.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::journal::Event;
use super::{MAX_CONCURRENCY, Outcome, Run, RunError};
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
                    if matches!(inverse, Action::DeletePolicy(_)) && !running.is_empty() {
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
