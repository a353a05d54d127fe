//! The built-in sandbox: a local emulator of the AWS Control Tower, Control
//! Catalog, Organizations, STS and Bedrock APIs that the real SDK clients (and
//! the AWS CLI) reach over HTTP on 127.0.0.1.
//!
//! It plays AWS. It owns its estate (`world`, `seed`), persistence (`store`),
//! wire protocols (`server`), the service rules (`organizations`,
//! `controltower`, `catalog`, `bedrock` with `guardrails` and `batch`, `sts`),
//! fault injection (`faults`),
//! and the human's console step (`console_region_deny`). It imports nothing
//! from `plan`, `policy` or `aws`, and they import nothing from it: the tool
//! reaches it only through the aws-sdk adapter with an endpoint override.
//!
//! Files in the sandbox directory: `state.json` (the estate), `state.lock`,
//! `timeline.jsonl` (every change with the region-deny coverage of each
//! registered first-tier OU after it).

mod baselines;
mod batch;
mod bedrock;
mod catalog;
pub mod console;
mod controltower;
mod faults;
mod guardrails;
mod organizations;
mod seed;
mod server;
mod store;
mod sts;
mod templates;
mod world;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use faults::{FAULTS_ENV, FaultSpec};
pub use seed::SCENARIOS;
pub use store::{Coverage, TimelineEntry};
pub use world::Settings;

use faults::Faults;
use server::Shared;
use store::Store;
use world::{Happening, LzOperation};

/// Dummy credentials the tool uses against the embedded sandbox.
pub const SANDBOX_ACCESS_KEY_ID: &str = "ASIASANDBOXADMIN0001";
/// Secret paired with [`SANDBOX_ACCESS_KEY_ID`]; the sandbox does not check it.
pub const SANDBOX_SECRET_ACCESS_KEY: &str = "sandbox-secret-not-checked";

/// What can go wrong in the sandbox itself (not in an emulated API).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot use sandbox file `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sandbox state `{path}` is not valid: {detail}")]
    CorruptState { path: PathBuf, detail: String },
    #[error("unknown sandbox scenario `{0}`")]
    UnknownScenario(String),
    #[error("invalid fault spec: {0}")]
    BadFaults(String),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Console(String),
}

impl SandboxError {
    /// A one-line hint saying how to fix the problem.
    pub fn hint(&self) -> String {
        match self {
            SandboxError::Io { .. } => {
                "check that the sandbox directory (--sandbox-dir) is writable".into()
            }
            SandboxError::CorruptState { path, .. } => {
                let dir = path
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                format!(
                    "run `ctmigrate sandbox reset --sandbox-dir {dir}` to restore the seeded estate (this discards the sandbox's changes)"
                )
            }
            SandboxError::UnknownScenario(_) => format!("choose one of: {}", SCENARIOS.join(", ")),
            SandboxError::BadFaults(_) => format!(
                "fix the spec given to --faults or {FAULTS_ENV}; see docs/sandbox.md, e.g. `throttle=0.3,5xx=0.1,seed=7`"
            ),
            SandboxError::Bind { .. } => "choose another --port, or 0 for any free port".into(),
            SandboxError::Console(_) => {
                "run `ctmigrate sandbox status` to see the landing zone's state".into()
            }
        }
    }

    /// Whether the error is about the user's input rather than the machine.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            SandboxError::CorruptState { .. }
                | SandboxError::UnknownScenario(_)
                | SandboxError::BadFaults(_)
        )
    }
}

/// Parses a fault spec (`--faults` or `CTMIGRATE_SANDBOX_FAULTS`); none: no faults.
pub fn fault_spec(spec: Option<&str>) -> Result<FaultSpec, SandboxError> {
    match spec {
        Some(s) => FaultSpec::parse(s).map_err(SandboxError::BadFaults),
        None => Ok(FaultSpec::default()),
    }
}

/// A sandbox server running on a background task.
/// Dropping it stops the server too (without waiting for it).
pub struct RunningSandbox {
    addr: SocketAddr,
    home_region: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Region the sandbox's "profile" uses: the landing zone's home Region
    /// (or the seeded organization's usual Region when it has no landing zone).
    pub fn default_region(&self) -> &str {
        self.home_region.as_deref().unwrap_or(seed::PROFILE_REGION)
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// How a sandbox server behaves besides its estate.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub faults: FaultSpec,
    /// Log every request as it arrives, one JSON line each, to this file
    /// (appended; `sandbox serve --log-requests`).
    pub request_log: Option<PathBuf>,
}

impl From<FaultSpec> for ServeOptions {
    fn from(faults: FaultSpec) -> ServeOptions {
        ServeOptions {
            faults,
            request_log: None,
        }
    }
}

/// Starts a sandbox on 127.0.0.1:`port` (0 = any free port) over the estate
/// in `dir`, seeding it on first use.
pub async fn start(
    dir: &Path,
    port: u16,
    options: impl Into<ServeOptions>,
) -> Result<RunningSandbox, SandboxError> {
    let options = options.into();
    let request_log = match &options.request_log {
        Some(path) => Some(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| SandboxError::Io {
                    path: path.clone(),
                    source,
                })?,
        )),
        None => None,
    };
    let store = Store::open(dir)?;
    let world = store.snapshot()?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| SandboxError::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { port, source })?;
    let shared = Arc::new(Shared {
        store,
        faults: Faults::new(options.faults),
        request_log,
    });
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, shared, rx));
    Ok(RunningSandbox {
        addr,
        home_region: world.landing_zone.map(|lz| lz.home_region),
        stop,
        task: Some(task),
    })
}

