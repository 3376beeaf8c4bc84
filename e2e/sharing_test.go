package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// newAccount runs `openpca accounts create` on the data directory of a running server.
func newAccount(t *testing.T, dir, addr string) (*acmpca.Client, string) {
	t.Helper()
	out, err := exec.Command(binary, "accounts", "create", "--data-dir", dir).Output()
	if err != nil {
		t.Fatalf("accounts create: %v", err)
	}
	var creds struct{ AccountId, AccessKeyId, SecretAccessKey string }
	if err := json.Unmarshal(out, &creds); err != nil {
		t.Fatal(err)
	}
	return newClient(addr, creds.AccessKeyId, creds.SecretAccessKey), creds.AccountId
}

func sharePolicy(caArn, account string, actions []string, templateCondition string) string {
	st := map[string]any{"Sid": "share", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"},
		"Action": actions, "Resource": caArn}
	if templateCondition != "" {
		st["Condition"] = map[string]any{"StringEquals": map[string]string{"acm-pca:TemplateArn": templateCondition}}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
	return string(b)
}

func TestResourcePolicySharing(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	owner := adminClient(addr)
	ctx := context.Background()
	caArn, root := activateRoot(t, owner, ecRoot)
	other, otherAcct := newAccount(t, dir, addr)
	third, _ := newAccount(t, dir, addr)

	issueIn := func(template string) *acmpca.IssueCertificateInput {
		return &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: leafCSR(t, "shared.internal"),
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, TemplateArn: aws.String(template), Validity: ptr(days(2))}
	}
	describeIn := &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(caArn)}

	// Unshared: refused.
	_, err := other.IssueCertificate(ctx, issueIn(leafTemplate))
	wantAPIError(t, err, "AccessDeniedException")
	_, err = other.DescribeCertificateAuthority(ctx, describeIn)
	wantAPIError(t, err, "AccessDeniedException")
	_, err = other.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(caArn), Policy: aws.String(sharePolicy(caArn, otherAcct, []string{"acm-pca:*"}, ""))})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = owner.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: aws.String(caArn)})
	wantAPIError(t, err, "ResourceNotFoundException")

	// Bad policies are refused and change nothing.
	for name, bad := range map[string]string{
		"not JSON":              "{",
		"foreign resource":      sharePolicy("arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555", otherAcct, []string{"acm-pca:IssueCertificate"}, ""),
		"not an acm-pca action": sharePolicy(caArn, otherAcct, []string{"s3:GetObject"}, ""),
		"bad principal":         `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"nobody"},"Action":"acm-pca:GetCertificate","Resource":"` + caArn + `"}]}`,
	} {
		_, err = owner.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(caArn), Policy: aws.String(bad)})
		if err == nil {
			t.Fatalf("%s: policy accepted", name)
		}
		wantAPIError(t, err, "InvalidPolicyException")
	}

	actions := []string{"acm-pca:IssueCertificate", "acm-pca:GetCertificate", "acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificateAuthorityCertificate"}
	policy := sharePolicy(caArn, otherAcct, actions, "")
	must[*acmpca.PutPolicyOutput](t)(owner.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(caArn), Policy: aws.String(policy)}))
	got := must[*acmpca.GetPolicyOutput](t)(owner.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: aws.String(caArn)}))
	if *got.Policy != policy {
		t.Fatalf("GetPolicy returned %s", *got.Policy)
	}

	// Shared: the granted actions work for the named account only.
	issued := must[*acmpca.IssueCertificateOutput](t)(other.IssueCertificate(ctx, issueIn(leafTemplate)))
	cert := must[*acmpca.GetCertificateOutput](t)(other.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateArn: issued.CertificateArn}))
	if err := parseCert(t, *cert.Certificate).CheckSignatureFrom(root); err != nil {
		t.Fatal(err)
	}
	if d := must[*acmpca.DescribeCertificateAuthorityOutput](t)(other.DescribeCertificateAuthority(ctx, describeIn)); *d.CertificateAuthority.OwnerAccount != defaultAcct {
		t.Fatalf("owner %s", *d.CertificateAuthority.OwnerAccount)
	}
	must[*acmpca.GetCertificateAuthorityCertificateOutput](t)(other.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(caArn)}))
	shared := must[*acmpca.ListCertificateAuthoritiesOutput](t)(other.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{ResourceOwner: types.ResourceOwnerOtherAccounts}))
	if len(shared.CertificateAuthorities) != 1 || *shared.CertificateAuthorities[0].Arn != caArn {
		t.Fatalf("OTHER_ACCOUNTS lists %d CAs", len(shared.CertificateAuthorities))
	}
	own := must[*acmpca.ListCertificateAuthoritiesOutput](t)(other.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}))
	if len(own.CertificateAuthorities) != 0 {
		t.Fatal("a shared CA is listed as the grantee's own")
	}
	for name, call := range map[string]func() error{
		"revoke": func() error {
			_, err := other.RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateSerial: aws.String("01"), RevocationReason: types.RevocationReasonUnspecified})
			return err
		},
		"update": func() error {
			_, err := other.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: aws.String(caArn), Status: types.CertificateAuthorityStatusDisabled})
			return err
		},
		"csr": func() error {
			_, err := other.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(caArn)})
			return err
		},
		"third account": func() error {
			_, err := third.IssueCertificate(ctx, issueIn(leafTemplate))
			return err
		},
	} {
		t.Run("fail/"+name, func(t *testing.T) { wantAPIError(t, call(), "AccessDeniedException") })
	}

	// The Issuance event of a shared issuance goes to the owner's account.
	evs := outbox(t, dir)
	last := evs[len(evs)-1]
	checkSeedShape(t, last.Payload, "ACM Private CA Certificate Issuance", defaultAcct, []string{caArn, *issued.CertificateArn}, `{"result":"success"}`)

	// A template condition narrows the grant.
	conditioned := sharePolicy(caArn, otherAcct, []string{"acm-pca:IssueCertificate"}, "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1")
	must[*acmpca.PutPolicyOutput](t)(owner.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(caArn), Policy: aws.String(conditioned)}))
	_, err = other.IssueCertificate(ctx, issueIn(leafTemplate))
	wantAPIError(t, err, "AccessDeniedException")
	must[*acmpca.IssueCertificateOutput](t)(other.IssueCertificate(ctx, issueIn("arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1")))

	// Unsharing revokes access at once.
	must[*acmpca.DeletePolicyOutput](t)(owner.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: aws.String(caArn)}))
	_, err = other.IssueCertificate(ctx, issueIn("arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"))
	wantAPIError(t, err, "AccessDeniedException")
	_, err = other.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateArn: issued.CertificateArn})
	wantAPIError(t, err, "AccessDeniedException")
	shared = must[*acmpca.ListCertificateAuthoritiesOutput](t)(other.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{ResourceOwner: types.ResourceOwnerOtherAccounts}))
	if len(shared.CertificateAuthorities) != 0 {
		t.Fatal("an unshared CA is still listed")
	}
}

