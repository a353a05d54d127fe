//! The proof in every plan: evaluate a matrix of requests (rows: a
//! representative account and every permitted account under each target OU
//! and each nested OU with its own SCPs; columns: every commercial Region
//! plus `unspecified`; probes: for each Bedrock path the plan makes work, its
//! actions called directly, through each approved profile (inference,
//! guardrail or data-automation) to its destinations and through unapproved
//! ones, and representative non-Bedrock actions) against the
//! SCPs of today and of the predicted state after each stage, then check:
//!
//! 1. **No window**: in every state, every non-Bedrock regional action outside
//!    the allowed Regions is denied for every account the landing-zone deny
//!    covers today; and no non-Bedrock cell changes at all.
//! 2. **Profiles work**: at the end, every approved profile works from every
//!    permitted account to every destination Region, for every chosen path.
//! 3. **Bedrock fenced**: at the end, Bedrock inference outside the allowed
//!    Regions is denied to everything the companion mode says it must deny.
//!
//! Per-OU rows are independent (a row's chain holds only the root, its own OU
//! path and its account), so checking each row before and after every stage
//! covers every order in which concurrent steps may finish.
//! Pure: it reads a snapshot and a plan, and never calls AWS.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod properties;
mod states;

use states::{apply_stage, initial, parse};

/// Why the proof matrix cannot be computed: an SCP it cannot read.
pub use crate::policy::ScpError as ProofError;

use super::model::*;
use super::pv1;
use crate::paths::{BedrockPath, Fence};
use crate::policy::{self, Level, Policy, Request};
use crate::regions::{COMMERCIAL_REGIONS, UNSPECIFIED};
use crate::snapshot::Snapshot;

/// Non-Bedrock regional probes (action, resource template).
const REGIONAL_PROBES: [(&str, &str); 3] = [
    (
        "ec2:RunInstances",
        "arn:aws:ec2:{region}:{account}:instance/*",
    ),
    ("s3:CreateBucket", "arn:aws:s3:::ctmigrate-proof-{account}"),
    (
        "lambda:CreateFunction",
        "arn:aws:lambda:{region}:{account}:function:ctmigrate-proof",
    ),
];
/// A global-service probe (IAM is global; its requests carry us-east-1).
const GLOBAL_PROBE: (&str, &str) = (
    "iam:CreateRole",
    "arn:aws:iam::{account}:role/ctmigrate-proof",
);
const DEFAULT_MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
/// A probe's profile naming an application inference profile (the rest is its id).
const APPLICATION_PROFILE: &str = "application-inference-profile/";
/// The id of the proof's unapproved application profile (copied from a geography's profile).
const UNAPPROVED_APPLICATION_PROFILE_ID: &str = "ctmigrateproofapp";
/// The id of the proof's application profile copied from a global profile.
const GLOBAL_APPLICATION_PROFILE_ID: &str = "ctmigrateproofglobal";

/// What a probe is, for the properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Regional,
    Global,
    BedrockDirect,
    BedrockApprovedProfile,
    BedrockUnapprovedProfile,
    /// A global leg (`unspecified`) without `--allow-global`, through any profile.
    BedrockGlobalLeg,
    /// An action the live landing-zone deny and PV.1 treat differently.
    RegionDenyDiff,
}

/// One kind of request in the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    pub label: String,
    pub kind: ProbeKind,
    pub action: String,
    /// The profile id, for calls through a profile.
    pub profile: Option<String>,
    /// Region columns this probe applies to (all, for everything but profiles).
    pub regions: Vec<String>,
    /// For a `region_deny_diff` probe: the `NotAction` pattern it stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// For a path fenced by resource: the resource ARN template
    /// (`{region}`, `{account}`); such requests carry no
    /// `bedrock:InferenceProfileArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// One row: an account under an OU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Row {
    pub ou_id: String,
    pub ou_path: String,
    pub account: String,
    pub account_label: String,
    pub permitted: bool,
    /// The landing-zone region deny covers this account today.
    pub covered_today: bool,
}

/// One property's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PropertyResult {
    pub id: String,
    pub description: String,
    pub passed: bool,
    pub cells_checked: usize,
    /// The first failing cells: `state / OU / account / probe / Region: decision`.
    pub failures: Vec<String>,
}

