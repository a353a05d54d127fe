//! `iam-policy`: the policy from [`crate::iam`], as JSON on stdout.

use crate::cli::{IamPolicyArgs, PolicyFor};
use crate::error::{Error, Exit};
use crate::iam::operator::{OperatorScope, policy};
use crate::output::Output;
use crate::settings::Settings;

pub fn run(settings: &Settings, args: &IamPolicyArgs, out: &Output) -> Result<Exit, Error> {
    let document = match args.for_whom {
        PolicyFor::Operator => policy(&OperatorScope {
            read_only: args.read_only,
            member_role: settings.connection.member_role.clone(),
        }),
    };
    out.json(&document);
    Ok(Exit::Ok)
}
