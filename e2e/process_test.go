package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// TestRestartKeepsState stops the binary with SIGTERM and starts it again on
// the same data directory: CAs, certificates and keys survive.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir)
	resp, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	c := adminClient(p.addr)
	ctx := context.Background()
	rootArn, root := activateRoot(t, c, caSpec{types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa, types.CertificateAuthorityTypeRoot, "Restart Root"})
	leafArn, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "before.internal"), types.SigningAlgorithmSha256withrsa, leafTemplate, days(5))
	p.stop(t)

	info, err := os.Stat(filepath.Join(dir, "kek"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("kek file: %v %v", info, err)
	}
	if info, err := os.Stat(filepath.Join(dir, "credentials")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", info, err)
	}

	p = startProcess(t, dir)
	c = adminClient(p.addr)
	if st := describe(t, c, rootArn).Status; st != types.CertificateAuthorityStatusActive {
		t.Fatalf("after restart the root is %s", st)
	}
	got := must[*acmpca.GetCertificateOutput](t)(c.GetCertificate(ctx, &acmpca.GetCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn), CertificateArn: aws.String(leafArn)}))
	if strings.TrimSpace(*got.Certificate) != strings.TrimSpace(leafPEM) {
		t.Fatal("certificate changed across restart")
	}
	// The sealed key still signs after the restart.
	_, after, _ := issue(t, c, rootArn, leafCSR(t, "after.internal"), types.SigningAlgorithmSha256withrsa, leafTemplate, days(5))
	if err := parseCert(t, after).CheckSignatureFrom(root); err != nil {
		t.Fatal(err)
	}
	p.stop(t)
}

// TestAccountsAreTenants creates a second account with `openpca accounts
// create` while the server runs and checks that each account sees only its own CAs.
func TestAccountsAreTenants(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir)
	admin := adminClient(p.addr)
	adminCA := createCA(t, admin, ecRoot)

	out, err := exec.Command(binary, "accounts", "create", "--data-dir", dir, "--account-id", "111122223333").Output()
	if err != nil {
		t.Fatalf("accounts create: %v", err)
	}
	var creds struct{ AccountId, AccessKeyId, SecretAccessKey string }
	if err := json.Unmarshal(out, &creds); err != nil || creds.AccountId != "111122223333" || creds.AccessKeyId == "" || creds.SecretAccessKey == "" {
		t.Fatalf("accounts create printed %q (%v)", out, err)
	}
	if err := exec.Command(binary, "accounts", "create", "--data-dir", dir, "--account-id", "111122223333").Run(); err == nil {
		t.Fatal("creating the same account twice succeeded")
	}

	tenant := newClient(p.addr, creds.AccessKeyId, creds.SecretAccessKey)
	ctx := context.Background()
	tenantCA := createCA(t, tenant, ecRoot)
	if !strings.Contains(tenantCA, ":111122223333:") {
		t.Fatalf("tenant CA ARN %s", tenantCA)
	}
	list := must[*acmpca.ListCertificateAuthoritiesOutput](t)(tenant.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}))
	if len(list.CertificateAuthorities) != 1 || *list.CertificateAuthorities[0].Arn != tenantCA {
		t.Fatalf("tenant sees %d CAs", len(list.CertificateAuthorities))
	}
	_, err = tenant.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(adminCA)})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = tenant.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(adminCA)})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = admin.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(tenantCA),
		Csr: leafCSR(t, "x.internal"), SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
	wantAPIError(t, err, "AccessDeniedException")
	p.stop(t)
}

// TestStockCLI runs scripts/cli-smoke.sh: the aws CLI takes a root and a
// subordinate to ACTIVE and openssl verifies the chain.
func TestStockCLI(t *testing.T) {
	p := startProcess(t, t.TempDir())
	cmd := exec.Command("bash", "../scripts/cli-smoke.sh")
	cmd.Env = append(os.Environ(), "ENDPOINT=http://"+p.addr, "AWS_ACCESS_KEY_ID="+adminKeyID,
		"AWS_SECRET_ACCESS_KEY="+adminSecret, "AWS_DEFAULT_REGION="+region, "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cli-smoke.sh: %v\n%s\nserver log:\n%s", err, out, p.logs())
	}
	if !strings.Contains(string(out), "smoke: root and subordinate ACTIVE") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	p.stop(t)
}
