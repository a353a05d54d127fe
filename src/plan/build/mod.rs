//! Building a plan from a snapshot, the inference profiles read per source
//! Region, and the user's inputs. Pure: no I/O, no clock (the caller passes
//! the creation time).
//!
//! The rule behind every decision: after the migration, nothing but Bedrock
//! inference changes. So PV.1 gets the Regions and principal exemptions that
//! are effective today on each OU, the Bedrock inference actions (plus what
//! the user asks for) as exempted actions, and the companion SCP takes the
//! Bedrock exemption back for everyone the chosen mode does not permit.
//!
//! One phase a file, in the order [`build`] runs them: [`regions`],
//! [`profiles`], [`paths`], [`exemptions`], the companion SCP (here),
//! [`targets`], [`stages`], then the proof.

mod exemptions;
mod paths;
mod profiles;
mod regions;
mod stages;
mod targets;

use std::collections::BTreeSet;

use super::companion::{self, COMPANION_NAME, CompanionSpec};
use super::fingerprint::{checksum, fingerprint};
use super::inputs::{InputError, PlanInputs};
use super::model::*;
use crate::detect::{self, DenyState, Quotas};
use crate::policy::read;
use crate::snapshot::Snapshot;

/// Everything a plan is built from.
pub struct PlanRequest<'a> {
    pub snapshot: &'a Snapshot,
    /// Inference profiles per source Region (an error text where Bedrock could not be read).
    pub profiles: &'a crate::snapshot::ProfilesByRegion,
    /// The other Bedrock paths the accounts read use, per account and
    /// Region (the plan warns when it leaves out one that fails today).
    pub bedrock_use: &'a crate::snapshot::UseByAccount,
    pub inputs: PlanInputs,
    pub name: String,
    pub created_at: String,
    pub tool_version: String,
}

/// Estimated seconds for one control operation (PV.1 enable or update).
pub const CONTROL_OPERATION_SECONDS: u64 = 240;
/// Control operations `apply` runs at once by default.
pub const DEFAULT_CONCURRENCY: u64 = 8;
/// Estimated seconds for the console's landing-zone update ("can take up to 60 minutes or more").
pub const CONSOLE_UPDATE_SECONDS: u64 = 3600;

