// Package pcaapi binds AWS Private CA's JSON 1.1 operations
// (X-Amz-Target: ACMPrivateCA.*) to the pca domain service.
package pcaapi

import (
	"context"
	_ "embed"
	"errors"
	"time"

	"github.com/openpca/openpca/internal/awsapi"
	"github.com/openpca/openpca/internal/pca"
)

//go:embed acm-pca.json.gz
var modelGz []byte

// New returns the ACM PCA service for the edge.
func New(svc *pca.Service) (*awsapi.JSONService, error) {
	model, err := awsapi.LoadModel(modelGz)
	if err != nil {
		return nil, err
	}
	return &awsapi.JSONService{
		TargetPrefix: "ACMPrivateCA",
		SigningName:  "acm-pca",
		JSONVersion:  "1.1",
		Model:        model,
		MapError:     mapError,
		Operations: map[string]awsapi.Operation{
			"CreateCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in pca.CreateCertificateAuthorityInput) (any, error) {
				arn, err := svc.CreateCertificateAuthority(ctx, c, in)
				return struct{ CertificateAuthorityArn string }{arn}, err
			}),
			"DescribeCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in arnInput) (any, error) {
				ca, err := svc.DescribeCertificateAuthority(ctx, c, in.CertificateAuthorityArn)
				return struct{ CertificateAuthority caWire }{wireCA(ca)}, err
			}),
			"ListCertificateAuthorities": op(func(ctx context.Context, c pca.Caller, in pca.ListCertificateAuthoritiesInput) (any, error) {
				out, err := svc.ListCertificateAuthorities(ctx, c, in)
				wire := listWire{CertificateAuthorities: make([]caWire, len(out.CertificateAuthorities)), NextToken: out.NextToken}
				for i, ca := range out.CertificateAuthorities {
					wire.CertificateAuthorities[i] = wireCA(ca)
				}
				return wire, err
			}),
			"GetCertificateAuthorityCsr": op(func(ctx context.Context, c pca.Caller, in arnInput) (any, error) {
				csr, err := svc.GetCertificateAuthorityCsr(ctx, c, in.CertificateAuthorityArn)
				return struct{ Csr string }{csr}, err
			}),
			"ImportCertificateAuthorityCertificate": op(func(ctx context.Context, c pca.Caller, in pca.ImportCertificateAuthorityCertificateInput) (any, error) {
				return empty, svc.ImportCertificateAuthorityCertificate(ctx, c, in)
			}),
			"GetCertificateAuthorityCertificate": op(func(ctx context.Context, c pca.Caller, in arnInput) (any, error) {
				return svc.GetCertificateAuthorityCertificate(ctx, c, in.CertificateAuthorityArn)
			}),
			"UpdateCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in pca.UpdateCertificateAuthorityInput) (any, error) {
				return empty, svc.UpdateCertificateAuthority(ctx, c, in)
			}),
			"DeleteCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in pca.DeleteCertificateAuthorityInput) (any, error) {
				return empty, svc.DeleteCertificateAuthority(ctx, c, in)
			}),
			"RestoreCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in arnInput) (any, error) {
				return empty, svc.RestoreCertificateAuthority(ctx, c, in.CertificateAuthorityArn)
			}),
			"TagCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in pca.TagsInput) (any, error) {
				return empty, svc.TagCertificateAuthority(ctx, c, in)
			}),
			"UntagCertificateAuthority": op(func(ctx context.Context, c pca.Caller, in pca.TagsInput) (any, error) {
				return empty, svc.UntagCertificateAuthority(ctx, c, in)
			}),
			"ListTags": op(func(ctx context.Context, c pca.Caller, in pca.ListTagsInput) (any, error) {
				return svc.ListTags(ctx, c, in)
			}),
			"IssueCertificate": op(func(ctx context.Context, c pca.Caller, in pca.IssueCertificateInput) (any, error) {
				arn, err := svc.IssueCertificate(ctx, c, in)
				return pca.IssueCertificateOutput{CertificateArn: arn}, err
			}),
			"GetCertificate": op(func(ctx context.Context, c pca.Caller, in pca.GetCertificateInput) (any, error) {
				return svc.GetCertificate(ctx, c, in)
			}),
			"PutPolicy": op(func(ctx context.Context, c pca.Caller, in pca.PutPolicyInput) (any, error) {
				return empty, svc.PutPolicy(ctx, c, in)
			}),
			"GetPolicy": op(func(ctx context.Context, c pca.Caller, in resourceInput) (any, error) {
				policy, err := svc.GetPolicy(ctx, c, in.ResourceArn)
				return struct{ Policy string }{policy}, err
			}),
			"DeletePolicy": op(func(ctx context.Context, c pca.Caller, in resourceInput) (any, error) {
				return empty, svc.DeletePolicy(ctx, c, in.ResourceArn)
			}),
			"CreatePermission": op(func(ctx context.Context, c pca.Caller, in pca.CreatePermissionInput) (any, error) {
				return empty, svc.CreatePermission(ctx, c, in)
			}),
			"DeletePermission": op(func(ctx context.Context, c pca.Caller, in pca.DeletePermissionInput) (any, error) {
				return empty, svc.DeletePermission(ctx, c, in)
			}),
			"ListPermissions": op(func(ctx context.Context, c pca.Caller, in pca.ListPermissionsInput) (any, error) {
				out, err := svc.ListPermissions(ctx, c, in)
				wire := permissionsWire{Permissions: make([]permissionWire, len(out.Permissions)), NextToken: out.NextToken}
				for i, p := range out.Permissions {
					wire.Permissions[i] = permissionWire{Permission: p, CreatedAt: toEpoch(p.CreatedAt)}
				}
				return wire, err
			}),
			"RevokeCertificate": op(func(ctx context.Context, c pca.Caller, in pca.RevokeCertificateInput) (any, error) {
				return empty, svc.RevokeCertificate(ctx, c, in)
			}),
		},
	}, nil
}

