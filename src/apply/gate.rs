//! The console gate: the manual stage where a person turns the landing-zone
//! region deny off (apply, resume) or back on (rollback) in the Control Tower
//! console, which no API can do.
//!
//! The organization changes under us while a person works in the console, so
//! the gate judges by the live organization, read again before it prints an
//! instruction and at every poll ([`super::coverage`]):
//! - a landing-zone update already running (the person clicked *Update
//!   landing zone*, or another actor did) is waited for, not asked for again;
//! - a target that lost what the plan put on it (PV.1 disabled, the companion
//!   detached or deleted) is repaired with the plan's own step on that target,
//!   journaled and named; any other change stops the run
//!   ([`super::Outcome::Drifted`]) with each change and its fix;
//! - the instructions to turn the deny off are printed only while every target
//!   carries its replacement.
//!
//! It must not print (it reports), re-plan, or repair anything that is not the
//! plan's own step on the same target.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::coverage::{self, Coverage, DriftKind};
use super::journal::Event;
use super::{Outcome, Report, ReportKind, Run, RunError, console_on_instructions};
use crate::aws::{ControlTower, Identity, Organizations};
use crate::model::{LandingZoneOperation, OperationStatus};
use crate::plan::action::EnabledControlRef;
use crate::plan::{Action, Expectation, Stage};

/// Rounds of repair one gate visit makes before it gives up and stops.
const MAX_REPAIR_ROUNDS: usize = 3;
/// How long a landing-zone update may take before the wait gives up.
const LANDING_ZONE_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);
/// The longest pause between two looks at the console step.
const CONSOLE_POLL_MAX: Duration = Duration::from_secs(10);

/// The id of rollback's console step.
pub const CONSOLE_ON_STEP: &str = "console-region-deny-on";

/// How waiting for a landing-zone update ended.
enum LandingZoneWait {
    Succeeded,
    Failed(String),
    Stopped,
}

