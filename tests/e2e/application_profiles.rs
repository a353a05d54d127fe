//! Application inference profiles: another actor creates one with the AWS
//! CLI, ctmigrate discovers it with the system profile it copies, approves
//! it by ARN, and the proof shows calls through application profiles
//! allowed exactly when approved, in every mode.

use ctmigrate::plan::{self, PlanInputs, PlanRequest};
use serde_json::Value;

use crate::common::*;

const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The AWS CLI creates an application profile in us-east-1 copied from `from`.
fn create(sb: &Sandbox, name: &str, from: &str) -> String {
    let out = aws_cli(&sb.running.endpoint_url(), "us-east-1", ADMIN_KEY)
        .args([
            "bedrock",
            "create-inference-profile",
            "--inference-profile-name",
            name,
            "--model-source",
            &format!("copyFrom=arn:aws:bedrock:us-east-1:111111111111:inference-profile/{from}"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["inferenceProfileArn"].as_str().unwrap().to_string()
}

async fn plan_with(
    sb: &Sandbox,
    inputs: PlanInputs,
) -> Result<(ctmigrate::snapshot::Snapshot, plan::Plan), ctmigrate::error::Error> {
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
        created_at: "2026-12-02T00:00:00Z".into(),
        tool_version: "test".into(),
    })?;
    Ok((snapshot, p))
}

fn inputs(mode: plan::CompanionMode, profiles: &[&str]) -> PlanInputs {
    PlanInputs {
        inference_profiles: profiles.iter().map(|s| s.to_string()).collect(),
        permitted_accounts: vec!["666666666667".into()],
        companion_mode: mode,
        ..PlanInputs::default()
    }
}

/// The final-state decisions of `probe` for `account` in us-east-2.
fn at_end(m: &plan::proof::Matrix, account: &str, probe: &str) -> u8 {
    let r = m.rows.iter().position(|r| r.account == account).unwrap();
    let p = m
        .probes
        .iter()
        .position(|x| x.label.contains(probe))
        .unwrap_or_else(|| panic!("no probe {probe}"));
    let g = m.regions.iter().position(|x| x == "us-east-2").unwrap();
    m.cells[m.states.len() - 1][r][p].as_bytes()[g]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_profile_is_discovered_approved_by_arn_and_allowed_exactly_when_approved() {
    let sb = Sandbox::start(fast()).await;
    let arn = create(&sb, "chat-app", SONNET);
    assert!(
        arn.starts_with("arn:aws:bedrock:us-east-1:111111111111:application-inference-profile/"),
        "{arn}"
    );

    // The AWS CLI reads it back as the API reference shapes it.
    let out = aws_cli(&sb.running.endpoint_url(), "us-east-1", ADMIN_KEY)
        .args([
            "bedrock",
            "list-inference-profiles",
            "--type-equals",
            "APPLICATION",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = &v["inferenceProfileSummaries"][0];
    assert_eq!(listed["type"], "APPLICATION");
    assert_eq!(listed["inferenceProfileArn"], arn.as_str());
    assert_eq!(listed["models"].as_array().unwrap().len(), 3);

    for mode in [
        plan::CompanionMode::Accounts,
        plan::CompanionMode::Profiles,
        plan::CompanionMode::Strict,
    ] {
        let (snapshot, p) = plan_with(&sb, inputs(mode, &[&arn])).await.unwrap();
        assert!(p.applyable, "{mode:?}: {:?}", p.errors);
        let a = &p.profiles[0];
        assert_eq!(a.id, arn);
        assert_eq!(a.copied_from.as_deref(), Some(SONNET));
        assert_eq!(a.source, "live");
        assert_eq!(
            a.destination_regions,
            ["us-east-1", "us-east-2", "us-west-2"]
        );
        assert_eq!(a.blocked_destinations, ["us-east-2", "us-west-2"]);
        if mode != plan::CompanionMode::Accounts {
            assert!(p.decisions.approved_profile_arns.contains(&arn));
        }
        let m = plan::proof::matrix(&snapshot, &p).unwrap();
        let approved = format!("via {arn}");
        let other_app = "via an unapproved application profile";
        // The permitted account may use the approved application profile.
        assert_eq!(at_end(&m, "666666666667", &approved), b'A', "{mode:?}");
        // Another account: only in profiles mode.
        let other = m
            .rows
            .iter()
            .find(|r| !r.permitted)
            .unwrap()
            .account
            .clone();
        assert_eq!(
            at_end(&m, &other, &approved),
            if mode == plan::CompanionMode::Profiles {
                b'A'
            } else {
                b'D'
            },
            "{mode:?}"
        );
        // An application profile nobody approved: only `accounts` lets a
        // permitted account through it, as that mode promises for any profile.
        assert_eq!(
            at_end(&m, "666666666667", other_app),
            if mode == plan::CompanionMode::Accounts {
                b'A'
            } else {
                b'D'
            },
            "{mode:?}"
        );
        assert_eq!(at_end(&m, &other, other_app), b'D');
        assert_eq!(
            at_end(&m, "666666666667", "bedrock:InvokeModel direct"),
            b'D'
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_profiles_ctmigrate_cannot_list_need_their_source_named() {
    let sb = Sandbox::start(fast()).await;
    let elsewhere =
        "arn:aws:bedrock:us-east-1:666666666667:application-inference-profile/devchat01";
    let e = plan_with(&sb, inputs(plan::CompanionMode::Strict, &[elsewhere]))
        .await
        .unwrap_err();
    assert!(e.message.contains("is not listed in us-east-1"), "{e:?}");
    let hint = e.hint.unwrap_or_default();
    assert!(
        hint.contains(&format!("--inference-profile '{elsewhere}={SONNET}'")),
        "{hint}"
    );

    let declared = format!("{elsewhere}={SONNET}");
    let (_, p) = plan_with(&sb, inputs(plan::CompanionMode::Strict, &[&declared]))
        .await
        .unwrap();
    assert!(p.applyable, "{:?}", p.errors);
    assert_eq!(p.profiles[0].source, "declared");
    assert_eq!(
        p.profiles[0].destination_regions,
        ["us-east-1", "us-east-2", "us-west-2"]
    );
    assert!(
        p.decisions
            .approved_profile_arns
            .iter()
            .any(|a| a == elsewhere)
    );

    // A source Bedrock does not offer there, or a Region that is not a source.
    let e = plan_with(
        &sb,
        inputs(
            plan::CompanionMode::Strict,
            &[&format!("{elsewhere}=us.nothing-v1:0")],
        ),
    )
    .await
    .unwrap_err();
    assert!(
        e.message
            .contains("is not a system profile offered in us-east-1"),
        "{e:?}"
    );
    let e = plan_with(
        &sb,
        inputs(
            plan::CompanionMode::Strict,
            &["arn:aws:bedrock:eu-west-1:666666666667:application-inference-profile/x1"],
        ),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("which is not a source Region"), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_profile_of_a_global_profile_needs_allow_global() {
    let sb = Sandbox::start(fast()).await;
    let arn = create(
        &sb,
        "global-chat",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
    let e = plan_with(&sb, inputs(plan::CompanionMode::Strict, &[&arn]))
        .await
        .unwrap_err();
    assert!(
        e.message.contains("is copied from the global profile"),
        "{e:?}"
    );
    let mut with = inputs(plan::CompanionMode::Strict, &[&arn]);
    with.allow_global = true;
    let (_, p) = plan_with(&sb, with).await.unwrap();
    assert!(p.applyable, "{:?}", p.errors);
    assert!(
        p.profiles[0]
            .destination_regions
            .iter()
            .any(|r| r == "unspecified")
    );
}
