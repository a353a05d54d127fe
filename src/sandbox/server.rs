//! The sandbox's HTTP front: accepts connections on loopback, reads the SigV4
//! credential scope (service and Region) of each request, dispatches it to the
//! emulated service, and answers in that service's wire protocol:
//! awsJson1_1 for Organizations, restJson1 for Control Tower, Control Catalog
//! and Bedrock, awsQuery (XML) for STS. Fault injection happens here.
//!
//! It owns protocol framing only; the rules of each API live in
//! `organizations`, `controltower`, `catalog`, `bedrock` and `sts`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::faults::{Faults, Injection};
use super::store::Store;
use super::world::{Happening, World};
use super::{SandboxError, bedrock, catalog, controltower, organizations, sts};

/// An error an emulated API answers with.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra members of the error body (e.g. Organizations' `Reason`).
    pub extra: Vec<(String, Value)>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            extra: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra.push((key.to_string(), value));
        self
    }
}

/// What a handler returns: the response body and the changes it made.
pub type ApiResult = Result<(Value, Vec<Happening>), ApiError>;

/// The request as the emulated services see it.
pub struct Call<'a> {
    /// Region of the SigV4 credential scope.
    pub region: &'a str,
    pub access_key_id: &'a str,
    pub op: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: &'a Value,
    pub now_ms: i64,
    pub faults: &'a Faults,
}

impl Call<'_> {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    AwsJson,
    RestJson,
    Query,
}

struct Scope {
    access_key_id: String,
    region: String,
    service: String,
}

/// Reads `Credential=AKID/date/region/service/aws4_request` from the
/// Authorization header.
fn credential_scope(req: &Request<Incoming>) -> Option<Scope> {
    let auth = req.headers().get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let cred = cred.split([',', ' ']).next()?;
    let mut parts = cred.split('/');
    let access_key_id = parts.next()?.to_string();
    let _date = parts.next()?;
    let region = parts.next()?.to_string();
    let service = parts.next()?.to_string();
    Some(Scope {
        access_key_id,
        region,
        service,
    })
}

/// State shared by every connection of one server.
pub struct Shared {
    pub store: Store,
    pub faults: Faults,
    /// Where each request is logged as it arrives (`--log-requests`).
    pub request_log: Option<std::sync::Mutex<std::fs::File>>,
}

