//! Building a plan from a snapshot, the inference profiles read per source
//! Region, and the user's inputs. Pure: no I/O, no clock (the caller passes
//! the creation time).
//!
//! The rule behind every decision: after the migration, nothing but Bedrock
//! inference changes. So PV.1 gets the Regions and principal exemptions that
//! are effective today on each OU, the Bedrock inference actions (plus what
//! the user asks for) as exempted actions, and the companion SCP takes the
//! Bedrock exemption back for everyone the chosen mode does not permit.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::action::{
    Action, EnableControlInput, EnabledControlRef, LandingZoneRef, PolicyContent, PolicyRef,
    PolicyTarget, UpdateControlInput,
};
use super::catalog;
use super::companion::{self, COMPANION_NAME, CompanionSpec};
use super::fingerprint::{checksum, fingerprint, sha256_hex};
use super::inputs::{CompanionMode, PlanInputs};
use super::model::*;
use super::pv1;
use crate::detect::{self, DenyState, Quotas};
use crate::error::{Error, ErrorKind};
use crate::model::{DriftStatus, EnablementStatus, LandingZoneStatus, arn_region};
use crate::policy::read;
use crate::regions::{COMMERCIAL_REGIONS, UNSPECIFIED};
use crate::snapshot::{GUARDRAIL_PREFIX, Snapshot};

/// Everything a plan is built from.
pub struct PlanRequest<'a> {
    pub snapshot: &'a Snapshot,
    /// Inference profiles per source Region (an error text where Bedrock could not be read).
    pub profiles: &'a crate::discover::ProfilesByRegion,
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

fn input_error(field: &str, message: String, hint: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("invalid input `{field}`: {message}"),
    )
    .hint(hint)
}

/// Principals the landing-zone deny exempts beyond Control Tower's own roles.
fn lz_exempt_principals(s: &Snapshot) -> Vec<String> {
    let mut out = BTreeSet::new();
    for ou in s.first_tier_ous().filter(|o| o.registered) {
        for pid in &ou.policies {
            let Some(p) = s.policies.get(pid) else {
                continue;
            };
            for st in read::statements_with_sid(&p.content, super::pv1::GRREGIONDENY_SID) {
                out.extend(
                    st.condition_values("ArnNotLike", "aws:PrincipalARN")
                        .into_iter()
                        .filter(|a| !pv1::is_control_tower_role(a)),
                );
            }
        }
    }
    out.into_iter().collect()
}

/// Destinations of a system profile's models (a Region-less model ARN
/// stands for global routing: `unspecified` and every commercial Region).
fn destinations_of(model_arns: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for arn in model_arns {
        match arn_region(arn) {
            Some(r) => out.push(r.to_string()),
            None => {
                out.push(UNSPECIFIED.to_string());
                out.extend(COMMERCIAL_REGIONS.iter().map(|r| r.to_string()));
            }
        }
    }
    out
}

