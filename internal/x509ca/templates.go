package x509ca

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// Template is an AWS Private CA certificate template: which extensions an
// issued certificate gets whatever the CSR or the ApiPassthrough ask for, and
// which of those two sources it listens to at all.
type Template struct {
	Name       string // e.g. "EndEntityCertificate/V1"
	IsCA       bool
	SelfSigned bool // root templates: signed by the CA's own key, issuer = subject
	PathLen    int  // -1: no pathLenConstraint
	// CriticalBasicConstraints marks basicConstraints critical. Every CA
	// template does; of the end-entity ones only the
	// BlankEndEntityCertificate_CriticalBasicConstraints family does.
	CriticalBasicConstraints bool
	// KeyUsage is always critical. Zero means the template leaves key usage
	// to the passthrough sources (the Blank templates).
	KeyUsage x509.KeyUsage
	// ExtKeyUsage nil means the template leaves it to the passthrough sources.
	ExtKeyUsage         []x509.ExtKeyUsage
	CriticalExtKeyUsage bool
	// APIPassthrough templates take IssueCertificate's ApiPassthrough;
	// CSRPassthrough templates copy the CSR's extensions. Both only fill in
	// what the template does not define itself.
	APIPassthrough bool
	CSRPassthrough bool
}

// TemplateARNPrefix is how every AWS template ARN starts.
const TemplateARNPrefix = "arn:aws:acm-pca:::template/"

// DefaultTemplateARN is used when IssueCertificate names no template.
const DefaultTemplateARN = TemplateARNPrefix + "EndEntityCertificate/V1"

const (
	noPathLen = -1

	kuCA  = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	kuTLS = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	kuSig = x509.KeyUsageDigitalSignature
)

var (
	ekuServerClient = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	ekuClient       = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	ekuServer       = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	ekuCode         = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	ekuOCSP         = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
)

