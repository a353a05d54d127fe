//! `ctmigrate sandbox ...`: serve, reset, the console step, status, timeline.

use std::time::Duration;

use crate::cli::{
    AddRemove, ConsoleAction, OnOff, OuAction, ResetArgs, SandboxArgs, SandboxCommand,
};
use crate::error::{Error, ErrorKind, Exit};
use crate::output::{Format, Output, Tone};
use crate::sandbox::{self as sb, Settings as SandboxSettings};
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: SandboxArgs, out: &Output) -> Result<Exit, Error> {
    let dir = &settings.connection.sandbox_dir;
    match args.command {
        SandboxCommand::Serve {
            port,
            faults,
            log_requests,
        } => {
            let options = sb::ServeOptions {
                faults: sb::fault_spec(faults.as_deref())?,
                request_log: log_requests,
            };
            let running = sb::start(dir, port, options).await?;
            // The URL comes first, alone on its line, for scripts and tests.
            out.text(&format!("{}\n", running.endpoint_url()));
            out.status(
                "Serving",
                &format!(
                    "sandbox {} (Region {}); Ctrl-C stops it",
                    dir.display(),
                    running.default_region()
                ),
            );
            crate::interrupt::until_interrupted().await;
            running.stop().await;
            Ok(Exit::Ok)
        }
        SandboxCommand::Reset(r) => {
            sb::reset(dir, &r.scenario, scenario_settings(&r))?;
            out.status(
                "Reset",
                &format!("sandbox {} to scenario `{}`", dir.display(), r.scenario),
            );
            Ok(Exit::Ok)
        }
        SandboxCommand::Console {
            action: ConsoleAction::RegionDeny { state, wait },
        } => {
            let on = state == OnOff::On;
            let receipt = sb::console_region_deny(dir, on)?;
            if out.format == Format::Json {
                out.json(&receipt);
            } else {
                out.text(&format!(
                    "Landing zone update started in the console (operation {}): region deny {}.\nThe landing zone is PROCESSING for about {:.1}s, then ACTIVE.\n",
                    receipt.operation_id,
                    if on { "on" } else { "off" },
                    receipt.expected_duration_ms as f64 / 1000.0
                ));
            }
            if wait {
                let limit =
                    Duration::from_millis(receipt.expected_duration_ms) + Duration::from_secs(30);
                if !sb::wait_for_landing_zone(dir, limit).await? {
                    return Err(Error::new(
                        ErrorKind::Internal,
                        "the landing zone did not become ACTIVE in time",
                    )
                    .hint("run `ctmigrate sandbox status` to see where it stands"));
                }
                out.status("Done", "the landing zone is ACTIVE");
            }
            Ok(Exit::Ok)
        }
        SandboxCommand::Console {
            action: ConsoleAction::Ou { action },
        } => {
            let (answer, wait) = match action {
                OuAction::Create { name } => (sb::console::create_ou(dir, &name)?, false),
                OuAction::Register { name, wait } => (sb::console::register_ou(dir, &name)?, wait),
            };
            console_answer(dir, &answer, wait, out).await
        }
        SandboxCommand::Console {
            action:
                ConsoleAction::GovernedRegions {
                    change,
                    region,
                    wait,
                },
        } => {
            let answer = sb::console::governed_region(dir, &region, change == AddRemove::Add)?;
            console_answer(dir, &answer, wait, out).await
        }
        SandboxCommand::Status => {
            let status = sb::status(dir)?;
            if out.format == Format::Json {
                out.json(&status);
            } else {
                let mut s = format!(
                    "sandbox {} (scenario `{}`)\nlanding zone: {}\nlanding-zone region deny: {}\ncontrol operations in progress: {}\n",
                    status.dir.display(),
                    status.scenario,
                    status.landing_zone_status.as_deref().unwrap_or("none"),
                    match status.region_deny {
                        Some(true) => "on",
                        Some(false) => "off",
                        None => "n/a",
                    },
                    status.control_operations_in_progress
                );
                for c in &status.coverage {
                    let denies = if c.region_denies.is_empty() {
                        out.paint(Tone::Bad, "NO REGION DENY")
                    } else {
                        c.region_denies.join(", ")
                    };
                    s.push_str(&format!("  {:<16} {denies}\n", c.ou_name));
                }
                out.text(&s);
            }
            Ok(Exit::Ok)
        }
        SandboxCommand::Timeline => {
            let entries = sb::timeline(dir)?;
            if out.format == Format::Json {
                let mut s = String::new();
                for e in &entries {
                    s.push_str(&serde_json::to_string(e).unwrap_or_default());
                    s.push('\n');
                }
                out.text(&s);
            } else {
                out.text(&crate::output::render_timeline(&entries, out));
            }
            Ok(Exit::Ok)
        }
    }
}

fn scenario_settings(r: &ResetArgs) -> SandboxSettings {
    let mut s = SandboxSettings::default();
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if let Some(d) = r.control_op_delay {
        s.control_op_delay_ms = ms(d);
    }
    if let Some(d) = r.landing_zone_op_delay {
        s.landing_zone_op_delay_ms = ms(d);
    }
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    if let Some(n) = r.page_size {
        s.page_size = size(n);
    }
    if let Some(n) = r.scp_attachment_limit {
        s.scp_attachment_limit = size(n);
    }
    if let Some(n) = r.scp_size_limit {
        s.scp_size_limit = size(n);
    }
    if let Some(n) = r.max_concurrent_control_ops {
        s.max_concurrent_control_ops = size(n);
    }
    s
}

/// Prints what a console shortcut did and, with `wait`, waits until every
/// operation it started has ended.
async fn console_answer(
    dir: &std::path::Path,
    answer: &sb::console::ConsoleAnswer,
    wait: bool,
    out: &Output,
) -> Result<Exit, Error> {
    if out.format == Format::Json {
        out.json(answer);
    } else {
        out.text(&format!("{}\n", answer.message));
    }
    if wait && answer.operation_id.is_some() {
        let limit = Duration::from_millis(answer.expected_duration_ms) + Duration::from_secs(30);
        if !sb::console::wait_idle(dir, limit).await? {
            return Err(
                Error::new(ErrorKind::Internal, "the operation did not finish in time")
                    .hint("run `ctmigrate sandbox status` to see where it stands"),
            );
        }
        out.status("Done", "the operation finished");
    }
    Ok(Exit::Ok)
}
