// Package sigv4 verifies AWS Signature Version 4 requests the way an AWS
// endpoint does, for both the Authorization header and the presigned query
// string forms.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Credential is a secret access key and the account it belongs to.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	AccountID       string
}

// ErrUnknownAccessKey is returned by a CredentialSource when no such key exists.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// CredentialSource looks up secrets. Verify calls it concurrently from many
// goroutines, so implementations must be safe for concurrent use.
type CredentialSource interface {
	LookupAccessKey(ctx context.Context, accessKeyID string) (Credential, error)
}

// Code classifies a verification failure; the HTTP edge maps it to the
// service's wire error name.
type Code string

const (
	CodeMissingAuthentication Code = "MissingAuthenticationToken" // no Authorization header / no presign params
	CodeIncompleteSignature   Code = "IncompleteSignature"        // malformed Authorization header, missing X-Amz-Date, missing signed host, etc.
	CodeUnrecognizedClient    Code = "UnrecognizedClient"         // unknown access key id
	CodeInvalidSignature      Code = "InvalidSignature"           // signature mismatch, wrong region in scope, scope date != request date
	CodeSignatureExpired      Code = "SignatureExpired"           // request time more than MaxSkew from now, or presigned URL expired
)

// Error is the typed verification failure. Message is AWS-style text meant
// for the wire; Error() adds the package prefix for logs.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return "sigv4: " + string(e.Code) + ": " + e.Message }

func incomplete(msg string) *Error { return &Error{CodeIncompleteSignature, msg} }
func invalid(msg string) *Error    { return &Error{CodeInvalidSignature, msg} }
func expired(msg string) *Error    { return &Error{CodeSignatureExpired, msg} }

