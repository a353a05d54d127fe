//! The guided session in a real 80×24 terminal: tmux runs `ctmigrate
//! --sandbox`, the test types as a person would (`send-keys`) and reads the
//! screen (`capture-pane -J`, which joins a line the terminal wrapped, so a
//! line wider than 80 columns shows as one). After every answer it asserts
//! that no line is wider than the terminal, that no row of the list just
//! answered stays on screen, and that the echoed answer is one short,
//! correct line. With colour on and off.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

const COLS: usize = 80;

/// A tmux server of its own (own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, colour: bool) -> Tmux {
        Tmux::run(dir, colour, "--sandbox")
    }

    /// Runs `ctmigrate ARGS` (shell words) in the terminal.
    fn run(dir: &Path, colour: bool, args: &str) -> Tmux {
        // One server per terminal: tests run side by side.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let socket = format!(
            "ctm-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            if colour { "colour" } else { "plain" }
        );
        // The environment of every CLI test, with NO_COLOR as asked.
        let mut unset = vec!["-u".to_string(), "NO_COLOR".into()];
        let mut env = Vec::new();
        for (k, v) in ctmigrate(dir).get_envs() {
            let k = k.to_string_lossy();
            match v {
                Some(_) if k == "NO_COLOR" => {}
                Some(v) => env.push(format!("'{k}={}'", v.to_string_lossy())),
                None => unset.extend(["-u".to_string(), k.into_owned()]),
            }
        }
        if !colour {
            env.push("NO_COLOR=1".into());
        }
        let line = format!(
            "cd '{}' && env {} {} TERM=xterm-256color CTMIGRATE_POLL_INTERVAL=40ms '{}' {args}; echo EXIT=$?; sleep 600",
            dir.display(),
            unset.join(" "),
            env.join(" "),
            env!("CARGO_BIN_EXE_ctmigrate"),
        );
        let t = Tmux { socket };
        t.tmux(&[
            "new-session",
            "-d",
            "-x",
            "80",
            "-y",
            "24",
            "-s",
            "s",
            "sh",
            "-c",
            &line,
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything the terminal showed since the start (its scrollback and
    /// the screen), with wrapped lines joined and trailing blanks cut: a
    /// row a prompt failed to erase, or one that scrolled away before it
    /// could be, is still here.
    fn screen(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "s"])
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "s"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The rows the terminal shows now (the last 24), wrapped lines joined.
    fn visible(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-J", "-t", "s"])
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    /// Waits until the screen shows `text`; returns the screen then.
    #[track_caller]
    fn wait_for(&self, text: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.iter().any(|l| l.contains(text)) {
                // Let the prompt finish drawing.
                std::thread::sleep(Duration::from_millis(300));
                return self.screen();
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never appeared:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The screen's lines without colour codes (capture-pane -p has none, but
/// be sure).
fn fits(screen: &[String], when: &str) {
    for line in screen {
        let width = line.chars().count();
        assert!(
            width <= COLS,
            "{when}: a line of {width} columns wraps in an 80-column terminal:\n{line}\n--- screen\n{}",
            screen.join("\n")
        );
    }
}

/// Like [`fits`], for a screen drawn by the progress bars, which pad each
/// line they print with blanks to the terminal's width: tmux then marks the
/// line wrapped, and `-J` joins it to the next. A joined line is cut back
/// into rows of 80. A row that overflowed runs on into the next: it ends
/// in text, and the next row starts with text, where a printed line ends in
/// padding or the next starts with the blanks of its hanging indent.
fn fits_padded(screen: &[String], when: &str) {
    for line in screen {
        let chars: Vec<char> = line.chars().collect();
        let mut rows = chars.chunks(COLS).peekable();
        while let Some(row) = rows.next() {
            if let Some(next) = rows.peek() {
                assert!(
                    row.last() == Some(&' ') || next.first() == Some(&' '),
                    "{when}: a line wider than 80 columns wraps:\n{line}\n--- screen\n{}",
                    screen.join("\n")
                );
            }
        }
    }
}

/// No row of an answered list is left on screen.
fn no_rows_left(screen: &[String], rows: &[&str], when: &str) {
    for line in screen {
        for row in rows {
            let t = line.trim_start();
            assert!(
                !(t.starts_with(row)
                    || t.starts_with(&format!("[ ] {row}"))
                    || t.starts_with(&format!("> [ ] {row}"))),
                "{when}: a row of the answered list stayed on screen: {line}\n--- screen\n{}",
                screen.join("\n")
            );
        }
    }
}

/// The echo line that contains `text`: short and alone on its line.
#[track_caller]
fn echoed(screen: &[String], text: &str) -> String {
    let line = screen
        .iter()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no echo `{text}`:\n{}", screen.join("\n")))
        .clone();
    assert!(line.chars().count() <= COLS, "{line}");
    line
}

fn session_in_80_by_24(colour: bool) {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is needed for the terminal test (apt-get install tmux; .ci/run installs it)");
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(dir.path(), colour);

    let s = t.wait_for("Inference profiles that must work");
    fits(&s, "the profile list");
    t.keys(&["Space", "Down", "Space", "Down", "Space", "Enter"]);
    let s = t.wait_for("3 profile(s)");
    fits(&s, "after the profiles");
    let echo = echoed(&s, "3 profile(s)");
    assert!(
        echo.ends_with("3 profile(s): us.amazon.nova-pro-v1:0 and 2 more"),
        "{echo}"
    );
    no_rows_left(
        &s,
        &[
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "eu.amazon.nova-pro-v1:0",
        ],
        "after the profiles",
    );

    let s = t.wait_for("Other Bedrock paths that must work");
    fits(&s, "the path list");
    t.keys(&["Enter"]);
    let s = t.wait_for("other path(s)");
    fits(&s, "after the paths");
    no_rows_left(&s, &["batch ", "data-automation "], "after the paths");

    let s = t.wait_for("Permitted accounts");
    fits(&s, "the account list");
    t.keys(&["g", "e", "n", "a", "i", "Enter"]);
    let s = t.wait_for("selected: dev-genai");
    fits(&s, "after toggling an account");
    let echo = echoed(&s, "selected: dev-genai");
    assert!(
        echo.ends_with("selected: dev-genai (666666666667)"),
        "{echo}"
    );
    assert!(!echo.contains("[ ]"), "{echo}");
    let s = t.wait_for("Done (1 selected)");
    fits(&s, "the account list again");
    t.keys(&["Enter"]);
    let s = t.wait_for("1 permitted account(s)");
    let echo = echoed(&s, "1 permitted account(s)");
    assert!(
        echo.ends_with("1 permitted account(s): dev-genai (666666666667)"),
        "{echo}"
    );
    no_rows_left(
        &s,
        &["Done (", "[x] dev-genai", "[ ] prod-app"],
        "after the accounts",
    );

    let s = t.wait_for("Companion SCP mode");
    fits(&s, "the mode list");
    t.keys(&["Enter"]);
    let s = t.wait_for("companion mode:");
    fits(&s, "after the mode");

    let s = t.wait_for("Export the plan to directory");
    fits(&s, "the export question");
    t.keys(&["Enter"]);
    let s = t.wait_for("Plan name");
    fits(&s, "the name question");
    t.keys(&["Enter"]);
    let s = t.wait_for("Apply now, or later");
    fits(&s, "the apply question");
    t.keys(&["Enter"]);
    let s = t.wait_for("EXIT=");
    fits(&s, "the end");
    assert!(s.iter().any(|l| l == "EXIT=0"), "{}", s.join("\n"));
    assert!(dir.path().join("plans/migration.plan.json").exists());
}

#[test]
fn the_guided_session_fits_80_by_24_without_colour() {
    session_in_80_by_24(false);
}

#[test]
fn the_guided_session_fits_80_by_24_with_colour() {
    session_in_80_by_24(true);
}

/// `apply` on a terminal: the organization-ID prompt, the live progress and
/// the console instructions all fit 80 columns, and while apply waits at the
/// console gate the visible 24 rows hold the whole instruction, including
/// the complete command that plays the console step on the sandbox.
fn apply_in_80_by_24(colour: bool) {
    let dir = tempfile::tempdir().unwrap();
    let plan = ctmigrate(dir.path())
        .args([
            "--sandbox",
            "plan",
            "--inference-profile",
            "us",
            "--permitted-account",
            "666666666667",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let t = Tmux::run(
        dir.path(),
        colour,
        "--sandbox apply --plan plans/migration.plan.json",
    );
    let s = t.wait_for("Type the organization id");
    fits(&s, "the confirmation");
    let org = s
        .iter()
        .find_map(|l| {
            let at = l.find("o-")?;
            let id: String = l[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (id.len() > 2).then_some(id)
        })
        .unwrap_or_else(|| panic!("no organization id on screen:\n{}", s.join("\n")));
    for c in org.chars() {
        t.keys(&[&c.to_string()]);
    }
    t.keys(&["Enter"]);

    let s = t.wait_for("sandbox console region-deny off");
    fits_padded(&s, "the console gate");
    let visible = t.visible();
    assert!(visible.len() <= 24, "{}", visible.join("\n"));
    let command = visible
        .iter()
        .find(|l| l.contains("sandbox console region-deny off"))
        .unwrap_or_else(|| {
            panic!(
                "the console command is not on the visible screen:\n{}",
                visible.join("\n")
            )
        });
    let command = format!("ctmigrate {}", printed_command(command, "ctmigrate "));
    assert!(command.contains("--sandbox"), "{command}");
    let played = shell(dir.path(), &command).output().unwrap();
    assert!(
        played.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&played.stderr)
    );

    let s = t.wait_for("EXIT=");
    fits_padded(&s, "the end of apply");
    assert!(s.iter().any(|l| l == "EXIT=0"), "{}", s.join("\n"));
}

#[test]
fn apply_fits_80_by_24_without_colour() {
    apply_in_80_by_24(false);
}

#[test]
fn apply_fits_80_by_24_with_colour() {
    apply_in_80_by_24(true);
}
