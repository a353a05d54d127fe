//! The other people in the Control Tower and Organizations consoles, for
//! rehearsals and tests: creating and registering an OU, adding or removing a
//! governed Region. Each shortcut is exactly one call of the emulated API
//! (the same handlers that `sandbox serve` answers), made as the management
//! account in the home Region, so that it changes the estate no differently
//! than the AWS CLI would.
//!
//! It must not import anything from the tool's logic.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::faults::{FaultSpec, Faults};
use super::server::Call;
use super::store::Store;
use super::world::{CONTROL_TOWER_BASELINE_ID, World};
use super::{SandboxError, controltower, organizations};

/// What a console shortcut started or made.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleAnswer {
    pub message: String,
    /// The asynchronous operation it started, if any.
    pub operation_id: Option<String>,
    pub expected_duration_ms: u64,
}

/// Calls one emulated operation as the management account in the home Region.
fn call(dir: &Path, service: &str, op: &str, body: Value) -> Result<Value, SandboxError> {
    let store = Store::open(dir)?;
    let faults = Faults::new(FaultSpec::default());
    let outcome = store.transact(|w: &mut World, now_ms| {
        let region = w
            .landing_zone
            .as_ref()
            .map(|l| l.home_region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        let key = w
            .callers
            .iter()
            .find(|c| c.account == w.master_account())
            .map(|c| c.access_key_id.clone())
            .unwrap_or_default();
        let call = Call {
            region: &region,
            access_key_id: &key,
            op,
            path: "/",
            query: &[],
            body: &body,
            now_ms,
            faults: &faults,
        };
        match service {
            "organizations" => organizations::handle(w, &call),
            _ => controltower::handle(w, &call),
        }
    })?;
    outcome.map_err(|e| SandboxError::Console(format!("{}: {}", e.code, e.message)))
}

fn read(dir: &Path) -> Result<World, SandboxError> {
    Store::open(dir)?.snapshot()
}

/// Organizations console: a new OU under the root.
pub fn create_ou(dir: &Path, name: &str) -> Result<ConsoleAnswer, SandboxError> {
    let w = read(dir)?;
    let root = w.root_id().to_string();
    let out = call(
        dir,
        "organizations",
        "CreateOrganizationalUnit",
        json!({"ParentId": root, "Name": name}),
    )?;
    let id = out["OrganizationalUnit"]["Id"].as_str().unwrap_or_default();
    Ok(ConsoleAnswer {
        message: format!("created OU {name} ({id}) under the root"),
        operation_id: None,
        expected_duration_ms: 0,
    })
}

/// Control Tower console: Organization → Register OU (AWSControlTowerBaseline).
pub fn register_ou(dir: &Path, name: &str) -> Result<ConsoleAnswer, SandboxError> {
    let w = read(dir)?;
    let matches: Vec<&str> = w
        .ous
        .values()
        .filter(|o| o.name == name || o.id == name)
        .map(|o| o.id.as_str())
        .collect();
    let [ou_id] = matches.as_slice() else {
        return Err(SandboxError::Console(format!(
            "{} OU(s) are named `{name}`; name exactly one (or give its id)",
            matches.len()
        )));
    };
    let home = w
        .landing_zone
        .as_ref()
        .map(|l| l.home_region.clone())
        .ok_or_else(|| SandboxError::Console("there is no landing zone".into()))?;
    let out = call(
        dir,
        "controltower",
        "EnableBaseline",
        json!({
            "baselineIdentifier": format!("arn:aws:controltower:{home}::baseline/{CONTROL_TOWER_BASELINE_ID}"),
            "baselineVersion": "4.0",
            "targetIdentifier": w.ou_arn(ou_id),
        }),
    )?;
    Ok(ConsoleAnswer {
        message: format!("registering {name} ({ou_id}) with Control Tower"),
        operation_id: out["operationIdentifier"].as_str().map(str::to_string),
        expected_duration_ms: w.settings.control_op_delay_ms,
    })
}

/// Control Tower console: Landing zone settings → Modify settings →
/// Governed Regions, adding or removing one.
pub fn governed_region(dir: &Path, region: &str, add: bool) -> Result<ConsoleAnswer, SandboxError> {
    let w = read(dir)?;
    let Some(lz) = w.landing_zone.as_ref() else {
        return Err(SandboxError::Console("there is no landing zone".into()));
    };
    let mut regions = lz.governed_regions.clone();
    let present = regions.iter().any(|r| r == region);
    match (add, present) {
        (true, true) | (false, false) => {
            return Err(SandboxError::Console(format!(
                "{region} is {} governed",
                if present { "already" } else { "not" }
            )));
        }
        (true, false) => regions.push(region.to_string()),
        (false, true) => regions.retain(|r| r != region),
    }
    let mut manifest = lz.manifest.clone();
    if let Some(m) = manifest.as_object_mut() {
        m.insert("governedRegions".into(), json!(regions));
    }
    let arn = format!(
        "arn:aws:controltower:{}:{}:landingzone/{}",
        lz.home_region,
        w.master_account(),
        lz.id
    );
    let out = call(
        dir,
        "controltower",
        "UpdateLandingZone",
        json!({"landingZoneIdentifier": arn, "version": lz.version, "manifest": manifest}),
    )?;
    Ok(ConsoleAnswer {
        message: format!(
            "landing zone update started: governed Regions {}",
            regions.join(", ")
        ),
        operation_id: out["operationIdentifier"].as_str().map(str::to_string),
        expected_duration_ms: w.settings.landing_zone_op_delay_ms,
    })
}

/// Waits until no operation of any kind is in progress.
pub async fn wait_idle(dir: &Path, timeout: Duration) -> Result<bool, SandboxError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // A snapshot is a transaction: operations due by now finish first.
        let w = read(dir)?;
        let busy = w
            .baseline_operations
            .iter()
            .any(|o| o.status == "IN_PROGRESS")
            || w.lz_operations.iter().any(|o| o.status == "IN_PROGRESS")
            || w.control_operations
                .iter()
                .any(|o| o.status == "IN_PROGRESS");
        if !busy {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
