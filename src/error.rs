//! The tool's error type and its exit codes.
//!
//! Every failure a user can meet becomes an [`Error`] with a kind (which
//! decides the exit code, see docs/exit-codes.md), a one-line message naming
//! the input or resource, an optional hint saying how to fix it, and the
//! underlying causes. Rendering happens once, in `output::render_error`.
//! Lower modules return their own typed errors; this module converts them.

use crate::apply::{JournalError, RunError};
use crate::aws::{AwsError, AwsErrorKind};
use crate::sandbox::SandboxError;

/// Process exit codes (docs/exit-codes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// A runtime failure: an AWS error, a refused or failed operation.
    Failure = 1,
    /// `--detailed-exitcode`: changes are planned.
    Changes = 2,
    /// apply/resume stopped at the console step: turn the region deny off, then resume.
    WaitingForConsole = 3,
    /// apply/resume/rollback stopped at a checkpoint (change window, interruption): resume later.
    Stopped = 4,
    /// apply/resume/rollback stopped because someone else changed the organization in a way
    /// ctmigrate does not undo (each change is named with its fix).
    Changed = 5,
    /// Bad command-line usage.
    Usage = 64,
    /// Bad input data: a file or value that cannot be used.
    InvalidInput = 65,
    /// The endpoint cannot be reached.
    Unavailable = 69,
    /// Missing credentials, or the caller is not allowed (not the management account).
    Permission = 77,
    /// Another run holds the journal's lock.
    Locked = 75,
    /// The environment is not set up for the job (no Region, no Control Tower, wrong Region).
    Config = 78,
    /// Interrupted (Ctrl-C) before anything was changed.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Usage,
    Locked,
    InvalidInput,
    Unreachable,
    Permission,
    Config,
    Aws,
    /// A step, check or verification failed (the journal says what was done).
    Failed,
    Internal,
    /// Ctrl-C at a prompt: nothing was changed.
    Interrupted,
    /// The organization changed under a run in a way ctmigrate does not undo.
    Changed,
}

/// A failure with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    pub causes: Vec<String>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            hint: None,
            causes: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    pub fn cause(mut self, cause: impl Into<String>) -> Error {
        self.causes.push(cause.into());
        self
    }

    pub fn exit(&self) -> Exit {
        match self.kind {
            ErrorKind::Usage => Exit::Usage,
            ErrorKind::Locked => Exit::Locked,
            ErrorKind::InvalidInput => Exit::InvalidInput,
            ErrorKind::Unreachable => Exit::Unavailable,
            ErrorKind::Permission => Exit::Permission,
            ErrorKind::Config => Exit::Config,
            ErrorKind::Aws | ErrorKind::Failed | ErrorKind::Internal => Exit::Failure,
            ErrorKind::Interrupted => Exit::Interrupted,
            ErrorKind::Changed => Exit::Changed,
        }
    }

    /// An AWS failure while doing `what`, with the hint that fits its kind.
    pub fn aws(what: &str, e: AwsError) -> Error {
        let detail = e.to_string();
        match &e.kind {
            AwsErrorKind::Credentials(_) => Error::new(ErrorKind::Permission, format!("no AWS credentials found while {what}"))
                .cause(detail)
                .hint("sign in (`aws sso login --profile NAME`, then `--profile NAME`), export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or try the built-in sandbox with `--sandbox`"),
            AwsErrorKind::Unreachable(_) | AwsErrorKind::Timeout(_) => Error::new(ErrorKind::Unreachable, format!("cannot reach the {} endpoint while {what}", e.service))
                .cause(detail)
                .hint("check --endpoint-url (is the sandbox running? `ctmigrate sandbox serve --port N`) and your network or proxy settings"),
            AwsErrorKind::Service { code, .. } if code == "AccessDeniedException" || code == "AccessDenied" => {
                Error::new(ErrorKind::Permission, format!("access denied while {what}"))
                    .cause(detail)
                    .hint("run ctmigrate with credentials of the organization's management account that may call Organizations and Control Tower (e.g. AdministratorAccess in the management account)")
            }
            AwsErrorKind::Service { code, .. } if code.contains("Throttl") || code == "TooManyRequestsException" => {
                Error::new(ErrorKind::Aws, format!("AWS kept throttling the requests while {what}"))
                    .cause(detail)
                    .hint("wait a minute and run the command again; other automation may be calling the same APIs")
            }
            _ => Error::new(ErrorKind::Aws, format!("AWS refused a request while {what}")).cause(detail),
        }
    }
}

impl From<JournalError> for Error {
    fn from(e: JournalError) -> Error {
        match e {
            JournalError::Locked { path, holder } => Error::new(
                ErrorKind::Locked,
                format!("journal `{}` is in use by {holder}", path.display()),
            )
            .hint("wait for that run to finish (`ctmigrate status --journal …` shows where it stands); two runs on one organization at once are refused"),
            JournalError::ForeignLock { path, holder } => Error::new(
                ErrorKind::Locked,
                format!(
                    "journal `{}` is locked by {holder}, on another host",
                    path.display()
                ),
            )
            .hint("make sure that run has ended, then add --force-unlock"),
            JournalError::Missing { path } => Error::new(
                ErrorKind::InvalidInput,
                format!("journal `{}` does not exist", path.display()),
            )
            .hint("pass the .journal.jsonl file that `ctmigrate apply` wrote beside the plan"),
            JournalError::Exists { path } => Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "journal `{}` already exists: an apply of this plan has started",
                    path.display()
                ),
            )
            .hint(format!(
                "continue it with `ctmigrate resume --journal {0}`, see it with `ctmigrate status --journal {0}`, or undo it with `ctmigrate rollback --journal {0}`",
                path.display()
            )),
            JournalError::Corrupt { .. } => Error::new(ErrorKind::InvalidInput, e.to_string())
                .hint("the journal was edited or damaged; restore it from a copy, or inspect the organization with `ctmigrate detect`"),
            JournalError::Io { .. } => Error::new(ErrorKind::Internal, e.to_string())
                .hint("check the directory's permissions and free space, then resume: the run stopped at the failed write; every request it sent to AWS was journaled before it was sent, and a step journaled as started may have finished without its record, which resume reads from the organization"),
        }
    }
}

