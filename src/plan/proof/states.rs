//! The SCPs in force at each state of a plan: today's attachments, then
//! each stage's effect as the plan predicts it (PV.1's statement from its
//! parameters, the companion where it is attached, GRREGIONDENY gone after
//! the console step).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::ProofError;
use crate::plan::action::Action;
use crate::plan::model::*;
use crate::plan::pv1;
use crate::policy::{self, Policy};
use crate::snapshot::Snapshot;

/// The SCPs attached to each node, in one state.
#[derive(Clone)]
pub(super) struct Attachments {
    pub root: Vec<Arc<Policy>>,
    pub ous: BTreeMap<String, Vec<Arc<Policy>>>,
    pub accounts: BTreeMap<String, Vec<Arc<Policy>>>,
}

pub(super) fn parse(name: &str, content: &str) -> Result<Arc<Policy>, ProofError> {
    policy::parse_policy(name, content)
        .map(Arc::new)
        .map_err(|source| ProofError::Unparseable {
            name: name.to_string(),
            source,
        })
}

fn without_sid(p: &Policy, sid: &str) -> Option<Arc<Policy>> {
    let statements: Vec<_> = p
        .statements
        .iter()
        .filter(|s| s.sid.as_deref() != Some(sid))
        .cloned()
        .collect();
    if statements.len() == p.statements.len() {
        return Some(Arc::new(p.clone()));
    }
    (!statements.is_empty()).then(|| {
        Arc::new(Policy {
            statements,
            ..p.clone()
        })
    })
}

pub(super) fn initial(s: &Snapshot) -> Result<Attachments, ProofError> {
    let mut parsed: BTreeMap<&str, Arc<Policy>> = BTreeMap::new();
    for (id, p) in &s.policies {
        parsed.insert(
            id.as_str(),
            parse(&format!("{} ({id})", p.summary.name), &p.content)?,
        );
    }
    let pick = |ids: &[String]| -> Result<Vec<Arc<Policy>>, ProofError> {
        ids.iter()
            .map(|id| {
                parsed
                    .get(id.as_str())
                    .cloned()
                    .ok_or_else(|| ProofError::NotRead(id.clone()))
            })
            .collect()
    };
    Ok(Attachments {
        root: pick(&s.root_policies)?,
        ous: s
            .ous
            .iter()
            .map(|o| Ok((o.id.clone(), pick(&o.policies)?)))
            .collect::<Result<_, ProofError>>()?,
        accounts: s
            .accounts
            .iter()
            .map(|a| Ok((a.id.clone(), pick(&a.policies)?)))
            .collect::<Result<_, ProofError>>()?,
    })
}

fn predicted_pv1(parameters: &Value) -> Result<Arc<Policy>, ProofError> {
    let get = |k: &str| {
        parameters
            .as_array()
            .and_then(|a| a.iter().find(|p| p["key"] == k))
            .map(|p| crate::policy::read::string_list(Some(&p["value"])))
            .unwrap_or_default()
    };
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [pv1::statement(&get("AllowedRegions"), &get("ExemptedActions"), &get("ExemptedPrincipalArns"))]});
    parse(
        "predicted aws-guardrails (CTMULTISERVICEPV1)",
        &doc.to_string(),
    )
}

/// Applies a stage's effects to the attachments, as the plan predicts them.
pub(super) fn apply_stage(
    state: &mut Attachments,
    stage: &Stage,
    companion: &Arc<Policy>,
    first_tier_registered: &[String],
) -> Result<(), ProofError> {
    for step in &stage.steps {
        let Some(req) = &step.request else { continue };
        match req {
            Action::EnableControl(i) => {
                let pv = predicted_pv1(&i.parameters)?;
                state.ous.entry(step.target.clone()).or_default().push(pv);
            }
            Action::UpdateEnabledControl(i) => {
                let pv = predicted_pv1(&i.parameters)?;
                let list = state.ous.entry(step.target.clone()).or_default();
                *list = list
                    .iter()
                    .filter_map(|p| without_sid(p, pv1::PV1_SID))
                    .collect();
                list.push(pv);
            }
            Action::AttachPolicy(_) => {
                state
                    .ous
                    .entry(step.target.clone())
                    .or_default()
                    .push(companion.clone());
            }
            // The companion's new content, wherever it is attached already.
            Action::UpdatePolicy(_) => {
                for list in state
                    .ous
                    .values_mut()
                    .chain(std::iter::once(&mut state.root))
                {
                    for p in list.iter_mut() {
                        // Live policies are named `name (id)`, the planned one `name`.
                        let ours = p.name == companion.name
                            || p.name.starts_with(&format!("{} (", companion.name));
                        if ours {
                            *p = companion.clone();
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if stage.manual {
        // The console update removes GRREGIONDENY from every registered first-tier OU.
        for ou in first_tier_registered {
            if let Some(list) = state.ous.get_mut(ou) {
                *list = list
                    .iter()
                    .filter_map(|p| without_sid(p, pv1::GRREGIONDENY_SID))
                    .collect();
            }
        }
    }
    Ok(())
}
