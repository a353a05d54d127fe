//! `ctmigrate policy eval --cases FILE`.

use std::io::Read;

use crate::cli::{PolicyArgs, PolicyCommand};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::Output;

pub fn run(args: PolicyArgs, out: &Output) -> Result<Exit, Error> {
    let PolicyCommand::Eval { cases } = args.command;
    let text = if cases == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot read the cases from standard input: {e}"),
            )
        })?;
        s
    } else {
        std::fs::read_to_string(&cases).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot read cases file `{cases}`: {e}"),
            )
            .hint("check the path given to --cases (or pass - to read standard input)")
        })?
    };
    let lines = crate::policy::run_cases(&text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cases file `{cases}` is not usable: {e}"),
        )
        .hint("give a JSON array of cases; `ctmigrate policy eval --help` shows the format")
    })?;
    let mut s = String::new();
    let mut errors = 0;
    for line in &lines {
        if line["decision"] == "Error" {
            errors += 1;
        }
        s.push_str(&line.to_string());
        s.push('\n');
    }
    out.text(&s);
    Ok(if errors > 0 { Exit::Failure } else { Exit::Ok })
}
