package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
			"Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=, Signature==",
		"AWS4-HMAC-SHA256 ,,,",
		"AWS4-HMAC-SHA256\tCredential",
		"AWS AKID:sig",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature {
				t.Fatalf("error %v is not an IncompleteSignature *Error", err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" ||
			len(a.SignedHeaders) == 0 || a.Signature == "" {
			t.Fatalf("accepted %q with empty fields: %+v", header, a)
		}
		// Whatever was accepted must survive a canonical re-rendering.
		again, err := ParseAuthorization(renderAuthorization(a))
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip of %q: %+v, %v", header, again, err)
		}
	})
}

func renderAuthorization(a Authorization) string {
	return algorithm + " Credential=" + a.AccessKeyID + "/" + a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
}

// fuzzRequest builds a server-side request from FuzzVerify's arguments.
// headers is "Name: value" lines; Host comes from host, as net/http does.
func fuzzRequest(host, headers, path, query string, body []byte, viaRequestURI bool) *http.Request {
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: path, RawPath: path, RawQuery: query},
		Header:        http.Header{},
		Host:          host,
		ContentLength: int64(len(body)),
	}
	if viaRequestURI {
		r.RequestURI = path + "?" + query
	}
	for line := range strings.SplitSeq(headers, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			r.Header.Add(k, strings.TrimSpace(v))
		}
	}
	return r
}

type fuzzVerifyArgs struct {
	host, headers, path, query string
	body                       []byte
	viaRequestURI              bool
}

// fuzzSeeds are valid signed requests, so the fuzzer starts from inputs
// that reach the signature comparison rather than bouncing off parsing.
func fuzzSeeds(tb testing.TB) []fuzzVerifyArgs {
	var out []fuzzVerifyArgs
	for _, spec := range []signSpec{
		acmPCASpec(),
		s3PutSpec(),
		{method: http.MethodPost, url: "http://localhost:9000/b/k%20y", service: "s3", payload: unsignedPayload, presign: 60},
	} {
		spec.method = http.MethodPost // fuzzRequest's method
		r := spec.sign(tb)
		var hdr strings.Builder
		for k, vs := range r.Header {
			for _, v := range vs {
				hdr.WriteString(k + ": " + v + "\n")
			}
		}
		out = append(out, fuzzVerifyArgs{r.URL.Host, hdr.String(), r.URL.EscapedPath(), r.URL.RawQuery, spec.body, true})
	}
	return out
}

func TestFuzzSeedsVerify(t *testing.T) {
	for _, a := range fuzzSeeds(t) {
		r := fuzzRequest(a.host, a.headers, a.path, a.query, a.body, a.viaRequestURI)
		if _, err := testVerifier(signTime).Verify(context.Background(), r, a.body); err != nil {
			t.Errorf("seed %s%s does not verify: %v", a.host, a.path, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, a := range fuzzSeeds(f) {
		f.Add(a.host, a.headers, a.path, a.query, a.body, a.viaRequestURI)
	}
	f.Add("h", "X-Amz-Date: 20250314T150926Z", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTESTKEY0000001%2F20250314%2Fus-east-1%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20250314T150926Z&X-Amz-Expires=-1&X-Amz-SignedHeaders=host&X-Amz-Signature=zz", []byte(nil), false)
	f.Add("h", "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTESTKEY0000001/20250314/us-east-1/execute-api/aws4_request, "+
		"SignedHeaders=host;content-length;transfer-encoding, Signature=00\nX-Amz-Date: 20250314T150926Z\n"+
		"X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "/a/../b//%zz/./", "a=%&b=+&&=", []byte("x"), false)

	v := testVerifier(signTime)
	f.Fuzz(func(t *testing.T, host, headers, path, query string, body []byte, viaRequestURI bool) {
		r := fuzzRequest(host, headers, path, query, body, viaRequestURI)
		_, err := v.Verify(context.Background(), r, body)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("client-caused failure is not an *Error: %v", err)
		}
		if e != nil && (e.Message == "" || strings.HasPrefix(e.Message, "sigv4")) {
			t.Fatalf("bad wire message %q", e.Message)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	r, body := toServer(b, acmPCASpec().sign(b))
	v := testVerifier(signTime)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}
