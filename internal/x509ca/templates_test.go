package x509ca

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"maps"
	"slices"
	"sort"
	"testing"
)

const (
	ekuServerAuth  = "1.3.6.1.5.5.7.3.1"
	ekuClientAuth  = "1.3.6.1.5.5.7.3.2"
	ekuCodeSigning = "1.3.6.1.5.5.7.3.3"
	ekuOCSPSigning = "1.3.6.1.5.5.7.3.9"
)

// templateWant is what AWS's template-definitions page says a template puts
// in a certificate, written out again here rather than read from the table
// under test.
type templateWant struct {
	ca, root    bool
	pathLen     int // -1: none
	bcCritical  bool
	ku          x509.KeyUsage // 0: no keyUsage extension
	eku         []string
	ekuCritical bool
	api, csr    bool
}

// awsTemplates expands template families: name prefix, variant suffixes
// (before "/V1"), and what every member issues.
func awsTemplates() map[string]templateWant {
	ca := x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	tls := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	all := []string{"", "_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"}
	blank := []string{"_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"}
	families := []struct {
		prefix   string
		variants []string
		want     templateWant
	}{
		{"BlankEndEntityCertificate", blank, templateWant{pathLen: -1}},
		{"BlankEndEntityCertificate_CriticalBasicConstraints", blank, templateWant{pathLen: -1, bcCritical: true}},
		{"BlankSubordinateCACertificate_PathLen0", blank, templateWant{ca: true, pathLen: 0, bcCritical: true}},
		{"BlankSubordinateCACertificate_PathLen1", blank, templateWant{ca: true, pathLen: 1, bcCritical: true}},
		{"BlankSubordinateCACertificate_PathLen2", blank, templateWant{ca: true, pathLen: 2, bcCritical: true}},
		{"BlankSubordinateCACertificate_PathLen3", blank, templateWant{ca: true, pathLen: 3, bcCritical: true}},
		{"BlankRootCACertificate", []string{"_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: -1, bcCritical: true}},
		{"BlankRootCACertificate_PathLen0", []string{"_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: 0, bcCritical: true}},
		{"BlankRootCACertificate_PathLen1", []string{"_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: 1, bcCritical: true}},
		{"BlankRootCACertificate_PathLen2", []string{"_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: 2, bcCritical: true}},
		{"BlankRootCACertificate_PathLen3", []string{"_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: 3, bcCritical: true}},
		{"CodeSigningCertificate", all, templateWant{pathLen: -1, ku: x509.KeyUsageDigitalSignature,
			eku: []string{ekuCodeSigning}, ekuCritical: true}},
		{"EndEntityCertificate", all, templateWant{pathLen: -1, ku: tls, eku: []string{ekuServerAuth, ekuClientAuth}}},
		{"EndEntityClientAuthCertificate", all, templateWant{pathLen: -1, ku: tls, eku: []string{ekuClientAuth}}},
		{"EndEntityServerAuthCertificate", all, templateWant{pathLen: -1, ku: tls, eku: []string{ekuServerAuth}}},
		{"OCSPSigningCertificate", all, templateWant{pathLen: -1, ku: x509.KeyUsageDigitalSignature,
			eku: []string{ekuOCSPSigning}, ekuCritical: true}},
		{"RootCACertificate", []string{"", "_APIPassthrough"}, templateWant{ca: true, root: true, pathLen: -1, bcCritical: true, ku: ca}},
		{"SubordinateCACertificate_PathLen0", all, templateWant{ca: true, pathLen: 0, bcCritical: true, ku: ca}},
		{"SubordinateCACertificate_PathLen1", all, templateWant{ca: true, pathLen: 1, bcCritical: true, ku: ca}},
		{"SubordinateCACertificate_PathLen2", all, templateWant{ca: true, pathLen: 2, bcCritical: true, ku: ca}},
		{"SubordinateCACertificate_PathLen3", all, templateWant{ca: true, pathLen: 3, bcCritical: true, ku: ca}},
	}
	out := map[string]templateWant{}
	for _, f := range families {
		for _, v := range f.variants {
			w := f.want
			w.api = v == "_APIPassthrough" || v == "_APICSRPassthrough"
			w.csr = v == "_CSRPassthrough" || v == "_APICSRPassthrough"
			out[f.prefix+v+"/V1"] = w
		}
	}
	return out
}

func TestTemplateList(t *testing.T) {
	want := awsTemplates()
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	got := TemplateNames()
	sort.Strings(got)
	if !slices.Equal(got, wantNames) {
		t.Fatalf("templates:\n got %v\nwant %v", got, wantNames)
	}
	if len(got) != 61 {
		t.Fatalf("%d templates", len(got))
	}
	for _, name := range got {
		tmpl := mustTemplate(t, name)
		w := want[name]
		if tmpl.Name != name || tmpl.APIPassthrough != w.api || tmpl.CSRPassthrough != w.csr || tmpl.IsCA != w.ca ||
			tmpl.SelfSigned != w.root || tmpl.PathLen != w.pathLen {
			t.Errorf("%s: %+v", name, tmpl)
		}
	}
	for _, bad := range []string{"Nope/V1", "EndEntityCertificate/V2", "SubordinateCACertificate_PathLen4/V1",
		"BlankRootCACertificate_PathLen0_CSRPassthrough/V1", "RootCACertificate_CSRPassthrough/V1"} {
		if _, err := LookupTemplate(TemplateARNPrefix + bad); !errors.Is(err, ErrUnknownTemplate) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := LookupTemplate("arn:aws:acm-pca:::certificate/EndEntityCertificate/V1"); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("not a template ARN: %v", err)
	}
	a := mustTemplate(t, "EndEntityCertificate/V1")
	a.ExtKeyUsage[0] = x509.ExtKeyUsageAny
	if b := mustTemplate(t, "EndEntityCertificate/V1"); b.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Fatal("LookupTemplate hands out the shared table")
	}
}

// TestEveryTemplate issues a certificate with each template and checks each
// extension against the AWS definition.
func TestEveryTemplate(t *testing.T) {
	ecRoot := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	rsaRoot := newRootCA(t, rsaKey(), x509.SHA256WithRSA)
	const crl, ocsp = "http://crl.example/ca.crl", "http://ocsp.example"
	want := awsTemplates()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		cas := []*testCA{ecRoot}
		switch name {
		case "EndEntityCertificate/V1", "SubordinateCACertificate_PathLen0/V1", "RootCACertificate/V1",
			"BlankEndEntityCertificate_APICSRPassthrough/V1":
			cas = append(cas, rsaRoot)
		}
		for _, ca := range cas {
			t.Run(name+"/"+ca.alg.String(), func(t *testing.T) {
				tmpl := mustTemplate(t, name)
				key := crypto.Signer(newKey(t))
				if ca.alg == x509.SHA256WithRSA {
					key = rsaKey()
				}
				if w.root {
					// A root certifies its own key, so it is its own issuer.
					ca = &testCA{key: key, alg: ca.alg}
				}
				csr := newCSR(t, key, pkix.Name{CommonName: "subject", Organization: []string{"Org"}}, nil, "a.example")
				if tmpl.IsCA && tmpl.KeyUsage == 0 {
					// Blank CA templates leave key usage to the request, and a
					// CA certificate must have keyCertSign.
					ku := []pkix.Extension{{Id: oidExtensionKeyUsage, Critical: true, Value: kuDER(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)}}
					csr = newCSR(t, key, pkix.Name{CommonName: "subject", Organization: []string{"Org"}}, ku, "a.example")
					w.ku = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
				}
				req := ca.request(tmpl, csr)
				req.CRLDistributionPoints, req.OCSPServer = []string{crl}, ocsp
				if tmpl.IsCA && tmpl.KeyUsage == 0 && tmpl.APIPassthrough {
					req.Passthrough = &APIPassthrough{Extensions: &Extensions{KeyUsage: &KeyUsage{KeyCertSign: true, CRLSign: true}}}
				}
				c := mustIssue(t, req)
				checkTemplateCert(t, c, csr, ca, w)
				if w.root {
					if !bytes.Equal(c.RawIssuer, c.RawSubject) || c.CheckSignatureFrom(c) != nil {
						t.Fatal("root is not self-signed")
					}
					if len(c.CRLDistributionPoints) != 0 || c.OCSPServer != nil {
						t.Fatalf("root has revocation info: %v %v", c.CRLDistributionPoints, c.OCSPServer)
					}
					return
				}
				if !slices.Equal(c.CRLDistributionPoints, []string{crl}) || !slices.Equal(c.OCSPServer, []string{ocsp}) {
					t.Fatalf("CDP %v OCSP %v", c.CRLDistributionPoints, c.OCSPServer)
				}
				roots := x509.NewCertPool()
				roots.AddCert(ca.cert)
				if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
					CurrentTime: testNow}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func checkTemplateCert(t *testing.T, c *x509.Certificate, csr *x509.CertificateRequest, ca *testCA, w templateWant) {
	t.Helper()
	bc := findExt(c, oidExtBasicConstraints)
	if bc == nil || bc.Critical != w.bcCritical || !c.BasicConstraintsValid || c.IsCA != w.ca || c.MaxPathLen != w.pathLen {
		t.Fatalf("basic constraints %+v: IsCA=%v MaxPathLen=%d", bc, c.IsCA, c.MaxPathLen)
	}
	if w.pathLen == 0 && !c.MaxPathLenZero {
		t.Fatal("pathlen 0 not encoded")
	}
	ku := findExt(c, oidExtensionKeyUsage)
	if w.ku == 0 {
		if ku != nil {
			t.Fatalf("unexpected key usage %b", c.KeyUsage)
		}
	} else if ku == nil || !ku.Critical || c.KeyUsage != w.ku {
		t.Fatalf("key usage %b (%+v), want critical %b", c.KeyUsage, ku, w.ku)
	}
	if got := ekuOIDs(t, c); !slices.Equal(got, w.eku) {
		t.Fatalf("EKU %v, want %v", got, w.eku)
	}
	if eku := findExt(c, oidExtExtendedKeyUsage); eku != nil && eku.Critical != w.ekuCritical {
		t.Fatalf("EKU critical %v", eku.Critical)
	}
	spki, err := x509.MarshalPKIXPublicKey(csr.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		t.Fatal(err)
	}
	if sum := sha1.Sum(info.PublicKey.Bytes); !bytes.Equal(c.SubjectKeyId, sum[:]) {
		t.Fatal("SKI is not RFC 5280 method 1")
	}
	if w.root {
		if findExt(c, oidExtAuthorityKeyID) != nil {
			t.Fatal("root has an AKI")
		}
	} else if !bytes.Equal(c.AuthorityKeyId, ca.cert.SubjectKeyId) {
		t.Fatal("AKI is not the issuer's SKI")
	}
	if !slices.Equal(c.DNSNames, []string{"a.example"}) || findExt(c, oidExtSubjectAltName).Critical {
		t.Fatalf("SANs %v", c.DNSNames)
	}
	if !bytes.Equal(c.RawSubject, csr.RawSubject) {
		t.Fatal("subject not copied verbatim from the CSR")
	}
	for _, e := range c.Extensions {
		if n := countExt(c, e.Id); n != 1 {
			t.Fatalf("extension %s appears %d times", e.Id, n)
		}
	}
}

func countExt(c *x509.Certificate, oid asn1.ObjectIdentifier) int {
	n := 0
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			n++
		}
	}
	return n
}

func TestPathLenAgainstIssuer(t *testing.T) {
	root := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	subKey := newKey(t)
	sub := &testCA{key: subKey, alg: x509.ECDSAWithSHA256}
	sub.cert = mustIssue(t, root.request(mustTemplate(t, "SubordinateCACertificate_PathLen1/V1"),
		newCSR(t, subKey, pkix.Name{CommonName: "sub"}, nil)))
	for name, ok := range map[string]bool{
		"SubordinateCACertificate_PathLen0/V1":                     true,
		"BlankSubordinateCACertificate_PathLen0_APIPassthrough/V1": true,
		"SubordinateCACertificate_PathLen1/V1":                     false,
		"BlankSubordinateCACertificate_PathLen2_CSRPassthrough/V1": false,
	} {
		tmpl := mustTemplate(t, name)
		req := sub.request(tmpl, newCSR(t, newKey(t), pkix.Name{CommonName: "x"}, nil))
		if tmpl.APIPassthrough {
			req.Passthrough = &APIPassthrough{Extensions: &Extensions{KeyUsage: &KeyUsage{KeyCertSign: true, CRLSign: true}}}
		}
		_, err := Issue(req)
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrIssue)) {
			t.Errorf("%s under pathlen 1: %v", name, err)
		}
	}
	// A blank CA template given no keyCertSign would make an invalid CA certificate.
	if _, err := Issue(root.request(mustTemplate(t, "BlankSubordinateCACertificate_PathLen0_APIPassthrough/V1"),
		newCSR(t, newKey(t), pkix.Name{CommonName: "x"}, nil))); !errors.Is(err, ErrIssue) {
		t.Fatalf("blank CA without keyCertSign: %v", err)
	}
	// A root template only signs the CA's own key.
	req := root.request(mustTemplate(t, "RootCACertificate/V1"), newCSR(t, newKey(t), pkix.Name{CommonName: "x"}, nil))
	if _, err := Issue(req); !errors.Is(err, ErrIssue) {
		t.Fatalf("foreign key self-signed: %v", err)
	}
	req = root.request(mustTemplate(t, "EndEntityCertificate/V1"), newCSR(t, newKey(t), pkix.Name{CommonName: "x"}, nil))
	req.Issuer = nil
	if _, err := Issue(req); !errors.Is(err, ErrIssue) {
		t.Fatalf("no issuer: %v", err)
	}
}
