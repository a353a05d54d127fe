//! When to poll an operation next: densely where earlier operations of
//! the run ended, sparsely otherwise. Pure arithmetic over durations.

use std::time::Duration;

/// The wait before the next poll of an operation that has run `elapsed`:
/// a fifth of that, between `min` and `max`. The end is then noticed within
/// 20% of the operation's own duration (or `min`), whether it takes two
/// seconds on a sandbox or three minutes on AWS, with about 25 polls for an
/// operation of minutes.
pub fn poll_interval(elapsed: Duration, min: Duration, max: Duration) -> Duration {
    (elapsed / 5).clamp(min, max.max(min))
}

/// The wait before the next poll of an operation that has run `elapsed`,
/// when earlier operations of this run were still running at `expected`
/// just before they ended. Before that point the usual schedule
/// ([`poll_interval`]) runs but never overshoots it; from 0.9x to 1.3x of
/// it, polls come every 1/40 of it (at least 50 ms), about 16 polls, so an
/// operation's end is noticed within a few percent of its duration without
/// polling densely all the time. Without `expected`: the usual schedule.
pub fn next_poll(
    elapsed: Duration,
    expected: Option<Duration>,
    min: Duration,
    max: Duration,
) -> Duration {
    let usual = poll_interval(elapsed, min, max);
    let Some(e) = expected.filter(|e| !e.is_zero()) else {
        return usual;
    };
    let (from, to) = (e.mul_f64(0.9), e.mul_f64(1.3));
    if elapsed < from {
        usual.min(from - elapsed)
    } else if elapsed < to {
        usual.min((e / 40).max(Duration::from_millis(50)))
    } else {
        usual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_come_every_fifth_of_the_running_time_within_bounds() {
        let ms = Duration::from_millis;
        let (min, max) = (ms(250), Duration::from_secs(15));
        assert_eq!(poll_interval(ms(0), min, max), min);
        assert_eq!(poll_interval(ms(1000), min, max), min);
        assert_eq!(poll_interval(ms(2000), min, max), ms(400));
        assert_eq!(poll_interval(Duration::from_secs(600), min, max), max);
        // A maximum below the minimum does not panic; the minimum wins.
        assert_eq!(poll_interval(ms(10), ms(500), ms(100)), ms(500));
        // A 3-minute operation takes about 25 polls.
        let (mut t, mut polls) = (Duration::ZERO, 0);
        while t < Duration::from_secs(180) {
            t += poll_interval(t, min, max);
            polls += 1;
        }
        assert!((15..=35).contains(&polls), "{polls}");
    }

    #[test]
    fn polls_gather_where_earlier_operations_ended() {
        let ms = Duration::from_millis;
        let (min, max) = (ms(250), Duration::from_secs(15));
        // Nothing learned yet: the usual schedule.
        assert_eq!(next_poll(ms(2000), None, min, max), ms(400));
        // Earlier operations were still running at 1.8 s: no overshoot of 1.62 s,
        // then polls every 50 ms until 2.34 s, then the usual schedule again.
        let e = Some(ms(1800));
        assert_eq!(next_poll(ms(1500), e, min, max), ms(120));
        assert_eq!(next_poll(ms(1700), e, min, max), ms(50));
        assert_eq!(next_poll(ms(2300), e, min, max), ms(50));
        assert_eq!(next_poll(ms(2400), e, min, max), ms(480));
        // A 3-minute operation: dense polls every 4.5 s, about 16 of them.
        let e = Some(Duration::from_secs(180));
        assert_eq!(next_poll(Duration::from_secs(170), e, min, max), ms(4500));
        let (mut t, mut dense) = (Duration::ZERO, 0);
        while t < Duration::from_secs(240) {
            let step = next_poll(t, e, min, max);
            if step == ms(4500) {
                dense += 1;
            }
            t += step;
        }
        assert!((12..=18).contains(&dense), "{dense}");
    }
}
