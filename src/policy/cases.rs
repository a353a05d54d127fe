//! The batch runner behind `ctmigrate policy eval`: each case's request
//! and policies (or root → OU → account levels) in, one decision out.

use serde_json::{Value, json};

use super::{
    ContextValue, Decision, Level, Policy, Request, evaluate_scps, parse_policy, parse_value,
};

/// Why a case (or the cases file) cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CaseError(String);

impl From<&str> for CaseError {
    fn from(s: &str) -> CaseError {
        CaseError(s.to_string())
    }
}

impl From<String> for CaseError {
    fn from(s: String) -> CaseError {
        CaseError(s)
    }
}

/// Builds a [`Request`] from a case's `request` object.
fn request_of(v: &Value) -> Result<Request, CaseError> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let action =
        field("action").ok_or("request.action is required (e.g. \"bedrock:InvokeModel\")")?;
    let mut req = Request::new(
        &field("principal").unwrap_or_default(),
        &field("account").unwrap_or_default(),
        &action,
        &field("resource").unwrap_or_else(|| "*".into()),
        &[],
    );
    if let Some(ctx) = v.get("context") {
        let obj = ctx.as_object().ok_or("request.context must be an object")?;
        for (k, val) in obj {
            let key = k.to_ascii_lowercase();
            let value = match val {
                Value::String(s) => ContextValue::Single(s.clone()),
                Value::Bool(b) => ContextValue::Single(b.to_string()),
                Value::Number(n) => ContextValue::Single(n.to_string()),
                Value::Array(a) => ContextValue::Multi(
                    a.iter()
                        .map(|x| match x {
                            Value::String(s) => Ok(s.clone()),
                            Value::Bool(b) => Ok(b.to_string()),
                            Value::Number(n) => Ok(n.to_string()),
                            _ => Err(format!(
                                "request.context.{k} holds a value that is not a string"
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => {
                    return Err(format!(
                        "request.context.{k} must be a string or a list of strings"
                    )
                    .into());
                }
            };
            req.context.insert(key, value);
        }
    }
    Ok(req)
}

fn parse_list(list: &Value, what: &str) -> Result<Vec<Policy>, CaseError> {
    let arr = list
        .as_array()
        .ok_or_else(|| format!("{what} must be a list of policy documents"))?;
    arr.iter()
        .enumerate()
        .map(|(i, doc)| {
            let name = format!("{what}[{i}]");
            match doc {
                Value::String(text) => parse_policy(&name, text),
                other => parse_value(&name, other),
            }
            .map_err(|e| CaseError(format!("{name}: {e}")))
        })
        .collect()
}

/// Evaluates one case; `Err` is the message of a case that cannot be
/// evaluated. Beside the decision: each condition value of the wrong type
/// for its operator (such a condition never matches; AWS may reject or
/// ignore the policy), named by policy and statement.
fn run_case(case: &Value) -> Result<(Decision, Vec<String>), CaseError> {
    let req = request_of(case.get("request").ok_or("the case has no `request`")?)?;
    let management = case.get("management_account").and_then(Value::as_str);
    let mut parsed: Vec<(String, Vec<Policy>)> = Vec::new();
    match (case.get("levels"), case.get("policies")) {
        (Some(levels), _) => {
            for (i, level) in levels
                .as_array()
                .ok_or("`levels` must be a list")?
                .iter()
                .enumerate()
            {
                let target = level
                    .get("target")
                    .and_then(Value::as_str)
                    .unwrap_or("level")
                    .to_string();
                let policies = parse_list(
                    level.get("policies").unwrap_or(&Value::Null),
                    &format!("levels[{i}].policies"),
                )?;
                parsed.push((target, policies));
            }
        }
        (None, Some(policies)) => {
            parsed.push(("policies".into(), parse_list(policies, "policies")?))
        }
        (None, None) => return Err("the case needs `policies` or `levels`".into()),
    }
    let levels: Vec<Level<'_>> = parsed
        .iter()
        .map(|(t, ps)| Level {
            target: t,
            policies: ps.iter().collect(),
        })
        .collect();
    let mut invalid = Vec::new();
    for policy in parsed.iter().flat_map(|(_, ps)| ps) {
        for (i, st) in policy.statements.iter().enumerate() {
            for c in &st.conditions {
                if let Some(what) = super::eval::wrong_type(c, &req, policy.version) {
                    invalid.push(format!(
                        "{} statement {}: {what} is not of the type {:?} compares",
                        policy.name,
                        st.sid.clone().unwrap_or_else(|| format!("#{i}")),
                        c.operator.base
                    ));
                }
            }
        }
    }
    Ok((evaluate_scps(&levels, &req, management), invalid))
}

/// Runs `policy eval` cases: one JSON object out per case, in order.
pub fn run_cases(input: &str) -> Result<Vec<Value>, CaseError> {
    let cases: Value = serde_json::from_str(input).map_err(|e| format!("not valid JSON: {e}"))?;
    if let Some(dup) = super::duplicate_key(input) {
        return Err(format!("{dup}; a JSON parser would keep only one of them").into());
    }
    let cases = cases
        .as_array()
        .ok_or("the cases file must be a JSON array of cases")?;
    Ok(cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let name = case.get("name").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("case {i}"));
            let (mut line, invalid) = match run_case(case) {
                Ok((Decision::Allow { by }, invalid)) => (json!({"name": name, "decision": "Allow", "by": by}), invalid),
                Ok((Decision::ExplicitDeny { by }, invalid)) => {
                    (json!({"name": name, "decision": "ExplicitDeny", "by": by.iter().map(|h| h.to_string()).collect::<Vec<_>>()}), invalid)
                }
                Ok((Decision::ImplicitDeny { level }, invalid)) => (json!({"name": name, "decision": "ImplicitDeny", "by": [level]}), invalid),
                Err(message) => (json!({"name": name, "decision": "Error", "by": [], "error": message.to_string()}), Vec::new()),
            };
            if !invalid.is_empty() {
                line["invalid_values"] = json!(invalid);
            }
            line
        })
        .collect())
}
