//! All terminal output goes through here: reports to stdout (text or JSON),
//! status lines, warnings, spinners and errors to stderr. It decides colour
//! (`--no-color`, `NO_COLOR`, not a terminal → none), honours `--quiet` and
//! `-v`, and renders every error the same way (`error:`, `caused by:`,
//! `hint:`). It must not compute anything: callers hand it finished data.

mod apply;
mod check;
mod detect;
mod explain;
mod matrix;
mod plan;
mod prompt;
mod timeline;

use std::io::Write;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::error::Error;

pub use apply::{RunView, conclude, render_status};
pub use check::render_check;
pub use detect::render_detect;
pub use explain::render_explanation;
pub use matrix::render_matrix;
pub use plan::{render_plan_review, render_plan_show, render_plan_summary, render_validation};
pub use prompt::Terminal;
pub use timeline::render_timeline;

/// Report format chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// Markdown (`show` only).
    Markdown,
}

/// Where and how to write.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    color_out: bool,
    color_err: bool,
    pub quiet: bool,
    verbose: u8,
    progress: bool,
    /// The terminal's columns when stdout is one (narrative is wrapped to it).
    width_out: Option<usize>,
    /// The same for stderr (warnings, status lines, errors).
    width_err: Option<usize>,
}

/// Text styles used in reports.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Bold,
    Good,
    Bad,
    Warn,
    Dim,
}

impl Output {
    pub fn new(s: &crate::settings::Settings) -> Output {
        Output {
            format: s.format,
            color_out: s.colour && s.terminals.stdout,
            color_err: s.colour && s.terminals.stderr,
            quiet: s.quiet,
            verbose: s.verbose,
            progress: s.terminals.stderr && !s.quiet,
            width_out: terminal_width(s.terminals.stdout, &console::Term::stdout()),
            width_err: terminal_width(s.terminals.stderr, &console::Term::stderr()),
        }
    }

    /// Plain text, no colour, no progress: for errors met before the
    /// settings are known.
    pub fn plain() -> Output {
        Output {
            format: Format::Text,
            color_out: false,
            color_err: false,
            quiet: false,
            verbose: 0,
            progress: false,
            width_out: None,
            width_err: None,
        }
    }

    /// Whether progress (bars, spinners) is drawn: stderr is a terminal and
    /// `--quiet` is off.
    pub fn shows_progress(&self) -> bool {
        self.progress && self.format == Format::Text
    }

    /// Whether stderr (where prompts and progress go) gets colour.
    pub fn color_err(&self) -> bool {
        self.color_err
    }

    /// Wraps `text` in the tone's escape codes when stdout has colour.
    pub fn paint(&self, tone: Tone, text: &str) -> String {
        paint(self.color_out, tone, text)
    }

