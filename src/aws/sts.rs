//! STS over aws-sdk-sts.

use super::paginate::sent;
use super::{AwsError, Identity};
use crate::model::{CallerIdentity, TempCredentials};

pub struct SdkIdentity {
    client: aws_sdk_sts::Client,
}

impl SdkIdentity {
    pub fn new(config: &aws_config::SdkConfig) -> SdkIdentity {
        SdkIdentity {
            client: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .interceptor(super::calls::Counter { service: "sts" })
                    .build(),
            ),
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

    async fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
    ) -> Result<TempCredentials, AwsError> {
        let out = sent!(
            "sts",
            "AssumeRole",
            self.client
                .assume_role()
                .role_arn(role_arn)
                .role_session_name(session_name)
                .duration_seconds(900)
        );
        let c = out.credentials().ok_or_else(|| AwsError {
            service: "sts",
            operation: "AssumeRole",
            kind: super::AwsErrorKind::Other("the answer holds no credentials".into()),
            retry_after_secs: None,
        })?;
        Ok(TempCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().to_string(),
        })
    }
}
