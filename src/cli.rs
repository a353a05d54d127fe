//! The command line, as clap derive types only: no logic here. `commands`
//! turns these into calls; nothing else reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;
use crate::plan::CompanionMode;

/// Move an AWS Control Tower estate from the landing-zone region deny to the
/// OU-level region deny (CT.MULTISERVICE.PV.1), so that Amazon Bedrock
/// cross-region inference works while every other API stays in the governed
/// Regions.
#[derive(Debug, Parser)]
#[command(name = "ctmigrate", version, about, long_about = None, arg_required_else_help = true)]
#[command(
    after_help = "Start with the built-in sandbox (no AWS account needed):\n  ctmigrate detect --sandbox\n\nExit codes are listed in docs/exit-codes.md."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Without a command on a terminal: the guided session (`ctmigrate wizard`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The command line as clap parses it, with the AWS connection flags hidden
/// from `sandbox …` help: the sandbox commands never reach AWS, so listing
/// `--profile` or `--region` there only misleads. clap copies a global flag
/// into a subcommand only where the subcommand has none of that id, so a
/// hidden copy on `sandbox` (itself global, for its subcommands) takes its place.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    const AWS_ONLY: [&str; 4] = ["profile", "region", "endpoint_url", "member_role"];
    let cmd = Cli::command();
    let hidden: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| AWS_ONLY.contains(&a.get_id().as_str()))
        .map(|a| a.clone().hide(true))
        .collect();
    cmd.mut_subcommand("sandbox", |sandbox| sandbox.args(hidden))
}

/// Where the sandbox keeps its state unless told otherwise.
pub const DEFAULT_SANDBOX_DIR: &str = ".ctmigrate/sandbox";

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use the built-in sandbox (an emulated organization on 127.0.0.1) instead of AWS.
    #[arg(long, global = true, conflicts_with_all = ["endpoint_url", "profile"])]
    pub sandbox: bool,
    /// Directory holding the sandbox's state.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = DEFAULT_SANDBOX_DIR,
        env = "CTMIGRATE_SANDBOX_DIR"
    )]
    pub sandbox_dir: PathBuf,
    /// Send every AWS request to this AWS-compatible endpoint (e.g. `ctmigrate sandbox serve`).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS profile to use (from ~/.aws/config).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS Region for the first calls; use your Control Tower home Region.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Also read each member account's guardrails and batch jobs through this role (e.g. AWSControlTowerExecution), assumed from the management account; read-only calls. Without it, only the management account is read.
    #[arg(long, global = true, value_name = "ROLE")]
    pub member_role: Option<String>,
    /// Report format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No colours (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print only the result and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `word` as one shell word: as is when it is plain, else single-quoted.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Splits what [`GlobalArgs::connection_flags`] wrote back into words
/// (plain words, and single-quoted ones with `'\\''` for a quote).
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The guided session: from what denies Bedrock today to a reviewed plan and, if you choose, the staged apply.
    Wizard(WizardArgs),
    /// Report the landing zone, its region deny, governed Regions, first-tier OUs, SCPs and quotas. Reads only.
    Detect(DetectArgs),
    /// Build a reviewable migration plan (JSON + Markdown under plans/). Reads only.
    Plan(Box<PlanArgs>),
    /// Day two: audit a migrated organization (every registered first-tier OU fenced, PV.1 and the companion as planned, the proof). Exit 2 on findings. Reads only.
    Check(CheckArgs),
    /// Evaluate requests against SCPs with ctmigrate's policy evaluator.
    Policy(PolicyArgs),
    /// Print a plan's proof matrix (before, after each stage, what changes) against the live org.
    Simulate(SimulateArgs),
    /// Render a saved plan in the terminal (or as JSON, or Markdown with --format markdown). Offline.
    Show(ShowArgs),
    /// Check a saved plan file: checksum, format version, shape; and, unless --offline, whether the organization changed since (stale: exit 2).
    Validate(ValidateArgs),
    /// Explain an AccessDenied error: which SCP statement denies it, which inference profile and Regions are involved, and the fix.
    Explain(ExplainArgs),
    /// Execute a saved plan: staged, journaled, resumable, with the console step as a gate.
    Apply(ApplyArgs),
    /// Continue an apply from its journal (after the console step, a stop or a crash).
    Resume(ResumeArgs),
    /// Undo an apply from its journal, newest first, back to a checkpoint or to before it.
    Rollback(RollbackArgs),
    /// Show where an apply stands: stages done, the step in flight, what to do next. Reads only.
    Status(StatusArgs),
    /// The built-in sandbox: an emulator of Control Tower, Organizations, STS and Bedrock.
    Sandbox(SandboxArgs),
    /// Write a saved plan as Terraform or CloudFormation, for pipelines that own Control Tower.
    Export(ExportArgs),
    /// Print the least-privilege IAM identity policy for running ctmigrate (JSON).
    IamPolicy(IamPolicyArgs),
    /// Print a shell completion script, e.g. `ctmigrate completions bash > /etc/bash_completion.d/ctmigrate`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `ctmigrate man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
