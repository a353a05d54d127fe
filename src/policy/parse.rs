//! Parsing IAM policy documents (as used for SCPs) into [`Policy`]. Rejects
//! what AWS rejects, with an error that points at the JSON path:
//! unknown elements, both or neither of Action/NotAction, a bad Effect,
//! unknown condition operators.
//!
//! Grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>

use serde_json::{Map, Value};

use super::model::*;

/// A document that cannot be used, with the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> ParseError {
    ParseError {
        path: path.into(),
        message: message.into(),
    }
}

/// Parses a policy document from its JSON text.
pub fn parse_policy(name: &str, text: &str) -> Result<Policy, ParseError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| err("$", format!("not valid JSON: {e}")))?;
    if let Some(dup) = super::duplicate_key(text) {
        return Err(err("$", dup));
    }
    parse_value(name, &value)
}

/// Parses a policy document from JSON.
pub fn parse_value(name: &str, value: &Value) -> Result<Policy, ParseError> {
    let obj = value
        .as_object()
        .ok_or_else(|| err("$", "a policy document must be a JSON object"))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Statement" | "Id") {
            return Err(err(
                format!("$.{key}"),
                format!("unknown element `{key}` (expected Version, Id, Statement)"),
            ));
        }
    }
    let version = match obj.get("Version") {
        None => PolicyVersion::V2008,
        Some(Value::String(v)) if v == "2012-10-17" => PolicyVersion::V2012,
        Some(Value::String(v)) if v == "2008-10-17" => PolicyVersion::V2008,
        Some(other) => {
            return Err(err(
                "$.Version",
                format!("must be \"2012-10-17\" or \"2008-10-17\", got {other}"),
            ));
        }
    };
    let statements = match obj.get("Statement") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(&format!("$.Statement[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()?,
        Some(s @ Value::Object(_)) => vec![parse_statement("$.Statement", s)?],
        Some(_) => return Err(err("$.Statement", "must be an object or a list of objects")),
        None => return Err(err("$", "missing required element `Statement`")),
    };
    if statements.is_empty() {
        return Err(err("$.Statement", "must contain at least one statement"));
    }
    Ok(Policy {
        name: name.to_string(),
        version,
        statements,
    })
}

/// An action in the shape IAM's grammar gives it: `*`, or
/// `service:action`, each part letters, digits, `-`, `_` and the wildcards
/// `*` and `?` (lenient on purpose: it refuses garbage, not rare forms).
fn check_action(path: &str, action: &str) -> Result<(), ParseError> {
    let ok = action == "*"
        || action.split_once(':').is_some_and(|(service, name)| {
            !service.is_empty()
                && service.len() <= 64
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_'))
                && !name.is_empty()
                && name.len() <= 128
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_'))
        });
    if ok {
        Ok(())
    } else {
        let shown: String = action.chars().take(40).collect();
        let more = if action.chars().count() > 40 {
            "…"
        } else {
            ""
        };
        Err(err(
            path,
            format!(
                "`{shown}{more}` is not an action (`*` or `service:Action`, e.g. `s3:GetObject`)"
            ),
        ))
    }
}

fn actions(path: &str, v: &Value) -> Result<Vec<String>, ParseError> {
    let list = string_list(path, v)?;
    for (i, a) in list.iter().enumerate() {
        check_action(&format!("{path}[{i}]"), a)?;
    }
    Ok(list)
}

fn string_list(path: &str, v: &Value) -> Result<Vec<String>, ParseError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err(format!("{path}[{i}]"), "must be a string"))
            })
            .collect(),
        Value::Array(_) => Err(err(path, "must not be an empty list")),
        _ => Err(err(path, "must be a string or a list of strings")),
    }
}

fn compile(patterns: &[String]) -> ActionSet {
    let list: Vec<ActionPattern> = patterns.iter().map(|p| ActionPattern::new(p)).collect();
    ActionSet::new(&list)
}

