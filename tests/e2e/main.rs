//! End-to-end tests: the real binary and the real aws-sdk clients against the
//! sandbox on 127.0.0.1 (random ports), plus the AWS CLI and moto as clients
//! and servers we did not write. One test binary, one module per area.

mod application_profiles;
mod apply_cli;
mod bedrock_paths;
mod calls_cli;
mod common;
mod concurrent;
mod crash_random;
mod crash_rollback;
mod credentials;
mod detect_cli;
mod explain_cli;
mod export_cli;
mod external;
mod fixtures;
mod help_cli;
mod hostile;
mod iam_cli;
mod journal_failure;
mod loosened;
mod matrix;
mod newcomer;
mod plan_cli;
mod policy_cli;
mod proof;
mod readme;
mod reliability;
mod sandbox_rules;
mod secrets;
mod terminal;
mod wizard_cli;
