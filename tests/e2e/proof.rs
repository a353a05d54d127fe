//! The proof that every plan carries: it holds on a correct plan, and it
//! fails, naming the cell, when a plan would leave a window, when a
//! permitted account would still be blocked, or when the companion would let
//! too much through.

use std::time::Duration;

use ctmigrate::aws::{Apis, ControlTower};
use ctmigrate::model::ControlParameter;
use ctmigrate::plan::{self, PlanInputs, PlanRequest};
use ctmigrate::sandbox::{self, FaultSpec};
use serde_json::json;

use crate::common::*;

async fn plan_for(sb: &Sandbox, inputs: PlanInputs) -> (ctmigrate::snapshot::Snapshot, plan::Plan) {
    let aws = sb.aws().await;
    let snapshot = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap();
    let profiles =
        ctmigrate::discover::inference_profiles(&aws, &snapshot.landing_zone.governed_regions)
            .await;
    let p = plan::build(PlanRequest {
        snapshot: &snapshot,
        profiles: &profiles,
        bedrock_use: &Default::default(),
        inputs,
        name: "t".into(),
        created_at: "2026-11-23T00:00:00Z".into(),
        tool_version: "test".into(),
    })
    .unwrap();
    (snapshot, p)
}

const MODES: [plan::CompanionMode; 3] = [
    plan::CompanionMode::Accounts,
    plan::CompanionMode::Profiles,
    plan::CompanionMode::Strict,
];

