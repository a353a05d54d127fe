//! The Regions a plan works with: those the landing-zone deny allows today
//! (PV.1's `AllowedRegions`), and the source Regions inference starts in.

use super::{Notes, input_error, sorted};
use crate::detect::{DenyState, DetectReport};
use crate::model::LandingZoneStatus;
use crate::plan::inputs::{InputError, PlanInputs};
use crate::snapshot::Snapshot;

/// The Regions the landing-zone deny allows today, and where that list
/// came from.
pub(super) fn allowed(
    s: &Snapshot,
    report: &DetectReport,
    notes: &mut Notes,
) -> (Vec<String>, String) {
    let allowed = match report.region_deny.state {
        DenyState::On => (
            sorted(report.region_deny.allowed_regions.clone()),
            "the aws:RequestedRegion list of the GRREGIONDENY statements".to_string(),
        ),
        DenyState::Off => {
            notes.warnings.push("the landing-zone region deny is already off: registered OUs without PV.1 have no region deny right now".into());
            (
                sorted(s.landing_zone.governed_regions.clone()),
                "the landing zone's governed Regions (the landing-zone region deny is off)"
                    .to_string(),
            )
        }
        DenyState::Partial | DenyState::Inconsistent => {
            notes.errors.push(format!(
                "the landing-zone region deny is {} across the registered first-tier OUs ({}): wait for any landing-zone update to finish or repair the guardrail SCPs, then plan again",
                if report.region_deny.state == DenyState::Partial { "partial" } else { "inconsistent" },
                report.region_deny.disagreements.join("; ")
            ));
            let regions = if report.region_deny.allowed_regions.is_empty() {
                s.landing_zone.governed_regions.clone()
            } else {
                report.region_deny.allowed_regions.clone()
            };
            (
                sorted(regions),
                "the GRREGIONDENY statements that exist".to_string(),
            )
        }
    };
    if s.landing_zone.status != LandingZoneStatus::Active {
        notes.warnings.push(format!(
            "the landing zone is {} now; apply waits for ACTIVE",
            s.landing_zone.status
        ));
    }

    allowed
}

/// The source Regions: as asked, each among the allowed ones, or all of them.
pub(super) fn sources(inputs: &PlanInputs, allowed: &[String]) -> Result<Vec<String>, InputError> {
    for r in &inputs.source_regions {
        if !allowed.contains(r) {
            return Err(input_error(
                "source_regions",
                format!(
                    "`{r}` is not one of the allowed Regions ({})",
                    allowed.join(", ")
                ),
                "inference called from a Region outside the allowed ones is denied with or without the migration; choose source Regions among the allowed ones",
            ));
        }
    }
    Ok(if inputs.source_regions.is_empty() {
        allowed.to_vec()
    } else {
        inputs.source_regions.clone()
    })
}
