//! `ctmigrate policy eval --cases FILE`: the cases streamed through the
//! evaluator, one output line per case as it is decided.

use std::io::BufRead;

use crate::cli::{PolicyArgs, PolicyCommand};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::Output;

pub fn run(args: PolicyArgs, out: &Output) -> Result<Exit, Error> {
    let PolicyCommand::Eval { cases } = args.command;
    let input: Box<dyn BufRead> = if cases == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&cases).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("cannot read cases file `{cases}`: {e}"),
            )
            .hint("check the path given to --cases (or pass - to read standard input)")
        })?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let mut errors = 0usize;
    crate::policy::stream_cases(input, &mut |line| {
        if line["decision"] == "Error" {
            errors += 1;
        }
        out.text(&(line.to_string() + "\n"));
    })
    .map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cases file `{cases}` is not usable: {e}"),
        )
        .hint("give a JSON array of cases, or JSON Lines with one case per line; `ctmigrate policy eval --help` shows the format")
    })?;
    Ok(if errors > 0 { Exit::Failure } else { Exit::Ok })
}
