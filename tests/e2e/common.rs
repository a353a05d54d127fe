//! Shared set-up: sandboxes in temporary directories, SDK connections to
//! them, the CLI binary with an isolated environment, and the Python tools
//! (AWS CLI, moto) installed from PyPI into target/pytools on first use.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use ctmigrate::aws::{Aws, ConnectOptions};
use ctmigrate::sandbox::{self, FaultSpec, RunningSandbox, Settings};

pub const HOME: &str = "ap-northeast-1";
pub const ADMIN_KEY: &str = "ASIASANDBOXADMIN0001";
pub const MEMBER_KEY: &str = "ASIASANDBOXMEMBER001";
pub const PV1_CATALOG: &str = "arn:aws:controlcatalog:::control/ka8e3pkqefnjsxuyc26ji580";
pub const ROOT_KEYS_CONTROL: &str = "arn:aws:controlcatalog:::control/5kvme4m5d2b4d7if2fs5yg2ui";

pub fn ou_arn(ou: &str) -> String {
    format!("arn:aws:organizations::111111111111:ou/o-ctm1gr8sbx/{ou}")
}

pub const REGISTERED_OUS: [&str; 6] = [
    "ou-sb01-security",
    "ou-sb01-sandbox0",
    "ou-sb01-workload",
    "ou-sb01-prod0000",
    "ou-sb01-dev00000",
    "ou-sb01-infrastr",
];

/// A seeded sandbox in its own temporary directory.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub running: RunningSandbox,
}

impl Sandbox {
    pub async fn start(settings: Settings) -> Sandbox {
        Sandbox::start_with("default", settings, FaultSpec::default()).await
    }

    pub async fn start_with(scenario: &str, settings: Settings, faults: FaultSpec) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        sandbox::reset(dir.path(), scenario, settings).unwrap();
        let running = sandbox::start(dir.path(), 0, faults).await.unwrap();
        Sandbox { dir, running }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// SDK configuration bound to `region`, signing with `access_key`.
    pub async fn aws_as(&self, region: &str, access_key: &str, attempts: u32) -> Aws {
        connect(&self.running.endpoint_url(), region, access_key, attempts).await
    }

    pub async fn aws(&self) -> Aws {
        self.aws_as(HOME, ADMIN_KEY, 0).await
    }
}

pub async fn connect(endpoint: &str, region: &str, access_key: &str, attempts: u32) -> Aws {
    Aws::connect(&ConnectOptions {
        profile: None,
        region: Some(region.to_string()),
        endpoint_url: Some(endpoint.to_string()),
        static_credentials: Some((access_key.to_string(), "not-checked".to_string())),
        max_attempts: attempts,
    })
    .await
    .unwrap()
}

/// Default settings with fast operations.
pub fn fast() -> Settings {
    Settings {
        control_op_delay_ms: 200,
        landing_zone_op_delay_ms: 300,
        ..Settings::default()
    }
}

/// The CLI binary with an environment that cannot reach real AWS config.
pub fn ctmigrate(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ctmigrate"));
    c.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("CTMIGRATE_SANDBOX_DIR")
        .env_remove("CTMIGRATE_SANDBOX_FAULTS");
    c
}

/// A line of shell, run by `sh -c` in `cwd` as a person would type it,
/// with this build's `ctmigrate` first on the PATH and the same
/// environment as [`ctmigrate`] (no stdin: a plain shell in a script).
pub fn shell(cwd: &Path, line: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_ctmigrate"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(line).current_dir(cwd).env("PATH", path);
    for (k, v) in ctmigrate(cwd).get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.stdin(std::process::Stdio::null());
    sh
}