const (
	amzDateFormat     = "20060102T150405Z"
	defaultMaxSkew    = 5 * time.Minute
	maxPresignExpires = 7 * 24 * 60 * 60
	unsignedPayload   = "UNSIGNED-PAYLOAD"

	msgMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgUnknownKey      = "The security token included in the request is invalid."
	msgPayloadMismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgPresignParams   = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, " +
		"X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)

// Identity is what was authenticated.
type Identity struct {
	Credential Credential
	Service    string // from the credential scope, e.g. "acm-pca", "events", "sqs", "s3"
	Region     string
	SignedAt   time.Time
}

// Verifier checks SigV4 signatures. It holds no mutable state of its own
// (derived keys live in a process-wide cache), so one Verifier may be used
// by any number of goroutines as long as its fields are not changed
// meanwhile.
type Verifier struct {
	Region      string // the server's region; a scope with another region → CodeInvalidSignature
	Credentials CredentialSource
	Now         func() time.Time // injected clock; nil means time.Now
	MaxSkew     time.Duration    // default 5 minutes when zero (S3 callers pass 15 min)
}

// authInput is what both authentication forms reduce to.
type authInput struct {
	auth      Authorization
	amzDate   string // the timestamp as it enters the string to sign
	signedAt  time.Time
	presigned bool
	expires   time.Duration
}

// Verify checks the Authorization header form or, when there is no
// Authorization header, the presigned query form. body is the full request
// body already read by the caller (nil allowed).
//
// If the request carries X-Amz-Content-Sha256, that value is the payload
// hash: "UNSIGNED-PAYLOAD" and "STREAMING-..." are accepted as-is (chunk
// signatures of aws-chunked bodies are not checked here), and a hex hash must
// equal sha256(body). The presigned form defaults to UNSIGNED-PAYLOAD.
//
// Verify does not check Identity.Service: a server hosting several services
// on one host must compare it with the service the request is addressed to,
// or a signature made for one service would be honoured by another.
//
// Failures the client caused are *Error; anything else (a failing
// CredentialSource, a nil request) is a plain error for a 5xx.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Identity, error) {
	if r == nil || r.URL == nil {
		return Identity{}, errors.New("sigv4: nil request or URL")
	}
	if v.Credentials == nil {
		return Identity{}, errors.New("sigv4: Verifier has no CredentialSource")
	}
	query := parseQuery(r.URL.RawQuery)
	in, err := readAuth(r, query)
	if err != nil {
		return Identity{}, err
	}
	a := in.auth

	// Cheap, key-independent checks first so that junk requests never
	// reach the credential store.
	if !containsHost(a.SignedHeaders) {
		return Identity{}, incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if a.Date != in.amzDate[:8] {
		return Identity{}, invalid(fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.Date, in.amzDate[:8], in.amzDate))
	}
	if a.Region != v.Region {
		return Identity{}, invalid(fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", a.Region))
	}
	if err := v.checkTime(in); err != nil {
		return Identity{}, err
	}
	var want [sha256.Size]byte
	decErr := hex.ErrLength
	if len(a.Signature) == hex.EncodedLen(len(want)) { // hex.Decode panics on a short dst
		_, decErr = hex.Decode(want[:], []byte(a.Signature))
	}

	cred, err := v.Credentials.LookupAccessKey(ctx, a.AccessKeyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return Identity{}, &Error{CodeUnrecognizedClient, msgUnknownKey}
	}
	if err != nil {
		return Identity{}, fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	if cred.SecretAccessKey == "" {
		// An empty secret would make every signature forgeable by anyone
		// who knows the key id; treat a store that returns one as not
		// knowing the key.
		return Identity{}, &Error{CodeUnrecognizedClient, msgUnknownKey}
	}

	payload, bodyOK, perr := payloadHash(r, body, in.presigned)
	if perr != nil {
		return Identity{}, perr
	}
	if decErr != nil {
		return Identity{}, invalid(msgMismatch)
	}

	key, cached := signingKeys.get(cred.SecretAccessKey, a.Date, a.Region, a.Service)
	if !cached {
		key = deriveSigningKey(cred.SecretAccessKey, a.Date, a.Region, a.Service)
	}
	if !signatureMatches(r, query, in, payload, key, want[:]) {
		return Identity{}, invalid(msgMismatch)
	}
	if !cached {
		signingKeys.put(cred.SecretAccessKey, a.Date, a.Region, a.Service, key)
	}
	// Checked after the signature so that only a client holding the
	// secret learns that its body, rather than its signature, was wrong.
	if !bodyOK {
		return Identity{}, invalid(msgPayloadMismatch)
	}
	return Identity{Credential: cred, Service: a.Service, Region: a.Region, SignedAt: in.signedAt}, nil
}

// signatureMatches recomputes the signature for each canonical URI candidate.
func signatureMatches(r *http.Request, query []queryParam, in authInput, payload string, key signingKey, want []byte) bool {
	sign := requestSigner(r, query, in, payload, key)
	for _, uri := range canonicalURIs(wirePath(r), in.auth.Service) {
		if hmac.Equal(sign(uri), want) {
			return true
		}
	}
	return false
}

// requestSigner returns a function computing the signature of the request
// for a given canonical URI; everything else in the canonical request is
// built once and shared between URI candidates. Buffers are sized up front
// because this is the per-request hot path.
func requestSigner(r *http.Request, query []queryParam, in authInput, payload string, key signingKey) func(uri string) []byte {
	a := in.auth
	skip := ""
	if in.presigned {
		skip = "X-Amz-Signature"
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of an empty client Method
	}

	cq := canonicalQuery(query, skip)
	creq := make([]byte, 0, 512+len(cq))
	creq = append(creq, method...)
	creq = append(creq, '\n')
	uriAt := len(creq)
	var tail strings.Builder
	tail.Grow(256 + len(cq))
	tail.WriteByte('\n')
	tail.WriteString(cq)
	tail.WriteByte('\n')
	writeCanonicalHeaders(&tail, r, a.SignedHeaders)
	tail.WriteByte('\n')
	for i, h := range a.SignedHeaders {
		if i > 0 {
			tail.WriteByte(';')
		}
		tail.WriteString(h)
	}
	tail.WriteByte('\n')
	tail.WriteString(payload)

	sts := make([]byte, 0, 128+len(a.Service)+len(a.Region))
	sts = append(sts, algorithm+"\n"...)
	sts = append(sts, in.amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, a.Date...)
	sts = append(sts, '/')
	sts = append(sts, a.Region...)
	sts = append(sts, '/')
	sts = append(sts, a.Service...)
	sts = append(sts, "/"+terminator+"\n"...)
	hashAt := len(sts)

	mac := hmac.New(sha256.New, key[:])
	var out [sha256.Size]byte
	return func(uri string) []byte {
		creq = append(creq[:uriAt], uri...)
		creq = append(creq, tail.String()...)
		sum := sha256.Sum256(creq)
		sts = hex.AppendEncode(sts[:hashAt], sum[:])
		mac.Reset()
		mac.Write(sts)
		return mac.Sum(out[:0])
	}
}

// payloadHash returns the hash that enters the canonical request and
// whether the body agrees with a hex hash the client declared.
func payloadHash(r *http.Request, body []byte, presigned bool) (hash string, bodyOK bool, err *Error) {
	declared := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(declared) > 1:
		return "", false, invalid(msgPayloadMismatch)
	case len(declared) == 0 && presigned:
		return unsignedPayload, true, nil
	}
	sum := func() string {
		s := sha256.Sum256(body)
		return hex.EncodeToString(s[:])
	}
	if len(declared) == 0 {
		return sum(), true, nil
	}
	d := declared[0]
	switch {
	case d == unsignedPayload, strings.HasPrefix(d, "STREAMING-"):
		return d, true, nil // not hashed: S3 bodies can be large
	case len(d) == 2*sha256.Size && isHex(d):
		return d, strings.EqualFold(d, sum()), nil
	}
	// Any other value would be signed but checked against nothing, letting
	// the body change freely under a valid signature.
	return "", false, invalid("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.")
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (v *Verifier) checkTime(in authInput) error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	t := in.signedAt
	if in.presigned {
		if t.Sub(now) > skew {
			return expired("Request is not yet valid")
		}
		if now.Sub(t) > in.expires {
			return expired("Request has expired")
		}
		return nil
	}
	if now.Sub(t) > skew {
		return expired(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			in.amzDate, now.Add(-skew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat), formatSkew(skew)))
	}
	if t.Sub(now) > skew {
		return expired(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			in.amzDate, now.Add(skew).UTC().Format(amzDateFormat), now.UTC().Format(amzDateFormat), formatSkew(skew)))
	}
	return nil
}

