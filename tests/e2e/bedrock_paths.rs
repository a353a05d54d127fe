//! The Bedrock paths beyond model inference on the seeded sandbox: `detect`
//! lists the guardrail and the batch job, a plan that leaves them out warns,
//! a plan that chooses them exempts and fences exactly their actions, its
//! apply reads back equal to the prediction, and the enforced-guardrail
//! scenario warns about every model call it breaks. Another actor (the AWS
//! CLI against `sandbox serve`) adds a guardrail that `detect` then sees.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::*;

/// The role every seeded member account has, trusting the management account.
const MEMBER_ROLE: &str = "AWSControlTowerExecution";

/// `ctmigrate --sandbox --sandbox-dir sb --member-role ROLE`: reading the
/// member accounts, where the seeded guardrail and batch job are.
fn sandbox_cmd(dir: &Path) -> std::process::Command {
    let mut c = ctmigrate(dir);
    c.env("CTMIGRATE_POLL_INTERVAL", "40ms").args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "--member-role",
        MEMBER_ROLE,
    ]);
    c
}

fn json_out(ran: Ran) -> Value {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout))
}

/// Model inference only: the `us.` profiles for dev-genai.
const INFERENCE_ONLY: [&str; 4] = [
    "--inference-profile",
    "us",
    "--permitted-account",
    "666666666667",
];

const EVERY_PATH: [&str; 7] = [
    "--inference-profile",
    "us",
    "--permitted-account",
    "666666666667",
    "--batch-inference",
    "--guardrail-profile",
    "us.guardrail.v1:0",
];

