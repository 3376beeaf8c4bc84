package x509ca

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/x509lint"
)

// TestZlint lints a certificate from every template, with passthrough values
// where the template takes them, and fails on RFC 5280 errors. Other
// sources' errors (mostly CA/Browser Forum rules for publicly trusted TLS,
// which a private CA need not follow) are only logged.
func TestZlint(t *testing.T) {
	ecRoot := newRootCA(t, newKey(t), x509.ECDSAWithSHA256)
	rsaRoot := newRootCA(t, rsaKey(), x509.SHA256WithRSA)
	used := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(awsTemplates())) {
		cas := []*testCA{ecRoot}
		if strings.HasPrefix(name, "EndEntityCertificate") || strings.HasPrefix(name, "RootCACertificate") ||
			strings.HasPrefix(name, "SubordinateCACertificate_PathLen0") {
			cas = append(cas, rsaRoot)
		}
		for _, ca := range cas {
			t.Run(name+"/"+ca.alg.String(), func(t *testing.T) {
				der := issueForLint(t, mustTemplate(t, name), ca)
				res, err := x509lint.Lint(der, name)
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range res.Other {
					t.Log(line)
				}
				for _, lintName := range res.Exempted {
					used[name+" "+lintName] = true
				}
				for _, line := range res.Errors {
					t.Error(line)
				}
			})
		}
	}
	// An exemption that no longer fires is stale and would hide a regression.
	for name, lints := range x509lint.Exempt {
		for lintName := range lints {
			if !used[name+" "+lintName] {
				t.Errorf("exemption %s for %s never applied", lintName, name)
			}
		}
	}
}

// issueForLint fills every source a template may draw from, so that the
// passthrough encodings are linted too. Blank CA templates get their
// keyCertSign from the API or the CSR, as a real caller must give them.
func issueForLint(t *testing.T, tmpl Template, ca *testCA) []byte {
	t.Helper()
	key := crypto.Signer(newKey(t))
	if ca.alg == x509.SHA256WithRSA {
		key = rsaKey()
	}
	if tmpl.SelfSigned {
		ca = &testCA{key: key, alg: ca.alg}
	}
	var csrExts []pkix.Extension
	apiKU := &KeyUsage{DigitalSignature: true}
	if tmpl.IsCA {
		csrExts = append(csrExts, pkix.Extension{Id: oidExtensionKeyUsage, Critical: true, Value: kuDER(t, kuCA)})
		apiKU = &KeyUsage{DigitalSignature: true, KeyCertSign: true, CRLSign: true}
	}
	csr := newCSR(t, key, pkix.Name{CommonName: "zlint.example.com", Organization: []string{"openpca"}, Country: []string{"NL"}},
		csrExts, "zlint.example.com")
	req := ca.request(tmpl, csr)
	if !tmpl.SelfSigned {
		req.CRLDistributionPoints = []string{"http://crl.example.com/ca.crl"}
		req.OCSPServer = "http://ocsp.example.com"
	}
	if tmpl.APIPassthrough {
		ext := &Extensions{
			KeyUsage: apiKU,
			SubjectAlternativeNames: []GeneralName{
				{DnsName: "zlint.example.com"},
				{Rfc822Name: "pki@example.com"},
				{IpAddress: "192.0.2.1"},
				{IpAddress: "2001:db8::2"},
				{UniformResourceIdentifier: "https://zlint.example.com/id"},
				{OtherName: &OtherName{TypeId: "1.3.6.1.4.1.311.20.2.3", Value: "user@example.com"}},
				{DirectoryName: &Subject{CommonName: "Directory", Country: "NL"}},
				{EdiPartyName: &EdiPartyName{NameAssigner: "assigner", PartyName: "party"}},
				{RegisteredId: "1.3.6.1.4.1.55555.3"},
			},
			CertificatePolicies: []PolicyInformation{{CertPolicyId: "1.3.6.1.4.1.55555.1.1", PolicyQualifiers: []PolicyQualifierInfo{
				{PolicyQualifierId: "CPS", Qualifier: Qualifier{CpsUri: "https://cps.example.com"}}}}},
			CustomExtensions: []CustomExtension{{ObjectIdentifier: oidTestCustom.String(), Value: "DAJoaQ=="}},
		}
		if !tmpl.IsCA {
			ext.ExtendedKeyUsage = []ExtendedKeyUsage{{ExtendedKeyUsageType: "CLIENT_AUTH"}}
		}
		req.Passthrough = &APIPassthrough{Extensions: ext}
	}
	der, err := Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
