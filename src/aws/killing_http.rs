//! The HTTP client every AWS client sends through, wrapped by the crash
//! harness's kill-at-request hook ([`crate::crash::KILL_AT_REQUEST_ENV`]):
//! the process dies at the Nth request, just before it leaves or once its
//! answer has arrived unread. Without the hook (every release build), the
//! client is returned as it is.
//!
//! It must not change a request or a response.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
    http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

use crate::crash::{self, Moment};

/// `inner`, or `inner` that dies at the request the hook names.
pub fn wrap(inner: SharedHttpClient) -> SharedHttpClient {
    let Some((n, moment)) = crash::kill_at_request() else {
        return inner;
    };
    let sent = Arc::new(AtomicU64::new(0));
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Killing {
            inner: inner.http_connector(settings, components),
            sent: sent.clone(),
            n,
            moment,
        })
    })
}

#[derive(Debug)]
struct Killing {
    inner: SharedHttpConnector,
    /// Requests this process has sent, across every client.
    sent: Arc<AtomicU64>,
    n: u64,
    moment: Moment,
}

impl HttpConnector for Killing {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let seq = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if seq == self.n && self.moment == Moment::BeforeSend {
            crash::die();
        }
        let answer = self.inner.call(request);
        if seq != self.n {
            return answer;
        }
        HttpConnectorFuture::new(async move {
            let _ = answer.await;
            crash::die()
        })
    }
}
