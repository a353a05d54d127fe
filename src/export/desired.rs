//! The end state a plan reaches before its console step, read from the
//! plan's own steps (so that an export can add none): the companion SCP,
//! PV.1 per target and the companion's attachments, each marked as created
//! by a step or already in place (to import).

use serde_json::Value;

use super::{ExportError, Tool};
use crate::plan::Plan;
use crate::plan::action::Action;
use crate::plan::{CompanionAction, Pv1Action};

/// The companion SCP.
#[derive(Debug, Clone, PartialEq)]
pub struct Companion {
    pub name: String,
    pub description: String,
    /// Minified JSON, exactly as the plan sends it (its size was checked).
    pub content: String,
    pub tags: Vec<(String, String)>,
    /// Its id when it exists already (imported).
    pub existing_id: Option<String>,
}

/// PV.1 on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub ou_id: String,
    pub ou_arn: String,
    pub ou_name: String,
    pub control_identifier: String,
    /// `(key, value)` in the plan's order.
    pub parameters: Vec<(String, Value)>,
    pub tags: Vec<(String, String)>,
    /// Enabled already (imported), with these or other parameters.
    pub existing: bool,
}

/// The companion attached to one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub ou_id: String,
    pub ou_name: String,
    /// Attached already (imported).
    pub existing: bool,
}

/// Everything an export expresses.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub companion: Companion,
    pub controls: Vec<Control>,
    pub attachments: Vec<Attachment>,
}

impl Desired {
    /// What is imported rather than created, in words.
    pub fn imports(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(id) = &self.companion.existing_id {
            out.push(format!(
                "the companion SCP `{}` ({id})",
                self.companion.name
            ));
        }
        for c in self.controls.iter().filter(|c| c.existing) {
            out.push(format!(
                "CT.MULTISERVICE.PV.1 on {} ({})",
                c.ou_name, c.ou_id
            ));
        }
        for a in self.attachments.iter().filter(|a| a.existing) {
            out.push(format!(
                "the companion's attachment to {} ({})",
                a.ou_name, a.ou_id
            ));
        }
        out
    }
}

fn tool_name(tool: Tool) -> &'static str {
    match tool {
        Tool::Terraform => "Terraform",
        Tool::CloudFormation => "CloudFormation",
    }
}

/// The end state of `plan`, checked against its steps.
pub fn of(plan: &Plan, tool: Tool) -> Result<Desired, ExportError> {
    if !plan.applyable {
        return Err(ExportError::NotApplyable {
            name: plan.name.clone(),
            errors: plan.errors.join("; "),
        });
    }
    let requests: Vec<(&str, &Action)> = plan
        .stages
        .iter()
        .filter(|s| !s.manual)
        .flat_map(|s| s.steps.iter())
        .filter_map(|s| s.request.as_ref().map(|r| (s.id.as_str(), r)))
        .collect();
    // A plan whose changes are all in place still has targets: its export
    // imports them, so that the pipeline owns them from then on.
    if plan.targets.is_empty() {
        return Err(ExportError::Nothing {
            name: plan.name.clone(),
        });
    }
    // Every changing step must be one an export can express.
    for (id, a) in &requests {
        if changes(a)
            && !matches!(
                a,
                Action::CreatePolicy(_)
                    | Action::UpdatePolicy(_)
                    | Action::EnableControl(_)
                    | Action::UpdateEnabledControl(_)
                    | Action::AttachPolicy(_)
            )
        {
            return Err(ExportError::Unexpressible {
                name: plan.name.clone(),
                tool: tool_name(tool),
                step: (*id).to_string(),
            });
        }
    }
    let attached_by_step = |ou: &str| {
        requests
            .iter()
            .any(|(_, a)| matches!(a, Action::AttachPolicy(p) if p.target_id == ou))
    };
    let tags_of_enable = |ou_arn: &str| -> Vec<(String, String)> {
        requests
            .iter()
            .find_map(|(_, a)| match a {
                Action::EnableControl(e) if e.target_identifier == ou_arn => {
                    Some(e.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                }
                _ => None,
            })
            .unwrap_or_else(|| {
                crate::plan::action::pv1_tags()
                    .into_iter()
                    .collect::<Vec<(String, String)>>()
            })
    };
    let companion = Companion {
        name: plan.companion.name.clone(),
        description: plan.companion.description.clone(),
        content: plan.companion.content.clone(),
        tags: plan.companion.tags.clone(),
        existing_id: match plan.companion.action {
            CompanionAction::Create => None,
            CompanionAction::Update | CompanionAction::None => {
                plan.companion.existing_policy_id.clone()
            }
        },
    };
    let mut controls = Vec::new();
    let mut attachments = Vec::new();
    for t in &plan.targets {
        let parameters = t
            .pv1_parameters
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|p| Some((p["key"].as_str()?.to_string(), p["value"].clone())))
                    .collect()
            })
            .unwrap_or_default();
        controls.push(Control {
            ou_id: t.ou_id.clone(),
            ou_arn: t.ou_arn.clone(),
            ou_name: t.name.clone(),
            control_identifier: plan.pv1.control_identifier.clone(),
            parameters,
            tags: tags_of_enable(&t.ou_arn),
            existing: t.pv1_action != Pv1Action::Enable,
        });
        if attached_by_step(&t.ou_id) || t.companion_attached_now {
            attachments.push(Attachment {
                ou_id: t.ou_id.clone(),
                ou_name: t.name.clone(),
                existing: !attached_by_step(&t.ou_id),
            });
        }
    }
    Ok(Desired {
        companion,
        controls,
        attachments,
    })
}

/// Whether `a` changes the organization (not a read of a preflight).
fn changes(a: &Action) -> bool {
    !matches!(
        a,
        Action::GetCallerIdentity
            | Action::GetLandingZone(_)
            | Action::ListControlOperations(_)
            | Action::ListPoliciesForTarget(_)
    )
}
