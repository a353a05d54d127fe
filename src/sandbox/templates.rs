//! The SCP statements Control Tower writes, as the sandbox plays them.
//!
//! This is the sandbox's own copy of the documented templates (Control Tower
//! control reference: `primary-region-deny-policy.html` and
//! `ou-region-deny.html`). The planner keeps a separate copy on purpose: if
//! both sides shared one template, prediction and emulated reality would agree
//! by construction and the end-to-end tests would prove nothing.

use serde_json::{Value, json};

/// Sid of the landing-zone region deny statement.
pub const GRREGIONDENY_SID: &str = "GRREGIONDENY";
/// Sid of the OU-level region deny statement.
pub const PV1_SID: &str = "CTMULTISERVICEPV1";

/// Description Control Tower gives its managed SCPs.
pub const GUARDRAIL_DESCRIPTION: &str = "This policy and the contents implement controls, managed by AWS Control Tower. Do not modify, delete, or detach this policy from any target. To change controls, use the AWS Control Tower console.";

const NOT_ACTIONS: &str = include_str!("data/region_deny_not_actions.txt");

const CT_ROLES: [&str; 4] = [
    "arn:*:iam::*:role/AWSControlTowerExecution",
    "arn:*:iam::*:role/aws-controltower-ConfigRecorderRole",
    "arn:*:iam::*:role/aws-controltower-ForwardSnsNotificationRole",
    "arn:*:iam::*:role/AWSControlTower_VPCFlowLogsRole",
];

fn default_not_actions() -> Vec<Value> {
    NOT_ACTIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Value::String(l.to_string()))
        .collect()
}

/// The `GRREGIONDENY` statement for the governed Regions.
pub fn grregiondeny_statement(governed: &[String]) -> Value {
    json!({
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": governed},
            "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSControlTowerExecution"]}
        },
        "Resource": "*",
        "Effect": "Deny",
        "NotAction": default_not_actions(),
        "Sid": GRREGIONDENY_SID
    })
}

fn string_list(params: &[(String, Value)], key: &str) -> Vec<Value> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_array().cloned())
        .unwrap_or_default()
}

/// The `CTMULTISERVICEPV1` statement for the given control parameters.
pub fn pv1_statement(params: &[(String, Value)]) -> Value {
    let mut not_action = string_list(params, "ExemptedActions");
    not_action.extend(default_not_actions());
    let mut principals = string_list(params, "ExemptedPrincipalArns");
    principals.extend(CT_ROLES.iter().map(|r| Value::String(r.to_string())));
    json!({
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": string_list(params, "AllowedRegions")},
            "ArnNotLike": {"aws:PrincipalARN": principals}
        },
        "Resource": "*",
        "Effect": "Deny",
        "NotAction": not_action,
        "Sid": PV1_SID
    })
}

/// A mandatory guardrail statement that protects Control Tower's own resources.
pub fn mandatory_statement(sid: &str) -> Value {
    let (actions, resource): (Vec<&str>, &str) = match sid {
        "GRCLOUDTRAILENABLED" => (
            vec![
                "cloudtrail:DeleteTrail",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
            ],
            "arn:aws:cloudtrail:*:*:trail/aws-controltower-*",
        ),
        "GRCONFIGENABLED" => (
            vec![
                "config:DeleteConfigurationRecorder",
                "config:DeleteDeliveryChannel",
                "config:DeleteRetentionConfiguration",
                "config:PutConfigurationRecorder",
                "config:PutDeliveryChannel",
                "config:PutRetentionConfiguration",
                "config:StopConfigurationRecorder",
            ],
            "*",
        ),
        _ => (
            vec![
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            "arn:aws:iam::*:role/aws-controltower-*",
        ),
    };
    json!({
        "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/AWSControlTowerExecution"}},
        "Resource": resource,
        "Effect": "Deny",
        "Action": actions,
        "Sid": sid
    })
}

