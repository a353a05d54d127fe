//! AWS Control Tower (restJson1, `POST /<operation>`) as the sandbox plays it.
//!
//! Rules it enforces, because the tool's safety logic is tested against them:
//! requests must be signed for the landing zone's home Region; control
//! operations are asynchronous (IN_PROGRESS, then SUCCEEDED or FAILED) with at
//! most N in flight (`ServiceQuotaExceededException`, HTTP 402); PV.1 needs
//! `AllowedRegions`; enabling an enabled control fails (in either identifier
//! form); UpdateEnabledControl must change the parameters; the landing-zone
//! region deny (`AWS-GR_REGION_DENY`) cannot be changed through the API.

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, iso, paginate};
use super::world::{
    ControlOperation, EnabledControl, Happening, LZ_REGION_DENY_KEY, LzOperation, OpEffect,
    PV1_KEY, World,
};

pub(super) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationException", message)
}

pub(super) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(404, "ResourceNotFoundException", message)
}

pub(super) fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(409, "ConflictException", message)
}

pub(super) fn req_str<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| validation(format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null")))
}

fn filter_list(body: &Value, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = body.get("filter").and_then(|f| f.get(key)) else {
        return Ok(None);
    };
    let list: Vec<String> = v
        .as_array()
        .ok_or_else(|| validation(format!("filter.{key} must be a list")))?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if list.len() > 1 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'filter.{key}' failed to satisfy constraint: Member must have length less than or equal to 1"
        )));
    }
    Ok(Some(list))
}

fn page(call: &Call, world: &World, key: &str, items: Vec<Value>) -> ApiResult {
    let (items, next) = paginate(
        items,
        call.body.get("nextToken").and_then(Value::as_str),
        call.body.get("maxResults").and_then(Value::as_u64),
        world.settings.page_size,
        || validation("The nextToken is not valid."),
    )?;
    let mut out = serde_json::Map::new();
    out.insert(key.into(), Value::Array(items));
    if let Some(t) = next {
        out.insert("nextToken".into(), json!(t));
    }
    Ok((Value::Object(out), Vec::new()))
}

fn lz_arn(world: &World) -> Option<String> {
    world.landing_zone.as_ref().map(|lz| {
        format!(
            "arn:aws:controltower:{}:{}:landingzone/{}",
            lz.home_region,
            world.master_account(),
            lz.id
        )
    })
}