var empty = struct{}{}

type resourceInput struct {
	ResourceArn string
}

type arnInput struct {
	CertificateAuthorityArn string
}

// op adapts a typed domain call to the edge's Operation.
func op[In any](fn func(context.Context, pca.Caller, In) (any, error)) awsapi.Operation {
	return func(ctx context.Context, caller awsapi.Caller, decode func(any) error) (any, error) {
		var in In
		if err := decode(&in); err != nil {
			return nil, err
		}
		return fn(ctx, pca.Caller{AccountID: caller.AccountID}, in)
	}
}

func mapError(err error) *awsapi.Error {
	var e *pca.Error
	if !errors.As(err, &e) {
		return nil
	}
	status := 400
	if e.Kind == pca.OperationNotImplementedYet {
		status = 501
	}
	return &awsapi.Error{Status: status, Type: string(e.Kind), Message: e.Message}
}

// epoch is a JSON 1.1 timestamp: seconds since the Unix epoch.
type epoch float64

func toEpoch(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(float64(t.UnixMilli()) / 1000)
	return &e
}

// caWire shadows the domain view's times with wire timestamps.
type caWire struct {
	pca.CertificateAuthority
	CreatedAt         *epoch `json:",omitempty"`
	LastStateChangeAt *epoch `json:",omitempty"`
	NotBefore         *epoch `json:",omitempty"`
	NotAfter          *epoch `json:",omitempty"`
	RestorableUntil   *epoch `json:",omitempty"`
}

func wireCA(ca pca.CertificateAuthority) caWire {
	return caWire{CertificateAuthority: ca, CreatedAt: toEpoch(ca.CreatedAt), LastStateChangeAt: toEpoch(ca.LastStateChangeAt),
		NotBefore: toEpoch(ca.NotBefore), NotAfter: toEpoch(ca.NotAfter), RestorableUntil: toEpoch(ca.RestorableUntil)}
}

type listWire struct {
	CertificateAuthorities []caWire
	NextToken              string `json:",omitempty"`
}

type permissionWire struct {
	pca.Permission
	CreatedAt *epoch `json:",omitempty"`
}

type permissionsWire struct {
	Permissions []permissionWire
	NextToken   string `json:",omitempty"`
}
