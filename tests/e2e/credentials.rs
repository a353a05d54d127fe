//! Credentials, Regions and endpoints as every AWS tool finds them: a
//! `credential_process` profile (chosen by `--profile` or `AWS_PROFILE`),
//! the instance metadata service (a fake IMDSv2 on loopback), and
//! `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>`
//! variables instead of `--endpoint-url`. Every request goes to 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::*;

/// A profile whose credentials come from a script that also leaves a mark
/// when it runs.
fn credential_process_config(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\necho '{{\"Version\": 1, \"AccessKeyId\": \"{ADMIN_KEY}\", \"SecretAccessKey\": \"from-the-process\", \"SessionToken\": \"token-from-the-process\"}}'\n",
            dir.join("process-ran").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile proc]\ncredential_process = {}\nregion = {HOME}\n",
            script.display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn a_credential_process_profile_is_used_by_flag_and_by_aws_profile() {
    let dir = quick_sandbox();
    let d = dir.path();
    let (_server, url) = serve_with(d, &["--sandbox-dir", "sb"]);
    let config = credential_process_config(d);
    // --profile; the Region comes from the profile too.
    let ran = run(ctmigrate(d).env("AWS_CONFIG_FILE", &config).args([
        "--profile",
        "proc",
        "--endpoint-url",
        &url,
        "detect",
    ]));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(d.join("process-ran").exists());
    assert!(ran.stdout.contains("GRREGIONDENY"), "{}", ran.stdout);
    // AWS_PROFILE.
    std::fs::remove_file(d.join("process-ran")).unwrap();
    let ran = run(ctmigrate(d)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "proc")
        .args(["--endpoint-url", &url, "detect"]));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(d.join("process-ran").exists());
    // A profile the file does not have is named, with the file read.
    let ran = run(ctmigrate(d).env("AWS_CONFIG_FILE", &config).args([
        "--profile",
        "nope",
        "--endpoint-url",
        &url,
        "detect",
    ]));
    assert_ne!(ran.code, 0);
    assert!(ran.stderr.contains("nope"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&config.display().to_string()),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("proc"),
        "the profiles it has: {}",
        ran.stderr
    );
}

/// A fake IMDSv2 on 127.0.0.1 that hands out `ADMIN_KEY` for a role; the
/// number of credential requests it answered.
fn fake_imds() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Headers, to the blank line (no bodies in these requests).
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let mut parts = request_line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let body = match (method, path) {
                ("PUT", "/latest/api/token") => "fake-imds-token".to_string(),
                ("GET", "/latest/meta-data/iam/security-credentials/") => {
                    "ctmigrate-test-role".to_string()
                }
                ("GET", "/latest/meta-data/iam/security-credentials/ctmigrate-test-role") => {
                    count.fetch_add(1, Ordering::SeqCst);
                    format!(
                        "{{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"{ADMIN_KEY}\", \"SecretAccessKey\": \"from-imds\", \"Token\": \"token-from-imds\", \"Expiration\": \"2099-01-01T00:00:00Z\", \"LastUpdated\": \"2026-12-03T00:00:00Z\"}}"
                    )
                }
                _ => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                    continue;
                }
            };
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    (url, served)
}

#[test]
fn credentials_come_from_the_instance_metadata_service() {
    let dir = quick_sandbox();
    let d = dir.path();
    let (_server, url) = serve_with(d, &["--sandbox-dir", "sb"]);
    let (imds, served) = fake_imds();
    let ran = run(ctmigrate(d)
        .env("AWS_EC2_METADATA_DISABLED", "false")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)
        .args(["--endpoint-url", &url, "--region", HOME, "detect"]));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(served.load(Ordering::SeqCst) >= 1, "IMDS was never asked");
}

#[test]
fn endpoints_come_from_aws_endpoint_url_and_the_per_service_variables() {
    let dir = quick_sandbox();
    let d = dir.path();
    let (_server, url) = serve_with(d, &["--sandbox-dir", "sb"]);
    let with_keys = |c: &mut std::process::Command| {
        c.env("AWS_ACCESS_KEY_ID", ADMIN_KEY)
            .env("AWS_SECRET_ACCESS_KEY", "s")
            .env("AWS_REGION", HOME);
    };
    // AWS_ENDPOINT_URL for every service.
    let mut c = ctmigrate(d);
    with_keys(&mut c);
    let ran = run(c.env("AWS_ENDPOINT_URL", &url).arg("detect"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // The global one points nowhere; each service's own variable wins.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let mut c = ctmigrate(d);
    with_keys(&mut c);
    c.env("AWS_ENDPOINT_URL", &dead);
    for service in [
        "STS",
        "ORGANIZATIONS",
        "CONTROLTOWER",
        "CONTROLCATALOG",
        "BEDROCK",
    ] {
        c.env(format!("AWS_ENDPOINT_URL_{service}"), &url);
    }
    let ran = run(c.arg("detect"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}