#[test]
fn detect_plan_and_apply_the_paths_the_sandbox_uses() {
    let dir = quick_sandbox();
    let d = dir.path();

    // Without a member role only the management account is read, and
    // detect and plan say so.
    let Ran { stdout: text, .. } =
        run(ctmigrate(d).args(["--sandbox", "--sandbox-dir", "sb", "detect"])).expect_success();
    assert!(
        text.contains("Bedrock paths beyond model inference (management account)")
            && text.contains("member accounts not read: add --member-role ROLE"),
        "{text}"
    );
    let Ran { stderr: err, .. } = run(ctmigrate(d)
        .args([
            "--sandbox",
            "--sandbox-dir",
            "sb",
            "plan",
            "--name",
            "management-only",
        ])
        .args(INFERENCE_ONLY))
    .expect_success();
    assert!(
        err.contains("read in the management account only") && err.contains("--member-role ROLE"),
        "{err}"
    );

    // detect lists dev-genai's guardrail and batch job, blocked today.
    let report =
        json_out(run(sandbox_cmd(d).args(["--format", "json", "detect"])).expect_success());
    let found = &report["bedrock_paths"];
    assert_eq!(found["guardrails"][0]["name"], "support-chat", "{found}");
    assert_eq!(found["guardrails"][0]["profile_id"], "us.guardrail.v1:0");
    assert_eq!(
        found["guardrails"][0]["blocked_destinations"],
        json!(["us-east-2", "us-west-2"])
    );
    assert_eq!(found["batch_jobs"][0]["name"], "nightly-ticket-summaries");
    assert_eq!(found["batch_jobs"][0]["works_today"], false);
    assert_eq!(found["regional_guardrails"], 1);

    // A plan that leaves them out warns, naming what keeps failing.
    let Ran { stderr: err, .. } = run(sandbox_cmd(d)
        .args(["plan", "--name", "inference-only"])
        .args(INFERENCE_ONLY))
    .expect_success();
    assert!(
        err.contains(
            "the plan leaves out a path in use: guardrail(s) support-chat (666666666667, us-east-1)"
        ),
        "{err}"
    );
    assert!(
        err.contains("--guardrail-profile us.guardrail.v1:0"),
        "{err}"
    );
    assert!(
        err.contains("batch job(s) nightly-ticket-summaries") && err.contains("--batch-inference"),
        "{err}"
    );

    // A plan that chooses them exempts and fences exactly their actions.
    let Ran {
        stdout: summary,
        stderr: err,
        ..
    } = run(sandbox_cmd(d).arg("plan").args(EVERY_PATH)).expect_success();
    assert!(!err.contains("leaves out a path"), "{err}");
    assert!(
        summary.contains("Other Bedrock paths\n  batch inference through inference profiles: bedrock:CreateModelInvocationJob\n  guardrails with a guardrail profile: bedrock:ApplyGuardrail\n    us.guardrail.v1:0  blocked today: us-east-2, us-west-2\n"),
        "{summary}"
    );
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("plans/migration.plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        plan["decisions"]["exempted_actions"],
        json!([
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
            "bedrock:CreateModelInvocationJob",
            "bedrock:ApplyGuardrail"
        ])
    );
    let paths: Vec<&str> = plan["decisions"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["inference", "batch", "guardrails"]);
    let companion: Value =
        serde_json::from_str(plan["companion"]["content"].as_str().unwrap()).unwrap();
    let guardrail = companion["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "CtmigrateBedrockApprovedGuardrailProfilesOnly")
        .unwrap_or_else(|| panic!("{companion}"));
    assert_eq!(guardrail["Action"], json!(["bedrock:ApplyGuardrail"]));
    assert_eq!(
        guardrail["NotResource"],
        json!(["arn:aws:bedrock:*:*:guardrail-profile/us.guardrail.v1:0"])
    );
    assert_eq!(plan["proof"]["passed"], true);
    let labels = plan["proof"]["probes"].as_u64().unwrap();
    assert!(labels > 20, "{labels}");
    let md = std::fs::read_to_string(d.join("plans/migration.plan.md")).unwrap();
    assert!(md.contains("## Bedrock paths"), "{md}");
    assert!(
        md.contains("| `us.guardrail.v1:0` | guardrails | us-east-1 |"),
        "{md}"
    );
    assert!(md.contains("catalog (documented)"), "{md}");

    // Its apply reads back equal to the prediction.
    run(sandbox_cmd(d).args(["apply", "--plan", "plans/migration.plan.json", "--yes"]))
        .expect_exit(3);
    console(d, "off");
    let Ran { stdout: out, .. } = run(sandbox_cmd(d).args([
        "resume",
        "--journal",
        "plans/migration.journal.jsonl",
        "--yes",
    ]))
    .expect_success();
    assert!(
        out.contains("the live SCPs decide exactly as predicted"),
        "{out}"
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sb/state.json")).unwrap()).unwrap();
    let live = state["policies"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["name"] == "ctmigrate-bedrock-cross-region-inference")
        .unwrap();
    assert_eq!(live["content"], plan["companion"]["content"]);
    let after = json_out(run(sandbox_cmd(d).args(["--format", "json", "detect"])).expect_success());
    for e in after["pv1"]["enablements"].as_array().unwrap() {
        assert_eq!(
            e["exempted_actions"], plan["decisions"]["exempted_actions"],
            "{e}"
        );
    }
    // Day two: nothing that crosses Regions is blocked by the landing-zone deny now.
    assert_eq!(after["region_deny"]["state"], "off");
}

#[test]
fn an_enforced_guardrail_is_found_and_its_cost_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(ctmigrate(d).args([
        "sandbox",
        "reset",
        "--sandbox-dir",
        "sb",
        "--scenario",
        "enforced-guardrail",
    ]))
    .expect_success();
    let report =
        json_out(run(sandbox_cmd(d).args(["--format", "json", "detect"])).expect_success());
    let enforced = &report["bedrock_paths"]["enforced_guardrails"][0];
    assert_eq!(enforced["profile_id"], "us.guardrail.v1:0", "{report}");
    assert_eq!(enforced["region"], "us-east-1");
    let Ran { stdout: text, .. } = run(sandbox_cmd(d).arg("detect")).expect_success();
    assert!(
        text.contains(
            "enforced guardrail sbxgr0support1 v1 (666666666667, us-east-1, every model call)"
        ),
        "{text}"
    );

    // Left out: every model call of the account there keeps failing.
    let Ran { stderr: err, .. } = run(sandbox_cmd(d)
        .arg("plan")
        .args(INFERENCE_ONLY)
        .arg("--batch-inference"))
    .expect_success();
    assert!(err.contains("all Bedrock use there keeps failing"), "{err}");
    // Chosen in strict mode: the accounts it does not permit stay broken.
    let Ran { stderr: err, .. } = run(sandbox_cmd(d).arg("plan").args(EVERY_PATH)).expect_success();
    assert!(
        err.contains("with companion mode `strict`, accounts that are not permitted are denied it"),
        "{err}"
    );
    // In profiles mode, every account may use the approved guardrail profile.
    let Ran { stderr: err, .. } = run(sandbox_cmd(d)
        .arg("plan")
        .args(EVERY_PATH)
        .args(["--companion-mode", "profiles"]))
    .expect_success();
    assert!(!err.contains("accounts that are not permitted"), "{err}");
}

#[test]
fn bad_path_inputs_are_refused_by_name_with_nothing_written() {
    let dir = quick_sandbox();
    let d = dir.path();
    for (args, expected) in [
        (
            vec!["--guardrail-profile", "us.guardrail"],
            "`us.guardrail` is not a guardrail profile id",
        ),
        (
            vec!["--guardrail-profile", "ca.guardrail.v1:0"],
            "not in ctmigrate's catalog",
        ),
        (
            vec!["--data-automation-profile", "us.data-automation"],
            "is not a data-automation profile id",
        ),
        (
            vec!["--exempt-action", "bedrock:ApplyGuardrail"],
            "crosses Regions only through guardrail profiles",
        ),
        (
            vec!["--guardrail-profile", "eu.guardrail.v1:0"],
            "cannot be used from the source Regions",
        ),
    ] {
        let Ran { stderr: err, .. } =
            run(sandbox_cmd(d).arg("plan").args(INFERENCE_ONLY).args(&args)).expect_exit(65);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!d.join("plans").exists(), "{args:?}");
    }
}

