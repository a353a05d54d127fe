//! The Bedrock paths beyond model inference a plan makes work (batch,
//! guardrails, Data Automation): the guardrail and data-automation
//! profiles it approves with their destinations from the documented
//! catalog, each path's decision (actions, why, how it is fenced), and the
//! warnings about discovered use the plan leaves out or cannot fully serve.

use super::{Notes, input_error, sorted};
use crate::paths::found::FoundUse;
use crate::paths::{BedrockPath, Fence, catalog};
use crate::plan::inputs::{InputError, PlanInputs};
use crate::plan::model::{PathDecision, ProfileAssessment};

/// The approved guardrail and data-automation profiles, each called from
/// the plan's source Regions the catalog lists for it.
pub(super) fn assess(
    inputs: &PlanInputs,
    source_regions: &[String],
    allowed: &[String],
) -> Result<Vec<ProfileAssessment>, InputError> {
    let mut out = Vec::new();
    for (path, ids, field, flag) in [
        (
            BedrockPath::Guardrails,
            &inputs.guardrail_profiles,
            "guardrail_profiles",
            "--guardrail-profile",
        ),
        (
            BedrockPath::DataAutomation,
            &inputs.data_automation_profiles,
            "data_automation_profiles",
            "--data-automation-profile",
        ),
    ] {
        for id in ids {
            let known = catalog::known(path);
            if !known.contains(&id.as_str()) {
                return Err(input_error(
                    field,
                    format!(
                        "`{id}` is not in ctmigrate's catalog of {} (no AWS API lists their destinations)",
                        path.title()
                    ),
                    &format!(
                        "use one of {} ({})",
                        known.join(", "),
                        catalog::source_page(path)
                    ),
                ));
            }
            let mut sources = Vec::new();
            let mut destinations = Vec::new();
            let mut documented = true;
            for source in source_regions {
                if let Some(d) = catalog::destinations(path, id, source) {
                    sources.push(source.clone());
                    destinations.extend(d.regions);
                    documented &= d.documented;
                }
            }
            if sources.is_empty() {
                let listed = catalog::sources(path, id);
                let usable: Vec<&String> = listed.iter().filter(|r| allowed.contains(r)).collect();
                return Err(input_error(
                    field,
                    format!(
                        "{flag} {id} cannot be used from the source Regions {} (its source Regions are {})",
                        source_regions.join(", "),
                        listed.join(", ")
                    ),
                    &if usable.is_empty() {
                        format!(
                            "none of its source Regions is allowed here ({}): drop {flag} {id}",
                            allowed.join(", ")
                        )
                    } else {
                        format!(
                            "add --source-region {}",
                            usable
                                .iter()
                                .map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(" --source-region ")
                        )
                    },
                ));
            }
            let destinations = sorted(destinations);
            let blocked: Vec<String> = destinations
                .iter()
                .filter(|d| !allowed.contains(d))
                .cloned()
                .collect();
            out.push(ProfileAssessment {
                id: id.clone(),
                requested_as: id.clone(),
                source_regions: sources,
                works_today: blocked.is_empty(),
                destination_regions: destinations,
                source: if documented {
                    "catalog (documented)".into()
                } else {
                    "catalog (inferred)".into()
                },
                blocked_destinations: blocked,
                copied_from: None,
                path,
            });
        }
    }
    Ok(out)
}

/// Each path the inputs ask for, with the actions it exempts and why.
pub(super) fn decide(inputs: &PlanInputs) -> Vec<PathDecision> {
    inputs
        .paths()
        .into_iter()
        .map(|path| {
            let ids: &[String] = match path {
                BedrockPath::Guardrails => &inputs.guardrail_profiles,
                BedrockPath::DataAutomation => &inputs.data_automation_profiles,
                _ => &[],
            };
            let approved_arns: Vec<String> = ids
                .iter()
            .filter_map(|id| path.profile_arn(id))
            .collect();
            PathDecision {
                path,
                actions: path.actions().iter().map(|a| a.to_string()).collect(),
                why: path.why().to_string(),
                fenced_by: match path.fence() {
                    Fence::InferenceProfileKey => "the bedrock:InferenceProfileArn condition key (present on a call through a profile, absent on a direct call)".into(),
                    Fence::ProfileResource { resource_type } => format!(
                        "the resource ARN ({resource_type}/…): its requests carry no bedrock:InferenceProfileArn"
                    ),
                },
                approved_arns,
                documentation: path.documentation().to_string(),
            }
        })
        .collect()
}

/// Warns about discovered use: paths left out that fail today, the
/// Regions Bedrock could not be read in, and enforced guardrails that the
/// companion mode keeps failing for accounts it does not permit.
pub(super) fn warn(found: &FoundUse, inputs: &PlanInputs, notes: &mut Notes) {
    for line in found.left_out(inputs.batch_inference, &inputs.guardrail_profiles) {
        notes
            .warnings
            .push(format!("the plan leaves out a path in use: {line}"));
    }
    if found.members_tried == 0 {
        notes.warnings.push("guardrails and batch jobs were read in the management account only (SCPs do not govern it): member accounts' use of these paths is not checked; add --member-role ROLE (e.g. AWSControlTowerExecution) to read them".into());
    }
    if let Some(line) = found.unreadable_summary() {
        notes
            .warnings
            .push(format!("{line}: paths in use there are not checked"));
    }
    if inputs.companion_mode.needs_accounts() {
        for e in found.enforced_guardrails.iter().filter(|e| {
            e.profile_id
                .as_ref()
                .is_some_and(|p| inputs.guardrail_profiles.contains(p))
        }) {
            notes.warnings.push(format!(
                "the enforced guardrail {} ({}) evaluates every model call across Regions through {}: with companion mode `{}`, accounts that are not permitted are denied it outside the allowed Regions, so every one of their model calls fails where it is enforced; permit those accounts, or choose --companion-mode profiles",
                e.guardrail_arn,
                e.region,
                e.profile_id.as_deref().unwrap_or_default(),
                inputs.companion_mode.as_str()
            ));
        }
    }
}
