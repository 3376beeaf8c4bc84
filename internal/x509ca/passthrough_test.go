package x509ca

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

var oidTestCustom = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}

func utf8DER(t *testing.T, s string) []byte {
	t.Helper()
	der, err := asn1.MarshalWithParams(s, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func kuDER(t *testing.T, ku x509.KeyUsage) []byte {
	t.Helper()
	der, err := marshalKeyUsage(ku)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// csrWithExtras requests, besides a DNS name, a custom extension and key
// usage keyAgreement, neither of which any template defines identically.
func csrWithExtras(t *testing.T) *x509.CertificateRequest {
	t.Helper()
	return newCSR(t, newKey(t), pkix.Name{CommonName: "from-csr"}, []pkix.Extension{
		{Id: oidTestCustom, Value: utf8DER(t, "csr")},
		{Id: oidExtensionKeyUsage, Critical: true, Value: kuDER(t, x509.KeyUsageKeyAgreement|x509.KeyUsageDigitalSignature)},
	}, "csr.example")
}

func TestPassthroughPrecedence(t *testing.T) {
	ca := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	issueWith := func(t *testing.T, name string, csr *x509.CertificateRequest, p *APIPassthrough) *x509.Certificate {
		t.Helper()
		req := ca.request(mustTemplate(t, name), csr)
		req.Passthrough = p
		return mustIssue(t, req)
	}
	smartCard := &APIPassthrough{Extensions: &Extensions{
		KeyUsage: &KeyUsage{DigitalSignature: true, NonRepudiation: true, KeyEncipherment: true},
		ExtendedKeyUsage: []ExtendedKeyUsage{{ExtendedKeyUsageType: "CLIENT_AUTH"}, {ExtendedKeyUsageType: "SMART_CARD_LOGIN"},
			{ExtendedKeyUsageType: "CLIENT_AUTH"}},
	}}

	t.Run("template KU and EKU beat the API's", func(t *testing.T) {
		c := issueWith(t, "EndEntityCertificate_APIPassthrough/V1", csrWithExtras(t), smartCard)
		if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
			t.Fatalf("KU %b", c.KeyUsage)
		}
		if got := ekuOIDs(t, c); !slices.Equal(got, []string{ekuServerAuth, ekuClientAuth}) {
			t.Fatalf("EKU %v", got)
		}
	})
	t.Run("blank template takes the API's KU and EKU", func(t *testing.T) {
		c := issueWith(t, "BlankEndEntityCertificate_APIPassthrough/V1", csrWithExtras(t), smartCard)
		if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment|x509.KeyUsageKeyEncipherment ||
			!findExt(c, oidExtensionKeyUsage).Critical {
			t.Fatalf("KU %b", c.KeyUsage)
		}
		if got := ekuOIDs(t, c); !slices.Equal(got, []string{ekuClientAuth, "1.3.6.1.4.1.311.20.2.2"}) {
			t.Fatalf("EKU %v", got)
		}
		if findExt(c, oidTestCustom) != nil {
			t.Fatal("CSR extension copied by an API-only template")
		}
	})
	t.Run("blank CSR template takes the CSR's KU", func(t *testing.T) {
		c := issueWith(t, "BlankEndEntityCertificate_CSRPassthrough/V1", csrWithExtras(t), nil)
		if c.KeyUsage != x509.KeyUsageKeyAgreement|x509.KeyUsageDigitalSignature || findExt(c, oidExtExtendedKeyUsage) != nil {
			t.Fatalf("KU %b EKU %v", c.KeyUsage, c.ExtKeyUsage)
		}
	})
	t.Run("blank APICSR template: API KU over CSR KU", func(t *testing.T) {
		c := issueWith(t, "BlankEndEntityCertificate_APICSRPassthrough/V1", csrWithExtras(t), smartCard)
		if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment|x509.KeyUsageKeyEncipherment {
			t.Fatalf("KU %b", c.KeyUsage)
		}
	})
	t.Run("API subject overrides the CSR's", func(t *testing.T) {
		for _, name := range []string{"EndEntityCertificate_APIPassthrough/V1", "SubordinateCACertificate_PathLen0_APICSRPassthrough/V1",
			"BlankRootCACertificate_APIPassthrough/V1"} {
			tmpl := mustTemplate(t, name)
			key := newKey(t)
			csr := newCSR(t, key, pkix.Name{CommonName: "from-csr"}, nil)
			issuer := ca
			if tmpl.SelfSigned {
				issuer = &testCA{key: key, alg: x509.ECDSAWithSHA256}
			}
			req := issuer.request(tmpl, csr)
			// keyCertSign for the blank root, which leaves key usage to the request.
			req.Passthrough = &APIPassthrough{Subject: &Subject{CommonName: "from-api", Organization: "Org", Title: "T"},
				Extensions: &Extensions{KeyUsage: &KeyUsage{KeyCertSign: true, CRLSign: true}}}
			c := mustIssue(t, req)
			if c.Subject.CommonName != "from-api" || c.Subject.Organization[0] != "Org" || len(c.Subject.Names) != 3 {
				t.Fatalf("%s: subject %v", name, c.Subject)
			}
			if tmpl.SelfSigned && !bytes.Equal(c.RawIssuer, c.RawSubject) {
				t.Fatalf("%s: issuer %v", name, c.Issuer)
			}
		}
	})
	t.Run("CSR subject kept verbatim without an API subject", func(t *testing.T) {
		// A round trip through pkix.Name would turn this UTF8String into a
		// PrintableString; the CSR's bytes must survive instead.
		raw, err := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: asn1.RawValue{
			Tag: asn1.TagUTF8String, Bytes: []byte("plain")}}}})
		if err != nil {
			t.Fatal(err)
		}
		key := newKey(t)
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: raw}, key)
		if err != nil {
			t.Fatal(err)
		}
		csr, err := ParseCSR(der)
		if err != nil {
			t.Fatal(err)
		}
		c := issueWith(t, "EndEntityCertificate_APIPassthrough/V1", csr, &APIPassthrough{Extensions: &Extensions{
			SubjectAlternativeNames: []GeneralName{{DnsName: "x.example"}}}})
		if !bytes.Equal(c.RawSubject, raw) {
			t.Fatal("CSR subject re-encoded")
		}
	})
	t.Run("CSR extensions copied only by CSR passthrough templates", func(t *testing.T) {
		for name, copied := range map[string]bool{
			"EndEntityCertificate/V1":                             false,
			"EndEntityCertificate_APIPassthrough/V1":              false,
			"EndEntityCertificate_CSRPassthrough/V1":              true,
			"EndEntityCertificate_APICSRPassthrough/V1":           true,
			"SubordinateCACertificate_PathLen2/V1":                false,
			"SubordinateCACertificate_PathLen2_CSRPassthrough/V1": true,
			"BlankEndEntityCertificate_APIPassthrough/V1":         false,
			"BlankEndEntityCertificate_CSRPassthrough/V1":         true,
		} {
			c := issueWith(t, name, csrWithExtras(t), nil)
			got := findExt(c, oidTestCustom)
			if (got != nil) != copied {
				t.Errorf("%s: CSR extension copied=%v", name, got != nil)
			}
			if got != nil && !bytes.Equal(got.Value, utf8DER(t, "csr")) {
				t.Errorf("%s: value %x", name, got.Value)
			}
			// Every template takes its SANs from the CSR.
			if !slices.Equal(c.DNSNames, []string{"csr.example"}) {
				t.Errorf("%s: SANs %v", name, c.DNSNames)
			}
			// The template's own key usage always wins over the CSR's.
			if tmpl := mustTemplate(t, name); tmpl.KeyUsage != 0 && c.KeyUsage != tmpl.KeyUsage {
				t.Errorf("%s: KU %b", name, c.KeyUsage)
			}
		}
	})
	t.Run("APICSR: API values over CSR values", func(t *testing.T) {
		c := issueWith(t, "EndEntityClientAuthCertificate_APICSRPassthrough/V1", csrWithExtras(t), &APIPassthrough{
			Extensions: &Extensions{
				SubjectAlternativeNames: []GeneralName{{DnsName: "api.example"}},
				CustomExtensions: []CustomExtension{{ObjectIdentifier: oidTestCustom.String(),
					Value: base64.StdEncoding.EncodeToString(utf8DER(t, "api")), Critical: true}},
			}})
		if !slices.Equal(c.DNSNames, []string{"api.example"}) {
			t.Fatalf("SANs %v", c.DNSNames)
		}
		got := findExt(c, oidTestCustom)
		if got == nil || !got.Critical || !bytes.Equal(got.Value, utf8DER(t, "api")) {
			t.Fatalf("custom extension %+v", got)
		}
		if len(c.UnhandledCriticalExtensions) != 1 || !c.UnhandledCriticalExtensions[0].Equal(oidTestCustom) {
			t.Fatalf("unhandled critical %v", c.UnhandledCriticalExtensions)
		}
	})
	t.Run("root API template takes an AKI as custom extension", func(t *testing.T) {
		key := newKey(t)
		self := &testCA{key: key, alg: x509.ECDSAWithSHA256}
		req := self.request(mustTemplate(t, "RootCACertificate_APIPassthrough/V1"), newCSR(t, key, pkix.Name{CommonName: "r"}, nil))
		aki, err := authorityKeyIDExtension([]byte{1, 2, 3, 4})
		if err != nil {
			t.Fatal(err)
		}
		req.Passthrough = &APIPassthrough{Extensions: &Extensions{CustomExtensions: []CustomExtension{{
			ObjectIdentifier: "2.5.29.35", Value: base64.StdEncoding.EncodeToString(aki.Value)}}}}
		if c := mustIssue(t, req); !bytes.Equal(c.AuthorityKeyId, []byte{1, 2, 3, 4}) {
			t.Fatalf("AKI %x", c.AuthorityKeyId)
		}
	})
	t.Run("blank template takes KU as a custom extension", func(t *testing.T) {
		c := issueWith(t, "BlankEndEntityCertificate_APIPassthrough/V1", csrWithExtras(t), &APIPassthrough{Extensions: &Extensions{
			CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.15", Critical: true,
				Value: base64.StdEncoding.EncodeToString(kuDER(t, x509.KeyUsageDataEncipherment))}}}})
		if c.KeyUsage != x509.KeyUsageDataEncipherment {
			t.Fatalf("KU %b", c.KeyUsage)
		}
	})
	t.Run("empty subject makes the SAN critical", func(t *testing.T) {
		csr := newCSR(t, newKey(t), pkix.Name{}, nil, "only-san.example")
		c := issueWith(t, "EndEntityCertificate/V1", csr, nil)
		if san := findExt(c, oidExtSubjectAltName); san == nil || !san.Critical || len(c.Subject.Names) != 0 {
			t.Fatalf("SAN %+v subject %v", san, c.Subject)
		}
	})
}

