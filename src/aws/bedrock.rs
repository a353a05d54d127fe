//! Amazon Bedrock inference profiles over aws-sdk-bedrock, bound to one
//! source Region.

use aws_sdk_bedrock::types::{InferenceProfileSummary, InferenceProfileType};

use super::paginate::items;
use super::{AwsError, Bedrock};
use crate::model::InferenceProfile;

pub struct SdkBedrock {
    client: aws_sdk_bedrock::Client,
    region: String,
}

impl SdkBedrock {
    pub fn new(config: &aws_config::SdkConfig, region: &str) -> SdkBedrock {
        let conf = aws_sdk_bedrock::config::Builder::from(config)
            .region(aws_sdk_bedrock::config::Region::new(region.to_string()))
            .build();
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
}
