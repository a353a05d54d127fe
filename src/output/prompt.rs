//! The questions on a terminal (dialoguer on stderr): the one [`Prompter`]
//! that asks a person, for the guided session and for apply's
//! confirmation. Ctrl-C while it asks ends as [`crate::interrupt`] says.

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, FuzzySelect, Input, MultiSelect, Select};

use crate::error::{Error, ErrorKind};
use crate::plan::CompanionMode;
use crate::wizard::{AccountChoice, PathChoice, ProfileChoice, Prompter};

/// Asks on the terminal.
pub struct Terminal {
    theme: Box<dyn Theme>,
}

impl Terminal {
    pub fn new(color: bool) -> Terminal {
        Terminal {
            theme: if color {
                Box::new(ColorfulTheme::default())
            } else {
                Box::new(SimpleTheme)
            },
        }
    }
}

/// A prompt that could not be answered: Ctrl-C, or the terminal went away.
fn prompt_error(e: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(io) = e;
    // The cursor may be hidden by the prompt that was interrupted.
    let _ = console::Term::stderr().show_cursor();
    if io.kind() == std::io::ErrorKind::Interrupted {
        crate::interrupt::end();
    }
    Error::new(
        ErrorKind::Usage,
        format!("cannot read the answer from the terminal: {io}"),
    )
    .hint("run the session on a terminal, or replay it with `ctmigrate wizard --answers FILE`")
}

/// Up to three Regions by name, else how many.
fn regions(list: &[String], noun: &str) -> String {
    if list.len() <= 3 {
        list.join(", ")
    } else {
        format!("{} {noun}", list.len())
    }
}

impl Prompter for Terminal {
    fn profiles(&mut self, choices: &[ProfileChoice]) -> Result<Vec<String>, Error> {
        // An application profile's ARN is too long for one line: its id says enough.
        let shown = |c: &ProfileChoice| {
            if c.geography == crate::wizard::APPLICATION_GEOGRAPHY {
                crate::model::arn_id(&c.id).to_string()
            } else {
                c.id.clone()
            }
        };
        let width = choices.iter().map(|c| shown(c).len()).max().unwrap_or(0);
        let items: Vec<String> = choices
            .iter()
            .map(|c| {
                // One short line each: a prompt line that wraps is redrawn badly.
                format!(
                    "{:<7} {:<width$}  → {}  {}",
                    c.geography,
                    shown(c),
                    regions(&c.destinations, "Regions"),
                    if c.blocked_today.is_empty() {
                        "(works today)".to_string()
                    } else {
                        format!("(blocked today: {})", regions(&c.blocked_today, "of them"))
                    }
                )
            })
            .collect();
        loop {
            let picked = MultiSelect::with_theme(&*self.theme)
                .with_prompt("Which inference profiles must work? (space selects, enter confirms)")
                .items(&items)
                .interact()
                .map_err(prompt_error)?;
            if !picked.is_empty() {
                return Ok(picked.into_iter().map(|i| choices[i].id.clone()).collect());
            }
            eprintln!("Choose at least one profile (space selects).");
        }
    }

    fn paths(&mut self, choices: &[PathChoice]) -> Result<Vec<String>, Error> {
        for c in choices.iter().filter(|c| c.found.is_some()) {
            eprintln!(
                "  {}: {}",
                c.profile.as_deref().unwrap_or(c.path.name()),
                c.found.as_deref().unwrap_or_default()
            );
        }
        let items: Vec<String> = choices
            .iter()
            .map(|c| match &c.profile {
                Some(p) => format!("{:<16} {p}", c.path.name()),
                None => format!("{:<16} {}", c.path.name(), c.path.actions().join(", ")),
            })
            .collect();
        let defaults: Vec<bool> = choices.iter().map(|c| c.preselected).collect();
        let picked = MultiSelect::with_theme(&*self.theme)
            .with_prompt("Which other Bedrock paths must work? (found in use: pre-selected)")
            .items(&items)
            .defaults(&defaults)
            .interact()
            .map_err(prompt_error)?;
        Ok(picked.into_iter().map(|i| choices[i].key.clone()).collect())
    }

