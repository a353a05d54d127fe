//! Everything outside the command's own flags that changes how ctmigrate
//! behaves, resolved once by [`crate::run`]: the global flags, which of
//! stdin, stdout and stderr are terminals, colour (`--no-color`,
//! `NO_COLOR`), and the environment variables ctmigrate reads
//! (`CTMIGRATE_POLL_INTERVAL`, `SOURCE_DATE_EPOCH`,
//! `CTMIGRATE_SANDBOX_FAULTS`, `CTMIGRATE_SANDBOX_REQUEST_LOG`).
//!
//! Every module below takes a [`Settings`] instead of looking at the
//! process's surroundings itself, so that one place says what the
//! environment can change, and tests can set it. It must not do anything
//! but read: no output, no AWS.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{DEFAULT_SANDBOX_DIR, GlobalArgs, shell_word};
use crate::error::{Error, ErrorKind};
use crate::output::Format;

/// The first interval between polls of a control operation or of the
/// console step (default 250ms; operations are then polled every fifth of
/// their running time, up to 15s). Rehearsals on a fast sandbox lower it.
pub const POLL_ENV: &str = "CTMIGRATE_POLL_INTERVAL";
/// Unix seconds to stamp plans with instead of now (reproducible output).
pub const SOURCE_DATE_EPOCH_ENV: &str = "SOURCE_DATE_EPOCH";
/// Faults the embedded sandbox injects (docs/sandbox.md).
pub const SANDBOX_FAULTS_ENV: &str = "CTMIGRATE_SANDBOX_FAULTS";
/// The embedded sandbox logs each request it answers here (like
/// `sandbox serve --log-requests`).
pub const SANDBOX_REQUEST_LOG_ENV: &str = "CTMIGRATE_SANDBOX_REQUEST_LOG";
/// Colour off when set to anything but empty (https://no-color.org).
pub const NO_COLOR_ENV: &str = "NO_COLOR";

/// How to reach the organization: AWS or the embedded sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub sandbox: bool,
    pub sandbox_dir: PathBuf,
    pub endpoint_url: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// The role to read member accounts' Bedrock use through.
    pub member_role: Option<String>,
}

impl Connection {
    /// The global flags that reach this organization again (`--sandbox`,
    /// `--sandbox-dir`, `--endpoint-url`, `--profile`, `--region`,
    /// `--member-role`), each with a leading space, for the commands
    /// messages tell a person to run.
    pub fn flags(&self) -> String {
        let mut out = String::new();
        if self.sandbox {
            out.push_str(" --sandbox");
            if self.sandbox_dir != std::path::Path::new(DEFAULT_SANDBOX_DIR) {
                out.push_str(&format!(
                    " --sandbox-dir {}",
                    shell_word(&self.sandbox_dir.display().to_string())
                ));
            }
        }
        for (flag, value) in [
            ("--endpoint-url", &self.endpoint_url),
            ("--profile", &self.profile),
            ("--region", &self.region),
            ("--member-role", &self.member_role),
        ] {
            if let Some(v) = value {
                out.push_str(&format!(" {flag} {}", shell_word(v)));
            }
        }
        out
    }

    /// `ctmigrate` followed by [`Connection::flags`]: the start of every
    /// command a message prints.
    pub fn command(&self) -> String {
        format!("ctmigrate{}", self.flags())
    }
}

impl From<&GlobalArgs> for Connection {
    fn from(g: &GlobalArgs) -> Connection {
        Connection {
            sandbox: g.sandbox,
            sandbox_dir: g.sandbox_dir.clone(),
            endpoint_url: g.endpoint_url.clone(),
            profile: g.profile.clone(),
            region: g.region.clone(),
            member_role: g.member_role.clone(),
        }
    }
}

/// Which standard streams are terminals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terminals {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Terminals {
    /// As the process has them.
    pub fn detect() -> Terminals {
        Terminals {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        }
    }
}

/// Everything resolved once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connection: Connection,
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    /// Colour is allowed (`--no-color` and `NO_COLOR` unset); each stream
    /// still needs to be a terminal.
    pub colour: bool,
    pub terminals: Terminals,
    /// `CTMIGRATE_POLL_INTERVAL`.
    pub poll_interval: Option<Duration>,
    /// `SOURCE_DATE_EPOCH`, as a time.
    pub source_date: Option<time::OffsetDateTime>,
    /// `CTMIGRATE_SANDBOX_FAULTS`.
    pub sandbox_faults: Option<String>,
    /// `CTMIGRATE_SANDBOX_REQUEST_LOG`.
    pub sandbox_request_log: Option<PathBuf>,
}

