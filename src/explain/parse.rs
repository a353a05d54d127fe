//! Reads an access-denied message in the shapes AWS prints it (the
//! console's panel, through [`super::console`]; the AWS CLI, the SDKs'
//! exception strings, JSON logs with escapes, wrapped lines) into a
//! [`Denial`]. Pure text work: it must not look at an organization.

use serde::Serialize;

use crate::regions::UNSPECIFIED;

/// What the message says about who was denied what, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// `AccessDeniedException`, `AccessDenied`, `UnauthorizedOperation`, ...
    pub error_code: Option<String>,
    /// The API operation (`when calling the InvokeModel operation`).
    pub operation: Option<String>,
    /// The principal's ARN as printed (`assumed-role`, `user`, `role`, `root`).
    pub principal: Option<String>,
    /// The account, from the principal's ARN.
    pub account: Option<String>,
    /// The IAM action (`bedrock:InvokeModel`).
    pub action: Option<String>,
    pub resource: Option<String>,
    /// The Region the request was evaluated in: the resource ARN's Region,
    /// `unspecified` for a Region-less foundation-model ARN (the global leg).
    pub region: Option<String>,
    /// For a Bedrock model or inference-profile resource: the model id.
    pub model: Option<String>,
    /// For an inference-profile resource: the profile id (`us.anthropic...`).
    pub profile: Option<String>,
    pub kind: DenyKind,
    /// The denying policy's ARN when the message names it.
    pub policy_arn: Option<String>,
}

/// Which kind of policy the message blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyKind {
    /// "with an explicit deny in a service control policy"
    ServiceControlPolicy,
    /// "with an explicit deny in a resource control policy"
    ResourceControlPolicy,
    /// "with an explicit deny in an identity-based policy"
    IdentityPolicy,
    /// "with an explicit deny in a permissions boundary"
    PermissionsBoundary,
    /// "with an explicit deny in a session policy"
    SessionPolicy,
    /// "with an explicit deny in a resource-based policy"
    ResourcePolicy,
    /// "with an explicit deny in a VPC endpoint policy"
    VpcEndpointPolicy,
    /// "because no identity-based policy allows ..."
    NoIdentityAllow,
    /// "because no resource-based policy allows ..."
    NoResourceAllow,
    /// "because no permissions boundary allows ..."
    NoBoundaryAllow,
    /// "because no session policy allows ..."
    NoSessionAllow,
    /// "because no service control policy allows ..."
    NoScpAllow,
    /// Bedrock: "You don't have access to the model with the specified model ID."
    ModelAccess,
    /// "explicit deny" without saying where.
    ExplicitDeny,
    /// The message does not say why.
    Unstated,
}

impl DenyKind {
    /// How the message put it, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            DenyKind::ServiceControlPolicy => "an explicit deny in a service control policy",
            DenyKind::ResourceControlPolicy => "an explicit deny in a resource control policy",
            DenyKind::IdentityPolicy => "an explicit deny in an identity-based (IAM) policy",
            DenyKind::PermissionsBoundary => "an explicit deny in a permissions boundary",
            DenyKind::SessionPolicy => "an explicit deny in a session policy",
            DenyKind::ResourcePolicy => "an explicit deny in a resource-based policy",
            DenyKind::VpcEndpointPolicy => "an explicit deny in a VPC endpoint policy",
            DenyKind::NoIdentityAllow => "no identity-based (IAM) policy allows it",
            DenyKind::NoResourceAllow => "no resource-based policy allows it",
            DenyKind::NoBoundaryAllow => "no permissions boundary allows it",
            DenyKind::NoSessionAllow => "no session policy allows it",
            DenyKind::NoScpAllow => "no service control policy allows it",
            DenyKind::ModelAccess => "the account has no access to the model",
            DenyKind::ExplicitDeny => "an explicit deny (the message does not say where)",
            DenyKind::Unstated => "not stated in the message",
        }
    }

    /// The message itself blames an SCP.
    pub fn blames_scp(self) -> bool {
        matches!(self, DenyKind::ServiceControlPolicy | DenyKind::NoScpAllow)
    }
}

/// An example of text that [`parse`] understands, for error messages.
pub const EXAMPLE: &str = "An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: arn:aws:sts::666666666667:assumed-role/Developer/alice is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0 with an explicit deny in a service control policy";

