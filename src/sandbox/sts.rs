//! AWS STS `GetCallerIdentity` and `AssumeRole` (awsQuery, XML) as the
//! sandbox plays them. The caller is recognised by the access key id of the
//! SigV4 scope: a seeded member-account key, or one `AssumeRole` handed out,
//! answers as that account; any other key is the management account's
//! administrator. Every member account has the roles Control Tower and
//! Organizations create there (`AWSControlTowerExecution`,
//! `OrganizationAccountAccessRole`), which trust the management account.

use serde_json::Value;

use super::server::{ApiError, ApiResult, Call, xml_escape};
use super::world::World;

/// The roles every member account has, trusting the management account.
const MEMBER_ROLES: [&str; 2] = ["AWSControlTowerExecution", "OrganizationAccountAccessRole"];

fn assume_role(world: &mut World, call: &Call) -> ApiResult {
    let field = |k: &str| call.body[k].as_str().unwrap_or_default().to_string();
    let (role_arn, session) = (field("RoleArn"), field("RoleSessionName"));
    if session.is_empty() || session.len() > 64 {
        return Err(ApiError::new(
            400,
            "ValidationError",
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64",
        ));
    }
    let caller = world.caller_account(call.access_key_id);
    let caller_arn = world
        .callers
        .iter()
        .find(|c| c.access_key_id == call.access_key_id)
        .map(|c| c.arn.clone())
        .unwrap_or_else(|| format!("arn:aws:sts::{caller}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/platform-admin@example.com"));
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    let target = match parts.as_slice() {
        ["arn", "aws", "iam", "", account, resource] => resource
            .strip_prefix("role/")
            .map(|role| (account.to_string(), role.to_string())),
        _ => None,
    };
    let denied = || {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            ),
        )
    };
    let Some((account, role)) = target else {
        return Err(ApiError::new(
            400,
            "ValidationError",
            format!("{role_arn} is not a valid role ARN"),
        ));
    };
    let trusted = caller == world.master_account()
        && account != caller
        && world.accounts.contains_key(&account)
        && MEMBER_ROLES.contains(&role.as_str());
    if !trusted {
        return Err(denied());
    }
    let access_key_id = format!("ASIASBXRL{account}");
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
    let user_id = format!("AROASBXRL{account}:{session}");
    world.callers.retain(|c| c.access_key_id != access_key_id);
    world.callers.push(super::world::Caller {
        access_key_id: access_key_id.clone(),
        account,
        arn: arn.clone(),
        user_id: user_id.clone(),
    });
    let xml = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>sandbox-secret</SecretAccessKey><SessionToken>sandbox-session-token</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>{{REQUEST_ID}}</RequestId></ResponseMetadata></AssumeRoleResponse>",
        xml_escape(&access_key_id),
        super::server::iso(call.now_ms + 3_600_000),
        xml_escape(&user_id),
        xml_escape(&arn)
    );
    Ok((Value::String(xml), Vec::new()))
}

/// Handles one STS operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    if call.op == "AssumeRole" {
        return assume_role(world, call);
    }
    if call.op != "GetCallerIdentity" {
        return Err(ApiError::new(
            400,
            "InvalidAction",
            format!(
                "The ctmigrate sandbox does not emulate STS action `{}`.",
                call.op
            ),
        ));
    }
    let (account, arn, user_id) = match world
        .callers
        .iter()
        .find(|c| c.access_key_id == call.access_key_id)
    {
        Some(c) => (c.account.clone(), c.arn.clone(), c.user_id.clone()),
        None => {
            let m = world.identity_account.clone();
            (
                m.clone(),
                format!(
                    "arn:aws:sts::{m}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/platform-admin@example.com"
                ),
                "AROASANDBOXADMIN00001:platform-admin@example.com".to_string(),
            )
        }
    };
    let xml = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{{REQUEST_ID}}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        xml_escape(&arn),
        xml_escape(&user_id),
        xml_escape(&account)
    );
    Ok((Value::String(xml), Vec::new()))
}
