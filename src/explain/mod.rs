//! `explain`: from the text of an access-denied error to the SCP statement
//! that denies it, the inference profile and destination Regions involved,
//! and the fix.
//!
//! It owns reading the message ([`parse`]) and judging it against a
//! [`Snapshot`] with the project's own SCP evaluator ([`against`]). It is
//! pure: it must not call AWS (the command reads the organization) nor print.

mod console;
mod parse;

pub use parse::{Denial, DenyKind, EXAMPLE, UnreadableText, parse};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{InferenceProfile, arn_region};
use crate::paths::{BedrockPath, Fence, catalog};
use crate::plan::companion::COMPANION_NAME;
use crate::policy::{self, Decision, Level, Request, ScpError};
use crate::regions::UNSPECIFIED;
use crate::snapshot::ProfilesByRegion;
use crate::snapshot::Snapshot;

/// Who denies, in the terms of the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denier {
    /// The landing-zone region deny (`GRREGIONDENY`): no exceptions possible.
    LandingZoneRegionDeny,
    /// CT.MULTISERVICE.PV.1 (`CTMULTISERVICEPV1`) without the action exempted.
    Pv1,
    /// ctmigrate's companion SCP: Bedrock outside the allowed Regions.
    Companion,
    /// Any other SCP statement.
    CustomerScp,
}

/// One SCP statement that denies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blame {
    pub denier: Denier,
    pub policy_name: String,
    pub policy_id: String,
    pub sid: Option<String>,
    /// Where it is attached: the root, an OU or the account (id and name).
    pub target: String,
    pub target_name: String,
}

/// The SCPs' decision on one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The Region evaluated (`aws:RequestedRegion`).
    pub region: String,
    /// The inference profile the request went through, if any.
    pub profile: Option<String>,
    pub allowed: bool,
    /// Why it is allowed (SCP statements, or why SCPs do not apply).
    pub allowed_by: Vec<String>,
    pub denied_by: Vec<Blame>,
    /// An implicit deny: no SCP at this level allows the action.
    pub no_allow_at: Option<String>,
}

/// An inference profile that routes to the denied destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInvolved {
    pub id: String,
    pub source_regions: Vec<String>,
    /// Every destination Region (`unspecified` for the global leg).
    pub destinations: Vec<String>,
    /// The destinations the SCPs deny today, through this profile.
    pub blocked: Vec<String>,
}

/// The whole explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub denial: Denial,
    /// The Bedrock path the denied action belongs to (docs/bedrock-paths.md).
    pub path: Option<BedrockPath>,
    /// The account's name and OU path, when it is in the organization.
    pub account_name: Option<String>,
    pub ou_path: Option<String>,
    /// The request as the message describes it, through the likeliest profile.
    pub verdict: Option<Verdict>,
    pub profiles: Vec<ProfileInvolved>,
    /// What to do, first things first.
    pub fix: Vec<String>,
    /// Caveats on the reading.
    pub notes: Vec<String>,
}

impl Explanation {
    /// The fixes' commands started with `me` (`ctmigrate --sandbox …`), so
    /// that they reach the organization that was judged, as printed.
    pub fn reached_with(mut self, me: &str) -> Explanation {
        for f in &mut self.fix {
            *f = f.replace("`ctmigrate ", &format!("`{me} "));
        }
        self
    }
}

/// The message alone, without an organization to judge it against.
pub fn offline(denial: Denial) -> Explanation {
    let path = denial.action.as_deref().and_then(BedrockPath::of_action);
    let mut e = Explanation {
        denial,
        path,
        account_name: None,
        ou_path: None,
        verdict: None,
        profiles: Vec::new(),
        fix: Vec::new(),
        notes: Vec::new(),
    };
    e.fix = fix_from_message(&e.denial);
    if e.path == Some(BedrockPath::Guardrails) {
        let model_call = e.denial.operation.as_deref().is_some_and(|op| {
            matches!(
                op,
                "InvokeModel" | "InvokeModelWithResponseStream" | "Converse" | "ConverseStream"
            )
        });
        e.notes.push(if model_call {
            format!(
                "the {} call was stopped by its guardrail's cross-Region evaluation: a guardrail attached to the call, or one the account enforces on every model call (ListEnforcedGuardrailsConfiguration); every such call fails until the guardrail profile's destinations are allowed",
                e.denial.operation.as_deref().unwrap_or_default()
            )
        } else {
            "the same denial stops every model call this guardrail is attached to, and every model call of the account when the guardrail is enforced (ListEnforcedGuardrailsConfiguration)".to_string()
        });
    }
    e
}

