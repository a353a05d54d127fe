//! The command line's reference for shells and `man`: completion scripts
//! and the man page, generated from the clap definitions in [`crate::cli`]
//! (with clap_complete and clap_mangen), so they cannot drift from the
//! flags.
//!
//! Pure: it returns text; it must not print or read anything.

use crate::cli;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "ctmigrate", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The man page, `ctmigrate(1)`, with a section per subcommand.
pub fn man_page() -> Result<String, std::io::Error> {
    let cmd = cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("ctmigrate-{}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone().name(name.clone()).display_name(name));
        page.render_title(&mut buf)?;
        page.render_name_section(&mut buf)?;
        page.render_synopsis_section(&mut buf)?;
        page.render_description_section(&mut buf)?;
        page.render_options_section(&mut buf)?;
        page.render_subcommands_section(&mut buf)?;
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let script = completions(shell);
            for sub in [
                "detect",
                "plan",
                "apply",
                "rollback",
                "sandbox",
                "completions",
            ] {
                assert!(script.contains(sub), "{shell:?} lacks {sub}");
            }
            assert!(script.contains("include-unowned"), "{shell:?}");
        }
    }

    #[test]
    fn the_man_page_documents_every_subcommand_and_its_flags() {
        let page = man_page().unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH ctmigrate 1"),
            "{page:.200}"
        );
        for sub in [
            "ctmigrate\\-apply",
            "ctmigrate\\-rollback",
            "ctmigrate\\-policy",
        ] {
            assert!(page.contains(sub), "{sub} missing");
        }
        assert!(page.contains("include\\-unowned"));
    }
}