/// An approved application profile, resolved: listed in its Region (the
/// caller's own account), or declared as copied from a system profile.
/// Its destinations are those of the system profile it copies.
fn application_profile(
    s: &Snapshot,
    profiles: &crate::discover::ProfilesByRegion,
    source_regions: &[String],
    app: &super::inputs::ApplicationProfileRequest<'_>,
) -> Result<ProfileAssessment, Error> {
    let requested = match app.copied_from {
        Some(c) => format!("{}={c}", app.arn),
        None => app.arn.to_string(),
    };
    if !source_regions.iter().any(|r| r == app.region) {
        return Err(input_error(
            "inference_profiles",
            format!(
                "application profile `{}` is in {}, which is not a source Region ({})",
                app.arn,
                app.region,
                source_regions.join(", ")
            ),
            &format!(
                "calls through it start in {}: add --source-region {} (it must be an allowed Region)",
                app.region, app.region
            ),
        ));
    }
    let listed = match profiles.get(app.region) {
        Some(Ok(list)) => Some(list),
        _ => None,
    };
    let system =
        |id: &str| listed.and_then(|l| l.iter().find(|p| !p.is_application() && p.id == id));
    let (destinations, copied_from, source) = match app.copied_from {
        Some(id) => match (listed, system(id)) {
            (_, Some(sp)) => (destinations_of(&sp.model_arns), id.to_string(), "declared"),
            (Some(_), None) => {
                return Err(input_error(
                    "inference_profiles",
                    format!(
                        "`{id}`, named as the source of application profile `{}`, is not a system profile offered in {}",
                        app.arn, app.region
                    ),
                    "name the system profile the application profile was created from (its modelSource.copyFrom)",
                ));
            }
            (None, None) => {
                let prefix = id.split('.').next().unwrap_or_default();
                let dests = catalog::destinations(prefix).ok_or_else(|| {
                    input_error(
                        "inference_profiles",
                        format!("unknown inference profile geography `{prefix}` in `{requested}`"),
                        "use us, eu, apac, jp, au or global",
                    )
                })?;
                (dests, id.to_string(), "catalog")
            }
        },
        None => {
            let found =
                listed.and_then(|l| l.iter().find(|p| p.is_application() && p.arn == app.arn));
            let Some(ap) = found else {
                return Err(input_error(
                    "inference_profiles",
                    format!(
                        "application profile `{}` is not listed in {} (ListInferenceProfiles, typeEquals=APPLICATION, account {})",
                        app.arn, app.region, s.caller.account
                    ),
                    &format!(
                        "ctmigrate lists the application profiles of the account it runs in; for one in another account, name the system profile it was copied from: --inference-profile '{}=us.anthropic.claude-sonnet-4-5-20250929-v1:0'",
                        app.arn
                    ),
                ));
            };
            // The system profile it copies: the one with the same models.
            let mut models = ap.model_arns.clone();
            models.sort();
            let copied = listed
                .into_iter()
                .flatten()
                .filter(|p| !p.is_application())
                .find(|p| {
                    let mut m = p.model_arns.clone();
                    m.sort();
                    m == models
                })
                .map(|p| p.id.clone())
                .unwrap_or_else(|| "a foundation model (single Region)".to_string());
            (destinations_of(&ap.model_arns), copied, "live")
        }
    };
    Ok(ProfileAssessment {
        id: app.arn.to_string(),
        requested_as: requested,
        source_regions: vec![app.region.to_string()],
        destination_regions: destinations,
        source: source.into(),
        works_today: false,
        blocked_destinations: Vec::new(),
        copied_from: Some(copied_from),
    })
}

