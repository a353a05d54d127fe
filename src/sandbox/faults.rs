//! Fault and latency injection for the sandbox.
//!
//! A spec is a comma-separated list of `key=value` items, given to
//! `sandbox serve --faults SPEC` or in `CTMIGRATE_SANDBOX_FAULTS` (which the
//! embedded `--sandbox` also reads). Keys (see docs/sandbox.md):
//!
//! | key | meaning |
//! |---|---|
//! | `throttle=P` | answer a request with a throttling error (with `Retry-After`) with probability P |
//! | `5xx=P` | answer with an internal server error with probability P |
//! | `reset=P` | drop the connection without an answer with probability P |
//! | `fail-ops=P` | a control operation accepted now ends FAILED with probability P |
//! | `latency=DUR` | delay every request by DUR (`250ms`, `2s`) |
//! | `latency:OP=DUR` | delay requests for operation OP (e.g. `latency:EnableControl=2s`) |
//! | `ops=A+B` | restrict throttle/5xx/reset to these operations |
//! | `retry-after=SECS` | the `Retry-After` value sent with throttling (default 1) |
//! | `seed=N` | seed of the random draws, for reproducible runs |
//!
//! It owns parsing and the random draws; it must not know about protocols.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Environment variable read for a fault spec.
pub const FAULTS_ENV: &str = "CTMIGRATE_SANDBOX_FAULTS";

/// A parsed fault spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub throttle: f64,
    pub error_5xx: f64,
    pub reset: f64,
    pub fail_ops: f64,
    pub latency: Duration,
    pub latency_by_op: BTreeMap<String, Duration>,
    pub only_ops: Option<Vec<String>>,
    pub retry_after_secs: u64,
    pub seed: Option<u64>,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injection {
    None,
    Throttle { retry_after_secs: u64 },
    ServerError,
    Reset,
}

fn probability(key: &str, value: &str) -> Result<f64, String> {
    let p: f64 = value
        .parse()
        .map_err(|_| format!("`{key}={value}`: expected a probability between 0 and 1"))?;
    if !(0.0..=1.0).contains(&p) {
        return Err(format!(
            "`{key}={value}`: expected a probability between 0 and 1"
        ));
    }
    Ok(p)
}

fn duration(key: &str, value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value)
        .map_err(|e| format!("`{key}={value}`: expected a duration such as 250ms or 2s ({e})"))
}

impl FaultSpec {
    /// Parses a spec; the error names the offending item.
    pub fn parse(spec: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec {
            retry_after_secs: 1,
            ..FaultSpec::default()
        };
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: expected key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "throttle" => f.throttle = probability(key, value)?,
                "5xx" => f.error_5xx = probability(key, value)?,
                "reset" => f.reset = probability(key, value)?,
                "fail-ops" => f.fail_ops = probability(key, value)?,
                "latency" => f.latency = duration(key, value)?,
                "ops" => {
                    f.only_ops = Some(value.split('+').map(|s| s.trim().to_string()).collect())
                }
                "retry-after" => {
                    f.retry_after_secs = value
                        .parse()
                        .map_err(|_| format!("`{item}`: expected whole seconds"))?
                }
                "seed" => {
                    f.seed = Some(
                        value
                            .parse()
                            .map_err(|_| format!("`{item}`: expected a whole number"))?,
                    )
                }
                k if k.starts_with("latency:") => {
                    let op = k.trim_start_matches("latency:").to_string();
                    f.latency_by_op.insert(op, duration(key, value)?);
                }
                _ => {
                    return Err(format!(
                        "`{item}`: unknown key `{key}` (known: throttle, 5xx, reset, fail-ops, latency, latency:OP, ops, retry-after, seed)"
                    ));
                }
            }
        }
        if f.throttle + f.error_5xx + f.reset > 1.0 {
            return Err("throttle + 5xx + reset must not exceed 1".into());
        }
        Ok(f)
    }
}

/// A spec plus its random source, shared by every request of one server.
pub struct Faults {
    spec: FaultSpec,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Faults {
        let rng = match spec.seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        Faults {
            spec,
            rng: Mutex::new(rng),
        }
    }

    fn draw(&self) -> f64 {
        match self.rng.lock() {
            Ok(mut r) => r.f64(),
            Err(poisoned) => poisoned.into_inner().f64(),
        }
    }

    /// The delay to apply before answering `op`.
    pub fn latency(&self, op: &str) -> Duration {
        self.spec
            .latency_by_op
            .get(op)
            .copied()
            .unwrap_or(self.spec.latency)
    }

    /// The injection, if any, for one request for `op`.
    pub fn injection(&self, op: &str) -> Injection {
        if let Some(only) = &self.spec.only_ops
            && !only.iter().any(|o| o == op)
        {
            return Injection::None;
        }
        let s = &self.spec;
        if s.throttle + s.error_5xx + s.reset <= 0.0 {
            return Injection::None;
        }
        let x = self.draw();
        if x < s.throttle {
            Injection::Throttle {
                retry_after_secs: s.retry_after_secs,
            }
        } else if x < s.throttle + s.error_5xx {
            Injection::ServerError
        } else if x < s.throttle + s.error_5xx + s.reset {
            Injection::Reset
        } else {
            Injection::None
        }
    }

    /// Whether a control operation accepted now will end FAILED.
    pub fn op_will_fail(&self) -> bool {
        self.spec.fail_ops > 0.0 && self.draw() < self.spec.fail_ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let f = FaultSpec::parse(
            "throttle=0.3, 5xx=0.1,reset=0.05,fail-ops=0.2,latency=20ms,latency:EnableControl=2s,ops=EnableControl+AttachPolicy,retry-after=2,seed=7",
        )
        .unwrap();
        assert_eq!(f.throttle, 0.3);
        assert_eq!(f.latency, Duration::from_millis(20));
        assert_eq!(f.latency_by_op["EnableControl"], Duration::from_secs(2));
        assert_eq!(
            f.only_ops.as_deref().unwrap(),
            ["EnableControl", "AttachPolicy"]
        );
        assert_eq!(f.retry_after_secs, 2);
        assert_eq!(f.seed, Some(7));
    }

    #[test]
    fn rejects_bad_items_by_name() {
        assert!(
            FaultSpec::parse("throttle=2")
                .unwrap_err()
                .contains("throttle=2")
        );
        assert!(
            FaultSpec::parse("bogus=1")
                .unwrap_err()
                .contains("unknown key `bogus`")
        );
        assert!(
            FaultSpec::parse("latency=soon")
                .unwrap_err()
                .contains("latency=soon")
        );
        assert!(
            FaultSpec::parse("throttle")
                .unwrap_err()
                .contains("key=value")
        );
    }

    #[test]
    fn seeded_draws_follow_the_probabilities() {
        let faults = Faults::new(FaultSpec::parse("throttle=0.5,seed=1").unwrap());
        let throttled = (0..1000)
            .filter(|_| faults.injection("X") != Injection::None)
            .count();
        assert!((400..600).contains(&throttled), "{throttled}");
        let filtered = Faults::new(FaultSpec::parse("throttle=1,ops=Y").unwrap());
        assert_eq!(filtered.injection("X"), Injection::None);
        assert!(matches!(
            filtered.injection("Y"),
            Injection::Throttle { .. }
        ));
    }
}