// templateTable is transcribed from
// https://docs.aws.amazon.com/privateca/latest/userguide/template-definitions.html
// (precedence: .../userguide/template-order-of-operations.html). Every
// template the page defines is here and nothing else, so that an ARN AWS
// would refuse is refused here too.
//
// Rows the docs state alike for every template, and which are therefore not
// columns here: the subject and subject alternative names come from the CSR
// (on API templates the ApiPassthrough's win); the subject key identifier is
// derived from the CSR's key; the authority key identifier is the issuer's
// SKI, except on root templates, which have none (RootCACertificate_
// APIPassthrough takes one as a custom extension); CRL distribution points
// come from the CA's configuration when CRLs are enabled, except on root
// templates, since a self-signed certificate cannot be revoked.
var templateTable = []Template{
	{Name: "BlankEndEntityCertificate_APIPassthrough/V1", PathLen: noPathLen, APIPassthrough: true},
	{Name: "BlankEndEntityCertificate_APICSRPassthrough/V1", PathLen: noPathLen, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankEndEntityCertificate_CSRPassthrough/V1", PathLen: noPathLen, CSRPassthrough: true},
	{Name: "BlankEndEntityCertificate_CriticalBasicConstraints_APIPassthrough/V1", PathLen: noPathLen, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankEndEntityCertificate_CriticalBasicConstraints_APICSRPassthrough/V1", PathLen: noPathLen, CriticalBasicConstraints: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankEndEntityCertificate_CriticalBasicConstraints_CSRPassthrough/V1", PathLen: noPathLen, CriticalBasicConstraints: true, CSRPassthrough: true},

	{Name: "BlankSubordinateCACertificate_PathLen0_APIPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen0_APICSRPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen0_CSRPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen1_APIPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen1_APICSRPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen1_CSRPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen2_APIPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen2_APICSRPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen2_CSRPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen3_APIPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen3_APICSRPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "BlankSubordinateCACertificate_PathLen3_CSRPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, CSRPassthrough: true},

	{Name: "BlankRootCACertificate_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: noPathLen, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankRootCACertificate_PathLen0_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: 0, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankRootCACertificate_PathLen1_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: 1, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankRootCACertificate_PathLen2_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: 2, CriticalBasicConstraints: true, APIPassthrough: true},
	{Name: "BlankRootCACertificate_PathLen3_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: 3, CriticalBasicConstraints: true, APIPassthrough: true},

	{Name: "CodeSigningCertificate/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuCode, CriticalExtKeyUsage: true},
	{Name: "CodeSigningCertificate_APIPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuCode, CriticalExtKeyUsage: true, APIPassthrough: true},
	{Name: "CodeSigningCertificate_APICSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuCode, CriticalExtKeyUsage: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "CodeSigningCertificate_CSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuCode, CriticalExtKeyUsage: true, CSRPassthrough: true},

	{Name: "EndEntityCertificate/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServerClient},
	{Name: "EndEntityCertificate_APIPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServerClient, APIPassthrough: true},
	{Name: "EndEntityCertificate_APICSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServerClient, APIPassthrough: true, CSRPassthrough: true},
	{Name: "EndEntityCertificate_CSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServerClient, CSRPassthrough: true},

	// Key encipherment too: AWS documents this family as differing from
	// EndEntityCertificate only in its EKU, odd as keyEncipherment is for
	// client authentication alone (zlint flags it; see zlint_test.go).
	{Name: "EndEntityClientAuthCertificate/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuClient},
	{Name: "EndEntityClientAuthCertificate_APIPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuClient, APIPassthrough: true},
	{Name: "EndEntityClientAuthCertificate_APICSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuClient, APIPassthrough: true, CSRPassthrough: true},
	{Name: "EndEntityClientAuthCertificate_CSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuClient, CSRPassthrough: true},

	{Name: "EndEntityServerAuthCertificate/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServer},
	{Name: "EndEntityServerAuthCertificate_APIPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServer, APIPassthrough: true},
	{Name: "EndEntityServerAuthCertificate_APICSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServer, APIPassthrough: true, CSRPassthrough: true},
	{Name: "EndEntityServerAuthCertificate_CSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuTLS, ExtKeyUsage: ekuServer, CSRPassthrough: true},

	{Name: "OCSPSigningCertificate/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuOCSP, CriticalExtKeyUsage: true},
	{Name: "OCSPSigningCertificate_APIPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuOCSP, CriticalExtKeyUsage: true, APIPassthrough: true},
	{Name: "OCSPSigningCertificate_APICSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuOCSP, CriticalExtKeyUsage: true, APIPassthrough: true, CSRPassthrough: true},
	{Name: "OCSPSigningCertificate_CSRPassthrough/V1", PathLen: noPathLen, KeyUsage: kuSig, ExtKeyUsage: ekuOCSP, CriticalExtKeyUsage: true, CSRPassthrough: true},

	{Name: "RootCACertificate/V1", IsCA: true, SelfSigned: true, PathLen: noPathLen, CriticalBasicConstraints: true, KeyUsage: kuCA},
	{Name: "RootCACertificate_APIPassthrough/V1", IsCA: true, SelfSigned: true, PathLen: noPathLen, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true},

	{Name: "SubordinateCACertificate_PathLen0/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, KeyUsage: kuCA},
	{Name: "SubordinateCACertificate_PathLen0_APIPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen0_APICSRPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen0_CSRPassthrough/V1", IsCA: true, PathLen: 0, CriticalBasicConstraints: true, KeyUsage: kuCA, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen1/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, KeyUsage: kuCA},
	{Name: "SubordinateCACertificate_PathLen1_APIPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen1_APICSRPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen1_CSRPassthrough/V1", IsCA: true, PathLen: 1, CriticalBasicConstraints: true, KeyUsage: kuCA, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen2/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, KeyUsage: kuCA},
	{Name: "SubordinateCACertificate_PathLen2_APIPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen2_APICSRPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen2_CSRPassthrough/V1", IsCA: true, PathLen: 2, CriticalBasicConstraints: true, KeyUsage: kuCA, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen3/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, KeyUsage: kuCA},
	{Name: "SubordinateCACertificate_PathLen3_APIPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen3_APICSRPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, KeyUsage: kuCA, APIPassthrough: true, CSRPassthrough: true},
	{Name: "SubordinateCACertificate_PathLen3_CSRPassthrough/V1", IsCA: true, PathLen: 3, CriticalBasicConstraints: true, KeyUsage: kuCA, CSRPassthrough: true},
}

var templates = func() map[string]Template {
	m := make(map[string]Template, len(templateTable))
	for _, t := range templateTable {
		if _, dup := m[t.Name]; dup {
			panic("x509ca: template " + t.Name + " listed twice")
		}
		m[t.Name] = t
	}
	return m
}()

// TemplateNames lists every template LookupTemplate knows, in table order.
func TemplateNames() []string {
	names := make([]string, len(templateTable))
	for i, t := range templateTable {
		names[i] = t.Name
	}
	return names
}

// ErrUnknownTemplate reports a template ARN that names no AWS template.
var ErrUnknownTemplate = fmt.Errorf("x509ca: unknown template")

// ErrUnsupportedTemplate is no longer returned now that every documented
// template is issued; it stays so that callers' errors.Is checks compile.
var ErrUnsupportedTemplate = fmt.Errorf("x509ca: template not supported yet")

// LookupTemplate resolves a template ARN such as
// arn:aws:acm-pca:::template/EndEntityCertificate/V1.
func LookupTemplate(arn string) (Template, error) {
	name, ok := strings.CutPrefix(arn, TemplateARNPrefix)
	if !ok {
		return Template{}, fmt.Errorf("%w: %q is not a template ARN", ErrUnknownTemplate, arn)
	}
	t, ok := templates[name]
	if !ok {
		return Template{}, fmt.Errorf("%w: %s", ErrUnknownTemplate, name)
	}
	// A copy of the shared EKU slice, so a caller cannot edit the table.
	t.ExtKeyUsage = append([]x509.ExtKeyUsage(nil), t.ExtKeyUsage...)
	return t, nil
}
