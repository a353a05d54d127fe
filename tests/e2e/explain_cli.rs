//! `explain` through the real binary on the sandbox: the two messages of
//! the published write-ups, before and after a migration, and the input
//! errors.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;

const SONNET4_US_EAST_2: &str =
    "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0";
const SONNET45_GLOBAL: &str =
    "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0";

fn message(principal: &str, action: &str, resource: &str) -> String {
    format!(
        "An error occurred (AccessDeniedException) when calling the ConverseStream operation: User: {principal} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a service control policy"
    )
}

fn dev_genai() -> &'static str {
    "arn:aws:sts::666666666667:assumed-role/AWSReservedSSO_Developer_0123456789abcdef/dev@example.com"
}

fn prod_app() -> &'static str {
    "arn:aws:iam::555555555555:user/bob"
}

fn explain_json(dir: &Path, text: &str) -> Value {
    let Ran { stdout: out, .. } = run(ctmigrate(dir).args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "--format",
        "json",
        "explain",
        text,
    ]))
    .expect_success();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn deniers(v: &Value) -> Vec<String> {
    v["verdict"]["denied_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["denier"].as_str().unwrap().to_string())
        .collect()
}

fn migrate(dir: &Path) {
    let step = |args: &[&str]| {
        run(ctmigrate(dir)
            .env("CTMIGRATE_POLL_INTERVAL", "40ms")
            .args(["--sandbox", "--sandbox-dir", "sb"])
            .args(args))
    };
    step(&[
        "plan",
        "--inference-profile",
        "us",
        "--permitted-account",
        "666666666667",
        "--name",
        "m",
        "--out",
        "plans",
    ])
    .expect_success();
    step(&["apply", "--plan", "plans/m.plan.json", "--yes"]).expect_exit(3);
    console(dir, "off");
    step(&["resume", "--journal", "plans/m.journal.jsonl", "--yes"]).expect_success();
}

#[test]
fn the_published_messages_before_and_after_a_migration() {
    let dir = quick_sandbox();
    let d = dir.path();
    let regional = message(
        dev_genai(),
        "bedrock:InvokeModelWithResponseStream",
        SONNET4_US_EAST_2,
    );
    let global = message(prod_app(), "bedrock:InvokeModel", SONNET45_GLOBAL);

    // Before: the landing-zone region deny, on the first-tier OU above each account.
    let v = explain_json(d, &regional);
    assert_eq!(v["denial"]["region"], "us-east-2");
    assert_eq!(v["account_name"], "dev-genai");
    assert_eq!(v["verdict"]["allowed"], false);
    assert_eq!(deniers(&v), ["landing_zone_region_deny"]);
    assert_eq!(v["verdict"]["denied_by"][0]["sid"], "GRREGIONDENY");
    assert_eq!(v["verdict"]["denied_by"][0]["target_name"], "Workloads");
    let us = &v["profiles"][0];
    assert_eq!(us["id"], "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert_eq!(
        us["blocked"],
        serde_json::json!(["us-east-2", "us-west-2"]),
        "{us}"
    );
    assert!(
        v["fix"][0]
            .as_str()
            .unwrap()
            .contains("`ctmigrate --sandbox --sandbox-dir sb plan --inference-profile us --permitted-account 666666666667`")
    );

    let g = explain_json(d, &global);
    assert_eq!(g["denial"]["region"], "unspecified");
    assert_eq!(deniers(&g), ["landing_zone_region_deny"]);
    assert!(
        g["verdict"]["profile"]
            .as_str()
            .unwrap()
            .starts_with("global.")
    );
    assert!(g["fix"][0].as_str().unwrap().contains("--allow-global"));

    // The text report names the statement and carries no escape codes.
    let Ran {
        code,
        stdout: text,
        stderr: err,
    } = run(ctmigrate(d).args(["--sandbox", "--sandbox-dir", "sb", "explain", &regional]));
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("DENIED in us-east-2 through us.anthropic"),
        "{text}"
    );
    assert!(
        text.contains("Sid GRREGIONDENY, attached to Workloads"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text}");

    migrate(d);

    // After: the permitted account's us. call goes through ...
    let v = explain_json(d, &regional);
    assert_eq!(v["verdict"]["allowed"], true, "{v}");
    assert_eq!(v["profiles"][0]["blocked"], serde_json::json!([]));
    assert!(v["fix"][0].as_str().unwrap().contains("allow this request"));
    // ... another account's is fenced by the companion SCP ...
    let other = message(prod_app(), "bedrock:InvokeModel", SONNET4_US_EAST_2);
    let o = explain_json(d, &other);
    assert_eq!(deniers(&o), ["companion"], "{o}");
    assert!(
        o["fix"][0]
            .as_str()
            .unwrap()
            .contains("--permitted-account 555555555555")
    );
    // ... and the unapproved global profile stays denied, by the companion, not PV.1.
    let dg = message(dev_genai(), "bedrock:InvokeModel", SONNET45_GLOBAL);
    let g = explain_json(d, &dg);
    let by = deniers(&g);
    assert!(!by.is_empty() && by.iter().all(|x| x == "companion"), "{g}");
    // (the approved-profile statement and the one that closes global routing)
    assert!(
        g.to_string().contains("CtmigrateBedrockNoGlobalRouting"),
        "{g}"
    );
    // Everything else is still fenced by PV.1.
    let ec2 = "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: User: arn:aws:sts::666666666667:assumed-role/app/x is not authorized to perform: ec2:DescribeInstances with an explicit deny in a service control policy";
    let Ran { stdout: out, .. } = run(ctmigrate(d).args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "--format",
        "json",
        "explain",
        "--requested-region",
        "us-east-2",
        ec2,
    ]))
    .expect_success();
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(deniers(&e), ["pv1"], "{e}");
    // A guardrail the plan left out: PV.1 does not exempt ApplyGuardrail,
    // and the fix plans the guardrail path, not the two Invoke actions.
    let g = explain_json(
        d,
        &message(
            dev_genai(),
            "bedrock:ApplyGuardrail",
            US_GUARDRAIL_PROFILE_EAST_2,
        ),
    );
    assert_eq!(deniers(&g), ["pv1"], "{g}");
    assert_eq!(g["verdict"]["denied_by"][0]["sid"], "CTMULTISERVICEPV1");
    let fix = g["fix"][0].as_str().unwrap();
    assert!(
        fix.contains(
            "ctmigrate --sandbox --sandbox-dir sb plan --inference-profile us --guardrail-profile us.guardrail.v1:0 --permitted-account 666666666667"
        ),
        "{fix}"
    );
}

