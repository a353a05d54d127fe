//! `detect`: what the organization looks like with respect to the migration,
//! computed from a [`Snapshot`] (pure; no AWS calls, no output).
//!
//! The landing-zone region deny is read from both signals: the
//! `AWS-GR_REGION_DENY` enabled control on each registered first-tier OU, and
//! a `GRREGIONDENY` statement in a Control Tower managed SCP attached to it.
//! The report says where they disagree. The JSON shape is documented in
//! docs/detect-format.md and versioned by `format_version`.

use serde::Serialize;
use serde_json::Value;

use crate::model::{DriftStatus, EnablementStatus, LandingZoneStatus, arn_id, arn_region};
use crate::policy::read;
use crate::snapshot::*;

/// Version of the report's JSON shape.
pub const DETECT_FORMAT_VERSION: u32 = 1;

/// Limits the report counts against (both configurable; AWS raised them on 2026-05-15).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Quotas {
    pub scp_attachment_limit: usize,
    pub scp_size_limit: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            scp_attachment_limit: 10,
            scp_size_limit: 10_240,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DetectReport {
    pub format_version: u32,
    pub caller: CallerReport,
    pub landing_zone: LandingZoneReport,
    pub region_deny: RegionDenyReport,
    pub pv1: Pv1Report,
    pub first_tier_ous: Vec<FirstTierOu>,
    pub unregistered_first_tier_ous: Vec<UnregisteredOu>,
    pub accounts_under_root: Vec<RootAccount>,
    /// Every account of the organization, where it sits.
    pub accounts: Vec<AccountReport>,
    pub customer_region_scps: Vec<CustomerRegionScp>,
    /// ctmigrate's own companion SCP, when the organization has one.
    pub companion: Option<CompanionFound>,
    /// Registered first-tier OUs with no region deny in force at all
    /// (`Name (ou-…)`): the urgent state.
    pub uncovered_registered_ous: Vec<String>,
    pub control_operations_in_progress: usize,
    pub quotas: Quotas,
    pub warnings: Vec<String>,
    /// The Bedrock paths beyond model inference the accounts read use in
    /// the governed Regions (absent when Bedrock was not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bedrock_paths: Option<crate::paths::found::FoundUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallerReport {
    pub account: String,
    pub arn: String,
    pub organization_id: String,
    pub management_account: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LandingZoneReport {
    pub arn: String,
    pub version: String,
    pub latest_available_version: Option<String>,
    pub status: LandingZoneStatus,
    pub drift_status: Option<DriftStatus>,
    pub home_region: String,
    pub governed_regions: Vec<String>,
}

/// `on`: every registered first-tier OU has it; `off`: none has it;
/// `partial`: some have it; `inconsistent`: the two signals disagree somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DenyState {
    On,
    Off,
    Partial,
    Inconsistent,
}

