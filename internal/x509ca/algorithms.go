package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
)

// SignatureAlgorithm maps an AWS SigningAlgorithm name to crypto/x509's.
func SignatureAlgorithm(name string) (x509.SignatureAlgorithm, bool) {
	switch name {
	case "SHA256WITHECDSA":
		return x509.ECDSAWithSHA256, true
	case "SHA384WITHECDSA":
		return x509.ECDSAWithSHA384, true
	case "SHA512WITHECDSA":
		return x509.ECDSAWithSHA512, true
	case "SHA256WITHRSA":
		return x509.SHA256WithRSA, true
	case "SHA384WITHRSA":
		return x509.SHA384WithRSA, true
	case "SHA512WITHRSA":
		return x509.SHA512WithRSA, true
	}
	return x509.UnknownSignatureAlgorithm, false
}

// KeyFamily is "RSA" or "EC" for an AWS KeyAlgorithm name, "" when unsupported.
func KeyFamily(keyAlgorithm string) string {
	switch {
	case strings.HasPrefix(keyAlgorithm, "RSA_"):
		return "RSA"
	case strings.HasPrefix(keyAlgorithm, "EC_"):
		return "EC"
	}
	return ""
}

// SigningFamily is "RSA" or "EC" for an AWS SigningAlgorithm name, "" when unsupported.
func SigningFamily(signingAlgorithm string) string {
	switch {
	case strings.HasSuffix(signingAlgorithm, "WITHRSA"):
		return "RSA"
	case strings.HasSuffix(signingAlgorithm, "WITHECDSA"):
		return "EC"
	}
	return ""
}

// CheckSigner reports whether a signing algorithm can be used with the signer's key.
func CheckSigner(signer crypto.Signer, alg x509.SignatureAlgorithm) error {
	family := ""
	switch signer.Public().(type) {
	case *rsa.PublicKey:
		family = "RSA"
	case *ecdsa.PublicKey:
		family = "EC"
	}
	want := ""
	switch alg {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA:
		want = "RSA"
	case x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		want = "EC"
	}
	if family == "" || family != want {
		return fmt.Errorf("x509ca: signing algorithm %s cannot be used with a %T key", alg, signer.Public())
	}
	return nil
}