/// Handles one Control Tower operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    let Some(lz) = world.landing_zone.clone() else {
        return match call.op {
            "ListLandingZones" => Ok((json!({"landingZones": []}), Vec::new())),
            _ => Err(ApiError::new(
                403,
                "AccessDeniedException",
                "AWS Control Tower is not set up for this account: there is no landing zone.",
            )),
        };
    };
    if call.region != lz.home_region {
        return match call.op {
            // The landing zone is a resource of its home Region; elsewhere there is none.
            "ListLandingZones" => Ok((json!({"landingZones": []}), Vec::new())),
            _ => Err(ApiError::new(
                403,
                "AccessDeniedException",
                format!(
                    "AWS Control Tower is not set up in {}: call the Control Tower API in your landing zone's home Region.",
                    call.region
                ),
            )),
        };
    }
    if let Some(answer) = super::baselines::handle(world, call, &lz.home_region) {
        return answer;
    }
    let b = call.body;
    match call.op {
        "UpdateLandingZone" => update_landing_zone(world, call),
        "ListLandingZones" => Ok((
            json!({"landingZones": [{"arn": lz_arn(world)}]}),
            Vec::new(),
        )),
        "GetLandingZone" => {
            let id = req_str(b, "landingZoneIdentifier")?;
            if Some(id.to_string()) != lz_arn(world) {
                return Err(not_found(format!("Landing zone {id} not found.")));
            }
            Ok((
                json!({"landingZone": {
                    "arn": lz_arn(world), "version": lz.version, "latestAvailableVersion": lz.latest_available_version,
                    "status": lz.status, "driftStatus": {"status": lz.drift}, "manifest": lz.manifest
                }}),
                Vec::new(),
            ))
        }
        "ListLandingZoneOperations" => {
            let types = filter_list_any(b, "types");
            let statuses = filter_list_any(b, "statuses");
            let items = world
                .lz_operations
                .iter()
                .rev()
                .filter(|o| types.as_ref().is_none_or(|t| t.contains(&o.op_type)))
                .filter(|o| statuses.as_ref().is_none_or(|s| s.contains(&o.status)))
                .map(|o| json!({"operationType": o.op_type, "operationIdentifier": o.id, "status": o.status}))
                .collect();
            page(call, world, "landingZoneOperations", items)
        }
        "GetLandingZoneOperation" => {
            let id = req_str(b, "operationIdentifier")?;
            let o = world
                .lz_operations
                .iter()
                .find(|o| o.id == id)
                .ok_or_else(|| not_found(format!("Operation {id} not found.")))?;
            let mut d = json!({"operationType": o.op_type, "operationIdentifier": o.id, "status": o.status, "startTime": iso(o.start_ms)});
            if let Some(end) = o.end_ms {
                d["endTime"] = json!(iso(end));
            }
            Ok((json!({"operationDetails": d}), Vec::new()))
        }
        "ListEnabledBaselines" => {
            let baselines = filter_list(b, "baselineIdentifiers")?;
            let targets = filter_list_any(b, "targetIdentifiers");
            let include_children = b
                .get("includeChildren")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let items = world
                .baselines
                .iter()
                .filter(|e| include_children || e.parent.is_none())
                .filter(|e| baselines.as_ref().is_none_or(|l| l.iter().any(|x| x == &e.baseline_identifier)))
                .filter(|e| targets.as_ref().is_none_or(|l| l.contains(&e.target)))
                .map(|e| {
                    let mut v = json!({"arn": e.arn, "baselineIdentifier": e.baseline_identifier, "baselineVersion": e.baseline_version,
                        "targetIdentifier": e.target, "statusSummary": {"status": "SUCCEEDED"},
                        "driftStatusSummary": {"types": {"inheritance": {"status": "IN_SYNC"}}}});
                    if let Some(p) = &e.parent {
                        v["parentIdentifier"] = json!(p);
                    }
                    v
                })
                .collect();
            page(call, world, "enabledBaselines", items)
        }
        "ListEnabledControls" => list_enabled_controls(world, call),
        "GetEnabledControl" => {
            let id = req_str(b, "enabledControlIdentifier")?;
            let c = world
                .enabled_controls
                .iter()
                .find(|c| c.arn == id)
                .ok_or_else(|| not_found(format!("Enabled control {id} not found.")))?;
            let mut d = enabled_control_summary(c);
            d["parameters"] = Value::Array(
                c.parameters
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect(),
            );
            d["targetRegions"] = json!(
                lz.governed_regions
                    .iter()
                    .map(|r| json!({"name": r}))
                    .collect::<Vec<_>>()
            );
            Ok((json!({"enabledControlDetails": d}), Vec::new()))
        }
        "EnableControl" => enable_control(world, call),
        "ListTagsForResource" => {
            let arn = tags_resource(call.path);
            let c = world
                .enabled_controls
                .iter()
                .find(|c| c.arn == arn)
                .ok_or_else(|| not_found(format!("Resource {arn} not found.")))?;
            Ok((json!({"tags": c.tags}), Vec::new()))
        }
        "DisableControl" => disable_control(world, call),
        "UpdateEnabledControl" => update_enabled_control(world, call),
        "ResetEnabledControl" => reset_enabled_control(world, call),
        "GetControlOperation" => {
            let id = req_str(b, "operationIdentifier")?;
            let o = world
                .control_operations
                .iter()
                .find(|o| o.id == id)
                .ok_or_else(|| not_found(format!("Operation {id} not found.")))?;
            Ok((
                json!({"controlOperation": control_operation_json(o)}),
                Vec::new(),
            ))
        }
        "ListControlOperations" => {
            let controls = filter_list(b, "controlIdentifiers")?;
            let targets = filter_list(b, "targetIdentifiers")?;
            let enabled = filter_list(b, "enabledControlIdentifiers")?;
            let statuses = filter_list(b, "statuses")?;
            let types = filter_list(b, "controlOperationTypes")?;
            let items = world
                .control_operations
                .iter()
                .rev()
                .filter(|o| {
                    controls
                        .as_ref()
                        .is_none_or(|l| l.contains(&o.control_identifier))
                })
                .filter(|o| targets.as_ref().is_none_or(|l| l.contains(&o.target)))
                .filter(|o| {
                    enabled
                        .as_ref()
                        .is_none_or(|l| l.contains(&o.enabled_control_arn))
                })
                .filter(|o| statuses.as_ref().is_none_or(|l| l.contains(&o.status)))
                .filter(|o| types.as_ref().is_none_or(|l| l.contains(&o.op_type)))
                .map(control_operation_json)
                .collect();
            page(call, world, "controlOperations", items)
        }
        other => Err(validation(format!(
            "The ctmigrate sandbox does not emulate Control Tower operation `{other}`."
        ))),
    }
}

