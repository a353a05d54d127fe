//! What apply, resume and rollback show while they run (a bar per stage on a
//! terminal, plain timestamped lines otherwise, one JSON object per line with
//! `--format json`) and the `status` report.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;

use super::{Format, Output, Tone};
use crate::apply::status::{StageState, Status};
use crate::apply::{Report, ReportKind as K};
use crate::plan::Plan;

/// Live view of one run.
pub struct RunView<'a> {
    out: &'a Output,
    multi: Option<indicatif::MultiProgress>,
    bars: Mutex<BTreeMap<String, indicatif::ProgressBar>>,
    /// A spinner per step (one per OU) while its Control Tower operation runs.
    steps: Mutex<BTreeMap<String, indicatif::ProgressBar>>,
    sizes: BTreeMap<String, u64>,
    /// Stages done by a person: a spinner with elapsed time, not a bar.
    manual: std::collections::BTreeSet<String>,
}

impl<'a> RunView<'a> {
    pub fn new(out: &'a Output, plan: &Plan) -> RunView<'a> {
        // indicatif draws on stderr.
        let tty = out.shows_progress();
        RunView {
            out,
            multi: tty.then(indicatif::MultiProgress::new),
            bars: Mutex::new(BTreeMap::new()),
            steps: Mutex::new(BTreeMap::new()),
            sizes: plan
                .stages
                .iter()
                .map(|s| (s.id.clone(), s.steps.len() as u64))
                .collect(),
            manual: plan
                .stages
                .iter()
                .filter(|s| s.manual)
                .map(|s| s.id.clone())
                .collect(),
        }
    }

    fn line(&self, text: String) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(self.out.wrapped_err(&text));
            }
            None => self.out.text(&(text + "\n")),
        }
    }

    /// Shows one event.
    pub fn report(&self, r: &Report) {
        if self.out.format == Format::Json {
            if let Ok(s) = serde_json::to_string(r) {
                self.out.text(&(s + "\n"));
            }
            return;
        }
        if self.out.quiet
            && !matches!(
                r.kind,
                K::Waiting | K::Failed | K::Stopped | K::Urgent | K::Repaired
            )
        {
            return;
        }
        let secs = r.elapsed_ms as f64 / 1000.0;
        let mark = match r.kind {
            K::Done | K::Checkpoint | K::Repaired => self.out.paint(Tone::Good, "✓"),
            K::Urgent => self.out.paint(Tone::Bad, "!!"),
            K::Skipped => self.out.paint(Tone::Dim, "="),
            K::Failed => self.out.paint(Tone::Bad, "✗"),
            K::Retry | K::Stopped | K::Waiting => self.out.paint(Tone::Warn, "!"),
            K::Stage => self.out.paint(Tone::Bold, "▸"),
            _ => " ".to_string(),
        };
        let who = r.step.as_deref().or(r.stage.as_deref()).unwrap_or("");
        self.line(format!("[{secs:>7.1}s] {mark} {who}  {}", r.message));
        for (i, text) in r.instructions.iter().enumerate() {
            self.line(format!("    {}. {text}", i + 1));
        }
        if let (Some(m), Some(stage)) = (&self.multi, &r.stage) {
            let Ok(mut bars) = self.bars.lock() else {
                return;
            };
            let bar = bars.entry(stage.clone()).or_insert_with(|| {
                let b = m.add(indicatif::ProgressBar::new(
                    self.sizes.get(stage).copied().unwrap_or(1),
                ));
                let style = if self.manual.contains(stage) {
                    indicatif::ProgressStyle::with_template(
                        "{prefix:>10} {spinner} {elapsed:>4} {msg}",
                    )
                } else {
                    indicatif::ProgressStyle::with_template(
                        "{prefix:>10} [{bar:24}] {pos}/{len} {elapsed:>4} {msg}",
                    )
                };
                b.set_style(
                    style
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                b.set_prefix(stage.clone());
                b.enable_steady_tick(std::time::Duration::from_millis(200));
                b
            });
            let bar = bar.clone();
            drop(bars);
            if let (Some(step), Ok(mut spinners)) = (&r.step, self.steps.lock()) {
                match r.kind {
                    K::Operation => {
                        let s = m.insert_after(&bar, indicatif::ProgressBar::new_spinner());
                        s.set_style(
                            indicatif::ProgressStyle::with_template(
                                "{prefix:>12} {spinner} {elapsed:>4} {msg}",
                            )
                            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                        );
                        s.set_prefix(step.clone());
                        s.set_message(r.message.clone());
                        s.enable_steady_tick(std::time::Duration::from_millis(120));
                        if let Some(old) = spinners.insert(step.clone(), s) {
                            old.finish_and_clear();
                        }
                    }
                    K::Done | K::Skipped | K::Failed | K::Stopped => {
                        if let Some(s) = spinners.remove(step) {
                            s.finish_and_clear();
                        }
                    }
                    _ => {}
                }
            }
            match r.kind {
                K::Done | K::Skipped if r.step.is_some() => bar.inc(1),
                K::Checkpoint => {
                    // Freeze the time: a finished bar's {elapsed} keeps counting.
                    let took = bar.elapsed().as_secs_f64();
                    if let Ok(style) =
                        indicatif::ProgressStyle::with_template(if self.manual.contains(stage) {
                            "{prefix:>10}   {msg}"
                        } else {
                            "{prefix:>10} [{bar:24}] {pos}/{len} {msg}"
                        })
                    {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar.finish_with_message(format!("done in {took:.1}s"));
                }
                K::Waiting => bar.set_message("waiting for the console step"),
                _ => bar.set_message(who.to_string()),
            }
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        if let Ok(mut spinners) = self.steps.lock() {
            for (_, s) in std::mem::take(&mut *spinners) {
                s.finish_and_clear();
            }
        }
        if let Ok(bars) = self.bars.lock() {
            for b in bars.values() {
                b.finish();
            }
        }
        let _ = std::io::stdout().flush();
    }
}

/// Says how a run ended (a status line, or a warning when it stopped
/// early) and gives its exit code.
pub fn conclude(c: crate::apply::conclusion::Conclusion, out: &Output) -> crate::error::Exit {
    if c.warning {
        out.warn(&c.message);
    } else {
        out.status(c.verb, &c.message);
    }
    c.exit
}

/// The `status` report.
pub fn render_status(s: &Status, out: &Output) -> String {
    let mut t = String::new();
    let b = |x: &str| out.paint(Tone::Bold, x);
    if let Some(u) = &s.urgent {
        t.push_str(&format!("{}\n", out.paint(Tone::Bad, u)));
    }
    t.push_str(&format!(
        "{} {} for organization {}: {}\n",
        b("Apply of"),
        s.plan,
        s.organization_id,
        b(s.phase.as_str())
    ));
    for st in &s.stages {
        let mark = match st.state {
            StageState::Done => out.paint(Tone::Good, "✓"),
            StageState::Failed | StageState::Blocked => out.paint(Tone::Bad, "✗"),
            StageState::WaitingForConsole | StageState::InProgress | StageState::DoneInConsole => {
                out.paint(Tone::Warn, "…")
            }
            StageState::NotStarted => " ".into(),
        };
        t.push_str(&format!(
            "  {mark} {:<10} {}/{} steps  {}{}  {}\n",
            st.id,
            st.steps_done,
            st.steps,
            st.state,
            if st.manual { " (console)" } else { "" },
            out.paint(Tone::Dim, &st.title)
        ));
    }
    for f in &s.in_flight {
        t.push_str(&format!("  in flight: {f}\n"));
    }
    for f in &s.failures {
        t.push_str(&format!("  {} {f}\n", out.paint(Tone::Bad, "failed:")));
    }
    if let Some(stop) = &s.last_stop {
        t.push_str(&format!("  stopped: {stop}\n"));
    }
    if let Some(v) = &s.verification {
        t.push_str(&format!("  verification: {v}\n"));
    }
    match (&s.live, &s.live_note) {
        (Some(l), _) => {
            t.push_str(&format!(
                "  live: landing-zone deny {} on the targets, landing zone {}{}\n",
                l.landing_zone_deny,
                l.landing_zone_status,
                l.landing_zone_operation
                    .as_ref()
                    .map(|o| format!(", update {o} in progress"))
                    .unwrap_or_default()
            ));
            for c in &l.changes {
                t.push_str(&format!("  {} {c}\n", out.paint(Tone::Warn, "changed:")));
            }
        }
        (None, Some(note)) => t.push_str(&format!("  live: {note}\n")),
        (None, None) => {}
    }
    t.push_str(&format!(
        "  journal: {} records{}\n",
        s.records,
        s.last_record_at
            .as_ref()
            .map(|a| format!(", the last at {a}"))
            .unwrap_or_default()
    ));
    t.push_str(&format!("{} {}\n", b("Next:"), s.next_action));
    t
}
