//! Control Tower's baseline operations as the sandbox plays them:
//! `ListBaselines`, `EnableBaseline` (registering an OU), `DisableBaseline`
//! and `GetBaselineOperation`, shaped as the API reference gives them
//! (POST /enable-baseline etc., restJson1). Registering is asynchronous: the
//! operation runs for the control-operation delay, and when it completes
//! the world attaches the OU's guardrail SCPs, with `GRREGIONDENY` only
//! while the landing-zone deny is on (see `World::register_ou`).
//!
//! It must not know about HTTP framing or import the tool's logic.

use serde_json::{Value, json};

use super::controltower::{conflict, not_found, req_str as req, validation};
use super::server::{ApiResult, Call, iso};
use super::world::{BaselineOperation, CONTROL_TOWER_BASELINE_ID, Happening, World};

/// Control Tower's baseline for IAM Identity Center.
pub const IDENTITY_CENTER_BASELINE_ID: &str = "LN25R72TTG6IGPTQ";

fn baseline_arn(home: &str, id: &str) -> String {
    format!("arn:aws:controltower:{home}::baseline/{id}")
}

/// Handles a baseline operation; `None` when `call` is not one.
pub fn handle(world: &mut World, call: &Call, home: &str) -> Option<ApiResult> {
    Some(match call.op {
        "ListBaselines" => Ok((
            json!({"baselines": [
                {"arn": baseline_arn(home, CONTROL_TOWER_BASELINE_ID), "name": "AWSControlTowerBaseline",
                 "description": "Sets up resources and mandatory controls for member accounts within the target OU, so that AWS Control Tower governs them."},
                {"arn": baseline_arn(home, IDENTITY_CENTER_BASELINE_ID), "name": "IdentityCenterBaseline",
                 "description": "Sets up shared resources for AWS Identity Center, to prepare for the AWSControlTowerBaseline."}
            ]}),
            Vec::new(),
        )),
        "EnableBaseline" => enable(world, call, home),
        "DisableBaseline" => disable(world, call),
        "GetBaselineOperation" => get_operation(world, call),
        _ => return None,
    })
}

fn busy(world: &World, target: &str) -> bool {
    world
        .baseline_operations
        .iter()
        .any(|o| o.status == "IN_PROGRESS" && o.target == target)
}

