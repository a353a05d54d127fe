//! Where an apply stands, from its journal and plan: stages done, the step
//! in flight, the next action for the operator; then corrected by what the
//! live organization says ([`with_live`]), because a person or another actor
//! may have acted since the journal's last record (the console step done, a
//! landing-zone update running, PV.1 disabled by someone else).
//!
//! Pure: it must not read the organization (the caller passes a
//! [`Coverage`]) or print.

use serde::Serialize;

use super::coverage::Coverage;
use super::journal::Progress;
use super::next::Next;
use crate::plan::Plan;

/// An enum whose values are short English phrases: serde and `Display`
/// write the phrase (what `status` prints, and its `--format json`).
macro_rules! phrases {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $v,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

phrases! {
    /// Where a stage stands.
    StageState {
        Done = "done",
        InProgress = "in progress",
        WaitingForConsole = "waiting for the console",
        /// The live organization says the person did it; resume verifies.
        DoneInConsole = "done in the console (not yet verified)",
        /// The console step must not be done: a target lacks its replacement.
        Blocked = "blocked: the organization changed",
        Failed = "failed",
        NotStarted = "not started",
    }
}

phrases! {
    /// Where the whole apply stands.
    Phase {
        NotStarted = "not started",
        InProgress = "in progress",
        WaitingForConsole = "waiting for the console",
        ConsoleUpdateInProgress = "console update in progress",
        ConsoleStepDone = "console step done",
        Stopped = "stopped",
        /// The last run stopped on a change it does not undo.
        StoppedChanged = "stopped: the organization changed",
        /// The live organization differs from the plan while the console step is pending.
        Changed = "the organization changed under the apply",
        Failed = "failed",
        Finished = "finished",
        RollingBack = "rolling back",
        RolledBack = "rolled back",
    }
}

phrases! {
    /// The landing-zone region deny across the plan's targets.
    DenyCoverage {
        On = "on",
        Off = "off",
        PartlyOn = "partly on",
    }
}

/// One stage's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageStatus {
    pub id: String,
    pub title: String,
    pub manual: bool,
    pub state: StageState,
    pub steps_done: usize,
    pub steps: usize,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub plan: String,
    pub organization_id: String,
    pub phase: Phase,
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
    /// What the organization says now; `None` with `--offline` or when it
    /// could not be read (then `live_note` says why).
    pub live: Option<LiveStatus>,
    pub live_note: Option<String>,
    /// The commands of this journal, reaching its organization.
    #[serde(skip)]
    pub next: Next,
    /// Set when a registered first-tier OU has no region deny at all: said
    /// first and loudly, with the command that fixes it.
    pub urgent: Option<String>,
}

/// The live organization, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveStatus {
    pub landing_zone_deny: DenyCoverage,
    pub landing_zone_status: crate::model::LandingZoneStatus,
    /// A landing-zone update in progress (`UPDATE <id>`).
    pub landing_zone_operation: Option<String>,
    /// Targets with no region deny at all.
    pub uncovered: Vec<String>,
    /// Differences from the plan's end state, one sentence each.
    pub changes: Vec<String>,
}

/// Corrects `status` with the live organization. The console step done,
/// a landing-zone update running, or targets left without any region deny
/// outrank what the journal last recorded.
pub fn with_live(mut s: Status, plan: &Plan, progress: &Progress, live: &Coverage) -> Status {
    let n = s.next.clone();
    let rolling_back = progress.rollback.is_some();
    let then = if rolling_back {
        n.rollback()
    } else {
        n.resume()
    };
    let console_pending = plan
        .stages
        .iter()
        .any(|st| st.manual && !progress.checkpoints.contains(&st.id));
    let deny = if live.deny_on_everywhere() {
        DenyCoverage::On
    } else if live.deny_off_everywhere() {
        DenyCoverage::Off
    } else {
        DenyCoverage::PartlyOn
    };
    let uncovered: Vec<String> = live
        .uncovered()
        .iter()
        .map(|t| format!("{} ({})", t.name, t.ou_id))
        .collect();
    let finished = progress.finished || progress.rollback.as_ref().is_some_and(|r| r.finished);
    if let Some(op) = &live.landing_zone_operation {
        if !finished {
            s.phase = Phase::ConsoleUpdateInProgress;
            s.next_action = format!(
                "wait for the landing-zone update {} to finish, or run {then} (it waits, then verifies)",
                op.id
            );
        }
    } else if console_pending
        && !rolling_back
        && deny == DenyCoverage::Off
        && s.phase != Phase::Failed
    {
        for st in s.stages.iter_mut().filter(|st| st.manual) {
            st.state = StageState::DoneInConsole;
        }
        s.phase = Phase::ConsoleStepDone;
        s.next_action = format!("{} (verifies and finishes)", n.resume());
    } else if rolling_back
        && !finished
        && deny == DenyCoverage::On
        && s.phase == Phase::WaitingForConsole
    {
        s.phase = Phase::RollingBack;
        s.next_action = format!(
            "{} (the deny is back on; it removes PV.1 and the companion)",
            n.rollback()
        );
    }
    if !uncovered.is_empty() {
        let fix = if progress.rollback.is_some() {
            format!(
                "turn the landing-zone region deny back ON in the Control Tower console, then: {}",
                n.rollback()
            )
        } else {
            format!("{} (enables PV.1 on them again)", n.resume())
        };
        s.urgent = Some(format!(
            "URGENT: {} ha{} no region deny at all (the landing-zone deny is off there and PV.1 is missing); fix now: {fix}",
            uncovered.join(", "),
            if uncovered.len() == 1 { "s" } else { "ve" }
        ));
        s.next_action = fix;
    }
    let changes: Vec<String> =
        if progress.rollback.is_some() || !progress.checkpoints.iter().any(|c| c == "verify") {
            // Before PV.1 is everywhere (or while undoing it) its absence is no change.
            Vec::new()
        } else {
            live.drifts.iter().map(|d| d.describe()).collect()
        };
    if console_pending
        && !rolling_back
        && deny != DenyCoverage::Off
        && !changes.is_empty()
        && s.urgent.is_none()
    {
        // Never tell anyone to remove the deny while a target lacks its replacement.
        for st in s.stages.iter_mut().filter(|st| st.manual) {
            st.state = StageState::Blocked;
        }
        s.phase = Phase::Changed;
        s.next_action = format!(
            "do not turn the landing-zone region deny off now; run {} (it puts back what ctmigrate can and names the rest, with the fix)",
            n.resume()
        );
    }
    s.live = Some(LiveStatus {
        landing_zone_deny: deny,
        landing_zone_status: live.landing_zone_status.clone(),
        landing_zone_operation: live
            .landing_zone_operation
            .as_ref()
            .map(|o| format!("{} {}", o.kind, o.id)),
        uncovered,
        changes,
    });
    s
}

