package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyUsage is AWS Private CA's KeyUsage flags.
type KeyUsage struct {
	DigitalSignature bool `json:",omitempty"`
	NonRepudiation   bool `json:",omitempty"`
	KeyEncipherment  bool `json:",omitempty"`
	DataEncipherment bool `json:",omitempty"`
	KeyAgreement     bool `json:",omitempty"`
	KeyCertSign      bool `json:",omitempty"`
	CRLSign          bool `json:",omitempty"`
	EncipherOnly     bool `json:",omitempty"`
	DecipherOnly     bool `json:",omitempty"`
}

// X509 returns the crypto/x509 bit set.
func (k KeyUsage) X509() x509.KeyUsage {
	var u x509.KeyUsage
	for _, f := range []struct {
		set bool
		bit x509.KeyUsage
	}{{k.DigitalSignature, x509.KeyUsageDigitalSignature}, {k.NonRepudiation, x509.KeyUsageContentCommitment},
		{k.KeyEncipherment, x509.KeyUsageKeyEncipherment}, {k.DataEncipherment, x509.KeyUsageDataEncipherment},
		{k.KeyAgreement, x509.KeyUsageKeyAgreement}, {k.KeyCertSign, x509.KeyUsageCertSign},
		{k.CRLSign, x509.KeyUsageCRLSign}, {k.EncipherOnly, x509.KeyUsageEncipherOnly},
		{k.DecipherOnly, x509.KeyUsageDecipherOnly}} {
		if f.set {
			u |= f.bit
		}
	}
	return u
}

// CSRExtensions is AWS Private CA's CsrExtensions for a CA's own CSR.
type CSRExtensions struct {
	KeyUsage *KeyUsage `json:",omitempty"`
}

var oidExtensionKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// CreateCACSR makes the CSR of a CA's own key, PEM encoded.
func CreateCACSR(subject pkix.Name, ext *CSRExtensions, signer crypto.Signer, alg x509.SignatureAlgorithm) (string, error) {
	req := &x509.CertificateRequest{Subject: subject, SignatureAlgorithm: alg}
	if ext != nil && ext.KeyUsage != nil {
		der, err := marshalKeyUsage(ext.KeyUsage.X509())
		if err != nil {
			return "", err
		}
		req.ExtraExtensions = append(req.ExtraExtensions, pkix.Extension{Id: oidExtensionKeyUsage, Critical: true, Value: der})
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, req, signer)
	if err != nil {
		return "", fmt.Errorf("x509ca: create CSR: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// marshalKeyUsage encodes key usage bits as RFC 5280's BIT STRING.
func marshalKeyUsage(ku x509.KeyUsage) ([]byte, error) {
	var a [2]byte
	a[0] = reverseBits(byte(ku))
	a[1] = reverseBits(byte(ku >> 8))
	l := 1
	if a[1] != 0 {
		l = 2
	}
	bits := a[:l]
	return asn1.Marshal(asn1.BitString{Bytes: bits, BitLength: bitLength(bits)})
}

func reverseBits(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

func bitLength(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		for bit := 0; bit < 8; bit++ {
			if b[i]&(1<<bit) != 0 {
				return i*8 + 8 - bit
			}
		}
	}
	return 0
}

// ErrMalformedCSR reports a CSR that cannot be parsed or whose signature is wrong.
var ErrMalformedCSR = errors.New("x509ca: malformed CSR")

// ParseCSR accepts a PEM or DER CSR and checks its self-signature.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block is %q, not a CERTIFICATE REQUEST", ErrMalformedCSR, block.Type)
		}
		der = block.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature does not verify: %v", ErrMalformedCSR, err)
	}
	return csr, nil
}

// RSA moduli CheckCSRKey accepts. AWS's own key algorithms stop at RSA_4096,
// but it documents no limit for the keys it certifies; 8192 bits is the
// largest size in common use, and refusing larger keeps a CSR from making
// every later signature check slow.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// CheckCSRKey refuses CSR keys AWS Private CA does not certify: RSA below
// 2048 bits (or above 8192), EC other than P-256, P-384 and P-521, and
// every other algorithm.
func CheckCSRKey(csr *x509.CertificateRequest) error {
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("%w: RSA key of %d bits; %d to %d bits are accepted", ErrMalformedCSR, bits, minRSABits, maxRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: EC key on curve %s; P-256, P-384 and P-521 are accepted", ErrMalformedCSR, k.Curve.Params().Name)
	}
	return fmt.Errorf("%w: %s keys are not accepted; use RSA or EC", ErrMalformedCSR, csr.PublicKeyAlgorithm)
}
