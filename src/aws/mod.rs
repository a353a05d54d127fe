//! The only module that imports `aws_sdk_*`. It defines one small trait per
//! service in the tool's own domain types ([`crate::model`]) and implements
//! each over the aws-sdk clients: pagination, retries with the SDK's retry
//! configuration, and error mapping ([`AwsError`]) happen here.
//!
//! Every client comes from one `SdkConfig`. The sandbox is reached through
//! these same clients with an endpoint override, never by bypassing them.
//! Nothing here defaults a Region: Control Tower clients are built for the
//! home Region read from the landing zone ARN, Bedrock clients per source
//! Region, and a missing Region is an error for the caller to explain.
//! It must not decide anything: no planning, no policy evaluation, no output.

mod actions;
mod bedrock;
pub mod calls;
mod catalog;
mod controltower;
mod error;
mod killing_http;
mod organizations;
mod paginate;
mod sts;
mod throttle;

use std::future::Future;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sts::config::Credentials;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

pub use actions::{ACTIONS, ApiAction, TAG_ON_CREATE};
pub use error::{AwsError, AwsErrorKind};
pub use throttle::backoff;

use crate::model::*;

/// How to reach AWS (or an AWS-compatible endpoint).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Static credentials (access key id, secret), used for the sandbox.
    pub static_credentials: Option<(String, String)>,
    /// Attempts per call, including the first (SDK standard retry mode).
    pub max_attempts: u32,
}

/// The loaded SDK configuration every client is built from.
#[derive(Clone, Debug)]
pub struct Aws {
    config: aws_config::SdkConfig,
    region: String,
}

/// Why a configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No Region from `--region`, the profile or the environment.
    NoRegion,
    /// `--profile` (or `AWS_PROFILE`) names no profile in the shared files.
    NoProfile {
        name: String,
        /// The files looked in.
        files: Vec<String>,
        /// The profiles they hold.
        known: Vec<String>,
    },
}

/// The shared config and credentials files, as the SDK finds them
/// (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/…`).
fn shared_files() -> Vec<String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "~".into());
    [
        ("AWS_CONFIG_FILE", ".aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
    ]
    .iter()
    .map(|(var, default)| std::env::var(var).unwrap_or_else(|_| format!("{home}/{default}")))
    .collect()
}

/// Refuses a profile name that no shared file defines, naming the files
/// and the profiles they hold (the SDK would only say "no credentials").
async fn check_profile(name: &str) -> Result<(), ConfigError> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let Ok(set) = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await else {
        // Unreadable or malformed files: the SDK's own error says more.
        return Ok(());
    };
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    Err(ConfigError::NoProfile {
        name: name.to_string(),
        files: shared_files(),
        known: set.profiles().map(str::to_string).collect(),
    })
}

impl Aws {
    /// Loads the configuration: profile, credentials chain (or the given
    /// static credentials), Region, endpoint override, retries and timeouts.
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws, ConfigError> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let http = killing_http::wrap(http);
        let attempts = if opts.max_attempts == 0 {
            5
        } else {
            opts.max_attempts
        };
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        let named = opts
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
        if let Some(p) = &named
            && opts.static_credentials.is_none()
        {
            check_profile(p).await?;
        }
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(u) = &opts.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if let Some((akid, secret)) = &opts.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                akid.clone(),
                secret.clone(),
                None,
                None,
                "ctmigrate-static",
            ));
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or(ConfigError::NoRegion)?;
        Ok(Aws { config, region })
    }

    /// The Region the configuration resolved (`--region`, profile or environment).
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// STS.
pub trait Identity {
    fn caller_identity(&self) -> impl Future<Output = Result<CallerIdentity, AwsError>> + Send;
    /// Assumes `role_arn` (to read a member account) for a short session.
    fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
    ) -> impl Future<Output = Result<TempCredentials, AwsError>> + Send;
}

