//! Decisions per second on the proof matrix of a 2,000-OU, 10,000-account
//! organization (docs/performance.md). Target: the full matrix in under 2 s
//! on one core.
//!
//! `cargo bench --bench proof_matrix`

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ctmigrate::model::*;
use ctmigrate::plan::{self, CompanionMode, PlanInputs, PlanRequest, pv1};
use ctmigrate::snapshot::*;
use serde_json::json;

const FIRST_TIER: usize = 20;
const NESTED_PER_FIRST_TIER: usize = 99;
const ACCOUNTS_PER_OU: usize = 5;
const GOVERNED: [&str; 4] = ["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"];

fn policy(id: &str, name: &str, content: String) -> Policy {
    Policy {
        summary: PolicySummary {
            id: id.into(),
            arn: format!(
                "arn:aws:organizations::100000000000:policy/o-bench/service_control_policy/{id}"
            ),
            name: name.into(),
            description: String::new(),
            aws_managed: name == "FullAWSAccess",
        },
        content,
    }
}

fn guardrail(with_region_deny: bool) -> String {
    let mut statements = vec![
        json!({"Sid": "GRCLOUDTRAILENABLED", "Effect": "Deny", "Action": ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging"],
        "Resource": "arn:aws:cloudtrail:*:*:trail/aws-controltower-*", "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/AWSControlTowerExecution"}}}),
    ];
    if with_region_deny {
        statements.push(json!({"Sid": "GRREGIONDENY", "Effect": "Deny", "NotAction": pv1::default_not_actions(), "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": GOVERNED}, "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSControlTowerExecution"]}}}));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn org() -> (Snapshot, ctmigrate::snapshot::ProfilesByRegion, Vec<String>) {
    let full = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
    let mut policies = BTreeMap::new();
    policies.insert(
        "p-FullAWSAccess".to_string(),
        policy("p-FullAWSAccess", "FullAWSAccess", full),
    );
    let mut ous = Vec::new();
    let mut accounts = Vec::new();
    let mut baselines = Vec::new();
    let mut controls = Vec::new();
    let mut permitted = Vec::new();
    let mut next_account = 200_000_000_000u64;
    let ou_arn = |id: &str| format!("arn:aws:organizations::100000000000:ou/o-bench/{id}");
    let mut add_accounts = |ou: &str, accounts: &mut Vec<AccountNode>| {
        for _ in 0..ACCOUNTS_PER_OU {
            next_account += 1;
            accounts.push(AccountNode {
                id: next_account.to_string(),
                arn: String::new(),
                name: format!("acct-{next_account}"),
                email: String::new(),
                status: "ACTIVE".into(),
                parent_id: ou.into(),
                policies: vec!["p-FullAWSAccess".into()],
            });
        }
    };
    for f in 0..FIRST_TIER {
        let id = format!("ou-bnch-{f:08}");
        let (a, b) = (format!("p-gra{f:05}"), format!("p-grb{f:05}"));
        policies.insert(
            a.clone(),
            policy(&a, &format!("aws-guardrails-A{f:05}"), guardrail(true)),
        );
        policies.insert(
            b.clone(),
            policy(&b, &format!("aws-guardrails-B{f:05}"), guardrail(false)),
        );
        ous.push(OuNode {
            id: id.clone(),
            arn: ou_arn(&id),
            name: format!("OU{f:02}"),
            parent_id: "r-bnch".into(),
            depth: 1,
            path: format!("OU{f:02}"),
            registered: true,
            policies: vec!["p-FullAWSAccess".into(), a, b],
        });
        baselines.push(EnabledBaseline {
            arn: format!("eb-{id}"),
            baseline_identifier: format!(
                "arn:aws:controltower:ap-northeast-1::baseline/{CONTROL_TOWER_BASELINE_ID}"
            ),
            baseline_version: None,
            target: ou_arn(&id),
            parent: None,
        });
        controls.push(EnabledControl {
            arn: format!("ec-{id}"),
            control_identifier: "arn:aws:controltower:ap-northeast-1::control/AWS-GR_REGION_DENY"
                .into(),
            target: ou_arn(&id),
            status: "SUCCEEDED".into(),
            drift_status: None,
            parent: None,
            last_operation: None,
            parameters: Vec::new(),
        });
        add_accounts(&id, &mut accounts);
        for n in 0..NESTED_PER_FIRST_TIER {
            let nid = format!("ou-bnch-n{f:02}{n:05}");
            let g = format!("p-grn{f:02}{n:04}");
            policies.insert(
                g.clone(),
                policy(
                    &g,
                    &format!("aws-guardrails-N{f:02}{n:04}"),
                    guardrail(false),
                ),
            );
            ous.push(OuNode {
                id: nid.clone(),
                arn: ou_arn(&nid),
                name: format!("N{n:03}"),
                parent_id: id.clone(),
                depth: 2,
                path: format!("OU{f:02}/N{n:03}"),
                registered: true,
                policies: vec!["p-FullAWSAccess".into(), g],
            });
            baselines.push(EnabledBaseline {
                arn: format!("eb-{nid}"),
                baseline_identifier: format!(
                    "arn:aws:controltower:ap-northeast-1::baseline/{CONTROL_TOWER_BASELINE_ID}"
                ),
                baseline_version: None,
                target: ou_arn(&nid),
                parent: Some(format!("eb-{id}")),
            });
            add_accounts(&nid, &mut accounts);
            if n == 7 && f % 2 == 0 {
                permitted.push(accounts.last().map(|a| a.id.clone()).unwrap_or_default());
            }
        }
    }
    let snapshot = Snapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        caller: CallerIdentity {
            account: "100000000000".into(),
            arn: "arn:aws:sts::100000000000:assumed-role/Admin/bench".into(),
            user_id: "bench".into(),
        },
        organization: Organization {
            id: "o-bench".into(),
            arn: String::new(),
            management_account_id: "100000000000".into(),
            feature_set: "ALL".into(),
            scp_enabled: true,
        },
        root: Root {
            id: "r-bnch".into(),
            arn: String::new(),
            name: "Root".into(),
            scp_enabled: true,
        },
        root_policies: vec!["p-FullAWSAccess".into()],
        ous,
        accounts,
        policies,
        landing_zone: LandingZone {
            arn: "arn:aws:controltower:ap-northeast-1:100000000000:landingzone/BENCH".into(),
            home_region: "ap-northeast-1".into(),
            version: "3.3".into(),
            latest_available_version: None,
            status: "ACTIVE".into(),
            drift_status: None,
            governed_regions: GOVERNED.iter().map(|s| s.to_string()).collect(),
            manifest: json!({}),
        },
        landing_zone_operations: Vec::new(),
        baselines,
        enabled_controls: controls,
        control_operations_in_progress: Vec::new(),
        pv1: Pv1Identifiers {
            catalog_arn: PV1_CATALOG_FALLBACK.into(),
            regional_arn: format!("arn:aws:controltower:ap-northeast-1::control/{PV1_REGIONAL_ID}"),
            resolved_from: "built-in".into(),
        },
    };
    let us = |region: &str| {
        InferenceProfile {
        id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        arn: format!("arn:aws:bedrock:{region}:100000000000:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        name: "US Claude".into(),
        source_region: region.into(),
        model_arns: ["us-east-1", "us-east-2", "us-west-2"].iter().map(|r| format!("arn:aws:bedrock:{r}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0")).collect(),
        kind: "SYSTEM_DEFINED".into(),
        status: "ACTIVE".into(),
    }
    };
    let mut profiles = BTreeMap::new();
    for r in GOVERNED {
        profiles.insert(
            r.to_string(),
            Ok(if r == "us-east-1" {
                vec![us(r)]
            } else {
                Vec::new()
            }),
        );
    }
    (snapshot, profiles, permitted)
}

