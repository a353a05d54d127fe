//! `ctmigrate policy eval` on the documented Control Tower SCPs: the
//! landing-zone region deny blocking cross-region inference, PV.1 with the
//! Bedrock exemption letting it through, each companion mode, and the global
//! profile's `unspecified` Region.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use ctmigrate::plan::companion::{CompanionSpec, document, profile_arn_pattern};
use ctmigrate::plan::{CompanionMode, pv1};
use serde_json::{Value, json};

use crate::common::*;

const ALLOWED: [&str; 4] = ["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"];
const PERMITTED: &str = "666666666667";
const OTHER: &str = "555555555555";
const US_PROFILE: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const MODEL: &str = "anthropic.claude-sonnet-4-20250514-v1:0";

fn full() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// The documented GRREGIONDENY statement (control reference, primary-region-deny-policy).
fn grregiondeny() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "GRREGIONDENY", "Effect": "Deny",
        "NotAction": pv1::default_not_actions(), "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ALLOWED},
                      "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSControlTowerExecution"]}}}]})
}

fn pv1_doc() -> Value {
    let allowed: Vec<String> = ALLOWED.iter().map(|s| s.to_string()).collect();
    let actions: Vec<String> = pv1::BEDROCK_INFERENCE_ACTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    json!({"Version": "2012-10-17", "Statement": [pv1::statement(&allowed, &actions, &[])]})
}

fn companion(mode: CompanionMode, profiles: &[&str], global: bool) -> Value {
    let actions: Vec<String> = pv1::BEDROCK_INFERENCE_ACTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let allowed: Vec<String> = ALLOWED.iter().map(|s| s.to_string()).collect();
    let permitted = vec![PERMITTED.to_string()];
    let approved: Vec<String> = profiles.iter().map(|p| profile_arn_pattern(p)).collect();
    serde_json::from_str(&document(&CompanionSpec {
        mode,
        actions: &actions,
        allowed_regions: &allowed,
        permitted_accounts: &permitted,
        approved_profile_arns: &approved,
        global_allowed: global,
        paths: &[],
    }))
    .unwrap()
}

/// A case: root FullAWSAccess, the OU's SCPs, the account FullAWSAccess.
fn case(
    name: &str,
    ou: Vec<Value>,
    account: &str,
    action: &str,
    resource: &str,
    context: Value,
) -> Value {
    let mut ou_policies = vec![full()];
    ou_policies.extend(ou);
    json!({"name": name, "management_account": "111111111111",
        "levels": [{"target": "r-sb01", "policies": [full()]}, {"target": "ou-sb01-workload", "policies": ou_policies},
                   {"target": account, "policies": [full()]}],
        "request": {"principal": format!("arn:aws:sts::{account}:assumed-role/Dev/alice"), "account": account,
                    "action": action, "resource": resource, "context": context}})
}

fn cross_region(account: &str, region: &str, via_profile: Option<&str>) -> Value {
    let mut ctx = json!({"aws:RequestedRegion": region});
    if let Some(p) = via_profile {
        ctx["bedrock:InferenceProfileArn"] = json!(format!(
            "arn:aws:bedrock:ap-northeast-1:{account}:inference-profile/{p}"
        ));
    }
    ctx
}

