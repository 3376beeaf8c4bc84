package pca

import (
	"encoding/json"
	"time"

	"github.com/openpca/openpca/internal/x509ca"
)

// The request and response types carry AWS Private CA's member names, so the
// API edge decodes and encodes them without a second set of structs.

// Caller is the authenticated account making a request.
type Caller struct {
	AccountID string
}

type CertificateAuthorityConfiguration struct {
	KeyAlgorithm     string
	SigningAlgorithm string
	Subject          x509ca.Subject
	CsrExtensions    *CsrExtensions `json:",omitempty"`
}

type CsrExtensions struct {
	KeyUsage                 *x509ca.KeyUsage  `json:",omitempty"`
	SubjectInformationAccess []json.RawMessage `json:",omitempty"`
}

type RevocationConfiguration struct {
	CrlConfiguration  *CrlConfiguration  `json:",omitempty"`
	OcspConfiguration *OcspConfiguration `json:",omitempty"`
}

type CrlConfiguration struct {
	Enabled                                    bool
	ExpirationInDays                           *int32                                      `json:",omitempty"`
	CustomCname                                *string                                     `json:",omitempty"`
	S3BucketName                               *string                                     `json:",omitempty"`
	S3ObjectAcl                                *string                                     `json:",omitempty"`
	CrlDistributionPointExtensionConfiguration *CrlDistributionPointExtensionConfiguration `json:",omitempty"`
	CrlType                                    *string                                     `json:",omitempty"`
	CustomPath                                 *string                                     `json:",omitempty"`
}

type CrlDistributionPointExtensionConfiguration struct {
	OmitExtension bool
}

type OcspConfiguration struct {
	Enabled         bool
	OcspCustomCname *string `json:",omitempty"`
}

type Tag struct {
	Key   string
	Value *string `json:",omitempty"`
}

type CreateCertificateAuthorityInput struct {
	CertificateAuthorityConfiguration CertificateAuthorityConfiguration
	RevocationConfiguration           *RevocationConfiguration
	CertificateAuthorityType          string
	IdempotencyToken                  string
	KeyStorageSecurityStandard        string
	Tags                              []Tag
	UsageMode                         string
}

// CertificateAuthority is DescribeCertificateAuthority's view of a CA.
type CertificateAuthority struct {
	Arn                               string
	OwnerAccount                      string
	CreatedAt                         time.Time
	LastStateChangeAt                 time.Time
	Type                              string
	Serial                            string `json:",omitempty"`
	Status                            string
	NotBefore                         time.Time
	NotAfter                          time.Time
	FailureReason                     string `json:",omitempty"`
	CertificateAuthorityConfiguration CertificateAuthorityConfiguration
	RevocationConfiguration           *RevocationConfiguration `json:",omitempty"`
	RestorableUntil                   time.Time
	KeyStorageSecurityStandard        string `json:",omitempty"`
	UsageMode                         string `json:",omitempty"`
}

type ListCertificateAuthoritiesInput struct {
	MaxResults    *int32
	NextToken     string
	ResourceOwner string
}

type ListCertificateAuthoritiesOutput struct {
	CertificateAuthorities []CertificateAuthority
	NextToken              string `json:",omitempty"`
}

type ImportCertificateAuthorityCertificateInput struct {
	CertificateAuthorityArn string
	Certificate             []byte
	CertificateChain        []byte
}

type GetCertificateAuthorityCertificateOutput struct {
	Certificate      string
	CertificateChain string `json:",omitempty"`
}

type UpdateCertificateAuthorityInput struct {
	CertificateAuthorityArn string
	RevocationConfiguration *RevocationConfiguration
	Status                  string
}

type DeleteCertificateAuthorityInput struct {
	CertificateAuthorityArn     string
	PermanentDeletionTimeInDays *int32
}

type TagsInput struct {
	CertificateAuthorityArn string
	Tags                    []Tag
}

type ListTagsInput struct {
	CertificateAuthorityArn string
	MaxResults              *int32
	NextToken               string
}

type ListTagsOutput struct {
	Tags      []Tag
	NextToken string `json:",omitempty"`
}

type Validity struct {
	Value int64
	Type  string
}

type IssueCertificateInput struct {
	ApiPassthrough          *x509ca.APIPassthrough
	CertificateAuthorityArn string
	Csr                     []byte
	SigningAlgorithm        string
	TemplateArn             string
	Validity                Validity
	ValidityNotBefore       *Validity
	IdempotencyToken        string
}

type IssueCertificateOutput struct {
	CertificateArn string
}

type GetCertificateInput struct {
	CertificateAuthorityArn string
	CertificateArn          string
}

type GetCertificateOutput struct {
	Certificate      string
	CertificateChain string `json:",omitempty"`
}

type RevokeCertificateInput struct {
	CertificateAuthorityArn string
	CertificateSerial       string
	RevocationReason        string
}
