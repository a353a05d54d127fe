//! Amazon Bedrock's inference-profile reads (restJson1: `GET
//! /inference-profiles`, `GET /inference-profiles/{id}`) as the sandbox plays
//! them. Profiles are per source Region (the Region the request is signed
//! for); each profile's `models[].modelArn` names one destination Region, and
//! a global profile names the Region-less foundation-model ARN.

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, paginate};
use super::world::{InferenceProfile, World};

fn profile_json(world: &World, region: &str, p: &InferenceProfile) -> Value {
    let models: Vec<Value> = if p.destination_regions.is_empty() {
        vec![json!({"modelArn": format!("arn:aws:bedrock:::foundation-model/{}", p.model_id)})]
    } else {
        p.destination_regions
            .iter()
            .map(|r| json!({"modelArn": format!("arn:aws:bedrock:{r}::foundation-model/{}", p.model_id)}))
            .collect()
    };
    json!({
        "inferenceProfileName": p.name,
        "description": p.description,
        "createdAt": "2025-09-29T00:00:00Z",
        "updatedAt": "2025-09-29T00:00:00Z",
        "inferenceProfileArn": format!("arn:aws:bedrock:{region}:{}:inference-profile/{}", world.master_account(), p.id),
        "models": models,
        "inferenceProfileId": p.id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED"
    })
}

/// Handles one Bedrock operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    let region = call.region;
    let here = |p: &&InferenceProfile| p.source_regions.iter().any(|r| r == region);
    match call.op {
        "ListInferenceProfiles" => {
            if let Some(t) = call.query("type")
                && t == "APPLICATION"
            {
                return Ok((json!({"inferenceProfileSummaries": []}), Vec::new()));
            }
            let items = world
                .inference_profiles
                .iter()
                .filter(here)
                .map(|p| profile_json(world, region, p))
                .collect();
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
        other => Err(ApiError::new(
            400,
            "ValidationException",
            format!("The ctmigrate sandbox does not emulate Bedrock operation `{other}`."),
        )),
    }
}
