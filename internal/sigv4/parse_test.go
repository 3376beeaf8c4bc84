package sigv4

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	const sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	want := Authorization{
		AccessKeyID: "AKIDEXAMPLE", Date: "20150830", Region: "us-east-1", Service: "service",
		SignedHeaders: []string{"host", "x-amz-date"}, Signature: sig,
	}
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host;x-amz-date,Signature=" + sig,
		"AWS4-HMAC-SHA256  Signature=" + sig + " ,\tSignedHeaders=host;x-amz-date , Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
	} {
		got, err := ParseAuthorization(h)
		if err != nil {
			t.Fatalf("ParseAuthorization(%q): %v", h, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseAuthorization(%q) = %+v", h, got)
		}
	}

	for _, h := range []string{
		"",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA512 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, Signature=ab",
		"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab, Signature=cd",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab, Extra=1",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab,",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request SignedHeaders=host Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws5_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/2015083/r/s/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/x/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830//s/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s\n/aws4_request, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host;;x-amz-date, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=Host;x-amz-date, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=a/20150830/r/s/aws4_request, SignedHeaders=host;x:y, Signature=ab",
	} {
		_, err := ParseAuthorization(h)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeIncompleteSignature {
			t.Errorf("ParseAuthorization(%q) error = %v, want %s", h, err, CodeIncompleteSignature)
		}
	}
}

func TestURIEncode(t *testing.T) {
	for _, c := range []struct {
		in        string
		keepSlash bool
		want      string
	}{
		{"A-Za-z0-9-._~", false, "A-Za-z0-9-._~"},
		{"a b+c", false, "a%20b%2Bc"},
		{"/a/b", false, "%2Fa%2Fb"},
		{"/a/b", true, "/a/b"},
		{"/a%20b/%2F", true, "/a%2520b/%252F"},
		{"ü€", true, "%C3%BC%E2%82%AC"},
		{"!*'();:@&=$,?#[]", false, "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%3F%23%5B%5D"},
	} {
		if got := uriEncode(c.in, c.keepSlash); got != c.want {
			t.Errorf("uriEncode(%q, %v) = %q, want %q", c.in, c.keepSlash, got, c.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"acl", "acl="},
		{"x=a+b&y=a%20b&z=a%2Bb", "x=a%20b&y=a%20b&z=a%2Bb"},
		// Sorting happens after encoding: '%' (0x25) sorts before '-' (0x2D).
		{"k=a-b&k=a/b", "k=a%2Fb&k=a-b"},
		{"&&k=%zz&=v", "=v&k=%25zz"},
		{"X-Amz-Signature=abc&q=1", "q=1"},
	} {
		if got := canonicalQuery(parseQuery(c.raw), "X-Amz-Signature"); got != c.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                        "/",
		"//":                       "/",
		"/a/b":                     "/a/b",
		"/a/b/":                    "/a/b/",
		"/a//b/./c/../d/":          "/a/b/d/",
		"/example1/example2/../..": "/",
		"/../..":                   "/",
		"/a/.hidden/..x":           "/a/.hidden/..x",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeyCache(t *testing.T) {
	c := &keyCache{m: make(map[keyCacheKey]signingKey)}
	want := deriveSigningKey("secret", "20250314", "us-east-1", "s3")
	if _, ok := c.get("secret", "20250314", "us-east-1", "s3"); ok {
		t.Fatal("empty cache hit")
	}
	c.put("secret", "20250314", "us-east-1", "s3", want)
	if got, ok := c.get("secret", "20250314", "us-east-1", "s3"); !ok || got != want {
		t.Fatal("cache miss after put")
	}
	if _, ok := c.get("other-secret", "20250314", "us-east-1", "s3"); ok {
		t.Fatal("a different secret must not share a cached key")
	}

	// Hammer it from many goroutines; run with -race.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range keyCacheSize {
				svc := fmt.Sprintf("svc-%d-%d", g, i)
				c.put("secret", "20250314", "us-east-1", svc, want)
				c.get("secret", "20250314", "us-east-1", svc)
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > keyCacheSize {
		t.Fatalf("cache grew to %d entries, bound is %d", n, keyCacheSize)
	}
}
