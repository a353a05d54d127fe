//! The companion SCP: after PV.1 exempts the Bedrock inference actions, this
//! policy still denies them outside the allowed Regions, except for permitted
//! accounts (`accounts`), approved inference profiles (`profiles`), or both
//! together (`strict`). Minified, ASCII, named and tagged so it is found again
//! and never duplicated.

use serde_json::{Value, json};

use super::inputs::CompanionMode;
use super::model::{Decisions, PathDecision};
use crate::paths::{BedrockPath, Fence};
use crate::regions::UNSPECIFIED;

/// The companion SCP's name (fixed: one per organization, found by name).
pub const COMPANION_NAME: &str = "ctmigrate-bedrock-cross-region-inference";

/// Sids of the companion's statements all start with this.
pub const SID_PREFIX: &str = "Ctmigrate";

/// Whether a policy is ctmigrate's companion SCP, judged by its name and
/// content: `None` for any other policy; `Some(true)` when its content is
/// as ctmigrate writes it (every statement a `Ctmigrate*` Deny of Bedrock
/// actions only); `Some(false)` when a same-named policy was edited into
/// something else. The tags are checked where they are read (`check`).
pub fn recognise(name: &str, content: &str) -> Option<bool> {
    if name != COMPANION_NAME {
        return None;
    }
    let statements = crate::policy::read::statements(content);
    let ours = !statements.is_empty()
        && statements.iter().all(|st| {
            let sid_ok = st.sid().is_some_and(|s| s.starts_with(SID_PREFIX));
            let actions = st.actions().unwrap_or_default();
            sid_ok
                && st.is_deny()
                && !actions.is_empty()
                && actions.iter().all(|a| a.starts_with("bedrock:"))
        });
    Some(ours)
}

/// Tags on the companion SCP.
pub fn tags(mode: CompanionMode) -> Vec<(String, String)> {
    vec![
        (
            super::action::OWNER_TAG.0.into(),
            super::action::OWNER_TAG.1.into(),
        ),
        (
            "ctmigrate-purpose".into(),
            "bedrock-cross-region-inference".into(),
        ),
        ("ctmigrate-companion-mode".into(), mode.as_str().into()),
    ]
}

/// Any inference profile: system-defined (`inference-profile/…`) or an
/// application inference profile (`application-inference-profile/…`).
pub const ANY_PROFILE_ARNS: [&str; 2] = [
    "arn:aws:bedrock:*:*:inference-profile/*",
    "arn:aws:bedrock:*:*:application-inference-profile/*",
];

/// The approved-profile ARN pattern for a requested profile id or geography.
pub fn profile_arn_pattern(requested: &str) -> String {
    if let Some(app) = super::inputs::application_profile_request(requested) {
        // An application profile is approved by its exact ARN.
        app.arn.to_string()
    } else if requested.contains('.') {
        format!("arn:aws:bedrock:*:*:inference-profile/{requested}")
    } else {
        format!("arn:aws:bedrock:*:*:inference-profile/{requested}.*")
    }
}

/// Inputs of the companion document.
pub struct CompanionSpec<'a> {
    pub mode: CompanionMode,
    /// Every exempted Bedrock action.
    pub actions: &'a [String],
    pub allowed_regions: &'a [String],
    pub permitted_accounts: &'a [String],
    pub approved_profile_arns: &'a [String],
    pub global_allowed: bool,
    /// The paths the plan makes work; those fenced by resource (guardrail
    /// and data-automation profiles) get statements of their own.
    pub paths: &'a [PathDecision],
}

/// Whether the companion fences `action` by `bedrock:InferenceProfileArn`
/// (the inference actions, batch, and any other Bedrock action asked for),
/// rather than by the profile named as the resource.
pub fn keyed_by_inference_profile(action: &str) -> bool {
    BedrockPath::of_action(action).is_none_or(|p| p.fence() == Fence::InferenceProfileKey)
}

/// The Sid part naming a path fenced by resource.
fn resource_sid(path: BedrockPath) -> &'static str {
    match path {
        BedrockPath::DataAutomation => "DataAutomation",
        _ => "Guardrail",
    }
}