fn bench(c: &mut Criterion) {
    let (snapshot, profiles, permitted) = org();
    let started = std::time::Instant::now();
    let plan = plan::build(PlanRequest {
        snapshot: &snapshot,
        profiles: &profiles,
        bedrock_use: &Default::default(),
        inputs: PlanInputs {
            inference_profiles: vec!["us".into()],
            permitted_accounts: permitted,
            companion_mode: CompanionMode::Strict,
            ..PlanInputs::default()
        },
        name: "bench".into(),
        created_at: "2026-11-23T00:00:00Z".into(),
        tool_version: "bench".into(),
    })
    .expect("the synthetic organization plans");
    let proof = plan.proof.clone().expect("the plan has a proof");
    assert!(proof.passed, "{:?}", proof.properties);
    eprintln!(
        "organization: {} OUs, {} accounts; proof matrix: {} rows x {} probes x {} Regions x {} states = {} evaluations; whole plan built in {:.2?}",
        snapshot.ous.len(),
        snapshot.accounts.len(),
        proof.rows,
        proof.probes,
        proof.regions,
        proof.states.len(),
        proof.evaluations,
        started.elapsed()
    );
    let mut group = c.benchmark_group("proof");
    group.sample_size(10);
    group.throughput(Throughput::Elements(proof.evaluations as u64));
    group.bench_function("matrix_2000_ous_10000_accounts", |b| {
        b.iter(|| plan::proof::matrix(&snapshot, &plan).expect("matrix"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
