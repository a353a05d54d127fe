//! What the live organization looks like against a plan's end state, read
//! fresh each time: for every target OU, whether PV.1 is enabled with the
//! planned parameters, whether the companion SCP is attached with its
//! planned content, and whether the landing-zone region deny is still on it;
//! for the organization, the landing zone's status and any landing-zone
//! update in progress. Other actors (administrators, AFT/CfCT/LZA pipelines,
//! Control Tower itself) change the organization during an hour-long console
//! wait, so the gate, `status` and `resume` judge by this, never by the
//! journal alone.
//!
//! It reads only and classifies ([`Drift`]); it must not repair, decide what
//! to run, or print.

use serde::Serialize;

use super::live::{Live, normalise_parameters, parameters_json};
use crate::aws::{AwsError, ControlTower, Identity, Organizations};
use crate::model::{
    DriftStatus, EnablementStatus, LandingZoneOperation, LandingZoneStatus, OperationStatus,
};
use crate::plan::Plan;

pub use crate::plan::pv1::{GRREGIONDENY_SID as GRREGIONDENY, PV1_SID};

/// What differs from the plan's end state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// PV.1 is not enabled on the target.
    Pv1Missing,
    /// PV.1 is enabled with other parameters than planned.
    Pv1Parameters,
    /// PV.1's last operation FAILED.
    Pv1Failed,
    /// An operation is changing PV.1 on the target (not ours).
    Pv1UnderChange,
    /// PV.1's SCP statement was edited outside Control Tower: DRIFTED.
    Pv1Drifted,
    /// The companion SCP does not exist.
    CompanionMissing,
    /// The companion SCP's content is not the planned content.
    CompanionContent,
    /// The companion SCP is not attached to the target.
    CompanionDetached,
    /// A first-tier OU was registered that the plan does not cover.
    NewFirstTierOu,
    /// The landing zone's governed Regions are not the ones planned for.
    GovernedRegions,
    /// An account the plan found in a target now sits under the root or in
    /// an OU that Control Tower does not govern: no region deny applies.
    AccountUngoverned,
}

/// One difference between the organization and the plan's end state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub kind: DriftKind,
    /// The OU id, or the companion's name.
    pub target: String,
    /// The OU's name (or the companion's name).
    pub target_name: String,
    pub expected: String,
    pub observed: String,
}

impl Drift {
    /// One sentence naming the change.
    pub fn describe(&self) -> String {
        let who = &self.target_name;
        match self.kind {
            DriftKind::Pv1Missing => format!(
                "CT.MULTISERVICE.PV.1 is no longer enabled on {who} ({}): someone else disabled it",
                self.target
            ),
            DriftKind::Pv1Parameters => format!(
                "CT.MULTISERVICE.PV.1 on {who} ({}) has other parameters than planned: {}",
                self.target, self.observed
            ),
            DriftKind::Pv1Failed => {
                format!("CT.MULTISERVICE.PV.1 on {who} ({}) is FAILED", self.target)
            }
            DriftKind::Pv1UnderChange => format!(
                "CT.MULTISERVICE.PV.1 on {who} ({}) is being changed by another operation",
                self.target
            ),
            DriftKind::Pv1Drifted => format!(
                "CT.MULTISERVICE.PV.1 on {who} ({}) is DRIFTED: someone edited its SCP statement outside Control Tower, so it may no longer deny what the plan proved",
                self.target
            ),
            DriftKind::CompanionMissing => {
                format!("the companion SCP {who} no longer exists: someone else deleted it")
            }
            DriftKind::CompanionContent => format!(
                "the companion SCP {who} ({}) was edited: its content is not what the plan wrote",
                self.observed
            ),
            DriftKind::CompanionDetached => format!(
                "the companion SCP is no longer attached to {who} ({}): someone else detached it",
                self.target
            ),
            DriftKind::NewFirstTierOu => format!(
                "the first-tier OU {who} ({}) was registered after the plan was made: the plan gives it no PV.1, so turning the landing-zone deny off would leave it without any region deny",
                self.target
            ),
            DriftKind::GovernedRegions => format!(
                "the landing zone's governed Regions changed from {} to {}: PV.1's AllowedRegions no longer follow them",
                self.expected, self.observed
            ),
            DriftKind::AccountUngoverned => format!(
                "the account {who} ({}) was moved out of {}: it is now {}, where no region deny applies",
                self.target, self.expected, self.observed
            ),
        }
    }

