#!/usr/bin/env bash
# The stock aws CLI drives a running openpca: a ROOT CA to ACTIVE, a SUBORDINATE (PathLen0) under it
# imported with its chain, and a leaf from the subordinate; openssl verifies all of them.
# usage: ENDPOINT=http://127.0.0.1:8080 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... cli-smoke.sh
set -euo pipefail
: "${ENDPOINT:?set ENDPOINT}"
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_PAGER=""
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pca() { aws --endpoint-url "$ENDPOINT" acm-pca "$@"; }

# make_ca TYPE NAME: prints the new CA's ARN once its CSR exists.
make_ca() {
  local arn
  arn=$(pca create-certificate-authority --certificate-authority-type "$1" \
    --certificate-authority-configuration "{\"KeyAlgorithm\":\"EC_prime256v1\",\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{\"CommonName\":\"$2\",\"Organization\":\"openpca smoke\"}}" \
    --query CertificateAuthorityArn --output text)
  pca wait certificate-authority-csr-created --certificate-authority-arn "$arn"
  echo "$arn"
}

# issue ISSUER_ARN CSR_FILE TEMPLATE VALIDITY OUT_PEM
issue() {
  local cert
  cert=$(pca issue-certificate --certificate-authority-arn "$1" --csr "fileb://$2" --signing-algorithm SHA256WITHECDSA \
    --template-arn "arn:aws:acm-pca:::template/$3" --validity "$4" --query CertificateArn --output text)
  pca wait certificate-issued --certificate-authority-arn "$1" --certificate-arn "$cert"
  pca get-certificate --certificate-authority-arn "$1" --certificate-arn "$cert" --query Certificate --output text >"$5"
}

status() { pca describe-certificate-authority --certificate-authority-arn "$1" --query CertificateAuthority.Status --output text; }

root=$(make_ca ROOT "Smoke Root")
pca get-certificate-authority-csr --certificate-authority-arn "$root" --output text >"$tmp/root.csr"
issue "$root" "$tmp/root.csr" RootCACertificate/V1 Value=10,Type=YEARS "$tmp/root.pem"
pca import-certificate-authority-certificate --certificate-authority-arn "$root" --certificate "fileb://$tmp/root.pem"
[ "$(status "$root")" = ACTIVE ] || { echo "root is not ACTIVE" >&2; exit 1; }
openssl verify -CAfile "$tmp/root.pem" "$tmp/root.pem"

sub=$(make_ca SUBORDINATE "Smoke Subordinate")
pca get-certificate-authority-csr --certificate-authority-arn "$sub" --output text >"$tmp/sub.csr"
issue "$root" "$tmp/sub.csr" SubordinateCACertificate_PathLen0/V1 Value=5,Type=YEARS "$tmp/sub.pem"
pca import-certificate-authority-certificate --certificate-authority-arn "$sub" \
  --certificate "fileb://$tmp/sub.pem" --certificate-chain "fileb://$tmp/root.pem"
[ "$(status "$sub")" = ACTIVE ] || { echo "subordinate is not ACTIVE" >&2; exit 1; }
openssl verify -CAfile "$tmp/root.pem" "$tmp/sub.pem"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/leaf.key" \
  -subj "/CN=smoke.example.internal" -addext "subjectAltName=DNS:smoke.example.internal" -out "$tmp/leaf.csr" 2>/dev/null
issue "$sub" "$tmp/leaf.csr" EndEntityCertificate/V1 Value=30,Type=DAYS "$tmp/leaf.pem"
openssl verify -CAfile "$tmp/root.pem" -untrusted "$tmp/sub.pem" "$tmp/leaf.pem"
echo "smoke: root and subordinate ACTIVE, leaf verifies through the chain"
