package x509ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"
)

func TestSubjectName(t *testing.T) {
	n, err := Subject{CommonName: "CA", Organization: "Org", Country: "NL", Title: "T", GivenName: "G"}.Name()
	if err != nil {
		t.Fatal(err)
	}
	if n.CommonName != "CA" || n.Organization[0] != "Org" || n.Country[0] != "NL" || len(n.ExtraNames) != 2 {
		t.Fatalf("name %+v", n)
	}
	if _, err := (Subject{}).Name(); !errors.Is(err, ErrInvalidSubject) {
		t.Fatalf("empty subject: %v", err)
	}
	custom, err := Subject{CustomAttributes: []CustomAttribute{{ObjectIdentifier: "2.5.4.3", Value: "custom"}}}.Name()
	if err != nil || !custom.ExtraNames[0].Type.Equal(asn1.ObjectIdentifier{2, 5, 4, 3}) {
		t.Fatalf("custom: %+v %v", custom, err)
	}
	if _, err := (Subject{CommonName: "x", CustomAttributes: []CustomAttribute{{ObjectIdentifier: "2.5.4.3", Value: "y"}}}).Name(); err == nil {
		t.Fatal("custom attributes mixed with standard ones were accepted")
	}
	for _, bad := range []string{"1", "3.1", "1.40", "a.b", "1..2"} {
		if _, err := ParseOID(bad); err == nil {
			t.Errorf("ParseOID(%q) accepted", bad)
		}
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func csrFor(t *testing.T, key *ecdsa.PrivateKey, cn string, dns ...string) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func TestTemplates(t *testing.T) {
	rootKey := newKey(t)
	now := time.Now()
	lookup := func(name string) Template {
		tmpl, err := LookupTemplate(TemplateARNPrefix + name)
		if err != nil {
			t.Fatal(err)
		}
		return tmpl
	}
	issue := func(tmpl Template, csr *x509.CertificateRequest, issuer *x509.Certificate) *x509.Certificate {
		serial, _ := RandomSerial(rand.Reader)
		der, err := Issue(IssueRequest{Template: tmpl, CSR: csr, Issuer: issuer, Signer: rootKey, Algorithm: x509.ECDSAWithSHA256,
			Serial: serial, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root := issue(lookup("RootCACertificate/V1"), csrFor(t, rootKey, "root"), nil)
	if !root.IsCA || root.MaxPathLen != -1 || root.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign|x509.KeyUsageCRLSign || len(root.SubjectKeyId) != 20 {
		t.Fatalf("root: IsCA=%v MaxPathLen=%d KeyUsage=%b", root.IsCA, root.MaxPathLen, root.KeyUsage)
	}
	cases := []struct {
		name    string
		isCA    bool
		pathLen int
		ku      x509.KeyUsage
		eku     []x509.ExtKeyUsage
	}{
		{"SubordinateCACertificate_PathLen0/V1", true, 0, x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign, nil},
		{"SubordinateCACertificate_PathLen3/V1", true, 3, x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign, nil},
		{"EndEntityCertificate/V1", false, -1, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{"EndEntityClientAuthCertificate/V1", false, -1, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"EndEntityServerAuthCertificate/V1", false, -1, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"CodeSigningCertificate/V1", false, -1, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}},
		{"OCSPSigningCertificate/V1", false, -1, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}},
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := issue(lookup(tc.name), csrFor(t, newKey(t), "subject", "a.example"), root)
			if c.IsCA != tc.isCA || c.MaxPathLen != tc.pathLen || c.KeyUsage != tc.ku || len(c.ExtKeyUsage) != len(tc.eku) {
				t.Fatalf("IsCA=%v MaxPathLen=%d KeyUsage=%b EKU=%v", c.IsCA, c.MaxPathLen, c.KeyUsage, c.ExtKeyUsage)
			}
			for i := range tc.eku {
				if c.ExtKeyUsage[i] != tc.eku[i] {
					t.Fatalf("EKU %v", c.ExtKeyUsage)
				}
			}
			if string(c.AuthorityKeyId) != string(root.SubjectKeyId) || len(c.SubjectKeyId) != 20 {
				t.Fatal("AKI/SKI")
			}
			if !tc.isCA && (len(c.DNSNames) != 1 || c.DNSNames[0] != "a.example") {
				t.Fatalf("SANs %v", c.DNSNames)
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatal(err)
			}
		})
	}
	// A root template only signs the CA's own key.
	if _, err := Issue(IssueRequest{Template: lookup("RootCACertificate/V1"), CSR: csrFor(t, newKey(t), "x"), Signer: rootKey,
		Algorithm: x509.ECDSAWithSHA256, Serial: big.NewInt(1), NotBefore: now, NotAfter: now.Add(time.Hour)}); !errors.Is(err, ErrIssue) {
		t.Fatalf("foreign key self-signed: %v", err)
	}
	if _, err := LookupTemplate(TemplateARNPrefix + "BlankEndEntityCertificate_APIPassthrough/V1"); !errors.Is(err, ErrUnsupportedTemplate) {
		t.Fatalf("blank template: %v", err)
	}
	if _, err := LookupTemplate(TemplateARNPrefix + "Nope/V1"); !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("unknown template: %v", err)
	}
}

func TestRandomSerial(t *testing.T) {
	seen := make(map[string]bool, 10000)
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	for i := 0; i < 10000; i++ {
		s, err := RandomSerial(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if s.Sign() <= 0 || s.Cmp(limit) >= 0 {
			t.Fatalf("serial %x out of range", s)
		}
		if seen[s.String()] {
			t.Fatalf("duplicate serial %x", s)
		}
		seen[s.String()] = true
	}
}

func TestParseCSR(t *testing.T) {
	if _, err := ParseCSR([]byte("garbage")); !errors.Is(err, ErrMalformedCSR) {
		t.Fatalf("garbage: %v", err)
	}
	csr := csrFor(t, newKey(t), "ok")
	raw := append([]byte(nil), csr.Raw...)
	raw[len(raw)-5] ^= 0xff // break the signature
	if _, err := ParseCSR(raw); !errors.Is(err, ErrMalformedCSR) {
		t.Fatalf("tampered CSR: %v", err)
	}
	if _, err := ParseCSR(csr.Raw); err != nil {
		t.Fatal(err)
	}
}
