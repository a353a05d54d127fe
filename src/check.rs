//! `ctmigrate check`, the day-two audit: after the migration the
//! landing-zone region deny no longer covers new first-tier OUs, and PV.1's
//! `AllowedRegions` no longer follow the governed Regions, so the estate must
//! be watched. Computed from a [`Snapshot`] and, when one is found, the last
//! plan applied to the organization (its decisions: permitted accounts,
//! approved profiles, the companion it wrote, the proof's properties).
//!
//! Pure: it reads nothing and prints nothing. The command layer finds the
//! plan, reads the companion's tags, and renders the [`CheckReport`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::detect::{self, DenyState, Quotas};
use crate::paths::BedrockPath;
use crate::plan::Plan;
use crate::plan::companion::{COMPANION_NAME, recognise};
use crate::policy::read;
use crate::snapshot::Snapshot;

/// Version of the `check --format json` object.
pub const CHECK_FORMAT_VERSION: u32 = 1;

/// What kind of thing does not hold (docs/day-two.md says what each
/// means); `kind` in `--format json`, a stable identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A registered first-tier OU without any region deny.
    UncoveredOu,
    /// PV.1's `AllowedRegions` differ from the governed Regions.
    AllowedRegions,
    /// PV.1 no longer exempts Bedrock inference.
    ExemptedActions,
    /// PV.1's statement was edited out of its guardrail SCP.
    Pv1Drifted,
    CompanionMissing,
    CompanionDetached,
    CompanionContent,
    CompanionTags,
    PermittedAccountMissing,
    /// A proof property no longer holds on the live SCPs.
    Proof,
    /// An account the plan found in a target is no longer governed.
    AccountUngoverned,
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(Value::String(s)) => f.write_str(&s),
            _ => Err(std::fmt::Error),
        }
    }
}

/// One thing that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// An OU (`Name (ou-…)`), the companion's name, an account, or a proof property.
    pub target: String,
    pub expected: String,
    pub observed: String,
    /// What to do about it, with the command where there is one.
    pub fix: String,
}

/// The audit.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub format_version: u32,
    pub organization_id: String,
    /// The plan whose decisions were checked, if one was found.
    pub plan: Option<String>,
    pub landing_zone_deny: DenyState,
    pub governed_regions: Vec<String>,
    pub registered_first_tier_ous: usize,
    pub findings: Vec<Finding>,
    /// Reported as `detect` reports them; not findings (nothing covered them before either).
    pub not_covered: Vec<String>,
    /// What this run could not check, and why.
    pub notes: Vec<String>,
    /// The command most findings' fixes start with (a day-two plan from the
    /// last plan's decisions).
    pub fix_command: String,
}

/// What the command layer passes in besides the snapshot.
pub struct CheckInputs<'a> {
    pub snapshot: &'a Snapshot,
    /// The last plan applied, and its path as shown.
    pub plan: Option<(&'a Plan, String)>,
    /// The companion SCP's tags, when it exists.
    pub companion_tags: Option<BTreeMap<String, String>>,
    /// The command that re-plans with the last plan's decisions (for fixes).
    pub replan: String,
}

/// The one command that covers what the last plan's decisions no longer
/// cover: a day-two plan from them (then apply it), or the guided session
/// when there is no plan. `me` starts it (`ctmigrate --sandbox`), `stamp`
/// (RFC 3339) names the new plan.
pub fn replan_command(
    me: &str,
    plan: Option<(&std::path::Path, &Plan)>,
    plans_dir: &std::path::Path,
    stamp: &str,
) -> String {
    match plan {
        Some((path, p)) => {
            let day: String = stamp
                .chars()
                .filter(char::is_ascii_digit)
                .take(12)
                .collect();
            format!(
                "`{me} plan --from-plan {} --name {}-day2-{day} --out {}`",
                crate::cli::shell_word(&path.display().to_string()),
                p.name.chars().take(40).collect::<String>(),
                crate::cli::shell_word(&plans_dir.display().to_string())
            )
        }
        None => format!("`{me} wizard` (on a terminal) or `{me} plan` with your decisions"),
    }
}

