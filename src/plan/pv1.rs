//! The planner's own model of what Control Tower writes for
//! CT.MULTISERVICE.PV.1 (control reference `ou-region-deny.html`): the
//! parameters the plan sends and the `CTMULTISERVICEPV1` statement they
//! produce. Kept apart from the sandbox's copy on purpose.

use serde_json::{Value, json};

/// Sid of the statement Control Tower writes for PV.1.
pub const PV1_SID: &str = "CTMULTISERVICEPV1";
/// Sid of the landing-zone region deny statement (`AWS-GR_REGION_DENY`).
pub const GRREGIONDENY_SID: &str = "GRREGIONDENY";

/// The Control Catalog's pattern for each of PV.1's `ExemptedPrincipalArns`.
pub const EXEMPTED_PRINCIPAL_PATTERN: &str = "^arn:(aws|aws-us-gov):(iam|sts)::.+:.+$";

/// Whether `arn` fits [`EXEMPTED_PRINCIPAL_PATTERN`]: the `aws` or
/// `aws-us-gov` partition, IAM or STS, an empty Region, then a non-empty
/// account and a non-empty rest separated by a colon.
pub fn is_exemptable_principal(arn: &str) -> bool {
    let rest = [
        "arn:aws:iam::",
        "arn:aws:sts::",
        "arn:aws-us-gov:iam::",
        "arn:aws-us-gov:sts::",
    ]
    .iter()
    .find_map(|p| arn.strip_prefix(p));
    // `.+:.+` : some colon with at least one character on each side.
    rest.is_some_and(|r| {
        r.char_indices()
            .any(|(i, c)| c == ':' && i > 0 && i + 1 < r.len())
    })
}

const DEFAULT_NOT_ACTIONS: &str = include_str!("data/pv1_default_not_actions.txt");

/// Control Tower's own roles, always exempt from PV.1.
pub const CONTROL_TOWER_ROLES: [&str; 4] = [
    "arn:*:iam::*:role/AWSControlTowerExecution",
    "arn:*:iam::*:role/aws-controltower-ConfigRecorderRole",
    "arn:*:iam::*:role/aws-controltower-ForwardSnsNotificationRole",
    "arn:*:iam::*:role/AWSControlTower_VPCFlowLogsRole",
];

/// The Bedrock inference actions every plan exempts (they also cover Converse and ConverseStream).
pub const BEDROCK_INFERENCE_ACTIONS: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// The default NotAction list of the documented template.
pub fn default_not_actions() -> Vec<String> {
    DEFAULT_NOT_ACTIONS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a principal ARN pattern is one of Control Tower's own roles.
pub fn is_control_tower_role(pattern: &str) -> bool {
    let role = pattern.rsplit(":role/").next().unwrap_or_default();
    CONTROL_TOWER_ROLES
        .iter()
        .any(|r| r.rsplit(":role/").next() == Some(role))
}

/// PV.1 parameters as EnableControl takes them (`[{key, value}]`).
pub fn parameters(allowed: &[String], actions: &[String], principals: &[String]) -> Value {
    let mut list = vec![json!({"key": "AllowedRegions", "value": allowed})];
    if !actions.is_empty() {
        list.push(json!({"key": "ExemptedActions", "value": actions}));
    }
    if !principals.is_empty() {
        list.push(json!({"key": "ExemptedPrincipalArns", "value": principals}));
    }
    Value::Array(list)
}

/// The `CTMULTISERVICEPV1` statement for the parameters.
pub fn statement(allowed: &[String], actions: &[String], principals: &[String]) -> Value {
    let mut not_action: Vec<String> = actions.to_vec();
    not_action.extend(default_not_actions());
    let mut exempt: Vec<String> = principals.to_vec();
    exempt.extend(CONTROL_TOWER_ROLES.iter().map(|s| s.to_string()));
    json!({
        "Sid": PV1_SID,
        "Effect": "Deny",
        "NotAction": not_action,
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": allowed},
            "ArnNotLike": {"aws:PrincipalARN": exempt}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exempted_principals_follow_the_catalog_pattern() {
        for ok in [
            "arn:aws:iam::*:role/BreakGlass",
            "arn:aws:sts::*:assumed-role/ReadOnly/*",
            "arn:aws-us-gov:iam::123456789012:role/x",
        ] {
            assert!(is_exemptable_principal(ok), "{ok}");
        }
        for bad in [
            "arn:*:iam::*:role/BreakGlass",
            "arn:aws:iam:us-east-1:*:role/x",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::*:",
            "arn:aws:iam:::role/x",
            "arn:aws-cn:iam::*:role/x",
        ] {
            assert!(!is_exemptable_principal(bad), "{bad}");
        }
    }

    #[test]
    fn control_tower_roles_match_in_either_partition_form() {
        assert!(is_control_tower_role(
            "arn:aws:iam::*:role/AWSControlTowerExecution"
        ));
        assert!(is_control_tower_role(
            "arn:*:iam::*:role/aws-controltower-ConfigRecorderRole"
        ));
        assert!(!is_control_tower_role("arn:aws:iam::*:role/BreakGlass"));
    }

    #[test]
    fn exempted_actions_come_first() {
        let s = statement(&["us-east-1".into()], &["bedrock:InvokeModel".into()], &[]);
        assert_eq!(s["NotAction"][0], "bedrock:InvokeModel");
        assert_eq!(s["NotAction"].as_array().unwrap().len(), 87);
        assert_eq!(
            s["Condition"]["ArnNotLike"]["aws:PrincipalARN"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
    }
}
