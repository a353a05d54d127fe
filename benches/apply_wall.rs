//! Wall time of `apply` on 50 registered first-tier OUs with a 2-second
//! control-operation latency, against the bound `ceil(50 / concurrency) x
//! latency` (docs/performance.md). Target: the enable stage within 1.2x.
//!
//! `cargo bench --bench apply_wall` (optionally `-- 4 8 10` for the
//! concurrencies; default 8 and 10). It runs the release binary against the
//! sandbox's `wide` scenario, exactly as a user would, and reads the stage
//! times from the journal. A benchmark measures; it asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const LATENCY_MS: u64 = 2000;
const OUS: u64 = 50;

fn ctmigrate(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ctmigrate"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("CTMIGRATE_SANDBOX_FAULTS")
        .env_remove("CTMIGRATE_POLL_INTERVAL");
    c
}

fn must(c: &mut Command, what: &str) -> std::process::Output {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run ctmigrate: {e}"));
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "{what} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn millis(rfc3339: &str) -> i128 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp_nanos() / 1_000_000)
        .unwrap_or_else(|e| panic!("journal time `{rfc3339}`: {e}"))
}

/// (stage, milliseconds from stage_started to its checkpoint), in order.
fn stage_times(journal: &Path) -> Vec<(String, i128)> {
    let text = std::fs::read_to_string(journal).expect("the journal");
    let mut started = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("a journal record");
        let stage = r["stage"].as_str().unwrap_or_default().to_string();
        let at = millis(r["at"].as_str().unwrap_or_default());
        match r["event"].as_str() {
            Some("stage_started") => {
                started.insert(stage, at);
            }
            Some("checkpoint") => {
                if let Some(t0) = started.get(&stage) {
                    out.push((stage, at - t0));
                }
            }
            _ => {}
        }
    }
    out
}

fn main() {
    let concurrencies: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let concurrencies = if concurrencies.is_empty() {
        vec![8, 10]
    } else {
        concurrencies
    };
    println!(
        "apply on {OUS} registered first-tier OUs, control operations take {:.1} s (sandbox scenario `wide`)",
        LATENCY_MS as f64 / 1000.0
    );
    println!(
        "{:>11} {:>9} {:>12} {:>7} {:>22} {:>14}",
        "concurrency", "bound", "enable stage", "ratio", "apply to console gate", "all stages"
    );
    for c in concurrencies {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        must(
            ctmigrate(d).args([
                "sandbox",
                "reset",
                "--sandbox-dir",
                "sb",
                "--scenario",
                "wide",
                "--control-op-delay",
                &format!("{LATENCY_MS}ms"),
                "--landing-zone-op-delay",
                "1s",
            ]),
            "sandbox reset",
        );
        must(
            ctmigrate(d).args([
                "--sandbox",
                "--sandbox-dir",
                "sb",
                "plan",
                "--inference-profile",
                "us",
                "--permitted-account",
                "666666666667",
                "--name",
                "bench",
                "--out",
                "plans",
            ]),
            "plan",
        );
        let t0 = Instant::now();
        must(
            ctmigrate(d).args([
                "--sandbox",
                "--sandbox-dir",
                "sb",
                "apply",
                "--plan",
                "plans/bench.plan.json",
                "--yes",
                "-q",
                "--max-concurrency",
                &c.to_string(),
            ]),
            "apply",
        );
        let to_gate = t0.elapsed();
        must(
            ctmigrate(d).args([
                "sandbox",
                "console",
                "--sandbox-dir",
                "sb",
                "region-deny",
                "off",
                "--wait",
            ]),
            "console",
        );
        must(
            ctmigrate(d).args([
                "--sandbox",
                "--sandbox-dir",
                "sb",
                "resume",
                "--journal",
                "plans/bench.journal.jsonl",
                "--yes",
                "-q",
            ]),
            "resume",
        );
        let stages = stage_times(&d.join("plans/bench.journal.jsonl"));
        let enable = stages
            .iter()
            .find(|(s, _)| s == "enable")
            .map(|(_, ms)| *ms)
            .expect("an enable stage in the journal");
        let total: i128 = stages
            .iter()
            .filter(|(s, _)| s != "console")
            .map(|(_, ms)| *ms)
            .sum();
        let bound = OUS.div_ceil(c) * LATENCY_MS;
        println!(
            "{c:>11} {:>8.1}s {:>11.1}s {:>6.2}x {:>21.1}s {:>13.1}s",
            bound as f64 / 1000.0,
            enable as f64 / 1000.0,
            enable as f64 / bound as f64,
            to_gate.as_secs_f64(),
            total as f64 / 1000.0,
        );
        for (stage, ms) in &stages {
            println!("{:>24} {:>8.1}s", stage, *ms as f64 / 1000.0);
        }
    }
}
