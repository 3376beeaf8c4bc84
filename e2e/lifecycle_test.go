package e2e

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

func TestRootCAsBecomeActive(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	for _, spec := range []caSpec{
		ecRoot,
		{types.KeyAlgorithmEcSecp384r1, types.SigningAlgorithmSha384withecdsa, types.CertificateAuthorityTypeRoot, "E2E P-384 Root"},
		{types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa, types.CertificateAuthorityTypeRoot, "E2E RSA Root"},
	} {
		t.Run(string(spec.keyAlg), func(t *testing.T) {
			arn, cert := activateRoot(t, c, spec)
			ca := describe(t, c, arn)
			if ca.Status != types.CertificateAuthorityStatusActive {
				t.Fatalf("status %s, want ACTIVE", ca.Status)
			}
			if ca.OwnerAccount == nil || *ca.OwnerAccount != defaultAcct || ca.Type != types.CertificateAuthorityTypeRoot {
				t.Fatalf("owner %v type %s", aws.ToString(ca.OwnerAccount), ca.Type)
			}
			if !strings.HasPrefix(arn, "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/") {
				t.Fatalf("ARN %s", arn)
			}
			if ca.NotAfter == nil || !ca.NotAfter.Equal(cert.NotAfter) || ca.NotBefore == nil || !ca.NotBefore.Equal(cert.NotBefore) {
				t.Fatalf("NotBefore/NotAfter %v/%v, certificate %v/%v", ca.NotBefore, ca.NotAfter, cert.NotBefore, cert.NotAfter)
			}
			if ca.CertificateAuthorityConfiguration.KeyAlgorithm != spec.keyAlg ||
				aws.ToString(ca.CertificateAuthorityConfiguration.Subject.CommonName) != spec.subject {
				t.Fatalf("configuration %+v", ca.CertificateAuthorityConfiguration)
			}
			if !cert.IsCA || cert.Subject.CommonName != spec.subject || cert.CheckSignatureFrom(cert) != nil {
				t.Fatalf("root certificate is not a self-signed CA for %q", spec.subject)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
				t.Fatalf("key usage %b", cert.KeyUsage)
			}
			roots := x509.NewCertPool()
			roots.AddCert(cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
				t.Fatal(err)
			}
			got := must[*acmpca.GetCertificateAuthorityCertificateOutput](t)(c.GetCertificateAuthorityCertificate(context.Background(),
				&acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(arn)}))
			if parseCert(t, *got.Certificate).Equal(cert) == false || got.CertificateChain != nil {
				t.Fatalf("GetCertificateAuthorityCertificate returned another certificate or a chain for a root")
			}
		})
	}
}

func TestSubordinateChainsToRoot(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, root := activateRoot(t, c, ecRoot)

	subArn := createCA(t, c, caSpec{types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa, types.CertificateAuthorityTypeSubordinate, "E2E Sub"})
	if st := describe(t, c, subArn).Status; st != types.CertificateAuthorityStatusPendingCertificate {
		t.Fatalf("new subordinate is %s", st)
	}
	csr := must[*acmpca.GetCertificateAuthorityCsrOutput](t)(c.GetCertificateAuthorityCsr(ctx,
		&acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(subArn)}))
	_, subPEM, chainPEM := issue(t, c, rootArn, []byte(*csr.Csr), types.SigningAlgorithmSha256withecdsa, sub0Template, years(5))
	sub := parseCert(t, subPEM)
	if !sub.IsCA || sub.MaxPathLen != 0 || !sub.MaxPathLenZero {
		t.Fatalf("subordinate IsCA=%v MaxPathLen=%d", sub.IsCA, sub.MaxPathLen)
	}
	if !parseCert(t, chainPEM).Equal(root) {
		t.Fatal("GetCertificate chain is not the root")
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if _, err := sub.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
		t.Fatal(err)
	}

	// Importing without the chain is refused; with it the CA becomes ACTIVE.
	_, err := c.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(subArn), Certificate: []byte(subPEM)})
	wantAPIError(t, err, "InvalidRequestException")
	must[*acmpca.ImportCertificateAuthorityCertificateOutput](t)(c.ImportCertificateAuthorityCertificate(ctx,
		&acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(subArn),
			Certificate: []byte(subPEM), CertificateChain: []byte(chainPEM)}))
	if st := describe(t, c, subArn).Status; st != types.CertificateAuthorityStatusActive {
		t.Fatalf("imported subordinate is %s", st)
	}
	caCert := must[*acmpca.GetCertificateAuthorityCertificateOutput](t)(c.GetCertificateAuthorityCertificate(ctx,
		&acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(subArn)}))
	if !parseCert(t, aws.ToString(caCert.CertificateChain)).Equal(root) {
		t.Fatal("subordinate's CA certificate chain is not the root")
	}

	// A leaf from the subordinate verifies through the chain GetCertificate returns.
	leafArn, leafPEM, leafChain := issue(t, c, subArn, leafCSR(t, "svc.e2e.internal"), types.SigningAlgorithmSha256withrsa, leafTemplate, days(30))
	if !strings.HasPrefix(leafArn, subArn+"/certificate/") || len(strings.TrimPrefix(leafArn, subArn+"/certificate/")) != 32 {
		t.Fatalf("certificate ARN %s", leafArn)
	}
	leaf := parseCert(t, leafPEM)
	intermediates := x509.NewCertPool()
	if !intermediates.AppendCertsFromPEM([]byte(leafChain)) {
		t.Fatal("leaf chain is not PEM")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, DNSName: "svc.e2e.internal",
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatal(err)
	}
	// PathLen0 forbids the subordinate from issuing another CA.
	_, err = c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(subArn),
		Csr: []byte(*csr.Csr), SigningAlgorithm: types.SigningAlgorithmSha256withrsa, TemplateArn: aws.String(sub0Template), Validity: ptr(days(30))})
	wantAPIError(t, err, "InvalidArgsException")
}