fn parse_statement(path: &str, v: &Value) -> Result<Statement, ParseError> {
    let obj: &Map<String, Value> = v
        .as_object()
        .ok_or_else(|| err(path, "a statement must be a JSON object"))?;
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" | "Condition"
        ) {
            let why = if matches!(key.as_str(), "Principal" | "NotPrincipal") {
                format!("`{key}` is not supported in service control policies")
            } else {
                format!("unknown element `{key}`")
            };
            return Err(err(format!("{path}.{key}"), why));
        }
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err(format!("{path}.Sid"), "must be a string")),
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(err(
                format!("{path}.Effect"),
                format!("must be \"Allow\" or \"Deny\", got {other}"),
            ));
        }
        None => return Err(err(path, "missing required element `Effect`")),
    };
    let actions = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => Matcher::Positive(compile(&actions(&format!("{path}.Action"), a)?)),
        (None, Some(a)) => Matcher::Negated(compile(&actions(&format!("{path}.NotAction"), a)?)),
        (Some(_), Some(_)) => {
            return Err(err(
                path,
                "a statement may not have both `Action` and `NotAction`",
            ));
        }
        (None, None) => return Err(err(path, "a statement needs `Action` or `NotAction`")),
    };
    let resources = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(r), None) => Matcher::Positive(string_list(&format!("{path}.Resource"), r)?),
        (None, Some(r)) => Matcher::Negated(string_list(&format!("{path}.NotResource"), r)?),
        (Some(_), Some(_)) => {
            return Err(err(
                path,
                "a statement may not have both `Resource` and `NotResource`",
            ));
        }
        (None, None) => return Err(err(path, "a statement needs `Resource` or `NotResource`")),
    };
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(ops)) => parse_conditions(&format!("{path}.Condition"), ops)?,
        Some(_) => {
            return Err(err(
                format!("{path}.Condition"),
                "must be an object of operators",
            ));
        }
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        conditions,
    })
}

fn scalar(path: &str, v: &Value) -> Result<String, ParseError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(err(
            path,
            "a condition value must be a string, number or boolean",
        )),
    }
}

fn parse_conditions(path: &str, ops: &Map<String, Value>) -> Result<Vec<Condition>, ParseError> {
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let op_path = format!("{path}.{op_name}");
        let operator = Operator::parse(op_name)
            .ok_or_else(|| err(&op_path, format!("unknown condition operator `{op_name}`")))?;
        let keys = keys
            .as_object()
            .ok_or_else(|| err(&op_path, "must map condition keys to values"))?;
        if keys.is_empty() {
            return Err(err(&op_path, "must name at least one condition key"));
        }
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let values = match values {
                Value::Array(a) if !a.is_empty() => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scalar(&format!("{key_path}[{i}]"), v))
                    .collect::<Result<Vec<_>, _>>()?,
                Value::Array(_) => return Err(err(&key_path, "must not be an empty list")),
                v => vec![scalar(&key_path, v)?],
            };
            if operator.base == OpBase::Null {
                for v in &values {
                    if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                        return Err(err(
                            &key_path,
                            format!("Null takes \"true\" or \"false\", got \"{v}\""),
                        ));
                    }
                }
            }
            out.push(Condition {
                operator,
                key: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_point_at_the_json_path() {
        let cases = [
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}"#,
                "$.Statement[0].Effect",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#,
                "$.Statement[0]",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Principal":"*"}}"#,
                "$.Statement.Principal",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#,
                "$.Statement[0].Condition.StringEqualz",
            ),
            (r#"{"Version":"2012-10-17","Statment":[]}"#, "$.Statment"),
            (r#"{"Version":"2013-01-01","Statement":[]}"#, "$.Version"),
            (r#"[1]"#, "$"),
            (
                r#"{"Statement":[{"Effect":"Deny","Action":["s3:*",3],"Resource":"*"}]}"#,
                "$.Statement[0].Action[1]",
            ),
        ];
        for (doc, path) in cases {
            let e = parse_policy("p", doc).unwrap_err();
            assert_eq!(e.path, path, "{doc}: {e}");
        }
    }

    #[test]
    fn statement_object_or_list_and_scalar_condition_values() {
        let p = parse_policy(
            "p",
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}}}"#,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].conditions[0].values, vec!["false"]);
        assert_eq!(p.statements[0].conditions[1].values, vec!["10"]);
        assert_eq!(p.statements[0].conditions[0].key, "aws:securetransport");
    }
}