impl<'a, O, C, I> Run<'a, O, C, I>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    /// The live coverage of the plan's targets.
    pub(super) async fn coverage(&self) -> Result<Coverage, RunError> {
        Ok(coverage::read(&self.live, self.plan).await?)
    }

    fn report_full(&self, kind: ReportKind, stage: &Stage, step: &str, message: String) {
        (self.report)(&Report {
            kind,
            stage: Some(stage.id.clone()),
            step: Some(step.to_string()),
            message,
            elapsed_ms: self.started.elapsed().as_millis(),
            instructions: Vec::new(),
        });
    }

    /// Waits for a landing-zone update that is running, whoever started it.
    async fn wait_landing_zone(
        &self,
        stage: &Stage,
        step: &str,
        op: &LandingZoneOperation,
    ) -> Result<LandingZoneWait, RunError> {
        self.report_full(
            ReportKind::Waiting,
            stage,
            step,
            format!(
                "a landing-zone update ({} {}) is in progress; waiting for it to finish, then verifying",
                op.kind, op.id
            ),
        );
        let started = Instant::now();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(LandingZoneWait::Stopped);
            }
            let now =
                super::live::retry(|| self.live.ct.get_landing_zone_operation(&op.id)).await?;
            match now.status {
                OperationStatus::Succeeded => {
                    self.report_full(
                        ReportKind::Done,
                        stage,
                        step,
                        format!(
                            "the landing-zone update {} finished after {}",
                            op.id,
                            crate::plan::human_duration(started.elapsed().as_secs())
                        ),
                    );
                    return Ok(LandingZoneWait::Succeeded);
                }
                OperationStatus::Failed => {
                    return Ok(LandingZoneWait::Failed(format!(
                        "the landing-zone update {} ended FAILED: {}",
                        op.id,
                        now.message.unwrap_or_else(|| "no status message".into())
                    )));
                }
                _ => {}
            }
            if started.elapsed() > LANDING_ZONE_TIMEOUT {
                return Ok(LandingZoneWait::Failed(format!(
                    "the landing-zone update {} is still {} after {}",
                    op.id,
                    now.status,
                    crate::plan::human_duration(LANDING_ZONE_TIMEOUT.as_secs())
                )));
            }
            tokio::time::sleep(super::poll_interval(
                started.elapsed(),
                self.options.poll_initial,
                CONSOLE_POLL_MAX,
            ))
            .await;
        }
    }

    /// Waits out a landing-zone update in progress, if there is one.
    /// `Some(outcome)` when the run must end here.
    pub(super) async fn settle_landing_zone(
        &self,
        stage: &Stage,
        step: &str,
    ) -> Result<Option<Outcome>, RunError> {
        let Some(op) = coverage::landing_zone_operation(&self.live).await? else {
            return Ok(None);
        };
        match self.wait_landing_zone(stage, step, &op).await? {
            LandingZoneWait::Succeeded => Ok(None),
            LandingZoneWait::Stopped => self.stopped("interrupted", Some(stage)).map(Some),
            LandingZoneWait::Failed(error) => {
                self.record(Event::StepFailed {
                    step: step.to_string(),
                    error: error.clone(),
                })?;
                self.report_full(ReportKind::Failed, stage, step, error.clone());
                Ok(Some(Outcome::Failed {
                    step: step.to_string(),
                    error,
                }))
            }
        }
    }

    /// Puts back what other actors removed, with the plan's own steps; stops
    /// (`Some(Drifted)`) on any change that is not ctmigrate's to undo.
    /// `urgent`: the landing-zone deny is already off, so a missing PV.1
    /// leaves its OU with no region deny at all.
    pub(super) async fn repair(
        &self,
        stage: &Stage,
        found: &Coverage,
    ) -> Result<Option<Outcome>, RunError> {
        let mut foreign = Vec::new();
        let mut repairs = Vec::new();
        for d in &found.drifts {
            match coverage::repair_step(self.plan, d, found.deny_on(&d.target)) {
                Some(step) => repairs.push((d, step)),
                None => foreign.push(d),
            }
        }
        if !foreign.is_empty() {
            let changes: Vec<String> = foreign
                .iter()
                .map(|d| format!("{}; fix: {}", d.describe(), d.fix()))
                .collect();
            self.record(Event::Drifted {
                changes: changes.clone(),
            })?;
            self.report_full(
                ReportKind::Failed,
                stage,
                &stage.id,
                format!(
                    "the organization changed under the apply ({} change(s) ctmigrate does not undo)",
                    changes.len()
                ),
            );
            return Ok(Some(Outcome::Drifted { changes }));
        }
        for u in found.uncovered() {
            self.report_full(
                ReportKind::Urgent,
                stage,
                &u.ou_id,
                format!(
                    "URGENT: {} ({}) has no region deny at all: the landing-zone deny is off there and PV.1 is missing; ctmigrate enables it again now",
                    u.name, u.ou_id
                ),
            );
        }
        // The policy before its attachments; everything else at once.
        repairs.sort_by_key(|(d, _)| d.kind != DriftKind::CompanionMissing);
        let (first, rest): (Vec<_>, Vec<_>) = repairs
            .into_iter()
            .partition(|(d, _)| d.kind == DriftKind::CompanionMissing);
        for batch in [first, rest] {
            let mut running = futures_util::stream::FuturesUnordered::new();
            for (d, step) in batch {
                let change = d.describe();
                self.record(Event::Repaired {
                    step: step.id.clone(),
                    change: change.clone(),
                })?;
                self.report_full(
                    ReportKind::Repaired,
                    stage,
                    &step.id,
                    if d.kind == DriftKind::Pv1Drifted {
                        format!(
                            "{change}; ctmigrate disables it and runs its step `{}` again while the landing-zone deny still covers {}",
                            step.id, d.target_name
                        )
                    } else {
                        format!("{change}; ctmigrate runs its step `{}` again", step.id)
                    },
                );
                let Some(request) = step.request.as_ref() else {
                    continue;
                };
                running.push(async move {
                    let result = async {
                        if d.kind == DriftKind::Pv1Drifted {
                            self.disable_drifted(stage, &step.id, &d.observed).await?;
                        }
                        self.converge(stage, &step.id, request, &[], &step.postcondition, false)
                            .await
                    };
                    (step, result.await)
                });
            }
            use futures_util::StreamExt;
            while let Some((step, result)) = running.next().await {
                match result {
                    Ok(()) => {}
                    Err(RunError::Journal(e)) => return Err(RunError::Journal(e)),
                    Err(e) => {
                        let change = format!("repairing `{}` failed: {e}", step.id);
                        self.record(Event::Drifted {
                            changes: vec![change.clone()],
                        })?;
                        return Ok(Some(Outcome::Drifted {
                            changes: vec![change],
                        }));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Disables a DRIFTED PV.1 (`enabled_control`) so that the plan's enable
    /// step can write its statement afresh. Only called while the
    /// landing-zone deny covers the OU ([`coverage::repair_step`]).
    async fn disable_drifted(
        &self,
        stage: &Stage,
        step: &str,
        enabled_control: &str,
    ) -> Result<(), RunError> {
        let disable = Action::DisableControl(EnabledControlRef {
            enabled_control_identifier: enabled_control.to_string(),
        });
        match self.act(stage, step, &disable, false).await? {
            Some(false) => Err(RunError::Step(format!(
                "{step}: disabling the drifted {enabled_control} FAILED"
            ))),
            _ => Ok(()),
        }
    }

    /// After a finished apply: reads the targets and puts back what other
    /// actors removed since (the plan's own steps), or stops on changes that
    /// are not ctmigrate's to undo. Then the caller verifies again.
    pub async fn repair_finished(&self) -> Result<Outcome, RunError> {
        let Some(stage) = self.plan.stages.last() else {
            return Ok(Outcome::Finished {
                differences: Vec::new(),
            });
        };
        let found = self.coverage().await?;
        if found.drifts.is_empty() {
            self.say(
                ReportKind::Done,
                Some(&stage.id),
                None,
                "every target still carries PV.1 and the companion SCP as planned (read just now)"
                    .into(),
            );
        } else if let Some(outcome) = self.repair(stage, &found).await? {
            return Ok(outcome);
        }
        Ok(Outcome::Finished {
            differences: Vec::new(),
        })
    }

    /// Waits at the manual stage until its postconditions hold (or the
    /// allowed wait ends). `turn_on` is rollback's direction.
    pub(super) async fn console_gate(
        &self,
        stage: &Stage,
        turn_on: bool,
    ) -> Result<Option<Outcome>, RunError> {
        let Some(step) = stage.steps.first() else {
            return Ok(None);
        };
        let landing_zone_active = Expectation::LandingZoneActive {
            arn: self.plan.landing_zone_arn.clone(),
        };
        let post: Vec<Expectation> = if turn_on {
            let mut v = vec![Expectation::LandingZoneRegionDenyOn, landing_zone_active];
            v.extend(self.targets.iter().map(|t| Expectation::StatementPresent {
                target: t.clone(),
                sid: coverage::GRREGIONDENY.into(),
            }));
            v
        } else {
            step.postcondition.clone()
        };
        let id = if turn_on {
            CONSOLE_ON_STEP.to_string()
        } else {
            step.id.clone()
        };
        let deadline = self.options.console_wait.map(|w| Instant::now() + w);
        let mut interval = self.options.poll_initial;
        let mut told = false;
        let mut repair_rounds = 0usize;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return self.stopped("interrupted", Some(stage)).map(Some);
            }
            // A console update already running is the person's (or someone's)
            // click: wait for it instead of asking again.
            if let Some(outcome) = self.settle_landing_zone(stage, &id).await? {
                return Ok(Some(outcome));
            }
            if !turn_on {
                let found = self.coverage().await?;
                if !found.drifts.is_empty() {
                    repair_rounds += 1;
                    if repair_rounds > MAX_REPAIR_ROUNDS {
                        let changes: Vec<String> =
                            found.drifts.iter().map(|d| d.describe()).collect();
                        self.record(Event::Drifted {
                            changes: changes.clone(),
                        })?;
                        return Ok(Some(Outcome::Drifted { changes }));
                    }
                    if let Some(outcome) = self.repair(stage, &found).await? {
                        return Ok(Some(outcome));
                    }
                    continue;
                }
            }
            if self.live.check_all(&post, &self.targets).await?.is_none() {
                self.finish_gate(stage, &id, turn_on, !told)?;
                return Ok(None);
            }
            if !told {
                self.record(Event::WaitingForConsole {
                    stage: stage.id.clone(),
                })?;
                (self.report)(&Report {
                    kind: ReportKind::Waiting,
                    stage: Some(stage.id.clone()),
                    step: Some(id.clone()),
                    message: if turn_on {
                        "waiting for the landing-zone region deny to be turned back ON in the Control Tower console".into()
                    } else {
                        "every target carries PV.1 and the companion SCP (read just now); waiting for the landing-zone region deny to be turned OFF in the Control Tower console".into()
                    },
                    elapsed_ms: self.started.elapsed().as_millis(),
                    instructions: if turn_on {
                        console_on_instructions(self.plan)
                    } else {
                        step.instructions.clone()
                    },
                });
                told = true;
            }
            let Some(deadline) = deadline else {
                return Ok(Some(Outcome::WaitingForConsole {
                    stage: stage.id.clone(),
                }));
            };
            if Instant::now() >= deadline {
                return Ok(Some(Outcome::WaitingForConsole {
                    stage: stage.id.clone(),
                }));
            }
            // Sleep in short slices so that a signal is honoured at once.
            let pause = interval.min(deadline.saturating_duration_since(Instant::now()));
            let until = Instant::now() + pause;
            while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
                tokio::time::sleep(
                    until
                        .saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(100)),
                )
                .await;
            }
            interval = (interval * 3 / 2).min(CONSOLE_POLL_MAX);
        }
    }

    /// Journals the console step as done. `already`: it was done before the
    /// gate said anything (the journal did not know).
    fn finish_gate(
        &self,
        stage: &Stage,
        id: &str,
        turn_on: bool,
        already: bool,
    ) -> Result<(), RunError> {
        if turn_on {
            self.record(Event::UndoCompleted {
                step: id.to_string(),
                skipped: already,
            })?;
        } else {
            self.record(Event::StepCompleted {
                step: id.to_string(),
                outputs: BTreeMap::new(),
                skipped: false,
            })?;
            self.record(Event::StepVerified {
                step: id.to_string(),
            })?;
        }
        self.say(
            ReportKind::Done,
            Some(&stage.id),
            Some(id),
            match (turn_on, already) {
                (true, true) => "the landing-zone region deny is on every registered first-tier OU (read just now)".into(),
                (true, false) => "the landing-zone region deny is back on every registered first-tier OU".into(),
                (false, true) => "the landing-zone region deny is already off (read just now); PV.1 covers every registered first-tier OU".into(),
                (false, false) => "the landing-zone region deny is off; PV.1 covers every registered first-tier OU".into(),
            },
        );
        Ok(())
    }
}
