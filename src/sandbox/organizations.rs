//! AWS Organizations (awsJson1_1, target prefix `AWSOrganizationsV20161128`)
//! as the sandbox plays it: the read operations over the OU tree and SCPs, and
//! the SCP write operations with the checks real AWS makes (attachment and
//! size quotas, duplicate names and attachments, the last SCP on a target,
//! malformed documents). Pages are small so callers must follow `NextToken`.
//!
//! Only the management account may call anything but DescribeOrganization.

use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::server::{ApiError, ApiResult, Call, paginate};
use super::world::{Happening, Policy, World};

const SCP: &str = "SERVICE_CONTROL_POLICY";

fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(400, code, message)
}

fn constraint(reason: &str, message: &str) -> ApiError {
    bad_request("ConstraintViolationException", message).with("Reason", json!(reason))
}

fn invalid_input(reason: &str, message: impl Into<String>) -> ApiError {
    bad_request("InvalidInputException", message).with("Reason", json!(reason))
}

fn str_field<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    body.get(key).and_then(Value::as_str).ok_or_else(|| {
        invalid_input(
            "INPUT_REQUIRED",
            format!("You must specify a value for {key}."),
        )
    })
}

fn page(call: &Call, world: &World, key: &str, items: Vec<Value>) -> ApiResult {
    let (items, next) = paginate(
        items,
        call.body.get("NextToken").and_then(Value::as_str),
        call.body.get("MaxResults").and_then(Value::as_u64),
        world.settings.page_size,
        || {
            invalid_input(
                "INVALID_PAGINATION_TOKEN",
                "The pagination token is not valid.",
            )
        },
    )?;
    let mut out = serde_json::Map::new();
    out.insert(key.into(), Value::Array(items));
    if let Some(t) = next {
        out.insert("NextToken".into(), json!(t));
    }
    Ok((Value::Object(out), Vec::new()))
}

fn caller_account(world: &World, access_key_id: &str) -> String {
    world.caller_account(access_key_id)
}

fn happened(call: &Call, event: &str, detail: String) -> Vec<Happening> {
    vec![Happening {
        at_ms: call.now_ms,
        event: event.into(),
        detail,
    }]
}

