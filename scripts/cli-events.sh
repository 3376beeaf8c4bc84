#!/usr/bin/env bash
# Routes a CA's seed events to a queue with the stock aws CLI and reads them
# back: put-rule + put-targets + receive-message. ENDPOINT and credentials
# come from the environment.
set -euo pipefail
: "${ENDPOINT:?set ENDPOINT, e.g. http://127.0.0.1:8080}"
aws() { command aws --endpoint-url "$ENDPOINT" --output text "$@"; }

url=$(aws sqs create-queue --queue-name pca-events --query QueueUrl)
qarn=$(aws sqs get-queue-attributes --queue-url "$url" --attribute-names QueueArn --query Attributes.QueueArn)
aws events put-rule --name pca-events --event-pattern '{"source":["aws.acm-pca"]}' >/dev/null
aws events put-targets --rule pca-events --targets "Id=queue,Arn=$qarn" --query FailedEntryCount | grep -qx 0

ca=$(aws acm-pca create-certificate-authority --certificate-authority-type ROOT --query CertificateAuthorityArn \
  --certificate-authority-configuration '{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"CLI Events Root"}}')
start=$(date +%s%N)
body=$(aws sqs receive-message --queue-url "$url" --wait-time-seconds 5 --query 'Messages[0].Body')
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$body"
python3 - "$body" "$ca" <<'PY'
import json, sys
ev = json.loads(sys.argv[1])
assert ev["source"] == "aws.acm-pca", ev
assert ev["detail-type"] == "ACM Private CA Creation", ev
assert ev["resources"] == [sys.argv[2]], ev
assert ev["detail"] == {"result": "success"}, ev
PY
echo "events: creation event for $ca received ${elapsed_ms}ms after create returned"
