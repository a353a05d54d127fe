//! The Bedrock paths that cross Regions (docs/bedrock-paths.md): model
//! inference through inference profiles, batch inference, guardrails with a
//! guardrail profile, and Bedrock Data Automation. For each: the actions it
//! needs exempted and fenced, how the companion SCP can tell an approved
//! request from another (the `bedrock:InferenceProfileArn` key, or the
//! resource ARN), and the page that documents it. Also the documented
//! catalogs of guardrail and data-automation profiles ([`catalog`]) and
//! what the account's discovered use says about which paths must work
//! ([`found`]).
//!
//! Pure data and judgement: it must not call AWS, and it decides nothing
//! about a plan beyond what each path needs.

pub mod catalog;
pub mod found;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One way Bedrock crosses Regions.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BedrockPath {
    #[default]
    /// InvokeModel, InvokeModelWithResponseStream (and Converse,
    /// ConverseStream, which are authorized as those) through an inference
    /// profile. Every plan has it.
    Inference,
    /// Batch inference (`CreateModelInvocationJob`) with an inference
    /// profile as `modelId`.
    Batch,
    /// Guardrail evaluation through a guardrail profile
    /// (`ApplyGuardrail`, or a guardrail attached to a model call).
    Guardrails,
    /// Bedrock Data Automation through a data-automation profile.
    DataAutomation,
}

/// How the companion SCP tells an approved request of a path from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fence {
    /// The request carries `bedrock:InferenceProfileArn` on a call through
    /// a profile, and not on a direct call.
    InferenceProfileKey,
    /// The request names the profile itself as its resource
    /// (`arn:aws:bedrock:<destination>:<account>:<resource_type>/<id>`)
    /// and carries no `bedrock:InferenceProfileArn`.
    ProfileResource { resource_type: &'static str },
}

impl BedrockPath {
    /// Every path, in the order plans list them.
    pub const ALL: [BedrockPath; 4] = [
        BedrockPath::Inference,
        BedrockPath::Batch,
        BedrockPath::Guardrails,
        BedrockPath::DataAutomation,
    ];

    /// Whether it is [`BedrockPath::Inference`] (serde's skip test).
    pub fn is_inference(&self) -> bool {
        *self == BedrockPath::Inference
    }

    /// The name used in flags, files and docs.
    pub fn name(self) -> &'static str {
        match self {
            BedrockPath::Inference => "inference",
            BedrockPath::Batch => "batch",
            BedrockPath::Guardrails => "guardrails",
            BedrockPath::DataAutomation => "data-automation",
        }
    }

    /// A short description for people.
    pub fn title(self) -> &'static str {
        match self {
            BedrockPath::Inference => "model inference through inference profiles",
            BedrockPath::Batch => "batch inference through inference profiles",
            BedrockPath::Guardrails => "guardrails with a guardrail profile",
            BedrockPath::DataAutomation => "Bedrock Data Automation",
        }
    }

    /// The IAM actions the path needs in every destination Region: what
    /// PV.1 must exempt and the companion must fence.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            BedrockPath::Inference => &[
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream",
            ],
            BedrockPath::Batch => &["bedrock:CreateModelInvocationJob"],
            BedrockPath::Guardrails => &["bedrock:ApplyGuardrail"],
            BedrockPath::DataAutomation => &["bedrock:InvokeDataAutomationAsync"],
        }
    }

    /// How the companion fences it.
    pub fn fence(self) -> Fence {
        match self {
            BedrockPath::Inference | BedrockPath::Batch => Fence::InferenceProfileKey,
            BedrockPath::Guardrails => Fence::ProfileResource {
                resource_type: "guardrail-profile",
            },
            BedrockPath::DataAutomation => Fence::ProfileResource {
                resource_type: "data-automation-profile",
            },
        }
    }

    /// Why its actions are exempted, for the plan.
    pub fn why(self) -> &'static str {
        match self {
            BedrockPath::Inference => {
                "an inference profile sends each InvokeModel (Converse) call on to one of its destination Regions, where it is authorized again"
            }
            BedrockPath::Batch => {
                "a batch job whose modelId is an inference profile runs its records in the profile's destination Regions; AWS's guidance lists CreateModelInvocationJob beside InvokeModel* as an action to allow there"
            }
            BedrockPath::Guardrails => {
                "a guardrail with a guardrail profile is evaluated in the profile's destination Regions, authorized as ApplyGuardrail on the guardrail profile's ARN there, whether the guardrail is applied directly, attached to a model call or enforced"
            }
            BedrockPath::DataAutomation => {
                "Bedrock Data Automation always processes through a data-automation profile, authorized as InvokeDataAutomationAsync on the profile's ARN in its destination Regions"
            }
        }
    }

    /// The documentation the path is modelled on.
    pub fn documentation(self) -> &'static str {
        match self {
            BedrockPath::Inference => {
                "https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html"
            }
            BedrockPath::Batch => {
                "https://github.com/aws-samples/service-control-policy-examples/blob/main/Region-controls/Deny-access-to-AWS-based-on-the-requested-AWS-region-with-Bedrock-CRIS.json"
            }
            BedrockPath::Guardrails => {
                "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrail-profiles-permissions.html"
            }
            BedrockPath::DataAutomation => {
                "https://docs.aws.amazon.com/bedrock/latest/userguide/bda-cris.html"
            }
        }
    }

    /// The path an action belongs to (case-insensitive), if any.
    pub fn of_action(action: &str) -> Option<BedrockPath> {
        BedrockPath::ALL
            .into_iter()
            .find(|p| p.actions().iter().any(|a| a.eq_ignore_ascii_case(action)))
    }

    /// For a path fenced by resource: the ARN pattern of any of its
    /// profiles (`arn:aws:bedrock:*:*:guardrail-profile/*`).
    pub fn any_profile_arn(self) -> Option<String> {
        match self.fence() {
            Fence::ProfileResource { resource_type } => {
                Some(format!("arn:aws:bedrock:*:*:{resource_type}/*"))
            }
            Fence::InferenceProfileKey => None,
        }
    }

    /// For a path fenced by resource: the ARN pattern that approves one
    /// profile id in every Region and account.
    pub fn profile_arn(self, id: &str) -> Option<String> {
        match self.fence() {
            Fence::ProfileResource { resource_type } => {
                Some(format!("arn:aws:bedrock:*:*:{resource_type}/{id}"))
            }
            Fence::InferenceProfileKey => None,
        }
    }
}

