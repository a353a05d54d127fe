//! One function per subcommand, as thin as cargo's: parsed flags → one
//! library call → [`crate::output`]. Orchestration lives in the library
//! (`apply::launch`, `wizard::session`, `session`); commands do not import
//! each other.

mod apply;
mod check;
mod detect;
mod explain;
mod export;
mod iam;
mod plan;
mod policy;
mod reference;
mod sandbox;
mod show;
mod simulate;
mod validate;
mod wizard;

use crate::cli::Command;
use crate::error::{Error, Exit};
use crate::output::Output;
use crate::settings::Settings;

/// Runs the parsed command.
pub async fn dispatch(
    command: Option<Command>,
    settings: &Settings,
    out: &Output,
) -> Result<Exit, Error> {
    if settings.format == crate::output::Format::Markdown
        && !matches!(command, Some(Command::Show(_)))
    {
        return Err(Error::new(
            crate::error::ErrorKind::Usage,
            "--format markdown is for `ctmigrate show` only",
        )
        .hint("use --format text or --format json with this command"));
    }
    let Some(command) = command else {
        if settings.interactive() {
            let defaults = crate::cli::WizardArgs {
                max_concurrency: 8,
                ..Default::default()
            };
            return wizard::run(settings, &defaults, out).await;
        }
        // No one to ask: the read-only report instead of the session.
        let me = settings.connection.command();
        out.warn(&format!("the guided session needs a terminal; this is the read-only report (`{me} detect`) instead. Run `{me}` in a terminal, or replay a session with `{me} wizard --answers FILE`"));
        let quotas = crate::cli::QuotaArgs {
            scp_attachment_limit: 10,
            scp_size_limit: 10_240,
        };
        return detect::run(settings, &crate::cli::DetectArgs { quotas }, out).await;
    };
    match command {
        Command::Wizard(args) => wizard::run(settings, &args, out).await,
        Command::Detect(args) => detect::run(settings, &args, out).await,
        Command::Check(args) => check::run(settings, &args, out).await,
        Command::Plan(args) => plan::run(settings, &args, out).await,
        Command::Policy(args) => policy::run(args, out),
        Command::Simulate(args) => simulate::run(settings, &args, out).await,
        Command::Show(args) => show::run(&args, out),
        Command::Validate(args) => validate::run(settings, &args, out).await,
        Command::Explain(args) => explain::run(settings, &args, out).await,
        Command::Apply(args) => apply::apply(settings, &args, out).await,
        Command::Resume(args) => apply::resume(settings, &args, out).await,
        Command::Rollback(args) => apply::rollback(settings, &args, out).await,
        Command::Status(args) => apply::status(settings, &args, out).await,
        Command::Sandbox(args) => sandbox::run(settings, args, out).await,
        Command::Export(args) => export::run(&args, out),
        Command::IamPolicy(args) => iam::run(settings, &args, out).await,
        Command::Completions(args) => reference::completions(&args, out),
        Command::Man => reference::man(out),
    }
}
