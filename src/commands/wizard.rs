//! `ctmigrate` on a terminal (also `ctmigrate wizard`): picks who answers
//! (the terminal, or `--answers FILE`), runs [`crate::wizard::session`],
//! and applies the plan if the person chose to.

use std::time::Duration;

use crate::apply::Options;
use crate::apply::launch::{self, RunRequest};
use crate::cli::WizardArgs;
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Output, Terminal, conclude};
use crate::plan;
use crate::settings::Settings;
use crate::wizard::session::{self, Next};
use crate::wizard::{Prompter, Recorder, Replay};

pub async fn run(settings: &Settings, args: &WizardArgs, out: &Output) -> Result<Exit, Error> {
    let mut asking = None;
    let prompter: Box<dyn Prompter> = match &args.answers {
        Some(path) => {
            let (inputs, choices) = plan::file::read_answers(path)?;
            Box::new(Replay {
                inputs,
                session: choices.unwrap_or_default(),
            })
        }
        None if settings.interactive() => {
            asking = Some(crate::interrupt::session());
            Box::new(Terminal::new(out.color_err()))
        }
        None => {
            return Err(Error::new(
                ErrorKind::Usage,
                "the guided session needs a terminal, and there is none",
            )
            .hint(format!("replay a session with `{me} wizard --answers FILE` (docs/wizard.md), plan with flags (`{me} plan --inference-profile us ...`), or see `ctmigrate --help`", me = settings.connection.command())));
        }
    };
    let mut recorder = Recorder::new(prompter);
    let next = session::run(settings, out, &mut recorder, args.save_answers.as_deref()).await;
    // From here on, Ctrl-C is apply's: stop at a checkpoint.
    drop(asking);
    match next? {
        Next::Done(exit) => Ok(exit),
        Next::Apply(plan_path) => {
            let req = RunRequest {
                options: Options {
                    max_concurrency: args.max_concurrency as usize,
                    // A person is here: wait at the console step.
                    console_wait: settings
                        .interactive()
                        .then(|| Duration::from_secs(24 * 3600)),
                    poll_initial: settings
                        .poll_interval
                        .unwrap_or(Options::default().poll_initial),
                    ..Options::default()
                },
                yes: true,
                force_unlock: false,
            };
            let c = launch::apply(settings, out, &plan_path, None, req).await?;
            Ok(conclude(c, out))
        }
    }
}