/// The resource ARN of `/tags/{resourceArn}`, percent-decoded.
fn tags_resource(path: &str) -> String {
    let raw = path.trim_start_matches("/tags/");
    form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// EnableControl's optional `tags`: a map of strings (AWS allows 50, keys
/// up to 128 and values up to 256 characters).
fn parse_tags(body: &Value) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let Some(tags) = body.get("tags") else {
        return Ok(Default::default());
    };
    let map = tags
        .as_object()
        .ok_or_else(|| validation("tags must be a map of strings."))?;
    if map.len() > 50 {
        return Err(validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    map.iter()
        .map(|(k, v)| match v.as_str() {
            Some(v) if !k.is_empty() && k.chars().count() <= 128 && v.chars().count() <= 256 => {
                Ok((k.clone(), v.to_string()))
            }
            _ => Err(validation(format!(
                "tag {k} must have a key of 1 to 128 and a string value of up to 256 characters."
            ))),
        })
        .collect()
}

/// UpdateLandingZone: the manifest's `governedRegions` may change; the
/// console's region-deny setting is kept as it is (no API changes it).
/// Asynchronous, like the console's update: PROCESSING, then ACTIVE.
fn update_landing_zone(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let id = req_str(b, "landingZoneIdentifier")?;
    if Some(id.to_string()) != lz_arn(world) {
        return Err(not_found(format!("Landing zone {id} not found.")));
    }
    let version = req_str(b, "version")?.to_string();
    let manifest = b
        .get("manifest")
        .filter(|m| m.is_object())
        .ok_or_else(|| validation("manifest is required and must be a JSON object."))?;
    ensure_lz_idle(world)?;
    let Some(lz) = world.landing_zone.as_ref() else {
        return Err(not_found("There is no landing zone."));
    };
    if version != lz.version && version != lz.latest_available_version {
        return Err(validation(format!(
            "Landing zone version {version} is not available; use {} or {}.",
            lz.version, lz.latest_available_version
        )));
    }
    let regions: Vec<String> = manifest
        .get("governedRegions")
        .and_then(Value::as_array)
        .ok_or_else(|| validation("manifest.governedRegions is required."))?
        .iter()
        .map(|r| r.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| validation("manifest.governedRegions must be a list of Region names."))?;
    let shape = |r: &str| {
        let parts: Vec<&str> = r.split('-').collect();
        parts.len() >= 3
            && parts[0].len() == 2
            && parts[0].chars().all(|c| c.is_ascii_lowercase())
            && parts
                .last()
                .is_some_and(|p| p.len() == 1 && p.chars().all(|c| c.is_ascii_digit()))
    };
    if let Some(bad) = regions.iter().find(|r| !shape(r)) {
        return Err(validation(format!("{bad} is not a Region name.")));
    }
    if !regions.contains(&lz.home_region) {
        return Err(validation(format!(
            "The home Region {} must stay governed.",
            lz.home_region
        )));
    }
    let delay = world.settings.landing_zone_op_delay_ms;
    let op = world.next_uuid();
    world.lz_operations.push(LzOperation {
        id: op.clone(),
        op_type: "UPDATE".into(),
        status: "IN_PROGRESS".into(),
        start_ms: call.now_ms,
        complete_at_ms: call
            .now_ms
            .saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)),
        end_ms: None,
        region_deny_target: None,
        governed_regions_target: Some(regions.clone()),
    });
    if let Some(lz) = world.landing_zone.as_mut() {
        lz.status = "PROCESSING".into();
    }
    Ok((
        json!({"operationIdentifier": op}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "UpdateLandingZone".into(),
            detail: format!(
                "governed Regions {} requested (operation {op})",
                regions.join(", ")
            ),
        }],
    ))
}

