//! Parsed policy documents, ready for fast evaluation (action patterns are
//! lower-cased once, condition keys are lower-cased once).

/// `Version`: only 2012-10-17 substitutes policy variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    V2008,
    V2012,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` (positive) or `NotAction` (negated), likewise for resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher<T> {
    Positive(T),
    Negated(T),
}

/// An action pattern, lower-cased (actions match case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern {
    pub lower: String,
    pub is_all: bool,
}

impl ActionPattern {
    pub fn new(p: &str) -> ActionPattern {
        ActionPattern {
            lower: p.to_ascii_lowercase(),
            is_all: p == "*",
        }
    }
}

/// A statement's action patterns, sorted for fast matching: exact names,
/// whole services (`svc:*`), prefixes (`svc:Get*`) and general wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionSet {
    pub all: bool,
    pub exact: std::collections::HashSet<String>,
    pub services: std::collections::HashSet<String>,
    pub prefixes: Vec<String>,
    pub globs: Vec<String>,
}

impl ActionSet {
    pub fn new(patterns: &[ActionPattern]) -> ActionSet {
        let mut set = ActionSet::default();
        for p in patterns {
            let l = &p.lower;
            if p.is_all {
                set.all = true;
            } else if !l.contains(['*', '?']) {
                set.exact.insert(l.clone());
            } else if let Some(svc) = l
                .strip_suffix(":*")
                .filter(|s| !s.contains(['*', '?', ':']))
            {
                set.services.insert(svc.to_string());
            } else if let Some(prefix) = l.strip_suffix('*').filter(|s| !s.contains(['*', '?'])) {
                set.prefixes.push(prefix.to_string());
            } else {
                set.globs.push(l.clone());
            }
        }
        set
    }

    /// Whether a lower-cased action matches one of the patterns.
    pub fn matches(&self, action_lower: &str) -> bool {
        self.all
            || self.exact.contains(action_lower)
            || action_lower
                .split_once(':')
                .is_some_and(|(svc, _)| self.services.contains(svc))
            || self
                .prefixes
                .iter()
                .any(|p| action_lower.starts_with(p.as_str()))
            || self
                .globs
                .iter()
                .any(|g| super::eval::glob(g, action_lower, false))
    }
}

/// The comparison an operator makes, before negation and qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpBase {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnEquals,
    ArnLike,
    Null,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub base: OpBase,
    pub negated: bool,
    pub if_exists: bool,
    pub qualifier: Qualifier,
}

impl Operator {
    /// Parses an operator name; `None` if AWS does not know it.
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else {
            (Qualifier::None, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (base, negated) = match rest {
            "StringEquals" => (OpBase::StringEquals, false),
            "StringNotEquals" => (OpBase::StringEquals, true),
            "StringEqualsIgnoreCase" => (OpBase::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (OpBase::StringEqualsIgnoreCase, true),
            "StringLike" => (OpBase::StringLike, false),
            "StringNotLike" => (OpBase::StringLike, true),
            "NumericEquals" => (OpBase::NumericEquals, false),
            "NumericNotEquals" => (OpBase::NumericEquals, true),
            "NumericLessThan" => (OpBase::NumericLessThan, false),
            "NumericLessThanEquals" => (OpBase::NumericLessThanEquals, false),
            "NumericGreaterThan" => (OpBase::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (OpBase::NumericGreaterThanEquals, false),
            "DateEquals" => (OpBase::DateEquals, false),
            "DateNotEquals" => (OpBase::DateEquals, true),
            "DateLessThan" => (OpBase::DateLessThan, false),
            "DateLessThanEquals" => (OpBase::DateLessThanEquals, false),
            "DateGreaterThan" => (OpBase::DateGreaterThan, false),
            "DateGreaterThanEquals" => (OpBase::DateGreaterThanEquals, false),
            "Bool" => (OpBase::Bool, false),
            "BinaryEquals" => (OpBase::BinaryEquals, false),
            "IpAddress" => (OpBase::IpAddress, false),
            "NotIpAddress" => (OpBase::IpAddress, true),
            "ArnEquals" => (OpBase::ArnEquals, false),
            "ArnNotEquals" => (OpBase::ArnEquals, true),
            "ArnLike" => (OpBase::ArnLike, false),
            "ArnNotLike" => (OpBase::ArnLike, true),
            // A set qualifier on Null changes nothing: it still checks presence
            // (reference_policies_condition-single-vs-multi-valued-context-keys.html).
            "Null" if !if_exists => (OpBase::Null, false),
            _ => return None,
        };
        Some(Operator {
            base,
            negated,
            if_exists,
            qualifier,
        })
    }
}

/// One key of one operator with its values (OR across values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// Lower-cased (condition keys match case-insensitively).
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Action` (positive) or `NotAction` (negated), compiled.
    pub actions: Matcher<ActionSet>,
    pub resources: Matcher<Vec<String>>,
    /// AND across all of them.
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A name for reports (the SCP's name or id).
    pub name: String,
    pub version: PolicyVersion,
    pub statements: Vec<Statement>,
}