/// A guardrail profile's leg in a destination the landing-zone deny blocks.
const US_GUARDRAIL_PROFILE_EAST_2: &str =
    "arn:aws:bedrock:us-east-2:666666666667:guardrail-profile/us.guardrail.v1:0";

/// The console's panel, as a person copies it, in English and Japanese.
fn console_panel(japanese: bool) -> String {
    if japanese {
        format!(
            "bedrock:ApplyGuardrail へのアクセスが拒否されました\n\
             bedrock:ApplyGuardrail を実行するアクセス許可がありません。アクセスをリクエストするには、次のテキストをコピーして AWS 管理者に送信してください。\n\
             {}\n\
             アクション: bedrock:ApplyGuardrail\n\
             {US_GUARDRAIL_PROFILE_EAST_2}\n\
             コンテキスト: サービスコントロールポリシーで明示的に拒否されています\n",
            dev_genai()
        )
    } else {
        format!(
            "Access denied to bedrock:ApplyGuardrail\n\
             You don't have permission to bedrock:ApplyGuardrail. To request access, copy the following text and send it to your AWS administrator.\n\
             User: {}\n\
             Service: bedrock\n\
             Action: ApplyGuardrail\n\
             On resource(s): {US_GUARDRAIL_PROFILE_EAST_2}\n\
             Context: a service control policy explicitly denies the action\n",
            dev_genai()
        )
    }
}

