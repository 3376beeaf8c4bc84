package x509ca

import (
	"encoding/asn1"
	"fmt"
	"net/netip"
	"net/url"
	"unicode/utf8"
)

// GeneralName is AWS Private CA's GeneralName: exactly one member is set.
// The member names are AWS's (DnsName, not DNSName) because the JSON of an
// IssueCertificate request decodes straight into it.
type GeneralName struct {
	OtherName                 *OtherName    `json:",omitempty"`
	Rfc822Name                string        `json:",omitempty"`
	DnsName                   string        `json:",omitempty"`
	DirectoryName             *Subject      `json:",omitempty"`
	EdiPartyName              *EdiPartyName `json:",omitempty"`
	UniformResourceIdentifier string        `json:",omitempty"`
	IpAddress                 string        `json:",omitempty"`
	RegisteredId              string        `json:",omitempty"`
}

// OtherName is AWS Private CA's OtherName, e.g. a Microsoft UPN
// (TypeId 1.3.6.1.4.1.311.20.2.3).
type OtherName struct {
	TypeId string
	Value  string
}

// EdiPartyName is AWS Private CA's EdiPartyName.
type EdiPartyName struct {
	PartyName    string
	NameAssigner string `json:",omitempty"`
}

// RFC 5280 GeneralName CHOICE tags.
const (
	tagOtherName     = 0
	tagRFC822Name    = 1
	tagDNSName       = 2
	tagDirectoryName = 4
	tagEDIPartyName  = 5
	tagURI           = 6
	tagIPAddress     = 7
	tagRegisteredID  = 8
)

// marshal encodes the name as one element of GeneralNames. The module
// RFC 5280 defines GeneralName in uses implicit tagging, except where the
// tagged type is itself a CHOICE (Name, DirectoryString) or an ANY, which
// X.680 forces to be explicit.
func (g GeneralName) marshal() (asn1.RawValue, error) {
	set := 0
	for _, present := range []bool{g.OtherName != nil, g.Rfc822Name != "", g.DnsName != "", g.DirectoryName != nil,
		g.EdiPartyName != nil, g.UniformResourceIdentifier != "", g.IpAddress != "", g.RegisteredId != ""} {
		if present {
			set++
		}
	}
	if set != 1 {
		return asn1.RawValue{}, fmt.Errorf("%w: a GeneralName must set exactly one member, this one sets %d", ErrIssue, set)
	}
	primitive := func(tag int, b []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, Bytes: b}
	}
	constructed := func(tag int, b []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: b}
	}
	switch {
	case g.OtherName != nil:
		return marshalOtherName(*g.OtherName)
	case g.Rfc822Name != "":
		if err := checkIA5("Rfc822Name", g.Rfc822Name); err != nil {
			return asn1.RawValue{}, err
		}
		return primitive(tagRFC822Name, []byte(g.Rfc822Name)), nil
	case g.DnsName != "":
		if err := checkIA5("DnsName", g.DnsName); err != nil {
			return asn1.RawValue{}, err
		}
		return primitive(tagDNSName, []byte(g.DnsName)), nil
	case g.DirectoryName != nil:
		der, err := marshalSubject(*g.DirectoryName)
		if err != nil {
			return asn1.RawValue{}, fmt.Errorf("%w: DirectoryName: %s", ErrIssue, nested(err))
		}
		return constructed(tagDirectoryName, der), nil
	case g.EdiPartyName != nil:
		return marshalEDIPartyName(*g.EdiPartyName)
	case g.UniformResourceIdentifier != "":
		if err := checkURI(g.UniformResourceIdentifier); err != nil {
			return asn1.RawValue{}, err
		}
		return primitive(tagURI, []byte(g.UniformResourceIdentifier)), nil
	case g.IpAddress != "":
		ip, err := netip.ParseAddr(g.IpAddress)
		if err != nil || ip.Zone() != "" {
			return asn1.RawValue{}, fmt.Errorf("%w: IpAddress %q is not an IPv4 or IPv6 address", ErrIssue, g.IpAddress)
		}
		// AsSlice is 4 bytes for IPv4 and 16 for IPv6, as RFC 5280 wants.
		return primitive(tagIPAddress, ip.AsSlice()), nil
	default:
		oid, err := ParseOID(g.RegisteredId)
		if err != nil {
			return asn1.RawValue{}, fmt.Errorf("%w: RegisteredId: %s", ErrIssue, nested(err))
		}
		body, err := oidContents(oid)
		if err != nil {
			return asn1.RawValue{}, err
		}
		return primitive(tagRegisteredID, body), nil
	}
}

