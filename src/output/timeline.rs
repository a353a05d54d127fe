//! The sandbox's timeline, for people: one line per change, a fixed-width
//! time, how many registered first-tier OUs had a region deny in force
//! after it, and what happened. Lines fit 80 columns.

use super::{Output, Tone, fit};
use crate::sandbox::TimelineEntry;

/// `ctmigrate sandbox timeline` as text.
pub fn render_timeline(entries: &[TimelineEntry], out: &Output) -> String {
    if entries.is_empty() {
        return "no changes recorded since the last reset\n".into();
    }
    let day = |at: &str| at.get(..10).unwrap_or_default().to_string();
    let mut s = format!(
        "UTC, from {}; covered: registered first-tier OUs with a region deny\n{:>4}  {:<12}  {:<8}  change\n",
        day(&entries[0].at),
        "seq",
        "time",
        "covered",
    );
    let mut shown_day = day(&entries[0].at);
    for e in entries {
        if day(&e.at) != shown_day {
            shown_day = day(&e.at);
            s.push_str(&format!("      {shown_day}\n"));
        }
        let total = e.coverage.len();
        let covered = total.saturating_sub(e.uncovered.len());
        let column = format!("{covered}/{total}");
        let line = format!(
            "{:>4}  {:<12}  {:<8}  {} {}",
            e.seq,
            time_of_day(&e.at),
            column,
            e.event,
            e.detail
        );
        s.push_str(&fit(&line, 80));
        s.push('\n');
        if !e.uncovered.is_empty() {
            let names = fit(&format!("      UNCOVERED: {}", e.uncovered.join(", ")), 80);
            s.push_str(&out.paint(Tone::Bad, &names));
            s.push('\n');
        }
    }
    s
}

/// `HH:MM:SS.mmm` of an RFC 3339 time, whatever its fraction's width.
fn time_of_day(at: &str) -> String {
    let Some(clock) = at.get(11..) else {
        return at.to_string();
    };
    let clock = clock.trim_end_matches('Z');
    let clock = clock.split(['+']).next().unwrap_or(clock);
    let (whole, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let millis: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
    format!("{whole}.{millis}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_one_width() {
        assert_eq!(time_of_day("2026-12-03T12:48:03Z"), "12:48:03.000");
        assert_eq!(time_of_day("2026-12-03T12:48:03.5Z"), "12:48:03.500");
        assert_eq!(
            time_of_day("2026-12-03T12:48:03.123456789Z"),
            "12:48:03.123"
        );
    }
}