    /// What a person does about it when ctmigrate does not repair it.
    pub fn fix(&self) -> String {
        match self.kind {
            DriftKind::Pv1Parameters => format!(
                "set PV.1 on {} back to the planned parameters {} (or plan again if the new ones are wanted)",
                self.target_name, self.expected
            ),
            DriftKind::CompanionContent => format!(
                "put back the planned content of {} (see the plan's Markdown), or plan again if the edit is wanted",
                self.target_name
            ),
            DriftKind::NewFirstTierOu => format!(
                "plan again so that {} gets PV.1 and the companion too (or deregister it if it was registered by mistake)",
                self.target_name
            ),
            DriftKind::GovernedRegions => {
                "plan again with the new governed Regions (or put the planned ones back)"
                    .to_string()
            }
            DriftKind::Pv1Drifted => crate::check::drifted_pv1_fix(&self.target_name),
            DriftKind::AccountUngoverned => format!(
                "move {} back into a registered OU (or register the OU it is in, then plan again)",
                self.target_name
            ),
            _ => format!(
                "restore it as the plan has it ({}), or plan again",
                self.expected
            ),
        }
    }
}

/// One target's coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetCoverage {
    pub ou_id: String,
    pub name: String,
    /// A `GRREGIONDENY` statement is attached to the OU.
    pub landing_zone_deny: bool,
    /// A `CTMULTISERVICEPV1` statement is attached to the OU.
    pub pv1_statement: bool,
}

impl TargetCoverage {
    /// Some region deny is in force on the OU.
    pub fn covered(&self) -> bool {
        self.landing_zone_deny || self.pv1_statement
    }
}

/// The organization against the plan's end state, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub landing_zone_status: LandingZoneStatus,
    /// A landing-zone update in progress (the console's, or anyone's).
    pub landing_zone_operation: Option<LandingZoneOperation>,
    pub targets: Vec<TargetCoverage>,
    pub drifts: Vec<Drift>,
}

impl Coverage {
    /// The landing-zone deny is on every target.
    pub fn deny_on_everywhere(&self) -> bool {
        self.targets.iter().all(|t| t.landing_zone_deny)
    }

    /// The landing-zone deny is on no target.
    pub fn deny_off_everywhere(&self) -> bool {
        self.targets.iter().all(|t| !t.landing_zone_deny)
    }

    /// The landing-zone deny is on the target `ou_id`.
    pub fn deny_on(&self, ou_id: &str) -> bool {
        self.targets
            .iter()
            .any(|t| t.ou_id == ou_id && t.landing_zone_deny)
    }

    /// Targets under no region deny at all: the urgent state.
    pub fn uncovered(&self) -> Vec<&TargetCoverage> {
        self.targets.iter().filter(|t| !t.covered()).collect()
    }
}

/// The landing-zone update in progress, if any.
pub async fn landing_zone_operation<O, C, I>(
    live: &Live<'_, O, C, I>,
) -> Result<Option<LandingZoneOperation>, AwsError>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    let ops = super::live::retry(|| live.ct.list_landing_zone_operations()).await?;
    Ok(ops
        .into_iter()
        .find(|o| o.status == OperationStatus::InProgress))
}

