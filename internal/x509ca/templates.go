package x509ca

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// Template is an AWS Private CA certificate template: which extensions an
// issued certificate gets regardless of what the CSR asks for.
type Template struct {
	Name        string // e.g. "EndEntityCertificate/V1"
	IsCA        bool
	SelfSigned  bool // RootCACertificate: signed by the CA's own key, issuer = subject
	PathLen     int  // -1: no pathLenConstraint
	KeyUsage    x509.KeyUsage
	ExtKeyUsage []x509.ExtKeyUsage
	// CopyCSRSANs passes the CSR's subject alternative names through, as
	// AWS does for end-entity templates.
	CopyCSRSANs bool
}

// TemplateARNPrefix is how every AWS template ARN starts.
const TemplateARNPrefix = "arn:aws:acm-pca:::template/"

// DefaultTemplateARN is used when IssueCertificate names no template.
const DefaultTemplateARN = TemplateARNPrefix + "EndEntityCertificate/V1"

const caKeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign

var templates = map[string]Template{
	"RootCACertificate/V1":                 {IsCA: true, SelfSigned: true, PathLen: -1, KeyUsage: caKeyUsage},
	"SubordinateCACertificate_PathLen0/V1": {IsCA: true, PathLen: 0, KeyUsage: caKeyUsage},
	"SubordinateCACertificate_PathLen1/V1": {IsCA: true, PathLen: 1, KeyUsage: caKeyUsage},
	"SubordinateCACertificate_PathLen2/V1": {IsCA: true, PathLen: 2, KeyUsage: caKeyUsage},
	"SubordinateCACertificate_PathLen3/V1": {IsCA: true, PathLen: 3, KeyUsage: caKeyUsage},
	"EndEntityCertificate/V1": {PathLen: -1, CopyCSRSANs: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
	"EndEntityClientAuthCertificate/V1": {PathLen: -1, CopyCSRSANs: true,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	"EndEntityServerAuthCertificate/V1": {PathLen: -1, CopyCSRSANs: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
	"CodeSigningCertificate/V1": {PathLen: -1, CopyCSRSANs: true,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}},
	"OCSPSigningCertificate/V1": {PathLen: -1, CopyCSRSANs: true,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}},
}

// ErrUnknownTemplate reports a template ARN that names no AWS template.
var ErrUnknownTemplate = fmt.Errorf("x509ca: unknown template")

// ErrUnsupportedTemplate reports an AWS template openpca does not issue yet.
var ErrUnsupportedTemplate = fmt.Errorf("x509ca: template not supported yet")

// LookupTemplate resolves a template ARN such as
// arn:aws:acm-pca:::template/EndEntityCertificate/V1.
func LookupTemplate(arn string) (Template, error) {
	name, ok := strings.CutPrefix(arn, TemplateARNPrefix)
	if !ok {
		return Template{}, fmt.Errorf("%w: %q is not a template ARN", ErrUnknownTemplate, arn)
	}
	if t, ok := templates[name]; ok {
		t.Name = name
		return t, nil
	}
	if isKnownAWSTemplate(name) {
		return Template{}, fmt.Errorf("%w: %s", ErrUnsupportedTemplate, name)
	}
	return Template{}, fmt.Errorf("%w: %s", ErrUnknownTemplate, name)
}

// isKnownAWSTemplate recognises the AWS template families openpca has not
// built yet, so callers get "not supported" rather than "unknown".
func isKnownAWSTemplate(name string) bool {
	for _, prefix := range []string{"BlankEndEntityCertificate_", "BlankSubordinateCACertificate_", "BlankRootCACertificate_",
		"EndEntityCertificate_", "EndEntityClientAuthCertificate_", "EndEntityServerAuthCertificate_",
		"CodeSigningCertificate_", "OCSPSigningCertificate_", "SubordinateCACertificate_PathLen", "RootCACertificate_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}