/// The `ctmigrate plan` flags that make the denied path work for `account`.
fn plan_args(e: &Explanation, account: &str) -> String {
    let d = &e.denial;
    let inference_geo = e
        .verdict
        .as_ref()
        .and_then(|v| v.profile.as_deref())
        .and_then(|p| p.split_once('.'))
        .map(|(g, _)| g.to_string());
    // A guardrail or data-automation profile names its geography too.
    let path_profile = d.profile.as_deref().filter(|_| {
        e.path
            .is_some_and(|p| p.fence() != Fence::InferenceProfileKey)
    });
    let geo = inference_geo.or_else(|| {
        path_profile
            .and_then(|p| p.split_once('.'))
            .map(|(g, _)| g.to_string())
    });
    let mut args = match geo.as_deref() {
        Some("global") => "--inference-profile global --allow-global".to_string(),
        Some(g) => format!("--inference-profile {g}"),
        None => "--inference-profile GEO".to_string(),
    };
    match e.path {
        Some(BedrockPath::Batch) => args.push_str(" --batch-inference"),
        Some(BedrockPath::Guardrails) => args.push_str(&format!(
            " --guardrail-profile {}",
            path_profile.unwrap_or("ID")
        )),
        Some(BedrockPath::DataAutomation) => args.push_str(&format!(
            " --data-automation-profile {}",
            path_profile.unwrap_or("ID")
        )),
        Some(BedrockPath::Inference) | None => {}
    }
    format!("{args} --permitted-account {account}")
}

/// Judges `denial` against the organization in `s` (with the inference
/// profiles read per source Region). `region` stands in for a message that
/// names no Region.
pub fn against(
    s: &Snapshot,
    profiles: &ProfilesByRegion,
    denial: Denial,
    region: Option<&str>,
) -> Result<Explanation, ScpError> {
    let mut e = offline(denial);
    let d = e.denial.clone();
    let Some(account) = d.account.clone() else {
        e.notes
            .push("the message names no principal, so no account's SCPs can be checked".into());
        return Ok(e);
    };
    let Some(node) = s.accounts.iter().find(|a| a.id == account) else {
        e.notes.push(format!(
            "account {account} is not in organization {}: its SCPs are not this organization's",
            s.organization.id
        ));
        return Ok(e);
    };
    e.account_name = Some(node.name.clone());
    e.ou_path = Some(
        s.ou(&node.parent_id)
            .map(|o| o.path.clone())
            .unwrap_or_else(|| "(root)".into()),
    );
    let Some(action) = d.action.clone() else {
        return Ok(e);
    };
    let Some(requested) = d.region.clone().or_else(|| region.map(str::to_string)) else {
        e.notes.push(
            "the message names no Region (no resource ARN with one): pass --requested-region REGION to check the SCPs"
                .into(),
        );
        return Ok(e);
    };
    let chain = Chain::of(s, &node.id, &node.parent_id)?;
    let principal = d.principal.clone().unwrap_or_default();
    let principal_arn = iam_principal_arn(&principal);
    if principal_arn != principal && principal.contains(":assumed-role/") {
        e.notes.push(format!(
            "aws:PrincipalARN is taken as {principal_arn} (the role behind the session; a role path other than the usual one would change it)"
        ));
    }
    let resource = d.resource.clone().unwrap_or_else(|| "*".into());
    let request = |region: &str, resource: &str, profile: Option<&str>| {
        let mut r = Request::new(&principal, &account, &action, resource, &[])
            .with("aws:RequestedRegion", region)
            .with("aws:PrincipalAccount", &account)
            .with("aws:PrincipalARN", &principal_arn);
        if let Some(p) = profile {
            r = r.with("bedrock:InferenceProfileArn", p);
        }
        r
    };

    // The inference profiles that route to this model and Region.
    let candidates = candidates(profiles, &d, &requested);
    let likeliest = candidates.first();
    let profile_arn = |p: &InferenceProfile| {
        format!(
            "arn:aws:bedrock:{}:{account}:inference-profile/{}",
            p.source_region, p.id
        )
    };
    let via = likeliest.map(|(p, _)| profile_arn(p));
    let decision = chain.evaluate(&request(&requested, &resource, via.as_deref()), s);
    e.verdict = Some(chain.verdict(
        s,
        &requested,
        likeliest.map(|(p, _)| p.id.clone()),
        decision,
    ));
    for (p, sources) in &candidates {
        let arn = profile_arn(p);
        let destinations = destinations(p);
        let blocked = destinations
            .iter()
            .filter(|dest| {
                let res = d
                    .model
                    .as_deref()
                    .map(|m| foundation_model_arn(dest, m))
                    .unwrap_or_else(|| resource.clone());
                !chain
                    .evaluate(&request(dest, &res, Some(&arn)), s)
                    .is_allow()
            })
            .cloned()
            .collect();
        e.profiles.push(ProfileInvolved {
            id: p.id.clone(),
            source_regions: sources.clone(),
            destinations,
            blocked,
        });
    }
    // A guardrail or data-automation profile: its documented destinations.
    if let (Some(path), Some(id)) = (e.path, d.profile.as_deref())
        && let Fence::ProfileResource { resource_type } = path.fence()
    {
        let sources = catalog::sources(path, id);
        let governed: Vec<String> = sources
            .iter()
            .filter(|r| s.landing_zone.governed_regions.contains(r))
            .cloned()
            .collect();
        let sources = if governed.is_empty() {
            sources
        } else {
            governed
        };
        let mut destinations: Vec<String> = sources
            .iter()
            .filter_map(|src| catalog::destinations(path, id, src))
            .flat_map(|d| d.regions)
            .collect();
        destinations.sort();
        destinations.dedup();
        let blocked = destinations
            .iter()
            .filter(|dest| {
                let arn = format!("arn:aws:bedrock:{dest}:{account}:{resource_type}/{id}");
                !chain.evaluate(&request(dest, &arn, None), s).is_allow()
            })
            .cloned()
            .collect();
        if !destinations.is_empty() {
            e.profiles.push(ProfileInvolved {
                id: id.to_string(),
                source_regions: sources,
                destinations,
                blocked,
            });
        }
    }
    if candidates.is_empty() && d.model.is_some() && requested != UNSPECIFIED {
        e.notes.push(format!(
            "no inference profile read from the governed Regions routes {} to {requested}; the call may have named the model directly",
            d.model.as_deref().unwrap_or_default()
        ));
    }
    e.fix = fix(s, &e);
    Ok(e)
}

