//! The end of a finished apply: read the whole organization back, evaluate
//! its proof matrix, and compare it cell for cell with the prediction
//! journaled at the start (`verified`, then `finished`).
//!
//! It reads and journals only. It must not repair (that is the gate's) or
//! print (it reports one [`Report`] of kind `verified`).

use super::journal::Event;
use super::{Outcome, Report, ReportKind, Run, RunError, verify};
use crate::aws::{Apis, ControlTower, Identity, Organizations};
use crate::error::{Error, ErrorKind};

impl<O, C, I> Run<'_, O, C, I>
where
    O: Organizations + Sync,
    C: ControlTower + Sync,
    I: Identity + Sync,
{
    /// Reads the organization through `apis` (`progress` names each read;
    /// `read` is called once the reading is over, before the report) and
    /// compares its decisions with the prediction.
    pub async fn read_back<A: Apis>(
        &self,
        apis: &A,
        progress: &(dyn Fn(&str) + Sync),
        read: &(dyn Fn() + Sync),
    ) -> Result<Outcome, Error> {
        let journaled = |e: RunError| Error::new(ErrorKind::Internal, e.to_string());
        let Some(started) = self.progress().started else {
            return Err(Error::new(
                ErrorKind::Internal,
                "the journal has no start record",
            ));
        };
        let snapshot = crate::discover::discover(apis, progress).await;
        read();
        let snapshot = snapshot?;
        let observed = verify::observe(&snapshot, self.plan)?;
        let differences = verify::compare(&started.predicted, &observed, 20);
        self.record(Event::Verified {
            equal: differences.is_empty(),
            differences: differences.clone(),
        })
        .map_err(journaled)?;
        (self.report)(&Report {
            kind: ReportKind::Verified,
            stage: None,
            step: None,
            message: if differences.is_empty() {
                format!(
                    "{} rows × {} probes × {} Regions: the live SCPs decide exactly as predicted",
                    observed.rows.len(),
                    observed.probes.len(),
                    observed.regions.len()
                )
            } else {
                format!("{} cell(s) differ from the prediction", differences.len())
            },
            elapsed_ms: self.elapsed_ms(),
            instructions: Vec::new(),
        });
        self.record(Event::Finished).map_err(journaled)?;
        Ok(Outcome::Finished { differences })
    }
}
