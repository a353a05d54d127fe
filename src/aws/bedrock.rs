//! Amazon Bedrock over aws-sdk-bedrock, bound to one source Region: the
//! inference profiles, and the other paths that cross Regions (guardrails
//! with a guardrail profile, enforced guardrails, batch inference jobs).

use aws_sdk_bedrock::types::{InferenceProfileSummary, InferenceProfileType};

use super::paginate::items;
use super::{AwsError, Bedrock};
use crate::model::{BatchJob, EnforcedGuardrail, Guardrail, InferenceProfile};

/// RFC 3339 text of an SDK timestamp.
fn rfc3339(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

pub struct SdkBedrock {
    client: aws_sdk_bedrock::Client,
    region: String,
}

impl SdkBedrock {
    /// A client for `region`, as the configured caller or, with
    /// `credentials`, as a role assumed in a member account.
    pub fn new(
        config: &aws_config::SdkConfig,
        region: &str,
        credentials: Option<aws_sdk_bedrock::config::Credentials>,
    ) -> SdkBedrock {
        let mut builder = aws_sdk_bedrock::config::Builder::from(config)
            .region(aws_sdk_bedrock::config::Region::new(region.to_string()))
            .interceptor(super::calls::Counter { service: "bedrock" });
        if let Some(c) = credentials {
            builder = builder.credentials_provider(c);
        }
        let conf = builder.build();
        SdkBedrock {
            client: aws_sdk_bedrock::Client::from_conf(conf),
            region: region.to_string(),
        }
    }
}

impl Bedrock for SdkBedrock {
    /// The system-defined profiles offered in the Region, then the caller's
    /// own application profiles there.
    async fn list_inference_profiles(&self) -> Result<Vec<InferenceProfile>, AwsError> {
        let mut list: Vec<InferenceProfileSummary> = Vec::new();
        for kind in [
            InferenceProfileType::SystemDefined,
            InferenceProfileType::Application,
        ] {
            let page: Vec<InferenceProfileSummary> = items!(
                "bedrock",
                "ListInferenceProfiles",
                self.client.list_inference_profiles().type_equals(kind)
            );
            list.extend(page);
        }
        Ok(list
            .iter()
            .map(|p| InferenceProfile {
                id: p.inference_profile_id().to_string(),
                arn: p.inference_profile_arn().to_string(),
                name: p.inference_profile_name().to_string(),
                source_region: self.region.clone(),
                model_arns: p
                    .models()
                    .iter()
                    .filter_map(|m| m.model_arn().map(str::to_string))
                    .collect(),
                kind: p.r#type().as_str().into(),
                status: p.status().as_str().into(),
            })
            .collect())
    }

    async fn list_guardrails(&self) -> Result<Vec<Guardrail>, AwsError> {
        let list = items!("bedrock", "ListGuardrails", self.client.list_guardrails());
        Ok(list
            .iter()
            .map(|g| Guardrail {
                id: g.id().to_string(),
                arn: g.arn().to_string(),
                name: g.name().to_string(),
                version: g.version().to_string(),
                status: g.status().as_str().to_string(),
                region: self.region.clone(),
                profile_id: g
                    .cross_region_details()
                    .and_then(|d| d.guardrail_profile_id())
                    .map(str::to_string),
            })
            .collect())
    }

    async fn list_enforced_guardrails(&self) -> Result<Vec<EnforcedGuardrail>, AwsError> {
        let list = items!(
            "bedrock",
            "ListEnforcedGuardrailsConfiguration",
            self.client.list_enforced_guardrails_configuration()
        );
        Ok(list
            .iter()
            .map(|c| EnforcedGuardrail {
                config_id: c.config_id().unwrap_or_default().to_string(),
                guardrail_arn: c.guardrail_arn().unwrap_or_default().to_string(),
                guardrail_id: c.guardrail_id().unwrap_or_default().to_string(),
                guardrail_version: c.guardrail_version().unwrap_or_default().to_string(),
                owner: c
                    .owner()
                    .map(|o| o.as_str())
                    .unwrap_or_default()
                    .to_string(),
                region: self.region.clone(),
            })
            .collect())
    }

    async fn list_batch_jobs(&self) -> Result<Vec<BatchJob>, AwsError> {
        let list = items!(
            "bedrock",
            "ListModelInvocationJobs",
            self.client.list_model_invocation_jobs()
        );
        Ok(list
            .iter()
            .map(|j| BatchJob {
                arn: j.job_arn().to_string(),
                name: j.job_name().to_string(),
                model_id: j.model_id().to_string(),
                status: j
                    .status()
                    .map(|s| s.as_str())
                    .unwrap_or_default()
                    .to_string(),
                region: self.region.clone(),
                submitted_at: rfc3339(j.submit_time()),
            })
            .collect())
    }
}
