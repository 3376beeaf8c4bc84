package x509ca

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
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
	// Passthrough is IssueCertificate's ApiPassthrough; only templates with
	// APIPassthrough accept one.
	Passthrough *APIPassthrough
	// CRLDistributionPoints and OCSPServer come from the CA's revocation
	// configuration; empty means that kind of revocation is off. Root
	// templates ignore both: a self-signed certificate cannot be revoked.
	CRLDistributionPoints []string
	OCSPServer            string
}

// ErrIssue reports a request the template or issuer cannot satisfy.
var ErrIssue = errors.New("x509ca: cannot issue")

// Issue signs a certificate for the CSR's key under the template. Values
// come, per extension, from the template first, then the ApiPassthrough
// (API templates), then the CSR (CSR templates; the subject alternative
// names on every template), as AWS's template order of operations says.
func Issue(req IssueRequest) ([]byte, error) {
	t := req.Template
	if err := CheckPassthrough(t, req.Passthrough); err != nil {
		return nil, err
	}
	api, err := compilePassthrough(req.Passthrough)
	if err != nil {
		return nil, err
	}
	parent := req.Issuer
	if t.SelfSigned {
		if !samePublicKey(req.CSR.PublicKey, req.Signer.Public()) {
			return nil, fmt.Errorf("%w: a root CA certificate must be for the CA's own key", ErrIssue)
		}
	} else {
		if parent == nil {
			return nil, fmt.Errorf("%w: the CA has no certificate to issue under", ErrIssue)
		}
		// A parsed issuer has MaxPathLen -1 when it sets no constraint.
		if t.IsCA && parent.MaxPathLen >= 0 && t.PathLen >= parent.MaxPathLen {
			return nil, fmt.Errorf("%w: the issuing CA's path length constraint (%d) does not allow a subordinate CA with path length %d",
				ErrIssue, parent.MaxPathLen, t.PathLen)
		}
	}

	rawSubject := req.CSR.RawSubject
	if api.rawSubject != nil {
		rawSubject = api.rawSubject
	}
	emptySubject, err := isEmptyName(rawSubject)
	if err != nil {
		return nil, err
	}
	if t.IsCA && emptySubject {
		// RFC 5280 4.1.2.6: a CA's subject MUST be a non-empty DN, since
		// path building matches it against its certificates' issuers.
		return nil, fmt.Errorf("%w: a CA certificate needs a non-empty subject", ErrIssue)
	}

	exts, err := assembleExtensions(req, api, emptySubject)
	if err != nil {
		return nil, err
	}

	cert := &x509.Certificate{
		SerialNumber:       req.Serial,
		RawSubject:         rawSubject,
		NotBefore:          req.NotBefore,
		NotAfter:           req.NotAfter,
		SignatureAlgorithm: req.Algorithm,
		ExtraExtensions:    exts,
	}
	if t.SelfSigned {
		cert.PublicKey = req.CSR.PublicKey
		parent = cert
	}
	der, err := x509.CreateCertificate(rand.Reader, cert, parent, req.CSR.PublicKey, req.Signer)
	if err != nil {
		return nil, fmt.Errorf("x509ca: sign: %w", err)
	}
	// Passthrough bytes reach the certificate verbatim; a value crypto/x509
	// cannot read back (say, a malformed name constraints extension) is the
	// request's fault, and nobody should be handed the certificate.
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: the resulting certificate does not parse: %v", ErrIssue, err)
	}
	// Blank CA templates leave key usage to the API or the CSR; a CA
	// certificate without keyCertSign is invalid (RFC 5280 4.2.1.3, 4.2.1.9).
	if parsed.IsCA && parsed.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%w: template %s leaves key usage to the request, and a CA certificate needs keyCertSign: supply it through ApiPassthrough or the CSR", ErrIssue, t.Name)
	}
	return der, nil
}

// subjectKeyID is RFC 5280 method 1: SHA-1 of the subjectPublicKey bits.
// It reads them from the parsed SubjectPublicKeyInfo when there is one,
// rather than marshalling the key again.
func subjectKeyID(rawSPKI []byte, pub crypto.PublicKey) ([]byte, error) {
	spki := rawSPKI
	if len(spki) == 0 {
		var err error
		if spki, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return nil, fmt.Errorf("x509ca: public key: %w", err)
		}
	}
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("x509ca: public key: %w", err)
	}
	sum := sha1.Sum(info.PublicKey.Bytes)
	return sum[:], nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	// Every key type crypto/x509 parses has Equal, which compares without
	// marshalling both keys.
	if k, ok := a.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return k.Equal(b)
	}
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
