package x509ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
)

// APIPassthrough is AWS Private CA's ApiPassthrough. The types below keep
// AWS's member names so the IssueCertificate JSON decodes straight into them.
type APIPassthrough struct {
	Extensions *Extensions `json:",omitempty"`
	Subject    *Subject    `json:",omitempty"`
}

// Extensions is AWS Private CA's Extensions.
type Extensions struct {
	CertificatePolicies     []PolicyInformation `json:",omitempty"`
	ExtendedKeyUsage        []ExtendedKeyUsage  `json:",omitempty"`
	KeyUsage                *KeyUsage           `json:",omitempty"`
	SubjectAlternativeNames []GeneralName       `json:",omitempty"`
	CustomExtensions        []CustomExtension   `json:",omitempty"`
}

// PolicyInformation is one certificate policy.
type PolicyInformation struct {
	CertPolicyId     string
	PolicyQualifiers []PolicyQualifierInfo `json:",omitempty"`
}

// PolicyQualifierInfo is a policy qualifier; AWS only defines "CPS".
type PolicyQualifierInfo struct {
	PolicyQualifierId string
	Qualifier         Qualifier
}

// Qualifier holds a CPS pointer.
type Qualifier struct {
	CpsUri string
}

// ExtendedKeyUsage is one EKU, by AWS name (ExtendedKeyUsageType) or by OID.
type ExtendedKeyUsage struct {
	ExtendedKeyUsageType             string `json:",omitempty"`
	ExtendedKeyUsageObjectIdentifier string `json:",omitempty"`
}

// CustomExtension is an extension given as raw DER: Value is the base64 of
// the extnValue contents.
type CustomExtension struct {
	ObjectIdentifier string
	Value            string
	Critical         bool `json:",omitempty"`
}

// CheckPassthrough refuses, before any key is touched, an ApiPassthrough the
// template does not accept or that is malformed. Issue repeats the check and
// can still refuse a custom extension that clashes with one the template or
// the CA's revocation configuration defines.
func CheckPassthrough(t Template, p *APIPassthrough) error {
	if p != nil && !t.APIPassthrough {
		return fmt.Errorf("%w: template %s does not accept ApiPassthrough", ErrIssue, t.Name)
	}
	_, err := compilePassthrough(p)
	return err
}

// compiledPassthrough is an ApiPassthrough checked and encoded, before
// precedence decides which parts reach the certificate. Everything is
// validated up front, so a malformed value is refused even when the template
// would have overridden it.
type compiledPassthrough struct {
	rawSubject []byte // nil: no Subject given
	keyUsage   *pkix.Extension
	extKeyUse  *pkix.Extension
	sans       *pkix.Extension
	policies   *pkix.Extension
	custom     []pkix.Extension
}

func compilePassthrough(p *APIPassthrough) (compiledPassthrough, error) {
	var c compiledPassthrough
	if p == nil {
		return c, nil
	}
	if p.Subject != nil {
		der, err := marshalSubject(*p.Subject)
		if err != nil {
			return c, fmt.Errorf("%w: ApiPassthrough Subject: %s", ErrIssue, nested(err))
		}
		c.rawSubject = der
	}
	e := p.Extensions
	if e == nil {
		return c, nil
	}
	if e.KeyUsage != nil {
		ku := e.KeyUsage.X509()
		if ku == 0 {
			// RFC 5280 4.2.1.3: when the extension is present, at least one bit MUST be set.
			return c, fmt.Errorf("%w: ApiPassthrough KeyUsage sets no usage", ErrIssue)
		}
		ext, err := keyUsageExtension(ku)
		if err != nil {
			return c, err
		}
		c.keyUsage = &ext
	}
	if len(e.ExtendedKeyUsage) > 0 {
		oids, err := passthroughEKUs(e.ExtendedKeyUsage)
		if err != nil {
			return c, err
		}
		ext, err := extKeyUsageExtension(oids, false)
		if err != nil {
			return c, err
		}
		c.extKeyUse = &ext
	}
	if len(e.SubjectAlternativeNames) > 0 {
		der, err := marshalGeneralNames(e.SubjectAlternativeNames)
		if err != nil {
			return c, err
		}
		c.sans = &pkix.Extension{Id: oidExtSubjectAltName, Value: der}
	}
	if len(e.CertificatePolicies) > 0 {
		der, err := marshalPolicies(e.CertificatePolicies)
		if err != nil {
			return c, err
		}
		c.policies = &pkix.Extension{Id: oidExtCertificatePolicies, Value: der}
	}
	seen := map[string]bool{}
	for _, ce := range e.CustomExtensions {
		ext, err := ce.compile()
		if err != nil {
			return c, err
		}
		if seen[ext.Id.String()] {
			return c, fmt.Errorf("%w: CustomExtensions lists %s twice", ErrIssue, ext.Id)
		}
		seen[ext.Id.String()] = true
		c.custom = append(c.custom, ext)
	}
	return c, nil
}

