//! A Bedrock caller's identity policy for one cross-Region inference
//! profile: the calls through the profile in its source Region, the model
//! in **every** destination Region the profile may route to (only through
//! that profile), the Region-less model of a `global.` profile, and reading
//! the profile. Nothing else: no direct model call, no other profile, no
//! other Region.
//!
//! The shapes follow the Bedrock user guide's "Prerequisites for inference
//! profiles" and "global cross-Region inference" pages (as summarised in
//! ../shared/reference/controltower.md §5.2): the profile ARN in the source
//! Region, the foundation model in each destination Region conditioned on
//! `bedrock:InferenceProfileArn`, and for `global.` profiles the Region-less
//! model ARN, whose requests carry `aws:RequestedRegion = "unspecified"`.
//!
//! Pure: it builds the document; it must not call AWS or print.

use serde_json::{Value, json};

use crate::regions::UNSPECIFIED;

/// The Bedrock actions a call through a profile needs (Converse and
/// ConverseStream are authorised as these two).
pub const INVOKE: [&str; 2] = [
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// One system-defined inference profile as the caller uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerProfile {
    /// `us.anthropic.claude-sonnet-4-5-20250929-v1:0`.
    pub id: String,
    /// The Region the caller calls from.
    pub source_region: String,
    /// The foundation model ARNs it routes to: one per destination Region,
    /// and the Region-less ARN for a `global.` profile.
    pub model_arns: Vec<String>,
}

impl CallerProfile {
    /// The profile's ARN for whichever account calls (the policy variable
    /// `${aws:PrincipalAccount}`), so one policy serves every account.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:bedrock:{}:${{aws:PrincipalAccount}}:inference-profile/{}",
            self.source_region, self.id
        )
    }

    /// The destination Regions, sorted (`unspecified` for the Region-less leg).
    pub fn destinations(&self) -> Vec<String> {
        let mut d: Vec<String> = self
            .model_arns
            .iter()
            .map(|a| {
                crate::model::arn_region(a)
                    .unwrap_or(UNSPECIFIED)
                    .to_string()
            })
            .collect();
        d.sort();
        d.dedup();
        d
    }
}

