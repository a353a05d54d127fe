//! Evaluator tests, each beside the AWS documentation it follows.

use super::*;
use serde_json::json;

const OPERATORS: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html";

/// A Deny-everything statement guarded by one condition: true when the condition holds.
fn holds(op: &str, key: &str, values: serde_json::Value, req: &Request) -> bool {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {op: {key: values}}}]});
    let p = parse_value("t", &doc).unwrap_or_else(|e| panic!("{op}: {e} ({OPERATORS})"));
    evaluate_policy(&p, req).0.is_some()
}

fn req() -> Request {
    Request::new(
        "arn:aws:iam::111122223333:user/alice",
        "111122223333",
        "s3:GetObject",
        "arn:aws:s3:::bucket/key",
        &[],
    )
}

// reference_policies_elements_condition_operators.html#Conditions_String
#[test]
fn string_operators() {
    let r = req().with("aws:PrincipalTag/job-category", "iamuser-admin");
    assert!(holds(
        "StringEquals",
        "aws:PrincipalTag/job-category",
        json!("iamuser-admin"),
        &r
    ));
    assert!(
        !holds(
            "StringEquals",
            "aws:PrincipalTag/job-category",
            json!("IAMUSER-ADMIN"),
            &r
        ),
        "case-sensitive"
    );
    assert!(holds(
        "StringEqualsIgnoreCase",
        "aws:PrincipalTag/job-category",
        json!("IAMUSER-ADMIN"),
        &r
    ));
    assert!(holds(
        "StringNotEquals",
        "aws:PrincipalTag/job-category",
        json!("other"),
        &r
    ));
    assert!(!holds(
        "StringNotEqualsIgnoreCase",
        "aws:PrincipalTag/job-category",
        json!("IAMUser-Admin"),
        &r
    ));
    assert!(holds(
        "StringLike",
        "aws:PrincipalTag/job-category",
        json!("iamuser-*"),
        &r
    ));
    assert!(holds(
        "StringLike",
        "aws:PrincipalTag/job-category",
        json!("iamuser?admin"),
        &r
    ));
    assert!(!holds(
        "StringLike",
        "aws:PrincipalTag/job-category",
        json!("IAMUSER-*"),
        &r
    ));
    assert!(holds(
        "StringNotLike",
        "aws:PrincipalTag/job-category",
        json!(["a*", "b*"]),
        &r
    ));
    // Condition keys are case-insensitive.
    assert!(holds(
        "StringEquals",
        "AWS:PRINCIPALTAG/JOB-CATEGORY",
        json!("iamuser-admin"),
        &r
    ));
}

// "If the key that you specify in a policy condition is not present in the request context,
// the values do not match and the condition is false. If the policy condition requires that the
// key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
// condition is true." (condition operators page, Important box)
#[test]
fn missing_keys_false_for_positive_true_for_negated() {
    let r = req();
    for op in [
        "StringEquals",
        "StringLike",
        "NumericEquals",
        "DateEquals",
        "Bool",
        "ArnLike",
        "IpAddress",
        "BinaryEquals",
    ] {
        assert!(!holds(op, "aws:absent", json!("x"), &r), "{op}");
    }
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "ArnNotLike",
        "ArnNotEquals",
        "NotIpAddress",
        "StringNotEqualsIgnoreCase",
    ] {
        assert!(holds(op, "aws:absent", json!("x"), &r), "{op}");
    }
}

// reference_policies_elements_condition_operators.html#Conditions_IfExists
#[test]
fn if_exists_passes_when_absent_and_checks_when_present() {
    let r = req();
    assert!(holds(
        "StringEqualsIfExists",
        "ec2:InstanceType",
        json!(["t1.*", "t2.*"]),
        &r
    ));
    let small = req().with("ec2:InstanceType", "m5.large");
    assert!(!holds(
        "StringLikeIfExists",
        "ec2:InstanceType",
        json!(["t1.*", "t2.*"]),
        &small
    ));
    let micro = req().with("ec2:InstanceType", "t2.micro");
    assert!(holds(
        "StringLikeIfExists",
        "ec2:InstanceType",
        json!(["t1.*", "t2.*"]),
        &micro
    ));
    assert!(holds(
        "ArnNotLikeIfExists",
        "aws:absent",
        json!("arn:aws:iam::*:role/x"),
        &r
    ));
}

