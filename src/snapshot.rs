//! The snapshot: everything the tool read about one organization, normalised
//! (sorted, de-duplicated) so that two reads of an unchanged estate are equal.
//! Detection, planning and the policy proof work from it alone.
//!
//! Plain data and lookups only: it must not call AWS (that is `discover`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::*;

/// Version of the snapshot's JSON shape.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// The Control Catalog identifier of CT.MULTISERVICE.PV.1 used when the
/// catalog cannot be read (controltower.md §1.1).
pub const PV1_CATALOG_FALLBACK: &str = "arn:aws:controlcatalog:::control/ka8e3pkqefnjsxuyc26ji580";
/// The Control Tower regional identifier suffix of CT.MULTISERVICE.PV.1.
pub const PV1_REGIONAL_ID: &str = "TKFQGXOBPOPS";
/// The alias of the OU-level region deny in the Control Catalog.
pub const PV1_ALIAS: &str = "CT.MULTISERVICE.PV.1";
/// The Control Tower identifier suffix of the landing-zone region deny.
pub const LZ_REGION_DENY_ID: &str = "AWS-GR_REGION_DENY";
/// The AWSControlTowerBaseline identifier suffix: an OU with it is registered.
pub const CONTROL_TOWER_BASELINE_ID: &str = "17BSJV3IGJ2QSGA2";
/// Prefix of Control Tower managed SCPs.
pub const GUARDRAIL_PREFIX: &str = "aws-guardrails-";

/// How CT.MULTISERVICE.PV.1 is identified in this organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pv1Identifiers {
    /// The Control Catalog ARN.
    pub catalog_arn: String,
    /// The Control Tower regional ARN in the home Region.
    pub regional_arn: String,
    /// `control-catalog` when resolved by alias, `built-in` when the catalog could not be read.
    pub resolved_from: String,
}

impl Pv1Identifiers {
    /// Whether a control identifier (either form) is PV.1.
    pub fn matches(&self, identifier: &str) -> bool {
        identifier == self.catalog_arn
            || identifier == PV1_CATALOG_FALLBACK
            || identifier.ends_with(&format!("::control/{PV1_REGIONAL_ID}"))
    }
}

/// Whether a control identifier is the landing-zone region deny.
pub fn is_lz_region_deny(identifier: &str) -> bool {
    identifier.ends_with(&format!("::control/{LZ_REGION_DENY_ID}"))
}

/// An OU with its place in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OuNode {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub parent_id: String,
    /// 1 for first-tier OUs (children of the root).
    pub depth: usize,
    /// Names from the first-tier OU down, joined with `/`.
    pub path: String,
    /// Has the AWSControlTowerBaseline.
    pub registered: bool,
    /// SCP ids attached directly, sorted.
    pub policies: Vec<String>,
}

/// An account with its parent and its directly attached SCPs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountNode {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub parent_id: String,
    pub policies: Vec<String>,
}

/// Inference profiles per source Region, or why that Region could not be read.
pub type ProfilesByRegion = BTreeMap<String, Result<Vec<InferenceProfile>, String>>;

/// What the caller's account shows in one Region of the Bedrock paths
/// beyond InvokeModel that cross Regions; each list is read on its own, so
/// one that cannot be read leaves the others (its error text instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedrockUse {
    pub guardrails: Result<Vec<Guardrail>, String>,
    pub enforced_guardrails: Result<Vec<EnforcedGuardrail>, String>,
    pub batch_jobs: Result<Vec<BatchJob>, String>,
}

/// [`BedrockUse`] per Region.
pub type UseByRegion = BTreeMap<String, BedrockUse>;

/// [`UseByRegion`] per account: the caller's own, and each member account
/// read through a role ctmigrate was allowed to assume (`--member-role`).
pub type UseByAccount = BTreeMap<String, UseByRegion>;