/// The command a message printed after `marker`: to the end of its line,
/// the closing backquote when it is quoted, or the `; ` or ` (` that ends
/// it in a sentence (no command ctmigrate prints contains those).
#[track_caller]
pub fn printed_command(text: &str, marker: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` not in:\n{text}"));
    let rest = &text[at + marker.len()..];
    let rest = rest.trim_start_matches('`');
    let end = ["\n", "`", "; ", " ("]
        .iter()
        .filter_map(|stop| rest.find(stop))
        .min()
        .unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

pub fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// How a run of the binary ended: its exit code (-1 when a signal ended
/// it) and both outputs.
#[derive(Debug, Clone)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Asserts the exit code, showing both outputs when it differs.
    #[track_caller]
    pub fn expect_exit(self, code: i32) -> Ran {
        assert_eq!(
            self.code, code,
            "exit {} instead of {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit 0.
    #[track_caller]
    pub fn expect_success(self) -> Ran {
        self.expect_exit(0)
    }
}

/// Runs the command to its end.
pub fn run(cmd: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: text(&stdout),
        stderr: text(&stderr),
    }
}

/// Polls `f` until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// bin/ of a virtualenv with the AWS CLI and moto, created on first use.
pub fn pytools() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("pytools");
    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
    let lock = File::create(root.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    let bin = root.join("bin");
    if ["aws", "moto_server", "cfn-lint", "hcl2tojson"]
        .iter()
        .any(|tool| !bin.join(tool).exists())
    {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&root)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "python3 -m venv failed: install python3 (with venv)"
        );
        let requirements = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("python-tools.txt");
        let status = Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "pip install -r tests/python-tools.txt failed: PyPI must be reachable"
        );
    }
    bin
}

/// The AWS CLI with dummy credentials, pointed at `endpoint`.
pub fn aws_cli(endpoint: &str, region: &str, access_key: &str) -> Command {
    let mut c = Command::new(pytools().join("aws"));
    c.env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", region)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .args(["--endpoint-url", endpoint, "--output", "json"]);
    c
}

/// A free port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A temporary directory with a sandbox in `sb/` whose control operations
/// take 60 ms and landing-zone updates 120 ms.
pub fn quick_sandbox() -> tempfile::TempDir {
    sandbox_with_delays("60ms", "120ms")
}

/// A temporary directory with a sandbox in `sb/` whose control operations
/// and landing-zone updates take as long as given (`300ms`, `2s`).
pub fn sandbox_with_delays(control_op: &str, landing_zone_op: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run(ctmigrate(dir.path()).args([
        "sandbox",
        "reset",
        "--sandbox-dir",
        "sb",
        "--control-op-delay",
        control_op,
        "--landing-zone-op-delay",
        landing_zone_op,
    ]))
    .expect_success();
    dir
}

/// Plays the person in the Control Tower console on the sandbox in `sb/`,
/// waiting until the landing-zone update has finished.
pub fn console(dir: &Path, on_off: &str) {
    console_click(dir, on_off, true);
}

/// The person clicks *Update landing zone*; `wait`: and waits for it.
pub fn console_click(dir: &Path, on_off: &str, wait: bool) {
    let mut c = ctmigrate(dir);
    c.args([
        "sandbox",
        "console",
        "--sandbox-dir",
        "sb",
        "region-deny",
        on_off,
    ]);
    if wait {
        c.arg("--wait");
    }
    let Ran {
        code,
        stdout: _,
        stderr: err,
    } = run(&mut c);
    assert_eq!(code, 0, "console {on_off}: {err}");
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn serve_with(dir: &std::path::Path, extra: &[&str]) -> (Guard, String) {
    let mut child = ctmigrate(dir)
        .args(["sandbox", "serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "first line is the URL: {url:?}"
    );
    (Guard(child), url)
}

/// `ctmigrate sandbox serve` on the sandbox in `dir` (the default `.ctmigrate/sandbox`).
pub fn serve(dir: &std::path::Path) -> (Guard, String) {
    serve_with(dir, &[])
}

/// Spawns `cmd`, waits until `journal` holds an `event` record, then sends
/// SIGINT (as Ctrl-C would). Returns when the signal was sent, and how the
/// run ended.
pub fn interrupt_at(
    cmd: &mut Command,
    journal: &Path,
    event: &str,
) -> (std::time::Instant, std::process::Output) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let marker = format!("\"{event}\"");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(journal)
        .unwrap_or_default()
        .contains(&marker)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no `{event}` record was journaled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = std::time::Instant::now();
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    (sent, child.wait_with_output().unwrap())
}
