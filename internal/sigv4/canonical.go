package sigv4

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryParam is one decoded name/value pair of the request's query string.
type queryParam struct{ key, value string }

// parseQuery decodes the raw query into pairs in wire order. It is more
// forgiving than url.ParseQuery (which rejects ';' and bad escapes) because
// the canonical query must be built from whatever the client sent; a
// component that does not decode is kept verbatim, so it can only cause a
// signature mismatch, never a different error path.
func parseQuery(raw string) []queryParam {
	if raw == "" {
		return nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		params = append(params, queryParam{queryUnescape(k), queryUnescape(v)})
	}
	return params
}

// queryUnescape decodes '+' as a space: SDKs sign the decoded value, and
// url.Values.Encode (used by Go clients) puts spaces on the wire as '+'.
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// canonicalQuery renders params sorted by encoded key, then encoded value,
// as SigV4 requires ("sorting occurs after encoding"). skip names a
// parameter to leave out (X-Amz-Signature in the presigned form).
func canonicalQuery(params []queryParam, skip string) string {
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except RFC 3986 unreserved characters
// (and '/', when keepSlash), with upper-case hex as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (s[i] != '/' || !keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && keepSlash) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// wirePath returns the path exactly as the client sent it, which is what the
// client signed. RequestURI is preferred over r.URL because routers and
// middleware (http.StripPrefix, mounting under a prefix) rewrite r.URL but
// never RequestURI. For client-built requests (tests) and absolute-form
// targets, r.URL.EscapedPath keeps RawPath, so "%2F" and other non-default
// escapes survive.
func wirePath(r *http.Request) string {
	p := r.RequestURI
	if strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
	} else {
		p = r.URL.EscapedPath()
	}
	if p == "" {
		return "/"
	}
	return p
}

// canonicalURIs returns the canonical URI candidates for a request path, most
// likely first. S3 signs the wire path as is. Every other service signs the
// wire path escaped a second time; the Go SDK does that to the path as sent,
// while botocore, the JS and Java SDKs first remove dot segments and empty
// segments, so both spellings are accepted when they differ.
func canonicalURIs(path, service string) []string {
	if service == "s3" {
		return []string{path}
	}
	uris := []string{uriEncode(path, true)}
	if n := normalizePath(path); n != path {
		uris = append(uris, uriEncode(n, true))
	}
	return uris
}

// normalizePath removes "", "." and ".." segments the way botocore's
// remove_dot_segments does, keeping a leading and trailing slash.
func normalizePath(p string) string {
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	n := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		n += "/"
	}
	return n
}

// writeCanonicalHeaders writes "name:value\n" for every signed header, in
// the order the client listed them (the client signed that order).
func writeCanonicalHeaders(b *strings.Builder, r *http.Request, names []string) {
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		writeHeaderValues(b, headerValues(r, name))
		b.WriteByte('\n')
	}
}

// headerValues recovers the values of a header, including the ones net/http
// moves out of r.Header on the server side.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return vs
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return r.TransferEncoding
		}
	}
	return lookupHeader(r.Header, name)
}

// lookupHeader is r.Header.Values for an already lower-case token, without
// the allocation textproto.CanonicalMIMEHeaderKey makes for every
// non-canonical name (and every signed name is lower-case).
func lookupHeader(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) > len(buf) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
		upper = c == '-'
	}
	return h[string(buf[:len(name)])]
}

// writeHeaderValues joins values with ',' after trimming each and collapsing
// runs of spaces, matching the SDKs' StripExcessSpaces+TrimSpace.
func writeHeaderValues(b *strings.Builder, values []string) {
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		v = strings.TrimSpace(v)
		for j := 0; j < len(v); j++ {
			if v[j] == ' ' && j > 0 && v[j-1] == ' ' {
				continue
			}
			b.WriteByte(v[j])
		}
	}
}

// containsHost reports whether the signed header list covers the host,
// which AWS insists on so that a signature cannot be replayed elsewhere.
func containsHost(names []string) bool {
	return slices.Contains(names, "host")
}
