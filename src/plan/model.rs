//! The plan file's types (`plans/<name>.plan.json`, documented in
//! docs/plan-format.md, schema in docs/plan.schema.json). `apply` executes a
//! plan exactly as these types describe it and never re-derives anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::action::Action;
use super::inputs::{CompanionMode, PlanInputs};
use crate::paths::BedrockPath;

/// Version of the plan format; bumped for any change a reader must adapt to.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// A reviewable, executable migration plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    pub tool_version: String,
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    pub organization_id: String,
    pub management_account: String,
    pub home_region: String,
    pub landing_zone_arn: String,
    /// sha256 of the normalised organization state the plan was built from.
    pub fingerprint: String,
    /// sha256 of this plan with `checksum` set to "" (see docs/plan-format.md).
    pub checksum: String,
    /// False when `errors` is not empty: `apply` refuses it.
    pub applyable: bool,
    /// Whether any requested inference profile needs the migration.
    pub migration_needed: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub inputs: PlanInputs,
    pub decisions: Decisions,
    pub profiles: Vec<ProfileAssessment>,
    /// The guardrail and data-automation profiles the plan approves, with
    /// their destinations from the documented catalog. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_profiles: Vec<ProfileAssessment>,
    pub targets: Vec<TargetPlan>,
    pub not_changed: NotChanged,
    pub companion: CompanionScp,
    pub pv1: Pv1Plan,
    pub stages: Vec<Stage>,
    /// The evaluated proof (see docs/plan-format.md); absent when nothing is planned.
    pub proof: Option<super::proof::ProofSummary>,
}

/// What the plan decided and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decisions {
    /// The Regions the landing-zone region deny allows today: PV.1's `AllowedRegions`.
    pub allowed_regions: Vec<String>,
    /// Where `allowed_regions` came from (the GRREGIONDENY statements, or the governed Regions).
    pub allowed_regions_source: String,
    /// PV.1's `ExemptedActions`.
    pub exempted_actions: Vec<String>,
    /// The Bedrock paths that must work, each with the actions it adds to
    /// `exempted_actions` and why. Absent in plans made before 0.3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathDecision>,
    /// PV.1's `ExemptedPrincipalArns`: what the landing-zone deny exempts beyond Control Tower's roles.
    pub exempted_principal_arns: Vec<String>,
    pub companion_mode: CompanionMode,
    /// Accounts allowed to run Bedrock inference outside the allowed Regions.
    pub permitted_accounts: Vec<String>,
    /// `bedrock:InferenceProfileArn` patterns of the approved profiles.
    pub approved_profile_arns: Vec<String>,
    /// Whether `global.` profiles (which send `aws:RequestedRegion = "unspecified"`) may be used.
    pub global_allowed: bool,
    /// `live` (Bedrock ListInferenceProfiles) or `catalog` (built-in, Bedrock unreadable).
    pub destinations_source: String,
    /// Source Regions whose inference profiles were read.
    pub source_regions: Vec<String>,
    /// The landing zone's governed Regions when the plan was made (apply
    /// stops when they change under it). Absent in plans made before 0.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub governed_regions: Vec<String>,
    /// The landing zone's version when the plan was made, and the latest
    /// available one (the console update may upgrade it). Absent in older plans.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub landing_zone_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub landing_zone_latest_version: String,
}

/// One Bedrock path a plan makes work, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathDecision {
    pub path: BedrockPath,
    /// The actions it needs exempted (and fenced) in every destination Region.
    pub actions: Vec<String>,
    pub why: String,
    /// How the companion tells an approved request from another.
    pub fenced_by: String,
    /// For a path fenced by resource: the profile ARN patterns allowed
    /// outside the allowed Regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approved_arns: Vec<String>,
    /// The page the path is modelled on.
    pub documentation: String,
}

/// One requested inference profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileAssessment {
    /// Profile id (`jp.anthropic...`), or `<prefix>.*` for a geography from the catalog.
    pub id: String,
    /// The request that selected it (an id or a geography prefix).
    pub requested_as: String,
    pub source_regions: Vec<String>,
    /// Destination Regions; `unspecified` stands for the Region-less leg of `global.` profiles.
    pub destination_regions: Vec<String>,
    /// `live` or `catalog`.
    pub source: String,
    /// Every destination is allowed by the landing-zone deny today.
    pub works_today: bool,
    /// Destinations the landing-zone deny blocks today.
    pub blocked_destinations: Vec<String>,
    /// For an application profile (`id` is its ARN): the system profile it
    /// was copied from, whose destinations it routes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from: Option<String>,
    /// The path the profile serves: `inference` (absent) for inference
    /// profiles, `guardrails` or `data-automation` in `path_profiles`.
    #[serde(default, skip_serializing_if = "BedrockPath::is_inference")]
    pub path: BedrockPath,
}

