//! The guided session's choices, computed from what was read (pure): the
//! inference profiles to offer, grouped by geography with what they reach and
//! whether that works today; the other Bedrock paths, pre-selected from
//! what the account uses; the accounts to offer, grouped by OU; the
//! companion modes with a line each. The questions go through [`Prompter`];
//! the session's flow is [`session`]. Apart from that flow, it must not
//! print or call AWS.

pub mod prompter;
pub mod session;

pub use prompter::{AccountChoice, PathChoice, ProfileChoice, Prompter, Recorder, Replay};

use std::collections::BTreeMap;

use crate::paths::found::FoundUse;
use crate::paths::{BedrockPath, catalog};
use crate::plan::CompanionMode;
use crate::snapshot::ProfilesByRegion;
use crate::snapshot::Snapshot;

/// Geographies in the order they are offered.
const GEOGRAPHY_ORDER: [&str; 7] = ["us", "eu", "apac", "jp", "au", "ca", "global"];

/// The geography column of an application inference profile.
pub const APPLICATION_GEOGRAPHY: &str = "app";

/// Why `global.` profiles need their own yes.
pub const GLOBAL_EXPLANATION: &str = "A global. profile can send a request to any commercial Region, and its Region-less leg carries aws:RequestedRegion = \"unspecified\", which no Region list matches. Allowing it means the companion SCP lets Bedrock inference go anywhere through that profile.";

/// The companion modes with one line each, the default first.
pub fn companion_modes() -> Vec<(CompanionMode, &'static str)> {
    vec![
        (
            CompanionMode::Strict,
            "strict: outside the allowed Regions, only permitted accounts, and only through the chosen profiles",
        ),
        (
            CompanionMode::Accounts,
            "accounts: outside the allowed Regions, permitted accounts through any profile, never direct",
        ),
        (
            CompanionMode::Profiles,
            "profiles: outside the allowed Regions, any account, but only through the chosen profiles",
        ),
    ]
}

/// Every profile read in a governed Region, once per id, with the Regions it
/// was read in, its destinations and those outside `allowed` (the Regions the
/// landing-zone region deny lets through), ordered by geography then id.
pub fn profile_choices(profiles: &ProfilesByRegion, allowed: &[String]) -> Vec<ProfileChoice> {
    let mut by_id: BTreeMap<String, ProfileChoice> = BTreeMap::new();
    for (region, list) in profiles {
        let Ok(list) = list else { continue };
        for p in list {
            // An application profile is chosen by its ARN (its id is only
            // unique within one account and Region).
            let id = if p.is_application() {
                p.arn.clone()
            } else {
                p.id.clone()
            };
            let c = by_id.entry(id.clone()).or_insert_with(|| ProfileChoice {
                id,
                geography: if p.is_application() {
                    APPLICATION_GEOGRAPHY
                } else {
                    p.id.split_once('.')
                        .map(|(g, _)| g)
                        .filter(|g| GEOGRAPHY_ORDER.contains(g))
                        .unwrap_or("other")
                }
                .to_string(),
                source_regions: Vec::new(),
                destinations: Vec::new(),
                blocked_today: Vec::new(),
            });
            c.source_regions.push(region.clone());
            // The same destinations the plan lists (a global profile's
            // Region-less leg stands for every commercial Region too).
            for d in crate::paths::model_destinations(&p.model_arns) {
                if !c.destinations.contains(&d) {
                    c.destinations.push(d);
                }
            }
        }
    }
    let mut out: Vec<ProfileChoice> = by_id.into_values().collect();
    for c in &mut out {
        c.source_regions.sort();
        c.destinations.sort();
        c.blocked_today = c
            .destinations
            .iter()
            .filter(|d| !allowed.contains(d))
            .cloned()
            .collect();
    }
    out.sort_by_key(|c| {
        (
            GEOGRAPHY_ORDER
                .iter()
                .position(|g| *g == c.geography)
                .unwrap_or(GEOGRAPHY_ORDER.len()),
            c.id.clone(),
        )
    });
    out
}

/// The Bedrock paths beyond model inference to offer: batch inference,
/// and each guardrail and data-automation profile the catalog lists for a
/// governed Region; what was found using one pre-selects it.
pub fn path_choices(found: &FoundUse, governed: &[String]) -> Vec<PathChoice> {
    let needed = found.needed();
    let failing = |blocked: &[String]| {
        if blocked.is_empty() {
            "works today".to_string()
        } else {
            format!("blocked today: {}", blocked.join(", "))
        }
    };
    let jobs: Vec<String> = found
        .batch_jobs
        .iter()
        .map(|j| {
            format!(
                "{} ({}, {})",
                j.name,
                j.region,
                failing(&j.blocked_destinations)
            )
        })
        .collect();
    let mut out = vec![PathChoice {
        key: "batch".into(),
        path: BedrockPath::Batch,
        profile: None,
        found: (!jobs.is_empty()).then(|| format!("batch job {}", jobs.join("; "))),
        preselected: needed.batch,
        blocked_today: Vec::new(),
    }];
    for path in [BedrockPath::Guardrails, BedrockPath::DataAutomation] {
        for id in catalog::known(path) {
            if !catalog::sources(path, id)
                .iter()
                .any(|r| governed.contains(r))
            {
                continue;
            }
            let users: Vec<String> = found
                .guardrails
                .iter()
                .filter(|g| path == BedrockPath::Guardrails && g.profile_id == id)
                .map(|g| {
                    format!(
                        "guardrail {} ({}, {})",
                        g.name,
                        g.region,
                        failing(&g.blocked_destinations)
                    )
                })
                .chain(
                    found
                        .enforced_guardrails
                        .iter()
                        .filter(|e| {
                            path == BedrockPath::Guardrails && e.profile_id.as_deref() == Some(id)
                        })
                        .map(|e| format!("enforced on every model call in {}", e.region)),
                )
                .collect();
            let mut blocked_today: Vec<String> = governed
                .iter()
                .filter_map(|src| catalog::destinations(path, id, src))
                .flat_map(|d| d.regions)
                .filter(|d| !governed.contains(d))
                .collect();
            blocked_today.sort();
            blocked_today.dedup();
            out.push(PathChoice {
                key: format!("{}:{id}", path.name()),
                path,
                profile: Some(id.to_string()),
                found: (!users.is_empty()).then(|| users.join("; ")),
                preselected: needed.guardrail_profiles.iter().any(|p| p == id),
                blocked_today,
            });
        }
    }
    out
}