/// The minified policy document.
pub fn document(spec: &CompanionSpec<'_>) -> String {
    let all_actions = spec.actions;
    let inference_actions: Vec<String> = all_actions
        .iter()
        .filter(|a| keyed_by_inference_profile(a))
        .cloned()
        .collect();
    let spec = &CompanionSpec {
        actions: &inference_actions,
        ..*spec
    };
    let mut statements: Vec<Value> = Vec::new();
    if spec.mode.needs_accounts() {
        statements.push(json!({
            "Sid": "CtmigrateBedrockPermittedAccountsOnly",
            "Effect": "Deny",
            "Action": all_actions,
            "Resource": "*",
            "Condition": {"StringNotEquals": {
                "aws:RequestedRegion": spec.allowed_regions,
                "aws:PrincipalAccount": spec.permitted_accounts
            }}
        }));
    }
    if matches!(spec.mode, CompanionMode::Profiles | CompanionMode::Strict) {
        statements.push(json!({
            "Sid": "CtmigrateBedrockApprovedProfilesOnly",
            "Effect": "Deny",
            "Action": spec.actions,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": spec.allowed_regions},
                "ArnNotLike": {"bedrock:InferenceProfileArn": spec.approved_profile_arns}
            }
        }));
    }
    if spec.mode == CompanionMode::Accounts {
        // Outside the allowed Regions only through an inference profile: a
        // direct call carries no `bedrock:InferenceProfileArn`, and a negated
        // operator on a missing key matches, so it is denied.
        statements.push(json!({
            "Sid": "CtmigrateBedrockProfilesOnly",
            "Effect": "Deny",
            "Action": spec.actions,
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": spec.allowed_regions},
                "ArnNotLike": {"bedrock:InferenceProfileArn": ANY_PROFILE_ARNS}
            }
        }));
    }
    // Paths fenced by resource: their requests carry no
    // `bedrock:InferenceProfileArn` (a negated operator on it would deny
    // them all), but name the profile as the resource in each destination.
    for decision in spec.paths {
        let Fence::ProfileResource { .. } = decision.path.fence() else {
            continue;
        };
        let (sid, not_resource) = match spec.mode {
            CompanionMode::Accounts => (
                format!(
                    "CtmigrateBedrock{}ProfilesOnly",
                    resource_sid(decision.path)
                ),
                decision.path.any_profile_arn().into_iter().collect(),
            ),
            CompanionMode::Profiles | CompanionMode::Strict => (
                format!(
                    "CtmigrateBedrockApproved{}ProfilesOnly",
                    resource_sid(decision.path)
                ),
                decision.approved_arns.clone(),
            ),
        };
        let not_resource: Vec<String> = not_resource;
        statements.push(json!({
            "Sid": sid,
            "Effect": "Deny",
            "Action": decision.actions,
            "NotResource": not_resource,
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": spec.allowed_regions}}
        }));
    }
    if !spec.global_allowed {
        // The Region-less leg of global routing, whatever profile ARN
        // carries it (an application profile copied from a `global.` one
        // routes the same way under another ARN).
        statements.push(json!({
            "Sid": "CtmigrateBedrockNoGlobalRouting",
            "Effect": "Deny",
            "Action": spec.actions,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": UNSPECIFIED}}
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// What the companion lets through outside the allowed Regions, stated
/// from the decisions (the mode, the permitted accounts, the approved
/// profiles, global routing, the paths), for the plan, the proof and the docs.
pub fn promise(d: &Decisions) -> String {
    let (mode, permitted_accounts, approved_profile_arns) = (
        d.companion_mode,
        &d.permitted_accounts,
        &d.approved_profile_arns,
    );
    let accounts = if permitted_accounts.is_empty() {
        "no account (none is permitted)".to_string()
    } else {
        format!(
            "only the permitted accounts {}",
            permitted_accounts.join(", ")
        )
    };
    let profiles = if approved_profile_arns.is_empty() {
        "no profile (none is approved)".to_string()
    } else {
        format!(
            "only through the approved profiles {}",
            approved_profile_arns.join(", ")
        )
    };
    let who = match mode {
        CompanionMode::Accounts => format!(
            "{accounts} may run Bedrock inference, through any inference profile (system or application)"
        ),
        CompanionMode::Profiles => {
            format!("every account may run Bedrock inference, {profiles}")
        }
        CompanionMode::Strict => {
            format!("{accounts} may run Bedrock inference, and {profiles}")
        }
    };
    let mut others = Vec::new();
    for p in &d.paths {
        match p.path {
            BedrockPath::Inference => {}
            BedrockPath::Batch => others.push(
                "batch inference (CreateModelInvocationJob) is fenced like model inference"
                    .to_string(),
            ),
            BedrockPath::Guardrails | BedrockPath::DataAutomation => {
                let what = match p.path {
                    BedrockPath::Guardrails => "guardrail evaluation (ApplyGuardrail)",
                    _ => "Bedrock Data Automation (InvokeDataAutomationAsync)",
                };
                let whom = match mode {
                    CompanionMode::Accounts => format!("{accounts}, on any of its profiles"),
                    CompanionMode::Profiles => format!(
                        "every account, only on the approved profiles {}",
                        p.approved_arns.join(", ")
                    ),
                    CompanionMode::Strict => format!(
                        "{accounts}, only on the approved profiles {}",
                        p.approved_arns.join(", ")
                    ),
                };
                others.push(format!("{what} is allowed to {whom}"));
            }
        }
    }
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; {}", others.join("; "))
    };
    let global = if d.global_allowed {
        "the Region-less leg of global routing (`aws:RequestedRegion` = `unspecified`) is allowed where the rest of this is (`--allow-global`)"
    } else {
        "the Region-less leg of global routing (`aws:RequestedRegion` = `unspecified`) is denied whatever the profile"
    };
    format!(
        "outside the allowed Regions, {who}; a direct call to a model (no inference profile) is denied for every account{others}; {global}"
    )
}

/// The policy description (at most 512 characters).
pub fn description(mode: CompanionMode, allowed: &[String]) -> String {
    let who = match mode {
        CompanionMode::Accounts => "except for permitted accounts through inference profiles",
        CompanionMode::Profiles => "except through approved inference profiles",
        CompanionMode::Strict => {
            "except for permitted accounts through approved inference profiles"
        }
    };
    let mut d = format!(
        "Managed by ctmigrate. Denies Bedrock inference outside {} {who}. Companion of CT.MULTISERVICE.PV.1.",
        allowed.join(", ")
    );
    d.truncate(512);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: CompanionMode, global: bool) -> String {
        let actions = vec!["bedrock:InvokeModel".to_string()];
        let allowed = vec!["ap-northeast-1".to_string()];
        let accounts = vec!["666666666667".to_string()];
        let profiles = vec![profile_arn_pattern("jp")];
        document(&CompanionSpec {
            mode,
            actions: &actions,
            allowed_regions: &allowed,
            permitted_accounts: &accounts,
            approved_profile_arns: &profiles,
            global_allowed: global,
            paths: &[],
        })
    }

    #[test]
    fn each_mode_has_its_statements() {
        let sids = |doc: &str| -> Vec<String> {
            let v: Value = serde_json::from_str(doc).unwrap();
            v["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["Sid"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            sids(&spec(CompanionMode::Accounts, false)),
            [
                "CtmigrateBedrockPermittedAccountsOnly",
                "CtmigrateBedrockProfilesOnly",
                "CtmigrateBedrockNoGlobalRouting"
            ]
        );
        assert_eq!(
            sids(&spec(CompanionMode::Accounts, true)),
            [
                "CtmigrateBedrockPermittedAccountsOnly",
                "CtmigrateBedrockProfilesOnly"
            ]
        );
        assert_eq!(
            sids(&spec(CompanionMode::Profiles, false)),
            [
                "CtmigrateBedrockApprovedProfilesOnly",
                "CtmigrateBedrockNoGlobalRouting"
            ]
        );
        assert_eq!(
            sids(&spec(CompanionMode::Strict, true)),
            [
                "CtmigrateBedrockPermittedAccountsOnly",
                "CtmigrateBedrockApprovedProfilesOnly"
            ]
        );
    }

    #[test]
    fn the_document_is_minified_ascii() {
        let doc = spec(CompanionMode::Strict, false);
        assert!(doc.is_ascii());
        assert!(!doc.contains('\n') && !doc.contains(": "));
        assert!(doc.contains(r#""ArnNotLike":{"bedrock:InferenceProfileArn":["arn:aws:bedrock:*:*:inference-profile/jp.*"]}"#));
    }
}