    /// Writes a finished text report to stdout.
    pub fn text(&self, report: &str) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = out.write_all(report.as_bytes());
        let _ = out.flush();
    }

    /// Narrative for a person at a terminal: like [`Output::text`], with
    /// every line that is wider than the terminal wrapped at a space (its
    /// indent kept, plus two), and a word wider than a line cut with `…`.
    /// Off a terminal it is written as it is.
    pub fn narrate(&self, text: &str) {
        match self.width_out {
            Some(width) => self.text(&wrap(text, width)),
            None => self.text(text),
        }
    }

    /// Writes a value as pretty JSON to stdout.
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(s) => self.text(&(s + "\n")),
            Err(e) => self.error(&Error::new(
                crate::error::ErrorKind::Internal,
                format!("cannot encode the report as JSON: {e} (this is a bug in ctmigrate)"),
            )),
        }
    }

    /// A line to stderr saying what happens now (hidden by `--quiet` and in JSON mode).
    pub fn status(&self, verb: &str, message: &str) {
        if self.quiet || self.format == Format::Json {
            return;
        }
        let verb = paint(self.color_err, Tone::Good, &format!("{verb:>12}"));
        self.to_stderr(&format!("{verb} {message}\n"));
    }

    /// `text` wrapped to stderr's terminal, as it is when stderr is none.
    pub fn wrapped_err(&self, text: &str) -> String {
        match self.width_err {
            Some(width) => wrap(text, width),
            None => text.to_string(),
        }
    }

    /// Writes to stderr, wrapped to the terminal when it is one.
    fn to_stderr(&self, text: &str) {
        let text = match self.width_err {
            Some(width) => wrap(text, width),
            None => text.to_string(),
        };
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// How many `-v` were given (0 with `-q`).
    pub fn verbose(&self) -> u8 {
        if self.quiet { 0 } else { self.verbose }
    }

    /// Detail shown with `-v`.
    pub fn detail(&self, message: &str) {
        if self.verbose == 0 || self.quiet {
            return;
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            paint(self.color_err, Tone::Dim, message)
        );
    }

    /// A warning to stderr (kept under `--quiet`: warnings matter).
    pub fn warn(&self, message: &str) {
        let label = paint(self.color_err, Tone::Warn, "warning:");
        self.to_stderr(&format!("{label} {message}\n"));
    }

    /// The urgent state, said first and loudly on stderr (kept under
    /// `--quiet` and in JSON mode): a registered first-tier OU without any
    /// region deny.
    pub fn urgent(&self, message: &str) {
        let label = paint(self.color_err, Tone::Bad, "URGENT:");
        self.to_stderr(&format!("{label} {message}\n"));
    }

    /// Renders an error to stderr: `error:`, then `caused by:` lines, then `hint:`.
    /// Reports an interruption on a fresh line, with the cursor shown again
    /// (the prompt that was interrupted may have hidden it).
    pub fn interrupted(&self, err: &Error) {
        let _ = console::Term::stderr().show_cursor();
        let _ = std::io::stderr().lock().write_all(b"\n");
        self.error(err);
    }

    pub fn error(&self, err: &Error) {
        self.to_stderr(&render_error(err, self.color_err));
    }

    /// A spinner on stderr while something runs; invisible when stderr is not
    /// a terminal or under `--quiet`.
    pub fn spinner(&self, message: &str) -> Spinner {
        let bar = if self.progress && self.format == Format::Text {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(100));
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_message(message.to_string());
        Spinner { bar }
    }
}

/// A running spinner.
pub struct Spinner {
    bar: indicatif::ProgressBar,
}

impl Spinner {
    pub fn set(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }

