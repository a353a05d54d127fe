//! The AWS requests a plan's steps make, typed. On disk each one is the
//! `{"service", "operation", "input"}` object of docs/plan-format.md
//! ([`ApiCall`]); reading a plan parses every one into an [`Action`], so
//! that an operation ctmigrate does not perform is refused when the plan is
//! read, not in the middle of an apply, and every `match` over actions is
//! told by the compiler when one is added.
//!
//! It owns the wire shape of each request (field names and their order, so
//! that a plan read and written again keeps its checksum). It must not
//! send anything: `apply` observes and sends.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::OperationStatus;

/// An AWS API request as the plan file stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCall {
    pub service: String,
    pub operation: String,
    pub input: Value,
}

/// `Type` and `Filter` of the Organizations calls: ctmigrate only handles SCPs.
const SCP: &str = "SERVICE_CONTROL_POLICY";

/// One request of a step, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ApiCall", into = "ApiCall")]
pub enum Action {
    /// STS GetCallerIdentity (a preflight check names what it reads).
    GetCallerIdentity,
    /// Control Tower GetLandingZone.
    GetLandingZone(LandingZoneRef),
    /// Control Tower ListControlOperations with one status.
    ListControlOperations(OperationsFilter),
    /// Organizations ListPoliciesForTarget (SCPs).
    ListPoliciesForTarget(TargetRef),
    /// Organizations CreatePolicy (an SCP).
    CreatePolicy(NewPolicy),
    /// Organizations UpdatePolicy: new content.
    UpdatePolicy(PolicyContent),
    /// Organizations DeletePolicy.
    DeletePolicy(PolicyRef),
    /// Organizations AttachPolicy.
    AttachPolicy(PolicyTarget),
    /// Organizations DetachPolicy.
    DetachPolicy(PolicyTarget),
    /// Control Tower EnableControl.
    EnableControl(EnableControlInput),
    /// Control Tower DisableControl by the enabled control's ARN.
    DisableControl(EnabledControlRef),
    /// Control Tower UpdateEnabledControl: new parameters.
    UpdateEnabledControl(UpdateControlInput),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LandingZoneRef {
    pub landing_zone_identifier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsFilter {
    pub filter: Statuses,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statuses {
    pub statuses: Vec<OperationStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TargetRef {
    pub target_id: String,
    pub filter: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NewPolicy {
    pub name: String,
    pub description: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub content: String,
    pub tags: Vec<PolicyTag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PolicyTag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PolicyContent {
    pub policy_id: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PolicyRef {
    pub policy_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PolicyTarget {
    pub policy_id: String,
    pub target_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnableControlInput {
    pub control_identifier: String,
    pub target_identifier: String,
    /// `[{"key": …, "value": […]}]`, as Control Tower takes them.
    pub parameters: Value,
    /// The tags the enabled control gets: they mark it as ctmigrate's, so
    /// that a rollback can tell its own PV.1 from one someone else enabled.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The tag that marks what ctmigrate made (the companion SCP, each PV.1 it
/// enabled): what carries it is ctmigrate's to undo.
pub const OWNER_TAG: (&str, &str) = ("managed-by", "ctmigrate");

/// Whether `tags` mark a resource as made by ctmigrate.
pub fn made_by_ctmigrate(tags: &std::collections::BTreeMap<String, String>) -> bool {
    tags.get(OWNER_TAG.0).map(String::as_str) == Some(OWNER_TAG.1)
}

/// The tags ctmigrate gives each CT.MULTISERVICE.PV.1 it enables.
pub fn pv1_tags() -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::from([
        (OWNER_TAG.0.to_string(), OWNER_TAG.1.to_string()),
        (
            "ctmigrate-purpose".to_string(),
            "bedrock-cross-region-inference".to_string(),
        ),
    ])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnabledControlRef {
    pub enabled_control_identifier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateControlInput {
    pub enabled_control_identifier: String,
    pub parameters: Value,
}

/// Why an [`ApiCall`] is not an action ctmigrate performs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("the plan asks for {service}:{operation}, which ctmigrate does not perform")]
    Unknown { service: String, operation: String },
    #[error("the input of {service}:{operation} is not as ctmigrate writes it: {detail}")]
    Input {
        service: String,
        operation: String,
        detail: String,
    },
}

const STS: &str = "sts";
const ORGANIZATIONS: &str = "organizations";
const CONTROL_TOWER: &str = "controltower";

impl Action {
    /// Creating an SCP named `name` with these tags.
    pub fn create_scp(
        name: &str,
        description: &str,
        content: &str,
        tags: &[(String, String)],
    ) -> Action {
        Action::CreatePolicy(NewPolicy {
            name: name.into(),
            description: description.into(),
            kind: SCP.into(),
            content: content.into(),
            tags: tags
                .iter()
                .map(|(k, v)| PolicyTag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        })
    }

    /// Listing the SCPs attached to `target`.
    pub fn list_scps_for(target: &str) -> Action {
        Action::ListPoliciesForTarget(TargetRef {
            target_id: target.into(),
            filter: SCP.into(),
        })
    }

    /// Listing the control operations in progress.
    pub fn list_running_operations() -> Action {
        Action::ListControlOperations(OperationsFilter {
            filter: Statuses {
                statuses: vec![OperationStatus::InProgress],
            },
        })
    }

    /// The service and operation, as AWS names them.
    pub fn name(&self) -> (&'static str, &'static str) {
        match self {
            Action::GetCallerIdentity => (STS, "GetCallerIdentity"),
            Action::GetLandingZone(_) => (CONTROL_TOWER, "GetLandingZone"),
            Action::ListControlOperations(_) => (CONTROL_TOWER, "ListControlOperations"),
            Action::ListPoliciesForTarget(_) => (ORGANIZATIONS, "ListPoliciesForTarget"),
            Action::CreatePolicy(_) => (ORGANIZATIONS, "CreatePolicy"),
            Action::UpdatePolicy(_) => (ORGANIZATIONS, "UpdatePolicy"),
            Action::DeletePolicy(_) => (ORGANIZATIONS, "DeletePolicy"),
            Action::AttachPolicy(_) => (ORGANIZATIONS, "AttachPolicy"),
            Action::DetachPolicy(_) => (ORGANIZATIONS, "DetachPolicy"),
            Action::EnableControl(_) => (CONTROL_TOWER, "EnableControl"),
            Action::DisableControl(_) => (CONTROL_TOWER, "DisableControl"),
            Action::UpdateEnabledControl(_) => (CONTROL_TOWER, "UpdateEnabledControl"),
        }
    }

    /// Whether it only reads (a check step's request).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Action::GetCallerIdentity
                | Action::GetLandingZone(_)
                | Action::ListControlOperations(_)
                | Action::ListPoliciesForTarget(_)
        )
    }

    /// Whether it starts an asynchronous Control Tower control operation
    /// (minutes on AWS, at most 10 at once).
    pub fn starts_control_operation(&self) -> bool {
        matches!(
            self,
            Action::EnableControl(_) | Action::DisableControl(_) | Action::UpdateEnabledControl(_)
        )
    }

    /// The request as the plan file stores it.
    pub fn to_call(&self) -> ApiCall {
        fn input(v: &impl Serialize) -> Value {
            serde_json::to_value(v).unwrap_or(Value::Null)
        }
        let (service, operation) = self.name();
        let input = match self {
            Action::GetCallerIdentity => Value::Object(Default::default()),
            Action::GetLandingZone(i) => input(i),
            Action::ListControlOperations(i) => input(i),
            Action::ListPoliciesForTarget(i) => input(i),
            Action::CreatePolicy(i) => input(i),
            Action::UpdatePolicy(i) => input(i),
            Action::DeletePolicy(i) => input(i),
            Action::AttachPolicy(i) | Action::DetachPolicy(i) => input(i),
            Action::EnableControl(i) => input(i),
            Action::DisableControl(i) => input(i),
            Action::UpdateEnabledControl(i) => input(i),
        };
        ApiCall {
            service: service.into(),
            operation: operation.into(),
            input,
        }
    }

    /// The same action with every string of its input passed through `f`
    /// (the journal's `${step.Field}` placeholders).
    pub fn map_strings<E>(
        &self,
        f: &mut impl FnMut(&str) -> Result<String, E>,
    ) -> Result<Action, MapError<E>> {
        let mut call = self.to_call();
        call.input = map_value(&call.input, f).map_err(MapError::Map)?;
        Action::try_from(call).map_err(MapError::Action)
    }
}

/// Why [`Action::map_strings`] failed.
#[derive(Debug)]
pub enum MapError<E> {
    /// `f` refused a string.
    Map(E),
    /// The mapped input is no longer the action's shape.
    Action(ActionError),
}

fn map_value<E>(v: &Value, f: &mut impl FnMut(&str) -> Result<String, E>) -> Result<Value, E> {
    Ok(match v {
        Value::String(s) => Value::String(f(s)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| map_value(x, f))
                .collect::<Result<_, E>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), map_value(x, f)?)))
                .collect::<Result<_, E>>()?,
        ),
        other => other.clone(),
    })
}

impl TryFrom<ApiCall> for Action {
    type Error = ActionError;

    fn try_from(call: ApiCall) -> Result<Action, ActionError> {
        fn parse<T: serde::de::DeserializeOwned>(call: &ApiCall) -> Result<T, ActionError> {
            serde_json::from_value(call.input.clone()).map_err(|e| ActionError::Input {
                service: call.service.clone(),
                operation: call.operation.clone(),
                detail: e.to_string(),
            })
        }
        let c = &call;
        Ok(match (c.service.as_str(), c.operation.as_str()) {
            (STS, "GetCallerIdentity") => Action::GetCallerIdentity,
            (CONTROL_TOWER, "GetLandingZone") => Action::GetLandingZone(parse(c)?),
            (CONTROL_TOWER, "ListControlOperations") => Action::ListControlOperations(parse(c)?),
            (ORGANIZATIONS, "ListPoliciesForTarget") => Action::ListPoliciesForTarget(parse(c)?),
            (ORGANIZATIONS, "CreatePolicy") => Action::CreatePolicy(parse(c)?),
            (ORGANIZATIONS, "UpdatePolicy") => Action::UpdatePolicy(parse(c)?),
            (ORGANIZATIONS, "DeletePolicy") => Action::DeletePolicy(parse(c)?),
            (ORGANIZATIONS, "AttachPolicy") => Action::AttachPolicy(parse(c)?),
            (ORGANIZATIONS, "DetachPolicy") => Action::DetachPolicy(parse(c)?),
            (CONTROL_TOWER, "EnableControl") => Action::EnableControl(parse(c)?),
            (CONTROL_TOWER, "DisableControl") => Action::DisableControl(parse(c)?),
            (CONTROL_TOWER, "UpdateEnabledControl") => Action::UpdateEnabledControl(parse(c)?),
            _ => {
                return Err(ActionError::Unknown {
                    service: call.service,
                    operation: call.operation,
                });
            }
        })
    }
}

impl From<Action> for ApiCall {
    fn from(a: Action) -> ApiCall {
        a.to_call()
    }
}

impl JsonSchema for Action {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ApiCall::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ApiCall::json_schema(generator)
    }
}

/// `service:Operation Key=value …`, for progress lines.
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (service, operation) = self.name();
        write!(f, "{service}:{operation}")?;
        let call = self.to_call();
        for key in [
            "Name",
            "PolicyId",
            "TargetId",
            "targetIdentifier",
            "enabledControlIdentifier",
        ] {
            if let Some(v) = call.input.get(key).and_then(Value::as_str) {
                write!(f, " {key}={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(service: &str, operation: &str, input: Value) -> ApiCall {
        ApiCall {
            service: service.into(),
            operation: operation.into(),
            input,
        }
    }

    #[test]
    fn every_action_reads_and_writes_the_same_json() {
        let calls = [
            call("sts", "GetCallerIdentity", json!({})),
            call(
                "controltower",
                "GetLandingZone",
                json!({"landingZoneIdentifier": "arn:lz"}),
            ),
            call(
                "controltower",
                "ListControlOperations",
                json!({"filter": {"statuses": ["IN_PROGRESS"]}}),
            ),
            call(
                "organizations",
                "ListPoliciesForTarget",
                json!({"TargetId": "ou-1", "Filter": "SERVICE_CONTROL_POLICY"}),
            ),
            call(
                "organizations",
                "CreatePolicy",
                json!({"Name": "n", "Description": "d", "Type": "SERVICE_CONTROL_POLICY", "Content": "{}", "Tags": [{"Key": "k", "Value": "v"}]}),
            ),
            call(
                "organizations",
                "UpdatePolicy",
                json!({"PolicyId": "p-1", "Content": "{}"}),
            ),
            call(
                "organizations",
                "DeletePolicy",
                json!({"PolicyId": "${create-companion.PolicyId}"}),
            ),
            call(
                "organizations",
                "AttachPolicy",
                json!({"PolicyId": "p-1", "TargetId": "ou-1"}),
            ),
            call(
                "organizations",
                "DetachPolicy",
                json!({"PolicyId": "p-1", "TargetId": "ou-1"}),
            ),
            call(
                "controltower",
                "EnableControl",
                json!({"controlIdentifier": "c", "targetIdentifier": "t", "parameters": [{"key": "AllowedRegions", "value": ["us-east-1"]}]}),
            ),
            call(
                "controltower",
                "DisableControl",
                json!({"enabledControlIdentifier": "${enable-pv1:ou-1.arn}"}),
            ),
            call(
                "controltower",
                "UpdateEnabledControl",
                json!({"enabledControlIdentifier": "e", "parameters": []}),
            ),
        ];
        for c in calls {
            let text = serde_json::to_string(&c).unwrap();
            let action: Action = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&action).unwrap(), text, "{action}");
        }
    }

    #[test]
    fn unknown_operations_and_inputs_are_refused_by_name() {
        let e =
            Action::try_from(call("organizations", "DeleteOrganization", json!({}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the plan asks for organizations:DeleteOrganization, which ctmigrate does not perform"
        );
        let e = Action::try_from(call(
            "organizations",
            "AttachPolicy",
            json!({"PolicyId": "p", "TargetId": "t", "Extra": 1}),
        ))
        .unwrap_err();
        assert!(e.to_string().contains("organizations:AttachPolicy"), "{e}");
    }

    #[test]
    fn placeholders_are_mapped_in_every_string() {
        let a = Action::AttachPolicy(PolicyTarget {
            policy_id: "${create-companion.PolicyId}".into(),
            target_id: "ou-1".into(),
        });
        let mapped = a
            .map_strings(&mut |s: &str| {
                Ok::<_, ()>(s.replace("${create-companion.PolicyId}", "p-9"))
            })
            .unwrap();
        assert_eq!(
            mapped.to_string(),
            "organizations:AttachPolicy PolicyId=p-9 TargetId=ou-1"
        );
    }
}