/// What a phase found that the plan reports: errors make it not applyable.
pub(super) struct Notes {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

fn input_error(field: &str, message: String, hint: &str) -> InputError {
    InputError {
        field: field.to_string(),
        message,
        hint: hint.to_string(),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Builds the plan, or refuses with an error naming the input at fault.
pub fn build(req: PlanRequest<'_>) -> Result<Plan, InputError> {
    let inputs = req.inputs.clone().normalised();
    inputs.validate()?;
    let s = req.snapshot;
    let quotas = Quotas {
        scp_attachment_limit: inputs.scp_attachment_limit,
        scp_size_limit: inputs.scp_size_limit,
    };
    let report = detect::report(s, quotas);
    let mut notes = Notes {
        errors: Vec::new(),
        warnings: report
            .warnings
            .iter()
            .filter(|w| !w.contains("free SCP attachment slot"))
            .cloned()
            .collect(),
    };
    let (allowed, allowed_source) = regions::allowed(s, &report, &mut notes);
    let source_regions = regions::sources(&inputs, &allowed)?;
    let profiles::Assessed { profiles, live } = profiles::assess(
        s,
        req.profiles,
        &inputs,
        &source_regions,
        &allowed,
        &mut notes,
    )?;
    let path_profiles = paths::assess(&inputs, &source_regions, &allowed)?;
    let path_decisions = paths::decide(&inputs);
    let found = crate::paths::found::assess(
        req.bedrock_use,
        req.profiles,
        (report.region_deny.state != DenyState::Off).then_some(allowed.as_slice()),
        &s.organization.management_account_id,
    );
    paths::warn(&found, &inputs, &mut notes);
    let migration_needed = profiles
        .iter()
        .chain(&path_profiles)
        .any(|p| !p.works_today);
    exemptions::check_accounts(s, &report, &inputs, &mut notes)?;
    let ex = exemptions::decide(s, &inputs, &mut notes)?;
    let mode = inputs.companion_mode;
    let exempted_actions = ex.actions.clone();
    let companion_actions = ex.companion_actions.clone();
    let lz_principals = ex.principals.clone();
    let approved_profile_arns: Vec<String> = sorted(
        inputs
            .inference_profiles
            .iter()
            .map(|p| companion::profile_arn_pattern(p))
            .collect(),
    );
    let global_allowed = inputs.allow_global;

    // The companion SCP.
    let content = companion::document(&CompanionSpec {
        mode,
        actions: &companion_actions,
        allowed_regions: &allowed,
        permitted_accounts: &inputs.permitted_accounts,
        approved_profile_arns: &approved_profile_arns,
        global_allowed,
        paths: &path_decisions,
    });
    let existing = s
        .policies
        .values()
        .find(|p| p.summary.name == COMPANION_NAME);
    let companion_action = match existing {
        None => CompanionAction::Create,
        Some(p) if p.content == content => CompanionAction::None,
        Some(_) => CompanionAction::Update,
    };
    let size = content.chars().count();
    if size > inputs.scp_size_limit {
        notes.errors.push(format!(
            "the companion SCP is {size} characters, over the limit of {}: approve fewer profiles (a geography prefix instead of many ids), permit fewer accounts, or plan the paths beyond model inference separately",
            inputs.scp_size_limit
        ));
    }
    let companion = CompanionScp {
        name: COMPANION_NAME.into(),
        description: companion::description(mode, &allowed),
        tags: companion::tags(mode),
        size,
        size_limit: inputs.scp_size_limit,
        existing_policy_id: existing.map(|p| p.summary.id.clone()),
        action: companion_action,
        content,
    };

    let (targets, max_statement) =
        targets::plan(s, &report, &inputs, &allowed, &ex, existing, &mut notes);
    let differences = ex.differences;

    // Customer SCPs with condition values of the wrong type: such a
    // condition never matches, in the proof as (presumably) in AWS.
    for (id, p) in &s.policies {
        if let Ok(parsed) = crate::policy::parse_policy(&p.summary.name, &p.content) {
            for what in crate::policy::wrong_typed_values(&parsed) {
                notes.warnings.push(format!(
                    "SCP {} ({id}), {what}: such a condition never matches, and the proof counts it so; AWS may reject or ignore the policy, so fix the value",
                    p.summary.name
                ));
            }
        }
    }

    // Nested OUs with their own PV.1 that keeps Bedrock out.
    for e in &report.pv1.enablements {
        if e.ou_path.contains('/')
            && !e
                .exempted_actions
                .iter()
                .any(|a| read::action_matches(a, "bedrock:InvokeModel"))
        {
            notes.warnings.push(format!(
                "PV.1 on the nested OU {} does not exempt Bedrock inference: cross-region inference stays blocked there after the migration",
                e.ou_path
            ));
        }
    }

    let decisions = Decisions {
        governed_regions: s.landing_zone.governed_regions.clone(),
        landing_zone_version: s.landing_zone.version.clone(),
        landing_zone_latest_version: s
            .landing_zone
            .latest_available_version
            .clone()
            .unwrap_or_default(),
        allowed_regions: allowed.clone(),
        allowed_regions_source: allowed_source,
        exempted_actions: exempted_actions.clone(),
        paths: path_decisions,
        exempted_principal_arns: lz_principals.clone(),
        companion_mode: mode,
        permitted_accounts: inputs.permitted_accounts.clone(),
        approved_profile_arns,
        global_allowed,
        destinations_source: if live {
            "live".into()
        } else {
            "catalog".into()
        },
        source_regions: source_regions.clone(),
    };
    let not_changed = NotChanged {
        unregistered_first_tier_ous: report
            .unregistered_first_tier_ous
            .iter()
            .map(|u| format!("{} ({})", u.name, u.id))
            .collect(),
        accounts_under_root: report
            .accounts_under_root
            .iter()
            .map(|a| {
                format!(
                    "{} ({}){}",
                    a.name,
                    a.id,
                    if a.management {
                        ", management account"
                    } else {
                        ""
                    }
                )
            })
            .collect(),
    };
    let pv1_plan = Pv1Plan {
        control_identifier: s.pv1.catalog_arn.clone(),
        regional_identifier: s.pv1.regional_arn.clone(),
        estimated_statement_size: max_statement,
        size_limit: inputs.scp_size_limit,
    };
    let fingerprint = fingerprint(s, req.profiles);
    let (targets, stages) = if migration_needed {
        let stages = stages::stages(
            s,
            &targets,
            &companion,
            &fingerprint,
            report.region_deny.state == DenyState::On,
        );
        (targets, stages)
    } else {
        (Vec::new(), Vec::new())
    };
    if !migration_needed {
        notes.warnings.retain(|w| !w.contains("already off"));
    }
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        tool_version: req.tool_version,
        name: req.name,
        created_at: req.created_at,
        organization_id: s.organization.id.clone(),
        management_account: s.organization.management_account_id.clone(),
        home_region: s.landing_zone.home_region.clone(),
        landing_zone_arn: s.landing_zone.arn.clone(),
        fingerprint,
        checksum: String::new(),
        applyable: notes.errors.is_empty() && migration_needed,
        migration_needed,
        errors: notes.errors,
        warnings: notes.warnings,
        inputs,
        decisions,
        profiles,
        path_profiles,
        targets,
        not_changed,
        companion,
        pv1: pv1_plan,
        stages,
        proof: None,
    };
    if plan.migration_needed {
        match super::proof::matrix(s, &plan) {
            Ok(m) => {
                for prop in m.summary.properties.iter().filter(|p| !p.passed) {
                    plan.errors.push(format!(
                        "the proof fails ({}): {}; first failing cells: {}",
                        prop.id,
                        prop.description,
                        prop.failures.join("; ")
                    ));
                }
                let open: Vec<&String> = m
                    .summary
                    .loosened_actions
                    .iter()
                    .filter(|a| {
                        !plan
                            .inputs
                            .accept_loosened
                            .iter()
                            .any(|x| x.eq_ignore_ascii_case(a))
                    })
                    .collect();
                if !open.is_empty() {
                    let ous: BTreeSet<&str> = differences
                        .iter()
                        .filter(|d| open.contains(&&d.pattern))
                        .flat_map(|d| d.ous.iter().map(String::as_str))
                        .collect();
                    plan.errors.push(format!(
                        "PV.1 would allow {} outside the allowed Regions, which the landing-zone deny on {} denies today (its GRREGIONDENY NotAction is shorter than PV.1's): accept each with {}, or attach an SCP of your own that denies them outside the allowed Regions and plan again",
                        open.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
                        ous.into_iter().collect::<Vec<_>>().join(", "),
                        open.iter().map(|a| format!("--accept-loosened '{a}'")).collect::<Vec<_>>().join(" ")
                    ));
                }
                plan.proof = Some(m.summary);
            }
            Err(e) => plan.errors.push(e.to_string()),
        }
        plan.applyable = plan.errors.is_empty();
    }
    plan.checksum = checksum(&plan);
    Ok(plan)
}

#[cfg(test)]
mod tests;
