//! `--help` of every command as a snapshot, so that help text is reviewed
//! like code (a changed flag or wording shows up in the diff), and every
//! line of it fits an 80-column terminal.

use crate::common::*;

/// Every visible command path: `[]`, `["apply"]`, `["sandbox", "serve"]`, …
fn paths(cmd: &clap::Command, prefix: Vec<String>, all: &mut Vec<Vec<String>>) {
    all.push(prefix.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut p = prefix.clone();
        p.push(sub.get_name().to_string());
        paths(sub, p, all);
    }
}

#[test]
fn every_help_is_snapshotted_and_fits_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    paths(&ctmigrate::cli::command(), Vec::new(), &mut all);
    assert!(all.len() >= 20, "{all:?}");
    for path in all {
        let ran = run(ctmigrate(dir.path())
            .args(&path)
            .arg("--help")
            .env("COLUMNS", "80"))
        .expect_success();
        for line in ran.stdout.lines() {
            assert!(
                line.chars().count() <= 80,
                "`ctmigrate {} --help` has a line of {} columns:\n{line}",
                path.join(" "),
                line.chars().count()
            );
        }
        let name = if path.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", path.join("_").replace('-', "_"))
        };
        insta::assert_snapshot!(name, ran.stdout);
    }
}
