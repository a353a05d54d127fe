//! Death on demand, for the crash harness (`tests/e2e/crash_random.rs`):
//! the process kills itself with SIGKILL at a moment a test names, so that
//! kills land where an outside timer rarely does, in the middle of an HTTP
//! exchange and in the middle of a journal line.
//!
//! The moments are read from the environment only in builds with the
//! `test-hooks` feature, which `cargo test` turns on (through the package's
//! dev-dependency on itself) and release builds never have; elsewhere every
//! hook is inert. It owns nothing else and must not decide anything about a
//! run.

/// `N` or `N:before`: SIGKILL at the Nth HTTP request this process sends
/// (counting every attempt of every service): `N` once its response has
/// arrived and before it is read (AWS acted; the run never learns how),
/// `N:before` just before it is sent.
pub const KILL_AT_REQUEST_ENV: &str = "CTMIGRATE_TEST_KILL_AT_REQUEST";

/// `N:P`: write the first P percent (1 to 99) of journal record N, make it
/// durable, then SIGKILL (a torn last line).
pub const TEAR_RECORD_ENV: &str = "CTMIGRATE_TEST_TEAR_RECORD";

/// Where in an HTTP exchange to die.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Before the request leaves.
    BeforeSend,
    /// After the response arrived, before it is read.
    Answered,
}

/// The request at which to die, from [`KILL_AT_REQUEST_ENV`].
pub fn kill_at_request() -> Option<(u64, Moment)> {
    let v = env(KILL_AT_REQUEST_ENV)?;
    match v.split_once(':') {
        None => Some((v.parse().ok()?, Moment::Answered)),
        Some((n, "before")) => Some((n.parse().ok()?, Moment::BeforeSend)),
        Some(_) => None,
    }
}

/// The journal record to tear and the share of it to write, from
/// [`TEAR_RECORD_ENV`].
pub fn tear_record() -> Option<(u64, u8)> {
    let v = env(TEAR_RECORD_ENV)?;
    let (n, p) = v.split_once(':')?;
    let p: u8 = p.parse().ok()?;
    (1..=99).contains(&p).then_some(())?;
    Some((n.parse().ok()?, p))
}

#[cfg(feature = "test-hooks")]
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

#[cfg(not(feature = "test-hooks"))]
fn env(_key: &str) -> Option<String> {
    None
}

/// Dies at once, as `kill -9` would: no unwinding, no destructors, no
/// flush, nothing written after this.
pub fn die() -> ! {
    #[cfg(unix)]
    // SAFETY: kill(2) on our own pid with a valid signal number; it takes
    // no pointers and cannot violate memory safety.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
}