/// The root → OUs → account chain of SCPs for one account, parsed.
struct Chain {
    /// (target id, policies as (id, parsed)).
    levels: Vec<(String, Vec<(String, policy::Policy)>)>,
}

impl Chain {
    fn of(s: &Snapshot, account: &str, parent: &str) -> Result<Chain, ScpError> {
        let parse = |ids: &[String]| -> Result<Vec<(String, policy::Policy)>, ScpError> {
            ids.iter()
                .map(|id| {
                    let p = s
                        .policies
                        .get(id)
                        .ok_or_else(|| ScpError::NotRead(id.clone()))?;
                    policy::parse_policy(&p.summary.name, &p.content)
                        .map(|parsed| (id.clone(), parsed))
                        .map_err(|source| ScpError::Unparseable {
                            name: format!("{} ({id})", p.summary.name),
                            source,
                        })
                })
                .collect()
        };
        let mut ous = Vec::new();
        let mut cur = parent.to_string();
        while let Some(ou) = s.ou(&cur) {
            ous.push((ou.id.clone(), parse(&ou.policies)?));
            cur = ou.parent_id.clone();
        }
        ous.reverse();
        let account_policies = s
            .accounts
            .iter()
            .find(|a| a.id == account)
            .map(|a| a.policies.clone())
            .unwrap_or_default();
        let mut levels = vec![(s.root.id.clone(), parse(&s.root_policies)?)];
        levels.extend(ous);
        levels.push((account.to_string(), parse(&account_policies)?));
        Ok(Chain { levels })
    }

    fn evaluate(&self, req: &Request, s: &Snapshot) -> Decision {
        let levels: Vec<Level<'_>> = self
            .levels
            .iter()
            .map(|(target, ps)| Level {
                target,
                policies: ps.iter().map(|(_, p)| p).collect(),
            })
            .collect();
        policy::evaluate_scps(&levels, req, Some(&s.organization.management_account_id))
    }

