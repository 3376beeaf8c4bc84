package x509ca

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"slices"
	"testing"
)

// TestGeneralNamesRoundTrip puts one of each GeneralName form in a SAN and
// reads the extension back at the ASN.1 level.
func TestGeneralNamesRoundTrip(t *testing.T) {
	ca := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	names := []GeneralName{
		{OtherName: &OtherName{TypeId: "1.3.6.1.4.1.311.20.2.3", Value: "user@corp.example"}},
		{Rfc822Name: "user@mail.example"},
		{DnsName: "host.example"},
		{DirectoryName: &Subject{CommonName: "Dir Name", Organization: "Org"}},
		{EdiPartyName: &EdiPartyName{NameAssigner: "assigner", PartyName: "party"}},
		{EdiPartyName: &EdiPartyName{PartyName: "party only"}},
		{UniformResourceIdentifier: "spiffe://trust.example/workload"},
		{IpAddress: "192.0.2.7"},
		{IpAddress: "2001:db8::1"},
		{RegisteredId: "1.3.6.1.4.1.55555.9"},
	}
	req := ca.request(mustTemplate(t, "BlankEndEntityCertificate_APIPassthrough/V1"),
		newCSR(t, newKey(t), pkix.Name{CommonName: "gn"}, nil, "ignored.example"))
	req.Passthrough = &APIPassthrough{Extensions: &Extensions{SubjectAlternativeNames: names}}
	c := mustIssue(t, req) // x509.ParseCertificate accepted it

	if !slices.Equal(c.DNSNames, []string{"host.example"}) || !slices.Equal(c.EmailAddresses, []string{"user@mail.example"}) ||
		len(c.URIs) != 1 || c.URIs[0].String() != "spiffe://trust.example/workload" || len(c.IPAddresses) != 2 ||
		!c.IPAddresses[0].Equal(net.ParseIP("192.0.2.7")) || !c.IPAddresses[1].Equal(net.ParseIP("2001:db8::1")) {
		t.Fatalf("crypto/x509 view: %v %v %v %v", c.DNSNames, c.EmailAddresses, c.URIs, c.IPAddresses)
	}
	ext := findExt(c, oidExtSubjectAltName)
	if ext == nil || ext.Critical {
		t.Fatalf("SAN extension %+v", ext)
	}
	var raws []asn1.RawValue
	if rest, err := asn1.Unmarshal(ext.Value, &raws); err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	if len(raws) != len(names) {
		t.Fatalf("%d names", len(raws))
	}
	for i, r := range raws {
		if r.Class != asn1.ClassContextSpecific {
			t.Fatalf("name %d: class %d", i, r.Class)
		}
	}
	expectTag := func(i, tag int, compound bool) []byte {
		t.Helper()
		if raws[i].Tag != tag || raws[i].IsCompound != compound {
			t.Fatalf("name %d: tag [%d] compound=%v, want [%d] compound=%v", i, raws[i].Tag, raws[i].IsCompound, tag, compound)
		}
		return raws[i].Bytes
	}

	// otherName [0] { type-id OID, value [0] EXPLICIT UTF8String }
	var other struct {
		TypeID asn1.ObjectIdentifier
		Value  asn1.RawValue `asn1:"explicit,tag:0"`
	}
	body := expectTag(0, 0, true)
	if rest, err := asn1.Unmarshal(append([]byte{0x30, byte(len(body))}, body...), &other); err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	var upn string
	if _, err := asn1.UnmarshalWithParams(other.Value.Bytes, &upn, "utf8"); err != nil || other.Value.Tag != 0 ||
		other.TypeID.String() != "1.3.6.1.4.1.311.20.2.3" || upn != "user@corp.example" || other.Value.Bytes[0] != asn1.TagUTF8String {
		t.Fatalf("otherName %+v %q %v", other, upn, err)
	}

	if got := expectTag(1, 1, false); string(got) != "user@mail.example" {
		t.Fatalf("rfc822Name %q", got)
	}
	if got := expectTag(2, 2, false); string(got) != "host.example" {
		t.Fatalf("dNSName %q", got)
	}

	// directoryName [4] EXPLICIT Name
	var dn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(expectTag(3, 4, true), &dn); err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	var dirName pkix.Name
	dirName.FillFromRDNSequence(&dn)
	if dirName.CommonName != "Dir Name" || dirName.Organization[0] != "Org" {
		t.Fatalf("directoryName %v", dirName)
	}

	// ediPartyName [5] { nameAssigner [0] DirectoryString OPTIONAL, partyName [1] DirectoryString }
	checkEDI := func(i int, assigner, party string) {
		t.Helper()
		var parts []asn1.RawValue
		for rest := expectTag(i, 5, true); len(rest) > 0; {
			var p asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &p); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		var got []string
		var tags []int
		for _, p := range parts {
			var s string
			if _, err := asn1.UnmarshalWithParams(p.Bytes, &s, "utf8"); err != nil || !p.IsCompound || p.Class != asn1.ClassContextSpecific {
				t.Fatalf("ediPartyName part %+v: %v", p, err)
			}
			got, tags = append(got, s), append(tags, p.Tag)
		}
		want, wantTags := []string{party}, []int{1}
		if assigner != "" {
			want, wantTags = []string{assigner, party}, []int{0, 1}
		}
		if !slices.Equal(got, want) || !slices.Equal(tags, wantTags) {
			t.Fatalf("ediPartyName %v %v", got, tags)
		}
	}
	checkEDI(4, "assigner", "party")
	checkEDI(5, "", "party only")

	if got := expectTag(6, 6, false); string(got) != "spiffe://trust.example/workload" {
		t.Fatalf("URI %q", got)
	}
	if got := expectTag(7, 7, false); !bytes.Equal(got, []byte{192, 0, 2, 7}) {
		t.Fatalf("IPv4 %x", got)
	}
	if got := expectTag(8, 7, false); len(got) != 16 || !net.IP(got).Equal(net.ParseIP("2001:db8::1")) {
		t.Fatalf("IPv6 %x", got)
	}

	// registeredID [8] IMPLICIT OBJECT IDENTIFIER
	got := expectTag(9, 8, false)
	var rid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(append([]byte{asn1.TagOID, byte(len(got))}, got...), &rid); err != nil ||
		rid.String() != "1.3.6.1.4.1.55555.9" {
		t.Fatalf("registeredID %v %v", rid, err)
	}
}

