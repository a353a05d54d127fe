//! What the user decides: the answers file (`plan --answers FILE`, the format
//! the guided session writes) and its validation. Every error names the field
//! and says what is expected; nothing is planned from invalid inputs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::regions::is_region_name;

/// How the companion SCP decides who may run Bedrock inference outside the
/// allowed Regions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CompanionMode {
    /// Deny outside the allowed Regions unless the caller's account is permitted and the call goes through an inference profile (direct calls are denied).
    Accounts,
    /// Deny outside the allowed Regions unless the call goes through an approved inference profile (AWS's pattern).
    Profiles,
    /// Deny unless the account is permitted AND the call goes through an approved profile.
    #[default]
    Strict,
}

impl CompanionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CompanionMode::Accounts => "accounts",
            CompanionMode::Profiles => "profiles",
            CompanionMode::Strict => "strict",
        }
    }

    pub fn needs_accounts(self) -> bool {
        matches!(self, CompanionMode::Accounts | CompanionMode::Strict)
    }
}

fn default_attachment_limit() -> usize {
    10
}

fn default_size_limit() -> usize {
    10_240
}

/// The decisions a plan is built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInputs {
    /// Inference profiles that must work: ids or geography prefixes (`jp`, `us`, `eu`, `apac`, `au`, `global`).
    #[serde(default)]
    pub inference_profiles: Vec<String>,
    /// Explicit consent for `global.` profiles (their requests carry `aws:RequestedRegion = "unspecified"`).
    #[serde(default)]
    pub allow_global: bool,
    /// Batch inference (`CreateModelInvocationJob`) through the approved
    /// inference profiles must work too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch_inference: bool,
    /// Guardrail profiles (`us.guardrail.v1:0`) whose guardrails must work:
    /// guardrail evaluation in their destination Regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrail_profiles: Vec<String>,
    /// Data-automation profiles (`us.data-automation-v1`) Bedrock Data
    /// Automation must work through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_automation_profiles: Vec<String>,
    /// 12-digit account ids allowed to run inference outside the allowed Regions.
    #[serde(default)]
    pub permitted_accounts: Vec<String>,
    #[serde(default)]
    pub companion_mode: CompanionMode,
    /// Actions added to PV.1's `ExemptedActions` beyond the Bedrock inference actions.
    #[serde(default)]
    pub exempt_actions: Vec<String>,
    /// PV.1's `ExemptedPrincipalArns`, decided explicitly (`[]`: none).
    /// Absent: carried over from what the landing-zone deny exempts beyond
    /// Control Tower's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt_principals: Option<Vec<String>>,
    /// `NotAction` patterns the live landing-zone deny denies and PV.1
    /// exempts, accepted as allowed outside the allowed Regions after the
    /// console step (`kms:*`). The plan names them; each must be accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept_loosened: Vec<String>,
    /// Regions callers run inference from (default: every allowed Region).
    #[serde(default)]
    pub source_regions: Vec<String>,
    #[serde(default = "default_attachment_limit")]
    pub scp_attachment_limit: usize,
    #[serde(default = "default_size_limit")]
    pub scp_size_limit: usize,
}

impl Default for PlanInputs {
    fn default() -> Self {
        PlanInputs {
            inference_profiles: Vec::new(),
            allow_global: false,
            batch_inference: false,
            guardrail_profiles: Vec::new(),
            data_automation_profiles: Vec::new(),
            permitted_accounts: Vec::new(),
            companion_mode: CompanionMode::default(),
            exempt_actions: Vec::new(),
            exempt_principals: None,
            accept_loosened: Vec::new(),
            source_regions: Vec::new(),
            scp_attachment_limit: default_attachment_limit(),
            scp_size_limit: default_size_limit(),
        }
    }
}

