//! Fuzzes the policy parser, and evaluates whatever parses, so that no input
//! can make either panic. CI runs it briefly (.ci/run).
#![no_main]

use ctmigrate::policy::{Request, evaluate_policy, parse_policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = parse_policy("fuzz", text) else { return };
    let request = Request::new(
        "arn:aws:iam::111122223333:role/r",
        "111122223333",
        "bedrock:InvokeModel",
        "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
        &[("aws:RequestedRegion", "us-east-2"), ("aws:SourceIp", "203.0.113.7")],
    )
    .with_multi("aws:TagKeys", &["a", "b"]);
    let _ = evaluate_policy(&policy, &request);
});