// TestCSRSANsKeptWhole checks that names crypto/x509 cannot represent
// survive from the CSR, since the extension is copied rather than rebuilt.
func TestCSRSANsKeptWhole(t *testing.T) {
	ca := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	der, err := marshalGeneralNames([]GeneralName{{OtherName: &OtherName{TypeId: "1.3.6.1.4.1.311.20.2.3", Value: "u@x"}},
		{DnsName: "d.example"}})
	if err != nil {
		t.Fatal(err)
	}
	csr := newCSR(t, newKey(t), pkix.Name{CommonName: "upn"}, []pkix.Extension{{Id: oidExtSubjectAltName, Value: der}})
	c := mustIssue(t, ca.request(mustTemplate(t, "EndEntityClientAuthCertificate/V1"), csr))
	if san := findExt(c, oidExtSubjectAltName); san == nil || !bytes.Equal(san.Value, der) {
		t.Fatal("CSR SAN not copied verbatim")
	}
}

func TestIPAddressForms(t *testing.T) {
	for in, want := range map[string]int{"0.0.0.0": 4, "::": 16, "::ffff:10.0.0.1": 16, "fe80::1": 16} {
		raw, err := GeneralName{IpAddress: in}.marshal()
		if err != nil || len(raw.Bytes) != want {
			t.Errorf("%s: %x %v", in, raw.Bytes, err)
		}
	}
}