#[command(
    after_help = "operator: exactly the actions ctmigrate calls (a test keeps them equal to the code);\nwith the global --member-role NAME, sts:AssumeRole on that role is added. Attach it\nto the identity you run ctmigrate as, in the management account.\n\nbedrock-caller: InvokeModel and InvokeModelWithResponseStream through the profile in\nits source Region and on the model in every destination Region (only through that\nprofile), the Region-less model of a global profile, and GetInferenceProfile.\nDestinations are read live (bedrock:ListInferenceProfiles), else from the catalog."
)]
pub struct IamPolicyArgs {
    /// Whose policy.
    #[arg(long = "for", value_enum, value_name = "WHO")]
    pub for_whom: PolicyFor,
    /// Operator: only what detect, plan, check, simulate, explain and status need; no changes.
    #[arg(long)]
    pub read_only: bool,
    /// Bedrock caller: the system-defined inference profile it calls (e.g. us.anthropic.claude-sonnet-4-5-20250929-v1:0).
    #[arg(long, value_name = "ID")]
    pub inference_profile: Option<String>,
    /// Bedrock caller: the Region it calls from (default: --region, or the sandbox's home Region).
    #[arg(long, value_name = "REGION")]
    pub source_region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFor {
    /// The identity that runs ctmigrate in the management account.
    Operator,
    /// A role or user that calls Bedrock through one inference profile (`--inference-profile`).
    BedrockCaller,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The export expresses exactly the plan's steps before the console step, and adds none:\nPV.1 per target, the companion SCP and its attachments; what exists already is imported.\nThe landing-zone region deny is turned off in the console afterwards; the README.md\nwritten beside the code gives the order."
)]
pub struct ExportArgs {
    /// The saved plan (its checksum is checked, as apply checks it).
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
    /// The tool to write for.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub to: ExportTool,
    /// Directory to write into (created if missing; ctmigrate's files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTool {
    /// versions.tf, main.tf (with import blocks) and README.md.
    Terraform,
    /// ctmigrate.yaml, import.json when something exists already, and README.md.
    Cloudformation,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// How a run (apply, resume, rollback) proceeds.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Control operations at once within a stage (Control Tower runs at most 10); as many Organizations steps run beside them.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10))]
    pub max_concurrency: u64,
    /// At the console step, poll this long (e.g. 45m) for the person to turn the region deny off.
    /// Without it, a non-interactive run stops there with exit code 3 and `resume` continues later.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub wait_for_console: Option<std::time::Duration>,
    /// End of the change window (RFC 3339): a stage starts only if its estimate fits before it.
    #[arg(long, value_name = "TIME", conflicts_with = "window")]
    pub window_end: Option<String>,
    /// The change window as START/END (RFC 3339): nothing starts before START.
    #[arg(long, value_name = "START/END")]
    pub window: Option<String>,
    /// Take over a journal lock left by a run on another host (make sure it is not running).
    #[arg(long)]
    pub force_unlock: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file (plans/<name>.plan.json), exactly as `ctmigrate plan` wrote it.
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
    /// The journal to create (default: beside the plan, <name>.journal.jsonl).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The journal of the apply to continue.
    #[arg(long, value_name = "FILE")]
    pub journal: std::path::PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The journal of the apply to undo.
    #[arg(long, value_name = "FILE")]
    pub journal: std::path::PathBuf,
    /// Undo back to this checkpoint (a stage id, e.g. `companion`); default: everything.
    #[arg(long, value_name = "CHECKPOINT")]
    pub to: Option<String>,
    /// Also undo what the plan's steps found already in place without ctmigrate's tags (made by another admin or a pipeline); without it they are left and named.
    #[arg(long)]
    pub include_unowned: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The journal of the apply.
    #[arg(long, value_name = "FILE")]
    pub journal: std::path::PathBuf,
    /// Show what the journal says without reading the organization.
    #[arg(long)]
    pub offline: bool,
}

