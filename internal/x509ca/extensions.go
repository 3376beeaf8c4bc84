package x509ca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// Issue builds every extension itself rather than through crypto/x509's
// Certificate fields: those cannot express all GeneralName forms, custom
// criticality or verbatim passthrough, and mixing both would let crypto/x509
// add extensions behind the template's back.
var (
	oidExtSubjectKeyID        = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtSubjectAltName      = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtBasicConstraints    = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtCRLDistribution     = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtCertificatePolicies = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtAuthorityKeyID      = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtExtendedKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtAuthorityInfoAccess = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}

	oidAccessOCSP = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1}
	oidQualifyCPS = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}
)

// extKeyUsageOIDs are the EKUs AWS's ExtendedKeyUsageType names.
var extKeyUsageOIDs = map[string]asn1.ObjectIdentifier{
	"SERVER_AUTH":              {1, 3, 6, 1, 5, 5, 7, 3, 1},
	"CLIENT_AUTH":              {1, 3, 6, 1, 5, 5, 7, 3, 2},
	"CODE_SIGNING":             {1, 3, 6, 1, 5, 5, 7, 3, 3},
	"EMAIL_PROTECTION":         {1, 3, 6, 1, 5, 5, 7, 3, 4},
	"TIME_STAMPING":            {1, 3, 6, 1, 5, 5, 7, 3, 8},
	"OCSP_SIGNING":             {1, 3, 6, 1, 5, 5, 7, 3, 9},
	"SMART_CARD_LOGIN":         {1, 3, 6, 1, 4, 1, 311, 20, 2, 2},
	"DOCUMENT_SIGNING":         {1, 3, 6, 1, 5, 5, 7, 3, 36},
	"CERTIFICATE_TRANSPARENCY": {1, 3, 6, 1, 4, 1, 11129, 2, 4, 4},
}

// templateEKUNames maps the EKUs templates use onto the AWS names above.
var templateEKUNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "SERVER_AUTH",
	x509.ExtKeyUsageClientAuth:      "CLIENT_AUTH",
	x509.ExtKeyUsageCodeSigning:     "CODE_SIGNING",
	x509.ExtKeyUsageEmailProtection: "EMAIL_PROTECTION",
	x509.ExtKeyUsageTimeStamping:    "TIME_STAMPING",
	x509.ExtKeyUsageOCSPSigning:     "OCSP_SIGNING",
}

func basicConstraintsExtension(isCA bool, pathLen int, critical bool) (pkix.Extension, error) {
	bc := struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}{IsCA: isCA, MaxPathLen: -1}
	if isCA && pathLen >= 0 {
		bc.MaxPathLen = pathLen
	}
	der, err := asn1.Marshal(bc)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: basic constraints: %w", err)
	}
	return pkix.Extension{Id: oidExtBasicConstraints, Critical: critical, Value: der}, nil
}

// keyUsageExtension is critical whatever its source: every AWS template that
// sets it does, and RFC 5280 says it SHOULD be.
func keyUsageExtension(ku x509.KeyUsage) (pkix.Extension, error) {
	der, err := marshalKeyUsage(ku)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: key usage: %w", err)
	}
	return pkix.Extension{Id: oidExtensionKeyUsage, Critical: true, Value: der}, nil
}

func extKeyUsageExtension(oids []asn1.ObjectIdentifier, critical bool) (pkix.Extension, error) {
	der, err := asn1.Marshal(oids)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: extended key usage: %w", err)
	}
	return pkix.Extension{Id: oidExtExtendedKeyUsage, Critical: critical, Value: der}, nil
}

func templateExtKeyUsages(ekus []x509.ExtKeyUsage) ([]asn1.ObjectIdentifier, error) {
	oids := make([]asn1.ObjectIdentifier, 0, len(ekus))
	for _, u := range ekus {
		name, ok := templateEKUNames[u]
		if !ok {
			return nil, fmt.Errorf("x509ca: template extended key usage %d has no OID here", u)
		}
		oids = append(oids, extKeyUsageOIDs[name])
	}
	return oids, nil
}

func subjectKeyIDExtension(id []byte) (pkix.Extension, error) {
	der, err := asn1.Marshal(id)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: subject key identifier: %w", err)
	}
	return pkix.Extension{Id: oidExtSubjectKeyID, Value: der}, nil
}

func authorityKeyIDExtension(id []byte) (pkix.Extension, error) {
	der, err := asn1.Marshal(struct {
		ID []byte `asn1:"optional,tag:0"`
	}{id})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: authority key identifier: %w", err)
	}
	return pkix.Extension{Id: oidExtAuthorityKeyID, Value: der}, nil
}

// crlDistributionPointsExtension gives each URL its own DistributionPoint, as
// crypto/x509 does, so a client that only tries the first fullName of each
// point still sees them all.
func crlDistributionPointsExtension(urls []string) (pkix.Extension, error) {
	type distributionPointName struct {
		FullName []asn1.RawValue `asn1:"optional,tag:0"`
	}
	type distributionPoint struct {
		DistributionPoint distributionPointName `asn1:"optional,tag:0"`
	}
	points := make([]distributionPoint, 0, len(urls))
	for _, u := range urls {
		if err := checkIA5("CRL distribution point", u); err != nil {
			return pkix.Extension{}, err
		}
		points = append(points, distributionPoint{distributionPointName{
			FullName: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: tagURI, Bytes: []byte(u)}}}})
	}
	der, err := asn1.Marshal(points)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: CRL distribution points: %w", err)
	}
	return pkix.Extension{Id: oidExtCRLDistribution, Value: der}, nil
}

func ocspAccessExtension(url string) (pkix.Extension, error) {
	if err := checkIA5("OCSP server", url); err != nil {
		return pkix.Extension{}, err
	}
	der, err := asn1.Marshal([]struct {
		Method   asn1.ObjectIdentifier
		Location asn1.RawValue
	}{{oidAccessOCSP, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagURI, Bytes: []byte(url)}}})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("x509ca: authority information access: %w", err)
	}
	return pkix.Extension{Id: oidExtAuthorityInfoAccess, Value: der}, nil
}

// extensionSet collects a certificate's extensions in precedence order:
// whatever is added first for an OID wins.
type extensionSet struct {
	list   []pkix.Extension
	source map[string]string // OID → who added it, for error messages
}

func (s *extensionSet) has(oid asn1.ObjectIdentifier) bool {
	_, ok := s.source[oid.String()]
	return ok
}

// addIfAbsent adds ext unless a higher-precedence source already set its
// OID; AWS silently prefers the higher source in that case.
func (s *extensionSet) addIfAbsent(ext pkix.Extension, from string) {
	if s.has(ext.Id) {
		return
	}
	if s.source == nil {
		s.source = make(map[string]string)
	}
	s.source[ext.Id.String()] = from
	s.list = append(s.list, ext)
}

// addUnique adds a custom extension, which must not clash with anything
// already there: it is raw bytes the caller chose on purpose, so quietly
// dropping it (or the template's own value) would hide a mistake.
func (s *extensionSet) addUnique(ext pkix.Extension, from string) error {
	if prev, ok := s.source[ext.Id.String()]; ok {
		return fmt.Errorf("%w: %s extension %s duplicates the one from %s", ErrIssue, from, ext.Id, prev)
	}
	s.addIfAbsent(ext, from)
	return nil
}

func (s *extensionSet) get(oid asn1.ObjectIdentifier) *pkix.Extension {
	for i := range s.list {
		if s.list[i].Id.Equal(oid) {
			return &s.list[i]
		}
	}
	return nil
}
