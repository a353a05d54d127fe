//! A pure IAM policy evaluator for service control policies: parsing
//! (`parse`), matching and evaluation across the root → OU → account
//! hierarchy (`eval`), and the batch runner behind `ctmigrate policy eval`
//! (`run_cases`). No I/O, no AWS types, no clock. It fails closed: a policy
//! that does not parse is an error, never an Allow.

mod cases;
mod duplicates;
mod eval;
mod model;
mod parse;
pub mod read;

pub use duplicates::duplicate_key;
pub use eval::{
    Class, ContextValue, Decision, Hit, Level, Prepared, Request, arn_match, classify_prepared,
    condition_holds, evaluate_policy, evaluate_scps, exempt_from_scps, glob, prepare,
    wrong_typed_values,
};
pub use model::*;

/// An SCP of the organization that ctmigrate's evaluator cannot use, so
/// nothing can be proven or explained about what it decides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScpError {
    /// It does not parse.
    #[error("SCP {name} does not parse, so nothing can be proven about it: {source}")]
    Unparseable {
        name: String,
        #[source]
        source: ParseError,
    },
    /// It is attached, but its document was not read.
    #[error("SCP {0} is attached but was not read")]
    NotRead(String),
}
pub use cases::{CaseError, run_cases, stream_cases};
pub use parse::{ParseError, parse_policy, parse_value};

#[cfg(test)]
mod tests;
