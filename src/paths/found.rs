//! What the accounts read show of the Bedrock paths beyond InvokeModel
//! (guardrails with a guardrail profile, enforced guardrails, batch jobs
//! through an inference profile), with their destinations and whether the
//! landing-zone region deny lets them work today. `detect` reports it, the
//! guided session pre-selects from it, and `plan` warns when a path it
//! shows is left out.
//!
//! SCPs never apply to the management account, so what it uses works
//! whatever the region deny says: it is listed, but only member accounts'
//! use counts as blocked, needed or left out.

use serde::Serialize;

use super::{BedrockPath, catalog, model_destinations};
use crate::model::{BatchJob, InferenceProfile};
use crate::snapshot::{ProfilesByRegion, UseByAccount};

/// A guardrail that routes its evaluation through a guardrail profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundGuardrail {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub region: String,
    pub profile_id: String,
    /// From the catalog; empty when it does not list the profile there.
    pub destinations: Vec<String>,
    /// `documented`, `inferred` or `unknown` (see [`catalog`]).
    pub destinations_source: String,
    /// Destinations the landing-zone deny blocks today (none in the
    /// management account, which SCPs do not govern).
    pub blocked_destinations: Vec<String>,
    pub works_today: bool,
}

/// A guardrail the account enforces on every model call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundEnforced {
    pub account: String,
    pub config_id: String,
    pub guardrail_arn: String,
    pub guardrail_version: String,
    pub region: String,
    pub owner: String,
    /// The guardrail profile of the enforced guardrail, when it has one:
    /// then every model call in the account crosses Regions.
    pub profile_id: Option<String>,
    pub blocked_destinations: Vec<String>,
    pub works_today: bool,
}

/// A batch job through an inference profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundBatchJob {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub region: String,
    pub model_id: String,
    pub status: String,
    pub submitted_at: String,
    /// The profile's destinations, read live; empty when unknown.
    pub destinations: Vec<String>,
    pub blocked_destinations: Vec<String>,
    pub works_today: bool,
}

/// Everything found, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FoundUse {
    /// The accounts read (the caller's, and members read through a role),
    /// each with at least one list given.
    pub accounts_read: Vec<String>,
    /// Member accounts ctmigrate tried to read through a role (`--member-role`).
    pub members_tried: usize,
    /// The management account (its use is listed, never blocked).
    pub management_account: String,
    pub guardrails: Vec<FoundGuardrail>,
    /// Guardrails read that use no guardrail profile (they stay in their Region).
    pub regional_guardrails: usize,
    pub enforced_guardrails: Vec<FoundEnforced>,
    pub batch_jobs: Vec<FoundBatchJob>,
    /// Batch jobs read that run on a model in their own Region.
    pub regional_batch_jobs: usize,
    /// Every list that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// A list Bedrock did not give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub account: String,
    pub region: String,
    /// `guardrails`, `enforced guardrails` or `batch jobs`.
    pub list: String,
    pub error: String,
}

/// The paths the discovered use needs, as a plan's inputs name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needed {
    pub batch: bool,
    pub guardrail_profiles: Vec<String>,
}

impl FoundUse {
    /// Whether anything that crosses Regions was found.
    pub fn any(&self) -> bool {
        !self.guardrails.is_empty()
            || !self.batch_jobs.is_empty()
            || self
                .enforced_guardrails
                .iter()
                .any(|e| e.profile_id.is_some())
    }