// marshalOtherName encodes [0] { type-id, [0] EXPLICIT UTF8String }: AWS's
// Value is a string, and UTF8String is what the common otherNames (UPN,
// most vendor ones) carry.
func marshalOtherName(o OtherName) (asn1.RawValue, error) {
	oid, err := ParseOID(o.TypeId)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("%w: OtherName TypeId: %s", ErrIssue, nested(err))
	}
	if !utf8.ValidString(o.Value) {
		return asn1.RawValue{}, fmt.Errorf("%w: OtherName Value is not valid UTF-8", ErrIssue)
	}
	typeID, err := asn1.Marshal(oid)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("%w: OtherName TypeId: %v", ErrIssue, err)
	}
	value, err := explicitUTF8(0, o.Value)
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagOtherName, IsCompound: true,
		Bytes: append(typeID, value...)}, nil
}

// marshalEDIPartyName encodes [5] { nameAssigner [0] OPTIONAL, partyName [1] },
// both DirectoryStrings, given as UTF8String.
func marshalEDIPartyName(e EdiPartyName) (asn1.RawValue, error) {
	if e.PartyName == "" {
		return asn1.RawValue{}, fmt.Errorf("%w: EdiPartyName needs a PartyName", ErrIssue)
	}
	var body []byte
	for _, f := range []struct {
		tag int
		val string
	}{{0, e.NameAssigner}, {1, e.PartyName}} {
		if f.val == "" {
			continue
		}
		if !utf8.ValidString(f.val) {
			return asn1.RawValue{}, fmt.Errorf("%w: EdiPartyName is not valid UTF-8", ErrIssue)
		}
		b, err := explicitUTF8(f.tag, f.val)
		if err != nil {
			return asn1.RawValue{}, err
		}
		body = append(body, b...)
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagEDIPartyName, IsCompound: true, Bytes: body}, nil
}

func explicitUTF8(tag int, s string) ([]byte, error) {
	inner, err := asn1.MarshalWithParams(s, "utf8")
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrIssue, s, err)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: inner})
}

// oidContents is the OID's encoding without its universal tag and length,
// for use under an implicit context tag.
func oidContents(oid asn1.ObjectIdentifier) ([]byte, error) {
	der, err := asn1.Marshal(oid)
	if err != nil {
		return nil, fmt.Errorf("%w: object identifier %s: %v", ErrIssue, oid, err)
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		return nil, fmt.Errorf("%w: object identifier %s: %v", ErrIssue, oid, err)
	}
	return raw.Bytes, nil
}

func marshalGeneralNames(names []GeneralName) ([]byte, error) {
	raws := make([]asn1.RawValue, 0, len(names))
	for _, n := range names {
		raw, err := n.marshal()
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	der, err := asn1.Marshal(raws)
	if err != nil {
		return nil, fmt.Errorf("%w: subject alternative names: %v", ErrIssue, err)
	}
	return der, nil
}

func checkIA5(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrIssue, what)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return fmt.Errorf("%w: %s %q is not ASCII (an IA5String)", ErrIssue, what, s)
		}
	}
	return nil
}

// checkURI insists on an absolute URI: RFC 5280 forbids relative ones in
// uniformResourceIdentifier, and crypto/x509 would refuse to parse the
// certificate later.
func checkURI(s string) error {
	if err := checkIA5("UniformResourceIdentifier", s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%w: UniformResourceIdentifier %q is not an absolute URI", ErrIssue, s)
	}
	return nil
}