/// What the plan records of its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProofSummary {
    pub passed: bool,
    pub states: Vec<String>,
    pub rows: usize,
    pub probes: usize,
    pub regions: usize,
    pub evaluations: usize,
    pub properties: Vec<PropertyResult>,
    /// `NotAction` patterns the live landing-zone deny denies and the end
    /// state allows outside the allowed Regions (accepted or not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loosened_actions: Vec<String>,
}

/// The full matrix: `cells[state][row][probe]` is one character per Region
/// column: `A` allow, `D` explicit deny, `I` implicit deny, `.` not applicable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub states: Vec<String>,
    pub regions: Vec<String>,
    pub rows: Vec<Row>,
    pub probes: Vec<Probe>,
    pub cells: Vec<Vec<Vec<String>>>,
    pub summary: ProofSummary,
}

fn fill(template: &str, region: &str, account: &str) -> String {
    template
        .replace("{region}", region)
        .replace("{account}", account)
}

fn model_of(profile_id: &str) -> String {
    match profile_id.split_once('.') {
        Some((_, m)) if m != "*" => m.to_string(),
        _ => DEFAULT_MODEL.to_string(),
    }
}

fn request_for(probe: &Probe, row: &Row, region: &str, source: &str) -> Request {
    let account = &row.account;
    let principal = format!("arn:aws:iam::{account}:role/ctmigrate-proof-caller");
    let (resource, requested) = match probe.kind {
        ProbeKind::Regional => {
            let template = REGIONAL_PROBES
                .iter()
                .find(|(a, _)| *a == probe.action)
                .map(|(_, t)| *t)
                .unwrap_or("*");
            (fill(template, region, account), region.to_string())
        }
        ProbeKind::Global => (fill(GLOBAL_PROBE.1, region, account), region.to_string()),
        ProbeKind::RegionDenyDiff => ("*".to_string(), region.to_string()),
        _ if probe.resource.is_some() => (
            fill(probe.resource.as_deref().unwrap_or("*"), region, account),
            region.to_string(),
        ),
        _ => {
            let model = probe
                .profile
                .as_deref()
                .map(model_of)
                .unwrap_or_else(|| DEFAULT_MODEL.to_string());
            let arn = if region == UNSPECIFIED {
                format!("arn:aws:bedrock:::foundation-model/{model}")
            } else {
                format!("arn:aws:bedrock:{region}::foundation-model/{model}")
            };
            (arn, region.to_string())
        }
    };
    let mut req = Request::new(&principal, account, &probe.action, &resource, &[])
        .with("aws:RequestedRegion", &requested)
        .with("aws:PrincipalAccount", account)
        .with("aws:PrincipalARN", &principal);
    if let Some(p) = &probe.profile {
        let arn = if p.starts_with("arn:") {
            // An approved application profile, by its ARN.
            p.clone()
        } else if p.starts_with(APPLICATION_PROFILE) {
            format!("arn:aws:bedrock:{source}:{account}:{p}")
        } else {
            let id = if p.ends_with(".*") {
                p.replace(".*", ".catalog-profile")
            } else {
                p.clone()
            };
            format!("arn:aws:bedrock:{source}:{account}:inference-profile/{id}")
        };
        req = req.with("bedrock:InferenceProfileArn", &arn);
    }
    req
}

