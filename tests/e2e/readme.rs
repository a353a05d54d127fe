//! The README and the walkthroughs in docs/ are executable. Every ```sh
//! block of README.md and docs/*.md runs, line by line and exactly as
//! written, in a plain shell with no terminal (`sh -c`, stdin closed), with
//! this build's `ctmigrate` first on the PATH, in a fresh directory per
//! file (so on a fresh sandbox). Each line must end with the exit code its
//! trailing comment documents (`# … exit N`), else 0.
//!
//! A block is left out only when the line before it says why:
//! `<!-- readme-test: skip: REASON -->` (against AWS, a crontab). The
//! `cargo` lines are the build and the tests themselves: this test is
//! what they do, so exactly those lines are not run.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Lines that this test stands for instead of running.
const CARGO_LINES: [&str; 2] = ["cargo install --path . --locked", "cargo test"];

/// One line of a shell block.
#[derive(Debug)]
struct Line {
    /// Where it is, for messages (`README.md:80`).
    at: String,
    command: String,
    exit: i32,
}

/// A shell block: its lines, or the reason it is left out.
#[derive(Debug)]
struct Block {
    at: String,
    lines: Vec<Line>,
    skip: Option<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The documented exit code of a line: `exit N` in its trailing comment.
fn documented_exit(comment: &str) -> i32 {
    let words: Vec<&str> = comment
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|w| w[0] == "exit")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(0)
}

/// The ```sh blocks of a Markdown file, in order.
fn blocks(file: &Path) -> Vec<Block> {
    let name = file
        .strip_prefix(repo())
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```sh" {
            i += 1;
            continue;
        }
        let skip = i
            .checked_sub(1)
            .map(|p| lines[p].trim())
            .and_then(|l| l.strip_prefix("<!-- readme-test: skip:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|r| r.trim().to_string());
        let mut block = Block {
            at: format!("{name}:{}", i + 1),
            lines: Vec::new(),
            skip,
        };
        i += 1;
        let mut pending = String::new();
        while i < lines.len() && lines[i].trim_end() != "```" {
            let raw = lines[i];
            i += 1;
            if let Some(continued) = raw.strip_suffix('\\') {
                pending.push_str(continued);
                continue;
            }
            let full = format!("{pending}{raw}");
            pending.clear();
            let (command, comment) = match full.find(" #") {
                Some(at) => (full[..at].trim(), &full[at..]),
                None => (full.trim(), ""),
            };
            if command.is_empty() || command.starts_with('#') {
                continue;
            }
            block.lines.push(Line {
                at: format!("{name}:{i}"),
                command: command.to_string(),
                exit: documented_exit(comment),
            });
        }
        i += 1;
        out.push(block);
    }
    out
}

/// Runs every block of `file` in a fresh directory; returns how many lines ran.
fn run_file(file: &Path) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for block in blocks(file) {
        if let Some(reason) = &block.skip {
            assert!(!reason.is_empty(), "{}: a skip needs its reason", block.at);
            continue;
        }
        for line in &block.lines {
            if line.command.starts_with("cargo ") {
                assert!(
                    CARGO_LINES.contains(&line.command.as_str()),
                    "{}: `{}` is a cargo line this test does not stand for; run it or mark the block",
                    line.at,
                    line.command
                );
                continue;
            }
            let Ran {
                code,
                stdout,
                stderr,
            } = run(&mut shell(dir.path(), &line.command));
            assert_eq!(
                code, line.exit,
                "{}: `{}` exited {code}, the documentation says {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                line.at, line.command, line.exit
            );
            ran += 1;
        }
    }
    ran
}

#[test]
fn exit_codes_are_read_from_the_trailing_comment() {
    assert_eq!(documented_exit("# stops at the console step: exit 3"), 3);
    assert_eq!(documented_exit("# first the deny back on (exit 3)"), 3);
    assert_eq!(documented_exit("# exit 2: Analytics uncovered"), 2);
    assert_eq!(documented_exit("# verifies and finishes"), 0);
    assert_eq!(documented_exit(""), 0);
}

#[test]
fn every_readme_command_runs_as_written_with_its_documented_exit_code() {
    let ran = run_file(&repo().join("README.md"));
    // The rehearsal alone is eleven lines: the parser must not lose them.
    assert!(ran >= 12, "only {ran} README lines ran");
}

#[test]
fn every_walkthrough_in_docs_runs_as_written() {
    let mut ran = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    for file in files {
        ran += run_file(&file);
    }
    assert!(ran >= 12, "only {ran} lines of docs/ ran");
}