func TestCertificatePolicies(t *testing.T) {
	ca := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	req := ca.request(mustTemplate(t, "EndEntityServerAuthCertificate_APIPassthrough/V1"), newCSR(t, newKey(t),
		pkix.Name{CommonName: "p"}, nil, "p.example"))
	req.Passthrough = &APIPassthrough{Extensions: &Extensions{CertificatePolicies: []PolicyInformation{
		{CertPolicyId: "2.23.140.1.2.1"},
		{CertPolicyId: "1.3.6.1.4.1.55555.2", PolicyQualifiers: []PolicyQualifierInfo{
			{PolicyQualifierId: "CPS", Qualifier: Qualifier{CpsUri: "https://cps.example/1"}},
			{PolicyQualifierId: "CPS", Qualifier: Qualifier{CpsUri: "https://cps.example/2"}},
		}},
	}}}
	c := mustIssue(t, req)
	ext := findExt(c, oidExtCertificatePolicies)
	if ext == nil || ext.Critical {
		t.Fatalf("policies extension %+v", ext)
	}
	var policies []struct {
		ID         asn1.ObjectIdentifier
		Qualifiers []struct {
			ID  asn1.ObjectIdentifier
			CPS asn1.RawValue
		} `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(ext.Value, &policies); err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	if len(policies) != 2 || policies[0].ID.String() != "2.23.140.1.2.1" || len(policies[0].Qualifiers) != 0 ||
		policies[1].ID.String() != "1.3.6.1.4.1.55555.2" || len(policies[1].Qualifiers) != 2 {
		t.Fatalf("policies %+v", policies)
	}
	for i, q := range policies[1].Qualifiers {
		if q.ID.String() != "1.3.6.1.5.5.7.2.1" || q.CPS.Tag != asn1.TagIA5String || q.CPS.Class != asn1.ClassUniversal ||
			string(q.CPS.Bytes) != "https://cps.example/"+string(rune('1'+i)) {
			t.Fatalf("qualifier %d: %+v", i, q)
		}
	}
	if len(c.Policies) != 2 {
		t.Fatalf("crypto/x509 policies %v", c.Policies)
	}
}

// TestPassthroughJSON decodes a request body as AWS documents it.
func TestPassthroughJSON(t *testing.T) {
	body := `{"Subject":{"CommonName":"j","CustomAttributes":null},
	"Extensions":{"KeyUsage":{"DigitalSignature":true,"CRLSign":false},
	"ExtendedKeyUsage":[{"ExtendedKeyUsageType":"DOCUMENT_SIGNING"},{"ExtendedKeyUsageObjectIdentifier":"1.2.3.4"}],
	"SubjectAlternativeNames":[{"OtherName":{"TypeId":"1.3.6.1.4.1.311.20.2.3","Value":"u@x"}},{"IpAddress":"10.0.0.1"},
	{"EdiPartyName":{"PartyName":"p","NameAssigner":"n"}},{"DirectoryName":{"Country":"NL"}},{"RegisteredId":"1.2.3"}],
	"CertificatePolicies":[{"CertPolicyId":"1.2.3.4","PolicyQualifiers":[{"PolicyQualifierId":"CPS","Qualifier":{"CpsUri":"https://c"}}]}],
	"CustomExtensions":[{"ObjectIdentifier":"1.2.3.5","Value":"BQA=","Critical":true}]}}`
	var p APIPassthrough
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	e := p.Extensions
	if p.Subject.CommonName != "j" || !e.KeyUsage.DigitalSignature || e.ExtendedKeyUsage[1].ExtendedKeyUsageObjectIdentifier != "1.2.3.4" ||
		e.SubjectAlternativeNames[0].OtherName.Value != "u@x" || e.SubjectAlternativeNames[2].EdiPartyName.NameAssigner != "n" ||
		e.SubjectAlternativeNames[3].DirectoryName.Country != "NL" || e.SubjectAlternativeNames[4].RegisteredId != "1.2.3" ||
		e.CertificatePolicies[0].PolicyQualifiers[0].Qualifier.CpsUri != "https://c" || !e.CustomExtensions[0].Critical {
		t.Fatalf("%+v", p)
	}
	if _, err := compilePassthrough(&p); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(APIPassthrough{Extensions: &Extensions{SubjectAlternativeNames: []GeneralName{{DnsName: "d"}}}})
	if err != nil || string(out) != `{"Extensions":{"SubjectAlternativeNames":[{"DnsName":"d"}]}}` {
		t.Fatalf("%s %v", out, err)
	}
}

func TestPassthroughErrors(t *testing.T) {
	ca := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	ext := func(e Extensions) *APIPassthrough { return &APIPassthrough{Extensions: &e} }
	san := func(g ...GeneralName) *APIPassthrough { return ext(Extensions{SubjectAlternativeNames: g}) }
	cases := []struct {
		name, template string
		p              *APIPassthrough
		subject        pkix.Name
		dns            []string
		want           string
	}{
		{"passthrough on a base template", "EndEntityCertificate/V1", ext(Extensions{}), pkix.Name{CommonName: "x"}, nil, "does not accept ApiPassthrough"},
		{"passthrough on a CSR template", "SubordinateCACertificate_PathLen0_CSRPassthrough/V1", &APIPassthrough{}, pkix.Name{CommonName: "x"}, nil, "does not accept ApiPassthrough"},
		{"bad custom OID", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "1.2.x", Value: "BQA="}}}), pkix.Name{}, nil, "dotted decimal"},
		{"bad base64", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "1.2.3", Value: "!!"}}}), pkix.Name{}, nil, "not base64"},
		{"not DER", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "1.2.3", Value: b64([]byte{5, 0, 5, 0})}}}), pkix.Name{}, nil, "single DER"},
		{"custom twice", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "1.2.3", Value: "BQA="}, {ObjectIdentifier: "1.2.3", Value: "BQA="}}}), pkix.Name{}, nil, "twice"},
		{"custom collides with template KU", "EndEntityCertificate_APIPassthrough/V1", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.15", Value: "AwIHgA=="}}}), pkix.Name{}, nil, "duplicates the one from the template"},
		{"custom collides with template BC", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.19", Value: "MAA="}}}), pkix.Name{}, nil, "duplicates the one from the template"},
		{"custom collides with CRL config", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.31", Value: "MAA="}}}), pkix.Name{}, nil, "duplicates the one from the template"},
		{"custom collides with API SANs", "", ext(Extensions{SubjectAlternativeNames: []GeneralName{{DnsName: "a"}}, CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.17", Value: "MAA="}}}), pkix.Name{}, nil, "duplicates the one from ApiPassthrough"},
		{"custom collides with API KU", "", ext(Extensions{KeyUsage: &KeyUsage{DigitalSignature: true}, CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.15", Value: "AwIHgA=="}}}), pkix.Name{}, nil, "duplicates the one from ApiPassthrough"},
		{"malformed known extension", "", ext(Extensions{CustomExtensions: []CustomExtension{{ObjectIdentifier: "2.5.29.32", Value: "BQA="}}}), pkix.Name{}, nil, "does not parse"},
		{"bad IPv4", "", san(GeneralName{IpAddress: "10.0.0.256"}), pkix.Name{}, nil, "not an IPv4 or IPv6"},
		{"bad IPv6", "", san(GeneralName{IpAddress: "fe80::1%eth0"}), pkix.Name{}, nil, "not an IPv4 or IPv6"},
		{"hostname as IP", "", san(GeneralName{IpAddress: "host"}), pkix.Name{}, nil, "not an IPv4 or IPv6"},
		{"empty GeneralName", "", san(GeneralName{}), pkix.Name{}, nil, "exactly one member"},
		{"two members", "", san(GeneralName{DnsName: "a", Rfc822Name: "b@c"}), pkix.Name{}, nil, "exactly one member"},
		{"non-ASCII DNS name", "", san(GeneralName{DnsName: "bücher.example"}), pkix.Name{}, nil, "not ASCII"},
		{"relative URI", "", san(GeneralName{UniformResourceIdentifier: "/path"}), pkix.Name{}, nil, "absolute URI"},
		{"bad registered ID", "", san(GeneralName{RegisteredId: "3.1"}), pkix.Name{}, nil, "leading arcs"},
		{"bad other name type", "", san(GeneralName{OtherName: &OtherName{TypeId: "x", Value: "v"}}), pkix.Name{}, nil, "OtherName TypeId"},
		{"EDI without party", "", san(GeneralName{EdiPartyName: &EdiPartyName{NameAssigner: "n"}}), pkix.Name{}, nil, "PartyName"},
		{"empty directory name", "", san(GeneralName{DirectoryName: &Subject{}}), pkix.Name{}, nil, "at least one attribute"},
		{"unknown EKU type", "", ext(Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{ExtendedKeyUsageType: "ANY"}}}), pkix.Name{}, nil, "unknown ExtendedKeyUsageType"},
		{"EKU both", "", ext(Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{ExtendedKeyUsageType: "CLIENT_AUTH", ExtendedKeyUsageObjectIdentifier: "1.2.3"}}}), pkix.Name{}, nil, "both"},
		{"EKU neither", "", ext(Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{}}}), pkix.Name{}, nil, "neither"},
		{"EKU bad OID", "", ext(Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{ExtendedKeyUsageObjectIdentifier: "1"}}}), pkix.Name{}, nil, "two arcs"},
		{"empty KU", "", ext(Extensions{KeyUsage: &KeyUsage{}}), pkix.Name{}, nil, "sets no usage"},
		{"policy twice", "", ext(Extensions{CertificatePolicies: []PolicyInformation{{CertPolicyId: "1.2.3"}, {CertPolicyId: "1.2.3"}}}), pkix.Name{}, nil, "twice"},
		{"bad policy OID", "", ext(Extensions{CertificatePolicies: []PolicyInformation{{CertPolicyId: "1.2.-3"}}}), pkix.Name{}, nil, "CertPolicyId"},
		{"user notice qualifier", "", ext(Extensions{CertificatePolicies: []PolicyInformation{{CertPolicyId: "1.2.3", PolicyQualifiers: []PolicyQualifierInfo{{PolicyQualifierId: "UserNotice"}}}}}), pkix.Name{}, nil, "only CPS"},
		{"empty CPS URI", "", ext(Extensions{CertificatePolicies: []PolicyInformation{{CertPolicyId: "1.2.3", PolicyQualifiers: []PolicyQualifierInfo{{PolicyQualifierId: "CPS"}}}}}), pkix.Name{}, nil, "CpsUri is empty"},
		{"empty API subject", "", &APIPassthrough{Subject: &Subject{}}, pkix.Name{}, nil, "at least one attribute"},
		{"mixed API subject", "", &APIPassthrough{Subject: &Subject{CommonName: "a", CustomAttributes: []CustomAttribute{{ObjectIdentifier: "2.5.4.3", Value: "b"}}}}, pkix.Name{}, nil, "cannot be combined"},
		{"no subject, no SAN", "EndEntityCertificate/V1", nil, pkix.Name{}, nil, "neither a subject nor subject alternative names"},
		{"CA without subject", "SubordinateCACertificate_PathLen0/V1", nil, pkix.Name{}, []string{"ca.example"}, "non-empty subject"},
		{"blank CA without subject", "BlankSubordinateCACertificate_PathLen0_CSRPassthrough/V1", nil, pkix.Name{}, []string{"ca.example"}, "non-empty subject"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.template
			if name == "" {
				name = "BlankEndEntityCertificate_APIPassthrough/V1"
			}
			subject := tc.subject
			if len(subject.Names) == 0 && subject.CommonName == "" && tc.template == "" {
				subject = pkix.Name{CommonName: "x"}
			}
			req := ca.request(mustTemplate(t, name), newCSR(t, newKey(t), subject, nil, tc.dns...))
			req.Passthrough = tc.p
			req.CRLDistributionPoints = []string{"http://crl.example/x.crl"}
			_, err := Issue(req)
			if !errors.Is(err, ErrIssue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrIssue containing %q", err, tc.want)
			}
			// Whatever CheckPassthrough catches early, it reports as Issue does.
			if early := CheckPassthrough(req.Template, tc.p); early != nil && early.Error() != err.Error() {
				t.Fatalf("CheckPassthrough %v, Issue %v", early, err)
			}
			if !strings.HasPrefix(err.Error(), "x509ca: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

// FuzzPassthrough feeds arbitrary ApiPassthrough JSON through issuance: it
// must either fail with ErrIssue or yield a certificate crypto/x509 parses.
func FuzzPassthrough(f *testing.F) {
	for _, seed := range []string{
		`{"Subject":{"CommonName":"a"}}`,
		`{"Extensions":{"KeyUsage":{"DigitalSignature":true},"ExtendedKeyUsage":[{"ExtendedKeyUsageType":"SMART_CARD_LOGIN"}]}}`,
		`{"Extensions":{"SubjectAlternativeNames":[{"OtherName":{"TypeId":"1.2.3","Value":"v"}},{"IpAddress":"::1"},` +
			`{"EdiPartyName":{"PartyName":"p"}},{"DirectoryName":{"Country":"NL"}},{"RegisteredId":"1.2"}]}}`,
		`{"Extensions":{"CertificatePolicies":[{"CertPolicyId":"1.2.3","PolicyQualifiers":[{"PolicyQualifierId":"CPS","Qualifier":{"CpsUri":"https://c"}}]}]}}`,
		`{"Extensions":{"CustomExtensions":[{"ObjectIdentifier":"2.5.29.30","Value":"MAA=","Critical":true}]}}`,
	} {
		f.Add(seed)
	}
	ca := newRootCA(f, newKey(f), x509.ECDSAWithSHA256)
	csr := newCSR(f, newKey(f), pkix.Name{CommonName: "fuzz"}, nil, "fuzz.example")
	tmpl := mustTemplate(f, "BlankEndEntityCertificate_APICSRPassthrough/V1")
	f.Fuzz(func(t *testing.T, body string) {
		var p APIPassthrough
		if json.Unmarshal([]byte(body), &p) != nil {
			return
		}
		req := ca.request(tmpl, csr)
		req.Passthrough = &p
		der, err := Issue(req)
		if err != nil {
			if !errors.Is(err, ErrIssue) {
				t.Fatalf("error outside ErrIssue: %v", err)
			}
			return
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatal(err)
		}
	})
}
