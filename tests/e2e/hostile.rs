//! The hostile input corpus (issue 17): plan files, journals, answers files,
//! policy cases, command-line values, `explain` texts and sandbox
//! directories that are broken, edited, huge or absurd. Each one must get a
//! clear error that names the input and how to fix it, a documented
//! non-zero exit code, no panic, and **no change to the sandbox**: its
//! state file and timeline are byte for byte the same afterwards.

use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::apply_cli::{JOURNAL, PLAN, cli, copy_of, template_dir};
use crate::common::*;

/// One hostile input: files to write, the command, what must happen.
struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    args: Vec<String>,
    stdin: Vec<u8>,
    /// Exit codes that are right for it (each documented in docs/exit-codes.md).
    codes: &'static [i32],
    /// Text the error must contain: the input it names.
    names: String,
}

fn case(name: &str, args: &[&str], codes: &'static [i32], names: &str) -> Case {
    Case {
        name: name.into(),
        files: Vec::new(),
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin: Vec::new(),
        codes,
        names: names.into(),
    }
}

impl Case {
    fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((path.into(), bytes.into()));
        self
    }

    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Case {
        self.stdin = bytes.into();
        self
    }
}

/// A sandbox whose migration stopped at the console step: a valid plan at
/// [`PLAN`] and its journal at [`JOURNAL`], for the cases to edit.
fn base() -> &'static Path {
    static B: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let dir = copy_of(template_dir());
        run(&mut cli(dir.path(), &["apply", "--plan", PLAN, "--yes"])).expect_exit(3);
        let _ = std::fs::remove_file(dir.path().join(format!("{JOURNAL}.lock")));
        dir
    })
    .path()
}

fn valid_plan() -> Value {
    serde_json::from_str(&std::fs::read_to_string(base().join(PLAN)).unwrap()).unwrap()
}

/// `plan` changed by `edit`, with its checksum made right again: only the
/// loader's other checks can refuse it.
fn resealed(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = valid_plan();
    edit(&mut v);
    match serde_json::from_value::<ctmigrate::plan::Plan>(v.clone()) {
        Ok(mut plan) => {
            plan.checksum = ctmigrate::plan::checksum(&plan);
            serde_json::to_vec_pretty(&plan).unwrap()
        }
        Err(_) => serde_json::to_vec_pretty(&v).unwrap(),
    }
}

fn edited_plan(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = valid_plan();
    edit(&mut v);
    serde_json::to_vec_pretty(&v).unwrap()
}

