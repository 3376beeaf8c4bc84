package pcaapi

import (
	"encoding/json"
	"testing"

	"github.com/openpca/openpca/internal/awsapi"
	"github.com/openpca/openpca/internal/pca"
)

// FuzzDecode feeds request bodies through the model validation and, when they
// pass, into the domain input types, as the edge does: nothing may panic, and a
// body the model accepts must decode.
func FuzzDecode(f *testing.F) {
	model, err := awsapi.LoadModel(modelGz)
	if err != nil {
		f.Fatal(err)
	}
	inputs := map[string]func() any{
		"CreateCertificateAuthority": func() any { return &pca.CreateCertificateAuthorityInput{} },
		"IssueCertificate":           func() any { return &pca.IssueCertificateInput{} },
		"UpdateCertificateAuthority": func() any { return &pca.UpdateCertificateAuthorityInput{} },
		"ListCertificateAuthorities": func() any { return &pca.ListCertificateAuthoritiesInput{} },
		"RevokeCertificate":          func() any { return &pca.RevokeCertificateInput{} },
		"TagCertificateAuthority":    func() any { return &pca.TagsInput{} },
	}
	for _, seed := range []string{
		`{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"x"}}}`,
		`{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555","Csr":"AAAA","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Value":3,"Type":"DAYS"}}`,
		`{"RevocationConfiguration":{"CrlConfiguration":{"Enabled":true,"ExpirationInDays":7,"S3BucketName":"b"}}}`,
		`{"MaxResults":10,"NextToken":"x"}`, `{"Tags":[{"Key":"a","Value":"b"}]}`,
	} {
		for op := range inputs {
			f.Add(op, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		newInput, ok := inputs[op]
		if !ok {
			return
		}
		if verr := model.Validate(op, body); verr != nil {
			return
		}
		if awsapi.IsEmptyBody(body) {
			return // the edge decodes an empty body as no members
		}
		if err := json.Unmarshal(body, newInput()); err != nil {
			t.Fatalf("model accepted %q but decoding failed: %v", body, err)
		}
	})
}
