//! A connection to the organization for one command: AWS through the
//! aws adapter, or the embedded sandbox started on a free loopback port and
//! reached through the same adapter with an endpoint override. The one
//! place that starts the embedded sandbox. Also the reads most commands
//! begin with (the organization and its inference profiles), behind one
//! spinner.

use crate::aws::{Aws, ConfigError, ConnectOptions};
use crate::error::{Error, ErrorKind};
use crate::output::Output;
use crate::settings::Settings;
use crate::snapshot::Estate;

/// A connection to AWS or to the embedded sandbox.
pub struct Session {
    pub aws: Aws,
    sandbox: Option<crate::sandbox::RunningSandbox>,
    /// The role to read member accounts' Bedrock use through (`--member-role`).
    member_role: Option<String>,
}

impl Session {
    /// Connects as the global flags say; with `--sandbox`, starts the embedded
    /// sandbox on a free loopback port and points the SDK clients at it.
    pub async fn connect(settings: &Settings, out: &Output) -> Result<Session, Error> {
        let (opts, sandbox) = if settings.connection.sandbox {
            let options = crate::sandbox::ServeOptions {
                faults: crate::sandbox::fault_spec(settings.sandbox_faults.as_deref())?,
                request_log: settings.sandbox_request_log.clone(),
            };
            let sb = crate::sandbox::start(&settings.connection.sandbox_dir, 0, options).await?;
            out.detail(&format!(
                "sandbox {} listening on {}",
                settings.connection.sandbox_dir.display(),
                sb.endpoint_url()
            ));
            let opts = ConnectOptions {
                profile: None,
                region: Some(
                    settings
                        .connection
                        .region
                        .clone()
                        .unwrap_or_else(|| sb.default_region().to_string()),
                ),
                endpoint_url: Some(sb.endpoint_url()),
                static_credentials: Some((
                    crate::sandbox::SANDBOX_ACCESS_KEY_ID.to_string(),
                    crate::sandbox::SANDBOX_SECRET_ACCESS_KEY.to_string(),
                )),
                max_attempts: 0,
            };
            (opts, Some(sb))
        } else {
            let opts = ConnectOptions {
                profile: settings.connection.profile.clone(),
                region: settings.connection.region.clone(),
                endpoint_url: settings.connection.endpoint_url.clone(),
                static_credentials: None,
                max_attempts: 0,
            };
            (opts, None)
        };
        let aws = Aws::connect(&opts).await.map_err(|e| match e {
            ConfigError::NoRegion => Error::new(ErrorKind::Config, "no AWS Region is configured")
                .hint("pass --region with your Control Tower home Region (or set AWS_REGION or a region in your profile); to try ctmigrate without AWS, add --sandbox"),
            ConfigError::NoProfile { name, files, known } => Error::new(
                ErrorKind::Config,
                format!("AWS profile `{name}` was not found in {}", files.join(" or ")),
            )
            .hint(if known.is_empty() {
                format!("those files define no profile: create it (`aws configure sso --profile {name}` or `aws configure --profile {name}`), or try ctmigrate without AWS with --sandbox")
            } else {
                format!("the profiles there are: {}; pass one of them with --profile (or AWS_PROFILE), or create `{name}` with `aws configure sso --profile {name}`", known.join(", "))
            }),
        })?;
        Ok(Session {
            aws,
            sandbox,
            member_role: settings.connection.member_role.clone(),
        })
    }

    /// Reads the organization, then the inference profiles and the other
    /// Bedrock paths in its governed Regions plus `extra_regions`, behind
    /// one spinner.
    pub async fn read_estate(
        &self,
        out: &Output,
        extra_regions: &[String],
    ) -> Result<Estate, Error> {
        let spinner = out.spinner("Reading the organization");
        let snapshot = crate::discover::discover(&self.aws, &|m: &str| spinner.set(m)).await;
        let snapshot = match snapshot {
            Ok(s) => s,
            Err(e) => {
                spinner.finish();
                return Err(e);
            }
        };
        spinner.set("Reading inference profiles");
        let mut regions: std::collections::BTreeSet<String> = snapshot
            .landing_zone
            .governed_regions
            .iter()
            .cloned()
            .collect();
        regions.extend(extra_regions.iter().cloned());
        let regions: Vec<String> = regions.into_iter().collect();
        let profiles = crate::discover::inference_profiles(&self.aws, &regions).await;
        spinner.set(if self.member_role.is_some() {
            "Reading guardrails and batch jobs in every member account"
        } else {
            "Reading guardrails and batch jobs"
        });
        // The accounts the migration governs: under a registered first-tier OU.
        let members: Vec<String> = snapshot
            .first_tier_ous()
            .filter(|o| o.registered)
            .flat_map(|o| snapshot.accounts_under(&o.id))
            .filter(|a| a.status == "ACTIVE")
            .map(|a| a.id.clone())
            .collect();
        let bedrock_use = crate::discover::bedrock_use(
            &self.aws,
            &regions,
            &snapshot.caller,
            &members,
            self.member_role.as_deref(),
        )
        .await;
        spinner.finish();
        Ok(Estate {
            snapshot,
            profiles,
            bedrock_use,
        })
    }

    /// Stops the embedded sandbox, if any, and waits for it. (Dropping the
    /// session stops it too, without waiting.)
    pub async fn close(self) {
        if let Some(sb) = self.sandbox {
            sb.stop().await;
        }
    }
}