// reference_policies_elements_condition_operators.html#Conditions_Null
#[test]
fn null_checks_presence() {
    let with_tag = req().with("aws:TokenIssueTime", "2024-01-01T00:00:00Z");
    assert!(holds(
        "Null",
        "aws:TokenIssueTime",
        json!("false"),
        &with_tag
    ));
    assert!(!holds(
        "Null",
        "aws:TokenIssueTime",
        json!("true"),
        &with_tag
    ));
    assert!(holds("Null", "aws:TokenIssueTime", json!("true"), &req()));
    assert!(parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"k":"maybe"}}}}"#).is_err());
    assert!(Operator::parse("NullIfExists").is_none());
}

// reference_policies_elements_condition_operators.html#Conditions_Numeric
#[test]
fn numeric_operators() {
    let r = req().with("s3:max-keys", "10");
    assert!(holds(
        "NumericLessThanEquals",
        "s3:max-keys",
        json!("10"),
        &r
    ));
    assert!(!holds("NumericLessThan", "s3:max-keys", json!("10"), &r));
    assert!(holds("NumericGreaterThan", "s3:max-keys", json!(9.5), &r));
    assert!(holds(
        "NumericGreaterThanEquals",
        "s3:max-keys",
        json!(10),
        &r
    ));
    assert!(holds("NumericEquals", "s3:max-keys", json!("10.0"), &r));
    assert!(holds("NumericNotEquals", "s3:max-keys", json!("11"), &r));
    assert!(
        !holds("NumericEquals", "s3:max-keys", json!("ten"), &r),
        "unparsable values do not match"
    );
}

// reference_policies_elements_condition_operators.html#Conditions_Date
#[test]
fn date_operators() {
    let r = req().with("aws:CurrentTime", "2020-04-01T00:00:00Z");
    assert!(holds(
        "DateGreaterThan",
        "aws:CurrentTime",
        json!("2020-01-01T00:00:01Z"),
        &r
    ));
    assert!(holds(
        "DateLessThan",
        "aws:CurrentTime",
        json!("2020-06-30T23:59:59Z"),
        &r
    ));
    assert!(
        holds("DateEquals", "aws:CurrentTime", json!("1585699200"), &r),
        "epoch seconds"
    );
    assert!(holds(
        "DateLessThanEquals",
        "aws:CurrentTime",
        json!("2020-04-01"),
        &r
    ));
    assert!(holds(
        "DateGreaterThanEquals",
        "aws:CurrentTime",
        json!("2020-04-01T00:00:00Z"),
        &r
    ));
    assert!(holds(
        "DateNotEquals",
        "aws:CurrentTime",
        json!("2021-01-01T00:00:00Z"),
        &r
    ));
}