func TestPermissions(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := adminClient(addr)
	ctx := context.Background()
	caArn, _ := activateRoot(t, c, ecRoot)
	in := &acmpca.CreatePermissionInput{CertificateAuthorityArn: aws.String(caArn), Principal: aws.String("acm.amazonaws.com"),
		Actions: []types.ActionType{types.ActionTypeIssueCertificate, types.ActionTypeGetCertificate, types.ActionTypeListPermissions}}
	must[*acmpca.CreatePermissionOutput](t)(c.CreatePermission(ctx, in))
	_, err := c.CreatePermission(ctx, in)
	wantAPIError(t, err, "PermissionAlreadyExistsException")
	list := must[*acmpca.ListPermissionsOutput](t)(c.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: aws.String(caArn)}))
	if len(list.Permissions) != 1 {
		t.Fatalf("%d permissions", len(list.Permissions))
	}
	p := list.Permissions[0]
	if *p.Principal != "acm.amazonaws.com" || *p.SourceAccount != defaultAcct || len(p.Actions) != 3 || p.CreatedAt == nil || p.Policy == nil {
		t.Fatalf("permission %+v", p)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(*p.Policy), &doc); err != nil {
		t.Fatalf("permission policy %q: %v", *p.Policy, err)
	}
	_, err = c.CreatePermission(ctx, &acmpca.CreatePermissionInput{CertificateAuthorityArn: aws.String(caArn), Principal: aws.String("evil.example.com"),
		Actions: []types.ActionType{types.ActionTypeIssueCertificate}})
	wantAPIError(t, err, "ValidationException")
	must[*acmpca.DeletePermissionOutput](t)(c.DeletePermission(ctx, &acmpca.DeletePermissionInput{CertificateAuthorityArn: aws.String(caArn), Principal: aws.String("acm.amazonaws.com")}))
	_, err = c.DeletePermission(ctx, &acmpca.DeletePermissionInput{CertificateAuthorityArn: aws.String(caArn), Principal: aws.String("acm.amazonaws.com")})
	wantAPIError(t, err, "ResourceNotFoundException")
	list = must[*acmpca.ListPermissionsOutput](t)(c.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: aws.String(caArn)}))
	if len(list.Permissions) != 0 {
		t.Fatal(fmt.Sprint("permission survived deletion: ", list.Permissions))
	}
}
