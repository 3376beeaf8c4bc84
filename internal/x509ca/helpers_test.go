package x509ca

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"sync"
	"testing"
	"time"
)

var testNow = time.Now()

// rsaKey is generated once: RSA key generation under -race is slow.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func mustTemplate(t testing.TB, name string) Template {
	t.Helper()
	tmpl, err := LookupTemplate(TemplateARNPrefix + name)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// newCSR makes a CSR with the given subject, extra requested extensions and
// DNS names.
func newCSR(t testing.TB, key crypto.Signer, subject pkix.Name, exts []pkix.Extension, dns ...string) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject, DNSNames: dns,
		ExtraExtensions: exts}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

type testCA struct {
	key  crypto.Signer
	cert *x509.Certificate
	alg  x509.SignatureAlgorithm
}

// newRootCA self-signs a root with RootCACertificate/V1, as a ROOT CA's
// activation does.
func newRootCA(t testing.TB, key crypto.Signer, alg x509.SignatureAlgorithm) *testCA {
	t.Helper()
	ca := &testCA{key: key, alg: alg}
	csr := newCSR(t, key, pkix.Name{CommonName: "Test Root", Organization: []string{"openpca"}}, nil)
	ca.cert = mustIssue(t, ca.request(mustTemplate(t, "RootCACertificate/V1"), csr))
	return ca
}

// request is an issuance by this CA, or, for a root template, a self-signed
// certificate for the CSR's key (which must then be ca.key).
func (ca *testCA) request(tmpl Template, csr *x509.CertificateRequest) IssueRequest {
	serial, err := RandomSerial(rand.Reader)
	if err != nil {
		panic(err)
	}
	req := IssueRequest{Template: tmpl, CSR: csr, Issuer: ca.cert, Signer: ca.key, Algorithm: ca.alg, Serial: serial,
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour)}
	if tmpl.SelfSigned {
		req.Issuer = nil
	}
	return req
}

func mustIssue(t testing.TB, req IssueRequest) *x509.Certificate {
	t.Helper()
	der, err := Issue(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Template.Name, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func findExt(c *x509.Certificate, oid asn1.ObjectIdentifier) *pkix.Extension {
	for i := range c.Extensions {
		if c.Extensions[i].Id.Equal(oid) {
			return &c.Extensions[i]
		}
	}
	return nil
}

func ekuOIDs(t *testing.T, c *x509.Certificate) []string {
	t.Helper()
	e := findExt(c, oidExtExtendedKeyUsage)
	if e == nil {
		return nil
	}
	var oids []asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(e.Value, &oids); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(oids))
	for i, o := range oids {
		out[i] = o.String()
	}
	return out
}