/// The policy document for `p`.
pub fn policy(p: &CallerProfile) -> Value {
    let profile = p.arn();
    let mut regional: Vec<&String> = p
        .model_arns
        .iter()
        .filter(|a| crate::model::arn_region(a).is_some())
        .collect();
    regional.sort();
    regional.dedup();
    let mut regionless: Vec<&String> = p
        .model_arns
        .iter()
        .filter(|a| crate::model::arn_region(a).is_none())
        .collect();
    regionless.sort();
    regionless.dedup();
    let mut statements = vec![
        json!({
            "Sid": "InvokeThroughTheProfile",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": profile,
            "Condition": {"StringEquals": {"aws:RequestedRegion": p.source_region}},
        }),
        json!({
            "Sid": "InvokeTheModelInEveryDestination",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": regional,
            "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
        }),
    ];
    if !regionless.is_empty() {
        statements.push(json!({
            "Sid": "InvokeTheRegionlessModel",
            "Effect": "Allow",
            "Action": INVOKE,
            "Resource": regionless,
            "Condition": {"StringEquals": {
                "aws:RequestedRegion": UNSPECIFIED,
                "bedrock:InferenceProfileArn": profile,
            }},
        }));
    }
    statements.push(json!({
        "Sid": "ReadTheProfile",
        "Effect": "Allow",
        "Action": "bedrock:GetInferenceProfile",
        "Resource": profile,
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_value;
    use crate::policy::{Request, evaluate_policy};

    const ACCOUNT: &str = "222222222222";
    const MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn geographic() -> CallerProfile {
        CallerProfile {
            id: format!("us.{MODEL}"),
            source_region: "us-east-1".into(),
            model_arns: ["us-east-1", "us-east-2", "us-west-2"]
                .iter()
                .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{MODEL}"))
                .collect(),
        }
    }

    fn global() -> CallerProfile {
        CallerProfile {
            id: format!("global.{MODEL}"),
            source_region: "ap-northeast-1".into(),
            model_arns: vec![
                format!("arn:aws:bedrock:ap-northeast-1::foundation-model/{MODEL}"),
                format!("arn:aws:bedrock:::foundation-model/{MODEL}"),
            ],
        }
    }

    fn profile_arn(p: &CallerProfile, account: &str) -> String {
        format!(
            "arn:aws:bedrock:{}:{account}:inference-profile/{}",
            p.source_region, p.id
        )
    }

    /// Whether the policy allows `action` on `resource` in `region`, called
    /// by `account` through `through` (an inference profile ARN, if any).
    fn allows(
        p: &CallerProfile,
        account: &str,
        action: &str,
        resource: &str,
        region: &str,
        through: Option<&str>,
    ) -> bool {
        let parsed = parse_value("caller", &policy(p)).unwrap();
        let mut req = Request::new(
            &format!("arn:aws:iam::{account}:role/app"),
            account,
            action,
            resource,
            &[
                ("aws:RequestedRegion", region),
                ("aws:PrincipalAccount", account),
            ],
        );
        if let Some(t) = through {
            req = req.with("bedrock:InferenceProfileArn", t);
        }
        let (deny, allowed) = evaluate_policy(&parsed, &req);
        deny.is_none() && allowed
    }

    #[test]
    fn a_geographic_profile_reaches_every_destination_and_nothing_else() {
        let p = geographic();
        let through = profile_arn(&p, ACCOUNT);
        for action in INVOKE {
            assert!(allows(&p, ACCOUNT, action, &through, "us-east-1", None));
            for r in ["us-east-1", "us-east-2", "us-west-2"] {
                let model = format!("arn:aws:bedrock:{r}::foundation-model/{MODEL}");
                assert!(
                    allows(&p, ACCOUNT, action, &model, r, Some(&through)),
                    "{r}"
                );
                // The same model called directly, not through the profile.
                assert!(!allows(&p, ACCOUNT, action, &model, r, None), "{r} direct");
            }
            // A Region the profile does not route to.
            let model = format!("arn:aws:bedrock:eu-west-1::foundation-model/{MODEL}");
            assert!(!allows(
                &p,
                ACCOUNT,
                action,
                &model,
                "eu-west-1",
                Some(&through)
            ));
            // Another model in a destination, through the profile.
            let other = "arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-pro-v1:0";
            assert!(!allows(
                &p,
                ACCOUNT,
                action,
                other,
                "us-east-2",
                Some(&through)
            ));
            // Another profile.
            let eu = format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/eu.{MODEL}");
            assert!(!allows(&p, ACCOUNT, action, &eu, "us-east-1", None));
            // The profile of another account.
            let theirs = profile_arn(&p, "333333333333");
            assert!(!allows(&p, ACCOUNT, action, &theirs, "us-east-1", None));
        }
        assert!(allows(
            &p,
            ACCOUNT,
            "bedrock:GetInferenceProfile",
            &through,
            "us-east-1",
            None
        ));
        for other in [
            "bedrock:CreateModelInvocationJob",
            "bedrock:InvokeAgent",
            "bedrock:ListInferenceProfiles",
            "s3:GetObject",
        ] {
            assert!(
                !allows(&p, ACCOUNT, other, &through, "us-east-1", None),
                "{other}"
            );
        }
        assert_eq!(p.destinations(), ["us-east-1", "us-east-2", "us-west-2"]);
    }

    #[test]
    fn a_global_profile_reaches_the_regionless_model_only_through_itself() {
        let p = global();
        let through = profile_arn(&p, ACCOUNT);
        let regionless = format!("arn:aws:bedrock:::foundation-model/{MODEL}");
        let local = format!("arn:aws:bedrock:ap-northeast-1::foundation-model/{MODEL}");
        for action in INVOKE {
            assert!(allows(
                &p,
                ACCOUNT,
                action,
                &through,
                "ap-northeast-1",
                None
            ));
            assert!(allows(
                &p,
                ACCOUNT,
                action,
                &local,
                "ap-northeast-1",
                Some(&through)
            ));
            assert!(allows(
                &p,
                ACCOUNT,
                action,
                &regionless,
                UNSPECIFIED,
                Some(&through)
            ));
            // The Region-less leg carries "unspecified", never a Region name.
            assert!(!allows(
                &p,
                ACCOUNT,
                action,
                &regionless,
                "us-east-1",
                Some(&through)
            ));
            assert!(!allows(&p, ACCOUNT, action, &regionless, UNSPECIFIED, None));
            // A global profile in another source Region.
            let elsewhere = format!(
                "arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{}",
                p.id
            );
            assert!(!allows(&p, ACCOUNT, action, &elsewhere, "us-east-1", None));
        }
        assert_eq!(p.destinations(), ["ap-northeast-1", UNSPECIFIED]);
    }
}