    /// One line for what could not be read: the lists, the accounts and
    /// Regions, and the first error; `None` when everything was read.
    pub fn unreadable_summary(&self) -> Option<String> {
        let first = self.unreadable.first()?;
        let distinct = |f: &dyn Fn(&Unreadable) -> &str| {
            let mut v: Vec<&str> = self.unreadable.iter().map(f).collect();
            v.sort();
            v.dedup();
            v
        };
        let lists = distinct(&|u| u.list.as_str());
        let regions = distinct(&|u| u.region.as_str());
        let accounts = distinct(&|u| u.account.as_str());
        let mut error = first.error.clone();
        if error.chars().count() > 160 {
            error = error.chars().take(157).collect::<String>() + "...";
        }
        let accounts = if accounts.len() <= 3 {
            format!("account(s) {}", accounts.join(", "))
        } else {
            format!("{} accounts", accounts.len())
        };
        Some(format!(
            "{} could not be read in {accounts}, Region(s) {} (first error: {error})",
            lists.join(", "),
            regions.join(", ")
        ))
    }

    /// The paths and guardrail profiles the discovered use needs.
    pub fn needed(&self) -> Needed {
        let member = |account: &str| account != self.management_account;
        let mut profiles: Vec<String> = self
            .guardrails
            .iter()
            .filter(|g| member(&g.account))
            .map(|g| g.profile_id.clone())
            .chain(
                self.enforced_guardrails
                    .iter()
                    .filter(|e| member(&e.account))
                    .filter_map(|e| e.profile_id.clone()),
            )
            .collect();
        profiles.sort();
        profiles.dedup();
        Needed {
            batch: self.batch_jobs.iter().any(|j| member(&j.account)),
            guardrail_profiles: profiles,
        }
    }

