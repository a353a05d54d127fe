//! The complete commands a run's messages print to go on with a journal:
//! `resume`, `rollback`, `status`, the console step played on the sandbox,
//! and migrating again after a rollback. Each carries the global flags that reach the same
//! organization (as the journal recorded them), the journal, and `--yes`
//! when the person is not on a terminal (where `resume` and `rollback`
//! cannot ask for confirmation), so that it runs exactly as printed.
//!
//! Pure: it words commands; it must not read, run or print anything.

use super::journal::Progress;
use crate::cli::{shell_word, shell_words};

/// How the commands of one journal are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    /// `ctmigrate` and the global flags (`ctmigrate --sandbox …`).
    me: String,
    /// The journal's path, as given.
    path: String,
    /// The journal's path, as a shell word.
    journal: String,
    /// The organization is the sandbox: the console step is played with
    /// `sandbox console`.
    sandbox: bool,
    /// Add `--yes` to the commands that change the organization.
    yes: bool,
}

impl Next {
    /// The commands for `journal`, with the global flags `connection`
    /// (as [`crate::settings::Connection::flags`] wrote them). `interactive`:
    /// stdin is a terminal, where a changing command asks for confirmation.
    pub fn new(connection: &str, journal: &str, interactive: bool) -> Next {
        Next {
            me: format!("ctmigrate{connection}"),
            path: journal.to_string(),
            journal: shell_word(journal),
            sandbox: shell_words(connection).iter().any(|w| w == "--sandbox"),
            yes: !interactive,
        }
    }

    /// The commands for the journal at `journal` whose records fold to
    /// `progress`, with the global flags its start record holds.
    pub fn of_journal(progress: &Progress, journal: &str, interactive: bool) -> Next {
        Next::new(
            progress
                .started
                .as_ref()
                .map(|s| s.connection.as_str())
                .unwrap_or_default(),
            journal,
            interactive,
        )
    }

    /// `ctmigrate` and the global flags.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// The journal's path, as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The journal as it appears in commands.
    pub fn journal(&self) -> &str {
        &self.journal
    }

    /// `resume` or `rollback` (`verb`) of this journal, ready to run.
    pub fn run(&self, verb: &str) -> String {
        format!(
            "{} {verb} --journal {}{}",
            self.me,
            self.journal,
            if self.yes { " --yes" } else { "" }
        )
    }

    pub fn resume(&self) -> String {
        self.run("resume")
    }

    pub fn rollback(&self) -> String {
        self.run("rollback")
    }

    /// `rollback` (back to checkpoint `to`) that also undoes the effects a
    /// rollback left because they carry no ctmigrate tags, ready to run.
    pub fn rollback_unowned(&self, to: Option<&str>) -> String {
        format!(
            "{} rollback --journal {}{} --include-unowned{}",
            self.me,
            self.journal,
            to.map(|t| format!(" --to {}", shell_word(t)))
                .unwrap_or_default(),
            if self.yes { " --yes" } else { "" }
        )
    }

    /// `status` of this journal (read only: never `--yes`).
    pub fn status(&self) -> String {
        format!("{} status --journal {}", self.me, self.journal)
    }

    /// `apply --plan PLAN` again (after a rollback), ready to run.
    pub fn apply_again(&self, plan: &str) -> String {
        format!(
            "{} apply --plan {}{}",
            self.me,
            shell_word(plan),
            if self.yes { " --yes" } else { "" }
        )
    }

    /// After a rollback, how to migrate again: apply the same plan (the ended
    /// journal is then put aside), after undoing the rest of a rollback that
    /// stopped at a checkpoint.
    pub fn again_after_rollback(&self, progress: &Progress) -> String {
        let n = self;
        let plan = progress
            .started
            .as_ref()
            .map(|s| s.plan_path.clone())
            .unwrap_or_default();
        match progress.rollback.as_ref().and_then(|r| r.to.as_ref()) {
            Some(t) => format!(
                "the organization is back at checkpoint `{t}`; undo the rest with {}, then, to migrate again: {}",
                n.rollback(),
                n.apply_again(&plan)
            ),
            None => format!(
                "to migrate again, apply the plan again (this journal is then kept under a dated name): {}",
                n.apply_again(&plan)
            ),
        }
    }

    /// Any other command with the global flags (`plan …`, `simulate …`).
    pub fn with(&self, rest: &str) -> String {
        format!("{} {rest}", self.me)
    }

    /// On the sandbox, how to play the console step that turns the
    /// landing-zone region deny `on` (true) or off, as a sentence to add
    /// to the instruction; nothing against AWS.
    pub fn console_on_sandbox(&self, on: bool) -> Option<String> {
        self.sandbox.then(|| {
            format!(
                "on the sandbox, play the console step in another terminal: {} sandbox console region-deny {} --wait",
                self.me,
                if on { "on" } else { "off" }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_a_terminal_changing_commands_carry_yes_and_status_never_does() {
        let n = Next::new(
            " --sandbox --sandbox-dir 'my box'",
            "plans/a b.jsonl",
            false,
        );
        assert_eq!(
            n.resume(),
            "ctmigrate --sandbox --sandbox-dir 'my box' resume --journal 'plans/a b.jsonl' --yes"
        );
        assert_eq!(
            n.status(),
            "ctmigrate --sandbox --sandbox-dir 'my box' status --journal 'plans/a b.jsonl'"
        );
        assert_eq!(
            n.console_on_sandbox(false).as_deref(),
            Some(
                "on the sandbox, play the console step in another terminal: ctmigrate --sandbox --sandbox-dir 'my box' sandbox console region-deny off --wait"
            )
        );
    }

    #[test]
    fn on_a_terminal_against_aws_nothing_is_added() {
        let n = Next::new(" --profile admin", "j.jsonl", true);
        assert_eq!(
            n.rollback(),
            "ctmigrate --profile admin rollback --journal j.jsonl"
        );
        assert_eq!(n.console_on_sandbox(true), None);
        assert_eq!(
            n.rollback_unowned(Some("companion")),
            "ctmigrate --profile admin rollback --journal j.jsonl --to companion --include-unowned"
        );
    }
}
