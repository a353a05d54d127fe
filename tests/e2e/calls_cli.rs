//! `-v` counts every AWS call a command makes, per service and operation,
//! and the counts equal what the other side saw: the requests `sandbox
//! serve --log-requests` logged, one for one.

use std::collections::BTreeMap;

use crate::common::*;

/// `service:Operation` → count, from `-v`'s lines (`  organizations:ListRoots 1`).
fn printed(stderr: &str) -> BTreeMap<String, u64> {
    let at = stderr
        .find("AWS calls: ")
        .unwrap_or_else(|| panic!("no call counts in:\n{stderr}"));
    stderr[at..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  ") && l.contains(':'))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let op = parts.next()?.to_string();
            let n: u64 = parts.next()?.parse().ok()?;
            Some((op, n))
        })
        .collect()
}

#[test]
fn verbose_counts_every_call_as_the_sandbox_saw_it() {
    let dir = quick_sandbox();
    let d = dir.path();
    let log = d.join("requests.jsonl");
    let (_server, url) = serve_with(
        d,
        &[
            "--sandbox-dir",
            "sb",
            "--log-requests",
            log.to_str().unwrap(),
        ],
    );
    let ran = run(ctmigrate(d)
        .env("AWS_ACCESS_KEY_ID", ADMIN_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .args(["--endpoint-url", &url, "--region", HOME, "-v", "detect"]))
    .expect_success();
    let counted = printed(&ran.stderr);
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(format!(
                "{}:{}",
                v["service"].as_str().unwrap(),
                v["operation"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    assert!(
        counted.contains_key("organizations:ListRoots"),
        "{counted:?}"
    );
    assert_eq!(counted, seen, "{}", ran.stderr);
    let total: u64 = seen.values().sum();
    assert!(
        ran.stderr
            .contains(&format!("AWS calls: {total} (0 retried")),
        "{}",
        ran.stderr
    );
    // Without -v, nothing of it.
    let quiet = run(ctmigrate(d)
        .env("AWS_ACCESS_KEY_ID", ADMIN_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .args(["--endpoint-url", &url, "--region", HOME, "detect"]))
    .expect_success();
    assert!(!quiet.stderr.contains("AWS calls"), "{}", quiet.stderr);
}
