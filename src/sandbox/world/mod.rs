//! The sandbox's model of one AWS estate: organization, policies, landing zone,
//! enabled controls, operations, Bedrock inference profiles, guardrails and
//! batch jobs, and callers.
//!
//! Owns the persisted shape (`state.json`) and the pure rules that move it
//! forward in time (asynchronous operations finishing). It must not know about
//! HTTP or wire protocols (see `server`, `organizations`, `controltower`) and
//! must not import anything from the planner, the policy evaluator or `aws`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

use super::templates;

mod rules;

/// Version of the on-disk state layout; a file with another version is refused.
pub const STATE_VERSION: u32 = 1;

/// Tunables of the emulated estate, set by `sandbox reset`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// How long a Control Tower control operation stays IN_PROGRESS.
    pub control_op_delay_ms: u64,
    /// How long a landing-zone update (the console step) stays PROCESSING.
    pub landing_zone_op_delay_ms: u64,
    /// SCPs that may be attached directly to one root, OU or account.
    pub scp_attachment_limit: usize,
    /// Maximum characters in one SCP document.
    pub scp_size_limit: usize,
    /// Page size used by every List operation (small, so callers must paginate).
    pub page_size: usize,
    /// Concurrent Control Tower control operations allowed.
    pub max_concurrent_control_ops: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            control_op_delay_ms: 1500,
            landing_zone_op_delay_ms: 3000,
            scp_attachment_limit: 10,
            scp_size_limit: 10_240,
            page_size: 3,
            max_concurrent_control_ops: 10,
        }
    }
}

/// The organization itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Org {
    pub id: String,
    pub master_account_id: String,
    pub master_account_email: String,
    pub root_id: String,
}

/// An organizational unit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ou {
    pub id: String,
    pub name: String,
    pub parent_id: String,
}

/// A member (or the management) account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub parent_id: String,
    pub joined_epoch: i64,
}

/// A service control policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub content: String,
    pub aws_managed: bool,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The Control Tower landing zone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LandingZone {
    pub id: String,
    pub home_region: String,
    pub version: String,
    pub latest_available_version: String,
    /// ACTIVE, PROCESSING or FAILED.
    pub status: String,
    pub drift: String,
    pub governed_regions: Vec<String>,
    /// Whether the console's "Region deny" setting is enabled.
    pub region_deny: bool,
    pub manifest: serde_json::Value,
}

/// A landing-zone operation (CREATE, UPDATE, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LzOperation {
    pub id: String,
    pub op_type: String,
    /// IN_PROGRESS, SUCCEEDED or FAILED.
    pub status: String,
    pub start_ms: i64,
    pub complete_at_ms: i64,
    pub end_ms: Option<i64>,
    /// For console region-deny updates: the setting the update turns on or off.
    pub region_deny_target: Option<bool>,
    /// For UpdateLandingZone with a changed manifest: the governed Regions it sets.
    #[serde(default)]
    pub governed_regions_target: Option<Vec<String>>,
}

/// An asynchronous baseline operation (registering or deregistering an OU).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineOperation {
    pub id: String,
    /// ENABLE_BASELINE or DISABLE_BASELINE.
    pub op_type: String,
    /// The enabled baseline's ARN.
    pub enabled_baseline_arn: String,
    pub baseline_identifier: String,
    pub baseline_version: String,
    /// Target OU ARN.
    pub target: String,
    /// IN_PROGRESS, SUCCEEDED or FAILED.
    pub status: String,
    pub status_message: Option<String>,
    pub start_ms: i64,
    pub complete_at_ms: i64,
    pub end_ms: Option<i64>,
}

/// A baseline enabled on a target (registration of an OU).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnabledBaseline {
    pub arn: String,
    pub baseline_identifier: String,
    pub baseline_version: String,
    pub target: String,
    pub parent: Option<String>,
}

/// A control enabled on an OU.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnabledControl {
    pub arn: String,
    /// The identifier exactly as given to EnableControl (catalog or regional).
    pub control_identifier: String,
    /// Canonical control key (e.g. `CT.MULTISERVICE.PV.1`, `AWS-GR_REGION_DENY`).
    pub control_key: String,
    /// Target OU ARN.
    pub target: String,
    /// SUCCEEDED, FAILED or UNDER_CHANGE.
    pub status: String,
    pub drift: String,
    pub last_operation: Option<String>,
    pub parameters: Vec<(String, serde_json::Value)>,
    /// The tags EnableControl was given (ListTagsForResource).
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// What a control operation does when it completes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum OpEffect {
    Enable,
    Disable,
    Update {
        parameters: Vec<(String, serde_json::Value)>,
    },
}

