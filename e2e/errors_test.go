package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// TestBadInputGetsAWSErrors sends each bad input through aws-sdk-go-v2 and
// checks the error type the botocore model (or AWS's front end) declares.
func TestBadInputGetsAWSErrors(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, rootCert := activateRoot(t, c, ecRoot)
	otherRootArn, _ := activateRoot(t, c, caSpec{types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa, types.CertificateAuthorityTypeRoot, "Other Root"})
	otherCert := must[*acmpca.GetCertificateAuthorityCertificateOutput](t)(c.GetCertificateAuthorityCertificate(ctx,
		&acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(otherRootArn)}))
	pendingArn := createCA(t, c, ecRoot)
	_, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "leaf.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(3))
	bogusArn := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"
	foreignArn := "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
	badConfig := func(k types.KeyAlgorithm, s types.SigningAlgorithm) *acmpca.CreateCertificateAuthorityInput {
		return &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
			CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: k, SigningAlgorithm: s,
				Subject: &types.ASN1Subject{CommonName: aws.String("bad")}}}
	}
	importInput := func(arn string, cert, chain string) *acmpca.ImportCertificateAuthorityCertificateInput {
		in := &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(arn), Certificate: []byte(cert)}
		if chain != "" {
			in.CertificateChain = []byte(chain)
		}
		return in
	}
	describeErr := func(arn string) error {
		_, err := c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(arn)})
		return err
	}
	issueErr := func(arn string, csr []byte, alg types.SigningAlgorithm, template string, v types.Validity) error {
		_, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(arn), Csr: csr,
			SigningAlgorithm: alg, TemplateArn: aws.String(template), Validity: &v})
		return err
	}
	errOf := func(_ any, err error) error { return err }

	cases := []struct {
		name string
		err  error
		want string
	}{
		{"fail/bogus CA ARN", describeErr(bogusArn), "ResourceNotFoundException"},
		{"fail/malformed ARN", describeErr("arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/not-a-uuid"), "InvalidArnException"},
		{"fail/ARN not matching the model pattern", describeErr("bogus"), "ValidationException"},
		{"fail/other account's CA", describeErr(foreignArn), "AccessDeniedException"},
		{"fail/EC key with RSA signing", errOf(c.CreateCertificateAuthority(ctx, badConfig(types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withrsa))), "InvalidArgsException"},
		{"fail/SM2 not supported", errOf(c.CreateCertificateAuthority(ctx, badConfig(types.KeyAlgorithmSm2, types.SigningAlgorithmSm3withsm2))), "InvalidArgsException"},
		{"fail/invalid enum", errOf(c.CreateCertificateAuthority(ctx, badConfig("EC_bogus", types.SigningAlgorithmSha256withecdsa))), "ValidationException"},
		{"fail/issue with mismatched signing algorithm", issueErr(rootArn, leafCSR(t, "a.internal"), types.SigningAlgorithmSha256withrsa, leafTemplate, days(1)), "InvalidArgsException"},
		{"fail/malformed CSR", issueErr(rootArn, []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(1)), "MalformedCSRException"},
		{"fail/unknown template", issueErr(rootArn, leafCSR(t, "a.internal"), types.SigningAlgorithmSha256withecdsa, "arn:aws:acm-pca:::template/Nope/V1", days(1)), "InvalidArgsException"},
		{"fail/validity beyond the CA", issueErr(rootArn, leafCSR(t, "a.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, years(50)), "InvalidArgsException"},
		{"fail/issue from a pending CA", issueErr(pendingArn, leafCSR(t, "a.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(1)), "InvalidStateException"},
		{"fail/import another CA's certificate", errOf(c.ImportCertificateAuthorityCertificate(ctx, importInput(pendingArn, *otherCert.Certificate, ""))), "CertificateMismatchException"},
		{"fail/import garbage", errOf(c.ImportCertificateAuthorityCertificate(ctx, importInput(pendingArn, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", ""))), "MalformedCertificateException"},
		{"fail/import a leaf as CA certificate", errOf(c.ImportCertificateAuthorityCertificate(ctx, importInput(rootArn, leafPEM, ""))), "CertificateMismatchException"},
		{"fail/CA certificate unavailable while pending", errOf(c.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(pendingArn)})), "InvalidStateException"},
		{"fail/deletion window too short", errOf(c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: aws.String(pendingArn), PermanentDeletionTimeInDays: aws.Int32(3)})), "ValidationException"},
		{"fail/bad next token", errOf(c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{NextToken: aws.String("garbage")})), "InvalidNextTokenException"},
		{"fail/certificate ARN of another CA", errOf(c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(otherRootArn), CertificateArn: aws.String(rootArn + "/certificate/0123456789abcdef0123456789abcdef")})), "InvalidArnException"},
		{"fail/unknown certificate", errOf(c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(rootArn), CertificateArn: aws.String(rootArn + "/certificate/0123456789abcdef0123456789abcdef")})), "ResourceNotFoundException"},
		{"fail/revoke unknown serial", errOf(c.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{CertificateAuthorityArn: aws.String(rootArn), CertificateSerial: aws.String("01:02"), RevocationReason: types.RevocationReasonKeyCompromise})), "ResourceNotFoundException"},
		{"fail/operation not built yet", errOf(c.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{CertificateAuthorityArn: aws.String(rootArn), S3BucketName: aws.String("audit"), AuditReportResponseFormat: types.AuditReportResponseFormatJson})), "NotImplementedException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.err, tc.want) })
	}
	// Nothing above changed the good CAs.
	if st := describe(t, c, rootArn).Status; st != types.CertificateAuthorityStatusActive {
		t.Fatalf("root is %s after bad input", st)
	}
	if st := describe(t, c, pendingArn).Status; st != types.CertificateAuthorityStatusPendingCertificate {
		t.Fatalf("pending CA is %s after bad imports", st)
	}
	_ = rootCert
}