    fn allow_global(&mut self, explanation: &str) -> Result<bool, Error> {
        eprintln!("{explanation}");
        Confirm::with_theme(&*self.theme)
            .with_prompt("Allow the global. profiles you chose?")
            .default(false)
            .interact()
            .map_err(prompt_error)
    }

    fn permitted_accounts(&mut self, choices: &[AccountChoice]) -> Result<Vec<String>, Error> {
        // A fuzzy multi-select: type to filter, enter toggles, "Done" ends.
        let mut chosen = vec![false; choices.len()];
        loop {
            let n = chosen.iter().filter(|c| **c).count();
            let mut items = vec![format!("Done ({n} selected)")];
            items.extend(choices.iter().zip(&chosen).map(|(c, on)| {
                format!(
                    "[{}] {} / {} ({})",
                    if *on { "x" } else { " " },
                    c.ou_path,
                    c.name,
                    c.id
                )
            }));
            let i = FuzzySelect::with_theme(&*self.theme)
                .with_prompt("Accounts that may run inference outside the allowed Regions (type to filter, enter toggles, Done ends)")
                .items(&items)
                .default(0)
                .interact()
                .map_err(prompt_error)?;
            if i == 0 {
                return Ok(choices
                    .iter()
                    .zip(&chosen)
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| c.id.clone())
                    .collect());
            }
            chosen[i - 1] = !chosen[i - 1];
        }
    }

    fn companion_mode(&mut self, modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error> {
        let items: Vec<&str> = modes.iter().map(|(_, line)| *line).collect();
        let i = Select::with_theme(&*self.theme)
            .with_prompt("How should the companion SCP decide who runs Bedrock inference outside the allowed Regions?")
            .items(&items)
            .default(0)
            .interact()
            .map_err(prompt_error)?;
        Ok(modes[i].0)
    }

    fn export(&mut self, dir: &str, name: &str) -> Result<(String, String), Error> {
        let dir: String = Input::with_theme(&*self.theme)
            .with_prompt("Export the plan to directory")
            .default(dir.to_string())
            .interact_text()
            .map_err(prompt_error)?;
        let name: String = Input::with_theme(&*self.theme)
            .with_prompt("Plan name")
            .default(name.to_string())
            .validate_with(|n: &String| -> Result<(), &str> {
                if !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    Ok(())
                } else {
                    Err("letters, digits, - and _ only")
                }
            })
            .interact_text()
            .map_err(prompt_error)?;
        Ok((dir, name))
    }

    fn overwrite(&mut self, path: &str) -> Result<bool, Error> {
        Confirm::with_theme(&*self.theme)
            .with_prompt(format!("{path} exists. Overwrite it?"))
            .default(false)
            .interact()
            .map_err(prompt_error)
    }

    fn apply_now(&mut self, organization_id: &str) -> Result<Option<String>, Error> {
        let i = Select::with_theme(&*self.theme)
            .with_prompt("Apply the plan now, or later in a change window?")
            .items([
                "Later: print the apply command",
                "Now: apply it, with the console step as a gate",
            ])
            .default(0)
            .interact()
            .map_err(prompt_error)?;
        if i == 0 {
            return Ok(None);
        }
        let typed: String = Input::with_theme(&*self.theme)
            .with_prompt(format!(
                "Type the organization id ({organization_id}) to apply"
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(prompt_error)?;
        Ok(Some(typed.trim().to_string()))
    }

    fn confirm_change(&mut self, summary: &str, organization_id: &str) -> Result<String, Error> {
        eprint!("{summary}");
        let typed: String = Input::with_theme(&*self.theme)
            .with_prompt(format!(
                "Type the organization id ({organization_id}) to go on"
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(prompt_error)?;
        Ok(typed.trim().to_string())
    }
}
