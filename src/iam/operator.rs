//! The operator's identity policy: exactly the actions ctmigrate calls,
//! from [`crate::aws::ACTIONS`] (which a test keeps equal to what the
//! adapters call). Read-only (`detect`, `plan`, `check`, `simulate`,
//! `explain`, `status`) or also the changes of `apply`, `resume` and
//! `rollback`.

use serde_json::{Value, json};

use crate::aws::{ACTIONS, ApiAction, TAG_ON_CREATE};
use crate::plan::action::OWNER_TAG;

/// What the operator will run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorScope {
    /// Only the reading commands.
    pub read_only: bool,
    /// `--member-role NAME`: member accounts are read through this role.
    pub member_role: Option<String>,
}

fn sorted(actions: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = actions.collect();
    v.sort();
    v.dedup();
    v
}

/// The policy document.
pub fn policy(scope: &OperatorScope) -> Value {
    let reads = sorted(
        ACTIONS
            .iter()
            .filter(|a| !a.writes && !a.member_role)
            .map(ApiAction::iam),
    );
    let mut statements = vec![json!({
        "Sid": "CtmigrateRead",
        "Effect": "Allow",
        "Action": reads,
        "Resource": "*",
    })];
    if !scope.read_only {
        statements.push(json!({
            "Sid": "CtmigrateMigrate",
            "Effect": "Allow",
            "Action": sorted(ACTIONS.iter().filter(|a| a.writes).map(ApiAction::iam)),
            "Resource": "*",
        }));
        statements.push(json!({
            "Sid": "CtmigrateTagOnCreate",
            "Effect": "Allow",
            "Action": sorted(TAG_ON_CREATE.iter().map(|(a, _)| a.iam())),
            "Resource": "*",
            "Condition": {"StringEquals": {
                format!("aws:RequestTag/{}", OWNER_TAG.0): OWNER_TAG.1
            }},
        }));
    }
    if let Some(role) = &scope.member_role {
        statements.push(json!({
            "Sid": "CtmigrateReadMembers",
            "Effect": "Allow",
            "Action": sorted(ACTIONS.iter().filter(|a| a.member_role).map(ApiAction::iam)),
            "Resource": format!("arn:aws:iam::*:role/{role}"),
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(p: &Value) -> Vec<String> {
        p["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["Action"].as_array().unwrap().clone())
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn read_only_grants_no_change() {
        let p = policy(&OperatorScope {
            read_only: true,
            member_role: None,
        });
        let granted = actions(&p);
        for a in ACTIONS.iter().filter(|a| a.writes) {
            assert!(!granted.contains(&a.iam()), "{}", a.iam());
        }
        assert!(granted.contains(&"organizations:ListPoliciesForTarget".to_string()));
        assert!(!granted.contains(&"sts:AssumeRole".to_string()));
    }

    #[test]
    fn the_full_policy_grants_every_action_once() {
        let p = policy(&OperatorScope {
            read_only: false,
            member_role: Some("AWSControlTowerExecution".into()),
        });
        let granted = actions(&p);
        for a in ACTIONS {
            assert_eq!(
                granted.iter().filter(|g| **g == a.iam()).count(),
                1,
                "{}",
                a.iam()
            );
        }
        assert_eq!(granted.len(), ACTIONS.len() + TAG_ON_CREATE.len());
        assert!(
            p.to_string()
                .contains("arn:aws:iam::*:role/AWSControlTowerExecution")
        );
    }
}
