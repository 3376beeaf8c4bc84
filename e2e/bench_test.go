package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// BenchmarkIssueVersusRawSigning measures IssueCertificate+GetCertificate
// through the HTTP API (SigV4, JSON, SQLite commit with its outbox row)
// against the raw limit measured in the same run: parse the same CSR, check
// its signature and x509.CreateCertificate with an EC P-256 key in-process.
// It reports api/raw as "api_vs_raw" (1.0 would mean the server adds nothing).
func BenchmarkIssueVersusRawSigning(b *testing.B) {
	dir := b.TempDir()
	addr := startInProcess(b, dir)
	c := adminClient(addr)
	ctx := context.Background()
	caArn, _ := activateRoot(b, c, ecRoot)
	csrPEM := benchCSR(b)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	rawIssuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raw"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0), SubjectKeyId: []byte{1}}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		block, _ := pem.Decode(csrPEM)
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil || csr.CheckSignature() != nil {
			b.Fatal("bad CSR")
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), RawSubject: csr.RawSubject, DNSNames: csr.DNSNames,
			NotBefore: time.Now(), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, rawIssuer, csr.PublicKey, caKey); err != nil {
			b.Fatal(err)
		}
	}
	rawPerOp := time.Since(start) / time.Duration(b.N)
	start = time.Now()
	for i := 0; i < b.N; i++ {
		out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: csrPEM,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(caArn), CertificateArn: out.CertificateArn}); err != nil {
			b.Fatal(err)
		}
	}
	apiPerOp := time.Since(start) / time.Duration(b.N)
	if apiPerOp > 0 {
		b.ReportMetric(float64(rawPerOp)/float64(apiPerOp), "api_vs_raw")
		b.ReportMetric(float64(time.Second)/float64(apiPerOp), "api_certs/s")
		b.ReportMetric(float64(time.Second)/float64(rawPerOp), "raw_certs/s")
	}
}

func benchCSR(b *testing.B) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "bench.internal"},
		DNSNames: []string{"bench.internal"}}, key)
	if err != nil {
		b.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// BenchmarkEventLatency issues b.N certificates at a steady offered rate
// (OPENPCA_BENCH_RATE per second, default 100) with two targets on the rule
// — a loopback webhook (API destination) and an SQS queue read by a long-poll
// consumer — and reports p50/p99 from the IssueCertificate request's start to
// the event's arrival, beside the p50 of a plain loopback POST measured in the
// same run as the floor.
func BenchmarkEventLatency(b *testing.B) {
	rate := 100
	if v, err := strconv.Atoi(os.Getenv("OPENPCA_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	dir := b.TempDir()
	addr := startInProcess(b, dir)
	c := adminClient(addr)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	q := queuesClient(addr, adminKeyID, adminSecret)

	var mu sync.Mutex
	arrived := map[string]map[string]time.Time{"webhook": {}, "sqs": {}}
	record := func(kind, body string) {
		var ev struct{ Resources []string }
		if json.Unmarshal([]byte(body), &ev) == nil && len(ev.Resources) == 2 {
			mu.Lock()
			if _, dup := arrived[kind][ev.Resources[1]]; !dup {
				arrived[kind][ev.Resources[1]] = time.Now()
			}
			mu.Unlock()
		}
	}
	hook := &webhook{Server: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		record("webhook", string(body))
	}))}
	defer hook.Close()
	dest := apiDestination(b, eb, hook, "bench", "/bench", ebtypes.ConnectionAuthorizationTypeApiKey,
		&ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("k")}})
	url, _ := eventQueue(b, eb, q, "bench", `{"detail-type":["ACM Private CA Certificate Issuance"]}`)
	must[*eventbridge.PutTargetsOutput](b)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("bench-rule"),
		Targets: []ebtypes.Target{{Id: aws.String("hook"), Arn: aws.String(dest)}}}))
	caArn, _ := activateRoot(b, c, ecRoot)
	csr := benchCSR(b)

	consumerCtx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	go func() {
		for consumerCtx.Err() == nil {
			out, err := q.ReceiveMessage(consumerCtx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
			if err != nil {
				continue
			}
			var entries []sqstypes.DeleteMessageBatchRequestEntry
			for i, m := range out.Messages {
				record("sqs", *m.Body)
				entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
			if len(entries) > 0 {
				q.DeleteMessageBatch(consumerCtx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
			}
		}
	}()

	// Drain the root's own issuance event so it does not count.
	time.Sleep(200 * time.Millisecond)
	started := map[string]time.Time{}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		t0 := time.Now()
		out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: csr,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
		if err != nil {
			b.Fatal(err)
		}
		started[*out.CertificateArn] = t0
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		done := true
		for arn := range started {
			_, hooked := arrived["webhook"][arn]
			_, queued := arrived["sqs"][arn]
			done = done && hooked && queued
		}
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()

	mu.Lock()
	defer mu.Unlock()
	for _, kind := range []string{"webhook", "sqs"} {
		var lat []time.Duration
		for arn, t0 := range started {
			at, ok := arrived[kind][arn]
			if !ok {
				b.Fatalf("%s: the event of %s never arrived", kind, arn)
			}
			lat = append(lat, at.Sub(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), kind+"_p50_ms")
		b.ReportMetric(ms(lat[(len(lat)*99)/100]), kind+"_p99_ms")
	}
	// The floor: a plain loopback POST of an event-sized body to the same webhook.
	var floor []time.Duration
	body := strings.Repeat("x", 400)
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		resp, err := http.Post(hook.URL+"/floor", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		floor = append(floor, time.Since(t0))
	}
	slices.Sort(floor)
	b.ReportMetric(ms(floor[len(floor)/2]), "loopback_post_p50_ms")
	b.ReportMetric(float64(rate), "offered_issues/s")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