#[test]
fn guardrail_denials_in_every_format_name_the_statement_and_the_guardrail_fix() {
    let dir = quick_sandbox();
    let d = dir.path();
    for text in [
        message(
            dev_genai(),
            "bedrock:ApplyGuardrail",
            US_GUARDRAIL_PROFILE_EAST_2,
        ),
        console_panel(false),
        console_panel(true),
    ] {
        let v = explain_json(d, &text);
        assert_eq!(v["denial"]["action"], "bedrock:ApplyGuardrail", "{text}");
        assert_eq!(v["denial"]["kind"], "service_control_policy", "{text}");
        assert_eq!(v["denial"]["principal"], dev_genai(), "{text}");
        assert_eq!(v["denial"]["region"], "us-east-2", "{text}");
        assert_eq!(v["path"], "guardrails");
        assert_eq!(v["account_name"], "dev-genai");
        assert_eq!(deniers(&v), ["landing_zone_region_deny"], "{v}");
        assert_eq!(v["verdict"]["denied_by"][0]["sid"], "GRREGIONDENY");
        let profile = &v["profiles"][0];
        assert_eq!(profile["id"], "us.guardrail.v1:0");
        assert_eq!(
            profile["blocked"],
            serde_json::json!(["us-east-2", "us-west-2"]),
            "{profile}"
        );
        let fix = v["fix"][0].as_str().unwrap();
        assert!(
            fix.contains("--guardrail-profile us.guardrail.v1:0 --permitted-account 666666666667"),
            "{fix}"
        );
        assert!(
            v["notes"]
                .to_string()
                .contains("enforces on every model call")
                || v["notes"]
                    .to_string()
                    .contains("when the guardrail is enforced"),
            "{v}"
        );
    }
    // A model call stopped by its guardrail names the enforced case.
    let converse = message(
        dev_genai(),
        "bedrock:ApplyGuardrail",
        US_GUARDRAIL_PROFILE_EAST_2,
    );
    let v = explain_json(d, &converse);
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("the ConverseStream call was stopped by its guardrail"),
        "{v}"
    );
    // The text report says which path and lists the guardrail profile.
    let Ran { stdout: text, .. } = run(ctmigrate(d).args([
        "--sandbox",
        "--sandbox-dir",
        "sb",
        "explain",
        &console_panel(true),
    ]))
    .expect_success();
    assert!(text.contains("Bedrock path"), "{text}");
    assert!(
        text.contains("guardrails with a guardrail profile"),
        "{text}"
    );
    assert!(
        text.contains("Guardrail profiles that send guardrail evaluation there:"),
        "{text}"
    );
    // A batch job's denial plans batch inference.
    let batch = message(
        dev_genai(),
        "bedrock:CreateModelInvocationJob",
        SONNET4_US_EAST_2,
    );
    let v = explain_json(d, &batch);
    assert_eq!(v["path"], "batch");
    assert!(
        v["fix"][0].as_str().unwrap().contains("--batch-inference"),
        "{v}"
    );
}

#[test]
fn stdin_offline_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // From stdin with `-`, without the organization.
    let mut child = ctmigrate(d)
        .args(["--format", "json", "explain", "--offline", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            message(dev_genai(), "bedrock:InvokeModel", SONNET4_US_EAST_2)
                .replace(" on resource", "\n  on resource")
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["denial"]["kind"], "service_control_policy");
    assert_eq!(v["verdict"], Value::Null);
    assert!(!d.join(".ctmigrate").exists(), "offline touched no sandbox");

    // Model access is not an SCP matter.
    let Ran { stdout: out, .. } = run(ctmigrate(d).args([
        "explain",
        "--offline",
        "An error occurred (AccessDeniedException) when calling the InvokeModel operation: You don't have access to the model with the specified model ID.",
    ])).expect_success();
    assert!(out.contains("Model access"), "{out}");

    // Text that is not an access-denied message: exit 65, with an example.
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(ctmigrate(d).args(["explain", "--offline", "ThrottlingException: Rate exceeded"]));
    assert_eq!(code, 65, "{err}");
    assert!(
        err.contains("does not look like an access-denied message"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: paste the whole message, for example: An error occurred (AccessDeniedException)"
        ),
        "{err}"
    );
    // Empty stdin.
    let Ran { stderr: err, .. } = run(Command::new(env!("CARGO_BIN_EXE_ctmigrate"))
        .current_dir(d)
        .args(["explain", "--offline"])
        .stdin(Stdio::null()))
    .expect_exit(65);
    assert!(err.contains("the text is empty"), "{err}");
    // A bad Region.
    let Ran { stderr: err, .. } = run(ctmigrate(d).args([
        "explain",
        "--offline",
        "--requested-region",
        "mars-1",
        &message(prod_app(), "bedrock:InvokeModel", SONNET4_US_EAST_2),
    ]))
    .expect_exit(64);
    assert!(err.contains("mars-1"), "{err}");
}
