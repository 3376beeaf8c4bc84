package sigv4

import (
	"fmt"
	"strings"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
)

// Authorization is a parsed SigV4 Authorization header (or the equivalent
// presigned query parameters).
type Authorization struct {
	AccessKeyID   string
	Date          string // YYYYMMDD from the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization parses an Authorization header value of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex
//
// Malformed input yields an *Error with CodeIncompleteSignature. The
// signature itself is not validated here: a bad signature is a mismatch,
// which Verify reports as CodeInvalidSignature like AWS does.
func ParseAuthorization(header string) (Authorization, error) {
	rest, ok := strings.CutPrefix(header, algorithm)
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return Authorization{}, incomplete("Unsupported Authorization Type")
	}

	var credential, signedHeaders, signature string
	var seenCred, seenHeaders, seenSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " \t")
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return Authorization{}, incomplete(fmt.Sprintf(
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, header))
		}
		var dst *string
		var seen *bool
		switch key {
		case "Credential":
			dst, seen = &credential, &seenCred
		case "SignedHeaders":
			dst, seen = &signedHeaders, &seenHeaders
		case "Signature":
			dst, seen = &signature, &seenSig
		default:
			// Unknown keys are rejected rather than ignored so that a
			// header means exactly one thing to every party reading it.
			return Authorization{}, incomplete(fmt.Sprintf(
				"'%s' is not a valid parameter in Authorization header: '%s'.", key, header))
		}
		if *seen {
			return Authorization{}, incomplete(fmt.Sprintf(
				"Authorization header has a duplicate '%s' parameter: '%s'.", key, header))
		}
		*dst, *seen = value, true
	}

	var missing []string
	if !seenCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !seenSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !seenHeaders {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return Authorization{}, incomplete(strings.Join(missing, " ") + " Authorization=" + header)
	}

	a, err := parseCredential(credential)
	if err != nil {
		return Authorization{}, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signedHeaders); err != nil {
		return Authorization{}, err
	}
	if signature == "" {
		return Authorization{}, incomplete("Authorization header requires a non-empty 'Signature' parameter.")
	}
	a.Signature = signature
	return a, nil
}

// parseCredential splits AKID/DATE/REGION/SERVICE/aws4_request into an
// Authorization with only the scope fields filled in.
func parseCredential(s string) (Authorization, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return Authorization{}, incomplete(fmt.Sprintf(
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", s))
	}
	for _, p := range parts {
		// These strings end up in the string to sign and in log lines;
		// restricting them to visible ASCII keeps both unambiguous.
		if !isVisibleASCII(p) {
			return Authorization{}, incomplete(fmt.Sprintf("Credential has an empty or invalid element: '%s'", s))
		}
	}
	if !isDigits(parts[1], 8) {
		return Authorization{}, incomplete(fmt.Sprintf(
			"Credential should be scoped to a valid date (YYYYMMDD), not '%s'. ", parts[1]))
	}
	if parts[4] != terminator {
		return Authorization{}, incomplete(fmt.Sprintf(
			"Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", parts[4]))
	}
	return Authorization{
		AccessKeyID: parts[0],
		Date:        parts[1],
		Region:      parts[2],
		Service:     parts[3],
	}, nil
}

// parseSignedHeaders splits the SignedHeaders list. Names must already be in
// canonical (lower-case token) form because they are copied verbatim into
// the canonical request; accepting other spellings would let two different
// header lists describe the same canonical request.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, incomplete("SignedHeaders must not be empty.")
	}
	names := strings.Split(s, ";")
	for _, n := range names {
		if !isLowerToken(n) {
			return nil, incomplete(fmt.Sprintf("SignedHeaders contains an invalid header name: '%s'.", s))
		}
	}
	return names, nil
}

func isVisibleASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is a non-empty RFC 9110 token without
// upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
