//! Reading SCP documents as written, for the modules that report on them
//! (detect, plan, check, apply's live reads): their statements, Sids,
//! action lists, condition values, and IAM action wildcards.
//!
//! The evaluator's parser ([`super::parse_policy`]) turns a document into
//! what it evaluates and refuses what AWS would refuse; this reader answers
//! questions about a document's text and is tolerant (a statement it cannot
//! read answers "nothing"). Both match actions with the one [`super::glob`],
//! so every module judges a wildcard the same way. No I/O.

use serde_json::Value;

use super::glob;

/// One statement of a policy document, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement(Value);

/// The statements of a policy document (`Statement` as a list or a single
/// object); none when the text is not a JSON policy.
pub fn statements(content: &str) -> Vec<Statement> {
    match serde_json::from_str::<Value>(content) {
        Ok(doc) => statements_of(&doc),
        Err(_) => Vec::new(),
    }
}

/// The statements of a parsed document.
pub fn statements_of(doc: &Value) -> Vec<Statement> {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().cloned().map(Statement).collect(),
        Some(obj @ Value::Object(_)) => vec![Statement(obj.clone())],
        _ => Vec::new(),
    }
}

/// The Sids of a document's statements, in order.
pub fn statement_sids(content: &str) -> Vec<String> {
    statements(content)
        .iter()
        .filter_map(|s| s.sid().map(str::to_string))
        .collect()
}

/// The statements of a document with Sid `sid`.
pub fn statements_with_sid(content: &str, sid: &str) -> Vec<Statement> {
    statements(content)
        .into_iter()
        .filter(|s| s.sid() == Some(sid))
        .collect()
}

/// A policy element that may be one string or a list of strings.
pub fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the IAM action pattern `pattern` (`*`, `?`, case-insensitive)
/// matches `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(pattern, action, true)
}

/// Whether every action `inner` matches is also matched by `outer` (both
/// IAM action patterns). Sound: a `true` is always right; a `false` may be
/// conservative.
pub fn pattern_covers(outer: &str, inner: &str) -> bool {
    let (o, i) = (outer.as_bytes(), inner.as_bytes());
    // m[a][b]: outer[a..] covers inner[b..].
    let mut m = vec![vec![false; i.len() + 1]; o.len() + 1];
    m[o.len()][i.len()] = true;
    for a in (0..o.len()).rev() {
        for b in (0..=i.len()).rev() {
            m[a][b] = match o[a] {
                // A star spans nothing, or one more character of inner (of any kind).
                b'*' => m[a + 1][b] || (b < i.len() && m[a][b + 1]),
                // A question mark stands for one character, never for a run.
                b'?' => b < i.len() && i[b] != b'*' && m[a + 1][b + 1],
                c => b < i.len() && i[b].eq_ignore_ascii_case(&c) && m[a + 1][b + 1],
            };
        }
    }
    m[0][0]
}

impl Statement {
    pub fn raw(&self) -> &Value {
        &self.0
    }

    pub fn sid(&self) -> Option<&str> {
        self.0.get("Sid").and_then(Value::as_str)
    }

    pub fn is_deny(&self) -> bool {
        self.0.get("Effect").and_then(Value::as_str) == Some("Deny")
    }

    /// `Action`, if the statement has one.
    pub fn actions(&self) -> Option<Vec<String>> {
        self.0.get("Action").map(|v| string_list(Some(v)))
    }

    /// `NotAction`, if the statement has one.
    pub fn not_actions(&self) -> Option<Vec<String>> {
        self.0.get("NotAction").map(|v| string_list(Some(v)))
    }

    /// Whether the statement's action element covers `action` (matched by
    /// `Action`, or not matched by `NotAction`), whatever its conditions.
    pub fn covers_action(&self, action: &str) -> bool {
        if let Some(list) = self.actions() {
            return list.iter().any(|p| action_matches(p, action));
        }
        if let Some(list) = self.not_actions() {
            return !list.iter().any(|p| action_matches(p, action));
        }
        false
    }

    /// Whether it is a Deny whose action element covers `action` (its
    /// conditions aside: it denies the action at least somewhere).
    pub fn may_deny(&self, action: &str) -> bool {
        self.is_deny() && self.covers_action(action)
    }