/// Restores a seeded scenario, with `settings`, discarding the timeline.
pub fn reset(dir: &Path, scenario: &str, settings: Settings) -> Result<(), SandboxError> {
    let world = seed::scenario(scenario, settings)
        .ok_or_else(|| SandboxError::UnknownScenario(scenario.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|source| SandboxError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    // Open without seeding twice: write the chosen scenario directly.
    let store = Store::open(dir)?;
    store.replace(&world)
}

/// The landing zone as the console would show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SandboxStatus {
    pub dir: PathBuf,
    pub scenario: String,
    pub settings: Settings,
    pub landing_zone_status: Option<String>,
    pub region_deny: Option<bool>,
    pub control_operations_in_progress: usize,
    pub coverage: Vec<Coverage>,
}

/// Reads the estate's headline state.
pub fn status(dir: &Path) -> Result<SandboxStatus, SandboxError> {
    let store = Store::open(dir)?;
    let w = store.snapshot()?;
    let coverage = w
        .registered_first_tier_ou_ids()
        .into_iter()
        .map(|id| Coverage {
            ou_name: w.ous.get(&id).map(|o| o.name.clone()).unwrap_or_default(),
            region_denies: w.region_denies_on(&id),
            ou_id: id,
        })
        .collect();
    Ok(SandboxStatus {
        dir: dir.to_path_buf(),
        scenario: w.scenario.clone(),
        settings: w.settings.clone(),
        landing_zone_status: w.landing_zone.as_ref().map(|l| l.status.clone()),
        region_deny: w.landing_zone.as_ref().map(|l| l.region_deny),
        control_operations_in_progress: w
            .control_operations
            .iter()
            .filter(|o| o.status == "IN_PROGRESS")
            .count(),
        coverage,
    })
}

/// The console step's receipt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConsoleReceipt {
    pub operation_id: String,
    pub region_deny: bool,
    pub expected_duration_ms: u64,
}

/// The human in the console: Landing zone settings → Modify settings →
/// Region deny → Update landing zone. Starts a landing-zone UPDATE operation
/// (PROCESSING, then ACTIVE) that removes or restores `GRREGIONDENY` on every
/// registered first-tier OU when it completes.
pub fn console_region_deny(dir: &Path, on: bool) -> Result<ConsoleReceipt, SandboxError> {
    let store = Store::open(dir)?;
    let outcome = store.transact(|w, now| {
        let Some(lz) = w.landing_zone.as_ref() else {
            return Err(
                "there is no landing zone in this sandbox (scenario without Control Tower)"
                    .to_string(),
            );
        };
        if lz.status != "ACTIVE" {
            return Err(format!(
                "the landing zone is {}: wait for the running update to finish",
                lz.status
            ));
        }
        if lz.region_deny == on {
            return Err(format!(
                "the landing-zone region deny is already {}",
                if on { "on" } else { "off" }
            ));
        }
        let delay = w.settings.landing_zone_op_delay_ms;
        let id = w.next_uuid();
        w.lz_operations.push(LzOperation {
            id: id.clone(),
            op_type: "UPDATE".into(),
            status: "IN_PROGRESS".into(),
            start_ms: now,
            complete_at_ms: now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)),
            end_ms: None,
            region_deny_target: Some(on),
            governed_regions_target: None,
        });
        if let Some(lz) = w.landing_zone.as_mut() {
            lz.status = "PROCESSING".into();
        }
        let receipt = ConsoleReceipt {
            operation_id: id.clone(),
            region_deny: on,
            expected_duration_ms: delay,
        };
        Ok((
            receipt,
            vec![Happening {
                at_ms: now,
                event: "ConsoleUpdateLandingZone".into(),
                detail: format!(
                    "region deny {} requested in the console (operation {id})",
                    if on { "on" } else { "off" }
                ),
            }],
        ))
    })?;
    outcome.map_err(SandboxError::Console)
}

/// Waits until no landing-zone operation is in progress (polling the store).
pub async fn wait_for_landing_zone(dir: &Path, timeout: Duration) -> Result<bool, SandboxError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let s = status(dir)?;
        if s.landing_zone_status.as_deref() != Some("PROCESSING") {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every timeline record so far.
pub fn timeline(dir: &Path) -> Result<Vec<TimelineEntry>, SandboxError> {
    Store::open(dir)?.timeline()
}
