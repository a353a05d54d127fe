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
        let _ = writeln!(std::io::stderr().lock(), "{verb} {message}");
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
        let _ = writeln!(std::io::stderr().lock(), "{label} {message}");
    }

    /// The urgent state, said first and loudly on stderr (kept under
    /// `--quiet` and in JSON mode): a registered first-tier OU without any
    /// region deny.
    pub fn urgent(&self, message: &str) {
        let label = paint(self.color_err, Tone::Bad, "URGENT:");
        let _ = writeln!(std::io::stderr().lock(), "{label} {message}");
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
        let _ = std::io::stderr()
            .lock()
            .write_all(render_error(err, self.color_err).as_bytes());
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