/// Handles one Organizations operation.
pub fn handle(world: &mut World, call: &Call) -> ApiResult {
    if world.org.is_none() {
        return Err(bad_request(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    }
    if call.op == "DescribeOrganization" {
        return describe_organization(world);
    }
    if caller_account(world, call.access_key_id) != world.master_account() {
        return Err(bad_request(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        ));
    }
    let b = call.body;
    match call.op {
        "ListRoots" => {
            let root = json!({"Id": world.root_id(), "Arn": world.root_arn(), "Name": "Root",
                "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}]});
            page(call, world, "Roots", vec![root])
        }
        "ListOrganizationalUnitsForParent" => {
            let parent = str_field(b, "ParentId")?;
            check_parent(world, parent)?;
            let items = world
                .ous
                .values()
                .filter(|o| o.parent_id == parent)
                .map(|o| ou_json(world, &o.id))
                .collect();
            page(call, world, "OrganizationalUnits", items)
        }
        "ListAccountsForParent" => {
            let parent = str_field(b, "ParentId")?;
            check_parent(world, parent)?;
            let items = world
                .accounts
                .values()
                .filter(|a| a.parent_id == parent)
                .map(|a| account_json(world, &a.id))
                .collect();
            page(call, world, "Accounts", items)
        }
        "ListAccounts" => {
            let items = world
                .accounts
                .keys()
                .map(|id| account_json(world, id))
                .collect();
            page(call, world, "Accounts", items)
        }
        "ListParents" => {
            let child = str_field(b, "ChildId")?;
            let parent = world
                .ous
                .get(child)
                .map(|o| o.parent_id.clone())
                .or_else(|| world.accounts.get(child).map(|a| a.parent_id.clone()))
                .ok_or_else(|| {
                    bad_request("ChildNotFoundException", format!("We can't find an organizational unit (OU) or AWS account with the ChildId {child} that you specified."))
                })?;
            let kind = if parent == world.root_id() {
                "ROOT"
            } else {
                "ORGANIZATIONAL_UNIT"
            };
            page(
                call,
                world,
                "Parents",
                vec![json!({"Id": parent, "Type": kind})],
            )
        }
        "DescribeOrganizationalUnit" => {
            let id = str_field(b, "OrganizationalUnitId")?;
            if !world.ous.contains_key(id) {
                return Err(bad_request(
                    "OrganizationalUnitNotFoundException",
                    format!(
                        "We can't find an organizational unit (OU) with the OrganizationalUnitId {id} that you specified."
                    ),
                ));
            }
            Ok((
                json!({"OrganizationalUnit": ou_json(world, id)}),
                Vec::new(),
            ))
        }
        "DescribeAccount" => {
            let id = str_field(b, "AccountId")?;
            if !world.accounts.contains_key(id) {
                return Err(bad_request(
                    "AccountNotFoundException",
                    format!(
                        "We can't find an AWS account with the AccountId {id} that you specified."
                    ),
                ));
            }
            Ok((json!({"Account": account_json(world, id)}), Vec::new()))
        }
        "ListPolicies" => {
            let filter = str_field(b, "Filter")?;
            let items = if filter == SCP {
                world
                    .policies
                    .values()
                    .map(|p| policy_summary(world, p))
                    .collect()
            } else {
                Vec::new()
            };
            page(call, world, "Policies", items)
        }
        "DescribePolicy" => {
            let id = str_field(b, "PolicyId")?;
            let p = find_policy(world, id)?;
            Ok((
                json!({"Policy": {"PolicySummary": policy_summary(world, p), "Content": p.content}}),
                Vec::new(),
            ))
        }
        "ListPoliciesForTarget" => {
            let target = str_field(b, "TargetId")?;
            let filter = str_field(b, "Filter")?;
            check_target(world, target)?;
            let items = if filter == SCP {
                world
                    .attached(target)
                    .iter()
                    .filter_map(|id| world.policies.get(id))
                    .map(|p| policy_summary(world, p))
                    .collect()
            } else {
                Vec::new()
            };
            page(call, world, "Policies", items)
        }
        "ListTargetsForPolicy" => {
            let id = str_field(b, "PolicyId")?;
            find_policy(world, id)?;
            let items = world
                .attachments
                .iter()
                .filter(|(_, list)| list.iter().any(|p| p == id))
                .map(|(target, _)| target_json(world, target))
                .collect();
            page(call, world, "Targets", items)
        }
        "CreateOrganizationalUnit" => create_ou(world, call),
        "DeleteOrganizationalUnit" => delete_ou(world, call),
        "MoveAccount" => move_account(world, call),
        "CreatePolicy" => create_policy(world, call),
        "UpdatePolicy" => update_policy(world, call),
        "DeletePolicy" => {
            let id = str_field(b, "PolicyId")?.to_string();
            let p = find_policy(world, &id)?;
            if p.aws_managed {
                return Err(bad_request(
                    "PolicyChangesNotAllowedException",
                    "Changes to an AWS managed policy are not allowed.",
                ));
            }
            if world.attachments.values().any(|l| l.contains(&id)) {
                return Err(bad_request(
                    "PolicyInUseException",
                    "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
                ));
            }
            let name = p.name.clone();
            world.policies.remove(&id);
            Ok((
                json!({}),
                happened(call, "DeletePolicy", format!("{name} ({id})")),
            ))
        }
        "AttachPolicy" => {
            let id = str_field(b, "PolicyId")?.to_string();
            let target = str_field(b, "TargetId")?.to_string();
            let name = find_policy(world, &id)?.name.clone();
            check_target(world, &target)?;
            let list = world.attached(&target);
            if list.contains(&id) {
                return Err(bad_request(
                    "DuplicatePolicyAttachmentException",
                    "The selected policy is already attached to the specified target.",
                ));
            }
            if list.len() >= world.settings.scp_attachment_limit {
                return Err(constraint(
                    "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                    &format!(
                        "You have attached the maximum number of policies of this type ({}) to the target {target}.",
                        world.settings.scp_attachment_limit
                    ),
                ));
            }
            world
                .attachments
                .entry(target.clone())
                .or_default()
                .push(id.clone());
            let detail = format!("{name} ({id}) -> {}", node_name(world, &target));
            let mut happenings = happened(call, "AttachPolicy", detail);
            happenings.extend(world.recheck_control_drift(call.now_ms));
            Ok((json!({}), happenings))
        }
        "DetachPolicy" => {
            let id = str_field(b, "PolicyId")?.to_string();
            let target = str_field(b, "TargetId")?.to_string();
            let name = find_policy(world, &id)?.name.clone();
            check_target(world, &target)?;
            let list = world.attached(&target);
            if !list.contains(&id) {
                return Err(bad_request(
                    "PolicyNotAttachedException",
                    "The policy isn't attached to the specified target in the specified root.",
                ));
            }
            if list.len() <= 1 {
                return Err(constraint(
                    "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                    "You attempted to detach the last policy of this type from the target. An entity must always have at least one service control policy attached.",
                ));
            }
            if let Some(l) = world.attachments.get_mut(&target) {
                l.retain(|p| p != &id);
            }
            let detail = format!("{name} ({id}) -/-> {}", node_name(world, &target));
            let mut happenings = happened(call, "DetachPolicy", detail);
            happenings.extend(world.recheck_control_drift(call.now_ms));
            Ok((json!({}), happenings))
        }
        "TagResource" => {
            let id = str_field(b, "ResourceId")?.to_string();
            let tags = parse_tags(b.get("Tags"))?;
            let p = world.policies.get_mut(&id).ok_or_else(|| {
                bad_request(
                    "TargetNotFoundException",
                    format!("We can't find a resource with the ResourceId {id}."),
                )
            })?;
            p.tags.extend(tags);
            Ok((json!({}), happened(call, "TagResource", id)))
        }
        "UntagResource" => {
            let id = str_field(b, "ResourceId")?.to_string();
            let keys: Vec<String> = b
                .get("TagKeys")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let p = world.policies.get_mut(&id).ok_or_else(|| {
                bad_request(
                    "TargetNotFoundException",
                    format!("We can't find a resource with the ResourceId {id}."),
                )
            })?;
            for k in &keys {
                p.tags.remove(k);
            }
            Ok((json!({}), happened(call, "UntagResource", id)))
        }
        "ListTagsForResource" => {
            let id = str_field(b, "ResourceId")?;
            let tags = if let Some(p) = world.policies.get(id) {
                p.tags.clone()
            } else if world.ous.contains_key(id)
                || world.accounts.contains_key(id)
                || id == world.root_id()
            {
                BTreeMap::new()
            } else {
                return Err(bad_request(
                    "TargetNotFoundException",
                    format!("We can't find a resource with the ResourceId {id}."),
                ));
            };
            let items = tags
                .into_iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
            page(call, world, "Tags", items)
        }
        other => Err(bad_request(
            "UnsupportedAPIEndpointException",
            format!("The ctmigrate sandbox does not emulate Organizations operation `{other}`."),
        )),
    }
}

fn describe_organization(world: &World) -> ApiResult {
    let Some(org) = &world.org else {
        return Err(bad_request(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    };
    Ok((
        json!({"Organization": {
            "Id": org.id,
            "Arn": format!("arn:aws:organizations::{}:organization/{}", org.master_account_id, org.id),
            "FeatureSet": "ALL",
            "MasterAccountArn": world.account_arn(&org.master_account_id),
            "MasterAccountId": org.master_account_id,
            "MasterAccountEmail": org.master_account_email,
            "AvailablePolicyTypes": [{"Type": SCP, "Status": "ENABLED"}]
        }}),
        Vec::new(),
    ))
}

fn check_parent(world: &World, parent: &str) -> Result<(), ApiError> {
    if parent == world.root_id() || world.ous.contains_key(parent) {
        Ok(())
    } else {
        Err(bad_request(
            "ParentNotFoundException",
            format!("We can't find a root or OU with the ParentId {parent} that you specified."),
        ))
    }
}

fn check_target(world: &World, target: &str) -> Result<(), ApiError> {
    if target == world.root_id()
        || world.ous.contains_key(target)
        || world.accounts.contains_key(target)
    {
        Ok(())
    } else {
        Err(bad_request(
            "TargetNotFoundException",
            format!(
                "We can't find a root, OU, account, or policy with the TargetId {target} that you specified."
            ),
        ))
    }
}

fn find_policy<'a>(world: &'a World, id: &str) -> Result<&'a Policy, ApiError> {
    world.policies.get(id).ok_or_else(|| {
        bad_request(
            "PolicyNotFoundException",
            format!("We can't find a policy with the PolicyId {id} that you specified."),
        )
    })
}

fn node_name(world: &World, id: &str) -> String {
    if let Some(o) = world.ous.get(id) {
        format!("{} ({id})", o.name)
    } else if let Some(a) = world.accounts.get(id) {
        format!("{} ({id})", a.name)
    } else {
        format!("Root ({id})")
    }
}

/// OU nesting AWS allows below the root.
const MAX_OU_DEPTH: usize = 5;

fn ou_depth(world: &World, id: &str) -> usize {
    let mut depth = 0;
    let mut cur = id.to_string();
    while let Some(ou) = world.ous.get(&cur) {
        depth += 1;
        cur = ou.parent_id.clone();
    }
    depth
}

fn create_ou(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let parent = str_field(b, "ParentId")?.to_string();
    let name = str_field(b, "Name")?.to_string();
    check_parent(world, &parent)?;
    if name.is_empty() || name.len() > 128 {
        return Err(invalid_input(
            "INVALID_INPUT",
            "The OU name must be 1 to 128 characters.",
        ));
    }
    if world
        .ous
        .values()
        .any(|o| o.parent_id == parent && o.name == name)
    {
        return Err(bad_request(
            "DuplicateOrganizationalUnitException",
            format!("An OU named {name} already exists under the parent {parent}."),
        ));
    }
    if ou_depth(world, &parent) >= MAX_OU_DEPTH {
        return Err(constraint(
            "OU_DEPTH_LIMIT_EXCEEDED",
            "You attempted to create an OU tree that is too many levels deep.",
        ));
    }
    let suffix = world
        .root_id()
        .strip_prefix("r-")
        .unwrap_or("none")
        .to_string();
    let id = format!(
        "ou-{suffix}-{}",
        world.next_id(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
    );
    world.ous.insert(
        id.clone(),
        super::world::Ou {
            id: id.clone(),
            name: name.clone(),
            parent_id: parent.clone(),
        },
    );
    // AWS attaches FullAWSAccess to every new OU while SCPs are enabled.
    if world.policies.contains_key("p-FullAWSAccess") {
        world
            .attachments
            .insert(id.clone(), vec!["p-FullAWSAccess".into()]);
    }
    Ok((
        json!({"OrganizationalUnit": ou_json(world, &id)}),
        happened(
            call,
            "CreateOrganizationalUnit",
            format!("{name} ({id}) under {parent}"),
        ),
    ))
}

fn delete_ou(world: &mut World, call: &Call) -> ApiResult {
    let id = str_field(call.body, "OrganizationalUnitId")?.to_string();
    let Some(ou) = world.ous.get(&id).cloned() else {
        return Err(bad_request(
            "OrganizationalUnitNotFoundException",
            format!(
                "We can't find an organizational unit (OU) with the OrganizationalUnitId {id} that you specified."
            ),
        ));
    };
    if world.ous.values().any(|o| o.parent_id == id)
        || world.accounts.values().any(|a| a.parent_id == id)
    {
        return Err(bad_request(
            "OrganizationalUnitNotEmptyException",
            "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.",
        ));
    }
    if world
        .baselines
        .iter()
        .any(|b| b.target == world.ou_arn(&id))
    {
        return Err(constraint(
            "CANNOT_REMOVE_REGISTERED_OU",
            "The OU is registered with AWS Control Tower; deregister it first.",
        ));
    }
    world.ous.remove(&id);
    world.attachments.remove(&id);
    Ok((
        json!({}),
        happened(
            call,
            "DeleteOrganizationalUnit",
            format!("{} ({id})", ou.name),
        ),
    ))
}

fn move_account(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let account = str_field(b, "AccountId")?.to_string();
    let source = str_field(b, "SourceParentId")?.to_string();
    let dest = str_field(b, "DestinationParentId")?.to_string();
    let Some(current) = world.accounts.get(&account).map(|a| a.parent_id.clone()) else {
        return Err(bad_request(
            "AccountNotFoundException",
            format!(
                "We can't find an AWS account with the AccountId {account} that you specified."
            ),
        ));
    };
    check_parent(world, &source).map_err(|_| {
        bad_request(
            "SourceParentNotFoundException",
            format!(
                "We can't find a source root or OU with the ParentId {source} that you specified."
            ),
        )
    })?;
    check_parent(world, &dest).map_err(|_| {
        bad_request(
            "DestinationParentNotFoundException",
            format!("We can't find a destination root or OU with the ParentId {dest} that you specified."),
        )
    })?;
    if current != source {
        return Err(bad_request(
            "AccountNotFoundException",
            format!("The account {account} is not in the source parent {source}."),
        ));
    }
    if current == dest {
        return Err(bad_request(
            "DuplicateAccountException",
            "That account is already present in the specified destination.",
        ));
    }
    if let Some(a) = world.accounts.get_mut(&account) {
        a.parent_id = dest.clone();
    }
    Ok((
        json!({}),
        happened(
            call,
            "MoveAccount",
            format!("{account} from {source} to {dest}"),
        ),
    ))
}

fn ou_json(world: &World, id: &str) -> Value {
    let name = world
        .ous
        .get(id)
        .map(|o| o.name.as_str())
        .unwrap_or_default();
    json!({"Id": id, "Arn": world.ou_arn(id), "Name": name})
}

fn account_json(world: &World, id: &str) -> Value {
    let Some(a) = world.accounts.get(id) else {
        return json!({"Id": id});
    };
    json!({"Id": a.id, "Arn": world.account_arn(&a.id), "Email": a.email, "Name": a.name,
        "Status": "ACTIVE", "State": "ACTIVE", "JoinedMethod": if a.id == world.master_account() { "INVITED" } else { "CREATED" },
        "JoinedTimestamp": a.joined_epoch as f64})
}

fn target_json(world: &World, id: &str) -> Value {
    let (kind, arn, name) = if let Some(o) = world.ous.get(id) {
        ("ORGANIZATIONAL_UNIT", world.ou_arn(id), o.name.clone())
    } else if let Some(a) = world.accounts.get(id) {
        ("ACCOUNT", world.account_arn(id), a.name.clone())
    } else {
        ("ROOT", world.root_arn(), "Root".to_string())
    };
    json!({"TargetId": id, "Arn": arn, "Name": name, "Type": kind})
}

fn policy_summary(world: &World, p: &Policy) -> Value {
    json!({"Id": p.id, "Arn": world.policy_arn(p), "Name": p.name, "Description": p.description,
        "Type": SCP, "AwsManaged": p.aws_managed})
}

fn parse_tags(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for t in v.and_then(Value::as_array).into_iter().flatten() {
        let (Some(k), Some(val)) = (
            t.get("Key").and_then(Value::as_str),
            t.get("Value").and_then(Value::as_str),
        ) else {
            return Err(invalid_input(
                "INVALID_INPUT",
                "Each tag needs a Key and a Value.",
            ));
        };
        out.insert(k.to_string(), val.to_string());
    }
    Ok(out)
}

/// The sandbox's own check of an SCP document, as Organizations makes it.
fn check_document(content: &str, limit: usize) -> Result<(), ApiError> {
    if content.chars().count() > limit {
        return Err(constraint(
            "POLICY_CONTENT_LIMIT_EXCEEDED",
            &format!(
                "The policy document is {} characters long; the maximum for a service control policy is {limit}.",
                content.chars().count()
            ),
        ));
    }
    let malformed = |why: &str| {
        bad_request(
            "MalformedPolicyDocumentException",
            format!(
                "The provided policy document doesn't meet the requirements of the specified policy type: {why}"
            ),
        )
    };
    let doc: Value =
        serde_json::from_str(content).map_err(|e| malformed(&format!("not valid JSON ({e})")))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| malformed("the document must be a JSON object"))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Statement" | "Id") {
            return Err(malformed(&format!("unknown element `{key}`")));
        }
    }
    let statements = match obj.get("Statement") {
        Some(Value::Array(list)) if !list.is_empty() => list.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => {
            return Err(malformed(
                "`Statement` must be a non-empty list or an object",
            ));
        }
    };
    for s in &statements {
        let effect = s.get("Effect").and_then(Value::as_str);
        if !matches!(effect, Some("Allow") | Some("Deny")) {
            return Err(malformed("every statement needs `Effect` Allow or Deny"));
        }
        if s.get("Action").is_some() == s.get("NotAction").is_some() {
            return Err(malformed(
                "every statement needs exactly one of `Action` and `NotAction`",
            ));
        }
    }
    Ok(())
}

fn create_policy(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let name = str_field(b, "Name")?.to_string();
    let content = str_field(b, "Content")?.to_string();
    let description = b
        .get("Description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = str_field(b, "Type")?;
    if kind != SCP {
        return Err(bad_request(
            "PolicyTypeNotEnabledException",
            format!("The policy type {kind} is not enabled in the sandbox organization."),
        ));
    }
    if name.is_empty() || name.len() > 128 {
        return Err(invalid_input(
            "INVALID_NAME",
            "A policy name must be 1 to 128 characters.",
        ));
    }
    check_document(&content, world.settings.scp_size_limit)?;
    if world.policies.values().any(|p| p.name == name) {
        return Err(bad_request(
            "DuplicatePolicyException",
            "A policy with the same name already exists.",
        ));
    }
    let tags = parse_tags(b.get("Tags"))?;
    let id = format!(
        "p-{}",
        world.next_id(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
    );
    let p = Policy {
        id: id.clone(),
        name: name.clone(),
        description,
        content: content.clone(),
        aws_managed: false,
        tags,
    };
    let summary = policy_summary(world, &p);
    world.policies.insert(id.clone(), p);
    Ok((
        json!({"Policy": {"PolicySummary": summary, "Content": content}}),
        happened(call, "CreatePolicy", format!("{name} ({id})")),
    ))
}

fn update_policy(world: &mut World, call: &Call) -> ApiResult {
    let b = call.body;
    let id = str_field(b, "PolicyId")?.to_string();
    let limit = world.settings.scp_size_limit;
    let current = find_policy(world, &id)?.clone();
    if current.aws_managed {
        return Err(bad_request(
            "PolicyChangesNotAllowedException",
            "Changes to an AWS managed policy are not allowed.",
        ));
    }
    let mut next = current.clone();
    if let Some(c) = b.get("Content").and_then(Value::as_str) {
        check_document(c, limit)?;
        next.content = c.to_string();
    }
    if let Some(n) = b.get("Name").and_then(Value::as_str) {
        if world.policies.values().any(|p| p.name == n && p.id != id) {
            return Err(bad_request(
                "DuplicatePolicyException",
                "A policy with the same name already exists.",
            ));
        }
        next.name = n.to_string();
    }
    if let Some(d) = b.get("Description").and_then(Value::as_str) {
        next.description = d.to_string();
    }
    let summary = policy_summary(world, &next);
    let content = next.content.clone();
    let name = next.name.clone();
    world.policies.insert(id.clone(), next);
    let mut happenings = happened(call, "UpdatePolicy", format!("{name} ({id})"));
    happenings.extend(world.recheck_control_drift(call.now_ms));
    Ok((
        json!({"Policy": {"PolicySummary": summary, "Content": content}}),
        happenings,
    ))
}