    /// The values of condition key `key` (case-insensitive, as IAM keys are)
    /// under operators `operator` names exactly or with `IfExists`
    /// (`ArnNotLike` also reads `ArnNotLikeIfExists`).
    pub fn condition_values(&self, operator: &str, key: &str) -> Vec<String> {
        let Some(ops) = self.0.get("Condition").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (op, keys) in ops {
            let base = op.strip_suffix("IfExists").unwrap_or(op);
            if !base.eq_ignore_ascii_case(operator) {
                continue;
            }
            for (k, v) in keys.as_object().into_iter().flatten() {
                if k.eq_ignore_ascii_case(key) {
                    out.extend(string_list(Some(v)));
                }
            }
        }
        out
    }

    /// Whether any condition of the statement reads `key` (case-insensitive).
    pub fn mentions_key(&self, key: &str) -> bool {
        self.0
            .get("Condition")
            .and_then(Value::as_object)
            .is_some_and(|ops| {
                ops.values().any(|keys| {
                    keys.as_object()
                        .is_some_and(|k| k.keys().any(|x| x.eq_ignore_ascii_case(key)))
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Request, evaluate_policy, parse_value};
    use serde_json::json;

    /// The reader and the evaluator judge the same statements the same way:
    /// whenever the reader says a Deny statement without conditions covers
    /// an action, the evaluator denies it, and the other way round.
    #[test]
    fn the_reader_and_the_evaluator_agree_on_actions() {
        let elements = [
            json!({"Action": "bedrock:InvokeModel"}),
            json!({"Action": ["bedrock:Invoke*"]}),
            json!({"Action": "Bedrock:invokemodel*"}),
            json!({"Action": "bedrock:Invoke?odel"}),
            json!({"Action": "*"}),
            json!({"Action": "*:*"}),
            json!({"Action": "bedrock:*Stream"}),
            json!({"NotAction": ["bedrock:Invoke*", "iam:*"]}),
            json!({"NotAction": "bedrock:InvokeModel"}),
            json!({"NotAction": ["kms:*", "sts:*"]}),
            json!({"NotAction": ["BEDROCK:*"]}),
        ];
        let actions = [
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
            "bedrock:ApplyGuardrail",
            "iam:CreateRole",
            "kms:CreateKey",
            "ec2:RunInstances",
        ];
        for element in &elements {
            let mut st = json!({"Effect": "Deny", "Resource": "*"});
            for (k, v) in element.as_object().unwrap() {
                st[k] = v.clone();
            }
            let doc = json!({"Version": "2012-10-17", "Statement": [st]});
            let reader = &statements_of(&doc)[0];
            let policy = parse_value("p", &doc).unwrap();
            for action in actions {
                let req = Request::new("arn:aws:iam::1:role/r", "1", action, "*", &[]);
                let evaluator = evaluate_policy(&policy, &req).0.is_some();
                assert_eq!(reader.may_deny(action), evaluator, "{element} on {action}");
            }
        }
    }

    #[test]
    fn statements_sids_and_conditions_read_as_written() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Sid":"GRREGIONDENY","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-2"]},"ArnNotLikeIfExists":{"aws:PrincipalARN":"arn:aws:iam::*:role/X"}}}}"#;
        assert_eq!(statement_sids(doc), vec!["GRREGIONDENY".to_string()]);
        let st = &statements_with_sid(doc, "GRREGIONDENY")[0];
        assert_eq!(
            st.condition_values("StringNotEquals", "AWS:RequestedRegion"),
            vec!["us-east-1".to_string(), "eu-west-2".to_string()]
        );
        assert_eq!(
            st.condition_values("ArnNotLike", "aws:principalarn"),
            vec!["arn:aws:iam::*:role/X".to_string()]
        );
        assert!(st.mentions_key("aws:requestedregion"));
        assert!(statements("not json").is_empty());
    }

    #[test]
    fn pattern_cover_is_sound() {
        assert!(pattern_covers("bedrock:*", "bedrock:Invoke*"));
        assert!(pattern_covers("bedrock:Invoke*", "BEDROCK:InvokeModel"));
        assert!(!pattern_covers("bedrock:Invoke?", "bedrock:Invoke*"));
        assert!(!pattern_covers("bedrock:InvokeModel", "bedrock:Invoke*"));
    }
}