fn journal_lines() -> Vec<String> {
    std::fs::read_to_string(base().join(JOURNAL))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn journal_of(lines: &[String]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

fn nested(depth: usize) -> Vec<u8> {
    ("[".repeat(depth) + &"]".repeat(depth)).into_bytes()
}

fn answers(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn policy_case(policy: Value) -> Vec<u8> {
    serde_json::to_vec(&json!([{
        "name": "hostile",
        "policies": [policy],
        "request": {"principal": "arn:aws:iam::111122223333:role/r", "account": "111122223333",
                    "action": "s3:GetObject", "resource": "*", "context": {}}
    }]))
    .unwrap()
}

const PLAN_ERR: &[i32] = &[65];
const USAGE: &[i32] = &[64];
const INPUT: &[i32] = &[64, 65];

fn corpus() -> Vec<Case> {
    let plan_text = std::fs::read_to_string(base().join(PLAN)).unwrap();
    let lines = journal_lines();
    let apply = |file: &str| -> Vec<String> {
        ["apply", "--plan", file, "--yes"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let mut cases = vec![
        // Plan files.
        case("truncated plan", &[], PLAN_ERR, "bad.plan.json")
            .file("bad.plan.json", &plan_text.as_bytes()[..plan_text.len() / 2]),
        case("wrong format_version", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| p["format_version"] = json!(99)),
        ),
        case("edited step request", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| {
                p["stages"][2]["steps"][0]["request"]["input"]["targetIdentifier"] =
                    json!("arn:aws:organizations::111111111111:ou/o-ctm1gr8sbx/ou-sb01-prod0000")
            }),
        ),
        case("reordered stages", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| p["stages"].as_array_mut().unwrap().swap(1, 2)),
        ),
        case("checksum mismatch", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| p["checksum"] = json!("0".repeat(64))),
        ),
        // Offline, show and validate cannot know the organization: apply refuses it.
        case(
            "another organization",
            &["--sandbox", "--sandbox-dir", "sb", "apply", "--plan", "bad.plan.json", "--yes"],
            &[65],
            "bad.plan.json",
        )
        .file(
            "bad.plan.json",
            resealed(|p| p["organization_id"] = json!("o-otherorg123")),
        ),
        case("duplicate step ids", &[], &[65], "bad.plan.json").file(
            "bad.plan.json",
            resealed(|p| {
                let first = p["stages"][2]["steps"][0].clone();
                p["stages"][2]["steps"].as_array_mut().unwrap().push(first);
            }),
        ),
        case("unknown field", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| p["surprise"] = json!(true)),
        ),
        case("50 MB of whitespace", &[], PLAN_ERR, "bad.plan.json")
            .file("bad.plan.json", vec![b' '; 50 * 1024 * 1024]),
        case("deeply nested plan", &[], PLAN_ERR, "bad.plan.json")
            .file("bad.plan.json", nested(100_000)),
        case("empty plan file", &[], PLAN_ERR, "bad.plan.json").file("bad.plan.json", ""),
        case("binary plan file", &[], PLAN_ERR, "bad.plan.json")
            .file("bad.plan.json", vec![0u8, 159, 146, 150, 255, 0, 7]),
        case("plan is JSON null", &[], PLAN_ERR, "bad.plan.json").file("bad.plan.json", "null"),
        case("plan is an array", &[], PLAN_ERR, "bad.plan.json").file("bad.plan.json", "[]"),
        case("plan path is a directory", &[], PLAN_ERR, "adir").file("adir/x", "x"),
        case("plan path does not exist", &[], PLAN_ERR, "missing.plan.json"),
        case("not applyable, edited to applyable", &[], PLAN_ERR, "bad.plan.json").file(
            "bad.plan.json",
            edited_plan(|p| p["applyable"] = json!(!p["applyable"].as_bool().unwrap_or(true))),
        ),
        // Journals.
        case("corrupt journal line", &[], &[65], "bad.journal.jsonl").file(
            "bad.journal.jsonl",
            journal_of(&[lines[0].clone(), "{not json".into(), lines[1].clone()]),
        ),
        case("journal of another plan", &[], &[65], "bad.journal.jsonl").file("bad.journal.jsonl", {
            let mut first: Value = serde_json::from_str(&lines[0]).unwrap();
            first["plan_checksum"] = json!("f".repeat(64));
            let mut l = lines.clone();
            l[0] = first.to_string();
            journal_of(&l)
        }),
        case("duplicated records", &[], &[65], "bad.journal.jsonl").file("bad.journal.jsonl", {
            let mut l = lines.clone();
            l.insert(5, lines[4].clone());
            journal_of(&l)
        }),
        case("records out of order", &[], &[65], "bad.journal.jsonl").file("bad.journal.jsonl", {
            let mut l = lines.clone();
            l.swap(6, 9);
            journal_of(&l)
        }),
        case("checkpoint without its steps", &[], &[65], "bad.journal.jsonl").file(
            "bad.journal.jsonl",
            {
                // The enable checkpoint kept, its steps' records removed, numbers made contiguous.
                let kept: Vec<Value> = lines
                    .iter()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap())
                    .filter(|r| {
                        !(r["step"]
                            .as_str()
                            .is_some_and(|s| s.starts_with("enable-pv1")))
                    })
                    .collect();
                let renumbered: Vec<String> = kept
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut r)| {
                        r["seq"] = json!(i + 1);
                        r.to_string()
                    })
                    .collect();
                journal_of(&renumbered)
            },
        ),
        case("binary journal", &[], &[65], "bad.journal.jsonl")
            .file("bad.journal.jsonl", vec![0xffu8, 0xfe, b'\n', 0, 1, b'\n']),
        case("journal path does not exist", &[], &[65], "none.journal.jsonl"),
        case("journal path is a directory", &[], &[65, 1], "jdir").file("jdir/x", "x"),
        // Answers files.
        case("answers not JSON", &[], &[65], "a.json").file("a.json", "inference_profiles: us"),
        case("answers unknown key", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": ["us"], "permitted_accounts": ["666666666667"], "colour": "blue"})),
        ),
        case("answers wrong type", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": "us", "permitted_accounts": ["666666666667"]})),
        ),
        case("answers bad account id", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": ["us"], "permitted_accounts": ["12"]})),
        ),
        case("answers unknown profile", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": ["xx.nothing-v9:0"], "permitted_accounts": ["666666666667"]})),
        ),
        case("answers empty", &[], &[65], "a.json").file("a.json", ""),
        case("answers deeply nested", &[], &[65], "a.json").file("a.json", nested(100_000)),
        case("answers 10 MB string", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": ["x".repeat(10 * 1024 * 1024)], "permitted_accounts": ["666666666667"]})),
        ),
        case("answers bad companion mode", &[], &[65], "a.json").file(
            "a.json",
            answers(json!({"inference_profiles": ["us"], "permitted_accounts": ["666666666667"], "companion_mode": "lenient"})),
        ),
        // Policy eval cases.
        case("cases deeply nested", &[], &[1], "recursion limit").file("c.json", nested(100_000)),
        case("cases invalid UTF-8", &[], &[65], "c.json").file("c.json", vec![b'[', 0xff, b']']),
        case("cases neither an array nor JSON Lines", &[], &[65], "c.json")
            .file("c.json", "\"cases\""),
        case("cases: an object without a request", &[], &[1], "no `request`")
            .file("c.json", "{}"),
        case("policy with an unknown operator", &[], &[1], "StringSortOfEquals").file(
            "c.json",
            policy_case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                "Condition": {"StringSortOfEquals": {"aws:RequestedRegion": "us-east-1"}}}]})),
        ),
        case("policy with a 10 MB string", &[], &[1], "hostile").file(
            "c.json",
            policy_case(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "x".repeat(10 * 1024 * 1024), "Resource": "*"}]})),
        ),
        case("policy with duplicate keys", &[], &[1], "appears twice").file(
            "c.json",
            br#"[{"name":"dup","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}],"request":{"principal":"arn:aws:iam::111122223333:role/r","account":"111122223333","action":"s3:GetObject","resource":"*","context":{}}}]"#.to_vec(),
        ),
        case("policy deeply nested", &[], &[1], "recursion limit").file(
            "c.json",
            format!(
                r#"[{{"name":"deep","policies":[{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":{},"Resource":"*"}}]}}],"request":{{"action":"s3:GetObject"}}}}]"#,
                String::from_utf8(nested(10_000)).unwrap()
            ),
        ),
        // Command-line values.
        case("invalid source Region", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "666666666667", "--source-region", "mars-north-1"], INPUT, "mars-north-1"),
        case("short account id", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "12"], INPUT, "12"),
        case("13-digit account id", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "1234567890123"], INPUT, "1234567890123"),
        case("unknown inference profile", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "not-a-profile", "--permitted-account", "666666666667"], INPUT, "not-a-profile"),
        case("exempt principal not an ARN", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "666666666667", "--exempt-principal", "not-an-arn"], INPUT, "not-an-arn"),
        case("bad duration", &["apply", "--sandbox", "--sandbox-dir", "sb", "--plan", PLAN, "--yes", "--wait-for-console", "soon"], USAGE, "soon"),
        case("bad window end", &["apply", "--sandbox", "--sandbox-dir", "sb", "--plan", PLAN, "--yes", "--window-end", "teatime"], USAGE, "teatime"),
        case("concurrency 0", &["apply", "--sandbox", "--sandbox-dir", "sb", "--plan", PLAN, "--yes", "--max-concurrency", "0"], USAGE, "0"),
        case("concurrency 2^64", &["apply", "--sandbox", "--sandbox-dir", "sb", "--plan", PLAN, "--yes", "--max-concurrency", "18446744073709551616"], USAGE, "18446744073709551616"),
        case("attachment limit 0", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "666666666667", "--scp-attachment-limit", "0"], USAGE, "0"),
        case("unknown companion mode", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--companion-mode", "lenient"], USAGE, "lenient"),
        case("plan name with a path", &["plan", "--sandbox", "--sandbox-dir", "sb", "--inference-profile", "us", "--permitted-account", "666666666667", "--name", "../escape"], INPUT, "../escape"),
        case("unknown format", &["detect", "--sandbox", "--sandbox-dir", "sb", "--format", "yaml"], USAGE, "yaml"),
        // explain texts.
        case("empty explain text", &["explain", "--offline", ""], &[65], "error text"),
        case("binary explain text", &["explain", "--offline", "-"], &[65], "error text")
            .stdin(vec![0u8, 255, 1, 2, 3, 159, 146, 150]),
        case("1 MB explain text", &["explain", "--offline", "-"], &[65], "error text")
            .stdin("is not authorized ".repeat(60_000)),
        // Sandbox directories.
        case("sandbox dir is a file", &["detect", "--sandbox", "--sandbox-dir", "afile"], &[65, 1], "afile")
            .file("afile", "not a directory"),
        case("state from a future version", &["detect", "--sandbox", "--sandbox-dir", "future"], &[65], "future")
            .file("future/state.json", {
                let mut w: Value = serde_json::from_str(&std::fs::read_to_string(base().join("sb/state.json")).unwrap()).unwrap();
                w["state_version"] = json!(999);
                serde_json::to_vec(&w).unwrap()
            }),
        case("corrupt state file", &["detect", "--sandbox", "--sandbox-dir", "broken"], &[65], "broken")
            .file("broken/state.json", "{\"organization\": [tru"),
    ];
    // The plan and journal cases run each command that reads the file.
    let mut expanded = Vec::new();
    for c in cases.drain(..) {
        if !c.args.is_empty() {
            expanded.push(c);
            continue;
        }
        let commands: Vec<Vec<String>> = if c.names.ends_with(".plan.json") || c.names == "adir" {
            let file = if c.names == "adir" {
                "adir".to_string()
            } else {
                c.names.clone()
            };
            vec![
                [
                    vec!["--sandbox".into(), "--sandbox-dir".into(), "sb".into()],
                    apply(&file),
                ]
                .concat(),
                vec!["show".into(), "--plan".into(), file.clone()],
                vec!["validate".into(), "--offline".into(), "--plan".into(), file],
            ]
        } else if c.names.ends_with(".journal.jsonl") || c.names == "jdir" {
            let file = c.names.clone();
            vec![
                vec![
                    "--sandbox".into(),
                    "--sandbox-dir".into(),
                    "sb".into(),
                    "resume".into(),
                    "--journal".into(),
                    file.clone(),
                    "--yes".into(),
                ],
                vec![
                    "--sandbox".into(),
                    "--sandbox-dir".into(),
                    "sb".into(),
                    "rollback".into(),
                    "--journal".into(),
                    file.clone(),
                    "--yes".into(),
                ],
                vec![
                    "status".into(),
                    "--offline".into(),
                    "--journal".into(),
                    file,
                ],
            ]
        } else if c.names == "a.json" {
            vec![vec![
                "--sandbox".into(),
                "--sandbox-dir".into(),
                "sb".into(),
                "plan".into(),
                "--answers".into(),
                "a.json".into(),
            ]]
        } else {
            vec![vec![
                "policy".into(),
                "eval".into(),
                "--cases".into(),
                "c.json".into(),
            ]]
        };
        for args in commands {
            expanded.push(Case {
                name: format!(
                    "{} ({})",
                    c.name,
                    args.iter()
                        .find(|a| !a.starts_with('-') && *a != "sb")
                        .cloned()
                        .unwrap_or_default()
                ),
                files: c.files.clone(),
                args,
                stdin: c.stdin.clone(),
                codes: c.codes,
                names: c.names.clone(),
            });
        }
    }
    expanded
}

