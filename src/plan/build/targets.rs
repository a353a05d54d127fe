//! What happens on each registered first-tier OU: PV.1's parameters there
//! (only ever narrowing what is effective today, or following the governed
//! Regions once the deny is off), enable, update or leave it, the SCP
//! slots the OU needs, and the size of PV.1's statement.

use serde_json::{Value, json};

use super::exemptions::Exemptions;
use super::{Notes, sorted};
use crate::detect::{DenyState, DetectReport};
use crate::model::{DriftStatus, EnablementStatus, Policy};
use crate::plan::inputs::PlanInputs;
use crate::plan::model::{Pv1Action, TargetPlan};
use crate::plan::pv1;
use crate::policy::read;
use crate::snapshot::{GUARDRAIL_PREFIX, Snapshot};

/// The plan for every registered first-tier OU, and the longest PV.1
/// statement among them. `existing`: the companion SCP, if it exists.
pub(super) fn plan(
    s: &Snapshot,
    report: &DetectReport,
    inputs: &PlanInputs,
    allowed: &[String],
    ex: &Exemptions,
    existing: Option<&Policy>,
    notes: &mut Notes,
) -> (Vec<TargetPlan>, usize) {
    let mut targets = Vec::new();
    let mut max_statement = 0;
    for ou in &report.first_tier_ous {
        let node = s.ou(&ou.id);
        let current = s
            .controls_on(&ou.arn)
            .find(|c| s.pv1.matches(&c.control_identifier));
        let (regions, principals) = match current {
            Some(c) => {
                let cur_regions = param(&c.parameters, "AllowedRegions");
                let cur_principals = param(&c.parameters, "ExemptedPrincipalArns");
                // Before the migration PV.1 may only narrow what the
                // landing-zone deny allows. After it (the deny is off) PV.1
                // is the fence and follows the governed Regions, newly
                // governed ones included.
                let regions: Vec<String> = if report.region_deny.state == DenyState::Off {
                    let added: Vec<&String> = allowed
                        .iter()
                        .filter(|r| !cur_regions.contains(r))
                        .collect();
                    if !added.is_empty() {
                        notes.warnings.push(format!(
                            "PV.1 on {} will also allow {}: newly governed Region(s) (the landing-zone deny is off, so PV.1 follows the governed Regions)",
                            ou.name,
                            added.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    allowed.to_vec()
                } else {
                    allowed
                        .iter()
                        .filter(|r| cur_regions.contains(r))
                        .cloned()
                        .collect()
                };
                // Carried over: only narrowed; decided explicitly: as decided.
                let principals: Vec<String> = if inputs.exempt_principals.is_some() {
                    ex.principals.clone()
                } else {
                    ex.principals
                        .iter()
                        .filter(|p| cur_principals.contains(p))
                        .cloned()
                        .collect()
                };
                if regions.is_empty() {
                    notes.errors.push(format!(
                        "PV.1 on {} ({}) allows none of the Regions the landing-zone deny allows ({}): nothing could run there after the migration; fix its AllowedRegions first",
                        ou.name, ou.id, allowed.join(", ")
                    ));
                }
                let extra_actions: Vec<String> = param(&c.parameters, "ExemptedActions")
                    .into_iter()
                    .filter(|a| !ex.actions.contains(a))
                    .collect();
                if !extra_actions.is_empty() {
                    notes.warnings.push(format!(
                        "PV.1 on {} exempts {} today, which has no effect while the landing-zone deny is on; the plan leaves it out so that nothing but Bedrock inference changes (pass --exempt-action to keep it)",
                        ou.name,
                        extra_actions.join(", ")
                    ));
                }
                if c.drift_status == Some(DriftStatus::Drifted) {
                    notes.errors.push(format!(
                        "PV.1 on {} ({}) has drifted: Control Tower refuses UpdateEnabledControl; disable and re-enable it (or re-register the OU) first",
                        ou.name, ou.id
                    ));
                }
                (regions, principals)
            }
            None => (allowed.to_vec(), ex.principals.clone()),
        };
        let parameters = pv1::parameters(&regions, &ex.actions, &principals);
        let statement = pv1::statement(&regions, &ex.actions, &principals).to_string();
        max_statement = max_statement.max(statement.chars().count());
        let action = match current {
            None => Pv1Action::Enable,
            Some(c) => {
                let same = c.status == EnablementStatus::Succeeded
                    && same_set(&param(&c.parameters, "AllowedRegions"), &regions)
                    && same_set(&param(&c.parameters, "ExemptedActions"), &ex.actions)
                    && same_set(&param(&c.parameters, "ExemptedPrincipalArns"), &principals);
                if same {
                    Pv1Action::None
                } else {
                    Pv1Action::Update
                }
            }
        };
        let guardrails: Vec<&crate::model::Policy> = node
            .map(|n| {
                n.policies
                    .iter()
                    .filter_map(|id| s.policies.get(id))
                    .filter(|p| p.summary.name.starts_with(GUARDRAIL_PREFIX))
                    .collect()
            })
            .unwrap_or_default();
        let fits_existing = guardrails.iter().any(|p| {
            p.content.chars().count() + 1 + statement.chars().count() <= inputs.scp_size_limit
        });
        let needs_new = action == Pv1Action::Enable && !fits_existing;
        let companion_attached_now =
            existing.is_some_and(|p| node.is_some_and(|n| n.policies.contains(&p.summary.id)));
        let needed =
            ou.scp_slots.used + usize::from(!companion_attached_now) + usize::from(needs_new);
        if needed > inputs.scp_attachment_limit {
            notes.errors.push(format!(
                "{} ({}): {} SCPs attached now{}{} = {needed}, over the limit of {}; detach or combine SCPs on this OU (or raise --scp-attachment-limit if your organization's quota is higher)",
                ou.name,
                ou.id,
                ou.scp_slots.used,
                if companion_attached_now { "" } else { " + 1 companion SCP" },
                if needs_new { " + 1 new aws-guardrails SCP for PV.1" } else { "" },
                inputs.scp_attachment_limit
            ));
        }
        targets.push(TargetPlan {
            ou_id: ou.id.clone(),
            ou_arn: ou.arn.clone(),
            name: ou.name.clone(),
            nested_ous: ou.nested_ous.iter().map(|n| n.path.clone()).collect(),
            accounts: ou.accounts,
            account_ids: s
                .accounts_under(&ou.id)
                .iter()
                .map(|a| a.id.clone())
                .collect(),
            scp_slots_used_now: ou.scp_slots.used,
            scp_slots_needed: needed,
            scp_attachment_limit: inputs.scp_attachment_limit,
            pv1_action: action,
            pv1_current_parameters: current.map(|c| {
                Value::Array(
                    c.parameters
                        .iter()
                        .map(|p| json!({"key": p.key, "value": p.value}))
                        .collect(),
                )
            }),
            pv1_parameters: parameters,
            pv1_needs_new_guardrail_scp: needs_new,
            companion_attached_now,
        });
    }
    let document_overhead = r#"{"Version":"2012-10-17","Statement":[]}"#.len();
    if max_statement + document_overhead > inputs.scp_size_limit {
        notes.errors.push(format!(
            "the PV.1 statement would be about {max_statement} characters, over the SCP size limit of {}: exempt fewer actions",
            inputs.scp_size_limit
        ));
    }
    (targets, max_statement)
}

fn param(params: &[crate::model::ControlParameter], key: &str) -> Vec<String> {
    params
        .iter()
        .find(|p| p.key == key)
        .map(|p| read::string_list(Some(&p.value)))
        .unwrap_or_default()
}

fn same_set(a: &[String], b: &[String]) -> bool {
    sorted(a.to_vec()) == sorted(b.to_vec())
}
