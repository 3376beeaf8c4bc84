package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/openpca/openpca/internal/x509ca"
	"github.com/openpca/openpca/internal/x509lint"
)

// apiPassthrough is what the tests send to templates that take one.
func apiPassthrough(isCA bool) *types.ApiPassthrough {
	ku := &types.KeyUsage{DigitalSignature: true}
	if isCA {
		ku = &types.KeyUsage{DigitalSignature: true, KeyCertSign: true, CRLSign: true}
	}
	ext := &types.Extensions{
		KeyUsage: ku,
		SubjectAlternativeNames: []types.GeneralName{
			{DnsName: aws.String("api.e2e.internal")},
			{IpAddress: aws.String("192.0.2.7")},
			{Rfc822Name: aws.String("pki@e2e.internal")},
			{UniformResourceIdentifier: aws.String("spiffe://e2e.internal/svc")},
		},
		CertificatePolicies: []types.PolicyInformation{{CertPolicyId: aws.String("1.3.6.1.4.1.55555.1.1")}},
	}
	if !isCA {
		ext.ExtendedKeyUsage = []types.ExtendedKeyUsage{{ExtendedKeyUsageType: types.ExtendedKeyUsageTypeClientAuth}}
	}
	return &types.ApiPassthrough{Extensions: ext, Subject: &types.ASN1Subject{CommonName: aws.String("api subject"), Organization: aws.String("openpca e2e")}}
}

// TestEveryTemplateThroughTheAPI issues a certificate with every AWS
// template through IssueCertificate, verifies it with crypto/x509 and lints
// it with zlint: no RFC 5280 error may remain.
func TestEveryTemplateThroughTheAPI(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, root := activateRoot(t, c, ecRoot)
	roots := x509.NewCertPool()
	roots.AddCert(root)
	names := x509ca.TemplateNames()
	if len(names) < 50 {
		t.Fatalf("only %d templates", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tmpl, err := x509ca.LookupTemplate(x509ca.TemplateARNPrefix + name)
			if err != nil {
				t.Fatal(err)
			}
			issuerArn, csr := rootArn, leafCSR(t, "tmpl.e2e.internal")
			if tmpl.SelfSigned {
				issuerArn = createCA(t, c, ecRoot)
				out := must[*acmpca.GetCertificateAuthorityCsrOutput](t)(c.GetCertificateAuthorityCsr(ctx,
					&acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(issuerArn)}))
				csr = []byte(*out.Csr)
			} else if tmpl.IsCA {
				csr = caCSR(t)
			}
			in := &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(issuerArn), Csr: csr,
				SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, TemplateArn: aws.String(x509ca.TemplateARNPrefix + name),
				Validity: ptr(years(1))}
			if tmpl.APIPassthrough {
				in.ApiPassthrough = apiPassthrough(tmpl.IsCA)
			}
			out := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, in))
			got := must[*acmpca.GetCertificateOutput](t)(c.GetCertificate(ctx, &acmpca.GetCertificateInput{
				CertificateAuthorityArn: aws.String(issuerArn), CertificateArn: out.CertificateArn}))
			cert := parseCert(t, *got.Certificate)
			if cert.IsCA != tmpl.IsCA {
				t.Fatalf("IsCA %v", cert.IsCA)
			}
			if tmpl.APIPassthrough && cert.Subject.CommonName != "api subject" {
				t.Fatalf("API subject not applied: %s", cert.Subject)
			}
			opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
			if tmpl.SelfSigned {
				opts.Roots = x509.NewCertPool()
				opts.Roots.AddCert(cert)
			}
			if _, err := cert.Verify(opts); err != nil {
				t.Fatalf("verify: %v", err)
			}
			res, err := x509lint.Lint(cert.Raw, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Error("zlint: " + e)
			}
		})
	}
}

