//! `iam-policy --for operator`: the policy grants every request ctmigrate
//! sends in a whole migration (read through the sandbox's request log), and
//! the read-only policy every request of the reading commands. The unit
//! test beside `src/aws/actions.rs` keeps the policy equal to what the
//! adapters call; this one checks it against what goes over the wire.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::apply_cli::{JOURNAL, PLAN, cli, copy_of, template_dir, us_plan};
use crate::common::*;

/// The actions an Allow statement of `policy` grants.
fn granted(policy: &Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// `service:Operation` of every request in the sandbox's log.
fn requested(log: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}:{}",
                v["service"].as_str().unwrap(),
                v["operation"].as_str().unwrap()
            )
        })
        .collect()
}

fn policy(dir: &Path, args: &[&str]) -> Value {
    let ran = run(ctmigrate(dir).args(args)).expect_success();
    serde_json::from_str(&ran.stdout).unwrap()
}

#[test]
fn the_operator_policy_grants_every_request_of_a_whole_migration() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    let reads = d.join("reads.jsonl");
    let writes = d.join("writes.jsonl");
    let logged = |args: &[&str], log: &Path| {
        let mut c = cli(d, args);
        c.env("CTMIGRATE_SANDBOX_REQUEST_LOG", log);
        run(&mut c)
    };
    // The reading commands, member accounts included.
    logged(&["detect"], &reads).expect_success();
    logged(
        &["--member-role", "AWSControlTowerExecution", "detect"],
        &reads,
    )
    .expect_success();
    logged(&us_plan("again"), &reads).expect_success();
    logged(&["simulate", "--plan", PLAN], &reads);
    logged(&["validate", "--plan", PLAN], &reads).expect_success();
    // A whole migration and its rollback.
    logged(&["apply", "--plan", PLAN, "--yes"], &writes).expect_exit(3);
    console(d, "off");
    logged(&["resume", "--journal", JOURNAL, "--yes"], &writes).expect_success();
    logged(&["check", "--plan", PLAN], &reads);
    logged(&["status", "--journal", JOURNAL], &reads).expect_success();
    logged(&["rollback", "--journal", JOURNAL, "--yes"], &writes).expect_exit(3);
    console(d, "on");
    logged(&["rollback", "--journal", JOURNAL, "--yes"], &writes).expect_success();

    let read_only = granted(&policy(
        d,
        &[
            "--member-role",
            "AWSControlTowerExecution",
            "iam-policy",
            "--for",
            "operator",
            "--read-only",
        ],
    ));
    let full = granted(&policy(d, &["iam-policy", "--for", "operator"]));
    let with_members = granted(&policy(
        d,
        &[
            "--member-role",
            "AWSControlTowerExecution",
            "iam-policy",
            "--for",
            "operator",
        ],
    ));
    let read_calls = requested(&reads);
    let write_calls = requested(&writes);
    assert!(read_calls.contains("organizations:ListPoliciesForTarget"));
    assert!(read_calls.contains("sts:AssumeRole"), "{read_calls:?}");
    assert!(write_calls.contains("controltower:EnableControl"));
    assert!(write_calls.contains("organizations:DeletePolicy"));
    let not_read: Vec<&String> = read_calls.difference(&read_only).collect();
    assert!(
        not_read.is_empty(),
        "the read-only policy lacks {not_read:?}"
    );
    let not_granted: Vec<&String> = write_calls.difference(&full).collect();
    assert!(not_granted.is_empty(), "the policy lacks {not_granted:?}");
    // Nothing that changes the organization is in the read-only policy,
    // and AssumeRole only with --member-role.
    for w in ["controltower:EnableControl", "organizations:CreatePolicy"] {
        assert!(!read_only.contains(w), "{w}");
    }
    assert!(!full.contains("sts:AssumeRole"));
    assert!(with_members.contains("sts:AssumeRole"));
}

#[test]
fn the_policy_is_valid_json_an_identity_can_carry() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), &["iam-policy", "--for", "operator"]);
    assert_eq!(p["Version"], "2012-10-17");
    // An identity policy holds at most 6,144 characters without spaces.
    let compact = serde_json::to_string(&p).unwrap();
    assert!(compact.len() < 6144, "{}", compact.len());
    let bad = run(ctmigrate(dir.path()).args(["iam-policy", "--for", "nobody"]));
    assert_eq!(bad.code, 64, "{}", bad.stderr);
}

const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no {sid} in {policy:#}"))
}

/// `iam-policy --for bedrock-caller ARGS` on the sandbox in `dir/sb`.
fn bedrock_caller_command(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut c = ctmigrate(dir);
    c.args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "iam-policy",
        "--for",
        "bedrock-caller",
    ])
    .args(args);
    c
}

