//! The access-denied text as the AWS console shows it: a title line
//! (`Access denied to bedrock:ApplyGuardrail`, or in Japanese
//! `bedrock:ApplyGuardrail へのアクセスが拒否されました`), then labelled lines
//! (`User:`, `Service:`, `Action:`, `On resource(s):`, `Context:`; `ユーザー:`,
//! `サービス:`, `アクション:`, `リソース:`, `コンテキスト:`), where the principal
//! and the resource ARN may also stand on lines of their own. Pure text
//! work, like [`super::parse`]; it is tried first, on the lines as given.

use super::parse::{Denial, DenyKind};

/// What one labelled line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    User,
    Service,
    Action,
    Resource,
    Context,
}

/// Labels in English and Japanese, longest first where one starts another.
const LABELS: [(&str, Label); 16] = [
    ("on resource(s)", Label::Resource),
    ("on resources", Label::Resource),
    ("on resource", Label::Resource),
    ("resource(s)", Label::Resource),
    ("resources", Label::Resource),
    ("resource", Label::Resource),
    ("リソース", Label::Resource),
    ("user", Label::User),
    ("principal", Label::User),
    ("ユーザー", Label::User),
    ("プリンシパル", Label::User),
    ("service", Label::Service),
    ("サービス", Label::Service),
    ("action", Label::Action),
    ("アクション", Label::Action),
    ("context", Label::Context),
];

/// The Japanese context label, beside the English ones in [`LABELS`].
const CONTEXT_JA: &str = "コンテキスト";

/// The line's label and value, when it is `LABEL: value` (ASCII or
/// full-width colon).
fn labelled(line: &str) -> Option<(Label, &str)> {
    let (head, value) = line
        .split_once([':', '：'])
        .map(|(h, v)| (h.trim(), v.trim()))?;
    if head.starts_with("arn") || value.is_empty() {
        return None;
    }
    let lower = head.to_lowercase();
    if lower == CONTEXT_JA {
        return Some((Label::Context, value));
    }
    LABELS
        .iter()
        .find(|(l, _)| lower == *l)
        .map(|(_, label)| (*label, value))
}

/// The action a title line names (`Access denied to bedrock:X`,
/// `bedrock:X へのアクセスが拒否されました`).
fn title_action(line: &str) -> Option<String> {
    let token = if let Some(rest) = line.trim().strip_prefix("Access denied to ") {
        rest.split_whitespace().next()
    } else if let Some((before, _)) = line.split_once("へのアクセスが拒否されました")
    {
        before.split_whitespace().last()
    } else {
        None
    }?;
    let token = token.trim_matches(['"', '\'', '`', '.', '。']);
    (token.contains(':') && !token.starts_with("arn:")).then(|| token.to_string())
}

/// Whether the text looks like the console's panel rather than an SDK
/// one-liner.
pub fn is_console(text: &str) -> bool {
    text.lines().any(|l| {
        labelled(l).is_some_and(|(label, _)| label == Label::Action || label == Label::Context)
    }) || text.lines().any(|l| title_action(l).is_some())
}

/// The kind of deny a context line states, in English or Japanese.
fn context_kind(context: &str) -> DenyKind {
    let lower = context.to_lowercase();
    let policy = [
        ("service control polic", "サービスコントロールポリシー", 0),
        ("resource control polic", "リソースコントロールポリシー", 1),
        ("permissions boundar", "アクセス許可の境界", 2),
        ("session polic", "セッションポリシー", 3),
        (
            "identity-based polic",
            "アイデンティティベースのポリシー",
            4,
        ),
        ("resource-based polic", "リソースベースのポリシー", 5),
        ("vpc endpoint polic", "vpc エンドポイントポリシー", 6),
    ]
    .iter()
    .find(|(en, ja, _)| {
        lower.contains(en)
            || lower.contains(ja)
            || (*ja == "アイデンティティベースのポリシー" && lower.contains("id ベースのポリシー"))
    })
    .map(|(_, _, i)| *i);
    let implicit = lower.contains("no ")
        && (lower.contains(" allows") || lower.contains(" allow "))
        || lower.contains("許可していない")
        || lower.contains("許可していません")
        || lower.contains("許可するものはありません")
        || lower.contains("許可するポリシーがありません");
    let explicit = lower.contains("explicit")
        || lower.contains("denies")
        || lower.contains("明示的")
        || lower.contains("拒否");
    match (policy, implicit) {
        (Some(0), false) => DenyKind::ServiceControlPolicy,
        (Some(0), true) => DenyKind::NoScpAllow,
        (Some(1), _) => DenyKind::ResourceControlPolicy,
        (Some(2), false) => DenyKind::PermissionsBoundary,
        (Some(2), true) => DenyKind::NoBoundaryAllow,
        (Some(3), false) => DenyKind::SessionPolicy,
        (Some(3), true) => DenyKind::NoSessionAllow,
        (Some(4), false) => DenyKind::IdentityPolicy,
        (Some(4), true) => DenyKind::NoIdentityAllow,
        (Some(5), false) => DenyKind::ResourcePolicy,
        (Some(5), true) => DenyKind::NoResourceAllow,
        (Some(_), _) => DenyKind::VpcEndpointPolicy,
        (None, _) if explicit => DenyKind::ExplicitDeny,
        (None, _) => DenyKind::Unstated,
    }
}

