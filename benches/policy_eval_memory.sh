#!/usr/bin/env bash
# Peak memory of `ctmigrate policy eval` on a large input (issue 17): CASES
# cases (default 100,000), each with the Control Tower region-deny SCP and
# the companion, as one JSON array (about 4 KB a case), then as JSON Lines.
# Prints the input size, the wall time and the peak RSS of each run; the
# figures go to docs/performance.md. Needs /usr/bin/time (GNU time).
#
#   cargo build --release && benches/policy_eval_memory.sh [CASES]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-100000}"
bin="${CTMIGRATE_BIN:-target/release/ctmigrate}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$cases" "$work" <<'PY'
import json, sys
n, work = int(sys.argv[1]), sys.argv[2]
not_action = ["a4b:*", "access-analyzer:*", "account:*", "acm:*", "activate:*", "artifact:*",
    "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*", "billing:*", "budgets:*",
    "ce:*", "chatbot:*", "chime:*", "cloudfront:*", "cloudtrail:LookupEvents", "config:*", "cur:*",
    "directconnect:*", "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "fms:*", "globalaccelerator:*",
    "health:*", "iam:*", "importexport:*", "kms:*", "mobileanalytics:*", "networkmanager:*",
    "organizations:*", "pricing:*", "route53:*", "route53domains:*", "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*",
    "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream"]
region_deny = {"Version": "2012-10-17", "Statement": [{"Sid": "CTMULTISERVICEPV1", "Effect": "Deny",
    "NotAction": not_action, "Resource": "*", "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"]},
        "ArnNotLike": {"aws:PrincipalARN": ["arn:*:iam::*:role/AWSControlTowerExecution"]}}}]}
companion = {"Version": "2012-10-17", "Statement": [{"Sid": "CtmigrateBedrockApprovedProfilesOnly",
    "Effect": "Deny", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
    "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3", "eu-west-2", "us-east-1"]},
        "ArnNotLike": {"bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/us.*"]}}}]}
full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
regions = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"]
def case(i):
    return {"name": f"case-{i}", "management_account": "111111111111",
        "levels": [{"target": "r-root", "policies": [full]},
                   {"target": "ou-workloads", "policies": [full, region_deny, companion, region_deny]},
                   {"target": "666666666667", "policies": [full]}],
        "request": {"principal": "arn:aws:sts::666666666667:assumed-role/Dev/alice", "account": "666666666667",
            "action": "bedrock:InvokeModel",
            "resource": "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
            "context": {"aws:RequestedRegion": regions[i % len(regions)],
                "bedrock:InferenceProfileArn": f"arn:aws:bedrock:us-east-1:666666666667:inference-profile/us.model-{i}"}}}
with open(f"{work}/cases.json", "w") as a, open(f"{work}/cases.jsonl", "w") as l:
    a.write("[\n")
    for i in range(n):
        text = json.dumps(case(i), separators=(",", ":"))
        a.write(("," if i else "") + text + "\n")
        l.write(text + "\n")
    a.write("]\n")
PY

for input in cases.json cases.jsonl; do
  size=$(du -m "$work/$input" | cut -f1)
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" policy eval --cases "$work/$input" > "$work/out" || true
  read -r secs kib < "$work/time"
  lines=$(wc -l < "$work/out")
  echo "$input: ${size} MB, $cases cases, $lines lines out, ${secs} s, peak RSS $((kib / 1024)) MB"
done