func TestRevocation(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, _ := activateRoot(t, c, ecRoot)
	_, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "revoke.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(3))
	serial := parseCert(t, leafPEM).SerialNumber
	// Colon-separated upper-case hex, as openssl prints it.
	hexSerial := strings.ToUpper(serial.Text(16))
	if len(hexSerial)%2 == 1 {
		hexSerial = "0" + hexSerial
	}
	var parts []string
	for i := 0; i < len(hexSerial); i += 2 {
		parts = append(parts, hexSerial[i:i+2])
	}
	in := &acmpca.RevokeCertificateInput{CertificateAuthorityArn: aws.String(rootArn),
		CertificateSerial: aws.String(strings.Join(parts, ":")), RevocationReason: types.RevocationReasonSuperseded}
	must[*acmpca.RevokeCertificateOutput](t)(c.RevokeCertificate(ctx, in))
	_, err := c.RevokeCertificate(ctx, in)
	wantAPIError(t, err, "RequestAlreadyProcessedException")
	in.RevocationReason = "NOT_A_REASON"
	_, err = c.RevokeCertificate(ctx, in)
	wantAPIError(t, err, "ValidationException")
}

// rawCall signs a JSON 1.1 request by hand so tests can control the key,
// region, time and body; it returns the status, __type and the response.
func rawCall(t *testing.T, addr, target, body, keyID, secret, signRegion string, at time.Time) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if keyID != "" {
		sum := sha256.Sum256([]byte(body))
		err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "acm-pca", signRegion, at)
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &e); err != nil || e.Message == "" {
			t.Fatalf("error body %q is not AWS-shaped", raw)
		}
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Fatal("no x-amzn-RequestId")
		}
	}
	return resp.StatusCode, e.Type, resp.Header
}

func TestAuthentication(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	list := "ACMPrivateCA.ListCertificateAuthorities"
	now := time.Now()
	cases := []struct {
		name                         string
		target, body, key, secret, r string
		at                           time.Time
		status                       int
		want                         string
	}{
		{"ok/signed", list, `{}`, adminKeyID, adminSecret, region, now, 200, ""},
		{"fail/unsigned", list, `{}`, "", "", region, now, 400, "MissingAuthenticationTokenException"},
		{"fail/wrong secret", list, `{}`, adminKeyID, "wrong", region, now, 400, "InvalidSignatureException"},
		{"fail/unknown key", list, `{}`, "AKIAUNKNOWN000000000", adminSecret, region, now, 400, "UnrecognizedClientException"},
		{"fail/other region", list, `{}`, adminKeyID, adminSecret, "eu-west-1", now, 400, "InvalidSignatureException"},
		{"fail/six minutes old", list, `{}`, adminKeyID, adminSecret, region, now.Add(-6 * time.Minute), 400, "InvalidSignatureException"},
		{"fail/six minutes ahead", list, `{}`, adminKeyID, adminSecret, region, now.Add(6 * time.Minute), 400, "InvalidSignatureException"},
		{"ok/four minutes old", list, `{}`, adminKeyID, adminSecret, region, now.Add(-4 * time.Minute), 200, ""},
		{"fail/unknown operation", "ACMPrivateCA.MakeCoffee", `{}`, adminKeyID, adminSecret, region, now, 400, "UnknownOperationException"},
		{"fail/unknown service", "Bogus_20200101.Do", `{}`, adminKeyID, adminSecret, region, now, 400, "UnknownOperationException"},
		{"fail/malformed JSON", list, `{"MaxResults":`, adminKeyID, adminSecret, region, now, 400, "SerializationException"},
		{"fail/wrong type", list, `{"MaxResults":"ten"}`, adminKeyID, adminSecret, region, now, 400, "SerializationException"},
		{"fail/out of range", list, `{"MaxResults":5000}`, adminKeyID, adminSecret, region, now, 400, "ValidationException"},
		{"fail/missing required member", "ACMPrivateCA.DescribeCertificateAuthority", `{}`, adminKeyID, adminSecret, region, now, 400, "ValidationException"},
		{"fail/oversized body", list, `{"NextToken":"` + strings.Repeat("a", 1<<20) + `"}`, adminKeyID, adminSecret, region, now, 413, "RequestEntityTooLargeException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, typ, _ := rawCall(t, addr, tc.target, tc.body, tc.key, tc.secret, tc.r, tc.at)
			if status != tc.status || typ != tc.want {
				t.Fatalf("got %d %q, want %d %q", status, typ, tc.status, tc.want)
			}
		})
	}
	// The SDK with a wrong secret is refused too.
	_, err := newClient(addr, adminKeyID, "wrong-secret").ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
	wantAPIError(t, err, "InvalidSignatureException")
	_, err = newClient(addr, "AKIANOSUCHKEY0000000", "x").ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
	wantAPIError(t, err, "UnrecognizedClientException")
}