/// The Bedrock probes: for each path the plan makes work, a call outside
/// any approved profile (direct), through each approved profile to its
/// destinations, through an unapproved one, and (without `--allow-global`)
/// the Region-less leg of global routing.
fn bedrock_probes(plan: &Plan, regions: &[String], probes: &mut Vec<Probe>) {
    let commercial: Vec<String> = COMMERCIAL_REGIONS.iter().map(|r| r.to_string()).collect();
    let probe = |label: String,
                 kind: ProbeKind,
                 action: &str,
                 profile: Option<String>,
                 regions: Vec<String>| Probe {
        label,
        kind,
        action: action.to_string(),
        profile,
        regions,
        pattern: None,
        resource: None,
    };
    let batch = plan
        .decisions
        .paths
        .iter()
        .any(|p| p.path == BedrockPath::Batch);
    // Calls fenced by the inference-profile key: model inference, and batch.
    let mut direct: Vec<&str> = pv1::BEDROCK_INFERENCE_ACTIONS.to_vec();
    let mut through_profiles: Vec<&str> = vec!["bedrock:InvokeModel"];
    if batch {
        direct.extend(BedrockPath::Batch.actions());
        through_profiles.extend(BedrockPath::Batch.actions());
    }
    for action in direct {
        probes.push(probe(
            format!("{action} direct"),
            ProbeKind::BedrockDirect,
            action,
            None,
            regions.to_vec(),
        ));
    }
    for action in &through_profiles {
        for p in &plan.profiles {
            probes.push(probe(
                format!("{action} via {}", p.id),
                ProbeKind::BedrockApprovedProfile,
                action,
                Some(p.id.clone()),
                p.destination_regions.clone(),
            ));
        }
        probes.push(probe(
            format!("{action} via an unapproved profile"),
            ProbeKind::BedrockUnapprovedProfile,
            action,
            Some("zz.unapproved-profile".into()),
            regions.to_vec(),
        ));
        probes.push(probe(
            format!("{action} via an unapproved application profile"),
            ProbeKind::BedrockUnapprovedProfile,
            action,
            Some(format!(
                "{APPLICATION_PROFILE}{UNAPPROVED_APPLICATION_PROFILE_ID}"
            )),
            commercial.clone(),
        ));
        if !plan.decisions.global_allowed {
            probes.push(probe(
                format!("{action} via a global profile (not allowed)"),
                ProbeKind::BedrockGlobalLeg,
                action,
                Some(format!("global.{DEFAULT_MODEL}")),
                vec![UNSPECIFIED.to_string()],
            ));
            // An application profile copied from a global one routes the
            // same way under an ARN that names no geography.
            probes.push(probe(
                format!("{action} via an application profile of a global profile (not allowed)"),
                ProbeKind::BedrockGlobalLeg,
                action,
                Some(format!(
                    "{APPLICATION_PROFILE}{GLOBAL_APPLICATION_PROFILE_ID}"
                )),
                vec![UNSPECIFIED.to_string()],
            ));
        }
    }
    // Calls fenced by the profile they name as their resource.
    for decision in &plan.decisions.paths {
        let Fence::ProfileResource { resource_type } = decision.path.fence() else {
            continue;
        };
        let arn = |rest: &str| format!("arn:aws:bedrock:{{region}}:{{account}}:{rest}");
        for action in &decision.actions {
            for p in plan
                .path_profiles
                .iter()
                .filter(|p| p.path == decision.path)
            {
                probes.push(Probe {
                    resource: Some(arn(&format!("{resource_type}/{}", p.id))),
                    ..probe(
                        format!("{action} on {resource_type} {}", p.id),
                        ProbeKind::BedrockApprovedProfile,
                        action,
                        None,
                        p.destination_regions.clone(),
                    )
                });
            }
            let unapproved = match decision.path {
                BedrockPath::DataAutomation => "zz.data-automation-v1",
                _ => "zz.guardrail.v1:0",
            };
            probes.push(Probe {
                resource: Some(arn(&format!("{resource_type}/{unapproved}"))),
                ..probe(
                    format!("{action} on an unapproved {resource_type}"),
                    ProbeKind::BedrockUnapprovedProfile,
                    action,
                    None,
                    commercial.clone(),
                )
            });
            let own = match decision.path {
                BedrockPath::DataAutomation => "data-automation-project/ctmigrateproof",
                _ => "guardrail/ctmigrateproof",
            };
            probes.push(Probe {
                resource: Some(arn(own)),
                ..probe(
                    format!("{action} direct (no profile)"),
                    ProbeKind::BedrockDirect,
                    action,
                    None,
                    commercial.clone(),
                )
            });
        }
    }
}