/// An asynchronous control operation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ControlOperation {
    pub id: String,
    pub op_type: String,
    pub control_identifier: String,
    pub target: String,
    pub enabled_control_arn: String,
    /// IN_PROGRESS, SUCCEEDED or FAILED.
    pub status: String,
    pub status_message: Option<String>,
    pub start_ms: i64,
    pub complete_at_ms: i64,
    pub end_ms: Option<i64>,
    /// Decided when the operation is accepted (fault injection).
    pub will_fail: bool,
    pub effect: OpEffect,
}

/// A Control Catalog control.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CatalogControl {
    pub arn: String,
    pub name: String,
    pub description: String,
    pub aliases: Vec<String>,
    pub behavior: String,
    pub implementation_type: String,
    /// Control Tower's regional identifier suffix, if it has one.
    pub regional_id: Option<String>,
    /// Canonical key used for enabled-control bookkeeping.
    pub key: String,
}

/// A system-defined cross-region inference profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InferenceProfile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub source_regions: Vec<String>,
    /// Destination Regions; empty for a global profile (Region-less model ARN).
    pub destination_regions: Vec<String>,
    pub model_id: String,
}

/// An application inference profile a user created (`CreateInferenceProfile`)
/// in one account and Region, copied from a system profile or a model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApplicationProfile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub account: String,
    pub region: String,
    /// The `modelSource.copyFrom` ARN: a system inference profile or a foundation model.
    pub copied_from: String,
}

/// A guardrail one account made in one Region (`CreateGuardrail`), with
/// the guardrail profile it routes evaluation through, if any.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    /// `crossRegionConfig.guardrailProfileIdentifier`, as an id.
    pub profile_id: Option<String>,
    pub created_ms: i64,
}

/// A guardrail an account enforces on every model call in one Region
/// (`PutEnforcedGuardrailConfiguration`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnforcedGuardrail {
    pub config_id: String,
    pub account: String,
    pub region: String,
    pub guardrail_id: String,
    pub guardrail_version: String,
    pub created_ms: i64,
}

/// A batch inference job (`CreateModelInvocationJob`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchJob {
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    /// The model or inference profile, as given.
    pub model_id: String,
    pub status: String,
    pub submitted_ms: i64,
}

/// A caller the sandbox recognises by access key id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Caller {
    pub access_key_id: String,
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// The whole persisted estate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct World {
    pub state_version: u32,
    pub scenario: String,
    pub settings: Settings,
    pub counter: u64,
    pub org: Option<Org>,
    pub ous: BTreeMap<String, Ou>,
    pub accounts: BTreeMap<String, Account>,
    pub policies: BTreeMap<String, Policy>,
    /// target id -> attached policy ids, in attachment order.
    pub attachments: BTreeMap<String, Vec<String>>,
    pub landing_zone: Option<LandingZone>,
    pub lz_operations: Vec<LzOperation>,
    pub baselines: Vec<EnabledBaseline>,
    pub enabled_controls: Vec<EnabledControl>,
    pub control_operations: Vec<ControlOperation>,
    pub catalog: Vec<CatalogControl>,
    pub inference_profiles: Vec<InferenceProfile>,
    #[serde(default)]
    pub application_profiles: Vec<ApplicationProfile>,
    #[serde(default)]
    pub guardrails: Vec<Guardrail>,
    #[serde(default)]
    pub enforced_guardrails: Vec<EnforcedGuardrail>,
    #[serde(default)]
    pub batch_jobs: Vec<BatchJob>,
    pub callers: Vec<Caller>,
    /// The account of the default caller (the management account, or a
    /// standalone account when there is no organization).
    pub identity_account: String,
    /// Sequence number of the last timeline record.
    #[serde(default)]
    pub timeline_seq: u64,
    #[serde(default)]
    pub baseline_operations: Vec<BaselineOperation>,
}

/// One change that happened while time moved forward.
#[derive(Debug, Clone, PartialEq)]
pub struct Happening {
    pub at_ms: i64,
    pub event: String,
    pub detail: String,
}

/// Milliseconds since the Unix epoch.
pub fn epoch_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The control-tower baseline that marks an OU as registered.
pub const CONTROL_TOWER_BASELINE_ID: &str = "17BSJV3IGJ2QSGA2";
/// Canonical key of the OU-level region deny.
pub const PV1_KEY: &str = "CT.MULTISERVICE.PV.1";
/// Canonical key (and Control Tower identifier suffix) of the landing-zone region deny.
pub const LZ_REGION_DENY_KEY: &str = "AWS-GR_REGION_DENY";
/// Prefix of every Control Tower managed SCP.
pub const GUARDRAIL_PREFIX: &str = "aws-guardrails-";

