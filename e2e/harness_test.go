// Package e2e drives the real openpca server — as a subprocess built from
// cmd/openpca, or in-process through internal/server when a test injects a
// failing dependency — with aws-sdk-go-v2, the aws CLI and openssl.
package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"
	"github.com/openpca/openpca/internal/server"
)

const (
	region        = "us-east-1"
	defaultAcct   = "000000000000"
	adminKeyID    = "AKIAE2EADMIN00000001"
	adminSecret   = "e2e-admin-secret-key-0000000000000000000"
	rootTemplate  = "arn:aws:acm-pca:::template/RootCACertificate/V1"
	sub0Template  = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"
	leafTemplate  = "arn:aws:acm-pca:::template/EndEntityCertificate/V1"
	startDeadline = 30 * time.Second
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openpca-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openpca")
	build := exec.Command("go", "build", "-o", binary, "../cmd/openpca")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build openpca:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is openpca running as a subprocess.
type process struct {
	cmd     *exec.Cmd
	addr    string
	dataDir string
	done    chan error
	mu      sync.Mutex
	log     strings.Builder
}

var listeningAddr = regexp.MustCompile(`msg="openpca listening" addr=(\S+)`)

// startProcess runs `openpca serve` on a free loopback port over dataDir.
func startProcess(t *testing.T, dataDir string) *process {
	t.Helper()
	p := &process{dataDir: dataDir, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	p.cmd.Env = append(os.Environ(), "OPENPCA_ACCESS_KEY_ID="+adminKeyID, "OPENPCA_SECRET_ACCESS_KEY="+adminSecret)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listeningAddr.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
		}
		p.done <- p.cmd.Wait()
	}()
	select {
	case p.addr = <-addrc:
	case err := <-p.done:
		t.Fatalf("openpca exited before listening: %v\n%s", err, p.logs())
	case <-time.After(startDeadline):
		p.cmd.Process.Kill()
		t.Fatalf("openpca did not start listening\n%s", p.logs())
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("openpca exited with %v after SIGTERM\n%s", err, p.logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("openpca did not exit after SIGTERM")
	}
}

// startInProcess runs the server in this process, for tests that inject a dependency.
func startInProcess(t testing.TB, dataDir string, opts ...server.Option) string {
	t.Helper()
	opts = append([]server.Option{server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	srv, err := server.New(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dataDir,
		AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv.Addr()
}

func newClient(addr, keyID, secret string) *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:           region,
		BaseEndpoint:     aws.String("http://" + addr),
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 1,
	})
}

func adminClient(addr string) *acmpca.Client { return newClient(addr, adminKeyID, adminSecret) }

// wantAPIError requires err to be an AWS error with the given code.
func wantAPIError(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want %s, got non-API error %v", code, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if apiErr.ErrorMessage() == "" {
		t.Fatalf("%s has an empty message", code)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

type caSpec struct {
	keyAlg  types.KeyAlgorithm
	sigAlg  types.SigningAlgorithm
	caType  types.CertificateAuthorityType
	subject string
}

var ecRoot = caSpec{types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa, types.CertificateAuthorityTypeRoot, "E2E EC Root"}

func createCA(t testing.TB, c *acmpca.Client, spec caSpec) string {
	t.Helper()
	out := must[*acmpca.CreateCertificateAuthorityOutput](t)(c.CreateCertificateAuthority(context.Background(),
		&acmpca.CreateCertificateAuthorityInput{
			CertificateAuthorityType: spec.caType,
			CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: spec.keyAlg, SigningAlgorithm: spec.sigAlg,
				Subject: &types.ASN1Subject{CommonName: aws.String(spec.subject), Organization: aws.String("openpca e2e"), Country: aws.String("NL")},
			},
		}))
	return *out.CertificateAuthorityArn
}

// issue signs a CSR and returns the certificate ARN, its PEM and the chain PEM.
func issue(t testing.TB, c *acmpca.Client, caArn string, csr []byte, sigAlg types.SigningAlgorithm, template string, validity types.Validity) (string, string, string) {
	t.Helper()
	ctx := context.Background()
	out := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(caArn), Csr: csr, SigningAlgorithm: sigAlg,
		TemplateArn: aws.String(template), Validity: &validity}))
	got := must[*acmpca.GetCertificateOutput](t)(c.GetCertificate(ctx, &acmpca.GetCertificateInput{
		CertificateAuthorityArn: aws.String(caArn), CertificateArn: out.CertificateArn}))
	return *out.CertificateArn, *got.Certificate, aws.ToString(got.CertificateChain)
}

func years(n int64) types.Validity {
	return types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(n)}
}
func days(n int64) types.Validity {
	return types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(n)}
}

// activateRoot takes a new ROOT CA to ACTIVE and returns its ARN and certificate.
func activateRoot(t testing.TB, c *acmpca.Client, spec caSpec) (string, *x509.Certificate) {
	t.Helper()
	ctx := context.Background()
	arn := createCA(t, c, spec)
	csr := must[*acmpca.GetCertificateAuthorityCsrOutput](t)(c.GetCertificateAuthorityCsr(ctx,
		&acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(arn)}))
	_, certPEM, _ := issue(t, c, arn, []byte(*csr.Csr), spec.sigAlg, rootTemplate, years(10))
	must[*acmpca.ImportCertificateAuthorityCertificateOutput](t)(c.ImportCertificateAuthorityCertificate(ctx,
		&acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: aws.String(arn), Certificate: []byte(certPEM)}))
	return arn, parseCert(t, certPEM)
}

func describe(t testing.TB, c *acmpca.Client, arn string) *types.CertificateAuthority {
	t.Helper()
	out := must[*acmpca.DescribeCertificateAuthorityOutput](t)(c.DescribeCertificateAuthority(context.Background(),
		&acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(arn)}))
	return out.CertificateAuthority
}

func parseCert(t testing.TB, text string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		t.Fatalf("not PEM: %q", text)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// leafCSR makes an EC P-256 CSR for the given DNS name.
func leafCSR(t testing.TB, dns string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: dns}, DNSNames: []string{dns}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func ptr[T any](v T) *T { return &v }
