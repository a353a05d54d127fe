//! `ctmigrate plan` against the sandbox: the example plan, each companion
//! mode, updates and no-ops on existing PV.1, quotas, Bedrock unreadable,
//! refusals naming the input, and stable fingerprints.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ctmigrate::aws::{Apis, ControlTower};
use ctmigrate::model::ControlParameter;
use ctmigrate::sandbox::{self, FaultSpec};
use serde_json::{Value, json};

use crate::common::*;

const EPOCH: &str = "1795000000";

fn plan_cmd(dir: &Path, args: &[&str]) -> Ran {
    run(ctmigrate(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .arg("plan")
        .arg("--sandbox")
        .args(args))
}

fn read_plan(dir: &Path, name: &str) -> Value {
    let path = dir.join("plans").join(format!("{name}.plan.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn steps(plan: &Value) -> Vec<String> {
    plan["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|st| st["id"].as_str().unwrap().to_string())
        })
        .collect()
}

fn no_plan_written(dir: &Path) {
    let plans = dir.join("plans");
    let files: Vec<PathBuf> = std::fs::read_dir(&plans)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "nothing may be written: {files:?}");
}

const EXAMPLE_ARGS: [&str; 8] = [
    "--name",
    "sandbox-example",
    "--inference-profile",
    "us",
    "--inference-profile",
    "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "--permitted-account",
    "666666666667",
];

#[test]
fn the_checked_in_example_plan_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let Ran { stdout: out, .. } = plan_cmd(dir.path(), &EXAMPLE_ARGS).expect_success();
    assert!(
        out.contains(
            "Plan: 4 to enable, 0 to update, 4 to attach, 1 companion change; 1 manual step"
        ),
        "{out}"
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plans");
    for ext in ["plan.json", "plan.md"] {
        let fresh = std::fs::read_to_string(
            dir.path()
                .join("plans")
                .join(format!("sandbox-example.{ext}")),
        )
        .unwrap();
        let checked_in = repo.join(format!("sandbox-example.{ext}"));
        if std::env::var_os("CTMIGRATE_UPDATE_EXAMPLES").is_some() {
            std::fs::write(&checked_in, &fresh).unwrap();
            continue;
        }
        let current = std::fs::read_to_string(&checked_in).unwrap_or_default();
        assert!(
            current == fresh,
            "plans/sandbox-example.{ext} is out of date: run `CTMIGRATE_UPDATE_EXAMPLES=1 cargo test --test e2e the_checked_in_example_plan_is_current` and review the diff"
        );
    }
    let plan = read_plan(dir.path(), "sandbox-example");
    insta::assert_snapshot!("plan_summary", out);
    assert_eq!(plan["applyable"], true);
    assert_eq!(
        plan["decisions"]["allowed_regions"],
        json!(["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"])
    );
    let stage_ids: Vec<&str> = plan["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        stage_ids,
        [
            "preflight",
            "companion",
            "enable",
            "verify",
            "console",
            "final"
        ]
    );
    let jp = plan["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "jp.anthropic.claude-sonnet-4-5-20250929-v1:0")
        .unwrap();
    assert_eq!(jp["works_today"], true);
    let us = plan["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        .unwrap();
    assert_eq!(
        us["blocked_destinations"],
        json!(["us-east-2", "us-west-2"])
    );
    // Every mutating step carries its inverse.
    for stage in plan["stages"].as_array().unwrap() {
        for step in stage["steps"].as_array().unwrap() {
            if let Some(op) = step["request"]["operation"].as_str()
                && ["CreatePolicy", "EnableControl", "AttachPolicy"].contains(&op)
            {
                assert!(step["inverse"].is_object(), "{} has no inverse", step["id"]);
            }
        }
    }
}

#[test]
fn the_plan_checksum_and_fingerprint_are_stable() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(plan_cmd(dir.path(), &EXAMPLE_ARGS).code, 0);
    let first = read_plan(dir.path(), "sandbox-example");
    assert_eq!(plan_cmd(dir.path(), &EXAMPLE_ARGS).code, 0);
    let second = read_plan(dir.path(), "sandbox-example");
    assert_eq!(first["fingerprint"], second["fingerprint"]);
    assert_eq!(
        first, second,
        "an unchanged organization plans the same bytes"
    );
    // The checksum covers the whole plan.
    let mut copy = first.clone();
    copy["checksum"] = json!("");
    let typed: ctmigrate::plan::Plan = serde_json::from_value(first.clone()).unwrap();
    assert_eq!(
        ctmigrate::plan::checksum(&typed),
        first["checksum"].as_str().unwrap()
    );
    let mut tampered = typed.clone();
    tampered.decisions.allowed_regions.push("us-west-2".into());
    assert_ne!(ctmigrate::plan::checksum(&tampered), typed.checksum);
    // A change in the organization changes the fingerprint.
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(dir.path()).args(["sandbox", "reset", "--landing-zone-op-delay", "10ms"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        run(ctmigrate(dir.path()).args(["sandbox", "console", "region-deny", "off", "--wait"]))
            .code,
        0
    );
    assert_eq!(plan_cmd(dir.path(), &EXAMPLE_ARGS).code, 0);
    let third = read_plan(dir.path(), "sandbox-example");
    assert_ne!(first["fingerprint"], third["fingerprint"]);
    assert!(
        third["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("already off"))
    );
    assert!(
        !steps(&third).contains(&"console-region-deny-off".to_string()),
        "no console step when the deny is off"
    );
}

#[test]
fn each_companion_mode_writes_its_statements() {
    for (mode, sids) in [
        (
            "accounts",
            vec![
                "CtmigrateBedrockPermittedAccountsOnly",
                "CtmigrateBedrockProfilesOnly",
                "CtmigrateBedrockNoGlobalRouting",
            ],
        ),
        (
            "profiles",
            vec![
                "CtmigrateBedrockApprovedProfilesOnly",
                "CtmigrateBedrockNoGlobalRouting",
            ],
        ),
        (
            "strict",
            vec![
                "CtmigrateBedrockPermittedAccountsOnly",
                "CtmigrateBedrockApprovedProfilesOnly",
                "CtmigrateBedrockNoGlobalRouting",
            ],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        plan_cmd(
            dir.path(),
            &[
                "--inference-profile",
                "us",
                "--permitted-account",
                "666666666667",
                "--companion-mode",
                mode,
            ],
        )
        .expect_success();
        let plan = read_plan(dir.path(), "migration");
        let content = plan["companion"]["content"].as_str().unwrap();
        assert_eq!(
            plan["companion"]["size"].as_u64().unwrap() as usize,
            content.len(),
            "{mode}"
        );
        assert!(!content.contains(' '), "{mode}: minified");
        let doc: Value = serde_json::from_str(content).unwrap();
        let got: Vec<&str> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(got, sids, "{mode}");
        let first = &doc["Statement"][0];
        assert_eq!(
            first["Action"],
            json!([
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream"
            ])
        );
        assert_eq!(
            first["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
            json!(["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"])
        );
        if mode != "profiles" {
            assert_eq!(
                first["Condition"]["StringNotEquals"]["aws:PrincipalAccount"],
                json!(["666666666667"])
            );
        }
        assert_eq!(
            plan["companion"]["tags"][0],
            json!(["managed-by", "ctmigrate"])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_pv1_is_updated_or_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let sb_dir = dir.path().join(".ctmigrate").join("sandbox");
    sandbox::reset(&sb_dir, "default", fast()).unwrap();
    let running = sandbox::start(&sb_dir, 0, FaultSpec::default())
        .await
        .unwrap();
    let ct = connect(&running.endpoint_url(), HOME, ADMIN_KEY, 0)
        .await
        .control_tower(HOME);
    let p = |k: &str, v: Value| ControlParameter {
        key: k.into(),
        value: v,
    };
    let other = vec![
        p("AllowedRegions", json!(["ap-northeast-1", "us-east-1"])),
        p("ExemptedActions", json!(["logs:StartQuery"])),
    ];
    let identical = vec![
        p(
            "AllowedRegions",
            json!(["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"]),
        ),
        p(
            "ExemptedActions",
            json!([
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream"
            ]),
        ),
    ];
    let (a, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-sandbox0"),
            &other,
            &Default::default(),
        )
        .await
        .unwrap();
    let regional = format!("arn:aws:controltower:{HOME}::control/TKFQGXOBPOPS");
    let (b, _) = ct
        .enable_control(
            &regional,
            &ou_arn("ou-sb01-security"),
            &identical,
            &Default::default(),
        )
        .await
        .unwrap();
    for op in [a, b] {
        let ct = &ct;
        let op = op.as_str();
        assert!(
            eventually(Duration::from_secs(10), || async move {
                ct.get_control_operation(op).await.unwrap().status
                    == ctmigrate::model::OperationStatus::Succeeded
            })
            .await
        );
    }
    running.stop().await;

    let Ran { stderr: err, .. } = plan_cmd(
        dir.path(),
        &["--inference-profile", "us", "--companion-mode", "profiles"],
    )
    .expect_success();
    let plan = read_plan(dir.path(), "migration");
    let target = |id: &str| {
        plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["ou_id"] == id)
            .unwrap()
            .clone()
    };
    let sandbox_ou = target("ou-sb01-sandbox0");
    assert_eq!(sandbox_ou["pv1_action"], "update");
    assert_eq!(
        sandbox_ou["pv1_parameters"][0]["value"],
        json!(["ap-northeast-1", "us-east-1"]),
        "today's narrower fence is kept"
    );
    assert_eq!(target("ou-sb01-security")["pv1_action"], "none");
    assert_eq!(target("ou-sb01-workload")["pv1_action"], "enable");
    let ids = steps(&plan);
    assert!(
        ids.contains(&"update-pv1:ou-sb01-sandbox0".to_string()),
        "{ids:?}"
    );
    assert!(
        !ids.iter().any(|i| i.ends_with("pv1:ou-sb01-security")),
        "{ids:?}"
    );
    assert!(
        err.contains("logs:StartQuery"),
        "the dropped exemption is explained: {err}"
    );
    let update = plan["stages"][2]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "update-pv1:ou-sb01-sandbox0")
        .unwrap();
    assert_eq!(update["request"]["operation"], "UpdateEnabledControl");
    assert_eq!(
        update["inverse"]["input"]["parameters"][1]["value"],
        json!(["logs:StartQuery"]),
        "the inverse restores today's parameters"
    );
}

#[test]
fn an_ou_without_scp_slots_makes_the_plan_not_applyable() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--inference-profile",
        "us",
        "--companion-mode",
        "profiles",
        "--scp-attachment-limit",
        "4",
    ];
    let Ran { stderr: err, .. } = plan_cmd(dir.path(), &args).expect_exit(1);
    assert!(err.contains("Workloads (ou-sb01-workload): 4 SCPs attached now + 1 companion SCP = 5, over the limit of 4"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    no_plan_written(dir.path());

    let mut with = args.to_vec();
    with.push("--allow-errors");
    let Ran { stdout: out, .. } = plan_cmd(dir.path(), &with).expect_success();
    assert!(out.contains("Not applyable:"), "{out}");
    let plan = read_plan(dir.path(), "migration");
    assert_eq!(plan["applyable"], false);
    assert_eq!(plan["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn bedrock_unreadable_falls_back_to_the_catalog_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env(
            "CTMIGRATE_SANDBOX_FAULTS",
            "5xx=1,ops=ListInferenceProfiles",
        )
        .args([
            "plan",
            "--sandbox",
            "--inference-profile",
            "us",
            "--companion-mode",
            "profiles",
        ]))
    .expect_success();
    assert!(
        err.contains("Bedrock could not be read in any source Region"),
        "{err}"
    );
    let plan = read_plan(dir.path(), "migration");
    assert_eq!(plan["decisions"]["destinations_source"], "catalog");
    assert_eq!(plan["profiles"][0]["id"], "us.*");
    assert_eq!(plan["profiles"][0]["source"], "catalog");
    assert_eq!(
        plan["profiles"][0]["destination_regions"],
        json!(["us-east-1", "us-east-2", "us-west-2"])
    );
}

#[test]
fn the_migration_is_not_needed_when_every_profile_works() {
    let dir = tempfile::tempdir().unwrap();
    let Ran { stdout: out, .. } = plan_cmd(
        dir.path(),
        &[
            "--inference-profile",
            "jp",
            "--companion-mode",
            "profiles",
            "--detailed-exitcode",
        ],
    )
    .expect_success();
    assert!(out.contains("the migration is not needed"), "{out}");
    let plan = read_plan(dir.path(), "migration");
    assert_eq!(plan["migration_needed"], false);
    assert!(plan["stages"].as_array().unwrap().is_empty());

    let Ran {
        code,
        stdout: _,
        stderr: _,
    } = plan_cmd(
        dir.path(),
        &[
            "--inference-profile",
            "us",
            "--companion-mode",
            "profiles",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, 2, "changes planned");
}

#[test]
fn refusals_name_the_input_and_write_nothing() {
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "--inference-profile",
                "global",
                "--companion-mode",
                "profiles",
            ],
            65,
            "--allow-global was not given",
        ),
        (
            vec![
                "--inference-profile",
                "us.anthropic.claude-opus-9-v1:0",
                "--companion-mode",
                "profiles",
            ],
            65,
            "unknown inference profile `us.anthropic.claude-opus-9-v1:0`",
        ),
        (
            vec![
                "--inference-profile",
                "us",
                "--permitted-account",
                "123456789012",
            ],
            65,
            "account `123456789012` is not in organization o-ctm1gr8sbx",
        ),
        (
            vec!["--inference-profile", "us"],
            65,
            "companion mode `strict` needs at least one permitted account",
        ),
        (
            vec!["--inference-profile", "us", "--permitted-account", "12345"],
            65,
            "invalid input `permitted_accounts`: `12345` is not a 12-digit AWS account id",
        ),
        (
            vec![
                "--inference-profile",
                "us",
                "--companion-mode",
                "profiles",
                "--source-region",
                "tokyo",
            ],
            65,
            "invalid input `source_regions`: `tokyo` is not an AWS Region name",
        ),
        (
            vec![
                "--inference-profile",
                "us",
                "--companion-mode",
                "profiles",
                "--source-region",
                "us-west-2",
            ],
            65,
            "`us-west-2` is not one of the allowed Regions",
        ),
        (
            vec![
                "--inference-profile",
                "us",
                "--companion-mode",
                "profiles",
                "--exempt-action",
                "InvokeModel",
            ],
            65,
            "invalid input `exempt_actions`",
        ),
        (
            vec!["--companion-mode", "profiles"],
            65,
            "invalid input `inference_profiles`: no inference profile given",
        ),
        (
            vec!["--inference-profile", "us", "--scp-attachment-limit", "0"],
            64,
            "--scp-attachment-limit",
        ),
        (
            vec!["--inference-profile", "us", "--name", "../escape"],
            64,
            "invalid plan name `../escape`",
        ),
    ];
    for (args, code, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        let Ran {
            code: got,
            stderr: err,
            ..
        } = plan_cmd(dir.path(), &args);
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        no_plan_written(dir.path());
    }
}

#[test]
fn answers_files_are_read_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let good = write(
        "good.json",
        r#"{"inference_profiles": ["us"], "companion_mode": "accounts", "permitted_accounts": ["666666666667"], "allow_global": false}"#,
    );
    plan_cmd(
        dir.path(),
        &["--answers", &good, "--permitted-account", "555555555555"],
    )
    .expect_success();
    let plan = read_plan(dir.path(), "migration");
    assert_eq!(
        plan["decisions"]["permitted_accounts"],
        json!(["555555555555", "666666666667"]),
        "flags add to the file"
    );
    assert_eq!(plan["decisions"]["companion_mode"], "accounts");
    std::fs::remove_dir_all(dir.path().join("plans")).unwrap();

    let listed = write(
        "accounts.txt",
        "# Bedrock teams\n666666666667  # dev-genai\n\n555555555555\n",
    );
    plan_cmd(
        dir.path(),
        &[
            "--inference-profile",
            "us",
            "--permitted-accounts-file",
            &listed,
        ],
    )
    .expect_success();
    let plan = read_plan(dir.path(), "migration");
    assert_eq!(
        plan["decisions"]["permitted_accounts"],
        json!(["555555555555", "666666666667"])
    );
    std::fs::remove_dir_all(dir.path().join("plans")).unwrap();

    let cases = [
        (
            "typo.json",
            r#"{"inference_profiles": ["us"], "permited_accounts": []}"#,
            "unknown field `permited_accounts`",
        ),
        (
            "broken.json",
            r#"{"inference_profiles": ["us"],"#,
            "is not valid",
        ),
        (
            "zero.json",
            r#"{"inference_profiles": ["us"], "companion_mode": "profiles", "scp_size_limit": 0}"#,
            "invalid input `scp_size_limit` in answers file",
        ),
        (
            "account.json",
            r#"{"inference_profiles": ["us"], "permitted_accounts": ["66666"]}"#,
            "invalid input `permitted_accounts` in answers file",
        ),
        (
            "mode.json",
            r#"{"inference_profiles": ["us"], "companion_mode": "lenient"}"#,
            "unknown variant `lenient`",
        ),
    ];
    for (name, body, needle) in cases {
        let path = write(name, body);
        let Ran { stderr: err, .. } = plan_cmd(dir.path(), &["--answers", &path]).expect_exit(65);
        assert!(err.contains(needle), "{name}: {err}");
        assert!(err.contains(name), "{name}: the file is named: {err}");
        no_plan_written(dir.path());
    }
    let Ran { stderr: err, .. } =
        plan_cmd(dir.path(), &["--answers", "missing.json"]).expect_exit(65);
    assert!(
        err.contains("cannot read answers file `missing.json`"),
        "{err}"
    );
}

#[test]
fn the_json_schema_in_docs_is_current() {
    let schema = serde_json::to_string_pretty(&ctmigrate::plan::schema()).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("plan.schema.json");
    if std::env::var_os("CTMIGRATE_UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &schema).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == schema,
        "docs/plan.schema.json is out of date: run `CTMIGRATE_UPDATE_EXAMPLES=1 cargo test --test e2e the_json_schema_in_docs_is_current`"
    );
    // The checked-in example validates against the schema (an independent validator),
    // and a plan with a foreign field does not.
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("plans")
            .join("sandbox-example.plan.json"),
    )
    .unwrap();
    let schema_value: Value = serde_json::from_str(&current).unwrap();
    let validator = jsonschema::validator_for(&schema_value).unwrap();
    let example_value: Value = serde_json::from_str(&example).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&example_value)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    let mut foreign = example_value.clone();
    foreign["surprise"] = json!(true);
    assert!(!validator.is_valid(&foreign));
    let plan: ctmigrate::plan::Plan = serde_json::from_str(&example).unwrap();
    assert_eq!(ctmigrate::plan::checksum(&plan), plan.checksum);
}

/// Adds `principal` to the ArnNotLike exemption of every GRREGIONDENY
/// statement in the sandbox under `dir/.ctmigrate/sandbox` (a hand edit).
fn hand_edit_grregiondeny(dir: &Path, principal: &str) {
    run(ctmigrate(dir).args(["sandbox", "reset"])).expect_success();
    let path = dir.join(".ctmigrate/sandbox/state.json");
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (_, p) in w["policies"].as_object_mut().unwrap().iter_mut() {
        let mut doc: Value = serde_json::from_str(p["content"].as_str().unwrap()).unwrap();
        let mut changed = false;
        for st in doc["Statement"].as_array_mut().unwrap() {
            if st["Sid"] == "GRREGIONDENY" {
                st["Condition"]["ArnNotLike"]["aws:PrincipalARN"]
                    .as_array_mut()
                    .unwrap()
                    .push(principal.into());
                changed = true;
            }
        }
        if changed {
            p["content"] = doc.to_string().into();
        }
    }
    std::fs::write(&path, serde_json::to_vec(&w).unwrap()).unwrap();
}

/// `plan` in profiles mode for the us profiles, named `name`, with `extra` flags.
fn profiles_plan(dir: &Path, name: &str, extra: &[&str]) -> Ran {
    let mut args = vec![
        "--inference-profile",
        "us",
        "--companion-mode",
        "profiles",
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    plan_cmd(dir, &args)
}

#[test]
fn exempted_principals_are_checked_against_pv1s_pattern_and_can_be_decided() {
    let pv1_principals = |plan: &Value| -> Vec<Value> {
        plan["targets"][0]["pv1_parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["key"] == "ExemptedPrincipalArns")
            .map(|p| p["value"].as_array().unwrap().clone())
            .unwrap_or_default()
    };
    // A wildcard partition: PV.1 would refuse it mid-enable.
    let dir = tempfile::tempdir().unwrap();
    hand_edit_grregiondeny(dir.path(), "arn:*:iam::*:role/BreakGlass");
    let Ran {
        code,
        stdout: out,
        stderr: err,
    } = profiles_plan(dir.path(), "p", &[]);
    assert_eq!(code, 1, "not applyable: {out}\n{err}");
    assert!(err.contains("`arn:*:iam::*:role/BreakGlass`"), "{err}");
    assert!(
        err.contains("`arn:aws:iam::*:role/BreakGlass`"),
        "names the form PV.1 takes: {err}"
    );
    // Decided explicitly, in the form PV.1 accepts.
    profiles_plan(
        dir.path(),
        "p",
        &["--exempt-principal", "arn:aws:iam::*:role/BreakGlass"],
    )
    .expect_success();
    let plan = read_plan(dir.path(), "p");
    assert_eq!(
        pv1_principals(&plan),
        [json!("arn:aws:iam::*:role/BreakGlass")]
    );
    // Or none at all.
    profiles_plan(dir.path(), "p", &["--no-exempt-principals"]).expect_success();
    assert!(pv1_principals(&read_plan(dir.path(), "p")).is_empty());
    // A flag value that does not fit is bad input: exit 65, nothing written.
    let Ran { stderr: err, .. } = profiles_plan(
        dir.path(),
        "q",
        &["--exempt-principal", "arn:*:iam::*:role/X"],
    )
    .expect_exit(65);
    assert!(err.contains("exempt_principals"), "{err}");
    assert!(!dir.path().join("plans/q.plan.json").exists());

    // A valid hand edit is carried over, with the warning that the console step drops it.
    let dir = tempfile::tempdir().unwrap();
    hand_edit_grregiondeny(dir.path(), "arn:aws:iam::*:role/BreakGlass");
    profiles_plan(dir.path(), "p", &[]).expect_success();
    let plan = read_plan(dir.path(), "p");
    assert_eq!(
        pv1_principals(&plan),
        [json!("arn:aws:iam::*:role/BreakGlass")]
    );
    assert!(
        plan["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("the console step itself removes it")),
        "{}",
        plan["warnings"]
    );
}

#[test]
fn the_change_board_reads_the_risks_and_obligations() {
    let dir = tempfile::tempdir().unwrap();
    plan_cmd(
        dir.path(),
        &[
            "--inference-profile",
            "us",
            "--permitted-account",
            "666666666667",
            "--name",
            "p",
        ],
    )
    .expect_success();
    let md = std::fs::read_to_string(dir.path().join("plans/p.plan.md")).unwrap();
    let start = md.find("## Risks and obligations").expect("the section");
    let end = md[start..].find("\n## Residual risks").unwrap() + start;
    insta::assert_snapshot!("risks_and_obligations", &md[start..end]);
}
