//! Amazon Bedrock batch inference jobs as the sandbox plays them
//! (restJson1: `GET /model-invocation-jobs`), shaped as the Bedrock API
//! reference gives `ModelInvocationJobSummary`. A job belongs to the
//! account and Region it was created in.

use serde_json::{Value, json};

use super::server::{ApiError, ApiResult, Call, iso, paginate};
use super::world::{BatchJob, World};

fn summary(j: &BatchJob) -> Value {
    json!({
        "jobArn": format!("arn:aws:bedrock:{}:{}:model-invocation-job/{}", j.region, j.account, j.id),
        "jobName": j.name,
        "modelId": j.model_id,
        "roleArn": format!("arn:aws:iam::{}:role/BedrockBatchInference", j.account),
        "status": j.status,
        "submitTime": iso(j.submitted_ms),
        "lastModifiedTime": iso(j.submitted_ms),
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": format!("s3://batch-input-{}/{}/", j.account, j.name)}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": format!("s3://batch-output-{}/{}/", j.account, j.name)}},
    })
}

/// Handles one batch-job operation, or `None` for another operation.
pub fn handle(world: &mut World, call: &Call) -> Option<ApiResult> {
    if call.op != "ListModelInvocationJobs" {
        return None;
    }
    let account = world.caller_account(call.access_key_id);
    let wanted_status = call.query("statusEquals");
    let items: Vec<Value> = world
        .batch_jobs
        .iter()
        .filter(|j| j.account == account && j.region == call.region)
        .filter(|j| wanted_status.is_none_or(|s| s == j.status))
        .map(summary)
        .collect();
    let max = call.query("maxResults").and_then(|m| m.parse::<u64>().ok());
    Some(
        paginate(
            items,
            call.query("nextToken"),
            max,
            world.settings.page_size,
            || ApiError::new(400, "ValidationException", "The nextToken is not valid."),
        )
        .map(|(items, next)| {
            let mut out = json!({"invocationJobSummaries": items});
            if let Some(t) = next {
                out["nextToken"] = json!(t);
            }
            (out, Vec::new())
        }),
    )
}