fn filter_list_any(body: &Value, key: &str) -> Option<Vec<String>> {
    body.get("filter")
        .and_then(|f| f.get(key))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
}

fn enabled_control_summary(c: &EnabledControl) -> Value {
    let mut status = json!({"status": c.status});
    if let Some(op) = &c.last_operation {
        status["lastOperationIdentifier"] = json!(op);
    }
    json!({"arn": c.arn, "controlIdentifier": c.control_identifier, "targetIdentifier": c.target,
        "statusSummary": status, "driftStatusSummary": {"driftStatus": c.drift}})
}

fn control_operation_json(o: &ControlOperation) -> Value {
    let mut v = json!({"operationIdentifier": o.id, "operationType": o.op_type, "status": o.status,
        "startTime": iso(o.start_ms), "controlIdentifier": o.control_identifier,
        "targetIdentifier": o.target, "enabledControlIdentifier": o.enabled_control_arn});
    if let Some(end) = o.end_ms {
        v["endTime"] = json!(iso(end));
    }
    if let Some(m) = &o.status_message {
        v["statusMessage"] = json!(m);
    }
    v
}

fn list_enabled_controls(world: &World, call: &Call) -> ApiResult {
    let b = call.body;
    let controls = filter_list(b, "controlIdentifiers")?;
    let statuses = filter_list(b, "statuses")?;
    let drifts = filter_list(b, "driftStatuses")?;
    filter_list(b, "parentIdentifiers")?;
    let include_children = b
        .get("includeChildren")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let target = b.get("targetIdentifier").and_then(Value::as_str);
    // With includeChildren, controls enabled on OUs below the target count too.
    let mut targets: Vec<String> = Vec::new();
    if let Some(t) = target {
        let ou = world
            .ou_id_from_arn(t)
            .ok_or_else(|| not_found(format!("Target {t} not found in the organization.")))?;
        targets.push(t.to_string());
        if include_children {
            let mut frontier = vec![ou];
            while let Some(parent) = frontier.pop() {
                for child in world.ous.values().filter(|o| o.parent_id == parent) {
                    targets.push(world.ou_arn(&child.id));
                    frontier.push(child.id.clone());
                }
            }
        }
    }
    let items = world
        .enabled_controls
        .iter()
        .filter(|c| target.is_none() || targets.contains(&c.target))
        .filter(|c| {
            controls
                .as_ref()
                .is_none_or(|l| l.contains(&c.control_identifier))
        })
        .filter(|c| statuses.as_ref().is_none_or(|l| l.contains(&c.status)))
        .filter(|c| drifts.as_ref().is_none_or(|l| l.contains(&c.drift)))
        .map(enabled_control_summary)
        .collect();
    page(call, world, "enabledControls", items)
}