/// Builds and evaluates the matrix for a plan built from `s`.
pub fn matrix(s: &Snapshot, plan: &Plan) -> Result<Matrix, ProofError> {
    let allowed = &plan.decisions.allowed_regions;
    let mut regions: Vec<String> = COMMERCIAL_REGIONS.iter().map(|r| r.to_string()).collect();
    regions.push(UNSPECIFIED.to_string());
    let source = allowed
        .first()
        .cloned()
        .unwrap_or_else(|| s.landing_zone.home_region.clone());

    // Probes.
    let mut probes: Vec<Probe> = REGIONAL_PROBES
        .iter()
        .map(|(a, _)| Probe {
            label: a.to_string(),
            kind: ProbeKind::Regional,
            action: a.to_string(),
            profile: None,
            regions: regions.clone(),
            pattern: None,
            resource: None,
        })
        .collect();
    probes.push(Probe {
        label: GLOBAL_PROBE.0.into(),
        kind: ProbeKind::Global,
        action: GLOBAL_PROBE.0.into(),
        profile: None,
        regions: regions.clone(),
        pattern: None,
        resource: None,
    });
    // Every action the live landing-zone deny and PV.1 treat differently.
    for d in super::deny_diff::differences(&super::deny_diff::live_not_actions(s)) {
        probes.push(Probe {
            label: format!(
                "{} ({} by PV.1: `{}`)",
                d.probe_action,
                if d.loosened { "exempted" } else { "denied" },
                d.pattern
            ),
            kind: ProbeKind::RegionDenyDiff,
            action: d.probe_action,
            profile: None,
            regions: regions.clone(),
            pattern: Some(d.pattern),
            resource: None,
        });
    }
    bedrock_probes(plan, &regions, &mut probes);

    // Rows.
    let permitted = &plan.decisions.permitted_accounts;
    let mut rows: Vec<Row> = Vec::new();
    let full_only = |ids: &[String]| {
        ids.iter().all(|id| {
            s.policies
                .get(id)
                .is_some_and(|p| p.summary.name == "FullAWSAccess")
        })
    };
    let mut accounts_by_parent: BTreeMap<&str, Vec<&crate::snapshot::AccountNode>> =
        BTreeMap::new();
    for a in &s.accounts {
        accounts_by_parent
            .entry(a.parent_id.as_str())
            .or_default()
            .push(a);
    }
    for t in &plan.targets {
        let mut ous = vec![t.ou_id.clone()];
        ous.extend(
            s.descendants(&t.ou_id)
                .iter()
                .filter(|o| !full_only(&o.policies))
                .map(|o| o.id.clone()),
        );
        for ou_id in ous {
            let Some(ou) = s.ou(&ou_id) else { continue };
            let direct: &[&crate::snapshot::AccountNode] = accounts_by_parent
                .get(ou_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (account, label) = match direct.iter().find(|a| !permitted.contains(&a.id)) {
                Some(a) => (a.id.clone(), format!("{} ({})", a.name, a.id)),
                None => (
                    "000000000000".to_string(),
                    "an account directly in the OU (none today; FullAWSAccess assumed)".to_string(),
                ),
            };
            rows.push(Row {
                ou_id: ou_id.clone(),
                ou_path: ou.path.clone(),
                account,
                account_label: label,
                permitted: false,
                covered_today: true,
            });
            for a in direct.iter().filter(|a| permitted.contains(&a.id)) {
                rows.push(Row {
                    ou_id: ou_id.clone(),
                    ou_path: ou.path.clone(),
                    account: a.id.clone(),
                    account_label: format!("{} ({}, permitted)", a.name, a.id),
                    permitted: true,
                    covered_today: true,
                });
            }
        }
    }

    // States.
    let base = initial(s)?;
    for row in rows.iter_mut() {
        let mut chain: Vec<&Arc<Policy>> = base.root.iter().collect();
        let mut cur = row.ou_id.clone();
        while let Some(ou) = s.ou(&cur) {
            chain.extend(base.ous.get(&ou.id).into_iter().flatten());
            cur = ou.parent_id.clone();
        }
        row.covered_today = chain.iter().any(|p| {
            p.statements
                .iter()
                .any(|st| st.sid.as_deref() == Some(super::pv1::GRREGIONDENY_SID))
        });
    }
    let companion = parse(&plan.companion.name, &plan.companion.content)?;
    let first_tier: Vec<String> = s
        .first_tier_ous()
        .filter(|o| o.registered)
        .map(|o| o.id.clone())
        .collect();
    let mut states = vec![("before".to_string(), base.clone())];
    let mut cur = base;
    for stage in &plan.stages {
        apply_stage(&mut cur, stage, &companion, &first_tier)?;
        states.push((format!("after {}", stage.id), cur.clone()));
    }

    // Evaluate. Requests are built once per row; a state that leaves a row's
    // chain of policies unchanged reuses the previous state's cells.
    let full = s
        .policies
        .values()
        .find(|p| p.summary.name == "FullAWSAccess")
        .map(|p| parse("FullAWSAccess", &p.content))
        .transpose()?;
    let management = s.organization.management_account_id.as_str();
    let root_id = s.root.id.clone();
    let ou_index: BTreeMap<&str, &crate::snapshot::OuNode> =
        s.ous.iter().map(|o| (o.id.as_str(), o)).collect();
    let applies: Vec<Vec<bool>> = probes
        .iter()
        .map(|p| regions.iter().map(|r| p.regions.contains(r)).collect())
        .collect();
    let lowered: Vec<String> = probes
        .iter()
        .map(|p| p.action.to_ascii_lowercase())
        .collect();
    let mut cells: Vec<Vec<Vec<String>>> = vec![Vec::with_capacity(rows.len()); states.len()];
    let mut evaluations = 0usize;
    for row in &rows {
        let mut path: Vec<String> = Vec::new();
        let mut cur = row.ou_id.as_str();
        while let Some(ou) = ou_index.get(cur) {
            path.push(ou.id.clone());
            cur = ou.parent_id.as_str();
        }
        path.reverse();
        let requests: Vec<Vec<Option<Request>>> = probes
            .iter()
            .enumerate()
            .map(|(p, probe)| {
                regions
                    .iter()
                    .enumerate()
                    .map(|(g, region)| {
                        applies[p][g].then(|| request_for(probe, row, region, &source))
                    })
                    .collect()
            })
            .collect();
        let mut previous: Option<(Vec<*const Policy>, Vec<String>)> = None;
        for (st, (_, att)) in states.iter().enumerate() {
            let account_policies: Vec<Arc<Policy>> = att
                .accounts
                .get(&row.account)
                .cloned()
                .unwrap_or_else(|| full.clone().into_iter().collect());
            let mut levels: Vec<Level<'_>> = vec![Level {
                target: &root_id,
                policies: att.root.iter().map(|p| p.as_ref()).collect(),
            }];
            for ou in &path {
                levels.push(Level {
                    target: ou,
                    policies: att
                        .ous
                        .get(ou)
                        .map(|l| l.iter().map(|p| p.as_ref()).collect())
                        .unwrap_or_default(),
                });
            }
            levels.push(Level {
                target: &row.account,
                policies: account_policies.iter().map(|p| p.as_ref()).collect(),
            });
            let key: Vec<*const Policy> = levels
                .iter()
                .flat_map(|l| l.policies.iter().map(|p| *p as *const Policy))
                .collect();
            if let Some((prev_key, prev_cells)) = &previous
                && *prev_key == key
            {
                cells[st].push(prev_cells.clone());
                continue;
            }
            let exempt = requests
                .iter()
                .flatten()
                .flatten()
                .next()
                .is_some_and(|r| policy::exempt_from_scps(r, Some(management)).is_some());
            let mut per_probe = Vec::with_capacity(probes.len());
            for (p, line_requests) in requests.iter().enumerate() {
                let prepared = policy::prepare(&levels, &lowered[p]);
                let mut line = String::with_capacity(regions.len());
                for req in line_requests {
                    match req {
                        None => line.push('.'),
                        Some(_) if exempt => line.push('A'),
                        Some(req) => {
                            evaluations += 1;
                            line.push(match policy::classify_prepared(&prepared, req) {
                                policy::Class::Allow => 'A',
                                policy::Class::ExplicitDeny => 'D',
                                policy::Class::ImplicitDeny => 'I',
                            });
                        }
                    }
                }
                per_probe.push(line);
            }
            cells[st].push(per_probe.clone());
            previous = Some((key, per_probe));
        }
    }

    let summary = properties::check(
        &states.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        &regions,
        &rows,
        &probes,
        &cells,
        plan,
        evaluations,
    );
    Ok(Matrix {
        states: states.into_iter().map(|(n, _)| n).collect(),
        regions,
        rows,
        probes,
        cells,
        summary,
    })
}