impl std::fmt::Display for BedrockPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The destination Regions of an inference profile's models (a Region-less
/// model ARN stands for global routing: `unspecified` and every commercial
/// Region).
pub fn model_destinations(model_arns: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for arn in model_arns {
        match crate::model::arn_region(arn) {
            Some(r) => out.push(r.to_string()),
            None => {
                out.push(crate::regions::UNSPECIFIED.to_string());
                out.extend(
                    crate::regions::COMMERCIAL_REGIONS
                        .iter()
                        .map(|r| r.to_string()),
                );
            }
        }
    }
    out
}

/// Whether `id` has the shape of a guardrail profile id, as the Bedrock API
/// gives it (`[a-z0-9-]+.guardrail.v[0-9:]+`).
pub fn is_guardrail_profile_id(id: &str) -> bool {
    let Some((geo, rest)) = id.split_once(".guardrail.v") else {
        return false;
    };
    !geo.is_empty()
        && geo
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// Whether `id` has the shape of a data-automation profile id
/// (`us.data-automation-v1`).
pub fn is_data_automation_profile_id(id: &str) -> bool {
    let Some((geo, version)) = id.split_once(".data-automation-v") else {
        return false;
    };
    !geo.is_empty()
        && geo
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_belongs_to_one_path() {
        for p in BedrockPath::ALL {
            for a in p.actions() {
                assert_eq!(BedrockPath::of_action(a), Some(p));
                assert_eq!(BedrockPath::of_action(&a.to_ascii_lowercase()), Some(p));
            }
        }
        assert_eq!(BedrockPath::of_action("bedrock:ListGuardrails"), None);
    }

    #[test]
    fn profile_ids_follow_the_api_patterns() {
        assert!(is_guardrail_profile_id("us.guardrail.v1:0"));
        assert!(is_guardrail_profile_id("us-gov.guardrail.v1:0"));
        assert!(!is_guardrail_profile_id("us.guardrail"));
        assert!(!is_guardrail_profile_id("US.guardrail.v1:0"));
        assert!(!is_guardrail_profile_id(".guardrail.v1:0"));
        assert!(is_data_automation_profile_id("us.data-automation-v1"));
        assert!(!is_data_automation_profile_id("us.data-automation-vX"));
        assert!(!is_data_automation_profile_id("us.guardrail.v1:0"));
    }

    #[test]
    fn resource_fenced_paths_name_their_profiles() {
        assert_eq!(
            BedrockPath::Guardrails
                .profile_arn("us.guardrail.v1:0")
                .as_deref(),
            Some("arn:aws:bedrock:*:*:guardrail-profile/us.guardrail.v1:0")
        );
        assert_eq!(BedrockPath::Batch.any_profile_arn(), None);
    }
}