    /// Clears it from the terminal (before other output), keeping it usable.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

fn paint(color: bool, tone: Tone, text: &str) -> String {
    if !color {
        return text.to_string();
    }
    let style = match tone {
        Tone::Bold => Style::new().bold(),
        Tone::Good => Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
        Tone::Bad => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Tone::Warn => Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
        Tone::Dim => Style::new().dimmed(),
    };
    format!("{style}{text}{style:#}")
}

/// The one error rendering.
pub fn render_error(err: &Error, color: bool) -> String {
    let mut s = format!("{} {}\n", paint(color, Tone::Bad, "error:"), err.message);
    for c in &err.causes {
        s.push_str(&format!(
            "  {} {c}\n",
            paint(color, Tone::Dim, "caused by:")
        ));
    }
    if let Some(h) = &err.hint {
        s.push_str(&format!("  {} {h}\n", paint(color, Tone::Good, "hint:")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn narrative_wraps_at_spaces_keeps_the_indent_and_cuts_one_long_word() {
        let w = wrap(
            "  caller        arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin/x",
            40,
        );
        for line in w.lines() {
            assert!(visible_width(line) <= 40, "{line}");
        }
        assert_eq!(w.lines().next(), Some("  caller"));
        assert!(
            w.lines()
                .nth(1)
                .unwrap_or_default()
                .starts_with("    arn:aws:sts::")
        );
        assert!(w.ends_with('…'));
        assert_eq!(wrap("short\n\nlines", 40), "short\n\nlines");
        let prose = wrap("one two three four five six seven", 10);
        assert_eq!(prose, "one two\n  three\n  four\n  five six\n  seven");
        assert_eq!(visible_width("\u{1b}[1mbold\u{1b}[0m"), 4);
        // A command is never broken, and goes on a line of its own.
        let hint = wrap(
            "  hint: go on with `ctmigrate --sandbox resume --journal plans/a.journal.jsonl --yes`; or rename",
            40,
        );
        assert!(
            hint.lines().any(|l| l.trim_start()
                == "`ctmigrate --sandbox resume --journal plans/a.journal.jsonl --yes`;"),
            "{hint}"
        );
        // Nor is a URL.
        let url =
            "https://ap-northeast-1.console.aws.amazon.com/controltower/home?region=ap-northeast-1";
        assert!(
            wrap(&format!("1. open {url}"), 40)
                .lines()
                .any(|l| l.trim() == url)
        );
    }

    #[test]
    fn errors_render_as_plain_text_without_color() {
        let e = Error::new(ErrorKind::Config, "no landing zone")
            .cause("ListLandingZones returned nothing")
            .hint("pass --region");
        let text = render_error(&e, false);
        assert_eq!(
            text,
            "error: no landing zone\n  caused by: ListLandingZones returned nothing\n  hint: pass --region\n"
        );
        assert!(!text.contains('\u{1b}'));
        assert!(render_error(&e, true).contains('\u{1b}'));
    }
}

#[cfg(test)]
mod reviewed;

/// The columns of a terminal stream (`None` when it is not a terminal).
fn terminal_width(is_terminal: bool, term: &console::Term) -> Option<usize> {
    if !is_terminal {
        return None;
    }
    term.size_checked()
        .map(|(_, cols)| usize::from(cols))
        .filter(|c| *c >= 20)
}

/// The columns `s` takes on a terminal: characters outside ANSI escape
/// sequences.
pub fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters… final byte (a letter).
            for e in chars.by_ref() {
                if e.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// Each line of `text` wrapped to `width` columns (see [`Output::narrate`]).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if visible_width(line) <= width {
            out.push_str(line);
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let hang = format!("{indent}  ");
        let mut current = indent.clone();
        let mut at_start = true;
        for unit in units(line.trim_start()) {
            let needed = visible_width(&current) + usize::from(!at_start) + visible_width(&unit);
            if !at_start && needed > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current = hang.clone();
                at_start = true;
            }
            if !at_start {
                current.push(' ');
            }
            current.push_str(&unit);
            at_start = false;
            // One word wider than a line is cut; a command never is.
            if visible_width(&current) > width && !is_command(&unit) {
                current = fit(&current, width);
            }
        }
        out.push_str(&current);
    }
    out
}

/// A unit that is never cut: a command (bare or quoted) or a URL, which
/// a person copies whole.
fn is_command(unit: &str) -> bool {
    let u = unit.trim_start_matches('`');
    u.starts_with("ctmigrate ") || u.starts_with("https://") || u.starts_with("http://")
}

/// The words of a line, with each command (from `ctmigrate` to the word
/// that ends it: one ending in a backquote, `;` or `,`, or before one in
/// parentheses) kept as one unit, so that wrapping never breaks a command
/// a person copies.
fn units(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_command = false;
    for word in line.split(' ') {
        let starts = word.trim_start_matches('`') == "ctmigrate";
        if in_command && !word.starts_with('(') {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(word);
            }
        } else {
            in_command = starts;
            out.push(word.to_string());
        }
        if in_command && !starts && word.ends_with(['`', ';', ',']) {
            in_command = false;
        }
    }
    out
}

/// `line` cut to `width` characters, ending in `…` when it was longer (for
/// lists that must fit a terminal; commands are never cut).
pub fn fit(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
