//! Whether a saved plan may start, or a journal go on, against the
//! organization as it is now: the planned organization and management
//! account, a caller in the management account, calls to the home Region,
//! an ACTIVE landing zone, no control operation on a target, and an
//! unchanged fingerprint (else the plan is stale, and the refusal lists
//! what a fresh plan would do differently).
//!
//! It judges a snapshot the caller read (and, for a journal, asks STS who
//! calls). It must not change anything, open the journal, or print: every
//! refusal is an [`Error`] that says nothing was changed and names the fix.

use std::collections::BTreeSet;

use super::journal::Prediction;
use super::verify;
use crate::aws::Identity;
use crate::error::{Error, ErrorKind};
use crate::plan::{self, Plan, PlanRequest};
use crate::snapshot::ProfilesByRegion;
use crate::snapshot::Snapshot;

/// What a new apply is judged on.
pub struct Preflight<'a> {
    pub plan: &'a Plan,
    /// The plan's path as the user gave it.
    pub shown: &'a str,
    pub snapshot: &'a Snapshot,
    pub profiles: &'a ProfilesByRegion,
    /// The Region the clients call.
    pub region: &'a str,
    /// The connection flags of the session (` --sandbox …`), for commands.
    pub connection: &'a str,
}

fn refuse(kind: ErrorKind, message: String, hint: &str) -> Error {
    Error::new(kind, format!("{message}; nothing was changed")).hint(hint.to_string())
}

/// Judges a new apply; on success, the end-state proof matrix it predicts.
pub fn check(p: &Preflight<'_>) -> Result<Prediction, Error> {
    let (plan, shown, snapshot) = (p.plan, p.shown, p.snapshot);
    if snapshot.organization.id != plan.organization_id {
        return Err(refuse(
            ErrorKind::InvalidInput,
            format!(
                "plan `{shown}` is for organization {}, but these credentials reach {}",
                plan.organization_id, snapshot.organization.id
            ),
            "use the management account's credentials of the planned organization, or plan for this one",
        ));
    }
    if snapshot.organization.management_account_id != plan.management_account {
        return Err(refuse(
            ErrorKind::InvalidInput,
            format!(
                "plan `{shown}` is for management account {}, but the organization's is {}",
                plan.management_account, snapshot.organization.management_account_id
            ),
            "plan again for this organization",
        ));
    }
    caller_and_region(&snapshot.caller.account, p.region, plan)?;
    if snapshot.landing_zone.status != crate::model::LandingZoneStatus::Active {
        return Err(refuse(
            ErrorKind::Aws,
            format!(
                "the landing zone is {}, not ACTIVE",
                snapshot.landing_zone.status
            ),
            "wait until the landing zone update finishes (Control Tower console → Landing zone settings), then apply",
        ));
    }
    let target_arns: BTreeSet<&str> = plan.targets.iter().map(|t| t.ou_arn.as_str()).collect();
    if let Some(op) = snapshot
        .control_operations_in_progress
        .iter()
        .find(|o| o.target.as_deref().is_none_or(|t| target_arns.contains(t)))
    {
        return Err(refuse(
            ErrorKind::Aws,
            format!(
                "control operation {} ({}) is in progress on {}",
                op.id,
                op.kind,
                op.target.as_deref().unwrap_or("a target")
            ),
            "wait until it finishes, then apply",
        ));
    }
    if let Some(changes) = stale(plan, snapshot, p.profiles) {
        let mut e = Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the plan is stale: organization {} changed since `{shown}` was made; nothing was changed",
                plan.organization_id
            ),
        )
        .hint(format!(
            "review the changes, then plan again: {}",
            replan_command(plan, shown, p.connection)
        ));
        e.causes = changes;
        return Err(e);
    }
    Ok(verify::predict(snapshot, plan)?)
}

/// `None` when the organization and the inference profiles are as `plan`
/// found them; else what changed, as the plan made now would differ.
pub fn stale(
    plan: &Plan,
    snapshot: &crate::snapshot::Snapshot,
    profiles: &ProfilesByRegion,
) -> Option<Vec<String>> {
    if plan::fingerprint(snapshot, profiles) == plan.fingerprint {
        return None;
    }
    let fresh = plan::build(PlanRequest {
        snapshot,
        profiles,
        bedrock_use: &Default::default(),
        inputs: plan.inputs.clone(),
        name: plan.name.clone(),
        created_at: plan.created_at.clone(),
        tool_version: plan.tool_version.clone(),
    });
    Some(match fresh {
        Ok(fresh) => plan::diff(plan, &fresh),
        Err(err) => vec![format!("planning again now fails: {}", err.message)],
    })
}

/// Judges a journal's next run (resume, rollback): asks STS who calls.
pub async fn check_caller<I: Identity>(sts: &I, region: &str, plan: &Plan) -> Result<(), Error> {
    let me = sts
        .caller_identity()
        .await
        .map_err(|e| Error::aws("identifying the caller (sts:GetCallerIdentity)", e))?;
    caller_and_region(&me.account, region, plan)
}

fn caller_and_region(account: &str, region: &str, plan: &Plan) -> Result<(), Error> {
    if account != plan.management_account {
        return Err(refuse(
            ErrorKind::Permission,
            format!(
                "the caller is account {account}, not the management account {}",
                plan.management_account
            ),
            "use credentials of the management account (Control Tower APIs work only there)",
        ));
    }
    if region != plan.home_region {
        return Err(refuse(
            ErrorKind::Config,
            format!(
                "calls go to {region}, but the landing zone's home Region is {}",
                plan.home_region
            ),
            &format!("add --region {}", plan.home_region),
        ));
    }
    Ok(())
}

/// A `ctmigrate plan` command line that plans again with every decision of
/// `plan` (read from the plan file `shown`, so that no input is lost) and
/// writes it in its place.
pub fn replan_command(plan: &Plan, shown: &str, connection: &str) -> String {
    format!(
        "ctmigrate{connection} {}",
        super::conclusion::from_plan_args(shown, &plan.name)
    )
}
