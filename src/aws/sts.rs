//! STS over aws-sdk-sts.

use super::paginate::sent;
use super::{AwsError, Identity};
use crate::model::CallerIdentity;

pub struct SdkIdentity {
    client: aws_sdk_sts::Client,
}

impl SdkIdentity {
    pub fn new(config: &aws_config::SdkConfig) -> SdkIdentity {
        SdkIdentity {
            client: aws_sdk_sts::Client::new(config),
        }
    }
}

impl Identity for SdkIdentity {
    async fn caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        let out = sent!(
            "sts",
            "GetCallerIdentity",
            self.client.get_caller_identity()
        );
        Ok(CallerIdentity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
            user_id: out.user_id().unwrap_or_default().to_string(),
        })
    }
}