fn bedrock_caller(dir: &Path, args: &[&str]) -> Ran {
    run(&mut bedrock_caller_command(dir, args))
}

#[test]
fn a_bedrock_callers_policy_reaches_every_destination_read_live() {
    let dir = quick_sandbox();
    let d = dir.path();
    let caller = |args: &[&str]| bedrock_caller(d, args);
    // From the home Region (ap-northeast-1), the jp. profile.
    let jp = caller(&["--inference-profile", &format!("jp.{SONNET}")]).expect_success();
    let p: Value = serde_json::from_str(&jp.stdout).unwrap();
    let profile = format!(
        "arn:aws:bedrock:ap-northeast-1:${{aws:PrincipalAccount}}:inference-profile/jp.{SONNET}"
    );
    assert_eq!(
        statement(&p, "InvokeThroughTheProfile")["Resource"],
        profile
    );
    let models: Vec<String> = ["ap-northeast-1", "ap-northeast-3"]
        .iter()
        .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{SONNET}"))
        .collect();
    assert_eq!(
        statement(&p, "InvokeTheModelInEveryDestination")["Resource"],
        serde_json::json!(models)
    );
    assert!(jp.stderr.is_empty(), "read live, no warning: {}", jp.stderr);

    // The us. profile is not offered in Tokyo: the message says where it is.
    let wrong = caller(&["--inference-profile", &format!("us.{SONNET}")]);
    assert_eq!(wrong.code, 65, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("is not offered in ap-northeast-1"),
        "{}",
        wrong.stderr
    );
    assert!(wrong.stderr.contains("--source-region"), "{}", wrong.stderr);
    let us = caller(&[
        "--inference-profile",
        &format!("us.{SONNET}"),
        "--source-region",
        "us-east-1",
    ])
    .expect_success();
    let p: Value = serde_json::from_str(&us.stdout).unwrap();
    let resources = statement(&p, "InvokeTheModelInEveryDestination")["Resource"].to_string();
    for r in ["us-east-1", "us-east-2", "us-west-2"] {
        assert!(
            resources.contains(&format!("arn:aws:bedrock:{r}::")),
            "{r}: {resources}"
        );
    }

    // Bad input: named, with the fix, nothing read.
    let bad = caller(&["--inference-profile", "claude"]);
    assert_eq!(bad.code, 64, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("`claude` is not a system-defined inference profile id")
    );
    let none = caller(&[]);
    assert_eq!(none.code, 64, "{}", none.stderr);
    assert!(
        none.stderr.contains("--inference-profile ID"),
        "{}",
        none.stderr
    );
    let region = caller(&[
        "--inference-profile",
        &format!("us.{SONNET}"),
        "--source-region",
        "mars-1",
    ]);
    assert_eq!(region.code, 64, "{}", region.stderr);
}

#[test]
fn a_global_profiles_caller_gets_the_regionless_model() {
    let dir = quick_sandbox();
    let ran = bedrock_caller(
        dir.path(),
        &[
            "--inference-profile",
            &format!("global.{SONNET}"),
            "--source-region",
            "us-east-1",
        ],
    )
    .expect_success();
    let p: Value = serde_json::from_str(&ran.stdout).unwrap();
    let regionless = statement(&p, "InvokeTheRegionlessModel");
    assert_eq!(
        regionless["Resource"],
        serde_json::json!([format!("arn:aws:bedrock:::foundation-model/{SONNET}")])
    );
    assert_eq!(
        regionless["Condition"]["StringEquals"]["aws:RequestedRegion"],
        "unspecified"
    );
}

#[test]
fn a_bedrock_caller_policy_falls_back_to_the_catalog_with_a_warning() {
    let dir = quick_sandbox();
    // Bedrock answers every ListInferenceProfiles with an internal error.
    let profile = format!("us.{SONNET}");
    let mut c = bedrock_caller_command(
        dir.path(),
        &[
            "--inference-profile",
            &profile,
            "--source-region",
            "us-east-1",
        ],
    );
    c.env(
        "CTMIGRATE_SANDBOX_FAULTS",
        "5xx=1.0,ops=ListInferenceProfiles,seed=1",
    );
    let ran = run(&mut c).expect_success();
    assert!(
        ran.stderr.contains("built-in catalog of geographies"),
        "{}",
        ran.stderr
    );
    let p: Value = serde_json::from_str(&ran.stdout).unwrap();
    let resources = statement(&p, "InvokeTheModelInEveryDestination")["Resource"].to_string();
    for r in ["us-east-1", "us-east-2", "us-west-2"] {
        assert!(
            resources.contains(&format!("arn:aws:bedrock:{r}::")),
            "{r}: {resources}"
        );
    }
}