fn run_eval(cases: &[Value]) -> BTreeMap<String, Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ctmigrate(dir.path())
        .args(["policy", "eval", "--cases", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(cases.to_vec()).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["name"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn decision(r: &BTreeMap<String, Value>, name: &str) -> String {
    r[name]["decision"].as_str().unwrap().to_string()
}

#[test]
fn control_tower_scps_and_each_companion_mode() {
    let us2 = format!("arn:aws:bedrock:us-east-2::foundation-model/{MODEL}");
    let global_model =
        "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0";
    let global_profile = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let migrated = |c: Value| vec![pv1_doc(), c];
    let cases = vec![
        // The published failure: a Tokyo caller, the us. profile routing to us-east-2.
        case(
            "lz deny blocks the destination",
            vec![grregiondeny()],
            PERMITTED,
            "bedrock:InvokeModelWithResponseStream",
            &us2,
            cross_region(PERMITTED, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "lz deny allows a governed Region",
            vec![grregiondeny()],
            PERMITTED,
            "bedrock:InvokeModel",
            &format!("arn:aws:bedrock:us-east-1::foundation-model/{MODEL}"),
            cross_region(PERMITTED, "us-east-1", Some(US_PROFILE)),
        ),
        case(
            "pv1 exempts bedrock",
            vec![pv1_doc()],
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            cross_region(PERMITTED, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "both deny: exemption cannot widen",
            vec![grregiondeny(), pv1_doc()],
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            cross_region(PERMITTED, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "pv1 still fences ec2",
            vec![pv1_doc()],
            PERMITTED,
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-2:666666666667:instance/*",
            json!({"aws:RequestedRegion": "us-east-2"}),
        ),
        case(
            "control tower role exempt",
            vec![pv1_doc()],
            PERMITTED,
            "ec2:RunInstances",
            "*",
            json!({"aws:RequestedRegion": "us-east-2", "aws:PrincipalARN": "arn:aws:iam::666666666667:role/AWSControlTowerExecution"}),
        ),
        // accounts mode
        case(
            "accounts: permitted, any profile",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            cross_region(PERMITTED, "us-east-2", Some("eu.other-model")),
        ),
        case(
            "accounts: permitted, application profile",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            json!({"aws:RequestedRegion": "us-east-2", "bedrock:InferenceProfileArn": "arn:aws:bedrock:ap-northeast-1:666666666667:application-inference-profile/a1b2c3d4e5f6"}),
        ),
        // Finding 1 of issue 14: a permitted account calling the model directly.
        case(
            "accounts: permitted, direct call",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            cross_region(PERMITTED, "us-east-2", None),
        ),
        // Finding 2: the global leg under an application profile's ARN.
        case(
            "accounts: global leg of an application profile without allow-global",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            global_model,
            json!({"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": "arn:aws:bedrock:ap-northeast-1:666666666667:application-inference-profile/f6e5d4c3b2a1"}),
        ),
        case(
            "accounts: other account",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &us2,
            cross_region(OTHER, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "accounts: global closed without allow-global",
            migrated(companion(CompanionMode::Accounts, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            global_model,
            cross_region(PERMITTED, "unspecified", Some(global_profile)),
        ),
        case(
            "accounts: global open with allow-global",
            migrated(companion(CompanionMode::Accounts, &["us", "global"], true)),
            PERMITTED,
            "bedrock:InvokeModel",
            global_model,
            cross_region(PERMITTED, "unspecified", Some(global_profile)),
        ),
        // profiles mode
        case(
            "profiles: approved profile, any account",
            migrated(companion(CompanionMode::Profiles, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &us2,
            cross_region(OTHER, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "profiles: direct call",
            migrated(companion(CompanionMode::Profiles, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &us2,
            cross_region(OTHER, "us-east-2", None),
        ),
        case(
            "profiles: unapproved profile",
            migrated(companion(CompanionMode::Profiles, &["jp"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &us2,
            cross_region(OTHER, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "profiles: global not approved",
            migrated(companion(CompanionMode::Profiles, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            global_model,
            cross_region(OTHER, "unspecified", Some(global_profile)),
        ),
        case(
            "profiles: global approved",
            migrated(companion(CompanionMode::Profiles, &["global"], true)),
            OTHER,
            "bedrock:InvokeModel",
            global_model,
            cross_region(OTHER, "unspecified", Some(global_profile)),
        ),
        // strict mode
        case(
            "strict: permitted through approved profile",
            migrated(companion(CompanionMode::Strict, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModelWithResponseStream",
            &us2,
            cross_region(PERMITTED, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "strict: permitted but direct",
            migrated(companion(CompanionMode::Strict, &["us"], false)),
            PERMITTED,
            "bedrock:InvokeModel",
            &us2,
            cross_region(PERMITTED, "us-east-2", None),
        ),
        case(
            "strict: approved profile, other account",
            migrated(companion(CompanionMode::Strict, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &us2,
            cross_region(OTHER, "us-east-2", Some(US_PROFILE)),
        ),
        case(
            "strict: inside the allowed Regions anyone",
            migrated(companion(CompanionMode::Strict, &["us"], false)),
            OTHER,
            "bedrock:InvokeModel",
            &format!("arn:aws:bedrock:ap-northeast-1::foundation-model/{MODEL}"),
            cross_region(OTHER, "ap-northeast-1", None),
        ),
        // the lz deny also blocks the global leg
        case(
            "lz deny blocks global",
            vec![grregiondeny()],
            PERMITTED,
            "bedrock:InvokeModel",
            global_model,
            cross_region(PERMITTED, "unspecified", Some(global_profile)),
        ),
        case(
            "management account is not subject",
            vec![grregiondeny()],
            "111111111111",
            "bedrock:InvokeModel",
            &us2,
            cross_region("111111111111", "us-east-2", None),
        ),
    ];
    let r = run_eval(&cases);
    let expect = [
        ("lz deny blocks the destination", "ExplicitDeny"),
        ("lz deny allows a governed Region", "Allow"),
        ("pv1 exempts bedrock", "Allow"),
        ("both deny: exemption cannot widen", "ExplicitDeny"),
        ("pv1 still fences ec2", "ExplicitDeny"),
        ("control tower role exempt", "Allow"),
        ("accounts: permitted, any profile", "Allow"),
        ("accounts: permitted, application profile", "Allow"),
        ("accounts: permitted, direct call", "ExplicitDeny"),
        (
            "accounts: global leg of an application profile without allow-global",
            "ExplicitDeny",
        ),
        ("accounts: other account", "ExplicitDeny"),
        (
            "accounts: global closed without allow-global",
            "ExplicitDeny",
        ),
        ("accounts: global open with allow-global", "Allow"),
        ("profiles: approved profile, any account", "Allow"),
        ("profiles: direct call", "ExplicitDeny"),
        ("profiles: unapproved profile", "ExplicitDeny"),
        ("profiles: global not approved", "ExplicitDeny"),
        ("profiles: global approved", "Allow"),
        ("strict: permitted through approved profile", "Allow"),
        ("strict: permitted but direct", "ExplicitDeny"),
        ("strict: approved profile, other account", "ExplicitDeny"),
        ("strict: inside the allowed Regions anyone", "Allow"),
        ("lz deny blocks global", "ExplicitDeny"),
        ("management account is not subject", "Allow"),
    ];
    for (name, want) in expect {
        assert_eq!(decision(&r, name), want, "{name}: {}", r[name]);
    }
    // The deny names the policy and Sid.
    let by = r["lz deny blocks the destination"]["by"][0]
        .as_str()
        .unwrap();
    assert!(
        by.starts_with("ou-sb01-workload/") && by.ends_with("#GRREGIONDENY"),
        "{by}"
    );
    assert!(
        r["pv1 still fences ec2"]["by"][0]
            .as_str()
            .unwrap()
            .ends_with("#CTMULTISERVICEPV1")
    );
    assert!(
        r["strict: permitted but direct"]["by"][0]
            .as_str()
            .unwrap()
            .ends_with("#CtmigrateBedrockApprovedProfilesOnly")
    );
    assert!(
        r["accounts: global closed without allow-global"]["by"][0]
            .as_str()
            .unwrap()
            .ends_with("#CtmigrateBedrockNoGlobalRouting")
    );
}

#[test]
fn bad_cases_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("obj.json"), "\"cases\"").unwrap();
    let Ran { stderr: err, .. } =
        run(ctmigrate(dir.path()).args(["policy", "eval", "--cases", "obj.json"])).expect_exit(65);
    assert!(
        err.contains("cases file `obj.json` is not usable: the cases file must be a JSON array of cases, or JSON Lines"),
        "{err}"
    );
    // One object is JSON Lines with one case: here a case without a request.
    std::fs::write(dir.path().join("one.jsonl"), "{}").unwrap();
    let Ran { stdout: out, .. } =
        run(ctmigrate(dir.path()).args(["policy", "eval", "--cases", "one.jsonl"])).expect_exit(1);
    assert!(out.contains("the case has no `request`"), "{out}");
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["policy", "eval", "--cases", "nope.json"]));
    assert_eq!(code, 65);
    assert!(err.contains("cannot read cases file `nope.json`"), "{err}");
    std::fs::write(
        dir.path().join("bad.json"),
        r#"[{"name":"x","policies":[{"Statement":[{"Effect":"Deny","Action":"*"}]}],"request":{"action":"s3:GetObject"}}]"#,
    )
    .unwrap();
    let Ran {
        code,
        stdout: out,
        stderr: _,
    } = run(ctmigrate(dir.path()).args(["policy", "eval", "--cases", "bad.json"]));
    assert_eq!(code, 1, "an Error case fails the run");
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["decision"], "Error");
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("needs `Resource` or `NotResource`"),
        "{line}"
    );
}

/// issue 17: a condition value of the wrong type never matches, negated or
/// not, and `policy eval` names it.
#[test]
fn a_wrong_typed_value_is_named_and_never_matches() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typed.json"),
        r#"[{"name":"typed","policies":[{"Version":"2012-10-17","Statement":[{"Sid":"Keys","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericNotEquals":{"s3:max-keys":"ten"}}}]}],"request":{"principal":"arn:aws:iam::111122223333:role/r","account":"111122223333","action":"s3:ListBucket","resource":"*","context":{"s3:max-keys":"5"}}}]"#,
    )
    .unwrap();
    let Ran { stdout: out, .. } =
        run(ctmigrate(dir.path()).args(["policy", "eval", "--cases", "typed.json"])).expect_exit(0);
    let line: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["decision"], "ImplicitDeny", "{line}");
    assert_eq!(
        line["invalid_values"][0],
        "policies[0] statement Keys: policy value `ten` for s3:max-keys is not of the type NumericEquals compares",
        "{line}"
    );
}
