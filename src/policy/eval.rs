//! Evaluating requests against parsed policies, as AWS documents it.
//!
//! - Statements: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! - Conditions: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//!   and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>
//! - SCPs: <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>:
//!   a request is allowed only if every level from the root down to the account has an applicable
//!   Allow and no level has an applicable Deny; the management account and service-linked roles
//!   are not subject to SCPs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use super::model::*;

/// A context key's value: single-valued or multi-valued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

/// A request as the evaluator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub principal: String,
    pub account: String,
    pub action: String,
    pub resource: String,
    /// Keys lower-cased.
    pub context: BTreeMap<String, ContextValue>,
}

impl Request {
    /// A request with `context` given as (key, value) pairs (keys in any case).
    pub fn new(
        principal: &str,
        account: &str,
        action: &str,
        resource: &str,
        context: &[(&str, &str)],
    ) -> Request {
        Request {
            principal: principal.to_string(),
            account: account.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            context: context
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), ContextValue::Single(v.to_string())))
                .collect(),
        }
    }

    /// Sets a key (single-valued).
    pub fn with(mut self, key: &str, value: &str) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            ContextValue::Single(value.to_string()),
        );
        self
    }

    /// Sets a multi-valued key.
    pub fn with_multi(mut self, key: &str, values: &[&str]) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            ContextValue::Multi(values.iter().map(|v| v.to_string()).collect()),
        );
        self
    }

    /// The values of a key (lower-cased name); the principal's ARN and account
    /// stand in for `aws:PrincipalArn` and `aws:PrincipalAccount` when not given.
    fn values(&self, key: &str) -> Values<'_> {
        match self.context.get(key) {
            Some(ContextValue::Single(s)) => Values::One(s),
            Some(ContextValue::Multi(v)) => Values::Many(v),
            None => match key {
                "aws:principalarn" if !self.principal.is_empty() => Values::One(&self.principal),
                "aws:principalaccount" if !self.account.is_empty() => Values::One(&self.account),
                _ => Values::Many(&[]),
            },
        }
    }

    fn single(&self, key: &str) -> Option<&str> {
        match self.values(key) {
            Values::One(s) => Some(s),
            Values::Many(_) => None,
        }
    }
}

/// A key's values, borrowed.
enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    fn is_empty(&self) -> bool {
        matches!(self, Values::Many(v) if v.is_empty())
    }

    fn any(&self, mut f: impl FnMut(&'a str) -> bool) -> bool {
        match self {
            Values::One(s) => f(s),
            Values::Many(v) => v.iter().any(|x| f(x)),
        }
    }

    fn find(&self, mut f: impl FnMut(&str) -> bool) -> Option<&'a str> {
        match self {
            Values::One(s) => f(s).then_some(*s),
            Values::Many(v) => v.iter().map(String::as_str).find(|x| f(x)),
        }
    }

    fn all(&self, mut f: impl FnMut(&'a str) -> bool) -> bool {
        match self {
            Values::One(s) => f(s),
            Values::Many(v) => v.iter().all(|x| f(x)),
        }
    }
}

/// One statement that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub level: String,
    pub policy: String,
    pub sid: Option<String>,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sid {
            Some(s) => write!(f, "{}/{}#{}", self.level, self.policy, s),
            None => write!(f, "{}/{}", self.level, self.policy),
        }
    }
}

/// The result of evaluating a request against an SCP hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed: the allowing statement per level (or why SCPs do not apply).
    Allow { by: Vec<String> },
    /// Denied by these statements.
    ExplicitDeny { by: Vec<Hit> },
    /// No applicable Allow at this level.
    ImplicitDeny { level: String },
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Decision::Allow { .. } => "Allow",
            Decision::ExplicitDeny { .. } => "ExplicitDeny",
            Decision::ImplicitDeny { .. } => "ImplicitDeny",
        }
    }
}

/// One level of the hierarchy (root, an OU, the account) with its policies.
pub struct Level<'a> {
    pub target: &'a str,
    pub policies: Vec<&'a Policy>,
}

