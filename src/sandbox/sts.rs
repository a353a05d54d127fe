//! AWS STS `GetCallerIdentity` (awsQuery, XML) as the sandbox plays it. The
//! caller is recognised by the access key id of the SigV4 scope: a seeded
//! member-account key answers as that account; any other key is the
//! management account's administrator.

use serde_json::Value;

use super::server::{ApiError, ApiResult, Call, xml_escape};
use super::world::World;

/// Handles one STS operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
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