// caCSR is a CSR with a subject, as a subordinate CA's would be.
func caCSR(t testing.TB) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// keyCertSign|cRLSign|digitalSignature, as a CA's CSR asks for them.
	ku := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Critical: true, Value: []byte{0x03, 0x02, 0x01, 0x86}}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "E2E Intermediate", Organization: []string{"openpca e2e"}}, ExtraExtensions: []pkix.Extension{ku}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestPassthroughPrecedence(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, _ := activateRoot(t, c, ecRoot)
	issueWith := func(template string, pt *types.ApiPassthrough) (*x509.Certificate, error) {
		out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(rootArn),
			Csr: leafCSR(t, "csr.e2e.internal"), SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
			TemplateArn: aws.String(x509ca.TemplateARNPrefix + template), Validity: ptr(days(1)), ApiPassthrough: pt})
		if err != nil {
			return nil, err
		}
		got := must[*acmpca.GetCertificateOutput](t)(c.GetCertificate(ctx, &acmpca.GetCertificateInput{
			CertificateAuthorityArn: aws.String(rootArn), CertificateArn: out.CertificateArn}))
		return parseCert(t, *got.Certificate), nil
	}
	// Template key usage beats the API's on a template that defines it.
	cert := must[*x509.Certificate](t)(issueWith("EndEntityCertificate_APIPassthrough/V1", apiPassthrough(false)))
	if cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment || len(cert.ExtKeyUsage) != 2 {
		t.Fatalf("template KU/EKU not kept: %b %v", cert.KeyUsage, cert.ExtKeyUsage)
	}
	if cert.Subject.CommonName != "api subject" || !contains(cert.DNSNames, "api.e2e.internal") || len(cert.IPAddresses) != 1 ||
		len(cert.URIs) != 1 || len(cert.EmailAddresses) != 1 {
		t.Fatalf("API subject/SANs not applied: %s %v %v %v %v", cert.Subject, cert.DNSNames, cert.IPAddresses, cert.URIs, cert.EmailAddresses)
	}
	// A blank template takes the API's key usage and EKU.
	cert = must[*x509.Certificate](t)(issueWith("BlankEndEntityCertificate_APIPassthrough/V1", apiPassthrough(false)))
	if cert.KeyUsage != x509.KeyUsageDigitalSignature || len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatalf("blank template: %b %v", cert.KeyUsage, cert.ExtKeyUsage)
	}
	// Without API passthrough the CSR subject stands, and passthrough is refused.
	cert = must[*x509.Certificate](t)(issueWith("EndEntityCertificate/V1", nil))
	if cert.Subject.CommonName != "csr.e2e.internal" {
		t.Fatalf("subject %s", cert.Subject)
	}
	_, err := issueWith("EndEntityCertificate/V1", apiPassthrough(false))
	wantAPIError(t, err, "InvalidArgsException")
	bad := apiPassthrough(false)
	bad.Extensions.SubjectAlternativeNames = []types.GeneralName{{IpAddress: aws.String("300.1.1.1")}}
	_, err = issueWith("BlankEndEntityCertificate_APIPassthrough/V1", bad)
	wantAPIError(t, err, "InvalidArgsException")
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func TestIssuanceRules(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, _ := activateRoot(t, c, ecRoot)

	// IdempotencyToken: the same request within 5 minutes returns the same certificate.
	csr := leafCSR(t, "idem.internal")
	in := &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(rootArn), Csr: csr, IdempotencyToken: aws.String("t1"),
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))}
	first := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, in))
	second := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, in))
	if *first.CertificateArn != *second.CertificateArn {
		t.Fatal("same IdempotencyToken issued twice")
	}
	in.IdempotencyToken = aws.String("t2")
	if third := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, in)); *third.CertificateArn == *first.CertificateArn {
		t.Fatal("a new token returned the old certificate")
	}

	// A weak CSR key is malformed.
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "weak"}}, weak)
	_, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(rootArn),
		Csr: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
	wantAPIError(t, err, "MalformedCSRException")

	// CRL and OCSP links follow the CA's revocation configuration.
	must[*acmpca.UpdateCertificateAuthorityOutput](t)(c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
		CertificateAuthorityArn: aws.String(rootArn), RevocationConfiguration: &types.RevocationConfiguration{
			CrlConfiguration:  &types.CrlConfiguration{Enabled: aws.Bool(true), S3BucketName: aws.String("crls"), ExpirationInDays: aws.Int32(7)},
			OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(true), OcspCustomCname: aws.String("ocsp.e2e.internal")}}}))
	_, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "linked.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(1))
	leaf := parseCert(t, leafPEM)
	caID := rootArn[strings.LastIndex(rootArn, "/")+1:]
	if len(leaf.CRLDistributionPoints) != 1 || !strings.HasSuffix(leaf.CRLDistributionPoints[0], "/crls/crl/"+caID+".crl") ||
		!strings.HasPrefix(leaf.CRLDistributionPoints[0], "http://"+addr) {
		t.Fatalf("CDP %v", leaf.CRLDistributionPoints)
	}
	if len(leaf.OCSPServer) != 1 || leaf.OCSPServer[0] != "http://ocsp.e2e.internal" {
		t.Fatalf("OCSP %v", leaf.OCSPServer)
	}

	// A SHORT_LIVED_CERTIFICATE CA issues for at most 7 days.
	shortArn := createShortLivedRoot(t, c)
	_, err = c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(shortArn), Csr: leafCSR(t, "s.internal"),
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(8))})
	wantAPIError(t, err, "InvalidArgsException")
	issue(t, c, shortArn, leafCSR(t, "s.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(7))
}

func createShortLivedRoot(t *testing.T, c *acmpca.Client) string {
	t.Helper()
	ctx := context.Background()
	out := must[*acmpca.CreateCertificateAuthorityOutput](t)(c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: types.CertificateAuthorityTypeRoot, UsageMode: types.CertificateAuthorityUsageModeShortLivedCertificate,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Subject: &types.ASN1Subject{CommonName: aws.String("Short")}}}))
	arn := *out.CertificateAuthorityArn
	csr := must[*acmpca.GetCertificateAuthorityCsrOutput](t)(c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(arn)}))
	// The CA's own certificate is not an issuance under the 7-day rule.
	_, pemCert, _ := issue(t, c, arn, []byte(*csr.Csr), types.SigningAlgorithmSha256withecdsa, rootTemplate, years(1))
	must[*acmpca.ImportCertificateAuthorityCertificateOutput](t)(c.ImportCertificateAuthorityCertificate(ctx,
		&acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(arn), Certificate: []byte(pemCert)}))
	return arn
}
