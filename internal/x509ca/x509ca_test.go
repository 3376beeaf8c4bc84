package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
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

func newKey(t testing.TB) *ecdsa.PrivateKey {
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

func TestCheckCSRKey(t *testing.T) {
	csrWith := func(key crypto.Signer) *x509.CertificateRequest {
		return newCSR(t, key, pkix.Name{CommonName: "k"}, nil)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []crypto.Signer{newKey(t), p384, p521, rsaKey()} {
		if err := CheckCSRKey(csrWith(key)); err != nil {
			t.Errorf("%T: %v", key.Public(), err)
		}
	}
	for _, key := range []crypto.Signer{p224, ed, rsa1024} {
		if err := CheckCSRKey(csrWith(key)); !errors.Is(err, ErrMalformedCSR) {
			t.Errorf("%T accepted: %v", key.Public(), err)
		}
	}
	huge := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 8192), E: 65537} // 8193 bits
	if err := CheckCSRKey(&x509.CertificateRequest{PublicKey: huge}); !errors.Is(err, ErrMalformedCSR) {
		t.Errorf("8193-bit RSA accepted: %v", err)
	}
	largest := &rsa.PublicKey{N: new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 8192), big.NewInt(1)), E: 65537}
	if err := CheckCSRKey(&x509.CertificateRequest{PublicKey: largest}); err != nil {
		t.Errorf("8192-bit RSA refused: %v", err)
	}
}
