//! Who and what a plan exempts: the permitted accounts (checked against
//! the organization), PV.1's `ExemptedActions` (Bedrock inference plus
//! what the user asks for) and `ExemptedPrincipalArns` (carried over from
//! the landing-zone deny, or decided), and where the live landing-zone deny
//! and PV.1 differ (each loosened pattern accepted by name).

use std::collections::BTreeSet;

use super::{Notes, input_error};
use crate::detect::DetectReport;
use crate::paths::{BedrockPath, Fence};
use crate::plan::deny_diff::{self, Difference};
use crate::plan::inputs::{CompanionMode, InputError, PlanInputs};
use crate::plan::pv1;
use crate::policy::read;
use crate::snapshot::Snapshot;

/// What PV.1 and the companion exempt.
pub(super) struct Exemptions {
    /// PV.1's `ExemptedActions`.
    pub actions: Vec<String>,
    /// The Bedrock ones among them: what the companion SCP fences.
    pub companion_actions: Vec<String>,
    /// PV.1's `ExemptedPrincipalArns`.
    pub principals: Vec<String>,
    /// Where the live landing-zone deny and PV.1's NotAction differ.
    pub differences: Vec<Difference>,
}

/// The permitted accounts exist, fit the mode, and are governed.
pub(super) fn check_accounts(
    s: &Snapshot,
    report: &DetectReport,
    inputs: &PlanInputs,
    notes: &mut Notes,
) -> Result<(), InputError> {
    if inputs.companion_mode.needs_accounts() && inputs.permitted_accounts.is_empty() {
        return Err(input_error(
            "permitted_accounts",
            format!(
                "companion mode `{}` needs at least one permitted account",
                inputs.companion_mode.as_str()
            ),
            "name the accounts that may run inference outside the allowed Regions (--permitted-account 123456789012), or choose --companion-mode profiles",
        ));
    }
    for a in &inputs.permitted_accounts {
        let Some(acct) = s.accounts.iter().find(|x| &x.id == a) else {
            return Err(input_error(
                "permitted_accounts",
                format!("account `{a}` is not in organization {}", s.organization.id),
                &format!(
                    "check the id; the organization's {} account(s) include {} (`detect -v` lists them all with their OU)",
                    s.accounts.len(),
                    s.accounts
                        .iter()
                        .take(4)
                        .map(|x| format!("{} ({})", x.name, x.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if acct.id == s.organization.management_account_id {
            notes.warnings.push(format!(
                "permitted account {a} is the management account: SCPs never apply to it"
            ));
        } else if !report
            .first_tier_ous
            .iter()
            .any(|t| s.accounts_under(&t.id).iter().any(|x| x.id == *a))
        {
            notes.warnings.push(format!(
                "permitted account {} ({a}) is outside the registered first-tier OUs: neither PV.1 nor the companion SCP applies to it",
                acct.name
            ));
        }
    }
    if inputs.companion_mode == CompanionMode::Profiles && !inputs.permitted_accounts.is_empty() {
        notes.warnings.push("companion mode `profiles` ignores the permitted accounts: every account may use the approved profiles".into());
    }
    Ok(())
}

/// PV.1's exemptions and the differences from the live deny.
pub(super) fn decide(
    s: &Snapshot,
    inputs: &PlanInputs,
    notes: &mut Notes,
) -> Result<Exemptions, InputError> {
    let mut exempted_actions: Vec<String> = inputs
        .paths()
        .iter()
        .flat_map(|p| p.actions().iter().map(|a| a.to_string()))
        .collect();
    for a in &inputs.exempt_actions {
        if exempted_actions.iter().any(|x| x.eq_ignore_ascii_case(a)) {
            continue;
        }
        // An action of a path fenced by its profile resource needs the
        // profiles it may use named, or the companion cannot fence it.
        if let Some(path) = BedrockPath::of_action(a)
            && path.fence() != Fence::InferenceProfileKey
        {
            let (field, flag, kind) = match path {
                BedrockPath::DataAutomation => (
                    "data_automation_profiles",
                    "--data-automation-profile",
                    "data-automation",
                ),
                _ => ("guardrail_profiles", "--guardrail-profile", "guardrail"),
            };
            return Err(input_error(
                "exempt_actions",
                format!("`{a}` crosses Regions only through {kind} profiles, and none is named"),
                &format!(
                    "name the profiles instead of the action: {flag} {} (answers file: {field}); the plan then exempts `{a}` and fences it to those profiles",
                    crate::paths::catalog::known(path)
                        .first()
                        .copied()
                        .unwrap_or_default()
                ),
            ));
        }
        if BedrockPath::of_action(a) == Some(BedrockPath::Batch) {
            notes.warnings.push(format!(
                "`{a}` is batch inference: prefer --batch-inference, which also has the proof probe it through each approved profile"
            ));
        }
        exempted_actions.push(a.clone());
    }
    for a in inputs
        .exempt_actions
        .iter()
        .filter(|a| !a.to_ascii_lowercase().starts_with("bedrock:"))
    {
        notes.warnings.push(format!(
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
                    notes.warnings.push(format!(
                        "the landing-zone deny exempts `{p}`: that is a hand edit of a Control Tower-managed SCP, which Control Tower rewrites on every landing-zone update, so the console step itself removes it from GRREGIONDENY; the plan carries it into PV.1's ExemptedPrincipalArns so that it keeps working (decide it with --exempt-principal ARN or --no-exempt-principals)"
                    ));
                } else {
                    notes.errors.push(format!(
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
    let differences = deny_diff::differences(&deny_diff::live_not_actions(s));
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
        notes.warnings.push(format!(
            "the landing-zone deny on {} exempts `{}`, which PV.1 does not: after the console step it is denied outside the allowed Regions (the proof probes {}); add --exempt-action {} if workloads need it there",
            d.ous.join(", "),
            d.pattern,
            d.probe_action,
            d.pattern
        ));
    }
    Ok(Exemptions {
        actions: exempted_actions,
        companion_actions,
        principals: lz_principals,
        differences,
    })
}

/// Principals the landing-zone deny exempts beyond Control Tower's own roles.
fn lz_exempt_principals(s: &Snapshot) -> Vec<String> {
    let mut out = BTreeSet::new();
    for ou in s.first_tier_ous().filter(|o| o.registered) {
        for pid in &ou.policies {
            let Some(p) = s.policies.get(pid) else {
                continue;
            };
            for st in read::statements_with_sid(&p.content, pv1::GRREGIONDENY_SID) {
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