    /// What keeps failing when a plan leaves out what was found: one line
    /// per path, naming the resources.
    pub fn left_out(&self, batch: bool, guardrail_profiles: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let names = |v: Vec<String>| {
            let n = v.len();
            let mut shown: Vec<String> = v.into_iter().take(3).collect();
            if n > 3 {
                shown.push(format!("{} more", n - 3));
            }
            shown.join(", ")
        };
        let missing_guardrails: Vec<&FoundGuardrail> = self
            .guardrails
            .iter()
            .filter(|g| !g.works_today && !guardrail_profiles.contains(&g.profile_id))
            .collect();
        if !missing_guardrails.is_empty() {
            let mut ids: Vec<String> = missing_guardrails
                .iter()
                .map(|g| g.profile_id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            out.push(format!(
                "guardrail(s) {} route through {} to Regions outside the allowed ones: ApplyGuardrail (and every model call they are attached to) keeps failing; add {}",
                names(
                    missing_guardrails
                        .iter()
                        .map(|g| format!("{} ({}, {})", g.name, g.account, g.region))
                        .collect()
                ),
                ids.join(", "),
                ids.iter()
                    .map(|i| format!("--guardrail-profile {i}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        for e in self.enforced_guardrails.iter().filter(|e| {
            e.profile_id
                .as_ref()
                .is_some_and(|p| !e.works_today && !guardrail_profiles.contains(p))
        }) {
            out.push(format!(
                "the enforced guardrail {} (config {}, {}) uses guardrail profile {}: every model call of account {} in {} evaluates it across Regions, so all Bedrock use there keeps failing; add --guardrail-profile {}",
                e.guardrail_arn,
                e.config_id,
                e.region,
                e.profile_id.as_deref().unwrap_or_default(),
                e.account,
                e.region,
                e.profile_id.as_deref().unwrap_or_default()
            ));
        }
        if !batch {
            let failing: Vec<String> = self
                .batch_jobs
                .iter()
                .filter(|j| !j.works_today)
                .map(|j| format!("{} ({}, {}, {})", j.name, j.account, j.region, j.model_id))
                .collect();
            if !failing.is_empty() {
                out.push(format!(
                    "batch job(s) {} run through inference profiles whose destinations the landing-zone deny blocks: CreateModelInvocationJob keeps failing; add --batch-inference",
                    names(failing)
                ));
            }
        }
        out
    }
}

fn blocked(destinations: &[String], allowed: Option<&[String]>) -> Vec<String> {
    match allowed {
        None => Vec::new(),
        Some(allowed) => destinations
            .iter()
            .filter(|d| !allowed.contains(d))
            .cloned()
            .collect(),
    }
}

/// The inference profile a batch job's `modelId` names in `profiles`
/// (an id, or the ARN of a system or application profile), or `None`
/// for a model in the job's own Region.
fn job_profile<'a>(
    job: &BatchJob,
    profiles: &'a [InferenceProfile],
) -> Option<&'a InferenceProfile> {
    profiles
        .iter()
        .find(|p| p.id == job.model_id || p.arn == job.model_id)
}

/// Whether a `modelId` names an inference profile, by its shape alone.
fn names_profile(model_id: &str) -> bool {
    if model_id.starts_with("arn:") {
        return model_id.contains(":inference-profile/")
            || model_id.contains(":application-inference-profile/");
    }
    model_id
        .split_once('.')
        .is_some_and(|(prefix, _)| crate::plan::inputs::GEOGRAPHIES.contains(&prefix))
}

/// Judges what was read. `allowed`: the Regions the landing-zone deny
/// allows today, or `None` when it is off (nothing is blocked by it);
/// `management`: the management account, which SCPs never govern.
pub fn assess(
    bedrock_use: &UseByAccount,
    profiles: &ProfilesByRegion,
    allowed: Option<&[String]>,
    management: &str,
) -> FoundUse {
    let mut out = FoundUse {
        accounts_read: bedrock_use
            .iter()
            .filter(|(_, regions)| {
                regions.values().any(|u| {
                    u.guardrails.is_ok() || u.enforced_guardrails.is_ok() || u.batch_jobs.is_ok()
                })
            })
            .map(|(a, _)| a.clone())
            .collect(),
        members_tried: bedrock_use.keys().filter(|a| *a != management).count(),
        management_account: management.to_string(),
        ..FoundUse::default()
    };
    for (account, regions) in bedrock_use {
        let allowed = if account == management { None } else { allowed };
        let unreadable = |list: &str, region: &str, error: &str| Unreadable {
            account: account.clone(),
            region: region.to_string(),
            list: list.into(),
            error: error.to_string(),
        };
        for (region, found) in regions {
            let guardrails = match &found.guardrails {
                Ok(list) => list.as_slice(),
                Err(e) => {
                    out.unreadable.push(unreadable("guardrails", region, e));
                    &[]
                }
            };
            for g in guardrails {
                let Some(profile_id) = &g.profile_id else {
                    out.regional_guardrails += 1;
                    continue;
                };
                let (destinations, source) =
                    match catalog::destinations(BedrockPath::Guardrails, profile_id, region) {
                        Some(d) => (
                            d.regions,
                            if d.documented {
                                "documented"
                            } else {
                                "inferred"
                            },
                        ),
                        None => (Vec::new(), "unknown"),
                    };
                let blocked_destinations = blocked(&destinations, allowed);
                out.guardrails.push(FoundGuardrail {
                    account: account.clone(),
                    name: g.name.clone(),
                    arn: g.arn.clone(),
                    region: region.clone(),
                    profile_id: profile_id.clone(),
                    works_today: blocked_destinations.is_empty()
                        && (source != "unknown" || allowed.is_none()),
                    destinations,
                    destinations_source: source.into(),
                    blocked_destinations,
                });
            }
            match &found.enforced_guardrails {
                Ok(list) => {
                    for e in list {
                        let guardrail = guardrails.iter().find(|g| {
                            g.arn == e.guardrail_arn
                                || (!e.guardrail_id.is_empty() && g.id == e.guardrail_id)
                        });
                        let profile_id = guardrail.and_then(|g| g.profile_id.clone());
                        let destinations = profile_id
                            .as_deref()
                            .and_then(|p| catalog::destinations(BedrockPath::Guardrails, p, region))
                            .map(|d| d.regions)
                            .unwrap_or_default();
                        let blocked_destinations = blocked(&destinations, allowed);
                        out.enforced_guardrails.push(FoundEnforced {
                            account: account.clone(),
                            config_id: e.config_id.clone(),
                            guardrail_arn: e.guardrail_arn.clone(),
                            guardrail_version: e.guardrail_version.clone(),
                            region: region.clone(),
                            owner: e.owner.clone(),
                            works_today: blocked_destinations.is_empty(),
                            profile_id,
                            blocked_destinations,
                        });
                    }
                }
                Err(e) => out
                    .unreadable
                    .push(unreadable("enforced guardrails", region, e)),
            }
            match &found.batch_jobs {
                Ok(list) => {
                    let listed: &[InferenceProfile] = match profiles.get(region) {
                        Some(Ok(l)) => l,
                        _ => &[],
                    };
                    for j in list {
                        let profile = job_profile(j, listed);
                        if profile.is_none() && !names_profile(&j.model_id) {
                            out.regional_batch_jobs += 1;
                            continue;
                        }
                        let mut destinations = profile
                            .map(|p| model_destinations(&p.model_arns))
                            .unwrap_or_default();
                        destinations.sort();
                        destinations.dedup();
                        let blocked_destinations = blocked(&destinations, allowed);
                        out.batch_jobs.push(FoundBatchJob {
                            account: account.clone(),
                            name: j.name.clone(),
                            arn: j.arn.clone(),
                            region: region.clone(),
                            model_id: j.model_id.clone(),
                            status: j.status.clone(),
                            submitted_at: j.submitted_at.clone(),
                            works_today: blocked_destinations.is_empty()
                                && (!destinations.is_empty() || allowed.is_none()),
                            destinations,
                            blocked_destinations,
                        });
                    }
                }
                Err(e) => out.unreadable.push(unreadable("batch jobs", region, e)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnforcedGuardrail, Guardrail, ProfileStatus, ProfileType};
    use crate::snapshot::BedrockUse;

    fn guardrail(id: &str, profile: Option<&str>) -> Guardrail {
        Guardrail {
            id: id.into(),
            arn: format!("arn:aws:bedrock:us-east-1:111111111111:guardrail/{id}"),
            name: format!("{id}-name"),
            version: "DRAFT".into(),
            status: "READY".into(),
            region: "us-east-1".into(),
            profile_id: profile.map(str::to_string),
        }
    }

    const MEMBER: &str = "222222222222";
    const MANAGEMENT: &str = "111111111111";

    /// The member account's use; the management account has the same.
    fn estate() -> (UseByAccount, ProfilesByRegion) {
        let mut u = crate::snapshot::UseByRegion::new();
        u.insert(
            "us-east-1".into(),
            BedrockUse {
                guardrails: Ok(vec![
                    guardrail("g1", Some("us.guardrail.v1:0")),
                    guardrail("g2", None),
                ]),
                enforced_guardrails: Ok(vec![EnforcedGuardrail {
                    config_id: "c1".into(),
                    guardrail_arn: "arn:aws:bedrock:us-east-1:111111111111:guardrail/g1".into(),
                    guardrail_id: "g1".into(),
                    guardrail_version: "1".into(),
                    owner: "ACCOUNT".into(),
                    region: "us-east-1".into(),
                }]),
                batch_jobs: Ok(vec![
                    BatchJob {
                        arn: "arn:aws:bedrock:us-east-1:111111111111:model-invocation-job/j1"
                            .into(),
                        name: "nightly".into(),
                        model_id: "us.anthropic.claude-x".into(),
                        status: "Failed".into(),
                        region: "us-east-1".into(),
                        submitted_at: "2026-11-30T00:00:00Z".into(),
                    },
                    BatchJob {
                        arn: "arn:aws:bedrock:us-east-1:111111111111:model-invocation-job/j2"
                            .into(),
                        name: "local".into(),
                        model_id: "anthropic.claude-x".into(),
                        status: "Completed".into(),
                        region: "us-east-1".into(),
                        submitted_at: "2026-11-30T00:00:00Z".into(),
                    },
                ]),
            },
        );
        u.insert(
            "us-west-2".into(),
            BedrockUse {
                guardrails: Err("AccessDeniedException".into()),
                enforced_guardrails: Ok(vec![]),
                batch_jobs: Ok(vec![]),
            },
        );
        let mut by_account = UseByAccount::new();
        by_account.insert(MANAGEMENT.into(), u.clone());
        by_account.insert(MEMBER.into(), u);
        let u = by_account;
        let mut p = ProfilesByRegion::new();
        p.insert(
            "us-east-1".into(),
            Ok(vec![InferenceProfile {
                id: "us.anthropic.claude-x".into(),
                arn:
                    "arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.anthropic.claude-x"
                        .into(),
                name: "x".into(),
                source_region: "us-east-1".into(),
                model_arns: vec![
                    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-x".into(),
                    "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-x".into(),
                ],
                kind: ProfileType::SystemDefined,
                status: ProfileStatus::Active,
            }]),
        );
        (u, p)
    }

    #[test]
    fn what_crosses_regions_is_found_with_its_destinations() {
        let (u, p) = estate();
        let allowed = vec!["us-east-1".to_string(), "us-west-2".to_string()];
        let f = assess(&u, &p, Some(&allowed), MANAGEMENT);
        // The management account's use is listed, never blocked.
        assert_eq!(f.guardrails.len(), 2);
        assert_eq!(f.guardrails[0].account, MANAGEMENT);
        assert!(f.guardrails[0].works_today);
        assert!(f.guardrails[0].blocked_destinations.is_empty());
        assert!(f.batch_jobs[0].works_today);
        let f = FoundUse {
            guardrails: f.guardrails[1..].to_vec(),
            enforced_guardrails: f.enforced_guardrails[1..].to_vec(),
            batch_jobs: f.batch_jobs[1..].to_vec(),
            ..f
        };
        assert_eq!(f.regional_guardrails, 2);
        assert_eq!(f.guardrails[0].blocked_destinations, ["us-east-2"]);
        assert!(!f.guardrails[0].works_today);
        assert_eq!(f.guardrails[0].destinations_source, "documented");
        assert_eq!(
            f.enforced_guardrails[0].profile_id.as_deref(),
            Some("us.guardrail.v1:0")
        );
        assert_eq!(f.batch_jobs.len(), 1);
        assert_eq!(f.regional_batch_jobs, 2);
        assert_eq!(f.batch_jobs[0].blocked_destinations, ["us-east-2"]);
        assert_eq!(
            f.unreadable_summary().as_deref(),
            Some(
                "guardrails could not be read in account(s) 111111111111, 222222222222, Region(s) us-west-2 (first error: AccessDeniedException)"
            )
        );
        assert!(f.any());
        assert_eq!(
            f.needed(),
            Needed {
                batch: true,
                guardrail_profiles: vec!["us.guardrail.v1:0".into()]
            }
        );
    }

    #[test]
    fn leaving_a_found_path_out_names_what_keeps_failing() {
        let (u, p) = estate();
        let allowed = vec!["us-east-1".to_string()];
        let f = assess(&u, &p, Some(&allowed), MANAGEMENT);
        let lines = f.left_out(false, &[]);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].contains("g1-name (222222222222, us-east-1)")
                && lines[0].contains("--guardrail-profile us.guardrail.v1:0")
        );
        assert!(lines[1].contains("enforced guardrail") && lines[1].contains("all Bedrock use"));
        assert!(lines[2].contains("nightly") && lines[2].contains("--batch-inference"));
        assert!(f.left_out(true, &["us.guardrail.v1:0".into()]).is_empty());
        // With the landing-zone deny off, nothing is blocked by it.
        let f = assess(&u, &p, None, MANAGEMENT);
        assert!(f.left_out(false, &[]).is_empty());
    }
}