func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

func readAuth(r *http.Request, query []queryParam) (authInput, error) {
	headers := r.Header.Values("Authorization")
	presign := false
	for _, p := range query {
		switch p.key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			presign = true
		}
	}
	switch {
	case len(headers) == 0 && !presign:
		return authInput{}, &Error{CodeMissingAuthentication, "Missing Authentication Token"}
	case len(headers) > 0 && presign:
		return authInput{}, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
			"Signature query string parameter or the Authorization header should be specified")
	case len(headers) > 1:
		return authInput{}, incomplete("Only one Authorization header is allowed.")
	case len(headers) == 1:
		return readHeaderAuth(r, headers[0])
	default:
		return readPresignedAuth(query)
	}
}

func readHeaderAuth(r *http.Request, header string) (authInput, error) {
	a, err := ParseAuthorization(header)
	if err != nil {
		return authInput{}, err
	}
	dates := r.Header.Values("X-Amz-Date")
	switch len(dates) {
	case 0:
	case 1:
		t, ok := parseAmzDate(dates[0])
		if !ok {
			return authInput{}, incomplete(fmt.Sprintf(
				"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", dates[0]))
		}
		return authInput{auth: a, amzDate: dates[0], signedAt: t}, nil
	default:
		return authInput{}, incomplete("Only one X-Amz-Date header is allowed.")
	}
	dates = r.Header.Values("Date")
	if len(dates) != 1 {
		return authInput{}, incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + header)
	}
	t, err := http.ParseTime(dates[0])
	if err != nil {
		return authInput{}, incomplete(fmt.Sprintf("Date header is not a valid HTTP date: '%s'.", dates[0]))
	}
	t = t.UTC()
	return authInput{auth: a, amzDate: t.Format(amzDateFormat), signedAt: t}, nil
}

func readPresignedAuth(query []queryParam) (authInput, error) {
	var vals [6]string
	var counts [6]int
	names := [6]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"}
	for _, p := range query {
		for i, n := range names {
			if p.key == n {
				vals[i] = p.value
				counts[i]++
			}
		}
	}
	for _, c := range counts {
		if c != 1 {
			return authInput{}, incomplete(msgPresignParams)
		}
	}
	alg, cred, date, signed, sig, exp := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	if alg != algorithm {
		return authInput{}, incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	a, err := parseCredential(cred)
	if err != nil {
		return authInput{}, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signed); err != nil {
		return authInput{}, err
	}
	if sig == "" {
		return authInput{}, incomplete(msgPresignParams)
	}
	a.Signature = sig
	t, ok := parseAmzDate(date)
	if !ok {
		return authInput{}, incomplete("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.Atoi(exp)
	switch {
	case err != nil && isDigits(exp, len(exp)) && exp != "", err == nil && secs > maxPresignExpires:
		return authInput{}, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	case err != nil || exp[0] == '+':
		return authInput{}, incomplete("X-Amz-Expires should be a number")
	case secs < 0:
		return authInput{}, incomplete("X-Amz-Expires must be non-negative")
	case secs == 0:
		return authInput{}, incomplete("X-Amz-Expires must be at least 1 second")
	}
	return authInput{auth: a, amzDate: date, signedAt: t, presigned: true, expires: time.Duration(secs) * time.Second}, nil
}

func parseAmzDate(s string) (time.Time, bool) {
	// time.Parse alone would accept signs inside numeric fields.
	if len(s) != len(amzDateFormat) || !isDigits(s[:8], 8) || s[8] != 'T' || !isDigits(s[9:15], 6) || s[15] != 'Z' {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateFormat, s)
	return t, err == nil
}
