package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var jsonBody = []byte(`{"MaxResults":10,"NextToken":"a b+c/d"}`)

func acmPCASpec() signSpec {
	return signSpec{
		url:  "https://acm-pca.us-east-1.amazonaws.com/",
		body: jsonBody,
		headers: map[string]string{
			"Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Target": "ACMPrivateCA.ListCertificateAuthorities",
		},
		service: "acm-pca",
	}
}

func s3PutSpec() signSpec {
	body := []byte("hello, object")
	return signSpec{
		method: http.MethodPut,
		// Valid escaping, so net/url keeps it as RawPath and %2F/%2B survive.
		url:  "http://localhost:9000/bucket/my%20folder/%C3%BCn%C3%AFc%C3%B8d%C3%A9%2B%2Fx.txt?x-id=PutObject&tagging&prefix=a%20b",
		body: body,
		headers: map[string]string{
			"X-Amz-Content-Sha256": hashHex(body),
			"Content-Type":         "text/plain",
			"X-Amz-Meta-Note":      "  spaced   out  value ",
		},
		service: "s3",
	}
}

func TestVerify(t *testing.T) {
	type result struct {
		code    Code   // "" means success
		message string // substring of Error.Message, if set
	}
	ok := result{}
	cases := []struct {
		name    string
		spec    signSpec
		now     time.Time                       // zero means signTime
		skew    time.Duration                   // Verifier.MaxSkew
		tamper  func(r *http.Request, b []byte) // applied to the server-side request
		newBody []byte                          // replaces the body handed to Verify
		want    result
	}{
		{name: "acm-pca json post", spec: acmPCASpec(), want: ok},
		{name: "events json post", spec: signSpec{
			url: "https://events.us-east-1.amazonaws.com/", body: []byte(`{"Entries":[]}`), service: "events",
			headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.PutEvents"},
		}, want: ok},
		{name: "sqs json 1.0 on a custom port", spec: signSpec{
			url: "http://localhost:4566/", body: []byte(`{"QueueUrl":"http://localhost:4566/123/q"}`), service: "sqs",
			headers: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"},
		}, want: ok},
		{name: "non-s3 path is escaped twice", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:8080/a%20b/%C3%BC/%2F/x?b=2&a=1&a=0&sp=x+y&enc=%2F%3D", service: "execute-api",
		}, want: ok},
		{name: "non-s3 unescaped path given to the client", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:8080/a b/ü€/c+d", service: "execute-api",
		}, want: ok},
		{name: "s3 unescaped path given to the client", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:8080/bucket/a b/ü€/c+d", service: "s3",
		}, want: ok},
		{name: "s3 path with spaces, unicode, %2F and query", spec: s3PutSpec(), want: ok},
		{name: "s3 unsigned payload", spec: func() signSpec {
			s := s3PutSpec()
			s.payload = "UNSIGNED-PAYLOAD"
			s.headers = map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}
			return s
		}(), want: ok},
		{name: "s3 streaming payload accepted as-is", spec: func() signSpec {
			s := s3PutSpec()
			s.payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
			s.headers = map[string]string{"X-Amz-Content-Sha256": s.payload}
			return s
		}(), want: ok},
		{name: "s3 presigned get", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:9000/bucket/some%20key/%C3%A9.txt?versionId=3", service: "s3",
			payload: "UNSIGNED-PAYLOAD", presign: 3600,
		}, now: signTime.Add(59 * time.Minute), want: ok},
		{name: "s3 fifteen minute skew", spec: s3PutSpec(), now: signTime.Add(10 * time.Minute), skew: 15 * time.Minute, want: ok},
		{name: "within default skew", spec: acmPCASpec(), now: signTime.Add(-4 * time.Minute), want: ok},

		{name: "wrong secret", spec: func() signSpec {
			s := acmPCASpec()
			s.cred = Credential{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: "not-the-secret"}
			return s
		}(), want: result{CodeInvalidSignature, "does not match the signature you provided"}},
		{name: "unknown key", spec: func() signSpec {
			s := acmPCASpec()
			s.cred = Credential{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}
			return s
		}(), want: result{CodeUnrecognizedClient, "The security token included in the request is invalid."}},
		{name: "region mismatch", spec: func() signSpec {
			s := acmPCASpec()
			s.region = "eu-west-1"
			return s
		}(), want: result{CodeInvalidSignature, "Credential should be scoped to a valid region, not 'eu-west-1'. "}},
		{name: "six minutes in the past", spec: acmPCASpec(), now: signTime.Add(6 * time.Minute),
			want: result{CodeSignatureExpired, "Signature expired: 20250314T150926Z is now earlier than 20250314T151026Z (20250314T151526Z - 5 min.)"}},
		{name: "six minutes in the future", spec: acmPCASpec(), now: signTime.Add(-6 * time.Minute),
			want: result{CodeSignatureExpired, "Signature not yet current: 20250314T150926Z is still later than"}},
		{name: "tampered body", spec: acmPCASpec(), newBody: []byte(`{"MaxResults":11}`),
			want: result{CodeInvalidSignature, "does not match the signature you provided"}},
		{name: "tampered body under declared hash", spec: s3PutSpec(), newBody: []byte("hello, 0bject"),
			want: result{CodeInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed."}},
		{name: "junk payload hash", spec: func() signSpec {
			s := s3PutSpec()
			s.payload = "whatever"
			s.headers = map[string]string{"X-Amz-Content-Sha256": "whatever"}
			return s
		}(), want: result{CodeInvalidSignature, "x-amz-content-sha256 must be"}},
		{name: "tampered header", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) {
				r.Header.Set("X-Amz-Target", "ACMPrivateCA.DeleteCertificateAuthority")
			},
			want: result{CodeInvalidSignature, "does not match"}},
		{name: "tampered host", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) { r.Host = "evil.example.com" },
			want:   result{CodeInvalidSignature, "does not match"}},
		{name: "tampered query", spec: s3PutSpec(),
			tamper: func(r *http.Request, _ []byte) { r.URL.RawQuery += "&acl" },
			want:   result{CodeInvalidSignature, "does not match"}},
		{name: "tampered path", spec: s3PutSpec(),
			tamper: func(r *http.Request, _ []byte) { r.RequestURI = strings.Replace(r.RequestURI, "%2F", "/", 1) },
			want:   result{CodeInvalidSignature, "does not match"}},
		{name: "missing authorization", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) { r.Header.Del("Authorization") },
			want:   result{CodeMissingAuthentication, "Missing Authentication Token"}},
		{name: "malformed authorization", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250314/us-east-1/acm-pca/aws4_request")
			},
			want: result{CodeIncompleteSignature, "requires 'Signature' parameter"}},
		{name: "unsupported algorithm", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "AWS AKID:c2lnbmF0dXJl") },
			want:   result{CodeIncompleteSignature, ""}},
		{name: "host not signed", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", strings.Replace(a, "SignedHeaders=", "SignedHeaders=x-amz-target;", 1))
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
			},
			want: result{CodeIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader'"}},
		{name: "missing x-amz-date", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) { r.Header.Del("X-Amz-Date") },
			want:   result{CodeIncompleteSignature, "either a 'X-Amz-Date' or a 'Date' header"}},
		{name: "scope date mismatch", spec: acmPCASpec(), now: time.Date(2025, 3, 15, 0, 1, 0, 0, time.UTC),
			tamper: func(r *http.Request, _ []byte) { r.Header.Set("X-Amz-Date", "20250315T000100Z") },
			want:   result{CodeInvalidSignature, "Date in Credential scope does not match"}},
		{name: "expired presign", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:9000/bucket/key", service: "s3", payload: "UNSIGNED-PAYLOAD", presign: 3600,
		}, now: signTime.Add(time.Hour + time.Second), want: result{CodeSignatureExpired, "Request has expired"}},
		{name: "presign expiry beyond a week", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:9000/bucket/key", service: "s3", payload: "UNSIGNED-PAYLOAD", presign: 604801,
		}, want: result{CodeIncompleteSignature, "less than a week"}},
		{name: "presign missing a parameter", spec: signSpec{
			method: http.MethodGet, url: "http://localhost:9000/bucket/key", service: "s3", payload: "UNSIGNED-PAYLOAD", presign: 60,
		}, tamper: func(r *http.Request, _ []byte) {
			q := r.URL.Query()
			q.Del("X-Amz-SignedHeaders")
			r.URL.RawQuery = q.Encode()
			r.RequestURI = r.URL.RequestURI()
		}, want: result{CodeIncompleteSignature, "Query-string authentication version 4 requires"}},
		{name: "header and presign together", spec: acmPCASpec(),
			tamper: func(r *http.Request, _ []byte) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			want:   result{CodeIncompleteSignature, "Only one auth mechanism allowed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, body := toServer(t, tc.spec.sign(t))
			if tc.tamper != nil {
				tc.tamper(r, body)
			}
			if tc.newBody != nil {
				body = tc.newBody
			}
			now := tc.now
			if now.IsZero() {
				now = signTime
			}
			v := testVerifier(now)
			v.MaxSkew = tc.skew
			id, err := v.Verify(context.Background(), r, body)
			if tc.want.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := tc.spec.withDefaults()
				if id.Credential != testCred || id.Service != want.service || id.Region != "us-east-1" || !id.SignedAt.Equal(want.at) {
					t.Fatalf("identity = %+v", id)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify error = %v, want *Error %s", err, tc.want.code)
			}
			if e.Code != tc.want.code || !strings.Contains(e.Message, tc.want.message) {
				t.Fatalf("Verify error = %s: %q, want %s containing %q", e.Code, e.Message, tc.want.code, tc.want.message)
			}
			if !strings.HasPrefix(err.Error(), "sigv4: ") || strings.HasPrefix(e.Message, "sigv4") {
				t.Fatalf("prefix belongs on Error() only: %q / %q", err.Error(), e.Message)
			}
		})
	}
}

func TestKeyCacheFilledOnlyBySuccess(t *testing.T) {
	probe := func(service, secret string) bool {
		spec := acmPCASpec()
		spec.service = service
		spec.cred = Credential{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: secret}
		r, body := toServer(t, spec.sign(t))
		_, _ = testVerifier(signTime).Verify(context.Background(), r, body)
		_, ok := signingKeys.get(testCred.SecretAccessKey, "20250314", "us-east-1", service)
		return ok
	}
	if probe("cache-probe-forged", "guess") {
		t.Fatal("a failed verification populated the key cache")
	}
	if !probe("cache-probe-real", testCred.SecretAccessKey) {
		t.Fatal("a successful verification did not populate the key cache")
	}
}