impl Settings {
    /// Resolves the settings from the flags, the process's terminals and
    /// `env` (a variable's value by name). A malformed variable is an error
    /// that names it.
    pub fn resolve(
        global: &GlobalArgs,
        terminals: Terminals,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, Error> {
        let poll_interval = match env(POLL_ENV) {
            Some(v) => Some(humantime::parse_duration(v.trim()).map_err(|e| {
                Error::new(
                    ErrorKind::Usage,
                    format!("{POLL_ENV}=`{v}` is not a duration: {e}"),
                )
                .hint(format!("write it like {POLL_ENV}=200ms, or unset it"))
            })?),
            None => None,
        };
        let source_date = match env(SOURCE_DATE_EPOCH_ENV) {
            Some(v) => {
                let bad = || {
                    Error::new(
                        ErrorKind::InvalidInput,
                        format!("{SOURCE_DATE_EPOCH_ENV}=`{v}` is not a time in Unix seconds"),
                    )
                    .hint(format!(
                        "unset {SOURCE_DATE_EPOCH_ENV} or set it to Unix seconds"
                    ))
                };
                let secs: i64 = v.trim().parse().map_err(|_| bad())?;
                Some(time::OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad())?)
            }
            None => None,
        };
        Ok(Settings {
            connection: Connection::from(global),
            format: global.format,
            quiet: global.quiet,
            verbose: global.verbose,
            colour: !global.no_color && env(NO_COLOR_ENV).is_none_or(|v| v.is_empty()),
            terminals,
            poll_interval,
            source_date,
            sandbox_faults: env(SANDBOX_FAULTS_ENV),
            sandbox_request_log: env(SANDBOX_REQUEST_LOG_ENV).map(PathBuf::from),
        })
    }

    /// The process's settings.
    pub fn from_process(global: &GlobalArgs) -> Result<Settings, Error> {
        Settings::resolve(global, Terminals::detect(), |k| std::env::var(k).ok())
    }

    /// A person can answer: stdin and stderr (where prompts go) are terminals.
    pub fn interactive(&self) -> bool {
        self.terminals.stdin && self.terminals.stderr
    }

    /// RFC 3339 creation time for plans: `SOURCE_DATE_EPOCH` when set
    /// (reproducible output), else now.
    pub fn created_at(&self) -> Result<String, Error> {
        let t = self
            .source_date
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let t = t.replace_nanosecond(0).unwrap_or(t);
        t.format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("cannot format the time: {e}")))
    }

    /// The same settings reaching another organization.
    pub fn with_connection(&self, connection: Connection) -> Settings {
        Settings {
            connection,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["ctmigrate"];
        argv.extend_from_slice(args);
        argv.push("detect");
        crate::cli::Cli::parse_from(argv).global
    }

    #[test]
    fn the_environment_is_read_once_and_checked() {
        let env = |k: &str| match k {
            POLL_ENV => Some("20ms".to_string()),
            SOURCE_DATE_EPOCH_ENV => Some("1764547200".to_string()),
            NO_COLOR_ENV => Some("1".to_string()),
            _ => None,
        };
        let s = Settings::resolve(&global(&["--sandbox"]), Terminals::default(), env).unwrap();
        assert_eq!(s.poll_interval, Some(Duration::from_millis(20)));
        assert_eq!(s.source_date.map(|t| t.unix_timestamp()), Some(1764547200));
        assert!(!s.colour);
        assert!(!s.interactive());
        assert_eq!(s.connection.command(), "ctmigrate --sandbox");

        let bad = |k: &str| (k == POLL_ENV).then(|| "soon".to_string());
        let e = Settings::resolve(&global(&[]), Terminals::default(), bad).unwrap_err();
        assert!(e.message.contains(POLL_ENV), "{}", e.message);
        let bad = |k: &str| (k == SOURCE_DATE_EPOCH_ENV).then(|| "yesterday".to_string());
        let e = Settings::resolve(&global(&[]), Terminals::default(), bad).unwrap_err();
        assert!(e.message.contains(SOURCE_DATE_EPOCH_ENV), "{}", e.message);
    }

    #[test]
    fn connection_flags_repeat_what_reaches_the_organization() {
        let flags = |a: &[&str]| Connection::from(&global(a)).flags();
        assert_eq!(flags(&[]), "");
        assert_eq!(flags(&["--sandbox"]), " --sandbox");
        assert_eq!(
            flags(&["--sandbox", "--sandbox-dir", "my box"]),
            " --sandbox --sandbox-dir 'my box'"
        );
        assert_eq!(
            flags(&["--profile", "mgmt", "--region", "eu-west-2", "-q"]),
            " --profile mgmt --region eu-west-2"
        );
    }
}
