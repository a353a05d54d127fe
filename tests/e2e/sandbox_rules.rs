//! Every sandbox rule the tool's safety logic relies on, exercised through
//! the real aws-sdk adapters over HTTP on 127.0.0.1.

use std::time::Duration;

use ctmigrate::aws::{Apis, Bedrock, ControlTower, EnabledControlQuery, Organizations};
use ctmigrate::model::{ControlParameter, EnablementStatus, LandingZoneStatus, OperationStatus};
use ctmigrate::sandbox::{self, FaultSpec, Settings};
use serde_json::{Value, json};

use crate::common::*;

fn pv1_params(regions: &[&str], actions: &[&str]) -> Vec<ControlParameter> {
    vec![
        ControlParameter {
            key: "AllowedRegions".into(),
            value: json!(regions),
        },
        ControlParameter {
            key: "ExemptedActions".into(),
            value: json!(actions),
        },
    ]
}

async fn wait_op<C: ControlTower>(ct: &C, id: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let op = ct.get_control_operation(id).await.unwrap();
        if op.status != OperationStatus::InProgress || tokio::time::Instant::now() > deadline {
            return op.status.to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The statement with `sid` in the SCPs attached to `ou`, if any.
async fn statement_on<O: Organizations>(orgs: &O, ou: &str, sid: &str) -> Option<Value> {
    for p in orgs.list_policies_for_target(ou).await.unwrap() {
        let doc = orgs.describe_policy(&p.id).await.unwrap();
        let v: Value = serde_json::from_str(&doc.content).unwrap();
        for st in v["Statement"].as_array().unwrap() {
            if st["Sid"] == sid {
                return Some(st.clone());
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_operations_are_asynchronous_and_manage_the_pv1_statement() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws().await;
    let ct = aws.control_tower(HOME);
    let orgs = aws.organizations();
    let target = ou_arn("ou-sb01-sandbox0");

    let (op, arn) = ct
        .enable_control(
            PV1_CATALOG,
            &target,
            &pv1_params(&["ap-northeast-1", "us-east-1"], &["bedrock:InvokeModel"]),
            &Default::default(),
        )
        .await
        .unwrap();
    let arn = arn.expect("EnableControl returns the enabled control ARN");
    let first = ct.get_control_operation(&op).await.unwrap();
    assert_eq!(first.status, OperationStatus::InProgress);
    assert_eq!(first.kind, "ENABLE_CONTROL");
    assert_eq!(
        ct.get_enabled_control(&arn).await.unwrap().status,
        EnablementStatus::UnderChange
    );
    assert!(
        statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
            .await
            .is_none(),
        "no effect before completion"
    );

    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");
    let details = ct.get_enabled_control(&arn).await.unwrap();
    assert_eq!(details.status, EnablementStatus::Succeeded);
    assert_eq!(
        details.parameters[0].value,
        json!(["ap-northeast-1", "us-east-1"])
    );
    let st = statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
        .await
        .expect("PV.1 statement written");
    assert_eq!(
        st["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
        json!(["ap-northeast-1", "us-east-1"])
    );
    assert_eq!(st["NotAction"][0], "bedrock:InvokeModel");
    assert_eq!(st["NotAction"][1], "a4b:*");
    let principals = st["Condition"]["ArnNotLike"]["aws:PrincipalARN"]
        .as_array()
        .unwrap();
    assert!(principals.contains(&json!("arn:*:iam::*:role/AWSControlTowerExecution")));

    // Enabling it again fails, in the other identifier form too.
    let regional = format!("arn:aws:controltower:{HOME}::control/TKFQGXOBPOPS");
    let again = ct
        .enable_control(
            &regional,
            &target,
            &pv1_params(&["us-east-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(again.is("ValidationException"), "{again}");
    assert!(again.to_string().contains("already enabled"), "{again}");

    // UpdateEnabledControl must change the parameters.
    let same = ct
        .update_enabled_control(
            &arn,
            &pv1_params(&["ap-northeast-1", "us-east-1"], &["bedrock:InvokeModel"]),
        )
        .await
        .unwrap_err();
    assert!(same.is("ValidationException"), "{same}");
    let op = ct
        .update_enabled_control(
            &arn,
            &pv1_params(&["ap-northeast-1"], &["bedrock:InvokeModel"]),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");
    let st = statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
        .await
        .unwrap();
    assert_eq!(
        st["Condition"]["StringNotEquals"]["aws:RequestedRegion"],
        json!(["ap-northeast-1"])
    );

    // Disabling removes the statement and the enabled control.
    let op = ct.disable_control(&arn).await.unwrap();
    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");
    assert!(
        statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
            .await
            .is_none()
    );
    let left = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&target),
            control: Some(PV1_CATALOG),
            include_children: false,
        })
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pv1_requires_allowed_regions_and_well_formed_parameters() {
    let sb = Sandbox::start(fast()).await;
    let ct = sb.aws().await.control_tower(HOME);
    let target = ou_arn("ou-sb01-security");
    let missing = ct
        .enable_control(
            PV1_CATALOG,
            &target,
            &[ControlParameter {
                key: "ExemptedActions".into(),
                value: json!(["bedrock:*"]),
            }],
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(missing.is("ValidationException"));
    assert!(
        missing
            .to_string()
            .contains("Parameter AllowedRegions is required."),
        "{missing}"
    );
    let joined = ct
        .enable_control(
            PV1_CATALOG,
            &target,
            &[ControlParameter {
                key: "AllowedRegions".into(),
                value: json!("us-east-1,eu-west-2"),
            }],
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(
        joined.to_string().contains("JSON array of strings"),
        "{joined}"
    );
    let unregistered = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-experim0"),
            &pv1_params(&["us-east-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(
        unregistered.to_string().contains("not registered"),
        "{unregistered}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_zone_region_deny_cannot_be_changed_through_the_api() {
    let sb = Sandbox::start(fast()).await;
    let ct = sb.aws().await.control_tower(HOME);
    let target = ou_arn("ou-sb01-workload");
    let id = format!("arn:aws:controltower:{HOME}::control/AWS-GR_REGION_DENY");
    let e = ct
        .enable_control(&id, &target, &[], &Default::default())
        .await
        .unwrap_err();
    assert!(e.is("ValidationException"));
    assert!(
        e.to_string()
            .contains("can only be enabled through the landing zone settings"),
        "{e}"
    );
    let enabled = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&target),
            control: Some(&id),
            include_children: false,
        })
        .await
        .unwrap();
    assert_eq!(
        enabled.len(),
        1,
        "the landing zone's own enablement is listed"
    );
    let e = ct.disable_control(&enabled[0].arn).await.unwrap_err();
    assert!(e.to_string().contains("landing zone settings"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_ten_control_operations_run_at_once() {
    let sb = Sandbox::start(Settings {
        control_op_delay_ms: 60_000,
        ..fast()
    })
    .await;
    let ct = sb.aws().await.control_tower(HOME);
    let mut started = 0;
    for ou in REGISTERED_OUS {
        ct.enable_control(
            PV1_CATALOG,
            &ou_arn(ou),
            &pv1_params(&["us-east-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
        started += 1;
    }
    for ou in &REGISTERED_OUS[..4] {
        ct.enable_control(ROOT_KEYS_CONTROL, &ou_arn(ou), &[], &Default::default())
            .await
            .unwrap();
        started += 1;
    }
    assert_eq!(started, 10);
    let e = ct
        .enable_control(
            ROOT_KEYS_CONTROL,
            &ou_arn(REGISTERED_OUS[4]),
            &[],
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(e.is("ServiceQuotaExceededException"), "{e}");
    assert!(e.to_string().contains("HTTP 402"), "{e}");
    assert!(
        e.to_string()
            .contains("The limit is 10 concurrent operations"),
        "{e}"
    );
    let in_progress = ct
        .list_control_operations(Some(OperationStatus::InProgress))
        .await
        .unwrap();
    assert_eq!(in_progress.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_enforces_scp_quotas_and_document_rules() {
    let sb = Sandbox::start(Settings {
        scp_attachment_limit: 4,
        ..fast()
    })
    .await;
    let orgs = sb.aws().await.organizations();
    let small = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    let p = orgs
        .create_policy("ctmigrate-test", "test", small, &[])
        .await
        .unwrap();

    let full = orgs
        .attach_policy(&p.summary.id, "ou-sb01-workload")
        .await
        .unwrap_err();
    assert!(full.is("ConstraintViolationException"), "{full}");
    assert!(
        full.to_string()
            .contains("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"),
        "{full}"
    );
    orgs.attach_policy(&p.summary.id, "ou-sb01-sandbox0")
        .await
        .unwrap();
    let twice = orgs
        .attach_policy(&p.summary.id, "ou-sb01-sandbox0")
        .await
        .unwrap_err();
    assert!(twice.is("DuplicatePolicyAttachmentException"), "{twice}");

    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Sid":"{}"}}]}}"#,
        "A".repeat(10_240)
    );
    let too_big = orgs
        .create_policy("too-big", "", &big, &[])
        .await
        .unwrap_err();
    assert!(
        too_big
            .to_string()
            .contains("POLICY_CONTENT_LIMIT_EXCEEDED"),
        "{too_big}"
    );
    let dup = orgs
        .create_policy("ctmigrate-test", "", small, &[])
        .await
        .unwrap_err();
    assert!(dup.is("DuplicatePolicyException"), "{dup}");
    let malformed = orgs
        .create_policy("bad", "", "{not json", &[])
        .await
        .unwrap_err();
    assert!(
        malformed.is("MalformedPolicyDocumentException"),
        "{malformed}"
    );
    let both = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#;
    assert!(
        orgs.create_policy("both", "", both, &[])
            .await
            .unwrap_err()
            .is("MalformedPolicyDocumentException")
    );

    let last = orgs
        .detach_policy("p-FullAWSAccess", "444444444444")
        .await
        .unwrap_err();
    assert!(
        last.to_string()
            .contains("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"),
        "{last}"
    );
    let in_use = orgs.delete_policy(&p.summary.id).await.unwrap_err();
    assert!(in_use.is("PolicyInUseException"), "{in_use}");
    orgs.detach_policy(&p.summary.id, "ou-sb01-sandbox0")
        .await
        .unwrap();
    orgs.delete_policy(&p.summary.id).await.unwrap();
    assert!(
        orgs.describe_policy(&p.summary.id)
            .await
            .unwrap_err()
            .is("PolicyNotFoundException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_tower_refuses_requests_signed_for_another_region() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws_as("us-east-1", ADMIN_KEY, 0).await;
    let wrong = aws.control_tower("us-east-1");
    assert!(
        wrong.list_landing_zones().await.unwrap().is_empty(),
        "no landing zone outside the home Region"
    );
    let lz = format!("arn:aws:controltower:{HOME}:111111111111:landingzone/1A2B3C4D5E6F7G8H");
    let e = wrong.get_landing_zone(&lz).await.unwrap_err();
    assert!(e.is("AccessDeniedException"), "{e}");
    let e = wrong.list_enabled_baselines(true).await.unwrap_err();
    assert!(e.is("AccessDeniedException"), "{e}");
    // The same call signed for the home Region works.
    let right = aws.control_tower(HOME);
    assert_eq!(right.get_landing_zone(&lz).await.unwrap().home_region, HOME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paginated_and_the_adapters_follow_every_token() {
    let sb = Sandbox::start(Settings {
        page_size: 2,
        ..fast()
    })
    .await;
    let aws = sb.aws().await;
    let orgs = aws.organizations();
    let first_tier = orgs.list_organizational_units("r-sb01").await.unwrap();
    assert_eq!(first_tier.len(), 5, "{first_tier:?}");
    let accounts = orgs
        .list_accounts_for_parent("ou-sb01-prod0000")
        .await
        .unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(orgs.list_policies().await.unwrap().len(), 14);
    let ct = aws.control_tower(HOME);
    assert_eq!(ct.list_enabled_baselines(true).await.unwrap().len(), 6);
    assert_eq!(
        ct.list_enabled_baselines(false).await.unwrap().len(),
        4,
        "children only with includeChildren"
    );
    let controls = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&ou_arn("ou-sb01-security")),
            control: None,
            include_children: false,
        })
        .await
        .unwrap();
    assert_eq!(controls.len(), 4);
    let profiles = aws.bedrock(HOME).list_inference_profiles().await.unwrap();
    let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
    assert!(
        ids.contains(&"jp.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "{ids:?}"
    );
    assert!(
        !ids.iter()
            .any(|i| i.starts_with("us.") || i.starts_with("eu.")),
        "{ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inference_profiles_name_their_destination_regions() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws().await;
    let regions = vec![
        HOME.to_string(),
        "us-east-1".to_string(),
        "eu-west-2".to_string(),
    ];
    let by_region = ctmigrate::discover::inference_profiles(&aws, &regions).await;
    let tokyo = by_region[HOME].as_ref().unwrap();
    let jp = tokyo
        .iter()
        .find(|p| p.id.starts_with("jp.anthropic"))
        .unwrap();
    assert_eq!(
        jp.model_arns,
        vec![
            "arn:aws:bedrock:ap-northeast-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:ap-northeast-3::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
        ]
    );
    assert!(
        jp.arn
            .starts_with("arn:aws:bedrock:ap-northeast-1:111111111111:inference-profile/jp.")
    );
    let apac = tokyo.iter().find(|p| p.id.starts_with("apac.")).unwrap();
    assert!(
        apac.model_arns.iter().any(|a| a.contains(":me-central-1:")),
        "APAC includes the UAE"
    );
    let global = tokyo.iter().find(|p| p.id.starts_with("global.")).unwrap();
    assert_eq!(
        global.model_arns,
        vec!["arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"]
    );
    let virginia = by_region["us-east-1"].as_ref().unwrap();
    assert!(virginia.iter().any(|p| p.id.starts_with("us.")));
    let london = by_region["eu-west-2"].as_ref().unwrap();
    assert!(
        london
            .iter()
            .all(|p| p.id.starts_with("eu.") || p.id.starts_with("global."))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let sb = Sandbox::start(fast()).await;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    let created = sb
        .aws()
        .await
        .organizations()
        .create_policy("survivor", "kept", doc, &[])
        .await
        .unwrap();
    let Sandbox { dir, running } = sb;
    running.stop().await;
    let again = sandbox::start(dir.path(), 0, FaultSpec::default())
        .await
        .unwrap();
    let aws = connect(&again.endpoint_url(), HOME, ADMIN_KEY, 0).await;
    let read = aws
        .organizations()
        .describe_policy(&created.summary.id)
        .await
        .unwrap();
    assert_eq!(read.content, doc);
    assert_eq!(read.summary.name, "survivor");
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_directory_share_state_without_corruption() {
    let sb = Sandbox::start(fast()).await;
    let second = sandbox::start(sb.path(), 0, FaultSpec::default())
        .await
        .unwrap();
    let a = sb.aws().await.organizations();
    let b = connect(&second.endpoint_url(), HOME, ADMIN_KEY, 0)
        .await
        .organizations();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (a, b) = (&a, &b);
        tasks.push(async move {
            let x = a
                .create_policy(&format!("a-{i}"), "", doc, &[])
                .await
                .unwrap();
            let y = b
                .create_policy(&format!("b-{i}"), "", doc, &[])
                .await
                .unwrap();
            (x.summary.id, y.summary.id)
        });
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (x, y) = t.await;
        ids.push(x);
        ids.push(y);
    }
    let all = a.list_policies().await.unwrap();
    for id in &ids {
        assert!(all.iter().any(|p| &p.id == id), "{id} missing");
    }
    assert_eq!(all.len(), 14 + 16);
    let state: Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("state.json")).unwrap()).unwrap();
    assert_eq!(state["policies"].as_object().unwrap().len(), 30);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_injected_and_the_sdk_retries_transient_ones() {
    let spec = FaultSpec::parse("throttle=1,ops=ListRoots,retry-after=0").unwrap();
    let sb = Sandbox::start_with("default", fast(), spec).await;
    let aws = sb.aws_as(HOME, ADMIN_KEY, 2).await;
    let e = aws.organizations().list_roots().await.unwrap_err();
    assert!(e.is("TooManyRequestsException"), "{e}");
    assert!(
        aws.organizations().describe_organization().await.is_ok(),
        "other operations unaffected"
    );

    let spec = FaultSpec::parse("5xx=1,ops=ListRoots").unwrap();
    let sb = Sandbox::start_with("default", fast(), spec).await;
    let e = sb
        .aws_as(HOME, ADMIN_KEY, 1)
        .await
        .organizations()
        .list_roots()
        .await
        .unwrap_err();
    assert!(e.is("ServiceException"), "{e}");

    let spec = FaultSpec::parse("reset=1,ops=GetCallerIdentity").unwrap();
    let sb = Sandbox::start_with("default", fast(), spec).await;
    let aws = sb.aws_as(HOME, ADMIN_KEY, 1).await;
    let err = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap_err();
    assert_eq!(err.exit(), ctmigrate::error::Exit::Unavailable, "{err:?}");

    // Half the requests throttled: the SDK's retries get every call through.
    let spec = FaultSpec::parse("throttle=0.5,retry-after=0,seed=11").unwrap();
    let sb = Sandbox::start_with("default", fast(), spec).await;
    let aws = sb.aws_as(HOME, ADMIN_KEY, 10).await;
    let snap = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap();
    assert_eq!(snap.ous.len(), 7);

    let spec = FaultSpec::parse("fail-ops=1").unwrap();
    let sb = Sandbox::start_with("default", fast(), spec).await;
    let ct = sb.aws().await.control_tower(HOME);
    let (op, arn) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-sandbox0"),
            &pv1_params(&["us-east-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "FAILED");
    assert!(
        ct.get_control_operation(&op)
            .await
            .unwrap()
            .message
            .unwrap_or_default()
            .contains("failed")
    );
    assert_eq!(
        ct.get_enabled_control(&arn.unwrap()).await.unwrap().status,
        EnablementStatus::Failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_step_turns_the_region_deny_off_and_the_timeline_records_coverage() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws().await;
    let ct = aws.control_tower(HOME);
    let orgs = aws.organizations();
    let lz_arn = format!("arn:aws:controltower:{HOME}:111111111111:landingzone/1A2B3C4D5E6F7G8H");

    // PV.1 on Security first: that OU stays covered through the change.
    let (op, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-security"),
            &pv1_params(&["ap-northeast-1"], &["bedrock:InvokeModel"]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");

    let receipt = sandbox::console_region_deny(sb.path(), false).unwrap();
    assert_eq!(
        ct.get_landing_zone(&lz_arn).await.unwrap().status,
        LandingZoneStatus::Processing
    );
    let busy = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-sandbox0"),
            &pv1_params(&["us-east-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(busy.is("ConflictException"), "{busy}");
    let again = sandbox::console_region_deny(sb.path(), false).unwrap_err();
    assert!(again.to_string().contains("PROCESSING"), "{again}");

    let (ct2, lz2) = (&ct, lz_arn.as_str());
    assert!(
        eventually(Duration::from_secs(10), || async move {
            ct2.get_landing_zone(lz2).await.unwrap().status == LandingZoneStatus::Active
        })
        .await
    );
    for ou in [
        "ou-sb01-security",
        "ou-sb01-sandbox0",
        "ou-sb01-workload",
        "ou-sb01-infrastr",
    ] {
        assert!(
            statement_on(&orgs, ou, "GRREGIONDENY").await.is_none(),
            "{ou}"
        );
    }
    let deny_id = format!("arn:aws:controltower:{HOME}::control/AWS-GR_REGION_DENY");
    let listed = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&ou_arn("ou-sb01-workload")),
            control: Some(&deny_id),
            include_children: false,
        })
        .await
        .unwrap();
    assert!(listed.is_empty());
    let ops = ct.list_landing_zone_operations().await.unwrap();
    let update = ops.iter().find(|o| o.id == receipt.operation_id).unwrap();
    assert_eq!(
        (update.kind.as_str(), &update.status),
        ("UPDATE", &OperationStatus::Succeeded)
    );

    let timeline = sandbox::timeline(sb.path()).unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last.event, "LandingZoneOperationSucceeded");
    assert_eq!(
        last.uncovered,
        vec!["Infrastructure", "Sandbox", "Workloads"]
    );
    let security = last
        .coverage
        .iter()
        .find(|c| c.ou_name == "Security")
        .unwrap();
    assert_eq!(security.region_denies, vec!["CTMULTISERVICEPV1"]);
    assert!(
        timeline
            .iter()
            .take(timeline.len() - 1)
            .all(|e| e.uncovered.is_empty()),
        "covered until the console step finished"
    );
    let seqs: Vec<u64> = timeline.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    // And back on.
    sandbox::console_region_deny(sb.path(), true).unwrap();
    assert!(
        sandbox::wait_for_landing_zone(sb.path(), Duration::from_secs(10))
            .await
            .unwrap()
    );
    assert!(
        statement_on(&orgs, "ou-sb01-workload", "GRREGIONDENY")
            .await
            .is_some()
    );
    assert!(
        sandbox::timeline(sb.path())
            .unwrap()
            .last()
            .unwrap()
            .uncovered
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_refuses_a_member_account() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws_as(HOME, MEMBER_KEY, 0).await;
    let err = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap_err();
    assert_eq!(err.exit(), ctmigrate::error::Exit::Permission);
    assert!(
        err.message
            .contains("account 555555555555 is a member account of o-ctm1gr8sbx"),
        "{}",
        err.message
    );
    assert!(err.hint.unwrap().contains("111111111111"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pv1_needs_a_free_scp_slot_when_no_guardrail_scp_has_room() {
    // Guardrail SCPs too small to take the PV.1 statement: Control Tower must
    // attach a new aws-guardrails SCP, which needs a free slot.
    let tight = Settings {
        scp_size_limit: 2_800,
        scp_attachment_limit: 3,
        ..fast()
    };
    let sb = Sandbox::start(tight).await;
    let aws = sb.aws().await;
    let ct = aws.control_tower(HOME);
    let orgs = aws.organizations();
    assert_eq!(
        orgs.list_policies_for_target("ou-sb01-sandbox0")
            .await
            .unwrap()
            .len(),
        3
    );
    let (op, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-sandbox0"),
            &pv1_params(&["ap-northeast-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "FAILED");
    let message = ct
        .get_control_operation(&op)
        .await
        .unwrap()
        .message
        .unwrap();
    assert!(
        message.contains("the OU has maximum number of SCPs"),
        "{message}"
    );
    assert!(
        statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
            .await
            .is_none()
    );

    // With a free slot the same enablement lands in a new guardrail SCP.
    let roomy = Settings {
        scp_size_limit: 2_800,
        scp_attachment_limit: 4,
        ..fast()
    };
    let sb = Sandbox::start(roomy).await;
    let aws = sb.aws().await;
    let ct = aws.control_tower(HOME);
    let orgs = aws.organizations();
    let (op, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-sandbox0"),
            &pv1_params(&["ap-northeast-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");
    let attached = orgs
        .list_policies_for_target("ou-sb01-sandbox0")
        .await
        .unwrap();
    assert_eq!(attached.len(), 4);
    assert_eq!(
        attached
            .iter()
            .filter(|p| p.name.starts_with("aws-guardrails-"))
            .count(),
        3
    );
    assert!(
        statement_on(&orgs, "ou-sb01-sandbox0", "CTMULTISERVICEPV1")
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_children_lists_controls_enabled_below_the_target() {
    let sb = Sandbox::start(fast()).await;
    let ct = sb.aws().await.control_tower(HOME);
    let (op, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-prod0000"),
            &pv1_params(&["ap-northeast-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &op).await, "SUCCEEDED");
    let workloads = ou_arn("ou-sb01-workload");
    let direct = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&workloads),
            control: Some(PV1_CATALOG),
            include_children: false,
        })
        .await
        .unwrap();
    assert!(direct.is_empty());
    let with_children = ct
        .list_enabled_controls(EnabledControlQuery {
            target: Some(&workloads),
            control: Some(PV1_CATALOG),
            include_children: true,
        })
        .await
        .unwrap();
    assert_eq!(with_children.len(), 1);
    assert_eq!(with_children[0].target, ou_arn("ou-sb01-prod0000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_finds_pv1_in_both_identifier_forms_and_signals_that_disagree() {
    let sb = Sandbox::start(fast()).await;
    let aws = sb.aws().await;
    let ct = aws.control_tower(HOME);
    let orgs = aws.organizations();
    let regional = format!("arn:aws:controltower:{HOME}::control/TKFQGXOBPOPS");
    let (a, _) = ct
        .enable_control(
            &regional,
            &ou_arn("ou-sb01-sandbox0"),
            &pv1_params(&["ap-northeast-1", "us-east-1"], &["bedrock:Invoke*"]),
            &Default::default(),
        )
        .await
        .unwrap();
    let (b, _) = ct
        .enable_control(
            PV1_CATALOG,
            &ou_arn("ou-sb01-dev00000"),
            &pv1_params(&["ap-northeast-1"], &[]),
            &Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(wait_op(&ct, &a).await, "SUCCEEDED");
    assert_eq!(wait_op(&ct, &b).await, "SUCCEEDED");

    // Someone edits Infrastructure's guardrail SCP and drops GRREGIONDENY.
    for p in orgs
        .list_policies_for_target("ou-sb01-infrastr")
        .await
        .unwrap()
    {
        let doc = orgs.describe_policy(&p.id).await.unwrap();
        let mut v: Value = serde_json::from_str(&doc.content).unwrap();
        let list = v["Statement"].as_array_mut().unwrap();
        let before = list.len();
        list.retain(|st| st["Sid"] != "GRREGIONDENY");
        if list.len() != before {
            orgs.update_policy_content(&p.id, &v.to_string())
                .await
                .unwrap();
        }
    }

    let snap = ctmigrate::discover::discover(&aws, &|_: &str| {})
        .await
        .unwrap();
    let report = ctmigrate::detect::report(&snap, ctmigrate::detect::Quotas::default());
    assert_eq!(
        report.region_deny.state,
        ctmigrate::detect::DenyState::Inconsistent
    );
    assert_eq!(report.region_deny.disagreements.len(), 1);
    assert!(report.region_deny.disagreements[0].starts_with("Infrastructure (ou-sb01-infrastr)"));
    let infra = report
        .region_deny
        .per_ou
        .iter()
        .find(|o| o.ou_name == "Infrastructure")
        .unwrap();
    assert!(infra.control.is_some() && infra.scp_statements.is_empty());

    let mut forms: Vec<(String, String, Vec<String>, Vec<String>)> = report
        .pv1
        .enablements
        .iter()
        .map(|e| {
            (
                e.ou_path.clone(),
                e.identifier_form.clone(),
                e.allowed_regions.clone(),
                e.exempted_actions.clone(),
            )
        })
        .collect();
    forms.sort();
    assert_eq!(
        forms,
        vec![
            (
                "Sandbox".to_string(),
                "regional".to_string(),
                vec!["ap-northeast-1".to_string(), "us-east-1".to_string()],
                vec!["bedrock:Invoke*".to_string()]
            ),
            (
                "Workloads/Dev".to_string(),
                "catalog".to_string(),
                vec!["ap-northeast-1".to_string()],
                vec![]
            ),
        ]
    );
    let sandbox_ou = report
        .first_tier_ous
        .iter()
        .find(|o| o.name == "Sandbox")
        .unwrap();
    assert_eq!(
        sandbox_ou.region_denies_in_force,
        vec!["GRREGIONDENY", "CTMULTISERVICEPV1"]
    );
}