/// What happens on one registered first-tier OU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetPlan {
    pub ou_id: String,
    pub ou_arn: String,
    pub name: String,
    pub nested_ous: Vec<String>,
    pub accounts: usize,
    /// The accounts in the OU and its nested OUs when the plan was made:
    /// `apply` and `check` notice one moved out of every governed OU.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
    pub scp_slots_used_now: usize,
    pub scp_slots_needed: usize,
    pub scp_attachment_limit: usize,
    pub pv1_action: Pv1Action,
    pub pv1_current_parameters: Option<Value>,
    pub pv1_parameters: Value,
    /// Whether the PV.1 statement is expected to need a new `aws-guardrails-*` SCP.
    pub pv1_needs_new_guardrail_scp: bool,
    pub companion_attached_now: bool,
}

/// What the plan does with PV.1 on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Pv1Action {
    /// Not enabled there yet: EnableControl.
    Enable,
    /// Enabled with other parameters: UpdateEnabledControl.
    Update,
    /// Enabled as planned already.
    None,
}

/// What the plan does with the companion SCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CompanionAction {
    /// No policy of that name: CreatePolicy.
    Create,
    /// Ours, with other content: UpdatePolicy.
    Update,
    /// Ours, as planned already.
    None,
}

impl std::fmt::Display for Pv1Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pv1Action::Enable => "enable",
            Pv1Action::Update => "update",
            Pv1Action::None => "none",
        })
    }
}

impl std::fmt::Display for CompanionAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CompanionAction::Create => "create",
            CompanionAction::Update => "update",
            CompanionAction::None => "none",
        })
    }
}

/// What the plan reports but leaves alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotChanged {
    pub unregistered_first_tier_ous: Vec<String>,
    pub accounts_under_root: Vec<String>,
}

/// The companion SCP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanionScp {
    pub name: String,
    pub description: String,
    pub tags: Vec<(String, String)>,
    /// Minified JSON, exactly as it will be sent.
    pub content: String,
    pub size: usize,
    pub size_limit: usize,
    /// Id of an existing policy with this name, if there is one.
    pub existing_policy_id: Option<String>,
    pub action: CompanionAction,
}

/// The PV.1 enablement common to every target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pv1Plan {
    pub control_identifier: String,
    pub regional_identifier: String,
    /// Estimated characters of the `CTMULTISERVICEPV1` statement in its SCP.
    pub estimated_statement_size: usize,
    pub size_limit: usize,
}

/// A stage: steps that run after every earlier stage is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub title: String,
    /// Done by a person (the Control Tower console); `apply` waits and verifies.
    pub manual: bool,
    /// Why this stage comes here.
    pub rationale: String,
    pub estimated_seconds: u64,
    pub steps: Vec<Step>,
}

/// One reversible step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// OU id, policy name or `organization`.
    pub target: String,
    /// The exact API request, or None for checks and manual steps.
    pub request: Option<Action>,
    /// The request that undoes it (values like `${step-id.Field}` come from the journal).
    pub inverse: Option<Action>,
    /// What must be observed before acting.
    pub precondition: Vec<Expectation>,
    /// What must be observed after acting.
    pub postcondition: Vec<Expectation>,
    /// Steps in the same stage that must finish first.
    pub after: Vec<String>,
    pub estimated_seconds: u64,
    /// For manual steps: exactly what the person does.
    pub instructions: Vec<String>,
}

/// Something `apply` checks against the live organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    CallerIsManagementAccount {
        account: String,
    },
    LandingZoneActive {
        arn: String,
    },
    FingerprintUnchanged {
        fingerprint: String,
    },
    NoControlOperationInProgress,
    ScpSlotsAvailable {
        target: String,
        needed: usize,
        limit: usize,
    },
    PolicyAbsent {
        name: String,
    },
    PolicyContent {
        name: String,
        sha256: String,
    },
    ControlNotEnabled {
        target: String,
        control: String,
    },
    ControlEnabled {
        target: String,
        control: String,
        parameters: Value,
    },
    PolicyAttached {
        name: String,
        target: String,
    },
    PolicyNotAttached {
        name: String,
        target: String,
    },
    StatementPresent {
        target: String,
        sid: String,
    },
    StatementAbsent {
        target: String,
        sid: String,
    },
    LandingZoneRegionDenyOff,
    LandingZoneRegionDenyOn,
}