impl From<RunError> for Error {
    fn from(e: RunError) -> Error {
        match e {
            RunError::Journal(j) => Error::from(j),
            RunError::JournalStopped => Error::new(ErrorKind::Internal, e.to_string())
                .hint("check the directory's permissions and free space, then resume"),
            RunError::Aws(a) => Error::aws("applying the plan", *a),
            RunError::Step(m) => Error::new(ErrorKind::Failed, m),
            RunError::Plan(m) => Error::new(ErrorKind::InvalidInput, m)
                .hint("the journal and its plan do not fit together; `ctmigrate status --journal …` shows what the journal recorded"),
            RunError::Drifted(changes) => {
                let mut e = Error::new(
                    ErrorKind::Changed,
                    "stopped: the organization changed in a way ctmigrate does not undo",
                )
                .hint("fix each change named above (or plan again), then run the command again");
                e.causes = changes;
                e
            }
        }
    }
}

impl From<crate::policy::ScpError> for Error {
    fn from(e: crate::policy::ScpError) -> Error {
        Error::new(ErrorKind::Failed, e.to_string()).hint(
            "ctmigrate proves nothing about an organization whose SCPs its evaluator cannot read; fix or report the SCP named above",
        )
    }
}

impl From<crate::explain::UnreadableText> for Error {
    fn from(e: crate::explain::UnreadableText) -> Error {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot read the error text: {e}"),
        )
        .hint(format!(
            "paste the whole message, for example: {}",
            crate::explain::EXAMPLE
        ))
    }
}

impl From<crate::plan::inputs::InputError> for Error {
    fn from(e: crate::plan::inputs::InputError) -> Error {
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid input `{}`: {}", e.field, e.message),
        )
        .hint(e.hint)
    }
}

impl From<crate::fs::WriteError> for Error {
    fn from(e: crate::fs::WriteError) -> Error {
        Error::new(ErrorKind::Internal, e.to_string())
            .hint("check that the directory is writable and has free space")
    }
}

impl From<crate::plan::file::FileError> for Error {
    fn from(e: crate::plan::file::FileError) -> Error {
        use crate::plan::file::{ANSWERS_HINT, FileError as F};
        let message = e.to_string();
        match e {
            F::Read { what, .. } => Error::new(ErrorKind::InvalidInput, message).hint(match what {
                "plan" => "pass the .plan.json file that `ctmigrate plan` wrote",
                "answers file" => "check the path given to --answers",
                _ => "check the path given to --permitted-accounts-file",
            }),
            F::NotAPlan { .. } => Error::new(ErrorKind::InvalidInput, message)
                .hint("pass the .plan.json file that `ctmigrate plan` wrote (docs/plan-format.md)"),
            F::Version { .. } => Error::new(ErrorKind::InvalidInput, message)
                .hint("plan again with this version of ctmigrate"),
            F::Tampered { .. } => Error::new(ErrorKind::InvalidInput, message).hint(
                "plan again instead of editing the plan file; the Markdown is the place for review notes",
            ),
            F::Name(_) => Error::new(ErrorKind::Usage, message).hint(
                "--name takes 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'",
            ),
            F::Answers { .. } => Error::new(ErrorKind::InvalidInput, message).hint(ANSWERS_HINT),
            F::AnswersValue { error, .. } => {
                Error::new(ErrorKind::InvalidInput, message).hint(error.hint)
            }
            F::Encode(_) => Error::new(ErrorKind::Internal, message),
            F::Write(w) => Error::from(w),
        }
    }
}

impl From<SandboxError> for Error {
    fn from(e: SandboxError) -> Error {
        let kind = if e.is_input_error() {
            ErrorKind::InvalidInput
        } else {
            ErrorKind::Internal
        };
        let hint = e.hint();
        let mut err = Error::new(kind, e.to_string()).hint(hint);
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            err.causes.push(s.to_string());
            source = s.source();
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_errors_map_to_kinds_with_hints() {
        let creds = AwsError {
            service: "sts",
            operation: "GetCallerIdentity",
            kind: AwsErrorKind::Credentials("no providers".into()),
            retry_after_secs: None,
        };
        let e = Error::aws("identifying the caller", creds);
        assert_eq!(e.exit(), Exit::Permission);
        assert!(e.hint.as_deref().unwrap_or_default().contains("--sandbox"));

        let denied = AwsError {
            service: "organizations",
            operation: "ListRoots",
            kind: AwsErrorKind::Service {
                code: "AccessDeniedException".into(),
                message: "You don't have permissions".into(),
                status: Some(400),
                request_id: None,
            },
            retry_after_secs: None,
        };
        assert_eq!(Error::aws("x", denied).exit(), Exit::Permission);
    }
}