/// Wildcard match with `*` (any run) and `?` (one character).
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || (p[pi] != b'*' && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Substitutes policy variables (`${aws:PrincipalAccount}`, `${aws:PrincipalTag/x, 'default'}`,
/// `${*}`, `${?}`, `${$}`). The special ones become `\u{1}*`-style escapes so that they
/// match literally; `None` when a variable has no value and no default.
fn substitute<'p>(pattern: &'p str, req: &Request) -> Option<Cow<'p, str>> {
    // `$` is rare in condition values; a byte scan is far cheaper than a substring search.
    if !pattern.as_bytes().contains(&b'$') || !pattern.contains("${") {
        return Some(Cow::Borrowed(pattern));
    }
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Some(Cow::Owned(out));
        };
        let inner = after[..end].trim();
        match inner {
            "*" => out.push_str(LITERAL_STAR),
            "?" => out.push_str(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
                    None => (inner, None),
                };
                match req
                    .single(&key.to_ascii_lowercase())
                    .map(str::to_string)
                    .or(default)
                {
                    Some(v) => {
                        out.push_str(&v.replace('*', LITERAL_STAR).replace('?', LITERAL_QUESTION))
                    }
                    None => return None,
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

const LITERAL_STAR: &str = "\u{1}";
const LITERAL_QUESTION: &str = "\u{2}";

/// Wildcard match where `\u{1}`/`\u{2}` in the pattern stand for a literal `*`/`?`.
fn glob_subst(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if !pattern.contains(['\u{1}', '\u{2}']) {
        return glob(pattern, text, ignore_case);
    }
    // Escape the request text the same way, so literal characters compare equal.
    let text = text
        .replace('*', LITERAL_STAR)
        .replace('?', LITERAL_QUESTION);
    glob(pattern, &text, ignore_case)
}

/// The value with its literal escapes turned back into characters. Only a substituted value
/// can hold escapes; any other is returned as it is, without copying.
fn plain(value: &str, substituted: bool) -> Cow<'_, str> {
    if substituted {
        Cow::Owned(
            value
                .replace(LITERAL_STAR, "*")
                .replace(LITERAL_QUESTION, "?"),
        )
    } else {
        Cow::Borrowed(value)
    }
}

/// ARN match: each of the six colon-separated parts separately, with wildcards.
pub fn arn_match(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    fn six(s: &str) -> Option<[&str; 6]> {
        let mut parts = [""; 6];
        let mut it = s.splitn(6, ':');
        for slot in parts.iter_mut() {
            *slot = it.next()?;
        }
        Some(parts)
    }
    // Not a six-part ARN: no wildcard may stand in for missing segments.
    let (Some(p), Some(a)) = (six(pattern), six(arn)) else {
        return false;
    };
    // The resource part differs most often: compare it first.
    glob_subst(p[5], a[5], false) && (0..5).all(|i| glob_subst(p[i], a[i], false))
}

fn resource_matches(
    patterns: &Matcher<Vec<String>>,
    req: &Request,
    version: PolicyVersion,
) -> bool {
    let any = |list: &Vec<String>| {
        list.iter().any(|p| {
            let p = if version == PolicyVersion::V2012 {
                substitute(p, req)
            } else {
                Some(Cow::Borrowed(p.as_str()))
            };
            p.is_some_and(|p| arn_match(&p, &req.resource))
        })
    };
    match patterns {
        Matcher::Positive(list) => any(list),
        Matcher::Negated(list) => !any(list),
    }
}

fn action_matches(patterns: &Matcher<ActionSet>, action_lower: &str) -> bool {
    match patterns {
        Matcher::Positive(set) => set.matches(action_lower),
        Matcher::Negated(set) => !set.matches(action_lower),
    }
}

fn parse_date(s: &str) -> Option<i128> {
    if let Ok(secs) = s.parse::<i64>() {
        return Some(i128::from(secs) * 1_000_000_000);
    }
    use time::format_description::well_known::{Iso8601, Rfc3339};
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(d) = time::Date::parse(
        s,
        &time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    None
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Ok(addr) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(n) & mask) == (u128::from(a) & mask)
        }
        _ => false,
    }
}

/// Whether values of operator `base` may hold policy variables. The IAM
/// page on policy variables ("Where you can use policy variables") lists the
/// string and ARN operators, and `Bool`: "Variables inside `Bool` values are
/// substituted like any string" (issue 17).
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>
fn substitutes(base: OpBase) -> bool {
    matches!(
        base,
        OpBase::StringEquals
            | OpBase::StringEqualsIgnoreCase
            | OpBase::StringLike
            | OpBase::ArnEquals
            | OpBase::ArnLike
            | OpBase::Bool
    )
}