// reference_policies_elements_condition_operators.html#Conditions_Boolean
#[test]
fn bool_and_binary() {
    let r = req().with("aws:SecureTransport", "false");
    assert!(holds("Bool", "aws:SecureTransport", json!("false"), &r));
    assert!(holds("Bool", "aws:SecureTransport", json!(false), &r));
    assert!(!holds("Bool", "aws:SecureTransport", json!("true"), &r));
    let b = req().with("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==");
    assert!(holds(
        "BinaryEquals",
        "key",
        json!("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        &b
    ));
}

// reference_policies_elements_condition_operators.html#Conditions_IPAddress
#[test]
fn ip_addresses_v4_and_v6() {
    let r = req().with("aws:SourceIp", "203.0.113.77");
    assert!(holds(
        "IpAddress",
        "aws:SourceIp",
        json!("203.0.113.0/24"),
        &r
    ));
    assert!(!holds(
        "IpAddress",
        "aws:SourceIp",
        json!("203.0.114.0/24"),
        &r
    ));
    assert!(holds(
        "NotIpAddress",
        "aws:SourceIp",
        json!(["192.0.2.0/24", "198.51.100.0/24"]),
        &r
    ));
    assert!(
        holds("IpAddress", "aws:SourceIp", json!("203.0.113.77"), &r),
        "a bare address is /32"
    );
    let v6 = req().with("aws:SourceIp", "2001:DB8:1234:5678:ABCD::1");
    assert!(holds(
        "IpAddress",
        "aws:SourceIp",
        json!("2001:DB8:1234:5678::/64"),
        &v6
    ));
    assert!(!holds(
        "IpAddress",
        "aws:SourceIp",
        json!("2001:DB8:1234:5679::/64"),
        &v6
    ));
    assert!(
        !holds("IpAddress", "aws:SourceIp", json!("203.0.113.0/24"), &v6),
        "families do not mix"
    );
}

// reference_policies_elements_condition_operators.html#Conditions_ARN
#[test]
fn arn_operators_match_per_segment() {
    let r = req().with(
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:123456789012:my-topic",
    );
    assert!(holds(
        "ArnEquals",
        "aws:SourceArn",
        json!("arn:aws:sns:us-east-1:123456789012:my-topic"),
        &r
    ));
    assert!(holds(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:sns:*:123456789012:*"),
        &r
    ));
    assert!(!holds(
        "ArnLike",
        "aws:SourceArn",
        json!("arn:aws:sns:*:999999999999:*"),
        &r
    ));
    assert!(holds(
        "ArnNotLike",
        "aws:SourceArn",
        json!("arn:aws:sqs:*:*:*"),
        &r
    ));
    assert!(
        !holds(
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:us-east-1*"),
            &r
        ),
        "a wildcard does not span segments"
    );
    let principal = req().with(
        "aws:PrincipalARN",
        "arn:aws:iam::111122223333:role/AWSControlTowerExecution",
    );
    assert!(holds(
        "ArnLike",
        "aws:PrincipalArn",
        json!("arn:*:iam::*:role/AWSControlTowerExecution"),
        &principal
    ));
}

// reference_policies_condition-single-vs-multi-valued-context-keys.html
#[test]
fn set_operators_on_multi_valued_keys() {
    let r = req().with_multi("aws:TagKeys", &["environment", "cost-center"]);
    assert!(holds(
        "ForAllValues:StringEquals",
        "aws:TagKeys",
        json!(["environment", "cost-center", "owner"]),
        &r
    ));
    assert!(!holds(
        "ForAllValues:StringEquals",
        "aws:TagKeys",
        json!(["environment"]),
        &r
    ));
    assert!(holds(
        "ForAnyValue:StringEquals",
        "aws:TagKeys",
        json!(["environment"]),
        &r
    ));
    assert!(!holds(
        "ForAnyValue:StringEquals",
        "aws:TagKeys",
        json!(["owner"]),
        &r
    ));
    assert!(holds(
        "ForAnyValue:StringNotEquals",
        "aws:TagKeys",
        json!(["environment"]),
        &r
    ));
    assert!(holds(
        "ForAllValues:StringNotLike",
        "aws:TagKeys",
        json!(["owner*"]),
        &r
    ));
    // ForAllValues is true for a missing key; ForAnyValue is false.
    assert!(holds(
        "ForAllValues:StringEquals",
        "aws:absent",
        json!(["x"]),
        &req()
    ));
    assert!(!holds(
        "ForAnyValue:StringEquals",
        "aws:absent",
        json!(["x"]),
        &req()
    ));
    // aws:CalledVia, as in the issue's case format.
    let via = req().with_multi(
        "aws:CalledVia",
        &["cloudformation.amazonaws.com", "athena.amazonaws.com"],
    );
    assert!(holds(
        "ForAnyValue:StringEquals",
        "aws:CalledVia",
        json!("athena.amazonaws.com"),
        &via
    ));
}

// reference_policies_multi-value-conditions.html: AND across operators and keys,
// OR across values, NOR across the values of a negated operator.
#[test]
fn and_across_keys_or_across_values() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "aws:RequestedRegion": "us-east-1"},
                      "Bool": {"aws:SecureTransport": "true"}}}]});
    let p = parse_value("t", &doc).unwrap();
    let base = req()
        .with("aws:PrincipalTag/team", "b")
        .with("aws:RequestedRegion", "us-east-1");
    assert!(
        evaluate_policy(&p, &base.clone().with("aws:SecureTransport", "true"))
            .0
            .is_some()
    );
    assert!(
        evaluate_policy(&p, &base.clone().with("aws:SecureTransport", "false"))
            .0
            .is_none()
    );
    assert!(
        evaluate_policy(
            &p,
            &base
                .with("aws:PrincipalTag/team", "c")
                .with("aws:SecureTransport", "true")
        )
        .0
        .is_none()
    );
    let nor = req().with("aws:RequestedRegion", "us-east-1");
    assert!(!holds(
        "StringNotEquals",
        "aws:RequestedRegion",
        json!(["us-east-1", "eu-west-2"]),
        &nor
    ));
    assert!(holds(
        "StringNotEquals",
        "aws:RequestedRegion",
        json!(["ap-northeast-1", "eu-west-2"]),
        &nor
    ));
}

