package x509ca

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// IssueRequest is everything needed to sign one certificate.
type IssueRequest struct {
	Template  Template
	CSR       *x509.CertificateRequest
	Issuer    *x509.Certificate // nil when Template.SelfSigned
	Signer    crypto.Signer     // the issuing CA's key
	Algorithm x509.SignatureAlgorithm
	Serial    *big.Int
	NotBefore time.Time
	NotAfter  time.Time
}

// ErrIssue reports a request the template or issuer cannot satisfy.
var ErrIssue = errors.New("x509ca: cannot issue")

// Issue signs a certificate for the CSR's key under the template and checks
// the result against the issuer before returning it.
func Issue(req IssueRequest) ([]byte, error) {
	t := req.Template
	ski, err := subjectKeyID(req.CSR.PublicKey)
	if err != nil {
		return nil, err
	}
	cert := &x509.Certificate{
		SerialNumber:          req.Serial,
		RawSubject:            req.CSR.RawSubject,
		PublicKey:             req.CSR.PublicKey,
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		SignatureAlgorithm:    req.Algorithm,
		KeyUsage:              t.KeyUsage,
		ExtKeyUsage:           t.ExtKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  t.IsCA,
		SubjectKeyId:          ski,
	}
	if t.IsCA {
		cert.MaxPathLen = t.PathLen
		cert.MaxPathLenZero = t.PathLen == 0
	}
	if t.CopyCSRSANs {
		cert.DNSNames = req.CSR.DNSNames
		cert.EmailAddresses = req.CSR.EmailAddresses
		cert.IPAddresses = req.CSR.IPAddresses
		cert.URIs = req.CSR.URIs
	}
	parent := req.Issuer
	if t.SelfSigned {
		if !samePublicKey(req.CSR.PublicKey, req.Signer.Public()) {
			return nil, fmt.Errorf("%w: a root CA certificate must be for the CA's own key", ErrIssue)
		}
		parent = cert
	} else {
		if parent == nil {
			return nil, fmt.Errorf("%w: the CA has no certificate to issue under", ErrIssue)
		}
		// A parsed issuer has MaxPathLen -1 when it sets no constraint.
		if t.IsCA && parent.MaxPathLen >= 0 && t.PathLen >= parent.MaxPathLen {
			return nil, fmt.Errorf("%w: the issuing CA's path length constraint (%d) does not allow a subordinate CA with path length %d",
				ErrIssue, parent.MaxPathLen, t.PathLen)
		}
		cert.AuthorityKeyId = parent.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, cert, parent, req.CSR.PublicKey, req.Signer)
	if err != nil {
		return nil, fmt.Errorf("x509ca: sign: %w", err)
	}
	return der, nil
}

// subjectKeyID is RFC 5280 method 1: SHA-1 of the subjectPublicKey bits.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("x509ca: public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("x509ca: public key: %w", err)
	}
	sum := sha1.Sum(info.PublicKey.Bytes)
	return sum[:], nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	da, errA := x509.MarshalPKIXPublicKey(a)
	db, errB := x509.MarshalPKIXPublicKey(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// SamePublicKey reports whether two public keys are equal.
func SamePublicKey(a, b crypto.PublicKey) bool { return samePublicKey(a, b) }

// RandomSerial returns a random positive 128-bit serial number (top bit clear).
func RandomSerial(random io.Reader) (*big.Int, error) {
	var b [16]byte
	for {
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return nil, fmt.Errorf("x509ca: serial: %w", err)
		}
		b[0] &= 0x7f
		if n := new(big.Int).SetBytes(b[:]); n.Sign() > 0 {
			return n, nil
		}
	}
}
