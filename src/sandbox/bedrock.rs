//! Amazon Bedrock's inference-profile API (restJson1: `GET
//! /inference-profiles`, `GET /inference-profiles/{id}`, `POST
//! /inference-profiles`) as the sandbox plays it. System profiles are per
//! source Region (the Region the request is signed for); each profile's
//! `models[].modelArn` names one destination Region, and a global profile
//! names the Region-less foundation-model ARN. Application profiles belong
//! to the account and Region they were created in, and list the models of
//! what they were copied from, so they route like it.

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, paginate};
use super::world::{ApplicationProfile, InferenceProfile, World};

fn system_models(p: &InferenceProfile) -> Vec<Value> {
    if p.destination_regions.is_empty() {
        vec![json!({"modelArn": format!("arn:aws:bedrock:::foundation-model/{}", p.model_id)})]
    } else {
        p.destination_regions
            .iter()
            .map(|r| json!({"modelArn": format!("arn:aws:bedrock:{r}::foundation-model/{}", p.model_id)}))
            .collect()
    }
}

fn profile_json(world: &World, region: &str, p: &InferenceProfile) -> Value {
    json!({
        "inferenceProfileName": p.name,
        "description": p.description,
        "createdAt": "2025-09-29T00:00:00Z",
        "updatedAt": "2025-09-29T00:00:00Z",
        "inferenceProfileArn": format!("arn:aws:bedrock:{region}:{}:inference-profile/{}", world.master_account(), p.id),
        "models": system_models(p),
        "inferenceProfileId": p.id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED"
    })
}

fn application_arn(p: &ApplicationProfile) -> String {
    format!(
        "arn:aws:bedrock:{}:{}:application-inference-profile/{}",
        p.region, p.account, p.id
    )
}

/// What a `copyFrom` ARN names in `region`: the system profile's models, or
/// the one foundation model; `None` when Bedrock offers neither there.
fn copied_models(world: &World, region: &str, arn: &str) -> Option<Vec<Value>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "bedrock", arn_region, _, resource] = parts.as_slice() else {
        return None;
    };
    if let Some(id) = resource.strip_prefix("inference-profile/") {
        if *arn_region != region {
            return None;
        }
        return world
            .inference_profiles
            .iter()
            .find(|p| p.id == id && p.source_regions.iter().any(|r| r == region))
            .map(system_models);
    }
    let model = resource.strip_prefix("foundation-model/")?;
    (*arn_region == region && !model.is_empty()).then(|| {
        vec![json!({"modelArn": format!("arn:aws:bedrock:{region}::foundation-model/{model}")})]
    })
}

fn application_json(world: &World, p: &ApplicationProfile) -> Value {
    json!({
        "inferenceProfileName": p.name,
        "description": p.description,
        "createdAt": "2026-11-30T00:00:00Z",
        "updatedAt": "2026-11-30T00:00:00Z",
        "inferenceProfileArn": application_arn(p),
        "models": copied_models(world, &p.region, &p.copied_from).unwrap_or_default(),
        "inferenceProfileId": p.id,
        "status": "ACTIVE",
        "type": "APPLICATION"
    })
}

fn create(world: &mut World, call: &Call) -> ApiResult {
    let invalid = |m: String| ApiError::new(400, "ValidationException", m);
    let name = call.body["inferenceProfileName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-'))
        && !name.contains("  ")
        && !name.ends_with([' ', '_', '-']);
    if !name_ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'inferenceProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: ([0-9a-zA-Z][ _-]?)+"
        )));
    }
    let Some(copy_from) = call.body["modelSource"]["copyFrom"].as_str() else {
        return Err(invalid(
            "1 validation error detected: Value null at 'modelSource.copyFrom' failed to satisfy constraint: Member must not be null".into(),
        ));
    };
    if copied_models(world, call.region, copy_from).is_none() {
        return Err(invalid(format!(
            "The model or inference profile {copy_from} is not available in {}.",
            call.region
        )));
    }
    let account = world.caller_account(call.access_key_id);
    if world
        .application_profiles
        .iter()
        .any(|p| p.account == account && p.region == call.region && p.name == name)
    {
        return Err(ApiError::new(
            409,
            "ConflictException",
            format!("An inference profile named {name} already exists."),
        ));
    }
    let id = world.next_id(12, b"abcdefghijklmnopqrstuvwxyz0123456789");
    let p = ApplicationProfile {
        id,
        name,
        description: call.body["description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        account,
        region: call.region.to_string(),
        copied_from: copy_from.to_string(),
    };
    let arn = application_arn(&p);
    world.application_profiles.push(p);
    Ok((
        json!({"inferenceProfileArn": arn, "status": "ACTIVE"}),
        Vec::new(),
    ))
}

/// Handles one Bedrock operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    let region = call.region;
    let here = |p: &&InferenceProfile| p.source_regions.iter().any(|r| r == region);
    let account = world.caller_account(call.access_key_id);
    let mine = |p: &&ApplicationProfile| p.region == region && p.account == account;
    match call.op {
        "ListInferenceProfiles" => {
            let items: Vec<Value> = match call.query("type") {
                Some("APPLICATION") => world
                    .application_profiles
                    .iter()
                    .filter(mine)
                    .map(|p| application_json(world, p))
                    .collect(),
                Some("SYSTEM_DEFINED") | None => world
                    .inference_profiles
                    .iter()
                    .filter(here)
                    .map(|p| profile_json(world, region, p))
                    .collect(),
                Some(other) => {
                    return Err(ApiError::new(
                        400,
                        "ValidationException",
                        format!(
                            "1 validation error detected: Value '{other}' at 'typeEquals' failed to satisfy constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"
                        ),
                    ));
                }
            };
            let max = call.query("maxResults").and_then(|m| m.parse::<u64>().ok());
            let (items, next) = paginate(
                items,
                call.query("nextToken"),
                max,
                world.settings.page_size,
                || ApiError::new(400, "ValidationException", "The nextToken is not valid."),
            )?;
            let mut out = json!({"inferenceProfileSummaries": items});
            if let Some(t) = next {
                out["nextToken"] = json!(t);
            }
            Ok((out, Vec::new()))
        }
        "GetInferenceProfile" => {
            let raw = call.path.trim_start_matches("/inference-profiles/");
            let id: String = form_urlencoded::parse(format!("x={raw}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let id = id
                .rsplit("inference-profile/")
                .next()
                .unwrap_or(&id)
                .to_string();
            if let Some(p) = world
                .application_profiles
                .iter()
                .filter(mine)
                .find(|p| p.id == id)
            {
                return Ok((application_json(world, p), Vec::new()));
            }
            let p = world
                .inference_profiles
                .iter()
                .filter(here)
                .find(|p| p.id == id)
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        "ResourceNotFoundException",
                        format!("The inference profile {id} does not exist in {region}."),
                    )
                })?;
            Ok((profile_json(world, region, p), Vec::new()))
        }
        "CreateInferenceProfile" => create(world, call),
        other => {
            if let Some(result) =
                super::guardrails::handle(world, call).or_else(|| super::batch::handle(world, call))
            {
                return result;
            }
            Err(ApiError::new(
                400,
                "ValidationException",
                format!("The ctmigrate sandbox does not emulate Bedrock operation `{other}`."),
            ))
        }
    }
}