const KINDS: [(&str, DenyKind); 14] = [
    (
        "explicit deny in a service control policy",
        DenyKind::ServiceControlPolicy,
    ),
    (
        "explicit deny in a resource control policy",
        DenyKind::ResourceControlPolicy,
    ),
    (
        "explicit deny in an identity-based policy",
        DenyKind::IdentityPolicy,
    ),
    (
        "explicit deny in a permissions boundary",
        DenyKind::PermissionsBoundary,
    ),
    ("explicit deny in a session policy", DenyKind::SessionPolicy),
    (
        "explicit deny in a resource-based policy",
        DenyKind::ResourcePolicy,
    ),
    (
        "explicit deny in a vpc endpoint policy",
        DenyKind::VpcEndpointPolicy,
    ),
    (
        "because no identity-based policy allows",
        DenyKind::NoIdentityAllow,
    ),
    (
        "because no resource-based policy allows",
        DenyKind::NoResourceAllow,
    ),
    (
        "because no permissions boundary allows",
        DenyKind::NoBoundaryAllow,
    ),
    ("because no session policy allows", DenyKind::NoSessionAllow),
    (
        "because no service control policy allows",
        DenyKind::NoScpAllow,
    ),
    ("have access to the model", DenyKind::ModelAccess),
    ("explicit deny", DenyKind::ExplicitDeny),
];

const ERROR_CODES: [&str; 5] = [
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AccessDenied",
    "Forbidden",
];

/// Why a text is not an access-denied message ctmigrate understands: what
/// is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableText(&'static str);

/// Reads `text`. Fails, saying what is missing, when it is not an
/// access-denied message this understands.
pub fn parse(text: &str) -> Result<Denial, UnreadableText> {
    if super::console::is_console(text)
        && let Some(panel) = super::console::read(text)
    {
        return Ok(super::console::denial(panel, bedrock_facts));
    }
    let text = normalise(text);
    if text.is_empty() {
        return Err(UnreadableText("the text is empty"));
    }
    let lower = text.to_ascii_lowercase();
    let kind = KINDS
        .iter()
        .find(|(phrase, _)| lower.contains(phrase))
        .map(|(_, k)| *k)
        .unwrap_or(DenyKind::Unstated);
    let error_code = ERROR_CODES
        .iter()
        .find(|c| text.contains(*c))
        .map(|c| c.to_string());
    let operation = between(&text, "when calling the ", " operation").map(str::to_string);
    let principal = after_token(&text, "User: ")
        .or_else(|| after_token(&text, "Principal: "))
        .filter(|p| p.starts_with("arn:"));
    let action = after_token(&text, "not authorized to perform: ")
        .or_else(|| after_token(&text, "not authorized to perform ").filter(|a| a.contains(':')))
        .filter(|a| a.contains(':') && !a.starts_with("arn:"));
    let resource = after_token(&text, "on resource: ")
        .or_else(|| after_token(&text, "on resource "))
        .filter(|r| r.starts_with("arn:") || r == "*");
    let policy_arn = text
        .match_indices("arn:aws")
        .map(|(i, _)| token_at(&text[i..]))
        .find(|a| {
            a.contains(":policy/") && a.starts_with("arn:aws") && a.contains("organizations")
        });
    if action.is_none() && kind != DenyKind::ModelAccess {
        return Err(UnreadableText(
            if principal.is_some() || error_code.is_some() {
                "the text names no action (`is not authorized to perform: SERVICE:Action`)"
            } else {
                "this does not look like an access-denied message: no `User: ARN is not authorized to perform: ACTION`"
            },
        ));
    }
    let account = principal.as_deref().and_then(account_of);
    let (region, model, profile) = resource
        .as_deref()
        .map(bedrock_facts)
        .unwrap_or((None, None, None));
    let region = region.or_else(|| {
        resource
            .as_deref()
            .and_then(crate::model::arn_region)
            .map(str::to_string)
    });
    Ok(Denial {
        error_code,
        operation: operation.or_else(|| {
            (kind == DenyKind::ModelAccess)
                .then(|| between(&text, "calling the ", " operation").map(str::to_string))
                .flatten()
        }),
        principal,
        account,
        action: action.or_else(|| {
            (kind == DenyKind::ModelAccess).then(|| {
                let op = between(&text, "when calling the ", " operation").unwrap_or("InvokeModel");
                format!("bedrock:{op}")
            })
        }),
        resource,
        region,
        model,
        profile,
        kind,
        policy_arn,
    })
}

/// One line, single spaces, JSON escapes and surrounding quotes undone.
fn normalise(text: &str) -> String {
    let unescaped = text
        .replace("\\n", " ")
        .replace("\\r", " ")
        .replace("\\t", " ")
        .replace("\\\"", "\"")
        .replace("\\/", "/");
    unescaped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text between `start` and the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = text.find(start)? + start.len();
    let j = text[i..].find(end)?;
    Some(text[i..i + j].trim()).filter(|s| !s.is_empty() && !s.contains(' '))
}

/// The whitespace-delimited token after `marker`, without trailing punctuation.
fn after_token(text: &str, marker: &str) -> Option<String> {
    let i = text.find(marker)? + marker.len();
    let t = token_at(&text[i..]);
    (!t.is_empty()).then_some(t)
}