/// Whether `value` is of the type operator `base` compares: a number for
/// `Numeric*`, a date for `Date*`, an IP address (request) or an address
/// or CIDR block (policy) for `IpAddress`, an ARN for `Arn*`, `true` or
/// `false` for `Bool`. A condition with a value of the wrong type on either
/// side does not match, whether the operator is negated or not: the
/// condition operator pages say each operator compares values *of its
/// type*, and a value that is not one cannot satisfy the comparison.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
fn of_type(base: OpBase, value: &str, policy_side: bool) -> bool {
    match base {
        OpBase::NumericEquals
        | OpBase::NumericLessThan
        | OpBase::NumericLessThanEquals
        | OpBase::NumericGreaterThan
        | OpBase::NumericGreaterThanEquals => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        OpBase::DateEquals
        | OpBase::DateLessThan
        | OpBase::DateLessThanEquals
        | OpBase::DateGreaterThan
        | OpBase::DateGreaterThanEquals => parse_date(value).is_some(),
        OpBase::Bool => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        OpBase::IpAddress => {
            let v = value.trim();
            match v.split_once('/') {
                Some((net, bits)) if policy_side => {
                    match (net.parse::<IpAddr>(), bits.parse::<u32>()) {
                        (Ok(IpAddr::V4(_)), Ok(b)) => b <= 32,
                        (Ok(IpAddr::V6(_)), Ok(b)) => b <= 128,
                        _ => false,
                    }
                }
                Some(_) => false,
                None => v.parse::<IpAddr>().is_ok(),
            }
        }
        OpBase::ArnEquals | OpBase::ArnLike => {
            (policy_side && value == "*")
                || (value.splitn(6, ':').count() == 6 && value.starts_with("arn"))
        }
        _ => true,
    }
}

/// The value of type-checked operator `base` that is not of its type, if
/// any (the request's values, then the policy's after substitution).
pub fn wrong_type<'a>(
    c: &'a Condition,
    req: &'a Request,
    version: PolicyVersion,
) -> Option<String> {
    let base = c.operator.base;
    if matches!(
        base,
        OpBase::StringEquals
            | OpBase::StringEqualsIgnoreCase
            | OpBase::StringLike
            | OpBase::BinaryEquals
            | OpBase::Null
    ) {
        return None;
    }
    if let Some(rv) = req.values(&c.key).find(|rv| !of_type(base, rv, false)) {
        return Some(format!("request value `{rv}` of {}", c.key));
    }
    c.values.iter().find_map(|pv| {
        let pv = if version == PolicyVersion::V2012 && substitutes(base) {
            substitute(pv, req)?.into_owned()
        } else {
            pv.clone()
        };
        (!of_type(base, &pv, true)).then(|| format!("policy value `{pv}` for {}", c.key))
    })
}

/// Each condition value of `policy` that is not of the type its operator
/// compares, read from the policy alone (values with variables are judged
/// per request): `statement: value for key`.
pub fn wrong_typed_values(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for (i, st) in policy.statements.iter().enumerate() {
        for c in &st.conditions {
            for v in c.values.iter().filter(|v| !v.contains("${")) {
                if !of_type(c.operator.base, v, true) {
                    out.push(format!(
                        "statement {}: `{v}` for {} is not of the type {:?} compares",
                        st.sid.clone().unwrap_or_else(|| format!("#{i}")),
                        c.key,
                        c.operator.base
                    ));
                }
            }
        }
    }
    out
}

/// Whether the statement holds a policy variable that cannot be resolved
/// for `req` (its key is absent, or has several values, and there is no
/// default), in `Resource`/`NotResource` or in a condition value that is
/// substituted. "If AWS cannot resolve a variable, this might cause the
/// entire statement to be invalid": ctmigrate takes it as invalid, so the
/// statement applies to nothing, under negated operators and `NotResource`
/// too.
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>
fn unresolvable(st: &Statement, req: &Request, version: PolicyVersion) -> bool {
    if version != PolicyVersion::V2012 {
        return false;
    }
    let (Matcher::Positive(resources) | Matcher::Negated(resources)) = &st.resources;
    resources.iter().any(|p| substitute(p, req).is_none())
        || st.conditions.iter().any(|c| {
            substitutes(c.operator.base) && c.values.iter().any(|v| substitute(v, req).is_none())
        })
}