/// Quota flags shared by commands that count SCPs.
#[derive(Debug, Args, Clone, Copy)]
pub struct QuotaArgs {
    /// SCPs that may be attached directly to one OU (AWS: 10 since 2026-05-15).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub scp_attachment_limit: u64,
    /// Maximum characters in one SCP (AWS: 10,240 since 2026-05-15).
    #[arg(long, value_name = "CHARS", default_value_t = 10_240, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub scp_size_limit: u64,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub quotas: QuotaArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The plan whose decisions to check (default: the last plan applied, found in --plans-dir).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
    /// Where to look for the last plan.
    #[arg(long, value_name = "DIR", default_value = "plans")]
    pub plans_dir: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox on 127.0.0.1 until interrupted (for the AWS CLI or other tools).
    Serve {
        /// Port to listen on; 0 picks a free one. The URL is printed on the first line.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Fault and latency injection, e.g. `throttle=0.3,5xx=0.1,seed=7` (see docs/sandbox.md).
        #[arg(long, value_name = "SPEC", env = "CTMIGRATE_SANDBOX_FAULTS")]
        faults: Option<String>,
        /// Append one JSON line per request as it arrives (time, service,
        /// operation, Region, input), to measure any client.
        #[arg(long, value_name = "FILE", env = "CTMIGRATE_SANDBOX_REQUEST_LOG")]
        log_requests: Option<std::path::PathBuf>,
    },
    /// Restore a seeded estate (discards the sandbox's changes and timeline).
    Reset(ResetArgs),
    /// Play the human in the AWS Control Tower console.
    Console {
        #[command(subcommand)]
        action: ConsoleAction,
    },
    /// Show the landing zone's state and the region-deny coverage of each registered first-tier OU.
    Status,
    /// Print every recorded change with the region-deny coverage after it.
    Timeline,
}

