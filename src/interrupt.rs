//! The one handler for SIGINT (Ctrl-C) and SIGTERM, installed once by
//! [`crate::run`]. What a signal does depends on what the process is doing:
//!
//! - by default, and while the guided session asks: restore the terminal's
//!   mode and cursor, say what was (not) changed, and exit 130;
//! - while an apply, resume or rollback runs ([`stop_at_checkpoint`]): raise
//!   the run's stop flag, so that it finishes what is in flight, records a
//!   checkpoint and exits 4;
//! - while the sandbox serves ([`until_interrupted`]): wake the server so
//!   that it stops.
//!
//! A prompt interrupted by Ctrl-C (the terminal's raw mode turns it into a
//! key) ends the same way through [`end`]. It owns no other state and
//! decides nothing else.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, ErrorKind, Exit};
use crate::output::Output;

/// What a signal does now.
#[derive(Clone)]
enum Mode {
    /// End the process at once: nothing is being changed.
    Exit(&'static str),
    /// Raise a run's stop flag.
    Stop(Arc<AtomicBool>),
    /// Wake a waiter.
    Wake(Arc<tokio::sync::Notify>),
}

struct Handler {
    out: Output,
    terminal: TerminalMode,
    mode: Mutex<Mode>,
}

static HANDLER: OnceLock<Handler> = OnceLock::new();
static END: std::sync::Once = std::sync::Once::new();

const INTERRUPTED: &str = "interrupted";
const SESSION_INTERRUPTED: &str = "the session was interrupted; nothing was changed";

/// Installs the handler; later calls do nothing. Must run inside the Tokio
/// runtime.
pub fn install(out: &Output) {
    let handler = Handler {
        out: out.clone(),
        terminal: TerminalMode::save(),
        mode: Mutex::new(Mode::Exit(INTERRUPTED)),
    };
    if HANDLER.set(handler).is_err() {
        return;
    }
    tokio::spawn(async {
        loop {
            if !next_signal().await {
                return;
            }
            let mode = HANDLER
                .get()
                .and_then(|h| h.mode.lock().ok().map(|m| m.clone()));
            match mode {
                Some(Mode::Stop(flag)) => flag.store(true, Ordering::SeqCst),
                Some(Mode::Wake(n)) => n.notify_one(),
                Some(Mode::Exit(message)) => end_with(message),
                None => end_with(INTERRUPTED),
            }
        }
    });
}

/// Waits for SIGINT or SIGTERM; false when signals cannot be watched.
async fn next_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = term.recv() => r.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Sets the mode until the guard is dropped.
#[must_use = "the mode holds only while the guard lives"]
pub struct ModeGuard {
    previous: Option<Mode>,
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        if let (Some(h), Some(previous)) = (HANDLER.get(), self.previous.take())
            && let Ok(mut m) = h.mode.lock()
        {
            *m = previous;
        }
    }
}

fn set(mode: Mode) -> ModeGuard {
    let previous = HANDLER.get().and_then(|h| {
        h.mode
            .lock()
            .ok()
            .map(|mut m| std::mem::replace(&mut *m, mode))
    });
    ModeGuard { previous }
}

/// While the guided session asks: a signal ends it, saying nothing was changed.
pub fn session() -> ModeGuard {
    set(Mode::Exit(SESSION_INTERRUPTED))
}

/// While a run goes on: a signal raises the returned flag, and the run
/// stops at its next checkpoint.
pub fn stop_at_checkpoint() -> (Arc<AtomicBool>, ModeGuard) {
    let flag = Arc::new(AtomicBool::new(false));
    let guard = set(Mode::Stop(flag.clone()));
    (flag, guard)
}

/// Waits until SIGINT or SIGTERM (the sandbox server's life).
pub async fn until_interrupted() {
    if HANDLER.get().is_none() {
        let _ = next_signal().await;
        return;
    }
    let notify = Arc::new(tokio::sync::Notify::new());
    let _guard = set(Mode::Wake(notify.clone()));
    notify.notified().await;
}

/// Ends the process after an interrupted prompt, as the current mode says.
pub fn end() -> ! {
    let message = HANDLER
        .get()
        .and_then(|h| h.mode.lock().ok().map(|m| m.clone()))
        .map_or(INTERRUPTED, |m| match m {
            Mode::Exit(message) => message,
            _ => INTERRUPTED,
        });
    end_with(message)
}

/// Restores the terminal, reports, exits 130. The signal handler and an
/// interrupted prompt may both get here: the first reports and exits, the
/// other waits for the exit.
fn end_with(message: &'static str) -> ! {
    END.call_once(|| {
        if let Some(h) = HANDLER.get() {
            h.terminal.restore();
            let mut e = Error::new(ErrorKind::Interrupted, message);
            if message == SESSION_INTERRUPTED {
                e = e.hint("run `ctmigrate` again to start over");
            }
            h.out.interrupted(&e);
        }
        std::process::exit(i32::from(Exit::Interrupted.code()));
    });
    loop {
        std::thread::park();
    }
}

/// The terminal's mode on stdin, as it was before prompts changed it.
struct TerminalMode {
    #[cfg(unix)]
    saved: Option<libc::termios>,
}

impl TerminalMode {
    fn save() -> TerminalMode {
        #[cfg(unix)]
        {
            let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr writes a termios into the pointer on success;
            // it is read only when the call returned 0.
            let saved = unsafe {
                (libc::tcgetattr(libc::STDIN_FILENO, t.as_mut_ptr()) == 0).then(|| t.assume_init())
            };
            TerminalMode { saved }
        }
        #[cfg(not(unix))]
        TerminalMode {}
    }

    fn restore(&self) {
        #[cfg(unix)]
        if let Some(t) = &self.saved {
            // SAFETY: `t` is a termios tcgetattr filled for this descriptor.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t);
            }
        }
    }
}