/// The first ARN-shaped token of a value.
fn arn_in(value: &str) -> Option<String> {
    value
        .split_whitespace()
        .find(|t| t.starts_with("arn:"))
        .map(|t| t.trim_end_matches([',', '.', ';', '。']).to_string())
}

/// Whether an ARN names a principal (IAM or STS).
fn is_principal(arn: &str) -> bool {
    matches!(arn.split(':').nth(2), Some("iam" | "sts"))
}

/// The parts of a console panel, as [`Denial`] fields; `None` when the
/// text names no action at all.
pub(super) struct Panel {
    pub principal: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub kind: DenyKind,
}

/// Reads a console panel.
pub(super) fn read(text: &str) -> Option<Panel> {
    let mut principal = None;
    let mut service: Option<String> = None;
    let mut action: Option<String> = None;
    let mut resource = None;
    let mut kind = DenyKind::Unstated;
    let mut title = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if title.is_none() {
            title = title_action(line);
        }
        match labelled(line) {
            Some((Label::User, v)) => principal = principal.or_else(|| arn_in(v)),
            Some((Label::Service, v)) => {
                service = v.split_whitespace().next().map(str::to_ascii_lowercase)
            }
            Some((Label::Action, v)) => {
                action = v
                    .split_whitespace()
                    .next()
                    .map(|a| a.trim_end_matches([',', '.', '。']).to_string())
            }
            Some((Label::Resource, v)) => resource = resource.or_else(|| arn_in(v)),
            Some((Label::Context, v)) => kind = context_kind(v),
            None => {
                // An ARN on a line of its own.
                if let Some(arn) = arn_in(line).filter(|a| line.starts_with(a.as_str())) {
                    if is_principal(&arn) {
                        principal = principal.or(Some(arn));
                    } else {
                        resource = resource.or(Some(arn));
                    }
                }
            }
        }
    }
    let action = match (action, service) {
        (Some(a), _) if a.contains(':') => a,
        (Some(a), Some(svc)) => format!("{svc}:{a}"),
        (Some(a), None) => title
            .clone()
            .filter(|t| t.ends_with(&format!(":{a}")))
            .unwrap_or(a),
        (None, _) => title?,
    };
    Some(Panel {
        principal,
        action,
        resource,
        kind,
    })
}

/// Turns a panel into the [`Denial`] the rest of `explain` reads.
pub(super) fn denial(
    panel: Panel,
    facts: impl Fn(&str) -> (Option<String>, Option<String>, Option<String>),
) -> Denial {
    let (region, model, profile) = panel
        .resource
        .as_deref()
        .map(&facts)
        .unwrap_or((None, None, None));
    let region = region.or_else(|| {
        panel
            .resource
            .as_deref()
            .and_then(crate::model::arn_region)
            .map(str::to_string)
    });
    let account = panel.principal.as_deref().and_then(|p| {
        p.split(':')
            .nth(4)
            .filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
    });
    Denial {
        error_code: None,
        operation: None,
        principal: panel.principal,
        account,
        action: Some(panel.action),
        resource: panel.resource,
        region,
        model,
        profile,
        kind: panel.kind,
        policy_arn: None,
    }
}
