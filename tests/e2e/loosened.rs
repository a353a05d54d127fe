//! A landing-zone deny whose `NotAction` differs from PV.1's: the plan
//! names every action the console step would loosen and is not applyable
//! until each is accepted by name; a property test generates GRREGIONDENY
//! variants and checks that no plan that loosens a non-exempted action is
//! ever proven safe.

use std::collections::BTreeSet;

use ctmigrate::aws::{Apis, Organizations};
use ctmigrate::plan::{self, PlanInputs, PlanRequest};
use ctmigrate::policy::{self, Request};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::*;

const FIRST_TIER: [&str; 4] = [
    "ou-sb01-security",
    "ou-sb01-sandbox0",
    "ou-sb01-workload",
    "ou-sb01-infrastr",
];

/// Another administrator edits GRREGIONDENY on every registered first-tier
/// OU: `edit` rewrites its NotAction list.
async fn edit_grregiondeny(sb: &Sandbox, edit: impl Fn(&mut Vec<Value>)) {
    let aws = sb.aws().await;
    let orgs = aws.organizations();
    let mut edited = 0;
    for ou in FIRST_TIER {
        for p in orgs.list_policies_for_target(ou).await.unwrap() {
            let doc = orgs.describe_policy(&p.id).await.unwrap();
            let mut v: Value = serde_json::from_str(&doc.content).unwrap();
            let Some(st) = v["Statement"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|s| s["Sid"] == "GRREGIONDENY")
            else {
                continue;
            };
            edit(st["NotAction"].as_array_mut().unwrap());
            orgs.update_policy_content(&p.id, &v.to_string())
                .await
                .unwrap();
            edited += 1;
        }
    }
    assert!(edited > 0, "no GRREGIONDENY found");
}

fn without(list: &mut Vec<Value>, actions: &[&str]) {
    list.retain(|a| !actions.iter().any(|x| a == x));
}

async fn discover(
    sb: &Sandbox,
) -> (
    ctmigrate::snapshot::Snapshot,
    ctmigrate::snapshot::ProfilesByRegion,
) {
    let aws = sb.aws().await;
    let snapshot = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap();
    let profiles =
        ctmigrate::discover::inference_profiles(&aws, &snapshot.landing_zone.governed_regions)
            .await;
    (snapshot, profiles)
}

fn build(
    snapshot: &ctmigrate::snapshot::Snapshot,
    profiles: &ctmigrate::snapshot::ProfilesByRegion,
    inputs: PlanInputs,
) -> Result<plan::Plan, ctmigrate::plan::inputs::InputError> {
    plan::build(PlanRequest {
        snapshot,
        profiles,
        bedrock_use: &Default::default(),
        inputs,
        name: "t".into(),
        created_at: "2026-12-02T00:00:00Z".into(),
        tool_version: "test".into(),
    })
}

