package sigv4

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Known answers from the AWS SigV4 test suite (AKIDEXAMPLE, service
// "service") and the worked examples in the Amazon S3 API reference
// (AKIAIOSFODNN7EXAMPLE). The requests are parsed from raw HTTP so the
// verifier sees exactly what a server would.
func TestKnownAnswers(t *testing.T) {
	suite := Credential{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	s3doc := Credential{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	suiteAt := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	s3At := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	const (
		suiteAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
		vanilla   = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
		emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	)
	suiteReq := func(method, target, sig string) string {
		return method + " " + target + " HTTP/1.1\r\nHost: example.amazonaws.com\r\nX-Amz-Date: 20150830T123600Z\r\n" +
			"Authorization: " + suiteAuth + sig + "\r\n\r\n"
	}
	cases := []struct {
		name  string
		cred  Credential
		at    time.Time
		raw   string
		body  string
		valid bool
	}{
		{"get-vanilla", suite, suiteAt, suiteReq("GET", "/", vanilla), "", true},
		{"get-vanilla-query-order-key-case", suite, suiteAt,
			suiteReq("GET", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"), "", true},
		{"post-vanilla", suite, suiteAt, suiteReq("POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"), "", true},
		// Non-S3 services normalise the path, so these share get-vanilla's
		// canonical request and hence its signature.
		{"get-relative-relative", suite, suiteAt, suiteReq("GET", "/example1/example2/../..", vanilla), "", true},
		{"get-slash", suite, suiteAt, suiteReq("GET", "//", vanilla), "", true},
		{"get-slash-dot-slash", suite, suiteAt, suiteReq("GET", "/./", vanilla), "", true},
		{"vanilla signature on another path", suite, suiteAt, suiteReq("GET", "/example1", vanilla), "", false},
		{"vanilla signature as a post", suite, suiteAt, suiteReq("POST", "/", vanilla), "", false},

		{"s3 get object", s3doc, s3At, "GET /test.txt HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n" +
			"Range: bytes=0-9\r\nx-amz-content-sha256: " + emptyHash + "\r\nx-amz-date: 20130524T000000Z\r\n" +
			"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
			"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41\r\n\r\n", "", true},
		{"s3 put object", s3doc, s3At, "PUT /test%24file.text HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n" +
			"Date: Fri, 24 May 2013 00:00:00 GMT\r\nx-amz-date: 20130524T000000Z\r\nx-amz-storage-class: REDUCED_REDUNDANCY\r\n" +
			"x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\r\nContent-Length: 21\r\n" +
			"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," +
			"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd\r\n\r\n", "Welcome to Amazon S3.", true},
		{"s3 list objects", s3doc, s3At, "GET /?max-keys=2&prefix=J HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\n" +
			"x-amz-content-sha256: " + emptyHash + "\r\nx-amz-date: 20130524T000000Z\r\n" +
			"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=host;x-amz-content-sha256;x-amz-date," +
			"Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7\r\n\r\n", "", true},
		{"s3 presigned get", s3doc, s3At.Add(23 * time.Hour), "GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
			"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
			"&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
			"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\r\n" +
			"Host: examplebucket.s3.amazonaws.com\r\n\r\n", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.raw + tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			v := &Verifier{
				Region:      "us-east-1",
				Credentials: staticSource{tc.cred.AccessKeyID: tc.cred},
				Now:         func() time.Time { return tc.at },
			}
			_, err = v.Verify(context.Background(), r, body)
			if tc.valid && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.valid && err == nil {
				t.Fatal("Verify accepted a signature made for another request")
			}
		})
	}
}

func TestDateHeaderFallback(t *testing.T) {
	// Requests that carry only Date are signed with its ISO-8601 form;
	// no SDK does this any more, so sign with the package's own pieces.
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	r, err := http.NewRequest(http.MethodGet, "http://example.com/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Date", at.Format(http.TimeFormat))
	in := authInput{
		auth:     Authorization{Date: "20250314", Region: "us-east-1", Service: "svc", SignedHeaders: []string{"date", "host"}},
		amzDate:  "20250314T150926Z",
		signedAt: at,
	}
	key := deriveSigningKey(testCred.SecretAccessKey, "20250314", "us-east-1", "svc")
	sig := signFor(r, in, hashHex(nil), key)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testCred.AccessKeyID+
		"/20250314/us-east-1/svc/aws4_request, SignedHeaders=date;host, Signature="+sig)
	if _, err := testVerifier(at).Verify(context.Background(), r, nil); err != nil {
		t.Fatal(err)
	}
}