/// The guided session's own choices, kept in the answers file under
/// `session` (the plan ignores them): where the plan is exported and
/// whether to apply it at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionChoices {
    /// Directory the plan is exported to.
    #[serde(default = "default_plan_dir")]
    pub plan_dir: String,
    /// The plan's name (`<plan_dir>/<plan_name>.plan.json`).
    #[serde(default = "default_plan_name")]
    pub plan_name: String,
    /// `later`: print the apply command; `now`: apply at once.
    #[serde(default)]
    pub apply: ApplyWhen,
    /// For `apply: now`: the organization id, typed as the confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_organization: Option<String>,
}

fn default_plan_dir() -> String {
    "plans".into()
}

fn default_plan_name() -> String {
    "migration".into()
}

impl Default for SessionChoices {
    fn default() -> Self {
        SessionChoices {
            plan_dir: default_plan_dir(),
            plan_name: default_plan_name(),
            apply: ApplyWhen::Later,
            confirm_organization: None,
        }
    }
}

/// When the guided session applies the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplyWhen {
    #[default]
    Later,
    Now,
}

/// Reads an answers file: the plan inputs, and the guided session's choices
/// under `session` when present. Errors name the field.
pub fn read_answers(text: &str) -> Result<(PlanInputs, Option<SessionChoices>), NotAnswers> {
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| NotAnswers(format!("not JSON: {e}")))?;
    let session = match value.as_object_mut() {
        Some(map) => map.remove("session"),
        None => return Err(NotAnswers("the answers file must be a JSON object".into())),
    };
    let inputs: PlanInputs =
        serde_json::from_value(value).map_err(|e| NotAnswers(e.to_string()))?;
    let session = session
        .map(|s| {
            serde_json::from_value::<SessionChoices>(s)
                .map_err(|e| NotAnswers(format!("session: {e}")))
        })
        .transpose()?;
    Ok((inputs, session))
}

/// Why a text is not an answers file: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotAnswers(pub String);

/// An input that cannot be used, with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: String,
    pub message: String,
    pub hint: String,
}

/// Geography prefixes of cross-region inference profiles.
pub const GEOGRAPHIES: [&str; 7] = ["us", "eu", "apac", "jp", "au", "ca", "global"];

/// Whether `s` is a 12-digit account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

/// Whether `s` looks like an IAM action (`service:Action`, wildcards allowed).
pub fn is_action(s: &str) -> bool {
    let Some((svc, action)) = s.split_once(':') else {
        return false;
    };
    !svc.is_empty()
        && svc
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

/// An approved application inference profile, as `--inference-profile`
/// takes it: its ARN, optionally `=` the system profile it was copied from
/// (for a profile in an account ctmigrate cannot list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationProfileRequest<'a> {
    pub arn: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub id: &'a str,
    pub copied_from: Option<&'a str>,
}

/// Parses `arn:aws:bedrock:REGION:ACCOUNT:application-inference-profile/ID`
/// with an optional `=SYSTEM_PROFILE_ID`, following the ARN pattern of
/// Bedrock's `InferenceProfileSummary`.
pub fn application_profile_request(s: &str) -> Option<ApplicationProfileRequest<'_>> {
    let (arn, copied_from) = match s.split_once('=') {
        Some((a, c)) => (a, Some(c)),
        None => (s, None),
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "bedrock", region, account, resource] = parts.as_slice() else {
        return None;
    };
    let id = resource.strip_prefix("application-inference-profile/")?;
    let ok = matches!(
        *partition,
        "aws" | "aws-us-gov" | "aws-cn" | "aws-iso" | "aws-iso-b"
    ) && is_region_name(region)
        && is_account_id(account)
        && !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.'))
        && copied_from.is_none_or(|c| c.contains('.') && is_profile_request(c));
    ok.then_some(ApplicationProfileRequest {
        arn,
        region,
        account,
        id,
        copied_from,
    })
}

/// Whether `s` is a geography prefix, has the shape of a profile id, or is
/// an application inference profile's ARN.
pub fn is_profile_request(s: &str) -> bool {
    if GEOGRAPHIES.contains(&s) {
        return true;
    }
    if s.starts_with("arn:") {
        return application_profile_request(s).is_some();
    }
    match s.split_once('.') {
        Some((prefix, model)) => {
            GEOGRAPHIES.contains(&prefix)
                && !model.is_empty()
                && model
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        }
        None => false,
    }
}

