//! The domain types the tool reasons about: what the AWS adapters return and
//! what discovery records. Plain data with serde, no behaviour beyond small
//! accessors; no AWS SDK types (only `aws` converts to and from those).

use serde::{Deserialize, Serialize};

/// A value's AWS spelling: its serde name (`IN_PROGRESS`, `UNDER_CHANGE`, or
/// the text of a value this version does not know).
fn wire_name(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Status enums in their AWS spelling: `Display` writes it, `From<&str>`
/// reads it (an unknown value is kept as `Other`), serde uses it, so that
/// no module compares status text.
macro_rules! aws_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version of ctmigrate does not know, as AWS sent it.
            #[serde(untagged)]
            Other(String),
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&wire_name(self))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                serde_json::from_value(serde_json::Value::String(s.to_string()))
                    .unwrap_or_else(|_| $name::Other(s.to_string()))
            }
        }
    };
}

aws_enum! {
    /// The status of a Control Tower control or landing-zone operation.
    OperationStatus { InProgress, Succeeded, Failed }
}

aws_enum! {
    /// An enabled control's `statusSummary.status`.
    EnablementStatus { Succeeded, Failed, UnderChange }
}

aws_enum! {
    /// A landing zone's status.
    LandingZoneStatus { Active, Processing, Failed }
}

aws_enum! {
    /// Who made an inference profile: AWS (`SYSTEM_DEFINED`, the
    /// cross-Region profiles) or a user (`APPLICATION`, copied from a
    /// system profile or a model).
    ProfileType { SystemDefined, Application }
}

aws_enum! {
    /// An inference profile's status.
    ProfileStatus { Active }
}

aws_enum! {
    /// A landing zone's or an enabled control's drift status.
    DriftStatus { Drifted, InSync, NotChecking, Unknown }
}

/// Who the credentials belong to (STS GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// The organization (DescribeOrganization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub arn: String,
    pub management_account_id: String,
    pub feature_set: String,
    pub scp_enabled: bool,
}

/// The organization root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub scp_enabled: bool,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: String,
    pub arn: String,
    pub name: String,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub email: String,
    pub status: String,
}

/// An SCP without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySummary {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub description: String,
    pub aws_managed: bool,
}

/// An SCP with its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub summary: PolicySummary,
    pub content: String,
}

/// A tag on an Organizations resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The Control Tower landing zone (GetLandingZone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandingZone {
    pub arn: String,
    /// Read from the landing zone ARN.
    pub home_region: String,
    pub version: String,
    pub latest_available_version: Option<String>,
    pub status: LandingZoneStatus,
    pub drift_status: Option<DriftStatus>,
    pub governed_regions: Vec<String>,
    /// The manifest as Control Tower returned it; read tolerantly, never rewritten.
    pub manifest: serde_json::Value,
}

/// A landing-zone operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandingZoneOperation {
    pub id: String,
    pub kind: String,
    pub status: OperationStatus,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub message: Option<String>,
}

/// A baseline enabled on a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnabledBaseline {
    pub arn: String,
    pub baseline_identifier: String,
    pub baseline_version: Option<String>,
    pub target: String,
    pub parent: Option<String>,
}

/// One parameter of an enabled control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlParameter {
    pub key: String,
    pub value: serde_json::Value,
}

/// A control enabled on a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnabledControl {
    pub arn: String,
    pub control_identifier: String,
    pub target: String,
    pub status: EnablementStatus,
    pub drift_status: Option<DriftStatus>,
    pub parent: Option<String>,
    pub last_operation: Option<String>,
    /// Filled by GetEnabledControl; empty from ListEnabledControls.
    pub parameters: Vec<ControlParameter>,
}

/// An asynchronous control operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlOperation {
    pub id: String,
    pub kind: String,
    pub status: OperationStatus,
    pub message: Option<String>,
    pub control_identifier: Option<String>,
    pub target: Option<String>,
    pub enabled_control: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

/// A control in the Control Catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogControl {
    pub arn: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub implementation_type: Option<String>,
}

/// A Bedrock inference profile as seen from one source Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferenceProfile {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub source_region: String,
    pub model_arns: Vec<String>,
    pub kind: ProfileType,
    pub status: ProfileStatus,
}

impl InferenceProfile {
    /// Whether a user created it (`type` `APPLICATION`), copied from a
    /// system profile or a model.
    pub fn is_application(&self) -> bool {
        self.kind == ProfileType::Application
    }
}

/// Temporary credentials from `sts:AssumeRole`, to read a member account.
/// Its `Debug` never shows the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TempCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl std::fmt::Debug for TempCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A Bedrock guardrail in one Region (`ListGuardrails`), with the guardrail
/// profile it routes evaluation through, if any (`crossRegionDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardrail {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub region: String,
    /// `crossRegionDetails.guardrailProfileId` (`us.guardrail.v1:0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
}

/// A guardrail an account enforces on every model call in one Region
/// (`ListEnforcedGuardrailsConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnforcedGuardrail {
    pub config_id: String,
    pub guardrail_arn: String,
    pub guardrail_id: String,
    pub guardrail_version: String,
    /// `ACCOUNT` (the only owner the API names today).
    pub owner: String,
    pub region: String,
}

/// A batch inference job (`ListModelInvocationJobs`) in one Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJob {
    pub arn: String,
    pub name: String,
    /// The model or inference profile the job runs on, as given.
    pub model_id: String,
    pub status: String,
    pub region: String,
    /// RFC 3339.
    pub submitted_at: String,
}

/// The Region named by an ARN (`arn:partition:service:REGION:...`), if any.
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// The last path segment of an ARN (`.../ou-abcd-1234` → `ou-abcd-1234`).
pub fn arn_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_write_their_aws_spelling() {
        assert_eq!(
            OperationStatus::from("IN_PROGRESS"),
            OperationStatus::InProgress
        );
        assert_eq!(EnablementStatus::UnderChange.to_string(), "UNDER_CHANGE");
        assert_eq!(DriftStatus::from("IN_SYNC"), DriftStatus::InSync);
        let new = LandingZoneStatus::from("DECOMMISSIONING");
        assert_eq!(new, LandingZoneStatus::Other("DECOMMISSIONING".into()));
        assert_eq!(new.to_string(), "DECOMMISSIONING");
        assert_eq!(
            serde_json::to_string(&LandingZoneStatus::Active).unwrap(),
            "\"ACTIVE\""
        );
    }

    #[test]
    fn arn_helpers() {
        assert_eq!(
            arn_region("arn:aws:controltower:ap-northeast-1:111111111111:landingzone/X"),
            Some("ap-northeast-1")
        );
        assert_eq!(arn_region("arn:aws:bedrock:::foundation-model/m"), None);
        assert_eq!(
            arn_id("arn:aws:organizations::1:ou/o-1/ou-ab-12"),
            "ou-ab-12"
        );
    }
}