/// The canonical key of a control identifier, in either form.
fn resolve_control(world: &World, identifier: &str, home: &str) -> Result<String, ApiError> {
    if let Some(c) = world.catalog.iter().find(|c| c.arn == identifier) {
        return Ok(c.key.clone());
    }
    let prefix = "arn:aws:controltower:";
    let Some(rest) = identifier.strip_prefix(prefix) else {
        return Err(validation(format!(
            "1 validation error detected: Value '{identifier}' at 'controlIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[0-9a-zA-Z_\\-:\\/]+$"
        )));
    };
    let (region, id) = rest.split_once("::control/").ok_or_else(|| {
        validation(format!(
            "Control identifier {identifier} is not a control ARN."
        ))
    })?;
    if region != home {
        return Err(not_found(format!(
            "Control {identifier} not found in {home}."
        )));
    }
    if let Some(c) = world
        .catalog
        .iter()
        .find(|c| c.regional_id.as_deref() == Some(id))
    {
        return Ok(c.key.clone());
    }
    if id.starts_with("AWS-GR_") {
        return Ok(id.to_string());
    }
    Err(not_found(format!("Control {identifier} not found.")))
}

fn ensure_lz_idle(world: &World) -> Result<(), ApiError> {
    match &world.landing_zone {
        Some(lz) if lz.status == "ACTIVE" => Ok(()),
        _ => Err(conflict(
            "The landing zone is being updated. Wait until the landing zone operation completes, then try again.",
        )),
    }
}

fn ensure_capacity(world: &World) -> Result<(), ApiError> {
    let in_flight = world
        .control_operations
        .iter()
        .filter(|o| o.status == "IN_PROGRESS")
        .count();
    let limit = world.settings.max_concurrent_control_ops;
    if in_flight >= limit {
        return Err(ApiError::new(
            402,
            "ServiceQuotaExceededException",
            format!(
                "The request would cause a service quota to be exceeded. The limit is {limit} concurrent operations."
            ),
        ));
    }
    Ok(())
}

fn ensure_no_op_on(world: &World, enabled_arn: &str) -> Result<(), ApiError> {
    if world
        .control_operations
        .iter()
        .any(|o| o.status == "IN_PROGRESS" && o.enabled_control_arn == enabled_arn)
    {
        return Err(conflict(
            "An operation is already in progress for this control on this target. Wait until it completes.",
        ));
    }
    Ok(())
}

const PV1_PARAMS: [&str; 4] = [
    "AllowedRegions",
    "ExemptedPrincipalArns",
    "ExemptedActions",
    "ExemptedResourceArns",
];

