//! The proof in every plan: evaluate a matrix of requests (rows: a
//! representative account and every permitted account under each target OU
//! and each nested OU with its own SCPs; columns: every commercial Region
//! plus `unspecified`; probes: Bedrock inference called directly and through
//! each approved profile, and representative non-Bedrock actions) against the
//! SCPs of today and of the predicted state after each stage, then check:
//!
//! 1. **No window**: in every state, every non-Bedrock regional action outside
//!    the allowed Regions is denied for every account the landing-zone deny
//!    covers today; and no non-Bedrock cell changes at all.
//! 2. **Profiles work**: at the end, every approved profile works from every
//!    permitted account to every destination Region.
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
use serde_json::Value;

use super::action::Action;
use super::model::*;
use super::pv1;
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

/// The SCPs attached to each node, in one state.
#[derive(Clone)]
struct Attachments {
    root: Vec<Arc<Policy>>,
    ous: BTreeMap<String, Vec<Arc<Policy>>>,
    accounts: BTreeMap<String, Vec<Arc<Policy>>>,
}

/// Why the proof matrix cannot be computed: an SCP it cannot read.
pub use crate::policy::ScpError as ProofError;

fn parse(name: &str, content: &str) -> Result<Arc<Policy>, ProofError> {
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

fn initial(s: &Snapshot) -> Result<Attachments, ProofError> {
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
fn apply_stage(
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
                    .filter_map(|p| without_sid(p, super::pv1::PV1_SID))
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
                    .filter_map(|p| without_sid(p, super::pv1::GRREGIONDENY_SID))
                    .collect();
            }
        }
    }
    Ok(())
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
        })
        .collect();
    probes.push(Probe {
        label: GLOBAL_PROBE.0.into(),
        kind: ProbeKind::Global,
        action: GLOBAL_PROBE.0.into(),
        profile: None,
        regions: regions.clone(),
        pattern: None,
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
        });
    }
    for action in pv1::BEDROCK_INFERENCE_ACTIONS {
        probes.push(Probe {
            label: format!("{action} direct"),
            kind: ProbeKind::BedrockDirect,
            action: action.into(),
            profile: None,
            regions: regions.clone(),
            pattern: None,
        });
    }
    for p in &plan.profiles {
        probes.push(Probe {
            label: format!("bedrock:InvokeModel via {}", p.id),
            kind: ProbeKind::BedrockApprovedProfile,
            action: "bedrock:InvokeModel".into(),
            profile: Some(p.id.clone()),
            regions: p.destination_regions.clone(),
            pattern: None,
        });
    }
    probes.push(Probe {
        label: "bedrock:InvokeModel via an unapproved profile".into(),
        kind: ProbeKind::BedrockUnapprovedProfile,
        action: "bedrock:InvokeModel".into(),
        profile: Some("zz.unapproved-profile".into()),
        regions: regions.clone(),
        pattern: None,
    });
    probes.push(Probe {
        label: "bedrock:InvokeModel via an unapproved application profile".into(),
        kind: ProbeKind::BedrockUnapprovedProfile,
        action: "bedrock:InvokeModel".into(),
        profile: Some(format!(
            "{APPLICATION_PROFILE}{UNAPPROVED_APPLICATION_PROFILE_ID}"
        )),
        regions: COMMERCIAL_REGIONS.iter().map(|r| r.to_string()).collect(),
        pattern: None,
    });
    if !plan.decisions.global_allowed {
        probes.push(Probe {
            label: "bedrock:InvokeModel via a global profile (not allowed)".into(),
            kind: ProbeKind::BedrockGlobalLeg,
            action: "bedrock:InvokeModel".into(),
            profile: Some(format!("global.{DEFAULT_MODEL}")),
            regions: vec![UNSPECIFIED.to_string()],
            pattern: None,
        });
        // An application profile copied from a global one routes the same
        // way under an ARN that names no geography.
        probes.push(Probe {
            label:
                "bedrock:InvokeModel via an application profile of a global profile (not allowed)"
                    .into(),
            kind: ProbeKind::BedrockGlobalLeg,
            action: "bedrock:InvokeModel".into(),
            profile: Some(format!(
                "{APPLICATION_PROFILE}{GLOBAL_APPLICATION_PROFILE_ID}"
            )),
            regions: vec![UNSPECIFIED.to_string()],
            pattern: None,
        });
    }

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

    let summary = check(
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

const MAX_FAILURES: usize = 5;

fn check(
    states: &[String],
    regions: &[String],
    rows: &[Row],
    probes: &[Probe],
    cells: &[Vec<Vec<String>>],
    plan: &Plan,
    evaluations: usize,
) -> ProofSummary {
    let allowed_mask: Vec<bool> = regions
        .iter()
        .map(|r| plan.decisions.allowed_regions.contains(r))
        .collect();
    let last = states.len() - 1;
    let at = |st: usize, r: usize, p: usize, g: usize| cells[st][r][p].as_bytes()[g] as char;
    let name = |st: usize, r: usize, p: usize, g: usize, c: char| {
        let d = match c {
            'A' => "Allow",
            'D' => "ExplicitDeny",
            'I' => "ImplicitDeny",
            _ => "n/a",
        };
        format!(
            "{} / {} / {} / {} / {}: {d}",
            states[st], rows[r].ou_path, rows[r].account_label, probes[p].label, regions[g]
        )
    };
    let mut results = Vec::new();

    // Regions a target's PV.1 is updated to allow (day two: newly governed
    // Regions, the landing-zone deny being off), per first-tier OU name:
    // opening them is the plan's stated intent, not a loosening.
    let widened: BTreeMap<&str, Vec<String>> = plan
        .targets
        .iter()
        .filter_map(|t| {
            let regions_of = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p.get("key").and_then(|k| k.as_str()) == Some("AllowedRegions"))
                    .flat_map(|p| {
                        p.get("value")
                            .and_then(|v| v.as_array())
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            };
            let before = regions_of(t.pv1_current_parameters.as_ref()?);
            let added: Vec<String> = regions_of(&t.pv1_parameters)
                .into_iter()
                .filter(|r| !before.contains(r))
                .collect();
            (!added.is_empty()).then_some((t.name.as_str(), added))
        })
        .collect();
    let is_widened = |r: usize, g: usize| {
        let first_tier = rows[r].ou_path.split('/').next().unwrap_or_default();
        widened
            .get(first_tier)
            .is_some_and(|added| added.contains(&regions[g]))
    };

    // 1. No window, and no non-Bedrock decision loosened.
    let mut p1 = PropertyResult {
        id: "no-window".into(),
        description: if widened.is_empty() {
            "in every state, every non-Bedrock regional action outside the allowed Regions is denied for every account the landing-zone deny covers today (and for every account at the end), and no non-Bedrock decision is loosened".into()
        } else {
            let mut all: Vec<&String> = widened.values().flatten().collect();
            all.sort();
            all.dedup();
            format!(
                "in every state, every non-Bedrock regional action outside the allowed Regions is denied for every account the landing-zone deny covers today (and for every account at the end), and no non-Bedrock decision is loosened except in the newly governed Region(s) {} that PV.1 is updated to allow",
                all.iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    let accepted = &plan.inputs.accept_loosened;
    // An accepted pattern covers its own probe and every other probe whose
    // action it matches (`iam:*` also loosens the `iam:CreateRole` probe).
    let is_accepted = |probe: &Probe| {
        accepted.iter().any(|a| {
            probe
                .pattern
                .as_ref()
                .is_some_and(|x| a.eq_ignore_ascii_case(x))
                || policy::glob(a, &probe.action, true)
        })
    };
    let mut loosened_actions: Vec<String> = Vec::new();
    for st in 0..states.len() {
        for (r, row) in rows.iter().enumerate() {
            for (p, probe) in probes.iter().enumerate() {
                if !matches!(
                    probe.kind,
                    ProbeKind::Regional | ProbeKind::Global | ProbeKind::RegionDenyDiff
                ) {
                    continue;
                }
                for (g, &inside) in allowed_mask.iter().enumerate() {
                    let c = at(st, r, p, g);
                    p1.cells_checked += 1;
                    let fenced = row.covered_today || st == last;
                    let window = probe.kind == ProbeKind::Regional && fenced && !inside && c == 'A';
                    let loosened =
                        c == 'A' && at(0, r, p, g) != 'A' && !(inside && is_widened(r, g));
                    if loosened
                        && let Some(pattern) = &probe.pattern
                        && !loosened_actions.contains(pattern)
                    {
                        loosened_actions.push(pattern.clone());
                    }
                    if (window || loosened) && !is_accepted(probe) {
                        p1.passed = false;
                        if p1.failures.len() < MAX_FAILURES {
                            p1.failures.push(name(st, r, p, g, c));
                        }
                    }
                }
            }
        }
    }
    loosened_actions.sort();
    let differing = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::RegionDenyDiff)
        .count();
    if differing > 0 {
        p1.description.push_str(&format!(
            "; the {differing} action pattern(s) where the live landing-zone deny and PV.1 differ are probed"
        ));
    }
    let accepted_here: Vec<&str> = loosened_actions
        .iter()
        .filter(|a| accepted.iter().any(|x| x.eq_ignore_ascii_case(a)))
        .map(String::as_str)
        .collect();
    if !accepted_here.is_empty() {
        p1.description.push_str(&format!(
            ", and the loosening of {} is accepted (--accept-loosened)",
            accepted_here.join(", ")
        ));
    }
    results.push(p1);

    // 2. Approved profiles work from every permitted account.
    let mut p2 = PropertyResult {
        id: "profiles-work".into(),
        description: "at the end, every approved profile works from every permitted account to every destination Region".into(),
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    let mode = plan.decisions.companion_mode;
    for (r, row) in rows.iter().enumerate() {
        let expected_to_work = match mode {
            super::CompanionMode::Profiles => true,
            _ => row.permitted,
        };
        if !expected_to_work {
            continue;
        }
        for (p, probe) in probes.iter().enumerate() {
            if probe.kind != ProbeKind::BedrockApprovedProfile {
                continue;
            }
            for g in 0..regions.len() {
                let c = at(last, r, p, g);
                if c == '.' {
                    continue;
                }
                p2.cells_checked += 1;
                if c != 'A' {
                    p2.passed = false;
                    if p2.failures.len() < MAX_FAILURES {
                        p2.failures.push(name(last, r, p, g, c));
                    }
                }
            }
        }
    }
    results.push(p2);

    // 3. Bedrock stays fenced for everything the mode denies.
    let mut p3 = PropertyResult {
        id: "bedrock-fenced".into(),
        description: format!(
            "at the end, companion mode `{}` holds: {}",
            mode.as_str(),
            super::companion::promise(
                mode,
                &plan.decisions.permitted_accounts,
                &plan.decisions.approved_profile_arns,
                plan.decisions.global_allowed
            )
        ),
        passed: true,
        cells_checked: 0,
        failures: Vec::new(),
    };
    for (r, row) in rows.iter().enumerate() {
        for (p, probe) in probes.iter().enumerate() {
            let must_deny = match (probe.kind.clone(), mode) {
                (ProbeKind::Regional | ProbeKind::Global | ProbeKind::RegionDenyDiff, _) => false,
                // No mode lets Bedrock be called directly outside the allowed Regions.
                (ProbeKind::BedrockDirect, _) => true,
                // Nor routes globally without --allow-global, whatever the profile ARN.
                (ProbeKind::BedrockGlobalLeg, _) => true,
                (ProbeKind::BedrockUnapprovedProfile, super::CompanionMode::Accounts) => {
                    !row.permitted
                }
                (ProbeKind::BedrockApprovedProfile, super::CompanionMode::Accounts) => {
                    !row.permitted
                }
                (ProbeKind::BedrockUnapprovedProfile, _) => true,
                (ProbeKind::BedrockApprovedProfile, super::CompanionMode::Profiles) => false,
                (ProbeKind::BedrockApprovedProfile, super::CompanionMode::Strict) => !row.permitted,
            };
            if !must_deny {
                continue;
            }
            for (g, &inside) in allowed_mask.iter().enumerate() {
                let c = at(last, r, p, g);
                if inside || c == '.' {
                    continue;
                }
                p3.cells_checked += 1;
                if c == 'A' {
                    p3.passed = false;
                    if p3.failures.len() < MAX_FAILURES {
                        p3.failures.push(name(last, r, p, g, c));
                    }
                }
            }
        }
    }
    results.push(p3);

    ProofSummary {
        passed: results.iter().all(|r| r.passed),
        states: states.to_vec(),
        rows: rows.len(),
        probes: probes.len(),
        regions: regions.len(),
        evaluations,
        properties: results,
        loosened_actions,
    }
}
