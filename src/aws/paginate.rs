//! Every call is sent the same way, its failure mapped once into an
//! [`AwsError`] that names the service and the operation ([`sent!`]); every
//! list call follows every page the same way: the SDK's paginator,
//! collected ([`items!`], [`pages!`]). Each is sent again while it is
//! throttled ([`super::throttle::outlast`]); a throttled listing starts over.

use aws_sdk_organizations::config::http::HttpResponse;
use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::future::pagination_stream::PaginationStream;

use super::AwsError;

/// Every item (or page) the paginator `stream` yields, in order.
pub(super) async fn all<T, E>(
    service: &'static str,
    operation: &'static str,
    stream: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
) -> Result<Vec<T>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    stream
        .try_collect()
        .await
        .map_err(|e| AwsError::from_sdk(service, operation, e))
}

/// Every item of `request` (a fluent builder whose paginator yields items),
/// or the function returns the mapped error.
macro_rules! items {
    ($service:expr, $operation:literal, $request:expr) => {{
        let request = $request;
        $crate::aws::throttle::outlast(|| {
            $crate::aws::paginate::all(
                $service,
                $operation,
                request.clone().into_paginator().items().send(),
            )
        })
        .await?
    }};
}

/// Every item of `request` (a fluent builder whose paginator yields whole
/// pages); `$field` names the page's list of items.
macro_rules! pages {
    ($service:expr, $operation:literal, $request:expr, $field:ident) => {{
        let request = $request;
        $crate::aws::throttle::outlast(|| {
            $crate::aws::paginate::all(
                $service,
                $operation,
                request.clone().into_paginator().send(),
            )
        })
        .await?
    }
    .iter()
    .flat_map(|page| page.$field().iter().cloned())
    .collect::<Vec<_>>()};
}

/// The answer to `request` (a fluent builder), or the function returns the
/// mapped error.
macro_rules! sent {
    ($service:expr, $operation:literal, $request:expr) => {{
        let request = $request;
        $crate::aws::throttle::outlast(|| async {
            request
                .clone()
                .send()
                .await
                .map_err(|e| $crate::aws::AwsError::from_sdk($service, $operation, e))
        })
        .await?
    }};
}

pub(super) use {items, pages, sent};
