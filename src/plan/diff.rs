//! What differs between two plans built from the same inputs: used to say
//! what changed in the organization when a plan has gone stale.
//! Pure.

use super::model::{CompanionAction, Plan, Pv1Action};

/// Human-readable differences, most important first; empty when the two
/// plans would do the same.
pub fn diff(old: &Plan, new: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    let d = (&old.decisions, &new.decisions);
    if d.0.allowed_regions != d.1.allowed_regions {
        out.push(format!(
            "allowed Regions: {} → {}",
            d.0.allowed_regions.join(", "),
            d.1.allowed_regions.join(", ")
        ));
    }
    if d.0.exempted_principal_arns != d.1.exempted_principal_arns {
        out.push("the principals the landing-zone deny exempts changed".into());
    }
    if d.0.approved_profile_arns != d.1.approved_profile_arns {
        out.push("the approved inference profiles changed".into());
    }
    for t in &old.targets {
        match new.targets.iter().find(|n| n.ou_id == t.ou_id) {
            None => out.push(format!(
                "first-tier OU {} ({}) is no longer a registered target",
                t.name, t.ou_id
            )),
            Some(n) => {
                if t.scp_slots_used_now != n.scp_slots_used_now {
                    out.push(format!(
                        "{} ({}): SCPs attached {} → {}",
                        t.name, t.ou_id, t.scp_slots_used_now, n.scp_slots_used_now
                    ));
                }
                if t.pv1_action != n.pv1_action
                    || t.pv1_current_parameters != n.pv1_current_parameters
                {
                    out.push(format!(
                        "{} ({}): CT.MULTISERVICE.PV.1 is now {} (the plan would {})",
                        t.name,
                        t.ou_id,
                        match &n.pv1_current_parameters {
                            Some(p) => format!("enabled with {p}"),
                            None => "not enabled".into(),
                        },
                        match n.pv1_action {
                            Pv1Action::Enable => "enable it",
                            Pv1Action::Update => "update its parameters",
                            Pv1Action::None => "leave it as it is",
                        }
                    ));
                }
                if t.companion_attached_now != n.companion_attached_now {
                    out.push(format!(
                        "{} ({}): the companion SCP is {} attached",
                        t.name,
                        t.ou_id,
                        if n.companion_attached_now {
                            "now"
                        } else {
                            "no longer"
                        }
                    ));
                }
                if t.accounts != n.accounts || t.nested_ous != n.nested_ous {
                    out.push(format!(
                        "{} ({}): accounts {} → {}, nested OUs {} → {}",
                        t.name,
                        t.ou_id,
                        t.accounts,
                        n.accounts,
                        t.nested_ous.len(),
                        n.nested_ous.len()
                    ));
                }
            }
        }
    }
    for n in new
        .targets
        .iter()
        .filter(|n| !old.targets.iter().any(|t| t.ou_id == n.ou_id))
    {
        out.push(format!(
            "first-tier OU {} ({}) is a new registered target",
            n.name, n.ou_id
        ));
    }
    if old.companion.action != new.companion.action
        || old.companion.existing_policy_id != new.companion.existing_policy_id
    {
        out.push(format!(
            "the companion SCP {}: the plan would now {}",
            new.companion.name,
            match new.companion.action {
                CompanionAction::Create => "create it",
                CompanionAction::Update => "update it",
                CompanionAction::None => "leave it as it is",
            }
        ));
    }
    let step_ids = |p: &Plan| -> Vec<String> {
        p.stages
            .iter()
            .flat_map(|s| s.steps.iter().map(|x| x.id.clone()))
            .collect()
    };
    if out.is_empty() && step_ids(old) != step_ids(new) {
        out.push("the steps the plan would take changed".into());
    }
    if out.is_empty() && old.fingerprint != new.fingerprint {
        out.push("details outside the plan's steps changed (accounts, policies, inference profiles or the landing zone); the steps would be the same".into());
    }
    out
}