// reference_policies_variables.html
#[test]
fn policy_variables() {
    let r = req()
        .with("aws:PrincipalTag/team", "blue")
        .with("aws:RequestedRegion", "us-east-1");
    assert!(holds(
        "StringEquals",
        "aws:PrincipalAccount",
        json!("${aws:PrincipalAccount}"),
        &r
    ));
    assert!(holds(
        "StringLike",
        "s3:prefix",
        json!("x"),
        &r.clone().with("s3:prefix", "x")
    ));
    let tag = r.clone().with("s3:prefix", "home/blue/");
    assert!(holds(
        "StringLike",
        "s3:prefix",
        json!("home/${aws:PrincipalTag/team}/*"),
        &tag
    ));
    // Default values for missing keys.
    let dflt = r.clone().with("s3:prefix", "company-wide");
    assert!(holds(
        "StringEquals",
        "s3:prefix",
        json!("${aws:PrincipalTag/missing, 'company-wide'}"),
        &dflt
    ));
    // ${*}, ${?} and ${$} are literal characters.
    let lit = r.clone().with("k", "a*b?c$");
    assert!(holds("StringLike", "k", json!("a${*}b${?}c${$}"), &lit));
    assert!(!holds(
        "StringLike",
        "k",
        json!("a${*}b${?}c${$}"),
        &r.clone().with("k", "aXXbYc$")
    ));
    // A variable with no value matches nothing.
    assert!(!holds(
        "StringEquals",
        "k",
        json!("${aws:PrincipalTag/missing}"),
        &lit
    ));
    // Version 2008-10-17 does not substitute.
    let old = parse_policy("t", r#"{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${aws:PrincipalAccount}"}}}}"#).unwrap();
    assert!(
        evaluate_policy(&old, &r.clone().with("k", "${aws:PrincipalAccount}"))
            .0
            .is_some()
    );
    // Variables in Resource.
    let home = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"}}"#).unwrap();
    let mut blue = r.clone();
    blue.resource = "arn:aws:s3:::bucket/blue/file".into();
    assert!(evaluate_policy(&home, &blue).0.is_some());
    blue.resource = "arn:aws:s3:::bucket/red/file".into();
    assert!(evaluate_policy(&home, &blue).0.is_none());
}

const VARIABLES: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html";

// reference_policies_variables.html: "If AWS cannot resolve a variable, this might cause the
// entire statement to be invalid." ctmigrate takes the statement as invalid: it applies to
// nothing, whatever the operator's negation, in Resource and NotResource too.
#[test]
fn an_unresolvable_variable_makes_the_statement_apply_to_nothing() {
    let r = req().with("k", "anything");
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "ArnNotLike",
        "StringNotEqualsIgnoreCase",
    ] {
        assert!(
            !holds(op, "k", json!("${aws:PrincipalTag/missing}"), &r),
            "{op} with an unresolvable variable ({VARIABLES})"
        );
    }
    // With a default it resolves, and the negated operator works as usual.
    assert!(holds(
        "StringNotEquals",
        "k",
        json!("${aws:PrincipalTag/missing, 'other'}"),
        &r
    ));
    // NotResource with an unresolvable variable: the statement is invalid, not "every resource".
    let not_resource = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/${aws:PrincipalTag/missing}/*"}}"#).unwrap();
    assert!(
        evaluate_policy(&not_resource, &r).0.is_none(),
        "{VARIABLES}"
    );
    let resource = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/missing}/*"}}"#).unwrap();
    assert!(evaluate_policy(&resource, &r).0.is_none(), "{VARIABLES}");
    // Once the tag is there, both resolve.
    let tagged = r.clone().with("aws:PrincipalTag/missing", "x");
    assert!(evaluate_policy(&not_resource, &tagged).0.is_some());
    // Variables inside Bool values are substituted like any string.
    let secure = req()
        .with("aws:SecureTransport", "false")
        .with("aws:PrincipalTag/wants", "false");
    assert!(holds(
        "Bool",
        "aws:SecureTransport",
        json!("${aws:PrincipalTag/wants}"),
        &secure
    ));
    assert!(!holds(
        "Bool",
        "aws:SecureTransport",
        json!("${aws:PrincipalTag/absent}"),
        &secure
    ));
}

// reference_policies_elements_condition_operators.html: each operator compares values of its
// type (numbers, dates, IP addresses or CIDR blocks, ARNs, true/false). A value that is not of
// that type, in the policy or the request, cannot satisfy the comparison: the condition does
// not match, negated operators included.
#[test]
fn a_value_of_the_wrong_type_never_matches_negated_or_not() {
    let r = req()
        .with("s3:max-keys", "ten")
        .with("aws:CurrentTime", "yesterday")
        .with("aws:SourceIp", "not-an-ip")
        .with("aws:SecureTransport", "maybe")
        .with("aws:SourceArn", "not-an-arn");
    for (op, key, value) in [
        ("NumericNotEquals", "s3:max-keys", json!("10")),
        ("NumericLessThan", "s3:max-keys", json!("10")),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            json!("2020-01-01T00:00:00Z"),
        ),
        ("NotIpAddress", "aws:SourceIp", json!("203.0.113.0/24")),
        ("IpAddress", "aws:SourceIp", json!("203.0.113.0/24")),
        ("Bool", "aws:SecureTransport", json!("true")),
        ("ArnNotLike", "aws:SourceArn", json!("arn:aws:s3:::*")),
        ("ArnNotEquals", "aws:SourceArn", json!("arn:aws:s3:::b")),
    ] {
        assert!(
            !holds(op, key, value, &r),
            "{op} on a request value of the wrong type ({OPERATORS})"
        );
    }
    let good = req()
        .with("s3:max-keys", "5")
        .with("aws:SourceIp", "198.51.100.7")
        .with("aws:SecureTransport", "true");
    for (op, key, value) in [
        ("NumericNotEquals", "s3:max-keys", json!("ten")),
        ("NotIpAddress", "aws:SourceIp", json!("203.0.113.0/99")),
        ("NotIpAddress", "aws:SourceIp", json!("somewhere")),
        ("Bool", "aws:SecureTransport", json!("yes")),
    ] {
        assert!(
            !holds(op, key, value, &good),
            "{op} with a policy value of the wrong type ({OPERATORS})"
        );
    }
    // The same operators with well-typed values still decide as before.
    assert!(holds("NumericNotEquals", "s3:max-keys", json!("10"), &good));
    assert!(holds(
        "NotIpAddress",
        "aws:SourceIp",
        json!("203.0.113.0/24"),
        &good
    ));
    // And the evaluator names the value.
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]});
    let p = parse_value("t", &doc).unwrap();
    let c = &p.statements[0].conditions[0];
    assert_eq!(
        eval::wrong_type(c, &good, p.version).as_deref(),
        Some("policy value `ten` for s3:max-keys")
    );
    // Read from the policy alone, for the plan's warning about customer SCPs.
    assert_eq!(
        wrong_typed_values(&p),
        vec![
            "statement #0: `ten` for s3:max-keys is not of the type NumericLessThan compares"
                .to_string()
        ]
    );
}

// reference_policies_condition-single-vs-multi-valued-context-keys.html and the Null operator
// (reference_policies_elements_condition_operators.html#Conditions_Null): a set qualifier with
// Null checks presence exactly as Null does; it is not an error.
#[test]
fn set_qualifiers_with_null_behave_as_null() {
    let r = req().with_multi("aws:TagKeys", &["a", "b"]);
    for op in ["ForAllValues:Null", "ForAnyValue:Null", "Null"] {
        assert!(
            holds(op, "aws:TagKeys", json!("false"), &r),
            "{op}: present"
        );
        assert!(
            !holds(op, "aws:TagKeys", json!("true"), &r),
            "{op}: present"
        );
        assert!(holds(op, "aws:Absent", json!("true"), &r), "{op}: absent");
    }
}

// reference_policies_elements_action.html: actions are case-insensitive, wildcards allowed.
// reference_policies_elements_notaction.html
#[test]
fn actions_and_not_actions() {
    let p = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["S3:Get*","iam:?reateRole"],"Resource":"*"}}"#).unwrap();
    assert!(evaluate_policy(&p, &req()).0.is_some());
    let mut iam = req();
    iam.action = "iam:CreateRole".into();
    assert!(evaluate_policy(&p, &iam).0.is_some());
    iam.action = "iam:DeleteRole".into();
    assert!(evaluate_policy(&p, &iam).0.is_none());
    let not = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#).unwrap();
    assert!(evaluate_policy(&not, &iam).0.is_none());
    assert!(evaluate_policy(&not, &req()).0.is_some());
}

// reference_policies_elements_resource.html and reference_policies_elements_notresource.html
#[test]
fn resources_and_not_resources() {
    let p = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::bucket/*"}}"#).unwrap();
    assert!(evaluate_policy(&p, &req()).0.is_some());
    let mut other = req();
    other.resource = "arn:aws:s3:::other/key".into();
    assert!(evaluate_policy(&p, &other).0.is_none());
    other.resource = "*".into();
    assert!(
        evaluate_policy(&p, &other).0.is_none(),
        "a specific ARN does not match `*` resources"
    );
    let not = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::bucket/*"}}"#).unwrap();
    assert!(evaluate_policy(&not, &req()).0.is_none());
    let region = parse_policy("t", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:bedrock:us-*::foundation-model/*"}}"#).unwrap();
    let mut model = req();
    model.resource =
        "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0"
            .into();
    assert!(
        evaluate_policy(&region, &model).0.is_some(),
        "the resource part may hold colons"
    );
}

// orgs_manage_policies_scps_evaluation.html
#[test]
fn scp_hierarchy_needs_allow_at_every_level_and_no_deny_anywhere() {
    let full = parse_policy(
        "FullAWSAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let s3_only = parse_policy("S3Only", r#"{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#).unwrap();
    let deny = parse_policy("DenyGet", r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#).unwrap();
    let mut ec2 = req();
    ec2.action = "ec2:RunInstances".into();
    let levels = |ou: Vec<&'static str>| -> Vec<(&'static str, Vec<&'static str>)> {
        vec![
            ("r-root", vec!["FullAWSAccess"]),
            ("ou-1", ou),
            ("111122223333", vec!["FullAWSAccess"]),
        ]
    };
    let pick = |n: &str| -> &Policy {
        match n {
            "FullAWSAccess" => &full,
            "S3Only" => &s3_only,
            _ => &deny,
        }
    };
    let eval = |spec: Vec<(&str, Vec<&str>)>, r: &Request| {
        let lv: Vec<Level<'_>> = spec
            .iter()
            .map(|(t, ps)| Level {
                target: t,
                policies: ps.iter().map(|n| pick(n)).collect(),
            })
            .collect();
        evaluate_scps(&lv, r, Some("999999999999"))
    };
    assert_eq!(
        eval(levels(vec!["S3Only"]), &ec2),
        Decision::ImplicitDeny {
            level: "ou-1".into()
        }
    );
    assert!(eval(levels(vec!["S3Only"]), &req()).is_allow());
    match eval(levels(vec!["FullAWSAccess", "DenyGet"]), &req()) {
        Decision::ExplicitDeny { by } => assert_eq!(by[0].to_string(), "ou-1/DenyGet#NoGet"),
        other => panic!("{other:?}"),
    }
    // The management account and service-linked roles are not subject to SCPs.
    let mut mgmt = req();
    mgmt.account = "999999999999".into();
    assert!(eval(levels(vec!["DenyGet"]), &mgmt).is_allow());
    let mut slr = req();
    slr.principal = "arn:aws:iam::111122223333:role/aws-service-role/organizations.amazonaws.com/AWSServiceRoleForOrganizations".into();
    assert!(eval(levels(vec!["DenyGet"]), &slr).is_allow());
}

#[test]
fn cases_runner_reports_errors_and_goes_on() {
    let cases = r#"[
      {"name": "ok", "policies": [{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],
       "request": {"principal": "arn:aws:iam::111122223333:role/r", "account": "111122223333", "action": "s3:ListBucket", "resource": "*", "context": {}}},
      {"name": "broken", "policies": [{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}],
       "request": {"action": "s3:ListBucket"}},
      {"name": "levels", "extra": "ignored", "levels": [{"target": "r-root", "policies": [{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}]},
        {"target": "ou-x", "policies": ["{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\"}]}"]}],
       "request": {"action": "s3:ListBucket", "context": {"aws:CalledVia": ["a", "b"]}}}
    ]"#;
    let out = run_cases(cases).unwrap();
    assert_eq!(out[0]["decision"], "Allow");
    assert_eq!(out[1]["decision"], "Error");
    assert!(
        out[1]["error"]
            .as_str()
            .unwrap()
            .contains("$.Statement[0].Effect")
    );
    assert_eq!(out[2]["decision"], "ImplicitDeny");
    assert_eq!(out[2]["by"], json!(["ou-x"]));
    // Neither an array nor JSON Lines of objects.
    assert!(run_cases("\"cases\"").is_err());
    assert!(run_cases("  ").is_err());
    // JSON Lines: one case per line, blank lines skipped; a bad line is an Error case.
    let lines = run_cases(&format!(
        "{}\n\n{{not json\n{}\n",
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(cases).unwrap()[0])
            .unwrap(),
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(cases).unwrap()[2])
            .unwrap()
    ))
    .unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(lines[1]["decision"], "Error");
    assert_eq!(lines[1]["name"], "case 1");
    assert_eq!(lines[2]["decision"], "ImplicitDeny");
    // An array broken after its first case: that case is decided, then the error.
    let mut seen = Vec::new();
    let broken = format!(
        "[{},{{\"name\":",
        &cases
            [cases.find('{').unwrap()..cases.find("},\n      {\"name\": \"broken\"").unwrap() + 1]
    );
    let err = stream_cases(broken.as_bytes(), &mut |l| seen.push(l)).unwrap_err();
    assert_eq!(seen.len(), 1, "{broken}");
    assert!(err.to_string().contains("after case 1"), "{err}");
}

#[test]
fn glob_edge_cases() {
    assert!(glob("*", "", false));
    assert!(glob("a*b*c", "aXXbYYc", false));
    assert!(!glob("a*b*c", "aXXbYY", false));
    assert!(glob("a?c", "abc", false));
    assert!(!glob("a?c", "ac", false));
    assert!(glob("***", "anything", false));
    assert!(glob("BEDROCK:invoke*", "bedrock:InvokeModel", true));
}

mod properties {
    //! Property tests: explicit deny dominates, and NotAction is the complement of Action.
    //! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
    //! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html>
    use super::*;
    use proptest::prelude::*;

    fn action() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["s3", "ec2", "bedrock", "iam", "kms"]),
            "[A-Za-z]{1,8}",
        )
            .prop_map(|(s, a)| format!("{s}:{a}"))
    }

    fn pattern() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("*".to_string()),
            action(),
            (
                prop::sample::select(vec!["s3", "ec2", "bedrock", "iam"]),
                "[A-Za-z]{0,3}"
            )
                .prop_map(|(s, p)| format!("{s}:{p}*")),
            (
                prop::sample::select(vec!["s3", "ec2", "bedrock"]),
                "[a-z]{1,3}"
            )
                .prop_map(|(s, p)| format!("{s}:?{p}*")),
        ]
    }

    fn statement() -> impl Strategy<Value = serde_json::Value> {
        (any::<bool>(), prop::collection::vec(pattern(), 1..4), any::<bool>(), prop::sample::select(vec!["us-east-1", "eu-west-2", "ap-northeast-1"]))
            .prop_map(|(allow, actions, conditional, region)| {
                let mut st = json!({"Effect": if allow {"Allow"} else {"Deny"}, "Action": actions, "Resource": "*"});
                if conditional {
                    st["Condition"] = json!({"StringNotEquals": {"aws:RequestedRegion": region}});
                }
                st
            })
    }

    fn policy_of(statements: Vec<serde_json::Value>, name: &str) -> Policy {
        parse_value(
            name,
            &json!({"Version": "2012-10-17", "Statement": statements}),
        )
        .unwrap()
    }

    proptest! {
        #[test]
        fn an_applicable_deny_anywhere_dominates(
            levels in prop::collection::vec(prop::collection::vec(statement(), 1..4), 1..4),
            deny_level in 0usize..4,
            act in action(),
            region in prop::sample::select(vec!["us-east-1", "eu-west-2", "ap-northeast-1", "us-east-2"]),
        ) {
            let req = Request::new("arn:aws:iam::111122223333:role/r", "111122223333", &act, "*", &[("aws:RequestedRegion", region)]);
            let mut policies: Vec<Policy> = levels.iter().enumerate().map(|(i, l)| policy_of(l.clone(), &format!("p{i}"))).collect();
            let at = deny_level % policies.len();
            let mut with_deny = levels[at].clone();
            with_deny.push(json!({"Sid": "Dominant", "Effect": "Deny", "Action": act.to_uppercase(), "Resource": "*"}));
            policies[at] = policy_of(with_deny, &format!("p{at}"));
            let targets: Vec<String> = (0..policies.len()).map(|i| format!("l{i}")).collect();
            let lv: Vec<Level<'_>> = policies.iter().zip(&targets).map(|(p, t)| Level { target: t, policies: vec![p] }).collect();
            match evaluate_scps(&lv, &req, None) {
                Decision::ExplicitDeny { by } => prop_assert!(by.iter().any(|h| h.sid.as_deref() == Some("Dominant"))),
                other => prop_assert!(false, "expected ExplicitDeny, got {:?}", other),
            }
            // Adding allows anywhere never turns an explicit deny into an allow.
            let full = policy_of(vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})], "full");
            let lv2: Vec<Level<'_>> = policies.iter().zip(&targets).map(|(p, t)| Level { target: t, policies: vec![p, &full] }).collect();
            prop_assert!(!evaluate_scps(&lv2, &req, None).is_allow());
        }

        #[test]
        fn not_action_is_the_complement_of_action(patterns in prop::collection::vec(pattern(), 1..5), act in action()) {
            let req = Request::new("arn:aws:iam::111122223333:role/r", "111122223333", &act, "*", &[]);
            let positive = policy_of(vec![json!({"Effect": "Deny", "Action": patterns, "Resource": "*"})], "a");
            let negative = policy_of(vec![json!({"Effect": "Deny", "NotAction": patterns, "Resource": "*"})], "n");
            let a = evaluate_policy(&positive, &req).0.is_some();
            let n = evaluate_policy(&negative, &req).0.is_some();
            prop_assert!(a != n, "action {} patterns {:?}: Action {} NotAction {}", act, patterns, a, n);
        }

        #[test]
        fn the_prepared_fast_path_agrees_with_the_explaining_evaluator(
            levels in prop::collection::vec(prop::collection::vec(statement(), 1..4), 1..4),
            act in action(),
            region in prop::sample::select(vec!["us-east-1", "eu-west-2", "ap-northeast-1", "us-east-2"]),
        ) {
            let req = Request::new("arn:aws:iam::111122223333:role/r", "111122223333", &act, "*", &[("aws:RequestedRegion", region)]);
            let policies: Vec<Policy> = levels.iter().enumerate().map(|(i, l)| policy_of(l.clone(), &format!("p{i}"))).collect();
            let targets: Vec<String> = (0..policies.len()).map(|i| format!("l{i}")).collect();
            let lv: Vec<Level<'_>> = policies.iter().zip(&targets).map(|(p, t)| Level { target: t, policies: vec![p] }).collect();
            let slow = evaluate_scps(&lv, &req, None);
            let fast = classify_prepared(&prepare(&lv, &act.to_ascii_lowercase()), &req);
            let expected = match slow {
                Decision::Allow { .. } => Class::Allow,
                Decision::ExplicitDeny { .. } => Class::ExplicitDeny,
                Decision::ImplicitDeny { .. } => Class::ImplicitDeny,
            };
            prop_assert_eq!(fast, expected);
        }

        #[test]
        fn the_parser_never_panics(text in "\\PC{0,200}") {
            let _ = parse_policy("fuzz", &text);
        }
    }
}