fn inputs(mode: plan::CompanionMode, accept: &[&str]) -> PlanInputs {
    PlanInputs {
        inference_profiles: vec!["us".into()],
        permitted_accounts: vec!["666666666667".into()],
        companion_mode: mode,
        accept_loosened: accept.iter().map(|s| s.to_string()).collect(),
        ..PlanInputs::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_grregiondeny_names_the_loosened_actions_and_needs_each_accepted() {
    let sb = Sandbox::start(fast()).await;
    edit_grregiondeny(&sb, |l| without(l, &["kms:*", "sts:*"])).await;
    let (snapshot, profiles) = discover(&sb).await;
    for mode in [
        plan::CompanionMode::Accounts,
        plan::CompanionMode::Profiles,
        plan::CompanionMode::Strict,
    ] {
        let p = build(&snapshot, &profiles, inputs(mode, &[])).unwrap();
        assert!(!p.applyable, "{mode:?}");
        let proof = p.proof.clone().unwrap();
        assert_eq!(proof.loosened_actions, ["kms:*", "sts:*"]);
        let no_window = &proof.properties[0];
        assert!(!no_window.passed);
        assert!(
            no_window.failures[0].contains("kms:CtmigrateProbe"),
            "{:?}",
            no_window.failures
        );
        let named = p
            .errors
            .iter()
            .find(|e| e.contains("--accept-loosened"))
            .unwrap_or_else(|| panic!("{:?}", p.errors));
        assert!(named.contains("`kms:*`, `sts:*`"), "{named}");
        assert!(named.contains("--accept-loosened 'kms:*' --accept-loosened 'sts:*'"));
        let md = plan::markdown(&p);
        assert!(md.contains("**Loosened beyond Bedrock**"), "{md}");
        assert!(md.contains("cannot be applied until each is accepted"));

        // One accepted, one not: still refused, naming only the other.
        let p = build(&snapshot, &profiles, inputs(mode, &["kms:*"])).unwrap();
        assert!(!p.applyable);
        assert!(
            p.errors
                .iter()
                .any(|e| e.contains("`sts:*`") && !e.contains("`kms:*`")),
            "{:?}",
            p.errors
        );

        // Both accepted: applyable, and the matrix shows what was accepted.
        let p = build(&snapshot, &profiles, inputs(mode, &["kms:*", "sts:*"])).unwrap();
        assert!(p.applyable, "{:?}", p.errors);
        let md = plan::markdown(&p);
        assert!(md.contains("Each was accepted by name"), "{md}");
        assert!(md.contains("other than the exempted actions and the loosened `kms:*`, `sts:*`"));
        let m = plan::proof::matrix(&snapshot, &p).unwrap();
        let probe = m
            .probes
            .iter()
            .position(|x| x.action == "kms:CtmigrateProbe")
            .unwrap();
        let col = m.regions.iter().position(|r| r == "sa-east-1").unwrap();
        let last = m.states.len() - 1;
        let row = m.rows.iter().position(|r| r.covered_today).unwrap();
        assert_eq!(m.cells[0][row][probe].as_bytes()[col], b'D');
        assert_eq!(m.cells[last][row][probe].as_bytes()[col], b'A');
    }

    // Accepting what is not loosened is a clear input error.
    let e = build(
        &snapshot,
        &profiles,
        inputs(plan::CompanionMode::Strict, &["ec2:*"]),
    )
    .unwrap_err();
    assert!(e.message.contains("`ec2:*` is not loosened"), "{e:?}");
    assert!(e.hint.contains("kms:*, sts:*"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wider_grregiondeny_is_probed_and_warned_about_but_stays_applyable() {
    let sb = Sandbox::start(fast()).await;
    edit_grregiondeny(&sb, |l| l.push("ssm:*".into())).await;
    let (snapshot, profiles) = discover(&sb).await;
    let p = build(
        &snapshot,
        &profiles,
        inputs(plan::CompanionMode::Strict, &[]),
    )
    .unwrap();
    assert!(p.applyable, "{:?}", p.errors);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("exempts `ssm:*`, which PV.1 does not")),
        "{:?}",
        p.warnings
    );
    let m = plan::proof::matrix(&snapshot, &p).unwrap();
    let probe = m
        .probes
        .iter()
        .position(|x| x.action == "ssm:CtmigrateProbe")
        .unwrap();
    let col = m.regions.iter().position(|r| r == "sa-east-1").unwrap();
    let row = m.rows.iter().position(|r| r.covered_today).unwrap();
    assert_eq!(m.cells[0][row][probe].as_bytes()[col], b'A');
    assert_eq!(
        m.cells[m.states.len() - 1][row][probe].as_bytes()[col],
        b'D'
    );
}

#[test]
fn the_cli_refuses_a_loosening_plan_until_each_action_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let sbdir = dir.path().join("sb");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = rt.block_on(async {
        ctmigrate::sandbox::reset(&sbdir, "default", fast()).unwrap();
        let running =
            ctmigrate::sandbox::start(&sbdir, 0, ctmigrate::sandbox::ServeOptions::default())
                .await
                .unwrap();
        let aws = connect(&running.endpoint_url(), HOME, ADMIN_KEY, 0).await;
        let orgs = aws.organizations();
        for p in orgs
            .list_policies_for_target("ou-sb01-sandbox0")
            .await
            .unwrap()
        {
            let doc = orgs.describe_policy(&p.id).await.unwrap();
            if doc.content.contains("GRREGIONDENY") {
                let edited = doc.content.replace("\"kms:*\",", "");
                assert_ne!(edited, doc.content);
                orgs.update_policy_content(&p.id, &edited).await.unwrap();
            }
        }
        running
    });
    let plan = |extra: &[&str]| {
        run(ctmigrate(dir.path())
            .args([
                "plan",
                "--sandbox",
                "--sandbox-dir",
                "sb",
                "--inference-profile",
                "us",
                "--permitted-account",
                "666666666667",
            ])
            .args(extra))
    };
    let Ran { stderr: err, .. } = plan(&[]).expect_exit(1);
    assert!(err.contains("PV.1 would allow `kms:*`"), "{err}");
    assert!(
        err.contains("the landing-zone deny on Sandbox denies today"),
        "{err}"
    );
    assert!(err.contains("--accept-loosened 'kms:*'"), "{err}");
    plan(&["--accept-loosened", "kms:*"]).expect_success();
    let md = std::fs::read_to_string(dir.path().join("plans/migration.plan.md")).unwrap();
    assert!(md.contains("**Loosened beyond Bedrock**"), "{md}");
    drop(sb);
}

/// Whether `statement` (a region deny) denies `action` in sa-east-1.
fn denies(statement: &Value, action: &str) -> bool {
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    let p = policy::parse_policy("oracle", &doc.to_string()).unwrap();
    let principal = "arn:aws:iam::444444444444:role/app";
    let req = Request::new(principal, "444444444444", action, "*", &[])
        .with("aws:RequestedRegion", "sa-east-1")
        .with("aws:PrincipalARN", principal);
    policy::evaluate_policy(&p, &req).0.is_some()
}

/// The concrete actions the oracle tries for each pattern: its wildcard
/// replaced by names the planner's own probes do not use first.
fn instances(pattern: &str) -> Vec<String> {
    ["Zz", "GetZz", "DescribeZz", "CreateKey", "AssumeRole"]
        .iter()
        .map(|n| {
            pattern
                .replacen('*', n, 1)
                .replace('*', "")
                .replace('?', "q")
        })
        .collect()
}

/// The seeded organization, read once for every generated case.
fn seeded() -> &'static (
    ctmigrate::snapshot::Snapshot,
    ctmigrate::snapshot::ProfilesByRegion,
) {
    static SEEDED: std::sync::OnceLock<(
        ctmigrate::snapshot::Snapshot,
        ctmigrate::snapshot::ProfilesByRegion,
    )> = std::sync::OnceLock::new();
    SEEDED.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let sb = Sandbox::start(fast()).await;
            discover(&sb).await
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_plan_that_loosens_a_non_exempted_action_is_proven(
        removed in proptest::collection::btree_set(0usize..87, 0..4),
        narrowed in proptest::collection::btree_set(0usize..87, 0..3),
        added in proptest::collection::btree_set(0usize..4, 0..2),
    ) {
        let (snapshot, profiles) = seeded();
        let mut snapshot = snapshot.clone();
        let default = plan::pv1::default_not_actions();
        // The variant, written into the snapshot as if read from AWS.
        let extra = ["ssm:*", "ec2:Describe*", "logs:*", "kms:Get*"];
        let mut variant: Vec<String> = Vec::new();
        for (i, a) in default.iter().enumerate() {
            if removed.contains(&i) {
                continue;
            }
            if narrowed.contains(&i) && a.ends_with(":*") {
                variant.push(a.replace(":*", ":Get*"));
            } else {
                variant.push(a.clone());
            }
        }
        variant.extend(added.iter().map(|i| extra[*i].to_string()));
        let mut live_statement = Value::Null;
        for p in snapshot.policies.values_mut() {
            let mut v: Value = serde_json::from_str(&p.content).unwrap();
            let Some(list) = v["Statement"].as_array_mut() else { continue };
            let Some(st) = list.iter_mut().find(|s| s["Sid"] == "GRREGIONDENY") else { continue };
            st["NotAction"] = serde_json::json!(variant);
            live_statement = st.clone();
            p.content = v.to_string();
        }
        prop_assert!(!live_statement.is_null());
        let pv1_statement = plan::pv1::statement(
            &["ap-northeast-1".to_string(), "us-east-1".to_string()],
            &plan::pv1::BEDROCK_INFERENCE_ACTIONS.map(String::from),
            &[],
        );

        // The oracle: every default pattern's instances, denied today and
        // allowed after (the evaluator on the two statements alone).
        let mut loosened: BTreeSet<String> = BTreeSet::new();
        for pattern in &default {
            for action in instances(pattern) {
                if denies(&live_statement, &action) && !denies(&pv1_statement, &action) {
                    loosened.insert(pattern.clone());
                }
            }
        }

        let p = build(&snapshot, profiles, inputs(plan::CompanionMode::Strict, &[])).unwrap();
        let proof = p.proof.clone().unwrap();
        if loosened.is_empty() {
            prop_assert!(p.applyable, "{:?}", p.errors);
        } else {
            prop_assert!(!p.applyable);
            prop_assert!(!proof.properties[0].passed);
            let reported: BTreeSet<String> = proof.loosened_actions.iter().cloned().collect();
            prop_assert!(loosened.is_subset(&reported), "oracle {loosened:?}, plan {reported:?}");
            // Accepting exactly what the plan names makes it applyable.
            let accept: Vec<&str> = proof.loosened_actions.iter().map(String::as_str).collect();
            let p = build(&snapshot, profiles, inputs(plan::CompanionMode::Strict, &accept)).unwrap();
            prop_assert!(p.applyable, "{:?}", p.errors);
        }
    }
}