impl Shared {
    /// Appends one JSON line for a request that arrived: when (ms since the
    /// Unix epoch), the service, the operation, the Region and the input.
    fn log_request(&self, service: &str, region: &str, op: &str, input: &Value) {
        let Some(file) = &self.request_log else {
            return;
        };
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let line = json!({"at_ms": at_ms, "service": service, "region": region, "operation": op, "input": input});
        if let Ok(mut f) = file.lock() {
            use std::io::Write;
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
}

/// Error that makes hyper drop the connection (an injected reset).
#[derive(Debug)]
struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for ConnectionReset {}

fn ct_op_name(path: &str) -> String {
    // "/list-enabled-controls" -> "ListEnabledControls"; landingzone is one word.
    path.trim_start_matches('/')
        .split('-')
        .map(|w| match w {
            "landingzone" => "LandingZone".to_string(),
            "landingzones" => "LandingZones".to_string(),
            other => {
                let mut c = other.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect()
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionReset> {
    let scope = credential_scope(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(ConnectionReset),
    };

    let Some(scope) = scope else {
        let protocol = if target.is_some() {
            Protocol::AwsJson
        } else {
            Protocol::RestJson
        };
        return Ok(error_response(
            protocol,
            &ApiError::new(
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token: requests must be signed with AWS Signature Version 4.",
            ),
        ));
    };

    let (protocol, op, json_body): (Protocol, String, Value) = match scope.service.as_str() {
        "organizations" => {
            let op = target
                .as_deref()
                .and_then(|t| t.split('.').nth(1))
                .unwrap_or("")
                .to_string();
            (Protocol::AwsJson, op, parse_json(&body))
        }
        "sts" => {
            let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            let op = form
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let fields = form
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            (Protocol::Query, op, Value::Object(fields))
        }
        "controltower" if path.starts_with("/tags/") => {
            let op = match method {
                hyper::Method::GET => "ListTagsForResource".to_string(),
                _ => format!("{method} /tags"),
            };
            (Protocol::RestJson, op, parse_json(&body))
        }
        "controltower" => (Protocol::RestJson, ct_op_name(&path), parse_json(&body)),
        "controlcatalog" => (Protocol::RestJson, ct_op_name(&path), parse_json(&body)),
        "bedrock" => {
            let op = if method == hyper::Method::GET && path == "/inference-profiles" {
                "ListInferenceProfiles".to_string()
            } else if method == hyper::Method::GET && path.starts_with("/inference-profiles/") {
                "GetInferenceProfile".to_string()
            } else if method == hyper::Method::POST && path == "/inference-profiles" {
                "CreateInferenceProfile".to_string()
            } else if method == hyper::Method::GET && path == "/guardrails" {
                "ListGuardrails".to_string()
            } else if method == hyper::Method::GET && path.starts_with("/guardrails/") {
                "GetGuardrail".to_string()
            } else if method == hyper::Method::POST && path == "/guardrails" {
                "CreateGuardrail".to_string()
            } else if method == hyper::Method::GET && path == "/enforcedGuardrailsConfiguration" {
                "ListEnforcedGuardrailsConfiguration".to_string()
            } else if method == hyper::Method::GET && path == "/model-invocation-jobs" {
                "ListModelInvocationJobs".to_string()
            } else {
                format!("{method} {path}")
            };
            (Protocol::RestJson, op, parse_json(&body))
        }
        other => {
            return Ok(error_response(
                Protocol::RestJson,
                &ApiError::new(
                    400,
                    "UnknownServiceException",
                    format!("The ctmigrate sandbox does not emulate the `{other}` service."),
                ),
            ));
        }
    };

    shared.log_request(&scope.service, &scope.region, &op, &json_body);
    let latency = shared.faults.latency(&op);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match shared.faults.injection(&op) {
        Injection::None => {}
        Injection::Reset => return Err(ConnectionReset),
        Injection::Throttle { retry_after_secs } => {
            let mut e = match protocol {
                Protocol::AwsJson => {
                    ApiError::new(400, "TooManyRequestsException", "Rate exceeded")
                }
                Protocol::Query => ApiError::new(400, "Throttling", "Rate exceeded"),
                Protocol::RestJson => ApiError::new(429, "ThrottlingException", "Rate exceeded"),
            };
            e.retry_after_secs = Some(retry_after_secs);
            return Ok(error_response(protocol, &e));
        }
        Injection::ServerError => {
            let e = match protocol {
                Protocol::AwsJson => ApiError::new(
                    500,
                    "ServiceException",
                    "AWS Organizations can't complete your request because of an internal service error. Try again later.",
                ),
                Protocol::Query => {
                    ApiError::new(500, "InternalFailure", "An internal error occurred.")
                }
                Protocol::RestJson => ApiError::new(
                    500,
                    "InternalServerException",
                    "An internal service error occurred. Try again later.",
                ),
            };
            return Ok(error_response(protocol, &e));
        }
    }

    let service = scope.service.clone();
    let shared2 = shared.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        shared2.store.transact(|world: &mut World, now_ms| {
            let call = Call {
                region: &scope.region,
                access_key_id: &scope.access_key_id,
                op: &op,
                path: &path,
                query: &query,
                body: &json_body,
                now_ms,
                faults: &shared2.faults,
            };
            match service.as_str() {
                "organizations" => organizations::handle(world, &call),
                "sts" => sts::handle(world, &call),
                "controltower" => controltower::handle(world, &call),
                "controlcatalog" => catalog::handle(world, &call),
                _ => bedrock::handle(world, &call),
            }
        })
    })
    .await;

    let result: Result<Value, ApiError> = match outcome {
        Ok(Ok(r)) => r,
        Ok(Err(store_error)) => Err(store_failure(&store_error)),
        Err(_) => Err(ApiError::new(
            500,
            "InternalFailure",
            "sandbox worker failed",
        )),
    };
    Ok(match result {
        Ok(body) => ok_response(protocol, &body),
        Err(e) => error_response(protocol, &e),
    })
}

fn store_failure(e: &SandboxError) -> ApiError {
    ApiError::new(
        500,
        "InternalFailure",
        format!("sandbox state unavailable: {e}"),
    )
}

fn parse_json(body: &Bytes) -> Value {
    if body.is_empty() {
        return json!({});
    }
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn build(status: u16, headers: &[(&str, String)], body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

fn ok_response(protocol: Protocol, body: &Value) -> Response<Full<Bytes>> {
    let rid = request_id();
    match protocol {
        Protocol::AwsJson => build(
            200,
            &[
                ("content-type", "application/x-amz-json-1.1".into()),
                ("x-amzn-requestid", rid),
            ],
            body.to_string(),
        ),
        Protocol::RestJson => build(
            200,
            &[
                ("content-type", "application/json".into()),
                ("x-amzn-requestid", rid),
            ],
            body.to_string(),
        ),
        Protocol::Query => {
            let xml = body
                .as_str()
                .unwrap_or_default()
                .replace("{REQUEST_ID}", &rid);
            build(
                200,
                &[
                    ("content-type", "text/xml".into()),
                    ("x-amzn-requestid", rid),
                ],
                xml,
            )
        }
    }
}

/// Escapes text for an XML element.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn error_response(protocol: Protocol, e: &ApiError) -> Response<Full<Bytes>> {
    let rid = request_id();
    let mut headers = vec![
        ("x-amzn-requestid", rid.clone()),
        ("x-amzn-errortype", e.code.clone()),
    ];
    if let Some(secs) = e.retry_after_secs {
        headers.push(("retry-after", secs.to_string()));
    }
    match protocol {
        Protocol::AwsJson => {
            let mut body = serde_json::Map::new();
            body.insert("__type".into(), json!(e.code));
            body.insert("Message".into(), json!(e.message));
            for (k, v) in &e.extra {
                body.insert(k.clone(), v.clone());
            }
            headers.push(("content-type", "application/x-amz-json-1.1".into()));
            build(e.status, &headers, Value::Object(body).to_string())
        }
        Protocol::RestJson => {
            let mut body = serde_json::Map::new();
            body.insert("message".into(), json!(e.message));
            for (k, v) in &e.extra {
                body.insert(k.clone(), v.clone());
            }
            headers.push(("content-type", "application/json".into()));
            build(e.status, &headers, Value::Object(body).to_string())
        }
        Protocol::Query => {
            let kind = if e.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            };
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>",
                xml_escape(&e.code),
                xml_escape(&e.message)
            );
            headers.retain(|(k, _)| *k != "x-amzn-errortype");
            headers.push(("content-type", "text/xml".into()));
            build(e.status, &headers, xml)
        }
    }
}

/// Pages through `items` with the estate's page size: the token is the
/// offset; a token that is not one of ours is `bad_token`.
pub fn paginate(
    items: Vec<Value>,
    next_token: Option<&str>,
    max_results: Option<u64>,
    page_size: usize,
    bad_token: impl Fn() -> ApiError,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let start = match next_token {
        None | Some("") => 0,
        Some(t) => t
            .strip_prefix("sbx-page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(&bad_token)?,
    };
    let size = max_results
        .map(|m| (m as usize).max(1))
        .unwrap_or(usize::MAX)
        .min(page_size.max(1));
    let end = (start + size).min(items.len());
    let page = items[start..end].to_vec();
    let next = (end < items.len()).then(|| format!("sbx-page-{end}"));
    Ok((page, next))
}

/// RFC 3339 text for an epoch-milliseconds time.
pub fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_tower_paths_map_to_operation_names() {
        assert_eq!(ct_op_name("/list-enabled-controls"), "ListEnabledControls");
        assert_eq!(ct_op_name("/get-landingzone"), "GetLandingZone");
        assert_eq!(ct_op_name("/list-landingzones"), "ListLandingZones");
        assert_eq!(
            ct_op_name("/list-landingzone-operations"),
            "ListLandingZoneOperations"
        );
    }

    #[test]
    fn pagination_follows_tokens_and_rejects_foreign_ones() {
        let items: Vec<Value> = (0..7).map(|i| json!(i)).collect();
        let bad = || ApiError::new(400, "InvalidInputException", "bad token");
        let (p1, t1) = paginate(items.clone(), None, None, 3, bad).unwrap();
        assert_eq!(p1.len(), 3);
        let (p2, t2) = paginate(items.clone(), t1.as_deref(), Some(2), 3, bad).unwrap();
        assert_eq!(p2, vec![json!(3), json!(4)]);
        let (p3, t3) = paginate(items.clone(), t2.as_deref(), None, 3, bad).unwrap();
        assert_eq!(p3, vec![json!(5), json!(6)]);
        assert!(t3.is_none());
        assert!(paginate(items, Some("garbage"), None, 3, bad).is_err());
    }
}