/// Every account but the management account (SCPs do not apply to it),
/// ordered by OU path then name.
pub fn account_choices(s: &Snapshot) -> Vec<AccountChoice> {
    let mut out: Vec<AccountChoice> = s
        .accounts
        .iter()
        .filter(|a| a.id != s.organization.management_account_id)
        .map(|a| AccountChoice {
            id: a.id.clone(),
            name: a.name.clone(),
            ou_path: s
                .ou(&a.parent_id)
                .map(|o| o.path.clone())
                .unwrap_or_else(|| "(root)".into()),
        })
        .collect();
    out.sort_by(|a, b| (&a.ou_path, &a.name).cmp(&(&b.ou_path, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InferenceProfile;

    fn profile(id: &str, source: &str, dests: &[&str]) -> InferenceProfile {
        let model = id.split_once('.').map(|(_, m)| m).unwrap_or(id);
        InferenceProfile {
            id: id.into(),
            arn: format!("arn:aws:bedrock:{source}:111111111111:inference-profile/{id}"),
            name: id.into(),
            source_region: source.into(),
            model_arns: dests
                .iter()
                .map(|d| {
                    if d.is_empty() {
                        format!("arn:aws:bedrock:::foundation-model/{model}")
                    } else {
                        format!("arn:aws:bedrock:{d}::foundation-model/{model}")
                    }
                })
                .collect(),
            kind: crate::model::ProfileType::SystemDefined,
            status: crate::model::ProfileStatus::Active,
        }
    }

    #[test]
    fn profiles_are_grouped_by_geography_with_what_is_blocked_today() {
        let mut read: ProfilesByRegion = BTreeMap::new();
        read.insert(
            "ap-northeast-1".into(),
            Ok(vec![
                profile(
                    "jp.m",
                    "ap-northeast-1",
                    &["ap-northeast-1", "ap-northeast-3"],
                ),
                profile("global.m", "ap-northeast-1", &[""]),
            ]),
        );
        read.insert(
            "us-east-1".into(),
            Ok(vec![
                profile(
                    "us.m",
                    "us-east-1",
                    &["us-east-1", "us-east-2", "us-west-2"],
                ),
                profile("global.m", "us-east-1", &[""]),
            ]),
        );
        read.insert("eu-west-2".into(), Err("AccessDenied".into()));
        let allowed: Vec<String> = ["ap-northeast-1", "ap-northeast-3", "us-east-1"]
            .map(String::from)
            .to_vec();
        let c = profile_choices(&read, &allowed);
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["us.m", "jp.m", "global.m"]);
        assert_eq!(c[0].blocked_today, ["us-east-2", "us-west-2"]);
        assert!(c[1].blocked_today.is_empty());
        assert_eq!(c[2].source_regions, ["ap-northeast-1", "us-east-1"]);
        // As the plan lists them: every commercial Region and `unspecified`.
        let all =
            crate::paths::model_destinations(&["arn:aws:bedrock:::foundation-model/m".to_string()]);
        assert_eq!(c[2].destinations.len(), all.len());
        assert!(c[2].destinations.iter().any(|d| d == "unspecified"));
        assert!(c[2].blocked_today.iter().any(|d| d == "unspecified"));
        assert!(!c[2].blocked_today.iter().any(|d| d == "us-east-1"));
    }

    #[test]
    fn application_profiles_are_offered_by_arn_after_the_geographies() {
        let mut app = profile("chatapp01", "us-east-1", &["us-east-1", "us-east-2"]);
        app.arn =
            "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/chatapp01".into();
        app.kind = crate::model::ProfileType::Application;
        let mut read: ProfilesByRegion = BTreeMap::new();
        read.insert(
            "us-east-1".into(),
            Ok(vec![app, profile("us.m", "us-east-1", &["us-east-1"])]),
        );
        let c = profile_choices(&read, &["us-east-1".to_string()]);
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "us.m",
                "arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/chatapp01"
            ]
        );
        assert_eq!(c[1].geography, APPLICATION_GEOGRAPHY);
        assert_eq!(c[1].blocked_today, ["us-east-2"]);
    }
}