#[derive(Debug, Subcommand)]
pub enum ConsoleAction {
    /// Landing zone settings → Modify settings → Region deny → Update landing zone.
    RegionDeny {
        /// Turn the landing-zone region deny off or on.
        #[arg(value_enum)]
        state: OnOff,
        /// Wait until the landing zone is ACTIVE again.
        #[arg(long)]
        wait: bool,
    },
    /// Organizations and Control Tower: create an OU under the root, or register one.
    Ou {
        #[command(subcommand)]
        action: OuAction,
    },
    /// Landing zone settings → Modify settings → Governed Regions → Update landing zone.
    GovernedRegions {
        #[arg(value_enum)]
        change: AddRemove,
        /// The Region, e.g. us-west-2.
        region: String,
        /// Wait until the landing zone is ACTIVE again.
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OuAction {
    /// Organizations → Create organizational unit, under the root.
    Create { name: String },
    /// Control Tower → Organization → Register OU (AWSControlTowerBaseline).
    Register {
        /// The OU's name (or id).
        name: String,
        /// Wait until the registration has finished.
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AddRemove {
    Add,
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Which estate to seed.
    #[arg(long, default_value = "default", value_parser = ["default", "wide", "enforced-guardrail", "no-control-tower", "no-organization"])]
    pub scenario: String,
    /// How long a control operation stays IN_PROGRESS (e.g. 1500ms, 2s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub control_op_delay: Option<std::time::Duration>,
    /// How long the console's landing-zone update stays PROCESSING.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub landing_zone_op_delay: Option<std::time::Duration>,
    /// Items per page in List answers (small, so clients must paginate).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub page_size: Option<u64>,
    /// SCPs that may be attached to one target.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub scp_attachment_limit: Option<u64>,
    /// Maximum characters in one SCP.
    #[arg(long, value_name = "CHARS", value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    pub scp_size_limit: Option<u64>,
    /// Control operations that may run at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100))]
    pub max_concurrent_control_ops: Option<u64>,
}

/// `ctmigrate plan`: every decision comes from these flags or from `--answers FILE`
/// (flags add to the file's lists and override its values).
#[derive(Debug, Args)]
#[command(
    after_help = "Companion modes (what stays allowed outside the allowed Regions):\n  accounts  Bedrock inference only from permitted accounts, through any inference profile\n            (application profiles included)\n  profiles  Bedrock inference only through approved inference profiles, from any account\n  strict    only from permitted accounts AND through approved profiles (default)\nIn every mode direct model calls are denied there, and so is global routing\nunless --allow-global.\n\nExit codes: 0 written (or nothing to do); with --detailed-exitcode 2 when changes are planned;\n65 invalid input; 1 the plan cannot be applied (nothing written unless --allow-errors). See docs/exit-codes.md."
)]
pub struct PlanArgs {
    /// Inference profile that must work: an id (jp.anthropic.claude-sonnet-4-5-20250929-v1:0), a geography (jp, us, eu, apac, au, global), or an application profile's ARN (ARN=SYSTEM_PROFILE_ID for one in another account). Repeatable.
    #[arg(long = "inference-profile", value_name = "ID")]
    pub inference_profiles: Vec<String>,
    /// Accept global profiles (their requests carry aws:RequestedRegion = "unspecified").
    #[arg(long)]
    pub allow_global: bool,
    /// Batch inference (CreateModelInvocationJob) through the approved inference profiles must work too.
    #[arg(long)]
    pub batch_inference: bool,
    /// Guardrail profile whose guardrails must work (us.guardrail.v1:0, eu.guardrail.v1:0, apac.guardrail.v1:0). Repeatable.
    #[arg(long = "guardrail-profile", value_name = "ID")]
    pub guardrail_profiles: Vec<String>,
    /// Data-automation profile Bedrock Data Automation must work through (us.data-automation-v1, eu.data-automation-v1, apac.data-automation-v1). Repeatable.
    #[arg(long = "data-automation-profile", value_name = "ID")]
    pub data_automation_profiles: Vec<String>,
    /// Account allowed to run inference outside the allowed Regions. Repeatable.
    #[arg(long = "permitted-account", value_name = "ID")]
    pub permitted_accounts: Vec<String>,
    /// File with permitted account ids, one per line (# starts a comment).
    #[arg(long, value_name = "FILE")]
    pub permitted_accounts_file: Option<PathBuf>,
    /// What the companion SCP allows outside the allowed Regions (see below).
    #[arg(long, value_enum, value_name = "MODE")]
    pub companion_mode: Option<CompanionMode>,
    /// Action to exempt from PV.1 beyond bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream. Repeatable.
    #[arg(long = "exempt-action", value_name = "ACTION")]
    pub exempt_actions: Vec<String>,
    /// Principal PV.1 exempts (its ExemptedPrincipalArns), instead of those carried over from the landing-zone deny. Repeatable.
    #[arg(
        long = "exempt-principal",
        value_name = "ARN",
        conflicts_with = "no_exempt_principals"
    )]
    pub exempt_principals: Vec<String>,
    /// PV.1 exempts no principal beyond Control Tower's roles (nothing is carried over from the landing-zone deny).
    #[arg(long)]
    pub no_exempt_principals: bool,
    /// Accept that PV.1 allows ACTION outside the allowed Regions although the live landing-zone deny denies it (the plan names each such pattern). Repeatable.
    #[arg(long = "accept-loosened", value_name = "ACTION")]
    pub accept_loosened: Vec<String>,
    /// Region callers run inference from (default: every allowed Region). Repeatable.
    #[arg(long = "source-region", value_name = "REGION")]
    pub source_regions: Vec<String>,
    /// SCPs that may be attached directly to one OU (AWS: 10 since 2026-05-15).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub scp_attachment_limit: Option<u64>,
    /// Maximum characters in one SCP (AWS: 10,240 since 2026-05-15).
    #[arg(long, value_name = "CHARS", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub scp_size_limit: Option<u64>,
    /// Read the decisions from a JSON answers file (the format the guided session writes; docs/plan-format.md).
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Keep the decisions of an earlier plan (profiles, accounts, mode, limits); flags add to them. Day two: covers newly registered OUs and changed governed Regions.
    #[arg(long, value_name = "FILE", conflicts_with = "answers")]
    pub from_plan: Option<PathBuf>,
    /// Name of the plan: files are <out>/<name>.plan.json and .plan.md.
    #[arg(long, default_value = "migration")]
    pub name: String,
    /// Directory to write the plan to.
    #[arg(long, value_name = "DIR", default_value = "plans")]
    pub out: PathBuf,
    /// Write a plan that has errors, marked not applyable, for review.
    #[arg(long)]
    pub allow_errors: bool,
    /// Exit 2 when changes are planned, 0 when there is nothing to do.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate cases (a JSON array, or JSON Lines with one case per line), streamed: one JSON line out per case as it is decided.
    #[command(
        after_help = "Case format (unknown fields are ignored):\n  {\"name\": \"...\",\n   \"policies\": [<policy document>, ...]                         one level, or\n   \"levels\": [{\"target\": \"r-root\", \"policies\": [...]}, ...],    root first\n   \"management_account\": \"111111111111\",                       optional\n   \"request\": {\"principal\": \"<ARN>\", \"account\": \"<12 digits>\", \"action\": \"svc:Action\",\n               \"resource\": \"<ARN or *>\", \"context\": {\"aws:RequestedRegion\": \"us-east-2\", \"aws:CalledVia\": [\"a\", \"b\"]}}}\nA string in context is single-valued, a list multi-valued.\nOutput: {\"name\": ..., \"decision\": \"Allow\"|\"ExplicitDeny\"|\"ImplicitDeny\"|\"Error\", \"by\": [...]},\n  with \"invalid_values\" naming condition values of the wrong type (such a condition never matches).\nExit: 0, or 1 when a case is an Error; 65 when the input is neither a JSON array nor JSON Lines\n(after the lines of the cases before the fault)."
    )]
    Eval {
        /// The cases file, or - for standard input.
        #[arg(long, value_name = "FILE")]
        cases: String,
    },
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The plan file (plans/<name>.plan.json).
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The plan file (plans/<name>.plan.json).
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
    /// Check the file only; do not read the organization.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The plan file (plans/<name>.plan.json).
    #[arg(long, value_name = "FILE")]
    pub plan: std::path::PathBuf,
}

