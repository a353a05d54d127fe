//! Clients and servers we did not write: the AWS CLI against `ctmigrate
//! sandbox serve`, and our Organizations adapter against moto.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ctmigrate::aws::{Apis, Organizations};
use ctmigrate::model::Tag;
use serde_json::Value;

use crate::common::*;

fn json_of(cmd: &mut Command) -> Value {
    let Ran { stdout: out, .. } = run(cmd).expect_success();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_aws_cli_talks_to_sandbox_serve() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path());
    let cli = |args: &[&str]| {
        let mut c = aws_cli(&url, HOME, "testing");
        c.args(args);
        c
    };

    let roots = json_of(&mut cli(&["organizations", "list-roots"]));
    assert_eq!(roots["Roots"][0]["Id"], "r-sb01");
    let accounts = json_of(&mut cli(&["organizations", "list-accounts"]));
    assert_eq!(
        accounts["Accounts"].as_array().unwrap().len(),
        13,
        "the CLI follows NextToken"
    );
    let page = json_of(&mut cli(&[
        "organizations",
        "list-accounts",
        "--no-paginate",
    ]));
    assert_eq!(
        page["Accounts"].as_array().unwrap().len(),
        3,
        "pages are small"
    );
    assert!(page["NextToken"].is_string());
    let me = json_of(&mut cli(&["sts", "get-caller-identity"]));
    assert_eq!(me["Account"], "111111111111");

    let controls = json_of(&mut cli(&[
        "controltower",
        "list-enabled-controls",
        "--target-identifier",
        &ou_arn("ou-sb01-workload"),
    ]));
    let ids: Vec<&str> = controls["enabledControls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["controlIdentifier"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"arn:aws:controltower:ap-northeast-1::control/AWS-GR_REGION_DENY"),
        "{ids:?}"
    );
    let lz = json_of(&mut cli(&["controltower", "list-landing-zones"]));
    assert!(
        lz["landingZones"][0]["arn"]
            .as_str()
            .unwrap()
            .contains(":ap-northeast-1:")
    );
    let catalog = json_of(&mut cli(&["controlcatalog", "list-controls"]));
    assert!(
        catalog["Controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["Aliases"][0] == "CT.MULTISERVICE.PV.1")
    );
    let profiles = json_of(&mut cli(&[
        "bedrock",
        "list-inference-profiles",
        "--type-equals",
        "SYSTEM_DEFINED",
    ]));
    assert!(
        profiles["inferenceProfileSummaries"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );

    // An error the CLI reports with its code.
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(&mut cli(&[
        "controltower",
        "enable-control",
        "--control-identifier",
        "arn:aws:controltower:ap-northeast-1::control/AWS-GR_REGION_DENY",
        "--target-identifier",
        &ou_arn("ou-sb01-workload"),
    ]));
    assert_ne!(code, 0);
    assert!(
        err.contains("ValidationException") && err.contains("landing zone settings"),
        "{err}"
    );

    // The CLI signing for another Region does not reach the landing zone.
    let mut wrong = aws_cli(&url, "us-east-1", "testing");
    let other = json_of(wrong.args(["controltower", "list-landing-zones"]));
    assert_eq!(other["landingZones"].as_array().unwrap().len(), 0);

    // ctmigrate itself, as a member account, through the same server.
    let Ran { stderr: err, .. } = run(ctmigrate(dir.path())
        .args(["detect", "--endpoint-url", &url, "--region", HOME])
        .env("AWS_ACCESS_KEY_ID", MEMBER_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "testing"))
    .expect_exit(77);
    assert!(
        err.contains("not its management account 111111111111"),
        "{err}"
    );
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not listen on 127.0.0.1:{port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizations_adapter_works_against_moto() {
    let bin = pytools();
    let port = free_port();
    let _moto = Guard(
        Command::new(bin.join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    let url = format!("http://127.0.0.1:{port}");
    let cli = |args: &[&str]| {
        let mut c = aws_cli(&url, "us-east-1", "testing");
        c.args(args);
        c
    };
    json_of(&mut cli(&[
        "organizations",
        "create-organization",
        "--feature-set",
        "ALL",
    ]));
    let root = json_of(&mut cli(&["organizations", "list-roots"]))["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    for name in ["Security", "Workloads", "Sandbox"] {
        json_of(&mut cli(&[
            "organizations",
            "create-organizational-unit",
            "--parent-id",
            &root,
            "--name",
            name,
        ]));
    }

    let aws = connect(&url, "us-east-1", "testing", 0).await;
    let orgs = aws.organizations();
    let org = orgs.describe_organization().await.unwrap();
    assert_eq!(org.management_account_id, "123456789012");
    let roots = orgs.list_roots().await.unwrap();
    assert_eq!(roots[0].id, root);
    let ous = orgs.list_organizational_units(&root).await.unwrap();
    let mut names: Vec<&str> = ous.iter().map(|o| o.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Sandbox", "Security", "Workloads"]);
    let workloads = ous.iter().find(|o| o.name == "Workloads").unwrap();
    assert!(
        orgs.list_accounts_for_parent(&root)
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == "123456789012")
    );

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyBedrockOutside","Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["ap-northeast-1"]}}}]}"#;
    let tags = [Tag {
        key: "managed-by".into(),
        value: "ctmigrate".into(),
    }];
    let created = orgs
        .create_policy("ctmigrate-companion", "companion", doc, &tags)
        .await
        .unwrap();
    assert_eq!(created.content, doc);
    orgs.attach_policy(&created.summary.id, &workloads.id)
        .await
        .unwrap();
    let on_ou = orgs.list_policies_for_target(&workloads.id).await.unwrap();
    assert!(on_ou.iter().any(|p| p.id == created.summary.id));
    assert!(
        orgs.list_targets_for_policy(&created.summary.id)
            .await
            .unwrap()
            .contains(&workloads.id)
    );
    assert_eq!(
        orgs.describe_policy(&created.summary.id)
            .await
            .unwrap()
            .content,
        doc
    );
    let read_tags = orgs.list_tags(&created.summary.id).await.unwrap();
    assert_eq!(read_tags, tags);
    let updated = doc.replace("ap-northeast-1", "ap-northeast-3");
    orgs.update_policy_content(&created.summary.id, &updated)
        .await
        .unwrap();
    assert_eq!(
        orgs.describe_policy(&created.summary.id)
            .await
            .unwrap()
            .content,
        updated
    );
    assert!(
        orgs.list_policies()
            .await
            .unwrap()
            .iter()
            .any(|p| p.name == "ctmigrate-companion")
    );
    let dup = orgs
        .create_policy("ctmigrate-companion", "", doc, &[])
        .await
        .unwrap_err();
    assert!(dup.is("DuplicatePolicyException"), "{dup}");
    orgs.detach_policy(&created.summary.id, &workloads.id)
        .await
        .unwrap();
    orgs.delete_policy(&created.summary.id).await.unwrap();
    let gone = orgs.describe_policy(&created.summary.id).await.unwrap_err();
    assert!(gone.is("PolicyNotFoundException"), "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_writing_the_same_sandbox_does_not_corrupt_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = serve(dir.path());
    // The same directory the child serves (its default --sandbox-dir under its cwd).
    let shared_dir = dir.path().join(".ctmigrate").join("sandbox");
    let here = ctmigrate::sandbox::start(&shared_dir, 0, ctmigrate::sandbox::FaultSpec::default())
        .await
        .unwrap();
    let a = connect(&url, HOME, ADMIN_KEY, 0).await.organizations();
    let b = connect(&here.endpoint_url(), HOME, ADMIN_KEY, 0)
        .await
        .organizations();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    let writes_a = async {
        for i in 0..10 {
            a.create_policy(&format!("other-process-{i}"), "", doc, &[])
                .await
                .unwrap();
        }
    };
    let writes_b = async {
        for i in 0..10 {
            b.create_policy(&format!("this-process-{i}"), "", doc, &[])
                .await
                .unwrap();
        }
    };
    tokio::join!(writes_a, writes_b);
    let names: Vec<String> = b
        .list_policies()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    for i in 0..10 {
        assert!(names.contains(&format!("other-process-{i}")), "{names:?}");
        assert!(names.contains(&format!("this-process-{i}")), "{names:?}");
    }
    let state: Value =
        serde_json::from_slice(&std::fs::read(shared_dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["policies"].as_object().unwrap().len(), 14 + 20);
    here.stop().await;
}
