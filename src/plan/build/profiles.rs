//! The inference profiles a plan approves, with their destinations: read
//! live per source Region (system and application profiles), or from the
//! built-in catalog when Bedrock cannot be read, and what the landing-zone
//! deny blocks of each today.

use std::collections::{BTreeMap, BTreeSet};

use super::{Notes, input_error, sorted};
use crate::paths::catalog;
use crate::paths::model_destinations;
use crate::plan::inputs::{self, InputError, PlanInputs};
use crate::plan::model::ProfileAssessment;
use crate::regions::UNSPECIFIED;
use crate::snapshot::ProfilesByRegion;
use crate::snapshot::Snapshot;

/// The approved profiles, and whether their destinations were read live.
pub(super) struct Assessed {
    pub profiles: Vec<ProfileAssessment>,
    pub live: bool,
}

/// Resolves every requested profile (an id, a geography, an application
/// profile's ARN) in the source Regions.
pub(super) fn assess(
    s: &Snapshot,
    read: &ProfilesByRegion,
    inputs: &PlanInputs,
    source_regions: &[String],
    allowed: &[String],
    notes: &mut Notes,
) -> Result<Assessed, InputError> {
    let readable: Vec<&String> = source_regions
        .iter()
        .filter(|r| matches!(read.get(*r), Some(Ok(_))))
        .collect();
    let unreadable: Vec<String> = source_regions
        .iter()
        .filter(|r| !matches!(read.get(*r), Some(Ok(_))))
        .map(|r| match read.get(r) {
            Some(Err(e)) => format!("{r} ({e})"),
            _ => format!("{r} (not read)"),
        })
        .collect();
    let live = !readable.is_empty();
    if !live {
        notes.warnings.push(format!(
            "Bedrock could not be read in any source Region ({}): destinations come from the built-in catalog of geographies, which may be incomplete; re-plan with bedrock:ListInferenceProfiles permission",
            unreadable.join("; ")
        ));
    } else if !unreadable.is_empty() {
        notes.warnings.push(format!(
            "Bedrock could not be read in {}: profiles there are not checked",
            unreadable.join("; ")
        ));
    }
    let mut found: BTreeMap<String, ProfileAssessment> = BTreeMap::new();
    for requested in &inputs.inference_profiles {
        if let Some(app) = inputs::application_profile_request(requested) {
            let p = application_profile(s, read, source_regions, &app)?;
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
                let Some(Ok(list)) = read.get(*region) else {
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
                            path: Default::default(),
                        });
                    entry.source_regions.push((*region).clone());
                    entry
                        .destination_regions
                        .extend(model_destinations(&p.model_arns));
                }
            }
            if !matched {
                let offered: BTreeSet<String> = readable
                    .iter()
                    .filter_map(|r| match read.get(*r) {
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
            let Some(dests) = catalog::geography_destinations(prefix) else {
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
                    source_regions: source_regions.to_vec(),
                    destination_regions: dests,
                    source: "catalog".into(),
                    works_today: false,
                    blocked_destinations: Vec::new(),
                    copied_from: None,
                    path: Default::default(),
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
    Ok(Assessed { profiles, live })
}

/// An approved application profile, resolved: listed in its Region (the
/// caller's own account), or declared as copied from a system profile.
/// Its destinations are those of the system profile it copies.
fn application_profile(
    s: &Snapshot,
    profiles: &ProfilesByRegion,
    source_regions: &[String],
    app: &inputs::ApplicationProfileRequest<'_>,
) -> Result<ProfileAssessment, InputError> {
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
            (_, Some(sp)) => (
                model_destinations(&sp.model_arns),
                id.to_string(),
                "declared",
            ),
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
                let dests = catalog::geography_destinations(prefix).ok_or_else(|| {
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
            (model_destinations(&ap.model_arns), copied, "live")
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
        path: Default::default(),
    })
}
