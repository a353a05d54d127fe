//! The estates the pure core's unit tests run on, committed under
//! tests/fixtures/estates/: what discovery reads from the sandbox's
//! scenarios, two of them after another administrator's change (a drifted
//! landing-zone deny, a full OU). This test reads each estate again and
//! compares it with the committed file, so the fixtures cannot drift from
//! what ctmigrate really reads; `CTMIGRATE_UPDATE_EXAMPLES=1` rewrites them.

use std::path::PathBuf;

use ctmigrate::aws::{Apis, Organizations};
use ctmigrate::model::Tag;
use ctmigrate::snapshot::Estate;
use serde_json::Value;

use crate::common::*;

async fn read(sb: &Sandbox) -> Estate {
    let aws = sb.aws().await;
    let snapshot = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap();
    let regions = snapshot.landing_zone.governed_regions.clone();
    let profiles = ctmigrate::discover::inference_profiles(&aws, &regions).await;
    // Every member account too, through the role Control Tower creates there.
    let members: Vec<String> = snapshot
        .accounts
        .iter()
        .filter(|a| a.id != snapshot.organization.management_account_id)
        .map(|a| a.id.clone())
        .collect();
    let bedrock_use = ctmigrate::discover::bedrock_use(
        &aws,
        &regions,
        &snapshot.caller,
        &members,
        Some("AWSControlTowerExecution"),
    )
    .await;
    Estate {
        snapshot,
        profiles,
        bedrock_use,
    }
}

/// Another administrator removes GRREGIONDENY from the Sandbox OU's
/// guardrail SCP: the enabled control and the SCP now disagree.
async fn drift_the_deny(sb: &Sandbox) {
    let aws = sb.aws().await;
    let orgs = aws.organizations();
    for p in orgs
        .list_policies_for_target("ou-sb01-sandbox0")
        .await
        .unwrap()
    {
        let doc = orgs.describe_policy(&p.id).await.unwrap();
        let mut v: Value = serde_json::from_str(&doc.content).unwrap();
        let Some(list) = v["Statement"].as_array_mut() else {
            continue;
        };
        let before = list.len();
        list.retain(|st| st["Sid"] != "GRREGIONDENY");
        if list.len() != before {
            orgs.update_policy_content(&p.id, &v.to_string())
                .await
                .unwrap();
        }
    }
}

/// Another administrator fills the Workloads OU up to the 10 SCP quota.
async fn fill_an_ou(sb: &Sandbox) {
    let aws = sb.aws().await;
    let orgs = aws.organizations();
    let used = orgs
        .list_policies_for_target("ou-sb01-workload")
        .await
        .unwrap()
        .len();
    for i in used..10 {
        let content = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Extra{i}","Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}}]}}"#
        );
        let p = orgs
            .create_policy(
                &format!("workloads-extra-{i}"),
                "another team's SCP",
                &content,
                &[Tag {
                    key: "team".into(),
                    value: "network".into(),
                }],
            )
            .await
            .unwrap();
        orgs.attach_policy(&p.summary.id, "ou-sb01-workload")
            .await
            .unwrap();
    }
}

async fn estate(name: &str) -> Estate {
    let scenario = if name == "wide" { "wide" } else { "default" };
    let sb = Sandbox::start_with(scenario, fast(), Default::default()).await;
    match name {
        "drifted-deny" => drift_the_deny(&sb).await,
        "full-ou" => fill_an_ou(&sb).await,
        _ => {}
    }
    read(&sb).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_estate_fixtures_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/estates");
    for name in ["default", "wide", "drifted-deny", "full-ou"] {
        let now = estate(name).await;
        let path = dir.join(format!("{name}.json"));
        if std::env::var_os("CTMIGRATE_UPDATE_EXAMPLES").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
        }
        let committed: Estate = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_default(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{} is missing or unreadable ({e}): run `CTMIGRATE_UPDATE_EXAMPLES=1 cargo test --test e2e the_committed_estate_fixtures_are_current`",
                path.display()
            )
        });
        assert!(
            committed == now,
            "{} is out of date: run `CTMIGRATE_UPDATE_EXAMPLES=1 cargo test --test e2e the_committed_estate_fixtures_are_current` and review the diff",
            path.display()
        );
    }
}