/// What one read of an organization gives the later steps: the snapshot,
/// the inference profiles per source Region, and the other Bedrock paths
/// the accounts read use there. The pure core's tests run on committed
/// estates of this shape (tests/fixtures/estates/).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estate {
    pub snapshot: Snapshot,
    pub profiles: ProfilesByRegion,
    #[serde(default)]
    pub bedrock_use: UseByAccount,
}

/// Everything read about one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format_version: u32,
    pub caller: CallerIdentity,
    pub organization: Organization,
    pub root: Root,
    /// SCP ids attached to the root, sorted.
    pub root_policies: Vec<String>,
    /// Every OU, parents before children, siblings by name.
    pub ous: Vec<OuNode>,
    /// Every account, by id.
    pub accounts: Vec<AccountNode>,
    /// Every SCP in the organization, by id, with its content.
    pub policies: BTreeMap<String, Policy>,
    pub landing_zone: LandingZone,
    pub landing_zone_operations: Vec<LandingZoneOperation>,
    pub baselines: Vec<EnabledBaseline>,
    /// Controls enabled directly on registered OUs (PV.1 with its parameters).
    pub enabled_controls: Vec<EnabledControl>,
    pub control_operations_in_progress: Vec<ControlOperation>,
    pub pv1: Pv1Identifiers,
}

impl Snapshot {
    pub fn ou(&self, id: &str) -> Option<&OuNode> {
        self.ous.iter().find(|o| o.id == id)
    }

    /// First-tier OUs (children of the root), by name.
    pub fn first_tier_ous(&self) -> impl Iterator<Item = &OuNode> {
        self.ous.iter().filter(|o| o.depth == 1)
    }

    /// OUs below `ou_id`, at any depth.
    /// The first-tier OU whose tree holds `parent_id` (an OU id), or `None`
    /// when it is the root (or unknown).
    pub fn first_tier_of(&self, parent_id: &str) -> Option<&OuNode> {
        let mut cur = self.ou(parent_id)?;
        while cur.depth > 1 {
            cur = self.ou(&cur.parent_id)?;
        }
        Some(cur)
    }

    pub fn descendants(&self, ou_id: &str) -> Vec<&OuNode> {
        let mut children: std::collections::HashMap<&str, Vec<&OuNode>> =
            std::collections::HashMap::new();
        for o in &self.ous {
            children.entry(o.parent_id.as_str()).or_default().push(o);
        }
        let mut out = Vec::new();
        let mut frontier = vec![ou_id];
        while let Some(id) = frontier.pop() {
            for child in children.get(id).into_iter().flatten() {
                frontier.push(child.id.as_str());
                out.push(*child);
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Accounts in `ou_id` or below it.
    pub fn accounts_under(&self, ou_id: &str) -> Vec<&AccountNode> {
        let mut ids: std::collections::HashSet<&str> = std::collections::HashSet::from([ou_id]);
        ids.extend(self.descendants(ou_id).iter().map(|o| o.id.as_str()));
        self.accounts
            .iter()
            .filter(|a| ids.contains(&a.parent_id.as_str()))
            .collect()
    }

    /// Enabled controls directly on the OU.
    pub fn controls_on(&self, ou_arn: &str) -> impl Iterator<Item = &EnabledControl> {
        self.enabled_controls
            .iter()
            .filter(move |c| c.target == ou_arn && c.parent.is_none())
    }
}

/// The committed estates the pure core's unit tests run on (kept current
/// by the e2e test `the_committed_estate_fixtures_are_current`).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Estate;

    /// `default`, `wide`, `drifted-deny` or `full-ou`.
    pub fn estate(name: &str) -> Estate {
        let text = match name {
            "default" => include_str!("../tests/fixtures/estates/default.json"),
            "wide" => include_str!("../tests/fixtures/estates/wide.json"),
            "drifted-deny" => include_str!("../tests/fixtures/estates/drifted-deny.json"),
            "full-ou" => include_str!("../tests/fixtures/estates/full-ou.json"),
            other => panic!("no estate fixture `{other}`"),
        };
        serde_json::from_str(text).unwrap()
    }
}