fn token_at(text: &str) -> String {
    let raw = text.split_whitespace().next().unwrap_or("");
    raw.trim_start_matches(['"', '\'', '(', '`'])
        .trim_end_matches(['.', ',', ';', '"', '\'', ')', '`', ']', '}'])
        .to_string()
}

/// The account in a principal's ARN (`arn:aws:sts::ACCOUNT:assumed-role/...`).
fn account_of(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
}

/// (Region, model, profile) of a Bedrock model or inference-profile ARN.
/// A foundation-model ARN without a Region is the global profile's leg,
/// evaluated with `aws:RequestedRegion` = `unspecified`.
pub(super) fn bedrock_facts(arn: &str) -> (Option<String>, Option<String>, Option<String>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[2] != "bedrock" {
        return (None, None, None);
    }
    let region = (!parts[3].is_empty()).then(|| parts[3].to_string());
    let rest = parts[5];
    if let Some(model) = rest.strip_prefix("foundation-model/") {
        return (
            Some(region.unwrap_or_else(|| UNSPECIFIED.to_string())),
            Some(model.to_string()),
            None,
        );
    }
    // A guardrail or data-automation profile: the profile, no model.
    for prefix in ["guardrail-profile/", "data-automation-profile/"] {
        if let Some(id) = rest.strip_prefix(prefix) {
            return (region, None, Some(id.to_string()));
        }
    }
    for prefix in ["inference-profile/", "application-inference-profile/"] {
        if let Some(id) = rest.strip_prefix(prefix) {
            let model = id
                .split_once('.')
                .filter(|(geo, _)| !geo.contains('-') || *geo == "us-gov")
                .map(|(_, m)| m.to_string());
            return (region, model, Some(id.to_string()));
        }
    }
    (region, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SONNET4: &str = "anthropic.claude-sonnet-4-20250514-v1:0";
    const SONNET45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn ok(text: &str) -> Denial {
        parse(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn the_published_cross_region_message_from_the_cli() {
        let d = ok(&format!(
            "An error occurred (AccessDeniedException) when calling the ConverseStream operation: User: arn:aws:sts::666666666667:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/dev@example.com is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-2::foundation-model/{SONNET4} with an explicit deny in a service control policy"
        ));
        assert_eq!(d.error_code.as_deref(), Some("AccessDeniedException"));
        assert_eq!(d.operation.as_deref(), Some("ConverseStream"));
        assert_eq!(d.account.as_deref(), Some("666666666667"));
        assert_eq!(
            d.action.as_deref(),
            Some("bedrock:InvokeModelWithResponseStream")
        );
        assert_eq!(d.region.as_deref(), Some("us-east-2"));
        assert_eq!(d.model.as_deref(), Some(SONNET4));
        assert_eq!(d.kind, DenyKind::ServiceControlPolicy);
    }

    #[test]
    fn the_published_global_message_has_no_region_in_its_arn() {
        let d = ok(&format!(
            "User: arn:aws:iam::555555555555:user/bob is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:::foundation-model/{SONNET45} with an explicit deny in a service control policy"
        ));
        assert_eq!(d.region.as_deref(), Some("unspecified"));
        assert_eq!(d.model.as_deref(), Some(SONNET45));
        assert_eq!(
            d.principal.as_deref(),
            Some("arn:aws:iam::555555555555:user/bob")
        );
        assert_eq!(d.account.as_deref(), Some("555555555555"));
    }

    #[test]
    fn python_sdk_exception_with_a_policy_arn() {
        let d = ok(&format!(
            "botocore.errorfactory.AccessDeniedException: An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: arn:aws:sts::666666666667:assumed-role/app-role/i-0abc is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/{SONNET4} with an explicit deny in a service control policy: arn:aws:organizations::111111111111:policy/o-ctm1gr8sbx/service_control_policy/p-gr20sbx0"
        ));
        assert_eq!(
            d.policy_arn.as_deref(),
            Some(
                "arn:aws:organizations::111111111111:policy/o-ctm1gr8sbx/service_control_policy/p-gr20sbx0"
            )
        );
        assert_eq!(d.region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn javascript_sdk_implicit_deny_by_an_identity_policy() {
        let d = ok(&format!(
            "AccessDeniedException: User: arn:aws:sts::666666666667:assumed-role/lambda-exec/fn is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/{SONNET4} because no identity-based policy allows the bedrock:InvokeModel action"
        ));
        assert_eq!(d.kind, DenyKind::NoIdentityAllow);
        assert_eq!(d.error_code.as_deref(), Some("AccessDeniedException"));
    }

    #[test]
    fn java_sdk_with_service_and_status_suffix() {
        let d = ok(&format!(
            "software.amazon.awssdk.services.bedrockruntime.model.AccessDeniedException: User: arn:aws:sts::555555555555:assumed-role/svc/abc is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/{SONNET4} with an explicit deny in a service control policy (Service: BedrockRuntime, Status Code: 403, Request ID: 7c1d6f1e-0000-4000-8000-000000000000)"
        ));
        assert_eq!(d.kind, DenyKind::ServiceControlPolicy);
        assert_eq!(d.region.as_deref(), Some("us-east-2"));
    }

    #[test]
    fn go_sdk_operation_error() {
        let d = ok(&format!(
            "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: 0a1b, AccessDeniedException: User: arn:aws:sts::666666666667:assumed-role/ci/run is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/{SONNET4} with an explicit deny in a service control policy"
        ));
        assert_eq!(d.action.as_deref(), Some("bedrock:InvokeModel"));
    }

    #[test]
    fn console_text_wrapped_over_lines() {
        let d = ok(&format!(
            "User: arn:aws:sts::666666666667:assumed-role/Admin/alice\nis not authorized to perform:\n  bedrock:InvokeModel on resource:\n  arn:aws:bedrock:eu-west-3::foundation-model/{SONNET4}\nwith an explicit deny in a service control policy"
        ));
        assert_eq!(d.region.as_deref(), Some("eu-west-3"));
        assert_eq!(d.kind, DenyKind::ServiceControlPolicy);
    }

    #[test]
    fn json_log_line_with_escapes() {
        let d = ok(&format!(
            r#"{{"level":"error","msg":"User: arn:aws:sts::666666666667:assumed-role/app/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:ap-southeast-2::foundation-model/{SONNET4} with an explicit deny in a service control policy\n"}}"#
        ));
        assert_eq!(d.region.as_deref(), Some("ap-southeast-2"));
        assert_eq!(d.model.as_deref(), Some(SONNET4));
    }

    #[test]
    fn a_role_principal_and_an_inference_profile_resource() {
        let d = ok(&format!(
            "User: arn:aws:iam::666666666667:role/service-role/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:666666666667:inference-profile/us.{SONNET4} with an explicit deny in a service control policy."
        ));
        assert_eq!(d.profile.as_deref(), Some(&*format!("us.{SONNET4}")));
        assert_eq!(d.model.as_deref(), Some(SONNET4));
        assert_eq!(d.region.as_deref(), Some("us-east-1"));
        assert!(d.resource.as_deref().is_some_and(|r| !r.ends_with('.')));
    }

    #[test]
    fn a_non_bedrock_action_without_a_resource() {
        let d = ok(
            "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: User: arn:aws:iam::555555555555:user/ops is not authorized to perform: ec2:RunInstances with an explicit deny in a service control policy",
        );
        assert_eq!(d.error_code.as_deref(), Some("UnauthorizedOperation"));
        assert_eq!(d.resource, None);
        assert_eq!(d.region, None);
        assert_eq!(d.action.as_deref(), Some("ec2:RunInstances"));
    }

    #[test]
    fn the_other_policy_kinds() {
        for (tail, kind) in [
            (
                "with an explicit deny in a permissions boundary",
                DenyKind::PermissionsBoundary,
            ),
            (
                "with an explicit deny in an identity-based policy",
                DenyKind::IdentityPolicy,
            ),
            (
                "with an explicit deny in a resource control policy",
                DenyKind::ResourceControlPolicy,
            ),
            (
                "with an explicit deny in a session policy",
                DenyKind::SessionPolicy,
            ),
            (
                "because no service control policy allows the bedrock:InvokeModel action",
                DenyKind::NoScpAllow,
            ),
            (
                "because no permissions boundary allows the bedrock:InvokeModel action",
                DenyKind::NoBoundaryAllow,
            ),
        ] {
            let d = ok(&format!(
                "User: arn:aws:iam::555555555555:root is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/{SONNET4} {tail}"
            ));
            assert_eq!(d.kind, kind, "{tail}");
        }
    }

    #[test]
    fn model_access_not_granted() {
        let d = ok(
            "An error occurred (AccessDeniedException) when calling the InvokeModel operation: You don't have access to the model with the specified model ID.",
        );
        assert_eq!(d.kind, DenyKind::ModelAccess);
        assert_eq!(d.action.as_deref(), Some("bedrock:InvokeModel"));
        assert_eq!(d.principal, None);
    }

    #[test]
    fn text_that_is_not_an_access_denied_message_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("   \n ").is_err());
        let e = parse("ThrottlingException: Too many requests").unwrap_err();
        assert!(e.to_string().contains("does not look like"), "{e}");
        let e = parse("An error occurred (AccessDeniedException) when calling the X operation: User: arn:aws:iam::555555555555:user/a is not allowed").unwrap_err();
        assert!(e.to_string().contains("names no action"), "{e}");
        assert!(parse(EXAMPLE).is_ok());
    }
}