// passthroughEKUs keeps the caller's order and drops repeats: a repeated EKU
// means nothing more, and some verifiers reject the duplicate.
func passthroughEKUs(in []ExtendedKeyUsage) ([]asn1.ObjectIdentifier, error) {
	var oids []asn1.ObjectIdentifier
	seen := map[string]bool{}
	for _, u := range in {
		var oid asn1.ObjectIdentifier
		switch {
		case u.ExtendedKeyUsageType != "" && u.ExtendedKeyUsageObjectIdentifier != "":
			return nil, fmt.Errorf("%w: an ExtendedKeyUsage sets both ExtendedKeyUsageType and ExtendedKeyUsageObjectIdentifier", ErrIssue)
		case u.ExtendedKeyUsageType != "":
			known, ok := extKeyUsageOIDs[u.ExtendedKeyUsageType]
			if !ok {
				return nil, fmt.Errorf("%w: unknown ExtendedKeyUsageType %q", ErrIssue, u.ExtendedKeyUsageType)
			}
			oid = known
		case u.ExtendedKeyUsageObjectIdentifier != "":
			parsed, err := ParseOID(u.ExtendedKeyUsageObjectIdentifier)
			if err != nil {
				return nil, fmt.Errorf("%w: ExtendedKeyUsageObjectIdentifier: %s", ErrIssue, nested(err))
			}
			oid = parsed
		default:
			return nil, fmt.Errorf("%w: an ExtendedKeyUsage sets neither ExtendedKeyUsageType nor ExtendedKeyUsageObjectIdentifier", ErrIssue)
		}
		if !seen[oid.String()] {
			seen[oid.String()] = true
			oids = append(oids, oid)
		}
	}
	return oids, nil
}

// marshalPolicies encodes RFC 5280 4.2.1.4 certificatePolicies with CPS
// pointer qualifiers.
func marshalPolicies(in []PolicyInformation) ([]byte, error) {
	type policyQualifierInfo struct {
		PolicyQualifierID asn1.ObjectIdentifier
		Qualifier         asn1.RawValue
	}
	type policyInformation struct {
		PolicyIdentifier asn1.ObjectIdentifier
		PolicyQualifiers []policyQualifierInfo `asn1:"omitempty"`
	}
	out := make([]policyInformation, 0, len(in))
	seen := map[string]bool{}
	for _, p := range in {
		oid, err := ParseOID(p.CertPolicyId)
		if err != nil {
			return nil, fmt.Errorf("%w: CertPolicyId: %s", ErrIssue, nested(err))
		}
		// RFC 5280 4.2.1.4: a policy OID MUST NOT appear more than once.
		if seen[oid.String()] {
			return nil, fmt.Errorf("%w: CertificatePolicies lists %s twice", ErrIssue, oid)
		}
		seen[oid.String()] = true
		pi := policyInformation{PolicyIdentifier: oid}
		for _, q := range p.PolicyQualifiers {
			if q.PolicyQualifierId != "CPS" {
				return nil, fmt.Errorf("%w: PolicyQualifierId %q is not supported (only CPS)", ErrIssue, q.PolicyQualifierId)
			}
			if err := checkIA5("CpsUri", q.Qualifier.CpsUri); err != nil {
				return nil, err
			}
			pi.PolicyQualifiers = append(pi.PolicyQualifiers, policyQualifierInfo{PolicyQualifierID: oidQualifyCPS,
				Qualifier: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagIA5String, Bytes: []byte(q.Qualifier.CpsUri)}})
		}
		out = append(out, pi)
	}
	der, err := asn1.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate policies: %v", ErrIssue, err)
	}
	return der, nil
}

func (ce CustomExtension) compile() (pkix.Extension, error) {
	oid, err := ParseOID(ce.ObjectIdentifier)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("%w: CustomExtension ObjectIdentifier: %s", ErrIssue, nested(err))
	}
	value, err := base64.StdEncoding.DecodeString(ce.Value)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("%w: CustomExtension %s Value is not base64: %v", ErrIssue, oid, err)
	}
	// extnValue holds the DER of one ASN.1 value; anything else cannot be
	// what the caller meant and would make a certificate parsers choke on.
	var one asn1.RawValue
	rest, err := asn1.Unmarshal(value, &one)
	if err != nil || len(rest) != 0 {
		return pkix.Extension{}, fmt.Errorf("%w: CustomExtension %s Value is not a single DER-encoded ASN.1 value", ErrIssue, oid)
	}
	return pkix.Extension{Id: oid, Critical: ce.Critical, Value: value}, nil
}