fn parse_parameters(key: &str, body: &Value) -> Result<Vec<(String, Value)>, ApiError> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for p in body
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let k = p
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| validation("Each parameter needs a key."))?;
        let v = p
            .get("value")
            .cloned()
            .ok_or_else(|| validation(format!("Parameter {k} needs a value.")))?;
        if key != PV1_KEY {
            return Err(validation(format!(
                "Control {key} does not accept parameters; got {k}."
            )));
        }
        if !PV1_PARAMS.contains(&k) {
            return Err(validation(format!(
                "Parameter {k} is not a parameter of {key}."
            )));
        }
        let ok = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            return Err(validation(format!(
                "Parameter {k} must be a JSON array of strings."
            )));
        }
        if out.iter().any(|(x, _)| x == k) {
            return Err(validation(format!("Parameter {k} is given twice.")));
        }
        out.push((k.to_string(), v));
    }
    if key == PV1_KEY {
        let allowed = out.iter().find(|(k, _)| k == "AllowedRegions");
        match allowed {
            None => return Err(validation("Parameter AllowedRegions is required.")),
            Some((_, v)) if v.as_array().is_some_and(Vec::is_empty) => {
                return Err(validation(
                    "Parameter AllowedRegions must contain at least one Region.",
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn start_operation(
    world: &mut World,
    call: &Call,
    op_type: &str,
    control_identifier: &str,
    target: &str,
    enabled_arn: &str,
    effect: OpEffect,
) -> String {
    let id = world.next_uuid();
    let delay = i64::try_from(world.settings.control_op_delay_ms).unwrap_or(i64::MAX);
    world.control_operations.push(ControlOperation {
        id: id.clone(),
        op_type: op_type.into(),
        control_identifier: control_identifier.into(),
        target: target.into(),
        enabled_control_arn: enabled_arn.into(),
        status: "IN_PROGRESS".into(),
        status_message: None,
        start_ms: call.now_ms,
        complete_at_ms: call.now_ms.saturating_add(delay),
        end_ms: None,
        will_fail: call.faults.op_will_fail(),
        effect,
    });
    id
}

fn ou_label(world: &World, target: &str) -> String {
    world
        .ou_id_from_arn(target)
        .and_then(|id| world.ous.get(&id).map(|o| format!("{} ({id})", o.name)))
        .unwrap_or_else(|| target.to_string())
}

fn enable_control(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let control = req_str(b, "controlIdentifier")?.to_string();
    let target = req_str(b, "targetIdentifier")?.to_string();
    let home = world
        .landing_zone
        .as_ref()
        .map(|l| l.home_region.clone())
        .unwrap_or_default();
    let key = resolve_control(world, &control, &home)?;
    if key == LZ_REGION_DENY_KEY {
        return Err(validation(
            "AWS-GR_REGION_DENY control can only be enabled through the landing zone settings.",
        ));
    }
    let ou_id = world
        .ou_id_from_arn(&target)
        .ok_or_else(|| not_found(format!("Target {target} not found in the organization.")))?;
    if !world.registered_ou_ids().contains(&ou_id) {
        return Err(validation(format!(
            "The organizational unit {target} is not registered with AWS Control Tower. Register it before enabling controls."
        )));
    }
    ensure_lz_idle(world)?;
    if world
        .enabled_controls
        .iter()
        .any(|c| c.target == target && c.control_key == key)
    {
        return Err(validation(format!(
            "The control {control} is already enabled on target {target}."
        )));
    }
    let params = parse_parameters(&key, b)?;
    let tags = parse_tags(b)?;
    ensure_capacity(world)?;
    let suffix = world.next_id(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    let arn = format!(
        "arn:aws:controltower:{home}:{}:enabledcontrol/{suffix}",
        world.master_account()
    );
    let op = start_operation(
        world,
        call,
        "ENABLE_CONTROL",
        &control,
        &target,
        &arn,
        OpEffect::Enable,
    );
    world.enabled_controls.push(EnabledControl {
        arn: arn.clone(),
        control_identifier: control.clone(),
        control_key: key.clone(),
        target: target.clone(),
        status: "UNDER_CHANGE".into(),
        drift: "IN_SYNC".into(),
        last_operation: Some(op.clone()),
        parameters: params,
        tags,
    });
    let detail = format!("{key} on {} (operation {op})", ou_label(world, &target));
    Ok((
        json!({"operationIdentifier": op, "arn": arn}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "EnableControl".into(),
            detail,
        }],
    ))
}

fn find_enabled(world: &World, b: &Value) -> Result<usize, ApiError> {
    if let Some(arn) = b.get("enabledControlIdentifier").and_then(Value::as_str) {
        return world
            .enabled_controls
            .iter()
            .position(|c| c.arn == arn)
            .ok_or_else(|| not_found(format!("Enabled control {arn} not found.")));
    }
    let control = req_str(b, "controlIdentifier")?;
    let target = req_str(b, "targetIdentifier")?;
    let home = world
        .landing_zone
        .as_ref()
        .map(|l| l.home_region.clone())
        .unwrap_or_default();
    let key = resolve_control(world, control, &home)?;
    if key == LZ_REGION_DENY_KEY {
        return Err(validation(
            "AWS-GR_REGION_DENY control can only be disabled through the landing zone settings.",
        ));
    }
    world
        .enabled_controls
        .iter()
        .position(|c| c.target == target && c.control_key == key)
        .ok_or_else(|| not_found(format!("Control {control} is not enabled on {target}.")))
}

fn disable_control(world: &mut World, call: &Call) -> ApiResult {
    let idx = find_enabled(world, call.body)?;
    let c = world.enabled_controls[idx].clone();
    if c.control_key == LZ_REGION_DENY_KEY {
        return Err(validation(
            "AWS-GR_REGION_DENY control can only be disabled through the landing zone settings.",
        ));
    }
    ensure_lz_idle(world)?;
    ensure_no_op_on(world, &c.arn)?;
    ensure_capacity(world)?;
    let op = start_operation(
        world,
        call,
        "DISABLE_CONTROL",
        &c.control_identifier,
        &c.target,
        &c.arn,
        OpEffect::Disable,
    );
    if let Some(e) = world.enabled_controls.get_mut(idx) {
        e.status = "UNDER_CHANGE".into();
        e.last_operation = Some(op.clone());
    }
    let detail = format!(
        "{} on {} (operation {op})",
        c.control_key,
        ou_label(world, &c.target)
    );
    Ok((
        json!({"operationIdentifier": op}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "DisableControl".into(),
            detail,
        }],
    ))
}

fn update_enabled_control(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let arn = req_str(b, "enabledControlIdentifier")?.to_string();
    let idx = world
        .enabled_controls
        .iter()
        .position(|c| c.arn == arn)
        .ok_or_else(|| not_found(format!("Enabled control {arn} not found.")))?;
    let c = world.enabled_controls[idx].clone();
    if b.get("parameters").is_none() {
        return Err(validation(
            "1 validation error detected: Value null at 'parameters' failed to satisfy constraint: Member must not be null",
        ));
    }
    if c.drift == "DRIFTED" {
        return Err(validation(
            "The enabled control is drifted. Disable and re-enable it to resolve the drift before updating it.",
        ));
    }
    let params = parse_parameters(&c.control_key, b)?;
    let same = |a: &[(String, Value)], b: &[(String, Value)]| {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        a.sort_by(|x, y| x.0.cmp(&y.0));
        b.sort_by(|x, y| x.0.cmp(&y.0));
        a == b
    };
    if c.status == "SUCCEEDED" && same(&params, &c.parameters) {
        return Err(validation(
            "The parameters are the same as the current parameters of the enabled control. Change at least one parameter.",
        ));
    }
    ensure_lz_idle(world)?;
    ensure_no_op_on(world, &c.arn)?;
    ensure_capacity(world)?;
    let op = start_operation(
        world,
        call,
        "UPDATE_ENABLED_CONTROL",
        &c.control_identifier,
        &c.target,
        &c.arn,
        OpEffect::Update { parameters: params },
    );
    if let Some(e) = world.enabled_controls.get_mut(idx) {
        e.status = "UNDER_CHANGE".into();
        e.last_operation = Some(op.clone());
    }
    let detail = format!(
        "{} on {} (operation {op})",
        c.control_key,
        ou_label(world, &c.target)
    );
    Ok((
        json!({"operationIdentifier": op}),
        vec![Happening {
            at_ms: call.now_ms,
            event: "UpdateEnabledControl".into(),
            detail,
        }],
    ))
}

/// ResetEnabledControl "does not work for controls implemented with SCPs"
/// (API reference), and every control the sandbox models is one: a drifted
/// SCP control is repaired by disabling and enabling it again.
fn reset_enabled_control(world: &mut World, call: &Call) -> ApiResult {
    let arn = req_str(call.body, "enabledControlIdentifier")?;
    let c = world
        .enabled_controls
        .iter()
        .find(|c| c.arn == arn)
        .ok_or_else(|| not_found(format!("Enabled control {arn} not found.")))?;
    Err(validation(format!(
        "ResetEnabledControl does not work for controls implemented with SCPs: {} is one. Disable and enable it again to resolve its drift.",
        c.control_key
    )))
}
