package awsapi_test

import (
	"os"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/awsapi"
)

func loadPCAModel(t testing.TB) *awsapi.Model {
	t.Helper()
	gz, err := os.ReadFile("pcaapi/acm-pca.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	m, err := awsapi.LoadModel(gz)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidate(t *testing.T) {
	m := loadPCAModel(t)
	const arn = `"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"`
	cases := []struct {
		name, op, body, wantType, wantInMessage string
	}{
		{"ok/describe", "DescribeCertificateAuthority", `{"CertificateAuthorityArn":` + arn + `}`, "", ""},
		{"ok/empty body for list", "ListCertificateAuthorities", ``, "", ""},
		{"ok/unknown members are ignored", "ListCertificateAuthorities", `{"Future":1}`, "", ""},
		{"fail/missing required", "DescribeCertificateAuthority", `{}`, "ValidationException", "Value null at 'certificateAuthorityArn' failed to satisfy constraint: Member must not be null"},
		{"fail/enum", "CreateCertificateAuthority", `{"CertificateAuthorityType":"LEAF","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{}}}`, "ValidationException", "at 'certificateAuthorityType' failed to satisfy constraint: Member must satisfy enum value set: [ROOT, SUBORDINATE]"},
		{"fail/nested length", "CreateCertificateAuthority", `{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"Country":"NLD"}}}`, "ValidationException", "'certificateAuthorityConfiguration.subject.country'"},
		{"fail/range", "DeleteCertificateAuthority", `{"CertificateAuthorityArn":` + arn + `,"PermanentDeletionTimeInDays":31}`, "ValidationException", "Member must have value less than or equal to 30"},
		{"fail/pattern", "DescribeCertificateAuthority", `{"CertificateAuthorityArn":"bogus"}`, "ValidationException", "regular expression pattern"},
		{"fail/two errors counted", "IssueCertificate", `{}`, "ValidationException", "4 validation errors detected"},
		{"fail/string for integer", "ListCertificateAuthorities", `{"MaxResults":"5"}`, "SerializationException", "maxResults"},
		{"fail/fraction for integer", "ListCertificateAuthorities", `{"MaxResults":5.5}`, "SerializationException", ""},
		{"fail/not base64", "IssueCertificate", `{"Csr":"***"}`, "SerializationException", "csr"},
		{"fail/array for object", "ListCertificateAuthorities", `[]`, "SerializationException", ""},
		{"fail/trailing data", "ListCertificateAuthorities", `{} {}`, "SerializationException", ""},
		{"fail/broken JSON", "ListCertificateAuthorities", `{"a":`, "SerializationException", ""},
		{"fail/idempotency token outside latin-1", "CreateCertificateAuthority", `{"IdempotencyToken":"☃"}`, "ValidationException", "idempotencyToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Validate(tc.op, []byte(tc.body))
			if tc.wantType == "" {
				if err != nil {
					t.Fatalf("unexpected %s: %s", err.Type, err.Message)
				}
				return
			}
			if err == nil || err.Type != tc.wantType || err.Status != 400 || !strings.Contains(err.Message, tc.wantInMessage) {
				t.Fatalf("got %+v, want %s containing %q", err, tc.wantType, tc.wantInMessage)
			}
		})
	}
}

func FuzzValidate(f *testing.F) {
	m := loadPCAModel(f)
	for _, seed := range []string{`{}`, `{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:0:certificate-authority/x"}`,
		`{"CertificateAuthorityConfiguration":{"Subject":{"CustomAttributes":[{"ObjectIdentifier":"2.5.4.3","Value":"x"}]}}}`,
		`{"Validity":{"Value":1e400,"Type":"DAYS"}}`, `[1,2,{"a":null}]`, `{"Tags":[{"Key":"k"}]}`} {
		for _, op := range []string{"CreateCertificateAuthority", "IssueCertificate", "ListTags"} {
			f.Add(op, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if err := m.Validate(op, body); err != nil && (err.Status != 400 || err.Message == "") {
			t.Fatalf("bad error %+v", err)
		}
	})
}
