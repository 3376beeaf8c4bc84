package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// BenchmarkIssueVersusRawSigning measures IssueCertificate+GetCertificate
// through the HTTP API (SigV4, JSON, SQLite commit with its outbox row)
// against the raw limit measured in the same run: parse the same CSR, check
// its signature and x509.CreateCertificate with an EC P-256 key in-process.
// It reports api/raw as "api_vs_raw" (1.0 would mean the server adds nothing).
func BenchmarkIssueVersusRawSigning(b *testing.B) {
	dir := b.TempDir()
	addr := startInProcess(b, dir)
	c := adminClient(addr)
	ctx := context.Background()
	caArn, _ := activateRoot(b, c, ecRoot)
	csrPEM := benchCSR(b)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	rawIssuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raw"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0), SubjectKeyId: []byte{1}}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		block, _ := pem.Decode(csrPEM)
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil || csr.CheckSignature() != nil {
			b.Fatal("bad CSR")
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), RawSubject: csr.RawSubject, DNSNames: csr.DNSNames,
			NotBefore: time.Now(), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, rawIssuer, csr.PublicKey, caKey); err != nil {
			b.Fatal(err)
		}
	}
	rawPerOp := time.Since(start) / time.Duration(b.N)
	start = time.Now()
	for i := 0; i < b.N; i++ {
		out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: csrPEM,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateArn: out.CertificateArn}); err != nil {
			b.Fatal(err)
		}
	}
	apiPerOp := time.Since(start) / time.Duration(b.N)
	if apiPerOp > 0 {
		b.ReportMetric(float64(rawPerOp)/float64(apiPerOp), "api_vs_raw")
		b.ReportMetric(float64(time.Second)/float64(apiPerOp), "api_certs/s")
		b.ReportMetric(float64(time.Second)/float64(rawPerOp), "raw_certs/s")
	}
}

func benchCSR(b *testing.B) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "bench.internal"},
		DNSNames: []string{"bench.internal"}}, key)
	if err != nil {
		b.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}