fn inputs(mode: plan::CompanionMode) -> PlanInputs {
    PlanInputs {
        inference_profiles: vec!["us".into()],
        permitted_accounts: vec!["666666666667".into()],
        companion_mode: mode,
        ..PlanInputs::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proof_holds_for_every_mode_on_the_seeded_org() {
    let sb = Sandbox::start(fast()).await;
    for mode in MODES {
        let (snapshot, p) = plan_for(&sb, inputs(mode)).await;
        let proof = p.proof.clone().unwrap();
        assert!(proof.passed, "{mode:?}: {:?}", proof.properties);
        assert!(p.applyable, "{:?}", p.errors);
        assert_eq!(proof.states.first().map(String::as_str), Some("before"));
        let m = plan::proof::matrix(&snapshot, &p).unwrap();
        assert_eq!(
            m.summary, proof,
            "the plan records what the matrix computes"
        );
        // The permitted account gains us-east-2 through the approved profile; nobody else does.
        let dev = m
            .rows
            .iter()
            .position(|r| r.account == "666666666667")
            .unwrap();
        let probe = m
            .probes
            .iter()
            .position(|x| x.label.contains("via us.anthropic.claude-sonnet-4-5"))
            .unwrap();
        let col = m.regions.iter().position(|r| r == "us-east-2").unwrap();
        let last = m.states.len() - 1;
        assert_eq!(
            m.cells[0][dev][probe].as_bytes()[col],
            b'D',
            "{mode:?}: blocked before"
        );
        assert_eq!(
            m.cells[last][dev][probe].as_bytes()[col],
            b'A',
            "{mode:?}: works after"
        );
        let other = m
            .rows
            .iter()
            .position(|r| r.account == "444444444444")
            .unwrap();
        let expected = if mode == plan::CompanionMode::Profiles {
            b'A'
        } else {
            b'D'
        };
        assert_eq!(
            m.cells[last][other][probe].as_bytes()[col],
            expected,
            "{mode:?}: other accounts"
        );
    }
}

/// Every cell of `probe` (by label part) for `account` outside `allowed`, at the end.
fn outside(m: &plan::proof::Matrix, account: &str, probe: &str, allowed: &[String]) -> Vec<u8> {
    let row = m.rows.iter().position(|r| r.account == account).unwrap();
    let p = m
        .probes
        .iter()
        .position(|x| x.label.contains(probe))
        .unwrap_or_else(|| panic!("no probe {probe}"));
    let last = m.states.len() - 1;
    m.regions
        .iter()
        .enumerate()
        .filter(|(_, r)| !allowed.contains(r))
        .map(|(g, _)| m.cells[last][row][p].as_bytes()[g])
        .filter(|c| *c != b'.')
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_denies_direct_calls_and_global_legs_outside_the_allowed_regions() {
    let sb = Sandbox::start(fast()).await;
    for mode in MODES {
        let (snapshot, p) = plan_for(&sb, inputs(mode)).await;
        let m = plan::proof::matrix(&snapshot, &p).unwrap();
        let allowed = &p.decisions.allowed_regions;
        for account in ["666666666667", "444444444444"] {
            for probe in [
                "bedrock:InvokeModel direct",
                "via a global profile",
                "via an application profile of a global profile",
            ] {
                let cells = outside(&m, account, probe, allowed);
                assert!(!cells.is_empty(), "{mode:?} {account} {probe}");
                assert!(
                    cells.iter().all(|c| *c == b'D'),
                    "{mode:?}: {account} {probe} is denied outside: {}",
                    String::from_utf8_lossy(&cells)
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_accounts_pattern_fails_the_proof_on_direct_calls_and_global_legs() {
    let sb = Sandbox::start(fast()).await;
    let (snapshot, mut p) = plan_for(&sb, inputs(plan::CompanionMode::Accounts)).await;
    // The companion as ctmigrate wrote it before issue 14: the account
    // exception alone, and global closed only for `global.` profile ARNs.
    let allowed = serde_json::to_string(&p.decisions.allowed_regions).unwrap();
    p.companion.content = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"CtmigrateBedrockPermittedAccountsOnly","Effect":"Deny","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"*","Condition":{{"StringNotEquals":{{"aws:RequestedRegion":{allowed},"aws:PrincipalAccount":["666666666667"]}}}}}},{{"Sid":"CtmigrateBedrockNoGlobalProfiles","Effect":"Deny","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"*","Condition":{{"StringEquals":{{"aws:RequestedRegion":"unspecified"}},"ArnLike":{{"bedrock:InferenceProfileArn":"arn:aws:bedrock:*:*:inference-profile/global.*"}}}}}}]}}"#
    );
    let m = plan::proof::matrix(&snapshot, &p).unwrap();
    let fenced = m
        .summary
        .properties
        .iter()
        .find(|x| x.id == "bedrock-fenced")
        .unwrap();
    assert!(!fenced.passed, "{fenced:?}");
    let says = |what: &str| {
        fenced
            .failures
            .iter()
            .any(|f| f.contains("666666666667") && f.contains(what) && f.ends_with(": Allow"))
    };
    assert!(
        says("bedrock:InvokeModel direct / "),
        "{:?}",
        fenced.failures
    );
    // (The failures list is capped; the matrix has every cell.)
    let allowed = &p.decisions.allowed_regions;
    for probe in [
        "bedrock:InvokeModel direct",
        "via an application profile of a global profile",
    ] {
        let cells = outside(&m, "666666666667", probe, allowed);
        assert!(
            cells.contains(&b'A'),
            "{probe} got through: {}",
            String::from_utf8_lossy(&cells)
        );
    }
    assert!(
        fenced.description.contains(
            "a direct call to a model (no inference profile) is denied for every account"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_would_open_a_window_fails_the_proof() {
    let sb = Sandbox::start(fast()).await;
    let (snapshot, mut p) = plan_for(&sb, inputs(plan::CompanionMode::Strict)).await;
    // Drop the PV.1 enablement for Sandbox: after the console step it has no region deny.
    for stage in p.stages.iter_mut() {
        stage
            .steps
            .retain(|s| s.id != "enable-pv1:ou-sb01-sandbox0");
    }
    let m = plan::proof::matrix(&snapshot, &p).unwrap();
    let window = m
        .summary
        .properties
        .iter()
        .find(|x| x.id == "no-window")
        .unwrap();
    assert!(!window.passed);
    assert!(
        window.failures[0].starts_with(
            "after console / Sandbox / sandbox-alice (444444444444) / ec2:RunInstances / "
        ),
        "{:?}",
        window.failures
    );
    assert!(window.failures[0].ends_with(": Allow"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companion_that_lets_too_much_through_fails_the_proof() {
    let sb = Sandbox::start(fast()).await;
    let (snapshot, mut p) = plan_for(&sb, inputs(plan::CompanionMode::Strict)).await;
    // A companion that denies nothing: every account could run inference anywhere.
    p.companion.content = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:ListFoundationModels","Resource":"*"}]}"#.into();
    let m = plan::proof::matrix(&snapshot, &p).unwrap();
    let fenced = m
        .summary
        .properties
        .iter()
        .find(|x| x.id == "bedrock-fenced")
        .unwrap();
    assert!(!fenced.passed);
    assert!(
        fenced.failures[0].starts_with("after final / "),
        "{:?}",
        fenced.failures
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_pv1_that_keeps_bedrock_out_makes_the_plan_not_applyable() {
    let dir = tempfile::tempdir().unwrap();
    let sb_dir = dir.path().join(".ctmigrate").join("sandbox");
    sandbox::reset(&sb_dir, "default", fast()).unwrap();
    let running = sandbox::start(&sb_dir, 0, FaultSpec::default())
        .await
        .unwrap();
    let ct = connect(&running.endpoint_url(), HOME, ADMIN_KEY, 0)
        .await
        .control_tower(HOME);
    let params = vec![ControlParameter {
        key: "AllowedRegions".into(),
        value: json!(["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"]),
    }];
    let (op, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-dev00000"),
            &params,
            &Default::default(),
        )
        .await
        .unwrap();
    let ct2 = &ct;
    let op = op.as_str();
    assert!(
        eventually(Duration::from_secs(10), || async move {
            ct2.get_control_operation(op).await.unwrap().status
                == ctmigrate::model::OperationStatus::Succeeded
        })
        .await
    );
    running.stop().await;

    let Ran {
        stdout: out,
        stderr: err,
        ..
    } = run(ctmigrate(dir.path())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .args([
            "plan",
            "--sandbox",
            "--inference-profile",
            "us",
            "--permitted-account",
            "666666666667",
        ]))
    .expect_exit(1);
    assert!(err.contains("the proof fails (profiles-work)"), "{err}");
    assert!(
        err.contains(
            "Workloads/Dev / dev-genai (666666666667, permitted) / bedrock:InvokeModel via us."
        ),
        "{err}"
    );
    assert!(
        err.contains("PV.1 on the nested OU Workloads/Dev does not exempt Bedrock inference")
            || out.contains("Workloads/Dev"),
        "{err}"
    );
}

#[test]
fn simulate_prints_the_matrix_and_refuses_a_tampered_plan() {
    let dir = tempfile::tempdir().unwrap();
    run(ctmigrate(dir.path())
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .args([
            "plan",
            "--sandbox",
            "--inference-profile",
            "us",
            "--permitted-account",
            "666666666667",
        ]))
    .expect_success();
    let Ran { stdout: out, .. } = run(ctmigrate(dir.path()).args([
        "simulate",
        "--sandbox",
        "--plan",
        "plans/migration.plan.json",
    ]))
    .expect_success();
    assert!(
        out.contains("Workloads/Dev · dev-genai (666666666667, permitted)"),
        "{out}"
    );
    assert!(out.contains("changed: us-east-2, us-west-2"), "{out}");
    assert!(out.contains("holds  no-window"), "{out}");
    assert!(!out.contains('\u{1b}'));
    let Ran {
        stdout: json_out, ..
    } = run(ctmigrate(dir.path()).args([
        "simulate",
        "--sandbox",
        "--plan",
        "plans/migration.plan.json",
        "--format",
        "json",
    ]))
    .expect_success();
    let v: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v["states"][0], "before");
    assert_eq!(v["summary"]["passed"], true);

    let path = dir.path().join("plans/migration.plan.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"us-east-1\"", "\"us-west-1\"");
    std::fs::write(&path, text).unwrap();
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path()).args([
        "simulate",
        "--sandbox",
        "--plan",
        "plans/migration.plan.json",
    ]))
    .expect_exit(65);
    assert!(err.contains("does not match its checksum"), "{err}");
}