impl World {
    /// An organization ARN for an OU, account or root id.
    pub fn org_id(&self) -> &str {
        self.org.as_ref().map(|o| o.id.as_str()).unwrap_or("o-none")
    }

    pub fn master_account(&self) -> &str {
        self.org
            .as_ref()
            .map(|o| o.master_account_id.as_str())
            .unwrap_or("000000000000")
    }

    pub fn root_id(&self) -> &str {
        self.org
            .as_ref()
            .map(|o| o.root_id.as_str())
            .unwrap_or("r-none")
    }

    pub fn ou_arn(&self, ou_id: &str) -> String {
        format!(
            "arn:aws:organizations::{}:ou/{}/{}",
            self.master_account(),
            self.org_id(),
            ou_id
        )
    }

    pub fn root_arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:root/{}/{}",
            self.master_account(),
            self.org_id(),
            self.root_id()
        )
    }

    pub fn account_arn(&self, account_id: &str) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{}",
            self.master_account(),
            self.org_id(),
            account_id
        )
    }

    pub fn policy_arn(&self, policy: &Policy) -> String {
        if policy.aws_managed {
            format!(
                "arn:aws:organizations::aws:policy/service_control_policy/{}",
                policy.id
            )
        } else {
            format!(
                "arn:aws:organizations::{}:policy/{}/service_control_policy/{}",
                self.master_account(),
                self.org_id(),
                policy.id
            )
        }
    }

    /// The OU id named by an OU ARN, if the ARN belongs to this organization.
    pub fn ou_id_from_arn(&self, arn: &str) -> Option<String> {
        let prefix = format!(
            "arn:aws:organizations::{}:ou/{}/",
            self.master_account(),
            self.org_id()
        );
        let id = arn.strip_prefix(&prefix)?;
        self.ous.contains_key(id).then(|| id.to_string())
    }

    /// The account of the caller signing with `access_key_id` (the default
    /// caller's account for a key the sandbox does not know).
    pub fn caller_account(&self, access_key_id: &str) -> String {
        self.callers
            .iter()
            .find(|c| c.access_key_id == access_key_id)
            .map(|c| c.account.clone())
            .unwrap_or_else(|| self.master_account().to_string())
    }

    /// Next pseudo-random identifier of `len` characters from `alphabet`;
    /// deterministic for a given state so that runs are reproducible.
    pub fn next_id(&mut self, len: usize, alphabet: &[u8]) -> String {
        self.counter += 1;
        let mut rng = fastrand::Rng::with_seed(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())] as char)
            .collect()
    }

    pub fn next_uuid(&mut self) -> String {
        let hex = self.next_id(32, b"0123456789abcdef");
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// Registered OUs: those with the AWSControlTowerBaseline enabled.
    pub fn registered_ou_ids(&self) -> Vec<String> {
        self.baselines
            .iter()
            .filter(|b| b.baseline_identifier.ends_with(CONTROL_TOWER_BASELINE_ID))
            .filter_map(|b| self.ou_id_from_arn(&b.target))
            .collect()
    }

    /// Registered OUs whose parent is the root, by name.
    pub fn registered_first_tier_ou_ids(&self) -> Vec<String> {
        let root = self.root_id().to_string();
        let mut ids: Vec<String> = self
            .registered_ou_ids()
            .into_iter()
            .filter(|id| self.ous.get(id).is_some_and(|ou| ou.parent_id == root))
            .collect();
        ids.sort_by_key(|id| self.ous.get(id).map(|o| o.name.clone()));
        ids
    }

    pub fn attached(&self, target: &str) -> &[String] {
        self.attachments
            .get(target)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Sids of region-deny statements in force on a target through the SCPs
    /// attached to it or to its ancestors.
    pub fn region_denies_on(&self, ou_id: &str) -> Vec<String> {
        let mut chain = vec![ou_id.to_string()];
        let mut cur = ou_id.to_string();
        while let Some(ou) = self.ous.get(&cur) {
            chain.push(ou.parent_id.clone());
            cur = ou.parent_id.clone();
        }
        let mut sids = Vec::new();
        for target in chain {
            for pid in self.attached(&target) {
                if let Some(p) = self.policies.get(pid) {
                    for sid in templates::statement_sids(&p.content) {
                        if (sid == templates::GRREGIONDENY_SID || sid == templates::PV1_SID)
                            && !sids.contains(&sid)
                        {
                            sids.push(sid);
                        }
                    }
                }
            }
        }
        sids
    }
}
