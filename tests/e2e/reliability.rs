//! Exit codes and retries that must hold when AWS misbehaves (issue 17,
//! defect 6): the first read of the organization outlasts throttling, and
//! an endpoint that vanishes in the middle of apply ends with exit 69 and a
//! `resume` command that finishes the job once it answers again.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::apply_cli::{JOURNAL, PLAN, cli, copy_of, journal_records, template_dir};
use crate::common::*;

#[test]
fn defect_6_the_first_read_of_the_organization_outlasts_throttling() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    let log = d.join("requests.jsonl");
    // DescribeOrganization throttled 80% of the time: with seed 1 it is
    // refused 7 times in a row, more than the SDK's own 5 attempts.
    let applied = run(cli(d, &["apply", "--plan", PLAN, "--yes"])
        .env(
            "CTMIGRATE_SANDBOX_FAULTS",
            "throttle=0.8,retry-after=0,ops=DescribeOrganization,seed=1",
        )
        .env("CTMIGRATE_SANDBOX_REQUEST_LOG", &log));
    assert_eq!(
        applied.code, 3,
        "apply starts and reaches the console step: {}",
        applied.stderr
    );
    let asked = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"DescribeOrganization\""))
        .count();
    assert!(asked > 5, "DescribeOrganization was asked {asked} times");
}

/// `ctmigrate sandbox serve` on `port`, for the sandbox in `dir/sb`.
fn serve_on(dir: &Path, port: u16, faults: &str) -> Child {
    let child = ctmigrate(dir)
        .args(["--sandbox-dir", "sb", "sandbox", "serve", "--port"])
        .arg(port.to_string())
        .args(["--faults", faults])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sandbox serve never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn against(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut c = ctmigrate(dir);
    c.env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .env("AWS_ACCESS_KEY_ID", "ASIASANDBOXADMIN0001")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret-not-checked")
        .args(["--endpoint-url", url, "--region", "ap-northeast-1"])
        .args(args);
    c
}

#[test]
fn defect_6_a_vanished_endpoint_exits_69_and_the_printed_resume_finishes() {
    let dir = copy_of(template_dir());
    let d = dir.path();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    // Slow control operations, so that the endpoint goes while they run.
    let mut server = serve_on(d, port, "latency:GetControlOperation=300ms");
    let apply = against(d, &url, &["apply", "--plan", PLAN, "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !journal_records_or_empty(d)
        .iter()
        .any(|r| r["event"] == "operation_started")
    {
        assert!(Instant::now() < deadline, "no control operation started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.kill();
    let _ = server.wait();
    let started = Instant::now();
    let out = apply.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "gave up after {:?}",
        started.elapsed()
    );
    assert!(err.contains("could not reach AWS"), "{err}");
    assert!(err.contains("nothing is lost"), "{err}");
    let again = format!("ctmigrate {}", printed_command(&err, "ctmigrate "));
    assert!(again.contains(&format!("--endpoint-url {url}")), "{again}");
    assert!(
        again.contains(&format!("resume --journal {JOURNAL}")),
        "{again}"
    );

    // The endpoint is back: the printed command goes on to the console step.
    let mut server = serve_on(d, port, "seed=1");
    let resumed = run(shell(d, &again)
        .env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .env("AWS_ACCESS_KEY_ID", "ASIASANDBOXADMIN0001")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret-not-checked"));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(resumed.code, 3, "{}\n{}", resumed.stdout, resumed.stderr);
}

fn journal_records_or_empty(dir: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(dir.join(JOURNAL)) {
        Ok(text) if text.ends_with('\n') => journal_records(dir),
        _ => Vec::new(),
    }
}