/// Reads the coverage of every target of `plan`.
pub async fn read<O, C, I>(live: &Live<'_, O, C, I>, plan: &Plan) -> Result<Coverage, AwsError>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    let landing_zone =
        super::live::retry(|| live.ct.get_landing_zone(&live.landing_zone_arn)).await?;
    let landing_zone_status = landing_zone.status.clone();
    let landing_zone_operation = landing_zone_operation(live).await?;
    let companion = &plan.companion;
    let mut drifts = Vec::new();
    match live.policy_by_name(&companion.name).await? {
        None => drifts.push(Drift {
            kind: DriftKind::CompanionMissing,
            target: companion.name.clone(),
            target_name: companion.name.clone(),
            expected: "the companion SCP exists".into(),
            observed: "no policy has its name".into(),
        }),
        Some(p) if p.content != companion.content => drifts.push(Drift {
            kind: DriftKind::CompanionContent,
            target: companion.name.clone(),
            target_name: companion.name.clone(),
            expected: format!(
                "content sha256 {}",
                crate::plan::sha256_hex(companion.content.as_bytes())
            ),
            observed: p.summary.id.clone(),
        }),
        Some(_) => {}
    }
    let planned: Vec<String> = sorted(&plan.decisions.governed_regions);
    let now = sorted(&landing_zone.governed_regions);
    if !planned.is_empty() && planned != now {
        drifts.push(Drift {
            kind: DriftKind::GovernedRegions,
            target: "landing zone".into(),
            target_name: "the landing zone".into(),
            expected: planned.join(", "),
            observed: now.join(", "),
        });
    }
    let (registered, unregistered) = first_tier(live).await?;
    drifts.extend(ungoverned_accounts(live, plan, &unregistered).await?);
    for ou in registered {
        if !plan.targets.iter().any(|t| t.ou_arn == ou.arn) {
            drifts.push(Drift {
                kind: DriftKind::NewFirstTierOu,
                target: ou.id,
                target_name: ou.name,
                expected: "every registered first-tier OU is a target of the plan".into(),
                observed: "registered, not in the plan".into(),
            });
        }
    }
    let mut targets = Vec::new();
    for t in &plan.targets {
        let attached = live.attached(&t.ou_id).await?;
        let mut sids = Vec::new();
        for p in &attached {
            let full = super::live::retry(|| live.orgs.describe_policy(&p.id)).await?;
            sids.extend(crate::policy::read::statement_sids(&full.content));
        }
        targets.push(TargetCoverage {
            ou_id: t.ou_id.clone(),
            name: t.name.clone(),
            landing_zone_deny: sids.iter().any(|s| s == GRREGIONDENY),
            pv1_statement: sids.iter().any(|s| s == PV1_SID),
        });
        let drift = |kind, expected: String, observed: String| Drift {
            kind,
            target: t.ou_id.clone(),
            target_name: t.name.clone(),
            expected,
            observed,
        };
        let planned = normalise_parameters(&t.pv1_parameters);
        match live.pv1_on(&t.ou_arn).await? {
            None => drifts.push(drift(
                DriftKind::Pv1Missing,
                format!("PV.1 enabled with {}", t.pv1_parameters),
                "not enabled".into(),
            )),
            Some(c) if c.status == EnablementStatus::UnderChange => drifts.push(drift(
                DriftKind::Pv1UnderChange,
                format!("PV.1 enabled with {}", t.pv1_parameters),
                format!("{} under change", c.arn),
            )),
            Some(c) if c.status == EnablementStatus::Failed => drifts.push(drift(
                DriftKind::Pv1Failed,
                format!("PV.1 enabled with {}", t.pv1_parameters),
                format!("{} FAILED", c.arn),
            )),
            // `observed` is the enabled control's ARN: the repair disables it.
            Some(c) if c.drift_status == Some(DriftStatus::Drifted) => drifts.push(drift(
                DriftKind::Pv1Drifted,
                "PV.1 IN_SYNC".into(),
                c.arn.clone(),
            )),
            Some(c) if normalise_parameters(&parameters_json(&c.parameters)) != planned => drifts
                .push(drift(
                    DriftKind::Pv1Parameters,
                    t.pv1_parameters.to_string(),
                    parameters_json(&c.parameters).to_string(),
                )),
            Some(_) => {}
        }
        if !attached.iter().any(|p| p.name == companion.name) {
            drifts.push(drift(
                DriftKind::CompanionDetached,
                format!("{} attached", companion.name),
                "not attached".into(),
            ));
        }
    }
    Ok(Coverage {
        landing_zone_status,
        landing_zone_operation,
        targets,
        drifts,
    })
}

fn sorted(regions: &[String]) -> Vec<String> {
    let mut v = regions.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The OUs directly under the root that have AWSControlTowerBaseline.
pub async fn registered_first_tier<O, C, I>(
    live: &Live<'_, O, C, I>,
) -> Result<Vec<crate::model::OrgUnit>, AwsError>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    Ok(first_tier(live).await?.0)
}