impl PlanInputs {
    /// Checks every field; the first problem is returned.
    pub fn validate(&self) -> Result<(), InputError> {
        if self.inference_profiles.is_empty() {
            return Err(InputError {
                field: "inference_profiles".into(),
                message: "no inference profile given".into(),
                hint: "name the profiles that must work: --inference-profile jp, or an id such as --inference-profile us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            });
        }
        self.validate_values()
    }

    /// Checks the values that are given (an answers file may leave lists to the flags).
    pub fn validate_values(&self) -> Result<(), InputError> {
        let err = |field: &str, message: String, hint: &str| InputError {
            field: field.to_string(),
            message,
            hint: hint.to_string(),
        };
        for p in &self.inference_profiles {
            if !is_profile_request(p) {
                return Err(err(
                    "inference_profiles",
                    format!("`{p}` is not an inference profile id or geography"),
                    "use a geography prefix (us, eu, apac, jp, au, global), a full id such as jp.anthropic.claude-sonnet-4-5-20250929-v1:0, or an application profile's ARN (arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/ID, with =SYSTEM_PROFILE_ID for one in another account)",
                ));
            }
        }
        for g in &self.guardrail_profiles {
            if !crate::paths::is_guardrail_profile_id(g) {
                return Err(err(
                    "guardrail_profiles",
                    format!("`{g}` is not a guardrail profile id"),
                    &format!(
                        "write the id as a guardrail's crossRegionDetails.guardrailProfileId gives it: {}",
                        crate::paths::catalog::known(crate::paths::BedrockPath::Guardrails)
                            .join(", ")
                    ),
                ));
            }
        }
        for d in &self.data_automation_profiles {
            if !crate::paths::is_data_automation_profile_id(d) {
                return Err(err(
                    "data_automation_profiles",
                    format!("`{d}` is not a data-automation profile id"),
                    &format!(
                        "write the id as the profile's ARN ends: {}",
                        crate::paths::catalog::known(crate::paths::BedrockPath::DataAutomation)
                            .join(", ")
                    ),
                ));
            }
        }
        for a in &self.permitted_accounts {
            if !is_account_id(a) {
                return Err(err(
                    "permitted_accounts",
                    format!("`{a}` is not a 12-digit AWS account id"),
                    "give account ids as 12 digits, e.g. 666666666667",
                ));
            }
        }
        for a in &self.exempt_actions {
            if !is_action(a) {
                return Err(err(
                    "exempt_actions",
                    format!("`{a}` is not an IAM action"),
                    "write actions as service:Action, e.g. pricingplanmanager:* or bedrock:CreateModelInvocationJob",
                ));
            }
        }
        for a in &self.accept_loosened {
            if !is_action(a) {
                return Err(err(
                    "accept_loosened",
                    format!("`{a}` is not an IAM action pattern"),
                    "give the pattern exactly as the plan names it, e.g. --accept-loosened 'kms:*'",
                ));
            }
        }
        for p in self.exempt_principals.iter().flatten() {
            if !crate::plan::pv1::is_exemptable_principal(p) {
                return Err(err(
                    "exempt_principals",
                    format!(
                        "`{p}` does not fit PV.1's ExemptedPrincipalArns pattern {}",
                        crate::plan::pv1::EXEMPTED_PRINCIPAL_PATTERN
                    ),
                    "write an IAM or STS ARN in the aws or aws-us-gov partition, e.g. arn:aws:iam::*:role/BreakGlass (wildcards may stand for the account and the name)",
                ));
            }
        }
        for r in &self.source_regions {
            if !is_region_name(r) {
                return Err(err(
                    "source_regions",
                    format!("`{r}` is not an AWS Region name"),
                    "write Regions like ap-northeast-1",
                ));
            }
        }
        if self.scp_attachment_limit == 0 {
            return Err(err(
                "scp_attachment_limit",
                "the SCP attachment limit must be at least 1".into(),
                "AWS allows 10 SCPs per target since 2026-05-15; omit the field to use 10",
            ));
        }
        if self.scp_size_limit == 0 {
            return Err(err(
                "scp_size_limit",
                "the SCP size limit must be at least 1 character".into(),
                "AWS allows 10,240 characters per SCP since 2026-05-15; omit the field to use 10240",
            ));
        }
        Ok(())
    }

    /// The Bedrock paths these inputs ask for, in plan order (model
    /// inference always).
    pub fn paths(&self) -> Vec<crate::paths::BedrockPath> {
        use crate::paths::BedrockPath;
        let mut out = vec![BedrockPath::Inference];
        if self.batch_inference {
            out.push(BedrockPath::Batch);
        }
        if !self.guardrail_profiles.is_empty() {
            out.push(BedrockPath::Guardrails);
        }
        if !self.data_automation_profiles.is_empty() {
            out.push(BedrockPath::DataAutomation);
        }
        out
    }

    /// Sorted, de-duplicated copies of the lists (so equal intents plan equally).
    pub fn normalised(mut self) -> PlanInputs {
        for list in [
            &mut self.inference_profiles,
            &mut self.guardrail_profiles,
            &mut self.data_automation_profiles,
            &mut self.permitted_accounts,
            &mut self.exempt_actions,
            &mut self.accept_loosened,
            &mut self.source_regions,
        ] {
            list.sort();
            list.dedup();
        }
        if let Some(list) = self.exempt_principals.as_mut() {
            list.sort();
            list.dedup();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_profile_arns_follow_bedrocks_pattern() {
        let arn = "arn:aws:bedrock:us-east-1:666666666667:application-inference-profile/abc123";
        let r = application_profile_request(arn).unwrap();
        assert_eq!(
            (r.region, r.account, r.id, r.copied_from),
            ("us-east-1", "666666666667", "abc123", None)
        );
        let declared = format!("{arn}=us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        let r = application_profile_request(&declared).unwrap();
        assert_eq!(r.arn, arn);
        assert_eq!(
            r.copied_from,
            Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert!(is_profile_request(arn));
        for bad in [
            "arn:aws:bedrock:us-east-1:666666666667:inference-profile/us.x",
            "arn:aws:bedrock:us-east-1:6666:application-inference-profile/abc",
            "arn:aws:bedrock::666666666667:application-inference-profile/abc",
            "arn:aws:bedrock:us-east-1:666666666667:application-inference-profile/",
            "arn:aws:bedrock:us-east-1:666666666667:application-inference-profile/a=us",
            "arn:aws:s3:us-east-1:666666666667:application-inference-profile/abc",
        ] {
            assert!(application_profile_request(bad).is_none(), "{bad}");
            assert!(!is_profile_request(bad), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut i = PlanInputs {
            inference_profiles: vec!["jp".into()],
            ..PlanInputs::default()
        };
        assert!(i.validate().is_ok());
        i.permitted_accounts = vec!["12345".into()];
        assert_eq!(i.validate().unwrap_err().field, "permitted_accounts");
        i.permitted_accounts.clear();
        i.source_regions = vec!["tokyo".into()];
        assert_eq!(i.validate().unwrap_err().field, "source_regions");
        i.source_regions.clear();
        i.scp_attachment_limit = 0;
        assert_eq!(i.validate().unwrap_err().field, "scp_attachment_limit");
        i.scp_attachment_limit = 10;
        i.inference_profiles = vec!["claude".into()];
        assert!(i.validate().unwrap_err().message.contains("`claude`"));
        i.inference_profiles = vec!["us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()];
        i.exempt_actions = vec!["InvokeModel".into()];
        assert_eq!(i.validate().unwrap_err().field, "exempt_actions");
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = serde_json::from_str::<PlanInputs>(
            r#"{"inference_profiles":["jp"],"permited_accounts":[]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("permited_accounts"), "{e}");
    }
}
