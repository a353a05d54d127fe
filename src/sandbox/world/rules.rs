//! How the estate moves forward in time and what Control Tower does to it:
//! asynchronous operations finishing with their effects, OUs registered and
//! deregistered, the landing-zone region deny turned on or off, governed
//! Regions changed, and the guardrail statements placed or removed.

use super::*;

impl World {
    /// Finishes the earliest operation whose completion time is at or before
    /// `now_ms` and applies its effects; `None` when nothing is due.
    pub fn advance_one(&mut self, now_ms: i64) -> Option<Happening> {
        let next_control = self
            .control_operations
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == "IN_PROGRESS" && o.complete_at_ms <= now_ms)
            .min_by_key(|(_, o)| o.complete_at_ms)
            .map(|(i, o)| (o.complete_at_ms, 0u8, i));
        let next_lz = self
            .lz_operations
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == "IN_PROGRESS" && o.complete_at_ms <= now_ms)
            .min_by_key(|(_, o)| o.complete_at_ms)
            .map(|(i, o)| (o.complete_at_ms, 1u8, i));
        let next_baseline = self
            .baseline_operations
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status == "IN_PROGRESS" && o.complete_at_ms <= now_ms)
            .min_by_key(|(_, o)| o.complete_at_ms)
            .map(|(i, o)| (o.complete_at_ms, 2u8, i));
        // The earliest first; at the same instant controls, then the landing zone, then baselines.
        let (_, kind, i) = [next_control, next_lz, next_baseline]
            .into_iter()
            .flatten()
            .min_by_key(|(at, kind, _)| (*at, *kind))?;
        Some(match kind {
            0 => self.finish_control_op(i),
            1 => self.finish_lz_op(i),
            _ => self.finish_baseline_op(i),
        })
    }

    fn finish_control_op(&mut self, idx: usize) -> Happening {
        let op = self.control_operations[idx].clone();
        let at = op.complete_at_ms;
        let ou_id = self.ou_id_from_arn(&op.target).unwrap_or_default();
        let key = self
            .enabled_controls
            .iter()
            .find(|c| c.arn == op.enabled_control_arn)
            .map(|c| c.control_key.clone())
            .unwrap_or_default();
        let outcome: Result<(), String> = if op.will_fail {
            Err("Control operation failed: an internal error occurred in AWS Control Tower (injected fault). Retry the operation.".to_string())
        } else {
            match &op.effect {
                OpEffect::Enable => {
                    let params = self
                        .enabled_controls
                        .iter()
                        .find(|c| c.arn == op.enabled_control_arn)
                        .map(|c| c.parameters.clone())
                        .unwrap_or_default();
                    self.write_control_statement(&ou_id, &key, &params)
                }
                OpEffect::Update { parameters } => {
                    self.remove_statement(&ou_id, &templates::sid_for_key(&key));
                    self.write_control_statement(&ou_id, &key, parameters)
                }
                OpEffect::Disable => {
                    self.remove_statement(&ou_id, &templates::sid_for_key(&key));
                    Ok(())
                }
            }
        };
        let (status, message) = match &outcome {
            Ok(()) => ("SUCCEEDED", None),
            Err(m) => ("FAILED", Some(m.clone())),
        };
        {
            let op = &mut self.control_operations[idx];
            op.status = status.to_string();
            op.status_message = message.clone();
            op.end_ms = Some(at);
        }
        match (&op.effect, outcome.is_ok()) {
            (OpEffect::Disable, true) => {
                self.enabled_controls
                    .retain(|c| c.arn != op.enabled_control_arn);
            }
            (OpEffect::Update { parameters }, true) => {
                if let Some(c) = self
                    .enabled_controls
                    .iter_mut()
                    .find(|c| c.arn == op.enabled_control_arn)
                {
                    c.parameters = parameters.clone();
                    c.status = "SUCCEEDED".into();
                }
            }
            (_, ok) => {
                if let Some(c) = self
                    .enabled_controls
                    .iter_mut()
                    .find(|c| c.arn == op.enabled_control_arn)
                {
                    c.status = if ok { "SUCCEEDED" } else { "FAILED" }.into();
                }
            }
        }
        Happening {
            at_ms: at,
            event: format!(
                "ControlOperation{}",
                if outcome.is_ok() {
                    "Succeeded"
                } else {
                    "Failed"
                }
            ),
            detail: format!(
                "{} {} {} on {}",
                op.op_type,
                op.id,
                key,
                self.ous
                    .get(&ou_id)
                    .map(|o| o.name.as_str())
                    .unwrap_or(&op.target)
            ),
        }
    }

    fn finish_lz_op(&mut self, idx: usize) -> Happening {
        let op = self.lz_operations[idx].clone();
        let at = op.complete_at_ms;
        if let Some(regions) = &op.governed_regions_target {
            self.set_governed_regions(regions);
        }
        if let Some(target) = op.region_deny_target {
            self.set_region_deny(target);
        }
        let lz_op = &mut self.lz_operations[idx];
        lz_op.status = "SUCCEEDED".into();
        lz_op.end_ms = Some(at);
        if let Some(lz) = self.landing_zone.as_mut() {
            lz.status = "ACTIVE".into();
        }
        let mut detail = format!("{} {}", op.op_type, op.id);
        match op.region_deny_target {
            Some(true) => detail.push_str(": region deny turned on"),
            Some(false) => detail.push_str(": region deny turned off"),
            None => {}
        }
        if let Some(regions) = &op.governed_regions_target {
            detail.push_str(&format!(": governed Regions now {}", regions.join(", ")));
        }
        Happening {
            at_ms: at,
            event: "LandingZoneOperationSucceeded".into(),
            detail,
        }
    }

    fn finish_baseline_op(&mut self, idx: usize) -> Happening {
        let op = self.baseline_operations[idx].clone();
        let at = op.complete_at_ms;
        let ou_id = self.ou_id_from_arn(&op.target).unwrap_or_default();
        if op.op_type == "ENABLE_BASELINE" {
            self.register_ou(
                &ou_id,
                &op.enabled_baseline_arn,
                &op.baseline_identifier,
                &op.baseline_version,
            );
        } else {
            self.deregister_ou(&ou_id, &op.enabled_baseline_arn);
        }
        let done = &mut self.baseline_operations[idx];
        done.status = "SUCCEEDED".into();
        done.end_ms = Some(at);
        Happening {
            at_ms: at,
            event: "BaselineOperationSucceeded".into(),
            detail: format!(
                "{} {} on {}",
                op.op_type,
                op.id,
                self.ous
                    .get(&ou_id)
                    .map(|o| format!("{} ({ou_id})", o.name))
                    .unwrap_or(op.target)
            ),
        }
    }

    /// Registers an OU as Control Tower does when AWSControlTowerBaseline is
    /// enabled on it: the enabled baseline, a guardrail SCP with the
    /// mandatory statements, the mandatory controls, and (for a first-tier
    /// OU while the landing-zone deny is on) the `GRREGIONDENY` statement.
    pub fn register_ou(&mut self, ou_id: &str, arn: &str, baseline: &str, version: &str) {
        let target = self.ou_arn(ou_id);
        let parent = self
            .ous
            .get(ou_id)
            .map(|o| o.parent_id.clone())
            .unwrap_or_default();
        let parent_baseline = self
            .baselines
            .iter()
            .find(|b| b.target == self.ou_arn(&parent))
            .map(|b| b.arn.clone());
        self.baselines.push(EnabledBaseline {
            arn: arn.to_string(),
            baseline_identifier: baseline.to_string(),
            baseline_version: version.to_string(),
            target: target.clone(),
            parent: parent_baseline,
        });
        for sid in ["GRCLOUDTRAILENABLED", "GRCONFIGENABLED", "GRIAMROLEPOLICY"] {
            let _ = self.place_statement(ou_id, templates::mandatory_statement(sid), true);
        }
        let home = self
            .landing_zone
            .as_ref()
            .map(|l| l.home_region.clone())
            .unwrap_or_default();
        for key in [
            "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
            "AWS-GR_CONFIG_CHANGE_PROHIBITED",
            "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
        ] {
            let suffix = self.next_id(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
            self.enabled_controls.push(EnabledControl {
                arn: format!(
                    "arn:aws:controltower:{home}:{}:enabledcontrol/{suffix}",
                    self.master_account()
                ),
                control_identifier: format!("arn:aws:controltower:{home}::control/{key}"),
                control_key: key.into(),
                target: target.clone(),
                status: "SUCCEEDED".into(),
                drift: "IN_SYNC".into(),
                last_operation: None,
                parameters: Vec::new(),
                tags: Default::default(),
            });
        }
        let deny_on = self.landing_zone.as_ref().is_some_and(|l| l.region_deny);
        if deny_on && parent == self.root_id() {
            self.apply_region_deny_to(ou_id, true);
        }
    }

    /// Deregisters an OU: its baseline, its Control Tower managed SCPs and
    /// its Control Tower enabled controls go.
    pub fn deregister_ou(&mut self, ou_id: &str, arn: &str) {
        let target = self.ou_arn(ou_id);
        self.baselines.retain(|b| b.arn != arn);
        self.enabled_controls.retain(|c| c.target != target);
        let attached: Vec<String> = self.attached(ou_id).to_vec();
        for pid in attached {
            if self
                .policies
                .get(&pid)
                .is_some_and(|p| p.name.starts_with(GUARDRAIL_PREFIX))
            {
                self.policies.remove(&pid);
                for list in self.attachments.values_mut() {
                    list.retain(|x| x != &pid);
                }
            }
        }
    }

    /// Applies the landing-zone region deny setting to every registered
    /// first-tier OU: the `GRREGIONDENY` statement and the enabled-control record.
    pub fn set_region_deny(&mut self, on: bool) {
        let Some(lz) = self.landing_zone.as_mut() else {
            return;
        };
        lz.region_deny = on;
        for ou_id in self.registered_first_tier_ou_ids() {
            self.apply_region_deny_to(&ou_id, on);
        }
    }

    /// The governed Regions change (UpdateLandingZone): the manifest, and the
    /// `GRREGIONDENY` statements while the deny is on.
    pub fn set_governed_regions(&mut self, regions: &[String]) {
        let Some(lz) = self.landing_zone.as_mut() else {
            return;
        };
        lz.governed_regions = regions.to_vec();
        if let Some(m) = lz.manifest.as_object_mut() {
            m.insert("governedRegions".into(), serde_json::json!(regions));
        }
        if lz.region_deny {
            self.set_region_deny(true);
        }
    }

    /// The landing-zone deny on one registered first-tier OU, on or off.
    fn apply_region_deny_to(&mut self, ou_id: &str, on: bool) {
        let Some(lz) = self.landing_zone.as_ref() else {
            return;
        };
        let home = lz.home_region.clone();
        let governed = lz.governed_regions.clone();
        let target = self.ou_arn(ou_id);
        self.remove_statement(ou_id, templates::GRREGIONDENY_SID);
        self.enabled_controls
            .retain(|c| !(c.target == target && c.control_key == LZ_REGION_DENY_KEY));
        if on {
            let stmt = templates::grregiondeny_statement(&governed);
            // The landing zone never fails to place its own statement: when no
            // guardrail policy has room it makes a new one, even over the quota.
            let _ = self.place_statement(ou_id, stmt, true);
            let suffix = self.next_id(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
            let arn = format!(
                "arn:aws:controltower:{home}:{}:enabledcontrol/{suffix}",
                self.master_account()
            );
            self.enabled_controls.push(EnabledControl {
                arn,
                control_identifier: format!(
                    "arn:aws:controltower:{home}::control/{LZ_REGION_DENY_KEY}"
                ),
                control_key: LZ_REGION_DENY_KEY.into(),
                target,
                status: "SUCCEEDED".into(),
                drift: "NOT_CHECKING".into(),
                last_operation: None,
                parameters: Vec::new(),
                tags: Default::default(),
            });
        }
    }

    fn write_control_statement(
        &mut self,
        ou_id: &str,
        key: &str,
        params: &[(String, serde_json::Value)],
    ) -> Result<(), String> {
        let Some(stmt) = templates::control_statement(key, params) else {
            return Ok(());
        };
        self.place_statement(ou_id, stmt, false)
    }

    /// Puts a statement into a Control Tower managed SCP on the OU: the first
    /// `aws-guardrails-*` policy with room, else a new one (which needs a free
    /// attachment slot unless `force`).
    fn place_statement(
        &mut self,
        ou_id: &str,
        stmt: serde_json::Value,
        force: bool,
    ) -> Result<(), String> {
        let limit = self.settings.scp_size_limit;
        let attached: Vec<String> = self.attached(ou_id).to_vec();
        for pid in &attached {
            let Some(p) = self.policies.get_mut(pid) else {
                continue;
            };
            if !p.name.starts_with(GUARDRAIL_PREFIX) {
                continue;
            }
            if let Some(content) = templates::with_statement(&p.content, &stmt)
                && content.len() <= limit
            {
                p.content = content;
                return Ok(());
            }
        }
        if !force && attached.len() >= self.settings.scp_attachment_limit {
            let name = self
                .ous
                .get(ou_id)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            return Err(format!(
                "AWS Control Tower could not apply Service Control Policies for organizational unit {name} ({ou_id}) because the OU has maximum number of SCPs. To continue, delete some existing policies or combine them."
            ));
        }
        let id = format!(
            "p-{}",
            self.next_id(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
        );
        let name = format!(
            "{GUARDRAIL_PREFIX}{}",
            self.next_id(6, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        );
        let content = templates::document(vec![stmt]);
        self.policies.insert(
            id.clone(),
            Policy {
                id: id.clone(),
                name,
                description: templates::GUARDRAIL_DESCRIPTION.into(),
                content,
                aws_managed: false,
                tags: BTreeMap::new(),
            },
        );
        self.attachments
            .entry(ou_id.to_string())
            .or_default()
            .push(id);
        Ok(())
    }

    /// Control Tower's drift detection for SCP-implemented controls: an
    /// enabled control whose statement is no longer, exactly as Control Tower
    /// wrote it, in a guardrail SCP attached to its OU is `DRIFTED`; put back,
    /// it is `IN_SYNC` again. Called after every change to an SCP or to an
    /// attachment; one happening per control whose drift status changed.
    pub fn recheck_control_drift(&mut self, at_ms: i64) -> Vec<Happening> {
        let mut changed = Vec::new();
        for i in 0..self.enabled_controls.len() {
            let c = &self.enabled_controls[i];
            if c.status != "SUCCEEDED" || c.drift == "NOT_CHECKING" {
                continue;
            }
            let Some(expected) = templates::control_statement(&c.control_key, &c.parameters) else {
                continue;
            };
            let sid = templates::sid_for_key(&c.control_key);
            let ou_id = self.ou_id_from_arn(&c.target).unwrap_or_default();
            let in_sync = self.attached(&ou_id).iter().any(|pid| {
                self.policies.get(pid).is_some_and(|p| {
                    p.name.starts_with(GUARDRAIL_PREFIX)
                        && templates::statements_with_sid(&p.content, &sid).contains(&expected)
                })
            });
            let drift = if in_sync { "IN_SYNC" } else { "DRIFTED" };
            if c.drift == drift {
                continue;
            }
            let key = c.control_key.clone();
            let ou_name = self
                .ous
                .get(&ou_id)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            if let Some(c) = self.enabled_controls.get_mut(i) {
                c.drift = drift.into();
            }
            changed.push(Happening {
                at_ms,
                event: if in_sync {
                    "ControlInSync".into()
                } else {
                    "ControlDrifted".into()
                },
                detail: if in_sync {
                    format!("{key} on {ou_name} ({ou_id}): its SCP statement is as Control Tower wrote it again")
                } else {
                    format!("{key} on {ou_name} ({ou_id}): its SCP statement was changed outside Control Tower")
                },
            });
        }
        changed
    }

    /// Removes every statement with `sid` from the guardrail SCPs on the OU;
    /// a guardrail SCP left empty is detached and deleted, as Control Tower does.
    fn remove_statement(&mut self, ou_id: &str, sid: &str) {
        let attached: Vec<String> = self.attached(ou_id).to_vec();
        for pid in attached {
            let Some(p) = self.policies.get_mut(&pid) else {
                continue;
            };
            if !p.name.starts_with(GUARDRAIL_PREFIX) {
                continue;
            }
            match templates::without_statement(&p.content, sid) {
                Some(Some(content)) => p.content = content,
                Some(None) => {
                    self.policies.remove(&pid);
                    for list in self.attachments.values_mut() {
                        list.retain(|x| x != &pid);
                    }
                }
                None => {}
            }
        }
    }
}
