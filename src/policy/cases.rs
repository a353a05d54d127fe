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
    let mut lines = Vec::new();
    stream_cases(input.as_bytes(), &mut |line| lines.push(line))?;
    Ok(lines)
}

/// Runs `policy eval` cases as they are read from `input`, a JSON array of
/// cases or JSON Lines (one case per line): `each` gets one object per case,
/// in order, so that memory holds one case at a time whatever the input's
/// size. Returns how many cases there were. A case that cannot be read is
/// an `Error` line; input that is neither form is an error after the cases
/// before it.
pub fn stream_cases(
    mut input: impl std::io::BufRead,
    each: &mut dyn FnMut(Value),
) -> Result<usize, CaseError> {
    let first = loop {
        let buf = input
            .fill_buf()
            .map_err(|e| format!("cannot read the cases: {e}"))?;
        if buf.is_empty() {
            break None;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                input.consume(i);
                break Some(b);
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    match first {
        Some(b'[') => stream_array(input, each),
        Some(b'{') => stream_lines(input, each),
        None => Err("the cases file is empty: give a JSON array of cases, or JSON Lines with one case per line".into()),
        Some(_) => Err("the cases file must be a JSON array of cases, or JSON Lines with one case per line".into()),
    }
}

/// The elements of a JSON array, each handed on as its raw text.
struct Elements<'a> {
    each: &'a mut dyn FnMut(Value),
    count: usize,
}

impl<'de> serde::de::Visitor<'de> for &mut Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of cases")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
            (self.each)(case_line(self.count, raw.get()));
            self.count += 1;
        }
        Ok(())
    }
}

fn stream_array(
    input: impl std::io::BufRead,
    each: &mut dyn FnMut(Value),
) -> Result<usize, CaseError> {
    use serde::Deserializer as _;
    let mut elements = Elements { each, count: 0 };
    let mut de = serde_json::Deserializer::from_reader(input);
    de.deserialize_seq(&mut elements)
        .and_then(|()| de.end())
        .map_err(|e| format!("not a valid JSON array after case {}: {e}", elements.count))?;
    Ok(elements.count)
}

fn stream_lines(
    mut input: impl std::io::BufRead,
    each: &mut dyn FnMut(Value),
) -> Result<usize, CaseError> {
    let mut line = String::new();
    let mut count = 0;
    let mut number = 0;
    loop {
        line.clear();
        number += 1;
        match input.read_line(&mut line) {
            Ok(0) => return Ok(count),
            Ok(_) => {}
            Err(e) => return Err(format!("line {number} cannot be read: {e}").into()),
        }
        if line.trim().is_empty() {
            continue;
        }
        each(case_line(count, line.trim_end()));
        count += 1;
    }
}

/// The output object of the case whose JSON text is `text` (case `i`).
fn case_line(i: usize, text: &str) -> Value {
    let unnamed = format!("case {i}");
    let error = |name: String, message: String| json!({"name": name, "decision": "Error", "by": [], "error": message});
    let case: Value = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => return error(unnamed, format!("not valid JSON: {e}")),
    };
    let name = case
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or(unnamed);
    if let Some(dup) = super::duplicate_key(text) {
        return error(
            name,
            format!("{dup}; a JSON parser would keep only one of them"),
        );
    }
    let (mut line, invalid) = match run_case(&case) {
        Ok((Decision::Allow { by }, invalid)) => (
            json!({"name": name, "decision": "Allow", "by": by}),
            invalid,
        ),
        Ok((Decision::ExplicitDeny { by }, invalid)) => (
            json!({"name": name, "decision": "ExplicitDeny", "by": by.iter().map(|h| h.to_string()).collect::<Vec<_>>()}),
            invalid,
        ),
        Ok((Decision::ImplicitDeny { level }, invalid)) => (
            json!({"name": name, "decision": "ImplicitDeny", "by": [level]}),
            invalid,
        ),
        Err(message) => (error(name, message.to_string()), Vec::new()),
    };
    if !invalid.is_empty() {
        line["invalid_values"] = json!(invalid);
    }
    line
}