/// The urgent first line when a registered first-tier OU has no region
/// deny at all, with the command that fixes it (`replan`).
pub fn urgent_message(report: &crate::detect::DetectReport, replan: &str) -> Option<String> {
    let uncovered = &report.uncovered_registered_ous;
    (!uncovered.is_empty()).then(|| {
        format!(
            "{} ha{} no region deny at all (the landing-zone deny is off there and PV.1 is missing); fix now: {replan}, then apply that plan",
            uncovered.join(", "),
            if uncovered.len() == 1 { "s" } else { "ve" },
        )
    })
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Runs every check.
pub fn check(input: CheckInputs<'_>) -> CheckReport {
    let s = input.snapshot;
    let report = detect::report(s, Quotas::default());
    let replan = &input.replan;
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let governed = sorted(s.landing_zone.governed_regions.clone());

    // 1. Every registered first-tier OU has a region deny in force.
    let registered: Vec<&detect::FirstTierOu> = report
        .first_tier_ous
        .iter()
        .filter(|o| o.registered)
        .collect();
    for ou in &registered {
        if ou.region_denies_in_force.is_empty() {
            findings.push(Finding {
                kind: FindingKind::UncoveredOu,
                target: format!("{} ({})", ou.name, ou.id),
                expected: "a region deny in force (PV.1, or the landing-zone deny)".into(),
                observed: "no region deny at all: every Region is open to its accounts".into(),
                fix: format!(
                    "URGENT: enable PV.1 and the companion on it: {replan}, then apply that plan"
                ),
            });
        }
    }

    // 2. and 3. PV.1 where it is enabled: Regions and exempted actions
    // (the actions of every path the last plan made work; model inference
    // when there is no plan, or it predates the paths).
    let required: Vec<&str> = match &input.plan {
        Some((plan, _)) if !plan.decisions.paths.is_empty() => plan
            .decisions
            .paths
            .iter()
            .flat_map(|p| p.actions.iter().map(String::as_str))
            .collect(),
        _ => BedrockPath::Inference.actions().to_vec(),
    };
    let mut pv1_on: Vec<&detect::FirstTierOu> = Vec::new();
    for ou in &registered {
        let Some(c) = s
            .controls_on(&ou.arn)
            .find(|c| s.pv1.matches(&c.control_identifier))
        else {
            continue;
        };
        pv1_on.push(ou);
        let param = |key: &str| {
            c.parameters
                .iter()
                .find(|p| p.key == key)
                .map(|p| read::string_list(Some(&p.value)))
                .unwrap_or_default()
        };
        let allowed = sorted(param("AllowedRegions"));
        let who = format!("{} ({})", ou.name, ou.id);
        if allowed != governed {
            findings.push(Finding {
                kind: FindingKind::AllowedRegions,
                target: who.clone(),
                expected: format!(
                    "AllowedRegions = the governed Regions {}",
                    governed.join(", ")
                ),
                observed: format!("AllowedRegions {}", allowed.join(", ")),
                fix: format!("{replan} (it updates PV.1 and the companion), then apply that plan"),
            });
        }
        let exempted = param("ExemptedActions");
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|a| !exempted.iter().any(|p| read::action_matches(p, a)))
            .collect();
        if !missing.is_empty() {
            findings.push(Finding {
                kind: FindingKind::ExemptedActions,
                target: who.clone(),
                expected: format!("ExemptedActions cover {}", required.join(", ")),
                observed: format!(
                    "ExemptedActions {} do not cover {}: those Bedrock paths are denied by PV.1 outside the allowed Regions again",
                    if exempted.is_empty() { "(none)".into() } else { exempted.join(", ") },
                    missing.join(", ")
                ),
                fix: format!("{replan}, then apply that plan"),
            });
        }
        if c.drift_status == Some(crate::model::DriftStatus::Drifted) {
            findings.push(Finding {
                kind: FindingKind::Pv1Drifted,
                fix: drifted_pv1_fix(&ou.name),
                target: who,
                expected: "PV.1 IN_SYNC".into(),
                observed: "DRIFTED: its SCP was edited outside Control Tower".into(),
            });
        }
    }

    // 4. The companion, wherever PV.1 is.
    let companion = s
        .policies
        .iter()
        .find(|(_, p)| p.summary.name == COMPANION_NAME);
    match companion {
        None if !pv1_on.is_empty() => findings.push(Finding {
            kind: FindingKind::CompanionMissing,
            target: COMPANION_NAME.into(),
            expected: "the companion SCP exists and is attached wherever PV.1 is".into(),
            observed: "no policy has its name: Bedrock inference is open in every Region to every account under PV.1".into(),
            fix: format!("{replan}, then apply that plan"),
        }),
        None => {}
        Some((id, p)) => {
            for ou in &pv1_on {
                let attached = s.ou(&ou.id).is_some_and(|o| o.policies.contains(id));
                if !attached {
                    findings.push(Finding {
                        kind: FindingKind::CompanionDetached,
                        target: format!("{} ({})", ou.name, ou.id),
                        expected: format!("{COMPANION_NAME} ({id}) attached"),
                        observed: "not attached: Bedrock inference is open in every Region to its accounts".into(),
                        fix: format!("{replan}, then apply that plan"),
                    });
                }
            }
            let planned = input.plan.as_ref().map(|(plan, _)| &plan.companion.content);
            let edited = match planned {
                Some(content) => &p.content != content,
                None => recognise(&p.summary.name, &p.content) == Some(false),
            };
            if edited {
                findings.push(Finding {
                    kind: FindingKind::CompanionContent,
                    target: format!("{COMPANION_NAME} ({id})"),
                    expected: match planned {
                        Some(content) => format!("the content the last plan wrote ({} characters)", content.len()),
                        None => "the content ctmigrate writes".into(),
                    },
                    observed: format!("other content ({} characters): edited outside ctmigrate", p.content.len()),
                    fix: format!("if the edit is not wanted, {replan} and apply it (it writes the planned content back); if it is, make it part of a plan"),
                });
            }
            match &input.companion_tags {
                Some(tags) if tags.get("managed-by").map(String::as_str) != Some("ctmigrate") => {
                    findings.push(Finding {
                        kind: FindingKind::CompanionTags,
                        target: format!("{COMPANION_NAME} ({id})"),
                        expected: "tag managed-by=ctmigrate".into(),
                        observed: format!(
                            "tags {}",
                            tags.iter()
                                .map(|(k, v)| format!("{k}={v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        fix: "put back the tag managed-by=ctmigrate (ctmigrate adopts only a companion it tagged)".into(),
                    });
                }
                Some(_) => {}
                None => notes.push("the companion's tags were not read".into()),
            }
        }
    }

    // 5. and 6. What the last plan decided.
    match &input.plan {
        None => notes.push(
            "no plan of this organization was found (give --plan FILE): permitted accounts and the proof were not checked".into(),
        ),
        Some((plan, shown)) => {
            for a in &plan.decisions.permitted_accounts {
                if !s.accounts.iter().any(|x| &x.id == a) {
                    findings.push(Finding {
                        kind: FindingKind::PermittedAccountMissing,
                        target: a.clone(),
                        expected: format!("permitted account {a} is in the organization"),
                        observed: "it is not (closed, removed or moved out)".into(),
                        fix: format!("plan again without it: {replan} (edit the decisions), then apply that plan"),
                    });
                }
            }
            let mut as_is = (*plan).clone();
            as_is.stages.clear();
            match crate::plan::proof::matrix(s, &as_is) {
                Ok(m) => {
                    for p in m.summary.properties.iter().filter(|p| !p.passed) {
                        findings.push(Finding {
                            kind: FindingKind::Proof,
                            target: p.id.clone(),
                            expected: p.description.clone(),
                            observed: format!(
                                "does not hold on the live SCPs; first failing cells: {}",
                                p.failures.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
                            ),
                            fix: format!("`ctmigrate simulate --plan {shown}` shows the matrix; {replan}, then apply that plan"),
                        });
                    }
                }
                Err(e) => notes.push(format!("the proof could not be evaluated: {e}")),
            }
        }
    }

    // 7. Accounts the last plan found in a target, moved out of every governed OU.
    if let Some((plan, _)) = &input.plan {
        findings.extend(ungoverned_accounts(s, plan));
    }

    let mut not_covered: Vec<String> = report
        .unregistered_first_tier_ous
        .iter()
        .map(|o| format!("unregistered first-tier OU {} ({})", o.name, o.id))
        .collect();
    not_covered.extend(
        report
            .accounts_under_root
            .iter()
            .filter(|a| !a.management)
            .map(|a| format!("account {} ({}) directly under the root", a.name, a.id)),
    );
    CheckReport {
        format_version: CHECK_FORMAT_VERSION,
        organization_id: s.organization.id.clone(),
        plan: input.plan.as_ref().map(|(_, shown)| shown.clone()),
        landing_zone_deny: report.region_deny.state,
        governed_regions: governed,
        registered_first_tier_ous: registered.len(),
        findings,
        not_covered,
        notes,
        fix_command: input.replan.clone(),
    }
}
/// Accounts that the plan found in one of its targets and that now sit
/// under the root or in an unregistered first-tier OU's tree.
fn ungoverned_accounts(s: &Snapshot, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &plan.targets {
        for id in &t.account_ids {
            let Some(a) = s.accounts.iter().find(|a| &a.id == id) else {
                continue;
            };
            let first_tier = s.first_tier_of(&a.parent_id);
            let where_now = match first_tier {
                None => "directly under the root".to_string(),
                Some(ou) if !ou.registered => format!(
                    "in {} ({}), which Control Tower does not govern",
                    ou.name, ou.id
                ),
                Some(_) => continue,
            };
            out.push(Finding {
                kind: FindingKind::AccountUngoverned,
                target: format!("{} ({})", a.name, a.id),
                expected: format!("in a registered OU, as in {} ({}) when planned", t.name, t.ou_id),
                observed: format!("{where_now}: no region deny applies to it"),
                fix: format!(
                    "move {} back into a registered OU (or register the OU it is in, then plan again)",
                    a.name
                ),
            });
        }
    }
    out
}

/// What a person does about a DRIFTED PV.1 once the landing-zone deny is
/// off. Control Tower refuses `UpdateEnabledControl` on a drifted control and
/// `ResetEnabledControl` does not work for controls implemented with SCPs;
/// disabling PV.1 to enable it again would leave the OU with no region deny
/// while it runs.
pub fn drifted_pv1_fix(ou: &str) -> String {
    format!(
        "put the {} statement back as Control Tower wrote it in the aws-guardrails SCP on {ou}, or re-register {ou} in the Control Tower console (Organization, select the OU, Re-register OU); do not disable PV.1 to enable it again while the landing-zone deny is off",
        crate::plan::pv1::PV1_SID
    )
}