#[derive(Debug, Args, Default)]
pub struct WizardArgs {
    /// Replay a session from an answers file (the format `plan --answers` reads, plus `session`).
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Record the session's answers to this file.
    #[arg(long, value_name = "FILE")]
    pub save_answers: Option<PathBuf>,
    /// If you apply at the end: control operations at once (1..=10).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10))]
    pub max_concurrency: u64,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text as you got it (quote it), or `-` to read it from stdin.
    /// Without TEXT, stdin is read when it is not a terminal.
    #[arg(value_name = "TEXT", num_args = 0.., allow_hyphen_values = true)]
    pub text: Vec<String>,
    /// The Region the request went to, for messages that name none (no resource ARN).
    #[arg(long, value_name = "REGION")]
    pub requested_region: Option<String>,
    /// Only read the message; do not look at the organization.
    #[arg(long)]
    pub offline: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help_of(path: &[&str]) -> String {
        let mut cmd = command();
        cmd.build();
        let mut sub = &mut cmd;
        for name in path {
            sub = match sub.find_subcommand_mut(name) {
                Some(s) => s,
                None => panic!("no subcommand {name}"),
            };
        }
        sub.render_long_help().to_string()
    }

    #[test]
    fn sandbox_help_leaves_out_the_aws_connection_flags() {
        command().debug_assert();
        for path in [
            &["sandbox"][..],
            &["sandbox", "serve"],
            &["sandbox", "console"],
        ] {
            let help = help_of(path);
            for flag in ["--profile", "--region", "--endpoint-url", "--member-role"] {
                assert!(!help.contains(flag), "{path:?} lists {flag}:\n{help}");
            }
            assert!(help.contains("--sandbox-dir"), "{path:?}:\n{help}");
        }
        let detect = help_of(&["detect"]);
        assert!(detect.contains("--profile") && detect.contains("--region"));
    }

    #[test]
    fn shell_words_read_back_what_connection_flags_wrote() {
        for dir in ["sb", "my box", "it's"] {
            let line = format!(" --sandbox --sandbox-dir {}", shell_word(dir));
            assert_eq!(
                shell_words(&line),
                vec!["--sandbox".to_string(), "--sandbox-dir".into(), dir.into()],
                "{line}"
            );
        }
        assert!(shell_words("  ").is_empty());
    }

    #[test]
    fn shell_words_quote_what_needs_it() {
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