fn param(params: &[crate::model::ControlParameter], key: &str) -> Vec<String> {
    params
        .iter()
        .find(|p| p.key == key)
        .map(|p| read::string_list(Some(&p.value)))
        .unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn same_set(a: &[String], b: &[String]) -> bool {
    sorted(a.to_vec()) == sorted(b.to_vec())
}

/// Builds the plan, or refuses with an error naming the input at fault.
pub fn build(req: PlanRequest<'_>) -> Result<Plan, Error> {
    let inputs = req.inputs.clone().normalised();
    inputs
        .validate()
        .map_err(|e| input_error(&e.field, e.message, &e.hint))?;
    let s = req.snapshot;
    let quotas = Quotas {
        scp_attachment_limit: inputs.scp_attachment_limit,
        scp_size_limit: inputs.scp_size_limit,
    };
    let report = detect::report(s, quotas);
    let mut errors: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = report
        .warnings
        .iter()
        .filter(|w| !w.contains("free SCP attachment slot"))
        .cloned()
        .collect();

    // The Regions allowed today.
    let (allowed, allowed_source) = match report.region_deny.state {
        DenyState::On => (
            sorted(report.region_deny.allowed_regions.clone()),
            "the aws:RequestedRegion list of the GRREGIONDENY statements".to_string(),
        ),
        DenyState::Off => {
            warnings.push("the landing-zone region deny is already off: registered OUs without PV.1 have no region deny right now".into());
            (
                sorted(s.landing_zone.governed_regions.clone()),
                "the landing zone's governed Regions (the landing-zone region deny is off)"
                    .to_string(),
            )
        }
        DenyState::Partial | DenyState::Inconsistent => {
            errors.push(format!(
                "the landing-zone region deny is {} across the registered first-tier OUs ({}): wait for any landing-zone update to finish or repair the guardrail SCPs, then plan again",
                if report.region_deny.state == DenyState::Partial { "partial" } else { "inconsistent" },
                report.region_deny.disagreements.join("; ")
            ));
            let regions = if report.region_deny.allowed_regions.is_empty() {
                s.landing_zone.governed_regions.clone()
            } else {
                report.region_deny.allowed_regions.clone()
            };
            (
                sorted(regions),
                "the GRREGIONDENY statements that exist".to_string(),
            )
        }
    };
    if s.landing_zone.status != LandingZoneStatus::Active {
        warnings.push(format!(
            "the landing zone is {} now; apply waits for ACTIVE",
            s.landing_zone.status
        ));
    }

    // Source Regions.
    for r in &inputs.source_regions {
        if !allowed.contains(r) {
            return Err(input_error(
                "source_regions",
                format!(
                    "`{r}` is not one of the allowed Regions ({})",
                    allowed.join(", ")
                ),
                "inference called from a Region outside the allowed ones is denied with or without the migration; choose source Regions among the allowed ones",
            ));
        }
    }
    let source_regions = if inputs.source_regions.is_empty() {
        allowed.clone()
    } else {
        inputs.source_regions.clone()
    };

    // Inference profiles and their destinations.
    let readable: Vec<&String> = source_regions
        .iter()
        .filter(|r| matches!(req.profiles.get(*r), Some(Ok(_))))
        .collect();
    let unreadable: Vec<String> = source_regions
        .iter()
        .filter(|r| !matches!(req.profiles.get(*r), Some(Ok(_))))
        .map(|r| match req.profiles.get(r) {
            Some(Err(e)) => format!("{r} ({e})"),
            _ => format!("{r} (not read)"),
        })
        .collect();
    let live = !readable.is_empty();
    if !live {
        warnings.push(format!(
            "Bedrock could not be read in any source Region ({}): destinations come from the built-in catalog of geographies, which may be incomplete; re-plan with bedrock:ListInferenceProfiles permission",
            unreadable.join("; ")
        ));
    } else if !unreadable.is_empty() {
        warnings.push(format!(
            "Bedrock could not be read in {}: profiles there are not checked",
            unreadable.join("; ")
        ));
    }
    let mut found: BTreeMap<String, ProfileAssessment> = BTreeMap::new();
    for requested in &inputs.inference_profiles {
        if let Some(app) = super::inputs::application_profile_request(requested) {
            let p = application_profile(s, req.profiles, &source_regions, &app)?;
            if p.destination_regions.iter().any(|r| r == UNSPECIFIED) && !inputs.allow_global {
                return Err(input_error(
                    "inference_profiles",
                    format!(
                        "application profile `{}` is copied from the global profile {}, and --allow-global was not given",
                        app.arn,
                        p.copied_from.as_deref().unwrap_or("?")
                    ),
                    "it routes like a global profile, with aws:RequestedRegion = \"unspecified\" on its Region-less leg: add --allow-global to accept that",
                ));
            }
            found.insert(p.id.clone(), p);
            continue;
        }
        let prefix = requested.split('.').next().unwrap_or_default();
        if prefix == "global" && !inputs.allow_global {
            return Err(input_error(
                "inference_profiles",
                format!("`{requested}` is a global profile, and --allow-global was not given"),
                "global profiles route to any commercial Region and send aws:RequestedRegion = \"unspecified\" on their Region-less leg: add --allow-global (answers file: \"allow_global\": true) to accept that",
            ));
        }
        if live {
            let mut matched = false;
            for region in &readable {
                let Some(Ok(list)) = req.profiles.get(*region) else {
                    continue;
                };
                for p in list.iter().filter(|p| !p.is_application()) {
                    let hit = if requested.contains('.') {
                        p.id == *requested
                    } else {
                        p.id.starts_with(&format!("{requested}."))
                    };
                    if !hit {
                        continue;
                    }
                    matched = true;
                    let entry = found
                        .entry(p.id.clone())
                        .or_insert_with(|| ProfileAssessment {
                            id: p.id.clone(),
                            requested_as: requested.clone(),
                            source_regions: Vec::new(),
                            destination_regions: Vec::new(),
                            source: "live".into(),
                            works_today: false,
                            blocked_destinations: Vec::new(),
                            copied_from: None,
                        });
                    entry.source_regions.push((*region).clone());
                    entry
                        .destination_regions
                        .extend(destinations_of(&p.model_arns));
                }
            }
            if !matched {
                let offered: BTreeSet<String> = readable
                    .iter()
                    .filter_map(|r| match req.profiles.get(*r) {
                        Some(Ok(list)) => Some(
                            list.iter()
                                .filter(|p| p.id.starts_with(&format!("{prefix}.")))
                                .map(|p| p.id.clone())
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                let hint = if offered.is_empty() {
                    format!(
                        "no `{prefix}.` profiles are offered in {}; check the id, or the source Regions (--source-region)",
                        source_regions.join(", ")
                    )
                } else {
                    format!(
                        "offered there: {}",
                        offered.into_iter().take(8).collect::<Vec<_>>().join(", ")
                    )
                };
                return Err(input_error(
                    "inference_profiles",
                    format!(
                        "unknown inference profile `{requested}`: Bedrock does not offer it in the source Regions {}",
                        source_regions.join(", ")
                    ),
                    &hint,
                ));
            }
        } else {
            let Some(dests) = catalog::destinations(prefix) else {
                return Err(input_error(
                    "inference_profiles",
                    format!("unknown inference profile geography `{prefix}`"),
                    "use us, eu, apac, jp, au or global",
                ));
            };
            let id = if requested.contains('.') {
                requested.clone()
            } else {
                format!("{requested}.*")
            };
            found.insert(
                id.clone(),
                ProfileAssessment {
                    id,
                    requested_as: requested.clone(),
                    source_regions: source_regions.clone(),
                    destination_regions: dests,
                    source: "catalog".into(),
                    works_today: false,
                    blocked_destinations: Vec::new(),
                    copied_from: None,
                },
            );
        }
    }
    let mut profiles: Vec<ProfileAssessment> = found.into_values().collect();
    for p in profiles.iter_mut() {
        p.source_regions = sorted(std::mem::take(&mut p.source_regions));
        p.destination_regions = sorted(std::mem::take(&mut p.destination_regions));
        p.blocked_destinations = p
            .destination_regions
            .iter()
            .filter(|d| !allowed.contains(d))
            .cloned()
            .collect();
        p.works_today = p.blocked_destinations.is_empty();
    }
    let migration_needed = profiles.iter().any(|p| !p.works_today);

    // Permitted accounts and the companion mode.
    let mode = inputs.companion_mode;
    if mode.needs_accounts() && inputs.permitted_accounts.is_empty() {
        return Err(input_error(
            "permitted_accounts",
            format!(
                "companion mode `{}` needs at least one permitted account",
                mode.as_str()
            ),
            "name the accounts that may run inference outside the allowed Regions (--permitted-account 123456789012), or choose --companion-mode profiles",
        ));
    }
    for a in &inputs.permitted_accounts {
        let Some(acct) = s.accounts.iter().find(|x| &x.id == a) else {
            return Err(input_error(
                "permitted_accounts",
                format!("account `{a}` is not in organization {}", s.organization.id),
                "check the id (ctmigrate detect lists the accounts)",
            ));
        };
        if acct.id == s.organization.management_account_id {
            warnings.push(format!(
                "permitted account {a} is the management account: SCPs never apply to it"
            ));
        } else if !report
            .first_tier_ous
            .iter()
            .any(|t| s.accounts_under(&t.id).iter().any(|x| x.id == *a))
        {
            warnings.push(format!(
                "permitted account {} ({a}) is outside the registered first-tier OUs: neither PV.1 nor the companion SCP applies to it",
                acct.name
            ));
        }
    }
    if mode == CompanionMode::Profiles && !inputs.permitted_accounts.is_empty() {
        warnings.push("companion mode `profiles` ignores the permitted accounts: every account may use the approved profiles".into());
    }

    // PV.1 parameters shared by every target.
    let mut exempted_actions: Vec<String> = pv1::BEDROCK_INFERENCE_ACTIONS
        .iter()
        .map(|a| a.to_string())
        .collect();
    for a in &inputs.exempt_actions {
        if !exempted_actions.contains(a) {
            exempted_actions.push(a.clone());
        }
    }
    for a in inputs
        .exempt_actions
        .iter()
        .filter(|a| !a.to_ascii_lowercase().starts_with("bedrock:"))
    {
        warnings.push(format!(
            "`{a}` will be allowed in every Region for every account: PV.1 exempts it and the companion SCP only covers Bedrock"
        ));
    }
    let companion_actions: Vec<String> = exempted_actions
        .iter()
        .filter(|a| a.to_ascii_lowercase().starts_with("bedrock:"))
        .cloned()
        .collect();
    let carried = lz_exempt_principals(s);
    let lz_principals = match &inputs.exempt_principals {
        Some(explicit) => explicit.clone(),
        None => {
            for p in &carried {
                if pv1::is_exemptable_principal(p) {
                    warnings.push(format!(
                        "the landing-zone deny exempts `{p}`: that is a hand edit of a Control Tower-managed SCP, which Control Tower rewrites on every landing-zone update, so the console step itself removes it from GRREGIONDENY; the plan carries it into PV.1's ExemptedPrincipalArns so that it keeps working (decide it with --exempt-principal ARN or --no-exempt-principals)"
                    ));
                } else {
                    errors.push(format!(
                        "the landing-zone deny exempts `{p}`, which PV.1's ExemptedPrincipalArns does not accept (pattern {}): EnableControl would fail in the middle of the enable stage; pass --exempt-principal with the form PV.1 accepts{} for every principal to keep, or --no-exempt-principals",
                        pv1::EXEMPTED_PRINCIPAL_PATTERN,
                        p.strip_prefix("arn:*:")
                            .map(|rest| format!(" (e.g. `arn:aws:{rest}`)"))
                            .unwrap_or_default()
                    ));
                }
            }
            carried
        }
    };
    // Where the live landing-zone deny and PV.1 differ: each loosened
    // pattern must be accepted by name; the proof probes every difference.
    let differences = super::deny_diff::differences(&super::deny_diff::live_not_actions(s));
    for a in &inputs.accept_loosened {
        if !differences
            .iter()
            .any(|d| d.loosened && d.pattern.eq_ignore_ascii_case(a))
        {
            let loosened: Vec<&str> = differences
                .iter()
                .filter(|d| d.loosened)
                .map(|d| d.pattern.as_str())
                .collect();
            return Err(input_error(
                "accept_loosened",
                format!(
                    "`{a}` is not loosened by this plan: the live landing-zone deny and PV.1 agree on it"
                ),
                &if loosened.is_empty() {
                    "nothing is loosened here: drop --accept-loosened".to_string()
                } else {
                    format!(
                        "the loosened patterns are {}; accept only those",
                        loosened.join(", ")
                    )
                },
            ));
        }
    }
    for d in differences.iter().filter(|d| !d.loosened) {
        warnings.push(format!(
            "the landing-zone deny on {} exempts `{}`, which PV.1 does not: after the console step it is denied outside the allowed Regions (the proof probes {}); add --exempt-action {} if workloads need it there",
            d.ous.join(", "),
            d.pattern,
            d.probe_action,
            d.pattern
        ));
    }
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
        errors.push(format!(
            "the companion SCP is {size} characters, over the limit of {}: approve fewer profiles (a geography prefix instead of many ids) or permit fewer accounts",
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

    // Targets.
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
                        warnings.push(format!(
                            "PV.1 on {} will also allow {}: newly governed Region(s) (the landing-zone deny is off, so PV.1 follows the governed Regions)",
                            ou.name,
                            added.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    allowed.clone()
                } else {
                    allowed
                        .iter()
                        .filter(|r| cur_regions.contains(r))
                        .cloned()
                        .collect()
                };
                // Carried over: only narrowed; decided explicitly: as decided.
                let principals: Vec<String> = if inputs.exempt_principals.is_some() {
                    lz_principals.clone()
                } else {
                    lz_principals
                        .iter()
                        .filter(|p| cur_principals.contains(p))
                        .cloned()
                        .collect()
                };
                if regions.is_empty() {
                    errors.push(format!(
                        "PV.1 on {} ({}) allows none of the Regions the landing-zone deny allows ({}): nothing could run there after the migration; fix its AllowedRegions first",
                        ou.name, ou.id, allowed.join(", ")
                    ));
                }
                let extra_actions: Vec<String> = param(&c.parameters, "ExemptedActions")
                    .into_iter()
                    .filter(|a| !exempted_actions.contains(a))
                    .collect();
                if !extra_actions.is_empty() {
                    warnings.push(format!(
                        "PV.1 on {} exempts {} today, which has no effect while the landing-zone deny is on; the plan leaves it out so that nothing but Bedrock inference changes (pass --exempt-action to keep it)",
                        ou.name,
                        extra_actions.join(", ")
                    ));
                }
                if c.drift_status == Some(DriftStatus::Drifted) {
                    errors.push(format!(
                        "PV.1 on {} ({}) has drifted: Control Tower refuses UpdateEnabledControl; disable and re-enable it (or re-register the OU) first",
                        ou.name, ou.id
                    ));
                }
                (regions, principals)
            }
            None => (allowed.clone(), lz_principals.clone()),
        };
        let parameters = pv1::parameters(&regions, &exempted_actions, &principals);
        let statement = pv1::statement(&regions, &exempted_actions, &principals).to_string();
        max_statement = max_statement.max(statement.chars().count());
        let action = match current {
            None => Pv1Action::Enable,
            Some(c) => {
                let same = c.status == EnablementStatus::Succeeded
                    && same_set(&param(&c.parameters, "AllowedRegions"), &regions)
                    && same_set(&param(&c.parameters, "ExemptedActions"), &exempted_actions)
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
            errors.push(format!(
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
        errors.push(format!(
            "the PV.1 statement would be about {max_statement} characters, over the SCP size limit of {}: exempt fewer actions",
            inputs.scp_size_limit
        ));
    }

    // Nested OUs with their own PV.1 that keeps Bedrock out.
    for e in &report.pv1.enablements {
        if e.ou_path.contains('/')
            && !e
                .exempted_actions
                .iter()
                .any(|a| read::action_matches(a, "bedrock:InvokeModel"))
        {
            warnings.push(format!(
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
        let stages = stages(
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
        warnings.retain(|w| !w.contains("already off"));
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
        applyable: errors.is_empty() && migration_needed,
        migration_needed,
        errors,
        warnings,
        inputs,
        decisions,
        profiles,
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

fn check(
    id: &str,
    title: &str,
    target: &str,
    request: Option<Action>,
    pre: Vec<Expectation>,
) -> Step {
    Step {
        id: id.into(),
        title: title.into(),
        target: target.into(),
        request,
        inverse: None,
        precondition: pre,
        postcondition: Vec::new(),
        after: Vec::new(),
        estimated_seconds: 2,
        instructions: Vec::new(),
    }
}

fn stages(
    s: &Snapshot,
    targets: &[TargetPlan],
    companion: &CompanionScp,
    fingerprint: &str,
    deny_on: bool,
) -> Vec<Stage> {
    let pv1_id = &s.pv1.catalog_arn;
    let companion_ref = match &companion.existing_policy_id {
        Some(id) => id.clone(),
        None => "${create-companion.PolicyId}".to_string(),
    };
    let mut out = Vec::new();

    // 1. Preflight.
    let mut steps = vec![
        check(
            "preflight-identity",
            "The caller is the management account",
            "organization",
            Some(Action::GetCallerIdentity),
            vec![Expectation::CallerIsManagementAccount {
                account: s.organization.management_account_id.clone(),
            }],
        ),
        check(
            "preflight-fingerprint",
            "The organization is as planned (the plan is not stale)",
            "organization",
            None,
            vec![Expectation::FingerprintUnchanged {
                fingerprint: fingerprint.to_string(),
            }],
        ),
        check(
            "preflight-landing-zone",
            "The landing zone is ACTIVE in its home Region",
            "organization",
            Some(Action::GetLandingZone(LandingZoneRef {
                landing_zone_identifier: s.landing_zone.arn.clone(),
            })),
            vec![Expectation::LandingZoneActive {
                arn: s.landing_zone.arn.clone(),
            }],
        ),
        check(
            "preflight-operations",
            "No Control Tower control operation is in progress",
            "organization",
            Some(Action::list_running_operations()),
            vec![Expectation::NoControlOperationInProgress],
        ),
    ];
    for t in targets {
        steps.push(check(
            &format!("preflight-quota:{}", t.ou_id),
            &format!(
                "{}: {} more SCP(s) fit under the limit of {}",
                t.name,
                t.scp_slots_needed - t.scp_slots_used_now,
                t.scp_attachment_limit
            ),
            &t.ou_id,
            Some(Action::list_scps_for(&t.ou_id)),
            vec![Expectation::ScpSlotsAvailable {
                target: t.ou_id.clone(),
                needed: t.scp_slots_needed - t.scp_slots_used_now,
                limit: t.scp_attachment_limit,
            }],
        ));
    }
    out.push(Stage {
        id: "preflight".into(),
        title: "Preflight checks".into(),
        manual: false,
        rationale: "Nothing changes unless the caller, the landing zone, the running operations, the quotas and the organization itself are exactly as planned.".into(),
        estimated_seconds: 10,
        steps,
    });

    // 2. The companion SCP.
    let content_sha = sha256_hex(companion.content.as_bytes());
    let companion_step = match companion.action {
        CompanionAction::Create => Some(Step {
            id: "create-companion".into(),
            title: format!("Create the companion SCP {}", companion.name),
            target: companion.name.clone(),
            request: Some(Action::create_scp(
                &companion.name,
                &companion.description,
                &companion.content,
                &companion.tags,
            )),
            inverse: Some(Action::DeletePolicy(PolicyRef {
                policy_id: "${create-companion.PolicyId}".into(),
            })),
            precondition: vec![Expectation::PolicyAbsent {
                name: companion.name.clone(),
            }],
            postcondition: vec![Expectation::PolicyContent {
                name: companion.name.clone(),
                sha256: content_sha.clone(),
            }],
            after: Vec::new(),
            estimated_seconds: 2,
            instructions: Vec::new(),
        }),
        CompanionAction::Update => s
            .policies
            .values()
            .find(|p| p.summary.name == companion.name)
            .map(|old| Step {
                id: "update-companion".into(),
                title: format!("Update the companion SCP {}", companion.name),
                target: companion.name.clone(),
                request: Some(Action::UpdatePolicy(PolicyContent {
                    policy_id: old.summary.id.clone(),
                    content: companion.content.clone(),
                })),
                inverse: Some(Action::UpdatePolicy(PolicyContent {
                    policy_id: old.summary.id.clone(),
                    content: old.content.clone(),
                })),
                precondition: vec![Expectation::PolicyContent {
                    name: companion.name.clone(),
                    sha256: sha256_hex(old.content.as_bytes()),
                }],
                postcondition: vec![Expectation::PolicyContent {
                    name: companion.name.clone(),
                    sha256: content_sha.clone(),
                }],
                after: Vec::new(),
                estimated_seconds: 2,
                instructions: Vec::new(),
            }),
        _ => None,
    };
    if let Some(step) = companion_step {
        out.push(Stage {
            id: "companion".into(),
            title: "Create the companion SCP".into(),
            manual: false,
            rationale: "The policy exists before anything references it; created but not attached, it changes nothing.".into(),
            estimated_seconds: 2,
            steps: vec![step],
        });
    }

    // 3. PV.1 and the companion on every target.
    let mut steps = Vec::new();
    let mut control_ops = 0u64;
    for t in targets {
        match t.pv1_action {
            Pv1Action::Enable => {
                control_ops += 1;
                let id = format!("enable-pv1:{}", t.ou_id);
                steps.push(Step {
                    id: id.clone(),
                    title: format!("Enable CT.MULTISERVICE.PV.1 on {}", t.name),
                    target: t.ou_id.clone(),
                    request: Some(Action::EnableControl(EnableControlInput {
                        control_identifier: pv1_id.clone(),
                        target_identifier: t.ou_arn.clone(),
                        parameters: t.pv1_parameters.clone(),
                    })),
                    inverse: Some(Action::DisableControl(EnabledControlRef {
                        enabled_control_identifier: format!("${{{id}.arn}}"),
                    })),
                    precondition: vec![Expectation::ControlNotEnabled {
                        target: t.ou_arn.clone(),
                        control: pv1_id.clone(),
                    }],
                    postcondition: vec![
                        Expectation::ControlEnabled {
                            target: t.ou_arn.clone(),
                            control: pv1_id.clone(),
                            parameters: t.pv1_parameters.clone(),
                        },
                        Expectation::StatementPresent {
                            target: t.ou_id.clone(),
                            sid: super::pv1::PV1_SID.into(),
                        },
                    ],
                    after: Vec::new(),
                    estimated_seconds: CONTROL_OPERATION_SECONDS,
                    instructions: Vec::new(),
                });
            }
            Pv1Action::Update => {
                control_ops += 1;
                let current = t.pv1_current_parameters.clone().unwrap_or(Value::Null);
                let arn = s
                    .controls_on(&t.ou_arn)
                    .find(|c| s.pv1.matches(&c.control_identifier))
                    .map(|c| c.arn.clone())
                    .unwrap_or_default();
                steps.push(Step {
                    id: format!("update-pv1:{}", t.ou_id),
                    title: format!("Update CT.MULTISERVICE.PV.1 parameters on {}", t.name),
                    target: t.ou_id.clone(),
                    request: Some(Action::UpdateEnabledControl(UpdateControlInput {
                        enabled_control_identifier: arn.clone(),
                        parameters: t.pv1_parameters.clone(),
                    })),
                    inverse: Some(Action::UpdateEnabledControl(UpdateControlInput {
                        enabled_control_identifier: arn,
                        parameters: current.clone(),
                    })),
                    precondition: vec![Expectation::ControlEnabled {
                        target: t.ou_arn.clone(),
                        control: pv1_id.clone(),
                        parameters: current,
                    }],
                    postcondition: vec![
                        Expectation::ControlEnabled {
                            target: t.ou_arn.clone(),
                            control: pv1_id.clone(),
                            parameters: t.pv1_parameters.clone(),
                        },
                        Expectation::StatementPresent {
                            target: t.ou_id.clone(),
                            sid: super::pv1::PV1_SID.into(),
                        },
                    ],
                    after: Vec::new(),
                    estimated_seconds: CONTROL_OPERATION_SECONDS,
                    instructions: Vec::new(),
                });
            }
            _ => {}
        }
        if !t.companion_attached_now {
            steps.push(Step {
                id: format!("attach-companion:{}", t.ou_id),
                title: format!("Attach the companion SCP to {}", t.name),
                target: t.ou_id.clone(),
                request: Some(Action::AttachPolicy(PolicyTarget {
                    policy_id: companion_ref.clone(),
                    target_id: t.ou_id.clone(),
                })),
                inverse: Some(Action::DetachPolicy(PolicyTarget {
                    policy_id: companion_ref.clone(),
                    target_id: t.ou_id.clone(),
                })),
                precondition: vec![Expectation::PolicyNotAttached {
                    name: companion.name.clone(),
                    target: t.ou_id.clone(),
                }],
                postcondition: vec![Expectation::PolicyAttached {
                    name: companion.name.clone(),
                    target: t.ou_id.clone(),
                }],
                after: Vec::new(),
                estimated_seconds: 2,
                instructions: Vec::new(),
            });
        }
    }
    if !steps.is_empty() {
        let waves = control_ops.div_ceil(DEFAULT_CONCURRENCY);
        out.push(Stage {
            id: "enable".into(),
            title: "Enable PV.1 and attach the companion SCP on every registered first-tier OU".into(),
            manual: false,
            rationale: "While the landing-zone deny is still on, PV.1 and the companion only add denies: the effective fence is the intersection, never wider. Every OU gets both before anything is removed.".into(),
            estimated_seconds: waves * CONTROL_OPERATION_SECONDS + 5,
            steps,
        });
    }

    // 4. Verify coverage.
    let verify = |id_prefix: &str, t: &TargetPlan, with_lz: bool| -> Step {
        let mut post = vec![
            Expectation::ControlEnabled {
                target: t.ou_arn.clone(),
                control: pv1_id.clone(),
                parameters: t.pv1_parameters.clone(),
            },
            Expectation::StatementPresent {
                target: t.ou_id.clone(),
                sid: super::pv1::PV1_SID.into(),
            },
            Expectation::PolicyAttached {
                name: companion.name.clone(),
                target: t.ou_id.clone(),
            },
        ];
        post.push(if with_lz {
            Expectation::StatementPresent {
                target: t.ou_id.clone(),
                sid: super::pv1::GRREGIONDENY_SID.into(),
            }
        } else {
            Expectation::StatementAbsent {
                target: t.ou_id.clone(),
                sid: super::pv1::GRREGIONDENY_SID.into(),
            }
        });
        Step {
            id: format!("{id_prefix}:{}", t.ou_id),
            title: format!("{} is covered by PV.1 and the companion SCP", t.name),
            target: t.ou_id.clone(),
            request: None,
            inverse: None,
            precondition: Vec::new(),
            postcondition: post,
            after: Vec::new(),
            estimated_seconds: 3,
            instructions: Vec::new(),
        }
    };
    out.push(Stage {
        id: "verify".into(),
        title: "Verify every target is covered".into(),
        manual: false,
        rationale: "The landing-zone deny may only go once every registered first-tier OU is proven to carry PV.1 and the companion SCP.".into(),
        estimated_seconds: 10,
        steps: targets.iter().map(|t| verify("verify", t, deny_on)).collect(),
    });

    // 5. The console step.
    if deny_on {
        let region = &s.landing_zone.home_region;
        let mut post = vec![
            Expectation::LandingZoneRegionDenyOff,
            Expectation::LandingZoneActive {
                arn: s.landing_zone.arn.clone(),
            },
        ];
        for t in targets {
            post.push(Expectation::StatementAbsent {
                target: t.ou_id.clone(),
                sid: super::pv1::GRREGIONDENY_SID.into(),
            });
            post.push(Expectation::StatementPresent {
                target: t.ou_id.clone(),
                sid: super::pv1::PV1_SID.into(),
            });
        }
        out.push(Stage {
            id: "console".into(),
            title: "Turn the landing-zone region deny off in the Control Tower console".into(),
            manual: true,
            rationale: "AWS allows this only in the console. It comes last because it is the only step that removes a deny; every OU is already fenced by PV.1.".into(),
            estimated_seconds: CONSOLE_UPDATE_SECONDS,
            steps: vec![Step {
                id: "console-region-deny-off".into(),
                title: "Landing zone settings → Modify settings → Region deny: Not enabled → Update landing zone".into(),
                target: "organization".into(),
                request: None,
                inverse: None,
                precondition: vec![Expectation::LandingZoneRegionDenyOn, Expectation::LandingZoneActive { arn: s.landing_zone.arn.clone() }],
                postcondition: post,
                after: Vec::new(),
                estimated_seconds: CONSOLE_UPDATE_SECONDS,
                instructions: vec![
                    format!("Sign in to the management account {} and open the AWS Control Tower console in the home Region {region}: https://{region}.console.aws.amazon.com/controltower/home?region={region}", s.organization.management_account_id),
                    "In the left navigation pane, choose Landing zone settings.".into(),
                    "Choose Modify settings.".into(),
                    format!("On the Governed Regions page, leave the governed Regions as they are ({}); under Region deny setting, choose Not enabled.", s.landing_zone.governed_regions.join(", ")),
                    "Go through the remaining pages without changing anything, then choose Update landing zone.".into(),
                    "Wait until the landing zone status is Active again (the update can take 60 minutes or more). ctmigrate polls and verifies.".into(),
                ],
            }],
        });
    }

    // 6. Final verification.
    out.push(Stage {
        id: "final".into(),
        title: "Final verification of the effective policies".into(),
        manual: false,
        rationale: "Read the SCPs back: GRREGIONDENY gone, PV.1 and the companion in force on every target.".into(),
        estimated_seconds: 30,
        steps: targets.iter().map(|t| verify("final", t, false)).collect(),
    });
    out
}