    fn verdict(
        &self,
        s: &Snapshot,
        region: &str,
        profile: Option<String>,
        decision: Decision,
    ) -> Verdict {
        let name_of = |target: &str| -> String {
            if target == s.root.id {
                "Root".into()
            } else if let Some(o) = s.ou(target) {
                o.path.clone()
            } else if let Some(a) = s.accounts.iter().find(|a| a.id == target) {
                a.name.clone()
            } else {
                target.into()
            }
        };
        let mut v = Verdict {
            region: region.to_string(),
            profile,
            allowed: decision.is_allow(),
            allowed_by: Vec::new(),
            denied_by: Vec::new(),
            no_allow_at: None,
        };
        match decision {
            Decision::Allow { by } => v.allowed_by = by,
            Decision::ImplicitDeny { level } => v.no_allow_at = Some(name_of(&level)),
            Decision::ExplicitDeny { by } => {
                for hit in by {
                    let id = self
                        .levels
                        .iter()
                        .find(|(t, _)| *t == hit.level)
                        .and_then(|(_, ps)| ps.iter().find(|(_, p)| p.name == hit.policy))
                        .map(|(id, _)| id.clone())
                        .unwrap_or_default();
                    let denier = match hit.sid.as_deref() {
                        Some(crate::plan::pv1::GRREGIONDENY_SID) => Denier::LandingZoneRegionDeny,
                        Some(crate::plan::pv1::PV1_SID) => Denier::Pv1,
                        _ if hit.policy == COMPANION_NAME => Denier::Companion,
                        _ => Denier::CustomerScp,
                    };
                    v.denied_by.push(Blame {
                        denier,
                        policy_name: hit.policy.clone(),
                        policy_id: id,
                        sid: hit.sid.clone(),
                        target_name: name_of(&hit.level),
                        target: hit.level,
                    });
                }
            }
        }
        v
    }
}

/// The IAM ARN that `aws:PrincipalARN` holds for a principal as printed:
/// an STS session's role (`assumed-role/NAME/session` → `role/NAME`, with
/// the IAM Identity Center path for `AWSReservedSSO_` roles).
fn iam_principal_arn(principal: &str) -> String {
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    if parts.len() == 6
        && parts[2] == "sts"
        && let Some(rest) = parts[5].strip_prefix("assumed-role/")
    {
        let role = rest.split('/').next().unwrap_or(rest);
        let path = if role.starts_with("AWSReservedSSO_") {
            "aws-reserved/sso.amazonaws.com/"
        } else {
            ""
        };
        return format!("arn:{}:iam::{}:role/{path}{role}", parts[1], parts[4]);
    }
    principal.to_string()
}

fn foundation_model_arn(region: &str, model: &str) -> String {
    if region == UNSPECIFIED {
        format!("arn:aws:bedrock:::foundation-model/{model}")
    } else {
        format!("arn:aws:bedrock:{region}::foundation-model/{model}")
    }
}

