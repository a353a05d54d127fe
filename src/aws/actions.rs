//! Every AWS API action the adapters in this module call, and whether it
//! changes anything. The operator's IAM policy (`ctmigrate iam-policy --for
//! operator`) is made from this table and nothing else; the test below
//! reads the adapters' source and fails when an adapter calls an action the
//! table lacks, or the table lists one that no adapter calls, so the policy
//! cannot drift from the code.
//!
//! Data only: it must not call anything.

/// One API action an adapter calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiAction {
    /// The IAM service prefix (`organizations`, `controltower`, …).
    pub service: &'static str,
    /// The operation, as IAM names its action.
    pub operation: &'static str,
    /// It changes the organization (only `apply`, `resume` and `rollback`
    /// call these).
    pub writes: bool,
    /// It is called only to read member accounts through `--member-role`.
    pub member_role: bool,
}

impl ApiAction {
    /// `service:Operation`, as an IAM policy names it.
    pub fn iam(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

const fn read(service: &'static str, operation: &'static str) -> ApiAction {
    ApiAction {
        service,
        operation,
        writes: false,
        member_role: false,
    }
}

const fn write(service: &'static str, operation: &'static str) -> ApiAction {
    ApiAction {
        service,
        operation,
        writes: true,
        member_role: false,
    }
}

/// Every action an adapter calls.
pub const ACTIONS: &[ApiAction] = &[
    // sts.rs
    read("sts", "GetCallerIdentity"),
    ApiAction {
        service: "sts",
        operation: "AssumeRole",
        writes: false,
        member_role: true,
    },
    // organizations.rs
    read("organizations", "DescribeOrganization"),
    read("organizations", "ListRoots"),
    read("organizations", "ListOrganizationalUnitsForParent"),
    read("organizations", "ListAccountsForParent"),
    read("organizations", "ListPolicies"),
    read("organizations", "ListPoliciesForTarget"),
    read("organizations", "ListTargetsForPolicy"),
    read("organizations", "DescribePolicy"),
    read("organizations", "ListTagsForResource"),
    write("organizations", "CreatePolicy"),
    write("organizations", "UpdatePolicy"),
    write("organizations", "DeletePolicy"),
    write("organizations", "AttachPolicy"),
    write("organizations", "DetachPolicy"),
    // controltower.rs
    read("controltower", "ListLandingZones"),
    read("controltower", "GetLandingZone"),
    read("controltower", "ListLandingZoneOperations"),
    read("controltower", "GetLandingZoneOperation"),
    read("controltower", "ListEnabledBaselines"),
    read("controltower", "ListEnabledControls"),
    read("controltower", "GetEnabledControl"),
    read("controltower", "ListControlOperations"),
    read("controltower", "GetControlOperation"),
    read("controltower", "ListTagsForResource"),
    write("controltower", "EnableControl"),
    write("controltower", "DisableControl"),
    write("controltower", "UpdateEnabledControl"),
    // catalog.rs
    read("controlcatalog", "ListControls"),
    // bedrock.rs
    read("bedrock", "ListInferenceProfiles"),
    read("bedrock", "ListGuardrails"),
    read("bedrock", "ListModelInvocationJobs"),
    read("bedrock", "ListEnforcedGuardrailsConfiguration"),
];

/// Actions no adapter calls by name that AWS checks anyway when a call the
/// adapters make carries tags (tag on create): `CreatePolicy` and
/// `EnableControl` are sent with ctmigrate's `managed-by` tags. Each with
/// the call that needs it.
pub const TAG_ON_CREATE: &[(ApiAction, &str)] = &[
    (write("organizations", "TagResource"), "CreatePolicy"),
    (write("controltower", "TagResource"), "EnableControl"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The adapters' source, with the IAM prefix of the service each calls.
    const ADAPTERS: [(&str, &str); 5] = [
        ("sts", include_str!("sts.rs")),
        ("organizations", include_str!("organizations.rs")),
        ("controltower", include_str!("controltower.rs")),
        ("controlcatalog", include_str!("catalog.rs")),
        ("bedrock", include_str!("bedrock.rs")),
    ];

    /// `list_roots` → `ListRoots`.
    fn pascal(snake: &str) -> String {
        snake
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Every `self.client.<operation>(` in `source` (before its tests),
    /// the builder call that sends the operation, across line breaks.
    fn called(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut found = Vec::new();
        let mut rest = code;
        while let Some(at) = rest.find(".client") {
            rest = &rest[at + ".client".len()..];
            let after = rest.trim_start();
            let Some(after) = after.strip_prefix('.') else {
                continue;
            };
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(pascal(&name));
            }
        }
        found.sort();
        found.dedup();
        found
    }

    #[test]
    fn the_table_is_exactly_what_the_adapters_call() {
        let mut calls: Vec<String> = Vec::new();
        for (service, source) in ADAPTERS {
            for op in called(source) {
                calls.push(format!("{service}:{op}"));
            }
        }
        calls.sort();
        let mut table: Vec<String> = ACTIONS.iter().map(ApiAction::iam).collect();
        table.sort();
        let missing: Vec<&String> = calls.iter().filter(|c| !table.contains(c)).collect();
        let unused: Vec<&String> = table.iter().filter(|t| !calls.contains(t)).collect();
        assert!(
            missing.is_empty(),
            "adapters call actions the operator policy lacks: {missing:?}"
        );
        assert!(
            unused.is_empty(),
            "the operator policy grants actions no adapter calls: {unused:?}"
        );
        // No action listed twice.
        let mut d = table.clone();
        d.dedup();
        assert_eq!(d, table);
    }

    #[test]
    fn the_scan_finds_calls_across_line_breaks() {
        let src = "let a = self.client.list_roots();\nlet b = self\n    .client\n    .describe_policy()\n    .policy_id(x);\n#[cfg(test)]\nself.client.delete_policy()";
        assert_eq!(called(src), ["DescribePolicy", "ListRoots"]);
    }

    #[test]
    fn tag_on_create_names_a_call_the_table_has() {
        for (_, needed_by) in TAG_ON_CREATE {
            assert!(
                ACTIONS
                    .iter()
                    .any(|a| a.operation == *needed_by && a.writes)
            );
        }
    }
}