fn state_of(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("sb/state.json")).unwrap(),
        std::fs::read(dir.join("sb/timeline.jsonl")).unwrap_or_default(),
    )
}

#[test]
fn every_hostile_input_is_refused_clearly_and_changes_nothing() {
    let cases = corpus();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} hostile inputs were not handled:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Runs one case in a fresh copy of the base; what went wrong, if anything.
fn check(c: &Case) -> Option<String> {
    let dir = copy_of(base());
    let d = dir.path();
    for (path, bytes) in &c.files {
        let p = d.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let before = state_of(d);
    let mut cmd = ctmigrate(d);
    cmd.env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .args(&c.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let _ = stdin.write_all(&c.stdin);
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = format!("{stderr}{stdout}");
    let mut wrong = Vec::new();
    if !c.codes.contains(&code) {
        wrong.push(format!("exit {code}, expected one of {:?}", c.codes));
    }
    if said.contains("panicked") || code == 101 {
        wrong.push("it panicked".into());
    }
    if !said.contains(&c.names) {
        wrong.push(format!("the message does not name `{}`", c.names));
    }
    let policy_error = stdout.contains("\"decision\":\"Error\"");
    if !(stderr.contains("hint:") || stderr.contains("--help") || policy_error) {
        wrong.push("no hint says how to fix it".into());
    }
    if state_of(d) != before {
        wrong.push("the sandbox changed".into());
    }
    (!wrong.is_empty()).then(|| {
        let excerpt: String = said.chars().take(600).collect();
        format!(
            "{}: {}\n  {:?}\n  {excerpt}",
            c.name,
            wrong.join("; "),
            c.args
        )
    })
}