/// A profile's destination Regions, from its model ARNs.
fn destinations(p: &InferenceProfile) -> Vec<String> {
    let mut out: Vec<String> = p
        .model_arns
        .iter()
        .map(|a| arn_region(a).unwrap_or(UNSPECIFIED).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Profiles (one per id, with every source Region it was read in) that send
/// the denied model to `region`: the message's own profile first, then the
/// geographic ones, then `global.`.
fn candidates<'a>(
    profiles: &'a ProfilesByRegion,
    d: &Denial,
    region: &str,
) -> Vec<(&'a InferenceProfile, Vec<String>)> {
    let Some(model) = d.model.as_deref() else {
        return Vec::new();
    };
    let mut by_id: BTreeMap<&str, (&InferenceProfile, Vec<String>)> = BTreeMap::new();
    for list in profiles.values().filter_map(|r| r.as_ref().ok()) {
        for p in list {
            let routes = match &d.profile {
                Some(named) => p.id == *named,
                None => p.model_arns.iter().any(|a| {
                    a.ends_with(&format!("foundation-model/{model}"))
                        && arn_region(a).unwrap_or(UNSPECIFIED) == region
                }),
            };
            if routes {
                by_id
                    .entry(p.id.as_str())
                    .or_insert_with(|| (p, Vec::new()))
                    .1
                    .push(p.source_region.clone());
            }
        }
    }
    let mut out: Vec<(&InferenceProfile, Vec<String>)> = by_id.into_values().collect();
    out.sort_by_key(|(p, _)| (p.id.starts_with("global."), p.id.clone()));
    out
}

/// What to do, from the message alone.
fn fix_from_message(d: &Denial) -> Vec<String> {
    let action = d.action.as_deref().unwrap_or("the action");
    match d.kind {
        DenyKind::ModelAccess => vec![
            "enable access to the model in the Amazon Bedrock console (Model access) for this account and Region; SCPs are not involved".into(),
        ],
        DenyKind::IdentityPolicy | DenyKind::NoIdentityAllow => vec![format!(
            "the caller's IAM policies do not allow {action} here: allow it on the inference profile in the source Region and on the foundation model in every destination Region (arn:aws:bedrock:*::foundation-model/MODEL, and the Region-less ARN for global. profiles), not in one Region only"
        )],
        DenyKind::PermissionsBoundary | DenyKind::NoBoundaryAllow => vec![format!(
            "the caller's permissions boundary does not allow {action} in every destination Region: widen it the same way as the IAM policy"
        )],
        DenyKind::SessionPolicy | DenyKind::NoSessionAllow => vec![format!(
            "the session policy passed when the role was assumed does not allow {action} in every destination Region"
        )],
        DenyKind::ResourceControlPolicy => vec![
            "a resource control policy denies it: RCPs are attached in AWS Organizations like SCPs; ctmigrate does not evaluate them".into(),
        ],
        _ => Vec::new(),
    }
}

/// What to do, given the verdict.
fn fix(s: &Snapshot, e: &Explanation) -> Vec<String> {
    let d = &e.denial;
    let mut out = Vec::new();
    let Some(v) = &e.verdict else {
        return fix_from_message(d);
    };
    let account = d.account.as_deref().unwrap_or("ACCOUNT");
    let geo = v
        .profile
        .as_deref()
        .and_then(|p| p.split_once('.'))
        .map(|(g, _)| g.to_string());
    let args = plan_args(e, account);
    let what = match e.path {
        Some(p) if p != BedrockPath::Inference => p.title(),
        _ => "Bedrock inference",
    };
    if v.allowed {
        out.push(if d.kind.blames_scp() {
            format!(
                "the SCPs as they are now allow this request in {}: if the error is older than a change to the SCPs (the migration, for one), call again; otherwise the deny came from elsewhere",
                v.region
            )
        } else {
            format!("the SCPs allow this request in {}; the cause is elsewhere", v.region)
        });
        out.extend(fix_from_message(d));
        if out.len() == 1 {
            out.push(format!(
                "look for an IAM policy or permissions boundary scoped to one Region (aws:RequestedRegion, or a resource ARN with a single Region): a cross-region profile needs {} allowed in every destination Region",
                d.action.as_deref().unwrap_or("the action")
            ));
        }
        return out;
    }
    if let Some(level) = &v.no_allow_at {
        out.push(format!(
            "no SCP attached to {level} allows {}: attach one that does (FullAWSAccess, or an allow list that includes it)",
            d.action.as_deref().unwrap_or("the action")
        ));
    }
    let mut seen = Vec::new();
    for b in &v.denied_by {
        if seen.contains(&b.denier) {
            continue;
        }
        seen.push(b.denier);
        out.push(match b.denier {
            Denier::LandingZoneRegionDeny => format!(
                "the landing-zone region deny ({}, Sid GRREGIONDENY, on {}) blocks every Region outside the governed ones ({}) and takes no exceptions: move to the OU-level region deny CT.MULTISERVICE.PV.1 with {what} exempted. Plan it with `ctmigrate plan {args}`",
                b.policy_name,
                b.target_name,
                s.landing_zone.governed_regions.join(", ")
            ),
            Denier::Pv1 => format!(
                "CT.MULTISERVICE.PV.1 on {} does not exempt {}: add the actions of {what} to its ExemptedActions (UpdateEnabledControl), with the companion SCP keeping Bedrock fenced; `ctmigrate plan {args}` plans exactly that",
                b.target_name,
                d.action.as_deref().unwrap_or("the action")
            ),
            Denier::Companion => format!(
                "ctmigrate's companion SCP ({} on {}) denies {what} outside the allowed Regions to this account or profile: if {account} should use {}, plan again with `ctmigrate plan {args}` (or --from-plan with the last plan and the flags it lacks), then apply",
                b.policy_name,
                b.target_name,
                v.profile
                    .as_deref()
                    .or(d.profile.as_deref())
                    .unwrap_or("this profile")
            ),
            Denier::CustomerScp => format!(
                "the SCP {} ({}){} on {} denies it: that is your organization's own policy; ask its owner to change that statement (exempt the action, or allow the Region it was called in)",
                b.policy_name,
                b.policy_id,
                b.sid.as_deref().map(|s| format!(", statement {s}")).unwrap_or_default(),
                b.target_name
            ),
        });
    }
    if v.region == UNSPECIFIED && geo.as_deref().is_none_or(|g| g != "global") {
        out.push("the Region-less model ARN is the global. profile's leg (aws:RequestedRegion = unspecified): approve a global. profile explicitly (--allow-global) or use a geographic profile".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_principals_map_to_their_role() {
        assert_eq!(
            iam_principal_arn(
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0a/alice@example.com"
            ),
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0a"
        );
        assert_eq!(
            iam_principal_arn("arn:aws:sts::123456789012:assumed-role/app/i-0abc"),
            "arn:aws:iam::123456789012:role/app"
        );
        assert_eq!(
            iam_principal_arn("arn:aws:iam::123456789012:user/bob"),
            "arn:aws:iam::123456789012:user/bob"
        );
    }
}
