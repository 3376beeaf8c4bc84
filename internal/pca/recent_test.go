package pca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// The recent-certificate ring keeps the newest recentCapacity entries and
// forgets the oldest first.
func TestRecentCertificatesEvictOldest(t *testing.T) {
	r := newRecentCertificates()
	key := func(i int) recentKey { return recentKey{"ca", fmt.Sprintf("%032x", i)} }
	for i := range recentCapacity + 10 {
		r.put(key(i), recentCertificate{pem: fmt.Sprint(i)})
	}
	for i := range 10 {
		if _, ok := r.get(key(i)); ok {
			t.Fatalf("entry %d survived %d newer ones", i, recentCapacity)
		}
	}
	for _, i := range []int{10, recentCapacity, recentCapacity + 9} {
		if c, ok := r.get(key(i)); !ok || c.pem != fmt.Sprint(i) {
			t.Fatalf("entry %d: %+v %v", i, c, ok)
		}
	}
	if len(r.byKey) != recentCapacity {
		t.Fatalf("%d entries kept", len(r.byKey))
	}
	// A repeated put neither duplicates nor evicts.
	r.put(key(recentCapacity+9), recentCertificate{pem: "again"})
	if c, _ := r.get(key(recentCapacity + 9)); c.pem != fmt.Sprint(recentCapacity+9) || len(r.byKey) != recentCapacity {
		t.Fatalf("repeated put changed the ring: %q, %d entries", c.pem, len(r.byKey))
	}
}

// Issuer material is parsed once per version of the CA row: the same row
// gives the same parse, a row with a new certificate or configuration a new one.
func TestIssuerMaterialFollowsTheRow(t *testing.T) {
	certPEM := func(cn string) string {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	var c issuerCache
	ca := store.CA{ID: "ca1", ConfigJSON: []byte(`{"KeyAlgorithm":"EC_prime256v1"}`), CertificatePEM: certPEM("one")}
	first, err := c.material(ca)
	if err != nil || first.issuer.Subject.CommonName != "one" || first.cfg.KeyAlgorithm != "EC_prime256v1" {
		t.Fatalf("%+v %v", first, err)
	}
	if again, _ := c.material(ca); again != first {
		t.Fatal("an unchanged row was parsed again")
	}
	ca.CertificatePEM = certPEM("two")
	if m, _ := c.material(ca); m.issuer.Subject.CommonName != "two" {
		t.Fatalf("new certificate not seen: %s", m.issuer.Subject.CommonName)
	}
	ca.ConfigJSON = []byte(`{"KeyAlgorithm":"RSA_2048"}`)
	if m, _ := c.material(ca); m.cfg.KeyAlgorithm != "RSA_2048" {
		t.Fatalf("new configuration not seen: %s", m.cfg.KeyAlgorithm)
	}
	ca.ConfigJSON = []byte(`{`)
	if _, err := c.material(ca); err == nil {
		t.Fatal("a corrupt configuration parsed")
	}
	ca.ConfigJSON, ca.CertificatePEM = []byte(`{}`), "garbage"
	if m, err := c.material(ca); err != nil || m.issuer != nil || m.issuerErr == nil {
		t.Fatalf("an unparsable certificate: %+v %v", m, err)
	}
}