#[test]
fn another_actor_adds_a_cross_region_guardrail_that_detect_then_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path());
    // The CLI reads the seeded shapes (as the management account: its own).
    let admin = |region: &str, args: &[&str]| {
        let mut c = aws_cli(&url, region, "testing");
        c.args(args);
        run(&mut c).expect_success()
    };
    let listed = json_out(admin(HOME, &["bedrock", "list-guardrails"]));
    assert_eq!(
        listed["guardrails"][0]["name"], "internal-tools",
        "{listed}"
    );
    assert!(listed["guardrails"][0].get("crossRegionDetails").is_none());
    let jobs = json_out(admin(HOME, &["bedrock", "list-model-invocation-jobs"]));
    assert_eq!(
        jobs["invocationJobSummaries"][0]["modelId"],
        "anthropic.claude-sonnet-4-5-20250929-v1:0"
    );
    let enforced = json_out(admin(
        "us-east-1",
        &["bedrock", "list-enforced-guardrails-configuration"],
    ));
    assert_eq!(enforced["guardrailsConfig"], json!([]));
    // Only the management account may assume a member account's role.
    let mut c = aws_cli(&url, HOME, MEMBER_KEY);
    c.args([
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::666666666667:role/AWSControlTowerExecution",
        "--role-session-name",
        "other-actor",
    ]);
    let Ran { stderr: err, .. } = run(&mut c).expect_exit(255);
    assert!(err.contains("AccessDenied"), "{err}");
    // The other actor works in the member account prod-app.
    let cli = |region: &str, args: &[&str]| {
        let mut c = aws_cli(&url, region, MEMBER_KEY);
        c.args(args);
        run(&mut c).expect_success()
    };
    // Another admin makes a guardrail through the APAC guardrail profile in Tokyo.
    let made = json_out(cli(
        HOME,
        &[
            "bedrock",
            "create-guardrail",
            "--name",
            "tokyo-support",
            "--blocked-input-messaging",
            "blocked",
            "--blocked-outputs-messaging",
            "blocked",
            "--cross-region-config",
            "guardrailProfileIdentifier=apac.guardrail.v1:0",
        ],
    ));
    let id = made["guardrailId"].as_str().unwrap();
    let got = json_out(cli(
        HOME,
        &["bedrock", "get-guardrail", "--guardrail-identifier", id],
    ));
    assert_eq!(
        got["crossRegionDetails"]["guardrailProfileId"],
        "apac.guardrail.v1:0"
    );

    let Ran { stdout: out, .. } = run(ctmigrate(dir.path())
        .args([
            "--format",
            "json",
            "detect",
            "--region",
            HOME,
            "--endpoint-url",
            &url,
            "--member-role",
            MEMBER_ROLE,
        ])
        .env("AWS_ACCESS_KEY_ID", ADMIN_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "testing"))
    .expect_success();
    let report: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = report["bedrock_paths"]["guardrails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"tokyo-support"), "{report}");
    let tokyo = report["bedrock_paths"]["guardrails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "tokyo-support")
        .unwrap();
    assert_eq!(tokyo["account"], "555555555555");
    assert_eq!(tokyo["destinations_source"], "inferred");
    assert_eq!(tokyo["works_today"], false, "{tokyo}");
}
