package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	testCred = Credential{AccessKeyID: "AKIDTESTKEY0000001", SecretAccessKey: "s3cr3t/TEST+key=", AccountID: "123456789012"}
	signTime = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
)

type staticSource map[string]Credential

func (s staticSource) LookupAccessKey(_ context.Context, id string) (Credential, error) {
	c, ok := s[id]
	if !ok {
		return Credential{}, ErrUnknownAccessKey
	}
	return c, nil
}

func testVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:      "us-east-1",
		Credentials: staticSource{testCred.AccessKeyID: testCred},
		Now:         func() time.Time { return now },
	}
}

func sdkCreds(c Credential) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signSpec describes a request to sign with the SDK's signer.
type signSpec struct {
	method  string
	url     string
	body    []byte
	headers map[string]string
	service string
	region  string
	cred    Credential
	at      time.Time
	payload string // payload hash given to the signer; "" means sha256(body)
	presign int    // X-Amz-Expires; >0 selects PresignHTTP
}

func (s signSpec) withDefaults() signSpec {
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.cred == (Credential{}) {
		s.cred = testCred
	}
	if s.at.IsZero() {
		s.at = signTime
	}
	if s.payload == "" {
		s.payload = hashHex(s.body)
	}
	return s
}

// sign returns the client-side request signed by aws-sdk-go-v2.
func (s signSpec) sign(t testing.TB) *http.Request {
	t.Helper()
	s = s.withDefaults()
	req, err := http.NewRequest(s.method, s.url, bytes.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.body) == 0 {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	opts := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s.service == "s3" }
	signer := v4.NewSigner()
	if s.presign > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(s.presign))
		req.URL.RawQuery = q.Encode()
		uri, hdr, err := signer.PresignHTTP(context.Background(), sdkCreds(s.cred), req, s.payload, s.service, s.region, s.at, opts)
		if err != nil {
			t.Fatal(err)
		}
		preq, err := http.NewRequest(s.method, uri, bytes.NewReader(s.body))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.body) == 0 {
			preq.Body, preq.GetBody, preq.ContentLength = http.NoBody, nil, 0
		}
		for k, vs := range hdr {
			if k != "Host" {
				preq.Header[k] = vs
			}
		}
		return preq
	}
	if err := signer.SignHTTP(context.Background(), sdkCreds(s.cred), req, s.payload, s.service, s.region, s.at, opts); err != nil {
		t.Fatal(err)
	}
	return req
}

// toServer puts a client request on the wire and reads it back the way
// net/http's server does (Host moved to r.Host, RequestURI set, etc.).
func toServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("reading back %q: %v", buf.String(), err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

// signFor signs r with the package's own canonicalisation, for request
// shapes the SDK cannot produce.
func signFor(r *http.Request, in authInput, payload string, key signingKey) string {
	uri := canonicalURIs(wirePath(r), in.auth.Service)[0]
	return hex.EncodeToString(requestSigner(r, parseQuery(r.URL.RawQuery), in, payload, key)(uri))
}
