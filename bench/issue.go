package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const rootTemplate = "arn:aws:acm-pca:::template/RootCACertificate/V1"

// httpClient is shared by every SDK client. The SDK's default transport keeps
// only 10 idle connections per host; above that concurrency it would open
// and close connections, and the bench would measure TCP setup.
var httpClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 512
})

var creds = credentials.NewStaticCredentialsProvider(adminKeyID, adminSecret, "")

// Retries are off so that a failing server shows up as errors rather than
// as slower requests.
func pcaClient(addr string) *acmpca.Client {
	return acmpca.New(acmpca.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: creds, HTTPClient: httpClient, RetryMaxAttempts: 1})
}

func eventsClient(addr string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: creds, HTTPClient: httpClient, RetryMaxAttempts: 1})
}

func queuesClient(addr string) *sqs.Client {
	return sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: creds, HTTPClient: httpClient, RetryMaxAttempts: 1})
}

type caKind struct {
	name   string // as printed in the table
	keyAlg types.KeyAlgorithm
	sigAlg types.SigningAlgorithm
	rawKey func() (crypto.Signer, error) // the in-process baseline's CA key
}

var (
	ecCA = caKind{"EC P-256", types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa,
		func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }}
	rsaCA = caKind{"RSA 2048", types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa,
		func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }}
)

// activateRoot takes a new root CA to ACTIVE the way a user does: create,
// fetch its CSR, issue the CA certificate from the RootCACertificate
// template, fetch it and import it.
func activateRoot(ctx context.Context, c *acmpca.Client, kind caKind) (string, error) {
	out, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
			KeyAlgorithm: kind.keyAlg, SigningAlgorithm: kind.sigAlg,
			Subject: &types.ASN1Subject{CommonName: aws.String("bench " + kind.name + " root"), Organization: aws.String("openpca bench")},
		}})
	if err != nil {
		return "", fmt.Errorf("CreateCertificateAuthority: %w", err)
	}
	arn := out.CertificateAuthorityArn
	csr, err := c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: arn})
	if err != nil {
		return "", fmt.Errorf("GetCertificateAuthorityCsr: %w", err)
	}
	iss, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: arn, Csr: []byte(*csr.Csr),
		SigningAlgorithm: kind.sigAlg, TemplateArn: aws.String(rootTemplate),
		Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(10)}})
	if err != nil {
		return "", fmt.Errorf("IssueCertificate (root): %w", err)
	}
	got, err := c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: arn, CertificateArn: iss.CertificateArn})
	if err != nil {
		return "", fmt.Errorf("GetCertificate (root): %w", err)
	}
	if _, err := c.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: arn, Certificate: []byte(*got.Certificate)}); err != nil {
		return "", fmt.Errorf("ImportCertificateAuthorityCertificate: %w", err)
	}
	return *arn, nil
}

// leafCSR is the one CSR every issuance sends: an EC P-256 key, as most
// TLS leaves now are, whatever the CA's own key type.
func leafCSR(dns string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: dns}, DNSNames: []string{dns}}, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// issueOp is one unit of the issuance workload: IssueCertificate, then
// GetCertificate of what it returned, as a client that wants the PEM does.
func issueOp(c *acmpca.Client, caArn string, sigAlg types.SigningAlgorithm, csr []byte) func(context.Context) error {
	validity := &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}
	return func(ctx context.Context) error {
		out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: csr,
			SigningAlgorithm: sigAlg, Validity: validity})
		if err != nil {
			return err
		}
		_, err = c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateArn: out.CertificateArn})
		return err
	}
}

// rawSignOp is the floor under issuance: what any CA must do per
// certificate — decode and parse the CSR, check its signature, and sign a
// leaf with the CA key — without HTTP, SigV4, JSON, policy or storage.
func rawSignOp(kind caKind, csrPEM []byte) (func(context.Context) error, error) {
	key, err := kind.rawKey()
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	ski := sha1.Sum(pubDER)
	now := time.Now()
	issuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench raw " + kind.name},
		IsCA: true, BasicConstraintsValid: true, NotBefore: now, NotAfter: now.AddDate(10, 0, 0), SubjectKeyId: ski[:],
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	serialLimit := new(big.Int).Lsh(big.NewInt(1), 127)
	return func(context.Context) error {
		block, _ := pem.Decode(csrPEM)
		if block == nil {
			return errors.New("CSR is not PEM")
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return err
		}
		if err := csr.CheckSignature(); err != nil {
			return err
		}
		serial, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return err
		}
		now := time.Now()
		tmpl := &x509.Certificate{SerialNumber: serial, RawSubject: csr.RawSubject, DNSNames: csr.DNSNames,
			NotBefore: now, NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
		_, err = x509.CreateCertificate(rand.Reader, tmpl, issuer, csr.PublicKey, key)
		return err
	}, nil
}

type runResult struct {
	ops     int64
	errors  int64
	elapsed time.Duration
	cpu     time.Duration // CPU time of the measured process over the window
	lastErr error
}

func (r runResult) perSecond() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r runResult) cpuPerOp() time.Duration {
	if r.ops == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ops)
}

// closedLoop runs op on conc goroutines flat out. It warms up first
// (connection setup, the SQLite page cache and heap growth happen there),
// then counts completions and CPU time between two snapshots; operations
// straddling a snapshot are counted where they complete, which averages
// out over a run. during, if set, replaces the sleep between the
// snapshots (the profile fetch uses it).
func closedLoop(ctx context.Context, conc int, warm, dur time.Duration, cpu func() time.Duration,
	op func(context.Context) error, during func()) runResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ops, errs atomic.Int64
	var lastErr atomic.Value
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := op(ctx); err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					lastErr.Store(err)
					continue
				}
				ops.Add(1)
			}
		}()
	}
	sleep(ctx, warm)
	ops0, errs0, cpu0, t0 := ops.Load(), errs.Load(), cpu(), time.Now()
	if during != nil {
		during()
	} else {
		sleep(ctx, dur)
	}
	res := runResult{ops: ops.Load() - ops0, errors: errs.Load() - errs0, cpu: cpu() - cpu0, elapsed: time.Since(t0)}
	cancel()
	wg.Wait()
	if e, ok := lastErr.Load().(error); ok {
		res.lastErr = e
	}
	return res
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// fetchProfile reads a CPU profile of the server for the given seconds
// into file. The server's WriteTimeout (60 s) caps the length.
func fetchProfile(addr string, seconds int, file string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("pprof: %s: %s", resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