/// Computes the status.
pub fn status(plan: &Plan, progress: &Progress, journal_path: &str, interactive: bool) -> Status {
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
            StageState::Done
        } else if !failed.is_empty() {
            StageState::Failed
        } else if stage.manual && progress.waiting_for_console {
            StageState::WaitingForConsole
        } else if started {
            StageState::InProgress
        } else {
            StageState::NotStarted
        };
        failures.extend(failed);
        if let Some(changes) = &progress.drifted
            && stage.manual
        {
            failures.extend(changes.iter().map(|c| format!("changed under us: {c}")));
        }
        stages.push(StageStatus {
            id: stage.id.clone(),
            title: stage.title.clone(),
            manual: stage.manual,
            state,
            steps_done: done,
            steps: stage.steps.len(),
        });
    }
    let rolled_back = progress.rollback.as_ref().is_some_and(|r| r.finished);
    let rolling_back = progress.rollback.is_some() && !rolled_back;
    let next_stage = stages.iter().find(|s| s.state != StageState::Done);
    let phase = if rolled_back {
        Phase::RolledBack
    } else if rolling_back {
        Phase::RollingBack
    } else if progress.finished {
        Phase::Finished
    } else if progress.started.is_none() {
        Phase::NotStarted
    } else if progress.drifted.is_some() {
        Phase::StoppedChanged
    } else if !failures.is_empty() {
        Phase::Failed
    } else if progress.waiting_for_console {
        Phase::WaitingForConsole
    } else if progress.last_stop.is_some() {
        Phase::Stopped
    } else {
        Phase::InProgress
    };
    let n = Next::of_journal(progress, journal_path, interactive);
    let next_action = match phase {
        Phase::RolledBack => match progress.rollback.as_ref().map(|r| &r.left) {
            Some(left) if !left.is_empty() => format!(
                "the rollback left {} effect(s) ctmigrate did not make: {}; undo them too with: {}; or keep them: {}",
                left.len(),
                left.join("; "),
                n.rollback_unowned(progress.rollback.as_ref().and_then(|r| r.to.as_deref())),
                n.again_after_rollback(progress)
            ),
            _ => format!(
                "nothing is in progress; {}",
                n.again_after_rollback(progress)
            ),
        },
        Phase::RollingBack => format!("{} (continues the rollback)", n.rollback()),
        Phase::Finished => match &progress.verified {
            Some((true, _)) | None => "nothing: the migration is complete".to_string(),
            Some((false, _)) => format!(
                "investigate the differences between the prediction and the live SCPs, or roll back: {}",
                n.rollback()
            ),
        },
        Phase::WaitingForConsole => {
            let rollback = progress.rollback.is_some();
            let sandbox = n
                .console_on_sandbox(rollback)
                .map(|s| format!("; {s}"))
                .unwrap_or_default();
            if rollback {
                format!(
                    "turn the landing-zone region deny back ON in the Control Tower console{sandbox}; then: {}",
                    n.rollback()
                )
            } else {
                format!(
                    "turn the landing-zone region deny OFF in the Control Tower console (Landing zone settings → Modify settings → Region deny: Not enabled){sandbox}; then: {}",
                    n.resume()
                )
            }
        }
        Phase::Failed => format!(
            "read the failure below, fix its cause, then: {} (or roll back: {})",
            n.resume(),
            n.rollback()
        ),
        Phase::StoppedChanged => format!(
            "fix each change below (or plan again if they are wanted), then: {}",
            if progress.rollback.is_some() {
                n.rollback()
            } else {
                n.resume()
            }
        ),
        _ => match next_stage {
            Some(s) => format!("{} (next stage: {} — {})", n.resume(), s.id, s.title),
            None => format!("{} (verifies and finishes)", n.resume()),
        },
    };
    Status {
        plan: progress
            .started
            .as_ref()
            .map(|s| s.plan_path.clone())
            .unwrap_or_default(),
        organization_id: plan.organization_id.clone(),
        phase,
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
        live: None,
        live_note: None,
        urgent: None,
        next: n,
    }
}