fn enable(world: &mut World, call: &Call, home: &str) -> ApiResult {
    let b = call.body;
    let baseline = req(b, "baselineIdentifier")?.to_string();
    let version = req(b, "baselineVersion")?.to_string();
    let target = req(b, "targetIdentifier")?.to_string();
    if baseline != baseline_arn(home, CONTROL_TOWER_BASELINE_ID) {
        return Err(not_found(format!(
            "Baseline {baseline} not found (the sandbox registers OUs with AWSControlTowerBaseline, {}).",
            baseline_arn(home, CONTROL_TOWER_BASELINE_ID)
        )));
    }
    if !["3.0", "4.0"].contains(&version.as_str()) {
        return Err(validation(format!(
            "Baseline version {version} is not available; use 4.0."
        )));
    }
    let Some(ou_id) = world.ou_id_from_arn(&target) else {
        return Err(not_found(format!(
            "Target {target} not found: targets are OU ARNs of this organization."
        )));
    };
    if let Some(params) = b.get("parameters").and_then(Value::as_array) {
        for p in params {
            let key = p.get("key").and_then(Value::as_str).unwrap_or_default();
            if key != "IdentityCenterEnabledBaselineArn" {
                return Err(validation(format!("Unknown baseline parameter {key}.")));
            }
            let value = p.get("value").and_then(Value::as_str).unwrap_or_default();
            let ok = world.baselines.iter().any(|e| {
                e.arn == value && e.baseline_identifier.ends_with(IDENTITY_CENTER_BASELINE_ID)
            });
            if !ok {
                return Err(validation(format!(
                    "IdentityCenterEnabledBaselineArn {value} is not an enabled IdentityCenterBaseline."
                )));
            }
        }
    }
    if world.baselines.iter().any(|e| e.target == target) {
        return Err(validation(format!(
            "{baseline} is already enabled on {target}; use UpdateEnabledBaseline."
        )));
    }
    if busy(world, &target) {
        return Err(conflict(
            "An operation is already in progress on this target. Wait until it completes.",
        ));
    }
    let parent = world
        .ous
        .get(&ou_id)
        .map(|o| o.parent_id.clone())
        .unwrap_or_default();
    if parent != world.root_id()
        && !world
            .baselines
            .iter()
            .any(|e| e.target == world.ou_arn(&parent))
    {
        return Err(validation(
            "The parent OU is not registered: register the parent OU first.",
        ));
    }
    let suffix = world.next_id(17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    let arn = format!(
        "arn:aws:controltower:{home}:{}:enabledbaseline/{suffix}",
        world.master_account()
    );
    let id = world.next_uuid();
    let delay = i64::try_from(world.settings.control_op_delay_ms).unwrap_or(i64::MAX);
    let name = world
        .ous
        .get(&ou_id)
        .map(|o| o.name.clone())
        .unwrap_or_default();
    world.baseline_operations.push(BaselineOperation {
        id: id.clone(),
        op_type: "ENABLE_BASELINE".into(),
        enabled_baseline_arn: arn.clone(),
        baseline_identifier: baseline,
        baseline_version: version,
        target,
        status: "IN_PROGRESS".into(),
        status_message: None,
        start_ms: call.now_ms,
        complete_at_ms: call.now_ms.saturating_add(delay),
        end_ms: None,
    });
    Ok((
        json!({"operationIdentifier": id, "arn": arn}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "EnableBaseline".into(),
            detail: format!("registering {name} ({ou_id}), operation {id}"),
        }],
    ))
}

fn disable(world: &mut World, call: &Call) -> ApiResult {
    let arn = req(call.body, "enabledBaselineIdentifier")?.to_string();
    let Some(e) = world.baselines.iter().find(|e| e.arn == arn).cloned() else {
        return Err(not_found(format!("Enabled baseline {arn} not found.")));
    };
    if world
        .baselines
        .iter()
        .any(|c| c.parent.as_deref() == Some(&arn))
    {
        return Err(validation(
            "Child OUs are registered below this OU: deregister them first.",
        ));
    }
    if busy(world, &e.target) {
        return Err(conflict(
            "An operation is already in progress on this target. Wait until it completes.",
        ));
    }
    let id = world.next_uuid();
    let delay = i64::try_from(world.settings.control_op_delay_ms).unwrap_or(i64::MAX);
    world.baseline_operations.push(BaselineOperation {
        id: id.clone(),
        op_type: "DISABLE_BASELINE".into(),
        enabled_baseline_arn: arn,
        baseline_identifier: e.baseline_identifier,
        baseline_version: e.baseline_version,
        target: e.target.clone(),
        status: "IN_PROGRESS".into(),
        status_message: None,
        start_ms: call.now_ms,
        complete_at_ms: call.now_ms.saturating_add(delay),
        end_ms: None,
    });
    Ok((
        json!({"operationIdentifier": id}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "DisableBaseline".into(),
            detail: format!("deregistering {}, operation {id}", e.target),
        }],
    ))
}

fn get_operation(world: &World, call: &Call) -> ApiResult {
    let id = req(call.body, "operationIdentifier")?;
    let o = world
        .baseline_operations
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| not_found(format!("Operation {id} not found.")))?;
    let mut d = json!({"operationIdentifier": o.id, "operationType": o.op_type, "status": o.status,
        "startTime": iso(o.start_ms)});
    if let Some(end) = o.end_ms {
        d["endTime"] = json!(iso(end));
    }
    if let Some(m) = &o.status_message {
        d["statusMessage"] = json!(m);
    }
    Ok((json!({"baselineOperation": d}), Vec::new()))
}
