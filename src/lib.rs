//! # ctmigrate
//!
//! Moves an AWS Organizations estate from Control Tower's landing-zone region
//! deny (`AWS-GR_REGION_DENY`, Sid `GRREGIONDENY`) to the OU-level region deny
//! control CT.MULTISERVICE.PV.1, so that Amazon Bedrock cross-region inference
//! works while every other API stays in the governed Regions.
//!
//! ## Map of the modules (read in this order)
//!
//! Data flows `discover → snapshot → detect / plan (pure) → apply`, with the
//! policy evaluator (pure) beside them. docs/architecture.md says the same
//! at more length, with what each module must never do; keep both in step.
//!
//! - [`cli`]: the command line as clap types; no logic.
//! - [`settings`]: the global flags, the terminals and the environment,
//!   resolved once by [`run`]; everything below takes them from here.
//! - [`commands`]: one thin function per subcommand: flags → one library
//!   call → [`output`]. They do not import each other.
//! - [`session`]: a connection for one command, AWS or the embedded
//!   sandbox through the same adapter (the one place that starts it), and
//!   the reads most commands begin with.
//! - [`aws`]: the only module importing `aws_sdk_*`; one small trait per
//!   service over the tool's own types in [`model`], one SDK implementation.
//! - [`discover`]: reads an organization through the traits into a
//!   [`snapshot::Snapshot`] and explains unmet preconditions.
//! - [`snapshot`]: the normalised estate every later step works from.
//! - [`policy`]: the SCP evaluator and the one reader of SCP documents and
//!   action wildcards (pure).
//! - [`paths`]: the Bedrock paths that cross Regions (inference, batch,
//!   guardrails, Data Automation): what each needs exempted and how it is
//!   fenced, the documented profile catalogs, and what an account's
//!   discovered use needs (pure).
//! - [`iam`]: exact IAM identity policies: the operator's, made from the
//!   table of actions the aws adapters call (pure).
//! - [`detect`]: the `detect` report, computed from a snapshot (pure).
//! - [`check`]: the day-two audit of a migrated organization against the
//!   last plan's decisions, computed from a snapshot (pure).
//! - [`plan`]: the migration plan as typed steps, its proof, Markdown and
//!   JSON Schema (pure); `plan::file` reads and writes its files.
//! - [`validate`]: a saved plan file checked offline (format, checksum)
//!   and, read live, for staleness.
//! - [`apply`]: executes a saved plan (staged, journaled, resumable,
//!   reversible) through the aws traits; the journal is its only memory.
//!   `apply::launch` starts and continues runs for the commands.
//! - [`explain`]: reads an AccessDenied message and judges it against a
//!   snapshot with the policy evaluator: the denying statement and the fix (pure).
//! - [`export`]: a saved plan as Terraform or CloudFormation (pure, but for
//!   `export::write`).
//! - [`wizard`]: the guided session: its choices (pure), the one
//!   [`wizard::Prompter`] every question goes through (terminal, answers
//!   file, recorder), and its flow (`wizard::session`).
//! - [`reference`]: shell completions and the man page, generated from
//!   the clap definitions (pure).
//! - [`regions`]: Region facts (commercial Regions, name shape).
//! - [`fs`]: atomic, private writes of the files ctmigrate leaves behind.
//! - [`output`]: every byte written to the terminal, and the one error renderer.
//! - [`interrupt`]: the one handler for Ctrl-C and SIGTERM: exit 130 while
//!   nothing changes, stop at a checkpoint while a run changes things.
//! - [`crash`]: death on demand for the crash harness (test builds only):
//!   SIGKILL at a named HTTP request or in the middle of a journal line.
//! - [`error`]: the error type, one conversion per lower error, and the
//!   exit codes (docs/exit-codes.md).
//! - [`sandbox`]: its own room. An emulator of Control Tower, Control
//!   Catalog, Organizations, STS and Bedrock over HTTP on loopback; it imports
//!   nothing from the tool's logic and the logic imports nothing from it.

pub mod apply;
pub mod aws;
pub mod check;
pub mod cli;
pub mod commands;
pub mod crash;
pub mod detect;
pub mod discover;
pub mod error;
pub mod explain;
pub mod export;
pub mod fs;
pub mod iam;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod paths;
pub mod plan;
pub mod policy;
pub mod reference;
pub mod regions;
pub mod sandbox;
pub mod session;
pub mod settings;
pub mod snapshot;
pub mod validate;
pub mod wizard;

use std::ffi::OsString;

use error::Exit;

/// Parses `args`, runs the command and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let parsed = cli::command()
        .try_get_matches_from(args)
        .and_then(|m| <cli::Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind as K;
            let code = match e.kind() {
                K::DisplayHelp
                | K::DisplayVersion
                | K::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Ok,
                _ => Exit::Usage,
            };
            // clap renders its own usage errors and help; it is the one exception
            // to output::Output because it runs before the flags are known.
            let _ = e.print();
            return code.code();
        }
    };
    let settings = match settings::Settings::from_process(&cli.global) {
        Ok(s) => s,
        Err(e) => {
            let out = output::Output::plain();
            out.error(&e);
            return e.exit().code();
        }
    };
    let out = output::Output::new(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            out.error(&error::Error::new(
                error::ErrorKind::Internal,
                format!("cannot start the async runtime: {e}"),
            ));
            return Exit::Failure.code();
        }
    };
    let command = cli.command;
    let result = runtime.block_on(async {
        interrupt::install(&out);
        commands::dispatch(command, &settings, &out).await
    });
    // `-v`: what the command cost in AWS calls.
    if let Some(calls) = aws::calls::summary() {
        out.detail(&calls);
    }
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            out.error(&e);
            e.exit().code()
        }
    }
}