/// AWS Organizations.
pub trait Organizations {
    fn describe_organization(&self) -> impl Future<Output = Result<Organization, AwsError>> + Send;
    fn list_roots(&self) -> impl Future<Output = Result<Vec<Root>, AwsError>> + Send;
    fn list_organizational_units(
        &self,
        parent: &str,
    ) -> impl Future<Output = Result<Vec<OrgUnit>, AwsError>> + Send;
    fn list_accounts_for_parent(
        &self,
        parent: &str,
    ) -> impl Future<Output = Result<Vec<Account>, AwsError>> + Send;
    fn list_policies(&self) -> impl Future<Output = Result<Vec<PolicySummary>, AwsError>> + Send;
    fn list_policies_for_target(
        &self,
        target: &str,
    ) -> impl Future<Output = Result<Vec<PolicySummary>, AwsError>> + Send;
    fn list_targets_for_policy(
        &self,
        policy: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    fn describe_policy(
        &self,
        policy: &str,
    ) -> impl Future<Output = Result<Policy, AwsError>> + Send;
    fn create_policy(
        &self,
        name: &str,
        description: &str,
        content: &str,
        tags: &[Tag],
    ) -> impl Future<Output = Result<Policy, AwsError>> + Send;
    fn update_policy_content(
        &self,
        policy: &str,
        content: &str,
    ) -> impl Future<Output = Result<Policy, AwsError>> + Send;
    fn delete_policy(&self, policy: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn attach_policy(
        &self,
        policy: &str,
        target: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn detach_policy(
        &self,
        policy: &str,
        target: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn list_tags(&self, resource: &str) -> impl Future<Output = Result<Vec<Tag>, AwsError>> + Send;
}

/// Filter for [`ControlTower::list_enabled_controls`].
#[derive(Debug, Clone, Default)]
pub struct EnabledControlQuery<'a> {
    pub target: Option<&'a str>,
    pub control: Option<&'a str>,
    pub include_children: bool,
}

/// AWS Control Tower, bound to one Region.
pub trait ControlTower {
    fn list_landing_zones(&self) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    fn get_landing_zone(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<LandingZone, AwsError>> + Send;
    fn list_landing_zone_operations(
        &self,
    ) -> impl Future<Output = Result<Vec<LandingZoneOperation>, AwsError>> + Send;
    fn get_landing_zone_operation(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<LandingZoneOperation, AwsError>> + Send;
    fn list_enabled_baselines(
        &self,
        include_children: bool,
    ) -> impl Future<Output = Result<Vec<EnabledBaseline>, AwsError>> + Send;
    fn list_enabled_controls(
        &self,
        query: EnabledControlQuery<'_>,
    ) -> impl Future<Output = Result<Vec<EnabledControl>, AwsError>> + Send;
    fn get_enabled_control(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<EnabledControl, AwsError>> + Send;
    /// Returns (operation id, enabled control ARN).
    fn enable_control(
        &self,
        control: &str,
        target: &str,
        parameters: &[ControlParameter],
        tags: &std::collections::BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(String, Option<String>), AwsError>> + Send;
    /// The tags of a Control Tower resource (an enabled control).
    fn list_tags_for_resource(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<std::collections::BTreeMap<String, String>, AwsError>> + Send;
    fn disable_control(
        &self,
        enabled_control: &str,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    fn update_enabled_control(
        &self,
        enabled_control: &str,
        parameters: &[ControlParameter],
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    fn get_control_operation(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<ControlOperation, AwsError>> + Send;
    fn list_control_operations(
        &self,
        status: Option<OperationStatus>,
    ) -> impl Future<Output = Result<Vec<ControlOperation>, AwsError>> + Send;
}

/// AWS Control Catalog.
pub trait ControlCatalog {
    /// Controls implemented as SCPs.
    fn list_scp_controls(
        &self,
    ) -> impl Future<Output = Result<Vec<CatalogControl>, AwsError>> + Send;
}

/// Amazon Bedrock, bound to one source Region.
pub trait Bedrock {
    fn list_inference_profiles(
        &self,
    ) -> impl Future<Output = Result<Vec<InferenceProfile>, AwsError>> + Send;
    /// The caller's guardrails in the Region (their latest versions), each
    /// with the guardrail profile it routes through.
    fn list_guardrails(&self) -> impl Future<Output = Result<Vec<Guardrail>, AwsError>> + Send;
    /// The guardrails the caller's account enforces in the Region.
    fn list_enforced_guardrails(
        &self,
    ) -> impl Future<Output = Result<Vec<EnforcedGuardrail>, AwsError>> + Send;
    /// The caller's batch inference jobs in the Region.
    fn list_batch_jobs(&self) -> impl Future<Output = Result<Vec<BatchJob>, AwsError>> + Send;
}

/// Hands out the per-service clients, bound to the Regions they need.
pub trait Apis: Send + Sync {
    type Identity: Identity + Send + Sync;
    type Organizations: Organizations + Send + Sync;
    type ControlTower: ControlTower + Send + Sync;
    type ControlCatalog: ControlCatalog + Send + Sync;
    type Bedrock: Bedrock + Send + Sync;

    /// The Region the user configured.
    fn configured_region(&self) -> &str;
    fn identity(&self) -> Self::Identity;
    fn organizations(&self) -> Self::Organizations;
    fn control_tower(&self, region: &str) -> Self::ControlTower;
    fn control_catalog(&self) -> Self::ControlCatalog;
    fn bedrock(&self, region: &str) -> Self::Bedrock;
    /// Bedrock in `region` as the holder of `credentials` (a member account).
    fn bedrock_as(&self, region: &str, credentials: &TempCredentials) -> Self::Bedrock;
}

impl Apis for Aws {
    type Identity = sts::SdkIdentity;
    type Organizations = organizations::SdkOrganizations;
    type ControlTower = controltower::SdkControlTower;
    type ControlCatalog = catalog::SdkControlCatalog;
    type Bedrock = bedrock::SdkBedrock;

    fn configured_region(&self) -> &str {
        &self.region
    }

    fn identity(&self) -> Self::Identity {
        sts::SdkIdentity::new(&self.config)
    }

    fn organizations(&self) -> Self::Organizations {
        organizations::SdkOrganizations::new(&self.config)
    }

    fn control_tower(&self, region: &str) -> Self::ControlTower {
        controltower::SdkControlTower::new(&self.config, region)
    }

    fn control_catalog(&self) -> Self::ControlCatalog {
        catalog::SdkControlCatalog::new(&self.config)
    }

    fn bedrock(&self, region: &str) -> Self::Bedrock {
        bedrock::SdkBedrock::new(&self.config, region, None)
    }

    fn bedrock_as(&self, region: &str, credentials: &TempCredentials) -> Self::Bedrock {
        let creds = Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
            Some(credentials.session_token.clone()),
            None,
            "ctmigrate-assume-role",
        );
        bedrock::SdkBedrock::new(&self.config, region, Some(creds))
    }
}

/// Converts a smithy `Document` into JSON.
fn document_to_json(doc: &aws_smithy_types::Document) -> serde_json::Value {
    use aws_smithy_types::{Document, Number};
    match doc {
        Document::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), document_to_json(v)))
                .collect(),
        ),
        Document::Array(list) => {
            serde_json::Value::Array(list.iter().map(document_to_json).collect())
        }
        Document::Number(Number::PosInt(n)) => serde_json::Value::from(*n),
        Document::Number(Number::NegInt(n)) => serde_json::Value::from(*n),
        Document::Number(Number::Float(f)) => serde_json::Value::from(*f),
        Document::String(s) => serde_json::Value::String(s.clone()),
        Document::Bool(b) => serde_json::Value::Bool(*b),
        Document::Null => serde_json::Value::Null,
    }
}

/// Converts JSON into a smithy `Document`.
fn json_to_document(v: &serde_json::Value) -> aws_smithy_types::Document {
    use aws_smithy_types::{Document, Number};
    match v {
        serde_json::Value::Object(map) => Document::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_document(v)))
                .collect(),
        ),
        serde_json::Value::Array(list) => {
            Document::Array(list.iter().map(json_to_document).collect())
        }
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Document::Number(Number::PosInt(u))
            } else if let Some(i) = n.as_i64() {
                Document::Number(Number::NegInt(i))
            } else {
                Document::Number(Number::Float(n.as_f64().unwrap_or(0.0)))
            }
        }
        serde_json::Value::String(s) => Document::String(s.clone()),
        serde_json::Value::Bool(b) => Document::Bool(*b),
        serde_json::Value::Null => Document::Null,
    }
}

/// RFC 3339 text of an SDK timestamp.
fn iso(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_json() {
        let v = serde_json::json!({"AllowedRegions": ["us-east-1"], "n": 3, "neg": -2, "f": 1.5, "b": true, "z": null});
        assert_eq!(document_to_json(&json_to_document(&v)), v);
    }
}