/// Accounts of the plan's targets that now sit under the root or anywhere
/// in an unregistered first-tier OU: moved out of every region deny.
async fn ungoverned_accounts<O, C, I>(
    live: &Live<'_, O, C, I>,
    plan: &Plan,
    unregistered: &[crate::model::OrgUnit],
) -> Result<Vec<Drift>, AwsError>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    let planned = |id: &str| {
        plan.targets
            .iter()
            .find(|t| t.account_ids.iter().any(|a| a == id))
    };
    if plan.targets.iter().all(|t| t.account_ids.is_empty()) {
        return Ok(Vec::new());
    }
    let mut places: Vec<(String, String)> = Vec::new();
    for root in super::live::retry(|| live.orgs.list_roots()).await? {
        places.push((root.id.clone(), "directly under the root".into()));
    }
    let mut queue: Vec<crate::model::OrgUnit> = unregistered.to_vec();
    while let Some(ou) = queue.pop() {
        places.push((
            ou.id.clone(),
            format!(
                "in {} ({}), which Control Tower does not govern",
                ou.name, ou.id
            ),
        ));
        queue.extend(super::live::retry(|| live.orgs.list_organizational_units(&ou.id)).await?);
    }
    let mut drifts = Vec::new();
    for (parent, where_now) in places {
        for a in super::live::retry(|| live.orgs.list_accounts_for_parent(&parent)).await? {
            if let Some(t) = planned(&a.id) {
                drifts.push(Drift {
                    kind: DriftKind::AccountUngoverned,
                    target: a.id.clone(),
                    target_name: a.name.clone(),
                    expected: format!("{} ({})", t.name, t.ou_id),
                    observed: where_now.clone(),
                });
            }
        }
    }
    Ok(drifts)
}

/// The OUs directly under the root: (registered, not registered).
async fn first_tier<O, C, I>(
    live: &Live<'_, O, C, I>,
) -> Result<(Vec<crate::model::OrgUnit>, Vec<crate::model::OrgUnit>), AwsError>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    let baselines = super::live::retry(|| live.ct.list_enabled_baselines(false)).await?;
    let registered: Vec<String> = baselines
        .into_iter()
        .filter(|b| {
            b.baseline_identifier
                .ends_with(crate::snapshot::CONTROL_TOWER_BASELINE_ID)
        })
        .map(|b| b.target)
        .collect();
    let mut out = (Vec::new(), Vec::new());
    for root in super::live::retry(|| live.orgs.list_roots()).await? {
        for ou in super::live::retry(|| live.orgs.list_organizational_units(&root.id)).await? {
            if registered.contains(&ou.arn) {
                out.0.push(ou);
            } else {
                out.1.push(ou);
            }
        }
    }
    Ok(out)
}

/// The plan step that puts back what `drift` found missing, when the plan
/// has exactly such a step on the same target; `None` when the change is
/// not ctmigrate's to undo (other parameters, other content, a PV.1 that
/// existed before the plan).
///
/// A DRIFTED PV.1 is repaired by disabling it and running the plan's enable
/// step again (Control Tower refuses to update a drifted control and cannot
/// reset an SCP control), so only while the landing-zone deny still covers
/// its OU (`deny_on`); with the deny off the OU would have no region deny
/// while the repair runs.
pub fn repair_step<'p>(
    plan: &'p Plan,
    drift: &Drift,
    deny_on: bool,
) -> Option<&'p crate::plan::Step> {
    let id = match drift.kind {
        DriftKind::Pv1Missing | DriftKind::Pv1Failed | DriftKind::Pv1UnderChange => {
            format!("enable-pv1:{}", drift.target)
        }
        DriftKind::Pv1Drifted if deny_on => format!("enable-pv1:{}", drift.target),
        DriftKind::Pv1Drifted => return None,
        DriftKind::CompanionDetached => format!("attach-companion:{}", drift.target),
        DriftKind::CompanionMissing => "create-companion".to_string(),
        DriftKind::Pv1Parameters
        | DriftKind::CompanionContent
        | DriftKind::NewFirstTierOu
        | DriftKind::GovernedRegions
        | DriftKind::AccountUngoverned => return None,
    };
    plan.stages
        .iter()
        .flat_map(|s| s.steps.iter())
        .find(|s| s.id == id && s.request.is_some())
}