func TestCALifecycle(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	arn, _ := activateRoot(t, c, ecRoot)
	arnIn := aws.String(arn)

	_, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: arnIn})
	wantAPIError(t, err, "InvalidStateException")

	must[*acmpca.UpdateCertificateAuthorityOutput](t)(c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
		CertificateAuthorityArn: arnIn, Status: types.CertificateAuthorityStatusDisabled,
		RevocationConfiguration: &types.RevocationConfiguration{OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(false)}}}))
	ca := describe(t, c, arn)
	if ca.Status != types.CertificateAuthorityStatusDisabled || ca.RevocationConfiguration == nil || ca.RevocationConfiguration.OcspConfiguration == nil {
		t.Fatalf("after update: %s %+v", ca.Status, ca.RevocationConfiguration)
	}
	_, err = c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: arnIn, Csr: leafCSR(t, "x.internal"),
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
	wantAPIError(t, err, "InvalidStateException")

	must[*acmpca.DeleteCertificateAuthorityOutput](t)(c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{
		CertificateAuthorityArn: arnIn, PermanentDeletionTimeInDays: aws.Int32(7)}))
	ca = describe(t, c, arn)
	if ca.Status != types.CertificateAuthorityStatusDeleted || ca.RestorableUntil == nil ||
		ca.RestorableUntil.Sub(time.Now()) < 6*24*time.Hour || ca.RestorableUntil.Sub(time.Now()) > 7*24*time.Hour {
		t.Fatalf("after delete: %s restorable until %v", ca.Status, ca.RestorableUntil)
	}
	_, err = c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: arnIn})
	wantAPIError(t, err, "InvalidStateException")
	must[*acmpca.RestoreCertificateAuthorityOutput](t)(c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: arnIn}))
	if st := describe(t, c, arn).Status; st != types.CertificateAuthorityStatusDisabled {
		t.Fatalf("restored to %s, want the pre-deletion DISABLED", st)
	}
	_, err = c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: arnIn})
	wantAPIError(t, err, "InvalidStateException")
	must[*acmpca.UpdateCertificateAuthorityOutput](t)(c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{
		CertificateAuthorityArn: arnIn, Status: types.CertificateAuthorityStatusActive}))
	if st := describe(t, c, arn).Status; st != types.CertificateAuthorityStatusActive {
		t.Fatalf("re-enabled CA is %s", st)
	}

	// Tags.
	must[*acmpca.TagCertificateAuthorityOutput](t)(c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{
		CertificateAuthorityArn: arnIn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("env")}}}))
	must[*acmpca.UntagCertificateAuthorityOutput](t)(c.UntagCertificateAuthority(ctx, &acmpca.UntagCertificateAuthorityInput{
		CertificateAuthorityArn: arnIn, Tags: []types.Tag{{Key: aws.String("env")}}}))
	tags := must[*acmpca.ListTagsOutput](t)(c.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: arnIn}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" || aws.ToString(tags.Tags[0].Value) != "platform" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	_, err = c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: arnIn,
		Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
	wantAPIError(t, err, "InvalidTagException")
}

func TestListCertificateAuthoritiesPages(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[createCA(t, c, ecRoot)] = true
	}
	seen := map[string]bool{}
	pages := 0
	p := acmpca.NewListCertificateAuthoritiesPaginator(c, &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page := must[*acmpca.ListCertificateAuthoritiesOutput](t)(p.NextPage(context.Background()))
		pages++
		if len(page.CertificateAuthorities) > 2 {
			t.Fatalf("page of %d", len(page.CertificateAuthorities))
		}
		for _, ca := range page.CertificateAuthorities {
			if seen[*ca.Arn] {
				t.Fatalf("%s listed twice", *ca.Arn)
			}
			seen[*ca.Arn] = true
		}
	}
	if pages != 3 || len(seen) != len(want) {
		t.Fatalf("%d pages, %d CAs; want 3 pages, %d CAs", pages, len(seen), len(want))
	}
	other := must[*acmpca.ListCertificateAuthoritiesOutput](t)(c.ListCertificateAuthorities(context.Background(),
		&acmpca.ListCertificateAuthoritiesInput{ResourceOwner: types.ResourceOwnerOtherAccounts}))
	if len(other.CertificateAuthorities) != 0 {
		t.Fatalf("OTHER_ACCOUNTS lists %d CAs though none is shared", len(other.CertificateAuthorities))
	}
}

func TestCreateIdempotencyToken(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	in := &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: types.CertificateAuthorityTypeRoot, IdempotencyToken: aws.String("token-1"),
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Subject: &types.ASN1Subject{CommonName: aws.String("Idem")}}}
	first := must[*acmpca.CreateCertificateAuthorityOutput](t)(c.CreateCertificateAuthority(context.Background(), in))
	second := must[*acmpca.CreateCertificateAuthorityOutput](t)(c.CreateCertificateAuthority(context.Background(), in))
	if *first.CertificateAuthorityArn != *second.CertificateAuthorityArn {
		t.Fatalf("same token made two CAs: %s, %s", *first.CertificateAuthorityArn, *second.CertificateAuthorityArn)
	}
	in.IdempotencyToken = aws.String("token-2")
	third := must[*acmpca.CreateCertificateAuthorityOutput](t)(c.CreateCertificateAuthority(context.Background(), in))
	if *third.CertificateAuthorityArn == *first.CertificateAuthorityArn {
		t.Fatal("a new token returned the old CA")
	}
}
