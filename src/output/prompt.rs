//! The questions on a terminal (dialoguer on stderr): the one [`Prompter`]
//! that asks a person, for the guided session and for apply's
//! confirmation. Ctrl-C while it asks ends as [`crate::interrupt`] says.

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, FuzzySelect, Input, MultiSelect, Select};

use crate::error::{Error, ErrorKind};
use crate::plan::CompanionMode;
use crate::wizard::{AccountChoice, PathChoice, ProfileChoice, Prompter};

/// Asks on the terminal. Every line it draws fits the terminal's width (a
/// line that wraps is redrawn badly: the part above stays on screen), and
/// each answer is echoed as one short line of its own instead of the
/// chosen items.
pub struct Terminal {
    theme: Box<dyn Theme>,
    color: bool,
}

impl Terminal {
    pub fn new(color: bool) -> Terminal {
        Terminal {
            theme: if color {
                Box::new(ColorfulTheme::default())
            } else {
                Box::new(SimpleTheme)
            },
            color,
        }
    }

    /// The terminal's columns (80 when it cannot tell).
    fn width(&self) -> usize {
        match console::Term::stderr().size_checked() {
            Some((_, cols)) if cols >= 20 => usize::from(cols),
            _ => 80,
        }
    }

    /// Rows a list may take: the terminal's height less the lines around it.
    fn rows(&self) -> usize {
        match console::Term::stderr().size_checked() {
            Some((rows, _)) => usize::from(rows).saturating_sub(9).max(5),
            None => 15,
        }
    }

    /// An item of a list, cut to fit beside the list's own marks.
    fn item(&self, text: &str) -> String {
        super::fit(text, self.width().saturating_sub(7))
    }

    /// A line of explanation above a prompt, cut to the width.
    fn say(&self, text: &str) {
        eprintln!("{}", super::fit(text, self.width().saturating_sub(1)));
    }

    /// The answer, echoed as one short line: `✔ label: value`.
    fn echo(&self, label: &str, value: &str) {
        let line = super::fit(&format!("{label}: {value}"), self.width().saturating_sub(3));
        if self.color {
            eprintln!("{} {line}", console::style("✔").for_stderr().green());
        } else {
            eprintln!("> {line}");
        }
    }
}

/// The first of `ids` and how many more: `a, b and 3 more`.
fn some_of(ids: &[String]) -> String {
    match ids {
        [] => "none".into(),
        [one] => one.clone(),
        [one, rest @ ..] => format!("{one} and {} more", rest.len()),
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
                let n = c.destinations.len();
                let reach = if c.blocked_today.is_empty() {
                    format!("{n} Region{}, works today", if n == 1 { "" } else { "s" })
                } else {
                    format!("{n} Regions, {} blocked", c.blocked_today.len())
                };
                self.item(&format!("{:<width$}  {reach}", shown(c)))
            })
            .collect();
        self.say("Space selects, Enter confirms; the Regions each profile reaches, and how");
        self.say("many of them the landing-zone region deny blocks today.");
        loop {
            let picked = MultiSelect::with_theme(&*self.theme)
                .with_prompt("Inference profiles that must work")
                .items(&items)
                .max_length(self.rows())
                .report(false)
                .interact()
                .map_err(prompt_error)?;
            if !picked.is_empty() {
                let ids: Vec<String> = picked.into_iter().map(|i| choices[i].id.clone()).collect();
                let names: Vec<String> = ids
                    .iter()
                    .map(|id| crate::model::arn_id(id).to_string())
                    .collect();
                self.echo(&format!("{} profile(s)", ids.len()), &some_of(&names));
                return Ok(ids);
            }
            self.say("Choose at least one profile (space selects).");
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
                Some(p) => self.item(&format!("{:<16} {p}", c.path.name())),
                None => self.item(&format!(
                    "{:<16} {}",
                    c.path.name(),
                    c.path.actions().join(", ")
                )),
            })
            .collect();
        let defaults: Vec<bool> = choices.iter().map(|c| c.preselected).collect();
        self.say("Found in use: pre-selected. Space toggles, Enter confirms.");
        let picked = MultiSelect::with_theme(&*self.theme)
            .with_prompt("Other Bedrock paths that must work")
            .items(&items)
            .max_length(self.rows())
            .defaults(&defaults)
            .report(false)
            .interact()
            .map_err(prompt_error)?;
        let keys: Vec<String> = picked.into_iter().map(|i| choices[i].key.clone()).collect();
        self.echo(&format!("{} other path(s)", keys.len()), &some_of(&keys));
        Ok(keys)
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
        self.say("Accounts that may run inference outside the allowed Regions:");
        self.say("type to filter, Enter toggles the account, Done ends.");
        loop {
            let n = chosen.iter().filter(|c| **c).count();
            let mut items = vec![format!("Done ({n} selected)")];
            items.extend(choices.iter().zip(&chosen).map(|(c, on)| {
                self.item(&format!(
                    "[{}] {} ({}) {}",
                    if *on { "x" } else { " " },
                    c.name,
                    c.id,
                    c.ou_path
                ))
            }));
            let i = FuzzySelect::with_theme(&*self.theme)
                .with_prompt("Permitted accounts")
                .items(&items)
                .max_length(self.rows())
                .default(0)
                .report(false)
                .interact()
                .map_err(prompt_error)?;
            if i == 0 {
                let picked: Vec<String> = choices
                    .iter()
                    .zip(&chosen)
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| format!("{} ({})", c.name, c.id))
                    .collect();
                self.echo(
                    &format!("{} permitted account(s)", picked.len()),
                    &some_of(&picked),
                );
                return Ok(choices
                    .iter()
                    .zip(&chosen)
                    .filter(|(_, on)| **on)
                    .map(|(c, _)| c.id.clone())
                    .collect());
            }
            chosen[i - 1] = !chosen[i - 1];
            let c = &choices[i - 1];
            self.echo(
                if chosen[i - 1] { "selected" } else { "removed" },
                &format!("{} ({})", c.name, c.id),
            );
        }
    }

    fn companion_mode(&mut self, modes: &[(CompanionMode, &str)]) -> Result<CompanionMode, Error> {
        let items: Vec<String> = modes.iter().map(|(_, line)| self.item(line)).collect();
        self.say("Who may run Bedrock inference outside the allowed Regions?");
        let i = Select::with_theme(&*self.theme)
            .with_prompt("Companion SCP mode")
            .items(&items)
            .default(0)
            .report(false)
            .interact()
            .map_err(prompt_error)?;
        self.echo("companion mode", modes[i].0.as_str());
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
            .with_prompt("Apply now, or later in a change window?")
            .items([
                "Later: print the apply command",
                "Now: apply it, with the console step as a gate",
            ])
            .default(0)
            .report(false)
            .interact()
            .map_err(prompt_error)?;
        self.echo("apply", if i == 0 { "later" } else { "now" });
        if i == 0 {
            return Ok(None);
        }
        let typed: String = Input::with_theme(&*self.theme)
            .with_prompt(format!(
                "Type the organization id {organization_id} to apply"
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(prompt_error)?;
        Ok(Some(typed.trim().to_string()))
    }

    fn confirm_change(&mut self, summary: &str, organization_id: &str) -> Result<String, Error> {
        eprint!("{}", super::wrap(summary, self.width()));
        let typed: String = Input::with_theme(&*self.theme)
            .with_prompt(format!(
                "Type the organization id {organization_id} to go on"
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(prompt_error)?;
        Ok(typed.trim().to_string())
    }
}
