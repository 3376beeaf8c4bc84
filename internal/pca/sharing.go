package pca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// acmPrincipal is the only service principal a CA can grant permissions to.
const acmPrincipal = "acm.amazonaws.com"

type PutPolicyInput struct {
	ResourceArn string
	Policy      string
}

type Permission struct {
	CertificateAuthorityArn string
	CreatedAt               time.Time
	Principal               string
	SourceAccount           string
	Actions                 []string
	Policy                  string
}

type CreatePermissionInput struct {
	CertificateAuthorityArn string
	Principal               string
	SourceAccount           string
	Actions                 []string
}

type DeletePermissionInput struct {
	CertificateAuthorityArn string
	Principal               string
	SourceAccount           string
}

type ListPermissionsInput struct {
	CertificateAuthorityArn string
	MaxResults              *int32
	NextToken               string
}

type ListPermissionsOutput struct {
	Permissions []Permission
	NextToken   string
}

// PutPolicy attaches a resource policy that shares the CA with other
// accounts. Only the owner can change it.
func (s *Service) PutPolicy(ctx context.Context, caller Caller, in PutPolicyInput) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.ResourceArn, "", nil)
		if err != nil {
			return err
		}
		if err := requireUsable(ca); err != nil {
			return err
		}
		p, err := parsePolicy(in.Policy, ca.ARN)
		if err != nil {
			return err
		}
		return tx.PutPolicy(ctx, store.Policy{CAID: ca.ID, Document: in.Policy, Principals: p.grantees(), UpdatedAt: s.clock.Now()})
	})
}

func (s *Service) GetPolicy(ctx context.Context, caller Caller, arn string) (string, error) {
	ca, err := s.loadCA(ctx, s.store, caller, arn, "", nil)
	if err != nil {
		return "", err
	}
	p, err := s.store.GetPolicy(ctx, ca.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", fail(ResourceNotFound, "Certificate authority %s has no resource policy.", arn)
	}
	if err != nil {
		return "", fmt.Errorf("pca: get policy: %w", err)
	}
	return p.Document, nil
}

// DeletePolicy unshares the CA: other accounts lose access at once.
func (s *Service) DeletePolicy(ctx context.Context, caller Caller, arn string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, arn, "", nil)
		if err != nil {
			return err
		}
		err = tx.DeletePolicy(ctx, ca.ID)
		if errors.Is(err, store.ErrNotFound) {
			return fail(ResourceNotFound, "Certificate authority %s has no resource policy.", arn)
		}
		return err
	})
}

func requireUsable(ca store.CA) error {
	if ca.Status == StatusDeleted || ca.Status == StatusFailed {
		return fail(InvalidState, "The certificate authority %s is %s.", ca.ARN, ca.Status)
	}
	return nil
}

func (s *Service) CreatePermission(ctx context.Context, caller Caller, in CreatePermissionInput) error {
	if in.Principal != acmPrincipal {
		return fail(ValidationFailed, "Principal must be %s.", acmPrincipal)
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		if err := requireUsable(ca); err != nil {
			return err
		}
		source := in.SourceAccount
		if source == "" {
			source = ca.AccountID
		}
		err = tx.InsertPermission(ctx, store.Permission{CAID: ca.ID, Principal: in.Principal, SourceAccount: source,
			Actions: dedupe(in.Actions), CreatedAt: s.clock.Now()})
		if errors.Is(err, store.ErrConflict) {
			return fail(PermissionAlreadyExists, "The permission for %s already exists on %s.", in.Principal, ca.ARN)
		}
		return err
	})
}

func (s *Service) DeletePermission(ctx context.Context, caller Caller, in DeletePermissionInput) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		source := in.SourceAccount
		if source == "" {
			source = ca.AccountID
		}
		err = tx.DeletePermission(ctx, ca.ID, in.Principal, source)
		if errors.Is(err, store.ErrNotFound) {
			return fail(ResourceNotFound, "No permission for %s exists on %s.", in.Principal, ca.ARN)
		}
		return err
	})
}

func (s *Service) ListPermissions(ctx context.Context, caller Caller, in ListPermissionsInput) (ListPermissionsOutput, error) {
	ca, err := s.loadCA(ctx, s.store, caller, in.CertificateAuthorityArn, ActionListPermissions, nil)
	if err != nil {
		return ListPermissionsOutput{}, err
	}
	perms, err := s.store.ListPermissions(ctx, ca.ID)
	if err != nil {
		return ListPermissionsOutput{}, fmt.Errorf("pca: list permissions: %w", err)
	}
	start, err := decodeToken(in.NextToken)
	if err != nil {
		return ListPermissionsOutput{}, err
	}
	limit := int64(defaultListMaxResults)
	if in.MaxResults != nil {
		limit = int64(*in.MaxResults)
	}
	out := ListPermissionsOutput{Permissions: []Permission{}}
	for i := start; i < int64(len(perms)); i++ {
		if int64(len(out.Permissions)) == limit {
			out.NextToken = encodeToken(i)
			break
		}
		p := perms[i]
		out.Permissions = append(out.Permissions, Permission{CertificateAuthorityArn: ca.ARN, CreatedAt: p.CreatedAt,
			Principal: p.Principal, SourceAccount: p.SourceAccount, Actions: p.Actions, Policy: permissionPolicy(ca.ARN, p)})
	}
	return out, nil
}

// permissionPolicy renders a permission as the IAM policy AWS reports for it.
func permissionPolicy(caArn string, p store.Permission) string {
	actions := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		actions[i] = "acm-pca:" + a
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "PcaPermission", "Effect": "Allow", "Principal": map[string]string{"Service": p.Principal},
		"Action": actions, "Resource": caArn,
		"Condition": map[string]any{"StringEquals": map[string]string{"aws:SourceAccount": p.SourceAccount}},
	}}}
	b, _ := json.Marshal(doc)
	return string(b)
}

func dedupe(in []string) []string {
	var out []string
	for _, v := range in {
		if !containsString(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// sharedCAs lists other accounts' CAs whose policy lets the caller describe them.
func (s *Service) sharedCAs(ctx context.Context, caller Caller, after int64, limit int) ([]store.CA, error) {
	cas, err := s.store.ListSharedCAs(ctx, caller.AccountID, s.region, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pca: list shared: %w", err)
	}
	return cas, nil
}
