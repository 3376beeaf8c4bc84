package pca

import (
	"crypto/x509"
	"sync"

	"github.com/openpca/openpca/internal/store"
)

// recentCapacity bounds the certificates kept for GetCertificate: enough to
// cover the issue → get gap of many concurrent clients, a few MiB at most.
const recentCapacity = 4096

// recentCertificates remembers the last certificates this process issued.
// AWS clients call GetCertificate right after IssueCertificate, and an issued
// certificate's body never changes (revocation does not alter it), so serving
// it from memory spares a read and a parse without any staleness. Failed
// issuances are not kept; a miss, or a certificate issued by another process,
// is read from the store.
type recentCertificates struct {
	mu    sync.Mutex
	byKey map[recentKey]recentCertificate
	ring  []recentKey
	next  int
}

type recentKey struct{ caID, serial string }

type recentCertificate struct {
	pem        string
	selfSigned bool // answered without the issuer's chain
}

func newRecentCertificates() *recentCertificates {
	return &recentCertificates{byKey: make(map[recentKey]recentCertificate, recentCapacity),
		ring: make([]recentKey, recentCapacity)}
}

func (r *recentCertificates) put(k recentKey, c recentCertificate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byKey[k]; ok {
		return
	}
	if old := r.ring[r.next]; old != (recentKey{}) {
		delete(r.byKey, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.byKey[k] = c
}

func (r *recentCertificates) get(k recentKey) (recentCertificate, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.byKey[k]
	return c, ok
}

// issuerMaterial is what issuance derives from a CA row, parsed once per
// version of the row instead of on every request.
type issuerMaterial struct {
	// The row fields it was derived from: a row that differs in any of them
	// is parsed again.
	certPEM, csrPEM string
	configJSON      []byte

	cfg       CertificateAuthorityConfiguration
	issuer    *x509.Certificate // nil while the CA has no certificate
	issuerErr error             // why the stored certificate did not parse
	csrKey    any               // the public key of the CA's own CSR
}

type issuerCache struct {
	mu sync.Mutex
	m  map[string]*issuerMaterial
}

// material returns the parsed configuration, certificate and CSR key of ca.
// The values are shared and must not be modified.
func (c *issuerCache) material(ca store.CA) (*issuerMaterial, error) {
	c.mu.Lock()
	m := c.m[ca.ID]
	c.mu.Unlock()
	if m != nil && m.certPEM == ca.CertificatePEM && m.csrPEM == ca.CSRPEM && string(m.configJSON) == string(ca.ConfigJSON) {
		return m, nil
	}
	m = &issuerMaterial{certPEM: ca.CertificatePEM, csrPEM: ca.CSRPEM, configJSON: ca.ConfigJSON, csrKey: mustCSRKey(ca)}
	if err := jsonUnmarshal(ca.ConfigJSON, &m.cfg); err != nil {
		return nil, err
	}
	if ca.CertificatePEM != "" {
		m.issuer, m.issuerErr = parseOneCertificate([]byte(ca.CertificatePEM))
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*issuerMaterial{}
	}
	c.m[ca.ID] = m
	c.mu.Unlock()
	return m, nil
}