/// Whether one request value matches one policy value under `base`.
fn value_matches(
    base: OpBase,
    request: &str,
    policy: &str,
    req: &Request,
    version: PolicyVersion,
) -> bool {
    let variables = version == PolicyVersion::V2012 && substitutes(base);
    let policy_value: Cow<'_, str> = if variables {
        match substitute(policy, req) {
            Some(v) => v,
            None => return false,
        }
    } else {
        Cow::Borrowed(policy)
    };
    let substituted = matches!(policy_value, Cow::Owned(_));
    let num = |s: &str| s.trim().parse::<f64>().ok();
    match base {
        OpBase::StringEquals => plain(&policy_value, substituted) == request,
        OpBase::StringEqualsIgnoreCase => {
            let policy_value = plain(&policy_value, substituted);
            if policy_value.is_ascii() && request.is_ascii() {
                policy_value.eq_ignore_ascii_case(request)
            } else {
                policy_value.to_lowercase() == request.to_lowercase()
            }
        }
        OpBase::StringLike => glob_subst(&policy_value, request, false),
        OpBase::NumericEquals => {
            matches!((num(request), num(&policy_value)), (Some(a), Some(b)) if a == b)
        }
        OpBase::NumericLessThan => {
            matches!((num(request), num(&policy_value)), (Some(a), Some(b)) if a < b)
        }
        OpBase::NumericLessThanEquals => {
            matches!((num(request), num(&policy_value)), (Some(a), Some(b)) if a <= b)
        }
        OpBase::NumericGreaterThan => {
            matches!((num(request), num(&policy_value)), (Some(a), Some(b)) if a > b)
        }
        OpBase::NumericGreaterThanEquals => {
            matches!((num(request), num(&policy_value)), (Some(a), Some(b)) if a >= b)
        }
        OpBase::DateEquals => {
            matches!((parse_date(request), parse_date(&policy_value)), (Some(a), Some(b)) if a == b)
        }
        OpBase::DateLessThan => {
            matches!((parse_date(request), parse_date(&policy_value)), (Some(a), Some(b)) if a < b)
        }
        OpBase::DateLessThanEquals => {
            matches!((parse_date(request), parse_date(&policy_value)), (Some(a), Some(b)) if a <= b)
        }
        OpBase::DateGreaterThan => {
            matches!((parse_date(request), parse_date(&policy_value)), (Some(a), Some(b)) if a > b)
        }
        OpBase::DateGreaterThanEquals => {
            matches!((parse_date(request), parse_date(&policy_value)), (Some(a), Some(b)) if a >= b)
        }
        OpBase::Bool => request.eq_ignore_ascii_case(&policy_value),
        OpBase::BinaryEquals => request == policy_value,
        OpBase::IpAddress => cidr_contains(&policy_value, request),
        OpBase::ArnEquals | OpBase::ArnLike => {
            request.splitn(6, ':').count() == 6 && arn_match(&policy_value, request)
        }
        OpBase::Null => false,
    }
}

/// Whether one condition (one operator, one key) holds.
pub fn condition_holds(c: &Condition, req: &Request, version: PolicyVersion) -> bool {
    let values = req.values(&c.key);
    let op = c.operator;
    if op.base == OpBase::Null {
        let present = values.any(|v| !v.is_empty());
        return c.values.iter().any(|v| {
            if v.eq_ignore_ascii_case("true") {
                !present
            } else {
                present
            }
        });
    }
    if !values.is_empty() && wrong_type(c, req, version).is_some() {
        // A value of the wrong type: the condition does not match, negated or not.
        return false;
    }
    let matches_one = |rv: &str| {
        c.values
            .iter()
            .any(|pv| value_matches(op.base, rv, pv, req, version))
    };
    match op.qualifier {
        Qualifier::None => {
            if values.is_empty() {
                // Missing key: false for positive operators, true for negated ones; IfExists: true.
                return op.if_exists || op.negated;
            }
            let any = values.any(matches_one);
            if op.negated { !any } else { any }
        }
        Qualifier::ForAnyValue => {
            if values.is_empty() {
                return op.if_exists;
            }
            values.any(|rv| matches_one(rv) != op.negated)
        }
        Qualifier::ForAllValues => values.all(|rv| matches_one(rv) != op.negated),
    }
}

/// Whether a statement applies to the request.
pub fn statement_applies(
    st: &Statement,
    req: &Request,
    action_lower: &str,
    version: PolicyVersion,
) -> bool {
    action_matches(&st.actions, action_lower)
        && !unresolvable(st, req, version)
        && resource_matches(&st.resources, req, version)
        && st
            .conditions
            .iter()
            .all(|c| condition_holds(c, req, version))
}

