//! Amazon Bedrock guardrails as the sandbox plays them (restJson1: `GET
//! /guardrails`, `GET /guardrails/{id}`, `POST /guardrails`, `GET
//! /enforcedGuardrailsConfiguration`), shaped as the Bedrock API reference
//! gives them. A guardrail belongs to the account and Region it was made
//! in; one made with a guardrail profile reports it in
//! `crossRegionDetails`. Which profiles a Region offers is the sandbox's
//! own table (it imports nothing from the planner's catalog).

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, iso, paginate};
use super::world::{EnforcedGuardrail, Guardrail, World};

/// The guardrail profiles each source Region offers in the sandbox.
fn offered(region: &str) -> &'static [&'static str] {
    match region {
        "us-east-1" | "us-east-2" | "us-west-1" | "us-west-2" => &["us.guardrail.v1:0"],
        "eu-central-1" | "eu-west-1" | "eu-west-3" | "eu-north-1" => &["eu.guardrail.v1:0"],
        "ap-northeast-1" | "ap-northeast-2" | "ap-northeast-3" | "ap-south-1"
        | "ap-southeast-1" | "ap-southeast-2" => &["apac.guardrail.v1:0"],
        _ => &[],
    }
}

fn arn(g: &Guardrail) -> String {
    format!(
        "arn:aws:bedrock:{}:{}:guardrail/{}",
        g.region, g.account, g.id
    )
}

fn cross_region(g: &Guardrail) -> Option<Value> {
    g.profile_id.as_ref().map(|p| {
        json!({
            "guardrailProfileId": p,
            "guardrailProfileArn": format!("arn:aws:bedrock:{}:{}:guardrail-profile/{p}", g.region, g.account)
        })
    })
}

fn summary(g: &Guardrail) -> Value {
    let mut v = json!({
        "id": g.id,
        "arn": arn(g),
        "status": "READY",
        "name": g.name,
        "version": "DRAFT",
        "createdAt": iso(g.created_ms),
        "updatedAt": iso(g.created_ms),
    });
    if let Some(c) = cross_region(g) {
        v["crossRegionDetails"] = c;
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        format!("The guardrail {id} was not found."),
    )
}

/// The id a `guardrailIdentifier` names (an id or an ARN).
fn identifier(raw: &str) -> String {
    raw.rsplit("guardrail/").next().unwrap_or(raw).to_string()
}

fn create(world: &mut World, call: &Call) -> ApiResult {
    let invalid = |m: String| ApiError::new(400, "ValidationException", m);
    let name = call.body["name"].as_str().unwrap_or_default().to_string();
    if name.is_empty() || name.len() > 50 {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length between 1 and 50"
        )));
    }
    for field in ["blockedInputMessaging", "blockedOutputsMessaging"] {
        if call.body[field].as_str().is_none_or(str::is_empty) {
            return Err(invalid(format!(
                "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
            )));
        }
    }
    let profile_id = match call.body["crossRegionConfig"]["guardrailProfileIdentifier"].as_str() {
        None => None,
        Some(raw) => {
            let id = raw.rsplit("guardrail-profile/").next().unwrap_or(raw);
            if !offered(call.region).contains(&id) {
                return Err(invalid(format!(
                    "The guardrail profile {raw} is not available in {}.",
                    call.region
                )));
            }
            Some(id.to_string())
        }
    };
    let account = world.caller_account(call.access_key_id);
    if world
        .guardrails
        .iter()
        .any(|g| g.account == account && g.region == call.region && g.name == name)
    {
        return Err(ApiError::new(
            409,
            "ConflictException",
            format!("A guardrail named {name} already exists."),
        ));
    }
    let g = Guardrail {
        id: world.next_id(12, b"abcdefghijklmnopqrstuvwxyz0123456789"),
        name,
        account,
        region: call.region.to_string(),
        profile_id,
        created_ms: call.now_ms,
    };
    let out = json!({
        "guardrailId": g.id,
        "guardrailArn": arn(&g),
        "version": "DRAFT",
        "createdAt": iso(g.created_ms),
    });
    world.guardrails.push(g);
    Ok((out, Vec::new()))
}

fn enforced_json(world: &World, e: &EnforcedGuardrail) -> Value {
    let guardrail_arn = world
        .guardrails
        .iter()
        .find(|g| g.id == e.guardrail_id && g.account == e.account && g.region == e.region)
        .map(arn)
        .unwrap_or_else(|| {
            format!(
                "arn:aws:bedrock:{}:{}:guardrail/{}",
                e.region, e.account, e.guardrail_id
            )
        });
    json!({
        "configId": e.config_id,
        "guardrailArn": guardrail_arn,
        "guardrailId": e.guardrail_id,
        "guardrailVersion": e.guardrail_version,
        "owner": "ACCOUNT",
        "createdAt": iso(e.created_ms),
        "updatedAt": iso(e.created_ms),
        "createdBy": format!("arn:aws:iam::{}:root", e.account),
        "updatedBy": format!("arn:aws:iam::{}:root", e.account),
    })
}

/// Handles one guardrail operation, or `None` for another operation.
pub fn handle(world: &mut World, call: &Call) -> Option<ApiResult> {
    let account = world.caller_account(call.access_key_id);
    let mine = |g: &&Guardrail| g.account == account && g.region == call.region;
    let max = call.query("maxResults").and_then(|m| m.parse::<u64>().ok());
    let bad_token = || ApiError::new(400, "ValidationException", "The nextToken is not valid.");
    Some(match call.op {
        "ListGuardrails" => {
            let wanted = call.query("guardrailIdentifier").map(identifier);
            let items: Vec<Value> = world
                .guardrails
                .iter()
                .filter(mine)
                .filter(|g| wanted.as_ref().is_none_or(|w| *w == g.id))
                .map(summary)
                .collect();
            paginate(
                items,
                call.query("nextToken"),
                max,
                world.settings.page_size,
                bad_token,
            )
            .map(|(items, next)| {
                let mut out = json!({"guardrails": items});
                if let Some(t) = next {
                    out["nextToken"] = json!(t);
                }
                (out, Vec::new())
            })
        }
        "GetGuardrail" => {
            let id = identifier(call.path.trim_start_matches("/guardrails/"));
            match world.guardrails.iter().filter(mine).find(|g| g.id == id) {
                None => Err(not_found(&id)),
                Some(g) => {
                    let mut out = json!({
                        "name": g.name,
                        "guardrailId": g.id,
                        "guardrailArn": arn(g),
                        "version": "DRAFT",
                        "status": "READY",
                        "createdAt": iso(g.created_ms),
                        "updatedAt": iso(g.created_ms),
                        "blockedInputMessaging": "Sorry, I cannot answer that.",
                        "blockedOutputsMessaging": "Sorry, I cannot answer that.",
                    });
                    if let Some(c) = cross_region(g) {
                        out["crossRegionDetails"] = c;
                    }
                    Ok((out, Vec::new()))
                }
            }
        }
        "CreateGuardrail" => create(world, call),
        "ListEnforcedGuardrailsConfiguration" => {
            let items: Vec<Value> = world
                .enforced_guardrails
                .iter()
                .filter(|e| e.account == account && e.region == call.region)
                .map(|e| enforced_json(world, e))
                .collect();
            paginate(
                items,
                call.query("nextToken"),
                None,
                world.settings.page_size,
                bad_token,
            )
            .map(|(items, next)| {
                let mut out = json!({"guardrailsConfig": items});
                if let Some(t) = next {
                    out["nextToken"] = json!(t);
                }
                (out, Vec::new())
            })
        }
        _ => return None,
    })
}
