//! One function per subcommand: turn parsed flags into calls on the library
//! (discover, detect, sandbox) and hand the result to `output`. Thin on
//! purpose; this is also the only place that starts the embedded sandbox and
//! connects it to the aws adapter through an endpoint override.

mod apply;
mod check;
mod detect;
mod explain;
mod plan;
mod policy;
mod sandbox;
mod simulate;
mod wizard;

use crate::aws::{Aws, ConfigError, ConnectOptions};
use crate::cli::Command;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::Output;
use crate::settings::Settings;

/// Runs the parsed command.
pub async fn dispatch(
    command: Option<Command>,
    settings: &Settings,
    out: &Output,
) -> Result<Exit, Error> {
    let Some(command) = command else {
        if settings.interactive() {
            let defaults = crate::cli::WizardArgs {
                max_concurrency: 8,
                ..Default::default()
            };
            return wizard::run(settings, &defaults, out).await;
        }
        // No one to ask: the read-only report instead of the session.
        out.warn("the guided session needs a terminal; this is the read-only report (`ctmigrate detect`) instead. Run `ctmigrate` in a terminal, or replay a session with `ctmigrate wizard --answers FILE`");
        let quotas = crate::cli::QuotaArgs {
            scp_attachment_limit: 10,
            scp_size_limit: 10_240,
        };
        return detect::run(settings, &crate::cli::DetectArgs { quotas }, out).await;
    };
    match command {
        Command::Wizard(args) => wizard::run(settings, &args, out).await,
        Command::Detect(args) => detect::run(settings, &args, out).await,
        Command::Check(args) => check::run(settings, &args, out).await,
        Command::Plan(args) => plan::run(settings, &args, out).await,
        Command::Policy(args) => policy::run(args, out),
        Command::Simulate(args) => simulate::run(settings, &args, out).await,
        Command::Explain(args) => explain::run(settings, &args, out).await,
        Command::Apply(args) => apply::apply(settings, &args, out).await,
        Command::Resume(args) => apply::resume(settings, &args, out).await,
        Command::Rollback(args) => apply::rollback(settings, &args, out).await,
        Command::Status(args) => apply::status(settings, &args, out).await,
        Command::Sandbox(args) => sandbox::run(settings, args, out).await,
    }
}

/// A connection to AWS or to the embedded sandbox.
pub struct Session {
    pub aws: Aws,
    sandbox: Option<crate::sandbox::RunningSandbox>,
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
        })?;
        Ok(Session { aws, sandbox })
    }

    /// Stops the embedded sandbox, if any.
    /// Reads the organization, then the inference profiles in its governed
    /// Regions plus `extra_regions`, behind one spinner.
    pub async fn read_estate(
        &self,
        out: &Output,
        extra_regions: &[String],
    ) -> Result<(crate::snapshot::Snapshot, crate::discover::ProfilesByRegion), Error> {
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
        spinner.finish();
        Ok((snapshot, profiles))
    }

    pub async fn close(self) {
        if let Some(sb) = self.sandbox {
            sb.stop().await;
        }
    }
}