/// Evaluates one policy alone: the first Deny that applies, else whether some Allow applies.
pub fn evaluate_policy(policy: &Policy, req: &Request) -> (Option<Hit>, bool) {
    let action_lower = req.action.to_ascii_lowercase();
    let mut allowed = false;
    for st in &policy.statements {
        if statement_applies(st, req, &action_lower, policy.version) {
            match st.effect {
                Effect::Deny => {
                    return (
                        Some(Hit {
                            level: String::new(),
                            policy: policy.name.clone(),
                            sid: st.sid.clone(),
                        }),
                        allowed,
                    );
                }
                Effect::Allow => allowed = true,
            }
        }
    }
    (None, allowed)
}

/// Whether the principal is outside SCPs: the management account or a service-linked role.
pub fn exempt_from_scps(req: &Request, management_account: Option<&str>) -> Option<String> {
    if management_account.is_some_and(|m| m == req.account) {
        return Some(format!(
            "not subject to SCPs: {} is the management account",
            req.account
        ));
    }
    if req.principal.contains(":role/aws-service-role/") {
        return Some("not subject to SCPs: service-linked role".to_string());
    }
    None
}

/// Evaluates a request against the SCPs of every level, root first.
pub fn evaluate_scps(
    levels: &[Level<'_>],
    req: &Request,
    management_account: Option<&str>,
) -> Decision {
    if let Some(why) = exempt_from_scps(req, management_account) {
        return Decision::Allow { by: vec![why] };
    }
    let action_lower = req.action.to_ascii_lowercase();
    let mut denies = Vec::new();
    let mut allows = Vec::new();
    let mut missing: Option<&str> = None;
    for level in levels {
        let mut allow_here: Option<String> = None;
        for policy in &level.policies {
            for st in &policy.statements {
                if !statement_applies(st, req, &action_lower, policy.version) {
                    continue;
                }
                match st.effect {
                    Effect::Deny => denies.push(Hit {
                        level: level.target.to_string(),
                        policy: policy.name.clone(),
                        sid: st.sid.clone(),
                    }),
                    Effect::Allow => {
                        if allow_here.is_none() {
                            allow_here = Some(
                                Hit {
                                    level: level.target.to_string(),
                                    policy: policy.name.clone(),
                                    sid: st.sid.clone(),
                                }
                                .to_string(),
                            );
                        }
                    }
                }
            }
        }
        match allow_here {
            Some(a) => allows.push(a),
            None if missing.is_none() => missing = Some(level.target),
            None => {}
        }
    }
    if !denies.is_empty() {
        Decision::ExplicitDeny { by: denies }
    } else if let Some(level) = missing {
        Decision::ImplicitDeny {
            level: level.to_string(),
        }
    } else {
        Decision::Allow { by: allows }
    }
}

/// A decision without its explanation, for large matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// A hierarchy narrowed to the statements whose actions match one action:
/// built once per (chain, action) so that each request only checks resources
/// and conditions.
pub struct Prepared<'a> {
    levels: Vec<Vec<(&'a Statement, PolicyVersion)>>,
}

/// Narrows `levels` to the statements that match `action_lower`.
pub fn prepare<'a>(levels: &[Level<'a>], action_lower: &str) -> Prepared<'a> {
    Prepared {
        levels: levels
            .iter()
            .map(|l| {
                l.policies
                    .iter()
                    .flat_map(|p| p.statements.iter().map(move |s| (s, p.version)))
                    .filter(|(s, _)| action_matches(&s.actions, action_lower))
                    .collect()
            })
            .collect(),
    }
}

/// [`evaluate_scps`] without the explanation, on a prepared hierarchy; allocates nothing. The caller has already checked
/// [`exempt_from_scps`] for the request's principal.
pub fn classify_prepared(prepared: &Prepared<'_>, req: &Request) -> Class {
    let mut implicit = false;
    for level in &prepared.levels {
        let mut allowed = false;
        for (st, version) in level {
            if st.effect == Effect::Allow && allowed {
                continue;
            }
            if !resource_matches(&st.resources, req, *version)
                || !st
                    .conditions
                    .iter()
                    .all(|c| condition_holds(c, req, *version))
            {
                continue;
            }
            match st.effect {
                Effect::Deny => return Class::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        implicit |= !allowed;
    }
    if implicit {
        Class::ImplicitDeny
    } else {
        Class::Allow
    }
}
