// Package x509ca builds the certificates and CSRs of a private CA: subjects,
// signing algorithms, AWS Private CA templates and their extensions.
package x509ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Subject is AWS Private CA's ASN1Subject.
type Subject struct {
	Country                    string            `json:",omitempty"`
	Organization               string            `json:",omitempty"`
	OrganizationalUnit         string            `json:",omitempty"`
	DistinguishedNameQualifier string            `json:",omitempty"`
	State                      string            `json:",omitempty"`
	CommonName                 string            `json:",omitempty"`
	SerialNumber               string            `json:",omitempty"`
	Locality                   string            `json:",omitempty"`
	Title                      string            `json:",omitempty"`
	Surname                    string            `json:",omitempty"`
	GivenName                  string            `json:",omitempty"`
	Initials                   string            `json:",omitempty"`
	Pseudonym                  string            `json:",omitempty"`
	GenerationQualifier        string            `json:",omitempty"`
	CustomAttributes           []CustomAttribute `json:",omitempty"`
}

// CustomAttribute is one RDN given by OID.
type CustomAttribute struct {
	ObjectIdentifier string
	Value            string
}

// Attribute OIDs beyond what pkix.Name has fields for.
var (
	oidTitle               = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidSurname             = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName           = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidInitials            = asn1.ObjectIdentifier{2, 5, 4, 43}
	oidGenerationQualifier = asn1.ObjectIdentifier{2, 5, 4, 44}
	oidDNQualifier         = asn1.ObjectIdentifier{2, 5, 4, 46}
	oidPseudonym           = asn1.ObjectIdentifier{2, 5, 4, 65}
)

// ErrInvalidSubject reports a subject that cannot be encoded.
var ErrInvalidSubject = errors.New("x509ca: invalid subject")

// Name converts the subject to a pkix.Name. Custom attributes replace the
// standard fields: AWS does not allow mixing them.
func (s Subject) Name() (pkix.Name, error) {
	if len(s.CustomAttributes) > 0 {
		if s.hasStandardFields() {
			return pkix.Name{}, fmt.Errorf("%w: CustomAttributes cannot be combined with standard subject attributes", ErrInvalidSubject)
		}
		var n pkix.Name
		for _, a := range s.CustomAttributes {
			oid, err := ParseOID(a.ObjectIdentifier)
			if err != nil {
				return pkix.Name{}, fmt.Errorf("%w: custom attribute: %s", ErrInvalidSubject, nested(err))
			}
			n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: oid, Value: a.Value})
		}
		return n, nil
	}
	if !s.hasStandardFields() {
		return pkix.Name{}, fmt.Errorf("%w: the subject must have at least one attribute", ErrInvalidSubject)
	}
	n := pkix.Name{CommonName: s.CommonName, SerialNumber: s.SerialNumber}
	for _, v := range []struct {
		dst *[]string
		val string
	}{{&n.Country, s.Country}, {&n.Organization, s.Organization}, {&n.OrganizationalUnit, s.OrganizationalUnit},
		{&n.Province, s.State}, {&n.Locality, s.Locality}} {
		if v.val != "" {
			*v.dst = []string{v.val}
		}
	}
	for _, extra := range []struct {
		oid asn1.ObjectIdentifier
		val string
	}{{oidDNQualifier, s.DistinguishedNameQualifier}, {oidTitle, s.Title}, {oidSurname, s.Surname},
		{oidGivenName, s.GivenName}, {oidInitials, s.Initials}, {oidPseudonym, s.Pseudonym},
		{oidGenerationQualifier, s.GenerationQualifier}} {
		if extra.val != "" {
			n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: extra.oid, Value: extra.val})
		}
	}
	return n, nil
}

func (s Subject) hasStandardFields() bool {
	for _, v := range []string{s.Country, s.Organization, s.OrganizationalUnit, s.DistinguishedNameQualifier, s.State,
		s.CommonName, s.SerialNumber, s.Locality, s.Title, s.Surname, s.GivenName, s.Initials, s.Pseudonym,
		s.GenerationQualifier} {
		if v != "" {
			return true
		}
	}
	return false
}

// ParseOID parses a dotted object identifier such as "2.5.4.3".
func ParseOID(text string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(text, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("x509ca: object identifier %q needs at least two arcs", text)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" {
			return nil, fmt.Errorf("x509ca: object identifier %q is not dotted decimal", text)
		}
		oid[i] = v
	}
	if oid[0] > 2 || (oid[0] < 2 && oid[1] > 39) {
		return nil, fmt.Errorf("x509ca: object identifier %q has invalid leading arcs", text)
	}
	return oid, nil
}

// marshalSubject is the DER Name for a subject given through the API.
func marshalSubject(s Subject) ([]byte, error) {
	n, err := s.Name()
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSubject, err)
	}
	return der, nil
}

// nested is another x509ca error's text for use inside a new message,
// without repeating the package prefix.
func nested(err error) string { return strings.TrimPrefix(err.Error(), "x509ca: ") }

// isEmptyName reports whether a DER Name has no RDNs; RFC 5280 ties both
// SAN criticality and CA eligibility to that.
func isEmptyName(raw []byte) (bool, error) {
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &rdns)
	if err != nil || len(rest) != 0 {
		return false, fmt.Errorf("%w: the subject is not a DER-encoded Name", ErrIssue)
	}
	return len(rdns) == 0, nil
}
