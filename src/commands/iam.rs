//! `iam-policy`: the policy from [`crate::iam`], as JSON on stdout.

use crate::cli::{IamPolicyArgs, PolicyFor};
use crate::error::{Error, ErrorKind, Exit};
use crate::iam::{caller, operator, resolve};
use crate::output::Output;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: &IamPolicyArgs, out: &Output) -> Result<Exit, Error> {
    let document = match args.for_whom {
        PolicyFor::Operator => {
            if args.inference_profile.is_some() || args.source_region.is_some() {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "--inference-profile and --source-region are for --for bedrock-caller",
                )
                .hint("drop them, or use --for bedrock-caller"));
            }
            operator::policy(&operator::OperatorScope {
                read_only: args.read_only,
                member_role: settings.connection.member_role.clone(),
            })
        }
        PolicyFor::BedrockCaller => {
            if args.read_only {
                return Err(
                    Error::new(ErrorKind::Usage, "--read-only is for --for operator").hint(
                        "drop it: a Bedrock caller's policy only invokes and reads its profile",
                    ),
                );
            }
            let Some(id) = args.inference_profile.as_deref() else {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "--for bedrock-caller needs --inference-profile ID",
                )
                .hint("e.g. --inference-profile us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
            };
            let (profile, warning) =
                resolve::caller_profile(settings, out, id, args.source_region.as_deref()).await?;
            if let Some(w) = warning {
                out.warn(&w);
            }
            caller::policy(&profile)
        }
    };
    out.json(&document);
    Ok(Exit::Ok)
}