impl std::fmt::Display for DenyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DenyState::On => "on",
            DenyState::Off => "off",
            DenyState::Partial => "partial",
            DenyState::Inconsistent => "inconsistent",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionDenyReport {
    pub state: DenyState,
    /// Regions the `GRREGIONDENY` statements allow (their `aws:RequestedRegion` list).
    pub allowed_regions: Vec<String>,
    pub per_ou: Vec<OuRegionDeny>,
    pub disagreements: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OuRegionDeny {
    pub ou_id: String,
    pub ou_name: String,
    /// The `AWS-GR_REGION_DENY` enabled control, if listed on the OU.
    pub control: Option<String>,
    /// The SCP statements with Sid `GRREGIONDENY` attached to the OU.
    pub scp_statements: Vec<StatementRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatementRef {
    pub policy_id: String,
    pub policy_name: String,
    pub sid: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pv1Report {
    pub catalog_arn: String,
    pub regional_arn: String,
    pub resolved_from: String,
    pub enablements: Vec<Pv1Enablement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pv1Enablement {
    pub ou_id: String,
    pub ou_path: String,
    pub enabled_control_arn: String,
    pub identifier: String,
    /// `catalog` or `regional`.
    pub identifier_form: String,
    pub status: EnablementStatus,
    pub drift_status: Option<DriftStatus>,
    pub allowed_regions: Vec<String>,
    pub exempted_actions: Vec<String>,
    pub exempted_principal_arns: Vec<String>,
    /// Parameters other than the three above, verbatim.
    pub other_parameters: Vec<(String, Value)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstTierOu {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub registered: bool,
    pub nested_ous: Vec<NestedOu>,
    pub accounts: usize,
    pub scp_slots: Slots,
    /// Sids of region-deny statements in force on the OU (root and OU SCPs).
    pub region_denies_in_force: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NestedOu {
    pub id: String,
    pub path: String,
    pub registered: bool,
    pub scp_slots: Slots,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Slots {
    pub used: usize,
    pub free: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnregisteredOu {
    pub id: String,
    pub name: String,
    pub accounts: usize,
}

/// One account, where it sits: `ou_path` is the OU path from the
/// first-tier OU down (`Workloads/Dev`), or `Root`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountReport {
    pub id: String,
    pub name: String,
    pub status: String,
    pub parent_id: String,
    pub ou_path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RootAccount {
    pub id: String,
    pub name: String,
    /// SCPs do not apply to the management account.
    pub management: bool,
}

/// ctmigrate's companion SCP, recognised by name and content.
#[derive(Debug, Clone, Serialize)]
pub struct CompanionFound {
    pub policy_id: String,
    pub policy_name: String,
    pub attached_to: Vec<String>,
    /// False when a same-named policy no longer has the content ctmigrate writes.
    pub as_written: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerRegionScp {
    pub policy_id: String,
    pub policy_name: String,
    pub sids: Vec<String>,
    pub attached_to: Vec<String>,
    /// A Deny statement conditioned on `aws:RequestedRegion` whose actions
    /// include Bedrock inference (`bedrock:InvokeModel`).
    pub may_block_bedrock: bool,
}

fn slots(used: usize, quotas: &Quotas) -> Slots {
    Slots {
        used,
        free: quotas.scp_attachment_limit.saturating_sub(used),
        limit: quotas.scp_attachment_limit,
    }
}

/// Builds the report.
pub fn report(s: &Snapshot, quotas: Quotas) -> DetectReport {
    let mut warnings = Vec::new();
    let lz = &s.landing_zone;
    if lz.status != LandingZoneStatus::Active {
        warnings.push(format!(
            "the landing zone is {}: wait until it is ACTIVE before planning or applying",
            lz.status
        ));
    }
    if lz.drift_status == Some(DriftStatus::Drifted) {
        warnings.push(
            "the landing zone has drifted: repair it in the Control Tower console first".into(),
        );
    }

    let statements_with_sid = |policy_ids: &[String], sid: &str| -> Vec<StatementRef> {
        let mut out = Vec::new();
        for pid in policy_ids {
            let Some(p) = s.policies.get(pid) else {
                continue;
            };
            for _ in read::statements_with_sid(&p.content, sid) {
                out.push(StatementRef {
                    policy_id: pid.clone(),
                    policy_name: p.summary.name.clone(),
                    sid: sid.to_string(),
                });
            }
        }
        out
    };

    // Region deny, both signals, per registered first-tier OU.
    let mut per_ou = Vec::new();
    let mut disagreements = Vec::new();
    let mut allowed_regions: Vec<String> = Vec::new();
    for ou in s.first_tier_ous().filter(|o| o.registered) {
        let control = s
            .controls_on(&ou.arn)
            .find(|c| is_lz_region_deny(&c.control_identifier))
            .map(|c| c.arn.clone());
        let scp_statements = statements_with_sid(&ou.policies, crate::plan::pv1::GRREGIONDENY_SID);
        for r in &scp_statements {
            if let Some(p) = s.policies.get(&r.policy_id) {
                for st in read::statements_with_sid(&p.content, crate::plan::pv1::GRREGIONDENY_SID)
                {
                    for region in st.condition_values("StringNotEquals", "aws:RequestedRegion") {
                        if !allowed_regions.contains(&region) {
                            allowed_regions.push(region);
                        }
                    }
                }
            }
        }
        match (control.is_some(), !scp_statements.is_empty()) {
            (true, false) => disagreements.push(format!(
                "{} ({}): Control Tower lists AWS-GR_REGION_DENY but no attached SCP has a GRREGIONDENY statement",
                ou.name, ou.id
            )),
            (false, true) => disagreements.push(format!(
                "{} ({}): an attached SCP has a GRREGIONDENY statement but Control Tower does not list AWS-GR_REGION_DENY",
                ou.name, ou.id
            )),
            _ => {}
        }
        per_ou.push(OuRegionDeny {
            ou_id: ou.id.clone(),
            ou_name: ou.name.clone(),
            control,
            scp_statements,
        });
    }
    let with = per_ou
        .iter()
        .filter(|o| o.control.is_some() && !o.scp_statements.is_empty())
        .count();
    let state = if !disagreements.is_empty() {
        DenyState::Inconsistent
    } else if with == per_ou.len() && with > 0 {
        DenyState::On
    } else if with == 0 {
        DenyState::Off
    } else {
        DenyState::Partial
    };
    if !disagreements.is_empty() {
        warnings.push("the two signals of the landing-zone region deny disagree (see region_deny.disagreements): Control Tower may be mid-update or the guardrail SCPs were edited".into());
    }
    if state == DenyState::Partial {
        warnings.push("the landing-zone region deny is on for some registered first-tier OUs only: a landing-zone update may be in progress".into());
    }
    allowed_regions.sort();

    // PV.1 enablements anywhere.
    let enablements: Vec<Pv1Enablement> = s
        .enabled_controls
        .iter()
        .filter(|c| s.pv1.matches(&c.control_identifier))
        .map(|c| {
            let ou = s.ous.iter().find(|o| o.arn == c.target);
            let param = |k: &str| {
                c.parameters
                    .iter()
                    .find(|p| p.key == k)
                    .map(|p| read::string_list(Some(&p.value)))
                    .unwrap_or_default()
            };
            Pv1Enablement {
                ou_id: ou
                    .map(|o| o.id.clone())
                    .unwrap_or_else(|| arn_id(&c.target).to_string()),
                ou_path: ou.map(|o| o.path.clone()).unwrap_or_default(),
                enabled_control_arn: c.arn.clone(),
                identifier: c.control_identifier.clone(),
                identifier_form: if c.control_identifier.starts_with("arn:aws:controlcatalog:") {
                    "catalog".into()
                } else {
                    "regional".into()
                },
                status: c.status.clone(),
                drift_status: c.drift_status.clone(),
                allowed_regions: param("AllowedRegions"),
                exempted_actions: param("ExemptedActions"),
                exempted_principal_arns: param("ExemptedPrincipalArns"),
                other_parameters: c
                    .parameters
                    .iter()
                    .filter(|p| {
                        !matches!(
                            p.key.as_str(),
                            "AllowedRegions" | "ExemptedActions" | "ExemptedPrincipalArns"
                        )
                    })
                    .map(|p| (p.key.clone(), p.value.clone()))
                    .collect(),
            }
        })
        .collect();
    if s.pv1.resolved_from != "control-catalog" {
        warnings.push(format!(
            "CT.MULTISERVICE.PV.1 could not be resolved in the Control Catalog; using the built-in identifier {}",
            s.pv1.catalog_arn
        ));
    }

    // First-tier OUs.
    let root_denies: Vec<StatementRef> = [
        crate::plan::pv1::GRREGIONDENY_SID,
        crate::plan::pv1::PV1_SID,
    ]
    .iter()
    .flat_map(|sid| statements_with_sid(&s.root_policies, sid))
    .collect();
    let mut first_tier_ous = Vec::new();
    let mut unregistered = Vec::new();
    for ou in s.first_tier_ous() {
        let accounts = s.accounts_under(&ou.id).len();
        if !ou.registered {
            unregistered.push(UnregisteredOu {
                id: ou.id.clone(),
                name: ou.name.clone(),
                accounts,
            });
            continue;
        }
        let mut in_force: Vec<String> = root_denies.iter().map(|r| r.sid.clone()).collect();
        for sid in [
            crate::plan::pv1::GRREGIONDENY_SID,
            crate::plan::pv1::PV1_SID,
        ] {
            if !statements_with_sid(&ou.policies, sid).is_empty()
                && !in_force.iter().any(|x| x == sid)
            {
                in_force.push(sid.to_string());
            }
        }
        let ou_slots = slots(ou.policies.len(), &quotas);
        if ou_slots.free < 2 {
            warnings.push(format!(
                "{} ({}) has {} free SCP attachment slot(s) of {}: the companion SCP needs one and PV.1 may need another",
                ou.name, ou.id, ou_slots.free, ou_slots.limit
            ));
        }
        first_tier_ous.push(FirstTierOu {
            id: ou.id.clone(),
            arn: ou.arn.clone(),
            name: ou.name.clone(),
            registered: ou.registered,
            nested_ous: s
                .descendants(&ou.id)
                .into_iter()
                .map(|n| NestedOu {
                    id: n.id.clone(),
                    path: n.path.clone(),
                    registered: n.registered,
                    scp_slots: slots(n.policies.len(), &quotas),
                })
                .collect(),
            accounts,
            scp_slots: ou_slots,
            region_denies_in_force: in_force,
        });
    }
    if !unregistered.is_empty() {
        let names: Vec<String> = unregistered.iter().map(|u| u.name.clone()).collect();
        warnings.push(format!(
            "unregistered first-tier OU(s) {} are not covered by the landing-zone region deny today, and the migration does not change them",
            names.join(", ")
        ));
    }
    let accounts_under_root: Vec<RootAccount> = s
        .accounts
        .iter()
        .filter(|a| a.parent_id == s.root.id)
        .map(|a| RootAccount {
            id: a.id.clone(),
            name: a.name.clone(),
            management: a.id == s.organization.management_account_id,
        })
        .collect();
    let members_at_root: Vec<String> = accounts_under_root
        .iter()
        .filter(|a| !a.management)
        .map(|a| format!("{} ({})", a.name, a.id))
        .collect();
    if !members_at_root.is_empty() {
        warnings.push(format!(
            "account(s) directly under the root are not covered by the landing-zone region deny: {}",
            members_at_root.join(", ")
        ));
    }

    // Customer SCPs that restrict aws:RequestedRegion.
    let mut customer_region_scps = Vec::new();
    let mut companion = None;
    let attached_to = |id: &String| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if s.root_policies.contains(id) {
            out.push("Root".into());
        }
        out.extend(
            s.ous
                .iter()
                .filter(|o| o.policies.contains(id))
                .map(|o| o.path.clone()),
        );
        out.extend(
            s.accounts
                .iter()
                .filter(|a| a.policies.contains(id))
                .map(|a| format!("{} ({})", a.name, a.id)),
        );
        out
    };
    for (id, p) in &s.policies {
        if p.summary.aws_managed || p.summary.name.starts_with(GUARDRAIL_PREFIX) {
            continue;
        }
        if let Some(as_written) = crate::plan::companion::recognise(&p.summary.name, &p.content) {
            if !as_written {
                warnings.push(format!(
                    "ctmigrate's companion SCP {} ({id}) was edited outside ctmigrate: its content is not what ctmigrate writes (`ctmigrate check` names the difference)",
                    p.summary.name
                ));
            }
            companion = Some(CompanionFound {
                policy_id: id.clone(),
                policy_name: p.summary.name.clone(),
                attached_to: attached_to(id),
                as_written,
            });
            if as_written {
                continue;
            }
        }
        let sts: Vec<read::Statement> = read::statements(&p.content)
            .into_iter()
            .filter(|st| st.mentions_key("aws:RequestedRegion"))
            .collect();
        if sts.is_empty() {
            continue;
        }
        let attached_to = attached_to(id);
        let may_block_bedrock = sts.iter().any(|st| st.may_deny("bedrock:InvokeModel"));
        if may_block_bedrock {
            warnings.push(format!(
                "customer SCP {} ({id}) denies Bedrock inference by aws:RequestedRegion: it will still block cross-region inference after the migration",
                p.summary.name
            ));
        }
        customer_region_scps.push(CustomerRegionScp {
            policy_id: id.clone(),
            policy_name: p.summary.name.clone(),
            sids: sts
                .iter()
                .filter_map(|st| st.sid().map(str::to_string))
                .collect(),
            attached_to,
            may_block_bedrock,
        });
    }
    if !s.control_operations_in_progress.is_empty() {
        warnings.push(format!(
            "{} Control Tower control operation(s) in progress: wait for them before applying",
            s.control_operations_in_progress.len()
        ));
    }

    let uncovered_registered_ous = first_tier_ous
        .iter()
        .filter(|o| o.registered && o.region_denies_in_force.is_empty())
        .map(|o| format!("{} ({})", o.name, o.id))
        .collect();
    let accounts = s
        .accounts
        .iter()
        .map(|a| AccountReport {
            id: a.id.clone(),
            name: a.name.clone(),
            status: a.status.clone(),
            parent_id: a.parent_id.clone(),
            ou_path: s
                .ou(&a.parent_id)
                .map_or_else(|| "Root".to_string(), |o| o.path.clone()),
        })
        .collect();
    DetectReport {
        format_version: DETECT_FORMAT_VERSION,
        caller: CallerReport {
            account: s.caller.account.clone(),
            arn: s.caller.arn.clone(),
            organization_id: s.organization.id.clone(),
            management_account: s.organization.management_account_id.clone(),
        },
        landing_zone: LandingZoneReport {
            arn: lz.arn.clone(),
            version: lz.version.clone(),
            latest_available_version: lz.latest_available_version.clone(),
            status: lz.status.clone(),
            drift_status: lz.drift_status.clone(),
            home_region: arn_region(&lz.arn).unwrap_or(&lz.home_region).to_string(),
            governed_regions: lz.governed_regions.clone(),
        },
        region_deny: RegionDenyReport {
            state,
            allowed_regions,
            per_ou,
            disagreements,
        },
        pv1: Pv1Report {
            catalog_arn: s.pv1.catalog_arn.clone(),
            regional_arn: s.pv1.regional_arn.clone(),
            resolved_from: s.pv1.resolved_from.clone(),
            enablements,
        },
        first_tier_ous,
        unregistered_first_tier_ous: unregistered,
        accounts_under_root,
        accounts,
        customer_region_scps,
        companion,
        uncovered_registered_ous,
        control_operations_in_progress: s.control_operations_in_progress.len(),
        quotas,
        warnings,
        bedrock_paths: None,
    }
}

/// The report of a whole estate: [`report`], plus the Bedrock paths beyond
/// model inference the caller's account uses, judged against the Regions
/// the landing-zone deny allows today.
pub fn report_estate(e: &Estate, quotas: Quotas) -> DetectReport {
    let mut r = report(&e.snapshot, quotas);
    let allowed =
        (r.region_deny.state != DenyState::Off).then_some(r.region_deny.allowed_regions.as_slice());
    r.bedrock_paths = Some(crate::paths::found::assess(
        &e.bedrock_use,
        &e.profiles,
        allowed,
        &e.snapshot.organization.management_account_id,
    ));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn statement(v: Value) -> read::Statement {
        read::statements_of(&json!({"Statement": v})).remove(0)
    }

    #[test]
    fn deny_detection_follows_action_and_not_action() {
        let not_action = json!({"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"});
        assert!(statement(not_action).may_deny("bedrock:InvokeModel"));
        let exempt = json!({"Effect": "Deny", "NotAction": ["bedrock:Invoke*"], "Resource": "*"});
        assert!(!statement(exempt).may_deny("bedrock:InvokeModel"));
        let ec2 = json!({"Effect": "Deny", "Action": ["ec2:RunInstances"], "Resource": "*"});
        assert!(!statement(ec2).may_deny("bedrock:InvokeModel"));
        let allow = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        assert!(!statement(allow).may_deny("bedrock:InvokeModel"));
    }

    #[test]
    fn region_condition_keys_match_case_insensitively() {
        let st = json!({"Condition": {"StringNotEqualsIfExists": {"AWS:requestedregion": ["us-east-1"]}}});
        assert!(statement(st).mentions_key("aws:RequestedRegion"));
        assert!(
            !statement(json!({"Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
                .mentions_key("aws:RequestedRegion")
        );
    }

    /// detect (does a customer SCP block Bedrock?), plan (does PV.1 exempt
    /// Bedrock inference?) and the evaluator judge the same action
    /// patterns the same way.
    #[test]
    fn detect_plan_and_the_evaluator_agree_on_the_same_statements() {
        use crate::policy::{Request, evaluate_policy, parse_value};
        let patterns = [
            "bedrock:InvokeModel",
            "bedrock:Invoke*",
            "Bedrock:invokemodel",
            "bedrock:Invoke?odel",
            "bedrock:*Stream",
            "*",
            "ec2:*",
        ];
        let request = Request::new(
            "arn:aws:iam::666666666667:role/r",
            "666666666667",
            "bedrock:InvokeModel",
            "*",
            &[],
        )
        .with("aws:RequestedRegion", "sa-east-1");
        for pattern in patterns {
            // detect: a customer SCP denying `pattern` outside us-east-1.
            let mut e = crate::snapshot::fixtures::estate("default");
            let doc = json!({"Version": "2012-10-17", "Statement": [{"Sid": "X", "Effect": "Deny", "Action": pattern, "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]});
            let id = "p-agreement".to_string();
            let mut p = e.snapshot.policies.values().next().unwrap().clone();
            p.summary.id = id.clone();
            p.summary.name = "agreement".into();
            p.summary.aws_managed = false;
            p.content = doc.to_string();
            e.snapshot.policies.insert(id.clone(), p);
            let ou = e
                .snapshot
                .ous
                .iter_mut()
                .find(|o| o.id == "ou-sb01-workload")
                .unwrap();
            ou.policies.push(id);
            let r = report(&e.snapshot, Quotas::default());
            let detect_says = r
                .customer_region_scps
                .iter()
                .find(|c| c.policy_name == "agreement")
                .is_some_and(|c| c.may_block_bedrock);
            let evaluator_says =
                evaluate_policy(&parse_value("agreement", &doc).unwrap(), &request)
                    .0
                    .is_some();
            assert_eq!(detect_says, evaluator_says, "deny of {pattern}");

            // plan: PV.1 with `pattern` exempted lets InvokeModel through
            // exactly when the reader says the pattern covers it.
            let pv1 = json!({"Version": "2012-10-17", "Statement": [crate::plan::pv1::statement(&["us-east-1".to_string()], &[pattern.to_string()], &[])]});
            let denied = evaluate_policy(&parse_value("pv1", &pv1).unwrap(), &request)
                .0
                .is_some();
            assert_eq!(
                read::action_matches(pattern, "bedrock:InvokeModel"),
                !denied,
                "exemption of {pattern}"
            );
        }
    }
}
