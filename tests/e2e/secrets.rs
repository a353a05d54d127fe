//! No credential ever leaves the process (issue 17): with realistic fake
//! credentials in the environment, every file ctmigrate writes (plans,
//! journal, lock, answers) and every byte it prints at `-v`, error paths
//! included, is scanned for the access key, the secret key and the session
//! token. The files it writes are private (0600).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

const ACCESS_KEY: &str = "AKIAZ7QEXAMPLE3KQ2VB";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Hc3aT5sEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLEaDmFwLW5vcnRoZWFzdC0xIkcwRQIhAKx9EXAMPLEtoken";

fn with_credentials(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut c = ctmigrate(dir);
    c.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("CTMIGRATE_POLL_INTERVAL", "40ms")
        .args(["--endpoint-url", url, "--region", "ap-northeast-1", "-v"])
        .args(args)
        .stdin(Stdio::null());
    c
}

fn files_under(dir: &Path, skip: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.starts_with(skip) {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn leaks(text: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(text);
    [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN]
        .into_iter()
        .filter(|s| text.contains(s))
        .collect()
}

#[test]
fn no_credential_is_written_or_printed_and_files_are_private() {
    // The scan finds what it looks for.
    assert_eq!(
        leaks(format!("x{SECRET_KEY}y").as_bytes()),
        vec![SECRET_KEY]
    );
    let dir = quick_sandbox();
    let d = dir.path();
    let sb = d.join("sb");
    let (_server, url) = serve_with(d, &["--sandbox-dir", "sb"]);
    std::fs::write(
        d.join("answers.json"),
        r#"{"inference_profiles":["us"],"permitted_accounts":["666666666667"]}"#,
    )
    .unwrap();
    let runs: Vec<(Vec<&str>, &[i32])> = vec![
        (vec!["detect"], &[0]),
        (
            vec![
                "plan",
                "--answers",
                "answers.json",
                "--name",
                "t",
                "--out",
                "plans",
            ],
            &[0],
        ),
        (
            vec![
                "plan",
                "--inference-profile",
                "us",
                "--permitted-account",
                "12",
            ],
            &[65],
        ),
        (vec!["show", "--plan", "plans/t.plan.json"], &[0]),
        (vec!["validate", "--plan", "plans/t.plan.json"], &[0]),
        (vec!["apply", "--plan", "plans/t.plan.json", "--yes"], &[3]),
        (vec!["apply", "--plan", "plans/t.plan.json", "--yes"], &[65]),
        (
            vec!["status", "--journal", "plans/t.journal.jsonl"],
            &[0, 3],
        ),
        (vec!["check", "--plan", "plans/t.plan.json"], &[0, 2]),
        (
            vec![
                "explain",
                "An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: arn:aws:sts::666666666667:assumed-role/Developer/alice is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0 with an explicit deny in a service control policy",
            ],
            &[0],
        ),
        (
            vec!["rollback", "--journal", "plans/t.journal.jsonl", "--yes"],
            &[0],
        ),
        (vec!["detect", "--profile", "nobody"], &[64, 78]),
    ];
    for (args, codes) in &runs {
        let out = with_credentials(d, &url, args).output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(
            codes.contains(&code),
            "{args:?}: exit {code}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let found = leaks(bytes);
            assert!(found.is_empty(), "{args:?} printed {found:?} on {stream}");
        }
    }
    let written = files_under(d, &sb);
    assert!(
        written.iter().any(|p| p.ends_with("t.journal.jsonl")),
        "{written:?}"
    );
    for path in &written {
        let found = leaks(&std::fs::read(path).unwrap());
        assert!(found.is_empty(), "{} holds {found:?}", path.display());
        #[cfg(unix)]
        if path.starts_with(d.join("plans")) {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
        }
    }
}