/// The Sid a control's statement carries.
pub fn sid_for_key(key: &str) -> String {
    match key {
        "CT.MULTISERVICE.PV.1" => PV1_SID.into(),
        "AWS-GR_REGION_DENY" => GRREGIONDENY_SID.into(),
        "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED" => "GRCLOUDTRAILENABLED".into(),
        "AWS-GR_CONFIG_CHANGE_PROHIBITED" => "GRCONFIGENABLED".into(),
        "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED" => "GRIAMROLEPOLICY".into(),
        other => other.replace(['.', '-', '_'], ""),
    }
}

/// The statement an SCP-implemented control writes, if the sandbox models it.
pub fn control_statement(key: &str, params: &[(String, Value)]) -> Option<Value> {
    match key {
        "CT.MULTISERVICE.PV.1" => Some(pv1_statement(params)),
        "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED"
        | "AWS-GR_CONFIG_CHANGE_PROHIBITED"
        | "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED" => Some(mandatory_statement(&sid_for_key(key))),
        _ => None,
    }
}

/// A minified policy document holding `statements`.
pub fn document(statements: Vec<Value>) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn statements_of(content: &str) -> Option<Vec<Value>> {
    let doc: Value = serde_json::from_str(content).ok()?;
    match doc.get("Statement")? {
        Value::Array(list) => Some(list.clone()),
        obj @ Value::Object(_) => Some(vec![obj.clone()]),
        _ => None,
    }
}

/// Sids of the statements in a policy document (none if it does not parse).
pub fn statement_sids(content: &str) -> Vec<String> {
    statements_of(content)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// The statements of a policy document that carry `sid`.
pub fn statements_with_sid(content: &str, sid: &str) -> Vec<Value> {
    statements_of(content)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
        .collect()
}

/// The document with `stmt` appended, or `None` if the content does not parse.
pub fn with_statement(content: &str, stmt: &Value) -> Option<String> {
    let mut list = statements_of(content)?;
    list.push(stmt.clone());
    Some(document(list))
}

/// The document without statements carrying `sid`: `None` if none carried it,
/// `Some(None)` if nothing is left, `Some(Some(doc))` otherwise.
pub fn without_statement(content: &str, sid: &str) -> Option<Option<String>> {
    let list = statements_of(content)?;
    let before = list.len();
    let kept: Vec<Value> = list
        .into_iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(sid))
        .collect();
    if kept.len() == before {
        return None;
    }
    Some((!kept.is_empty()).then(|| document(kept)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pv1_prepends_exempted_actions_and_principals() {
        let params = vec![
            ("AllowedRegions".to_string(), json!(["ap-northeast-1"])),
            (
                "ExemptedActions".to_string(),
                json!(["bedrock:InvokeModel"]),
            ),
            (
                "ExemptedPrincipalArns".to_string(),
                json!(["arn:aws:iam::*:role/Break"]),
            ),
        ];
        let s = pv1_statement(&params);
        assert_eq!(s["NotAction"][0], "bedrock:InvokeModel");
        assert_eq!(s["NotAction"][1], "a4b:*");
        assert_eq!(
            s["Condition"]["ArnNotLike"]["aws:PrincipalARN"][0],
            "arn:aws:iam::*:role/Break"
        );
        assert_eq!(
            s["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
            json!(["ap-northeast-1"])
        );
    }

    #[test]
    fn statements_are_added_and_removed_by_sid() {
        let doc = document(vec![mandatory_statement("GRCONFIGENABLED")]);
        let doc = with_statement(&doc, &grregiondeny_statement(&["us-east-1".into()])).unwrap();
        assert_eq!(
            statement_sids(&doc),
            vec!["GRCONFIGENABLED", "GRREGIONDENY"]
        );
        let left = without_statement(&doc, "GRREGIONDENY").unwrap().unwrap();
        assert_eq!(statement_sids(&left), vec!["GRCONFIGENABLED"]);
        assert_eq!(without_statement(&left, "GRCONFIGENABLED"), Some(None));
        assert_eq!(without_statement(&left, "NOPE"), None);
    }
}
