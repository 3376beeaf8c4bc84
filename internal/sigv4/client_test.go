package sigv4

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestOverRealHTTP sends SDK-signed requests through net/http's client and
// server, so the verifier sees what the transport really puts on the wire
// (default User-Agent, Accept-Encoding, Content-Length handling, the
// Host header moved to r.Host, RequestURI).
func TestOverRealHTTP(t *testing.T) {
	v := &Verifier{Region: "us-east-1", Credentials: staticSource{testCred.AccessKeyID: testCred}, MaxSkew: 15 * time.Minute}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		id, err := v.Verify(r.Context(), r, body)
		var e *Error
		switch {
		case errors.As(err, &e):
			http.Error(w, string(e.Code)+": "+e.Message, http.StatusForbidden)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			_, _ = io.WriteString(w, id.Service)
		}
	}))
	defer srv.Close()

	now := time.Now().UTC()
	cases := []struct {
		name string
		spec signSpec
		want string
	}{
		{"acm-pca json", signSpec{
			url: srv.URL + "/", body: jsonBody, service: "acm-pca", at: now,
			headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "ACMPrivateCA.ListTags"},
		}, "acm-pca"},
		{"s3 object with odd key", signSpec{
			method: http.MethodPut, url: srv.URL + "/bucket/dir%20x/%C3%A4%2B%2F%21%27%28%29.bin?uploads=&partNumber=1",
			body: []byte("part"), service: "s3", at: now,
			headers: map[string]string{"X-Amz-Content-Sha256": hashHex([]byte("part"))},
		}, "s3"},
		{"s3 presigned", signSpec{
			method: http.MethodGet, url: srv.URL + "/bucket/a%20b", service: "s3", at: now,
			payload: "UNSIGNED-PAYLOAD", presign: 300,
		}, "s3"},
		{"wrong secret", signSpec{
			url: srv.URL + "/", body: jsonBody, service: "sqs", at: now,
			cred: Credential{AccessKeyID: testCred.AccessKeyID, SecretAccessKey: "nope"},
		}, "InvalidSignature: The request signature we calculated does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := srv.Client().Do(tc.spec.sign(t))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if !strings.HasPrefix(string(got), tc.want) {
				t.Fatalf("server said %d %q, want %q", resp.StatusCode, got, tc.want)
			}
		})
	}
}
