//! AWS Control Catalog `ListControls` (restJson1, `POST /list-controls`) as
//! the sandbox plays it, so the tool can resolve CT.MULTISERVICE.PV.1 by its
//! alias instead of trusting a hard-coded identifier.

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, paginate};
use super::world::World;

/// Handles one Control Catalog operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    if call.op != "ListControls" {
        return Err(ApiError::new(
            400,
            "ValidationException",
            format!(
                "The ctmigrate sandbox does not emulate Control Catalog operation `{}`.",
                call.op
            ),
        ));
    }
    let types: Option<Vec<String>> = call
        .body
        .pointer("/Filter/Implementations/Types")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
    let items: Vec<Value> = world
        .catalog
        .iter()
        .filter(|c| {
            types
                .as_ref()
                .is_none_or(|t| t.contains(&c.implementation_type))
        })
        .map(|c| {
            json!({"Arn": c.arn, "Aliases": c.aliases, "Name": c.name, "Description": c.description,
                "Behavior": c.behavior, "Implementation": {"Type": c.implementation_type},
                "CreateTime": 1_700_000_000})
        })
        .collect();
    let max = call.query("maxResults").and_then(|m| m.parse::<u64>().ok());
    let (items, next) = paginate(
        items,
        call.query("nextToken"),
        max,
        world.settings.page_size,
        || ApiError::new(400, "ValidationException", "The nextToken is not valid."),
    )?;
    let mut out = json!({"Controls": items});
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok((out, Vec::new()))
}
