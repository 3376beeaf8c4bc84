// Package awsapi is the AWS wire edge: one HTTP handler that authenticates
// requests with SigV4, routes the JSON protocols by X-Amz-Target to the
// service that owns the prefix, validates bodies against the AWS model and
// turns domain errors into AWS error responses.
package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/sigv4"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Caller is the authenticated principal of a request.
type Caller struct {
	AccountID   string
	AccessKeyID string
}

// Operation handles one validated request: decode fills the operation's input.
type Operation func(ctx context.Context, caller Caller, decode func(v any) error) (any, error)

// JSONService is one AWS JSON-protocol service on the shared listener.
type JSONService struct {
	TargetPrefix string // e.g. "ACMPrivateCA"
	SigningName  string // the credential scope's service, e.g. "acm-pca"
	JSONVersion  string // "1.0" or "1.1"
	Model        *Model
	Operations   map[string]Operation
	// MapError turns a domain error into a wire error; nil means "not mine".
	MapError func(error) *Error
	// QueryErrorHeader adds x-amzn-query-error to errors (SQS).
	QueryErrorHeader bool
}

func (s *JSONService) contentType() string { return "application/x-amz-json-" + s.JSONVersion }

// Handler serves every AWS JSON service registered with it.
type Handler struct {
	verifier *sigv4.Verifier
	services map[string]*JSONService
	log      *slog.Logger
}

// NewHandler returns an edge handler verifying with v.
func NewHandler(v *sigv4.Verifier, log *slog.Logger, services ...*JSONService) *Handler {
	h := &Handler{verifier: v, services: map[string]*JSONService{}, log: log}
	for _, s := range services {
		h.services[s.TargetPrefix] = s
	}
	return h
}

// IsJSONRequest reports whether the request is for a JSON-protocol service.
func IsJSONRequest(r *http.Request) bool { return r.Header.Get("X-Amz-Target") != "" }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	svc := h.services[prefix]
	contentType := "application/x-amz-json-1.1"
	queryHeader := false
	if svc != nil {
		contentType, queryHeader = svc.contentType(), svc.QueryErrorHeader
	}
	status := http.StatusOK
	fail := func(e *Error) {
		status = e.Status
		writeJSONError(w, contentType, e, queryHeader)
	}
	defer func() {
		h.log.InfoContext(r.Context(), "request", "id", requestID, "target", target, "status", status,
			"duration", time.Since(start))
	}()

	if r.Method != http.MethodPost {
		fail(&Error{Status: 405, Type: "MethodNotAllowedException", Message: "AWS JSON protocol requests use POST."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(&Error{Status: 413, Type: "RequestEntityTooLargeException",
				Message: "Request body exceeds the maximum size of 1048576 bytes."})
			return
		}
		fail(&Error{Status: 400, Type: "SerializationException", Message: "Could not read the request body."})
		return
	}
	// JSON services sign their bodies; only S3 may leave a payload unsigned.
	if ph := r.Header.Get("X-Amz-Content-Sha256"); ph == "UNSIGNED-PAYLOAD" || strings.HasPrefix(ph, "STREAMING-") {
		fail(&Error{Status: 400, Type: "InvalidSignatureException", Message: "JSON protocol requests must sign their payload."})
		return
	}
	id, err := h.verifier.Verify(r.Context(), r, body)
	if err != nil {
		fail(authError(err))
		return
	}
	if svc == nil || op == "" || (!svc.Model.HasOperation(op) && svc.Operations[op] == nil) {
		fail(&Error{Status: 400, Type: "UnknownOperationException", Message: "Unknown operation " + target + "."})
		return
	}
	if id.Service != svc.SigningName {
		fail(&Error{Status: 400, Type: "InvalidSignatureException",
			Message: "Credential should be scoped to correct service: '" + svc.SigningName + "'. "})
		return
	}
	handler := svc.Operations[op]
	if handler == nil {
		fail(&Error{Status: 501, Type: "NotImplementedException", Message: "Operation " + op + " is not implemented by this server yet."})
		return
	}
	if verr := svc.Model.Validate(op, body); verr != nil {
		fail(verr)
		return
	}
	decode := func(v any) error {
		if IsEmptyBody(body) {
			return nil
		}
		if err := json.Unmarshal(body, v); err != nil {
			return &Error{Status: 400, Type: "SerializationException", Message: err.Error()}
		}
		return nil
	}
	caller := Caller{AccountID: id.Credential.AccountID, AccessKeyID: id.Credential.AccessKeyID}
	out, err := h.call(r.Context(), handler, caller, decode)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			if svc.MapError != nil {
				e = svc.MapError(err)
			}
			if e == nil {
				h.log.ErrorContext(r.Context(), "internal failure", "id", requestID, "target", target, "err", err)
				e = &Error{Status: 500, Type: "InternalFailure", Message: "The request processing has failed because of an unknown error."}
			}
		}
		fail(e)
		return
	}
	payload, err := json.Marshal(out)
	if err != nil {
		h.log.ErrorContext(r.Context(), "encode response", "id", requestID, "err", err)
		fail(&Error{Status: 500, Type: "InternalFailure", Message: "The response could not be encoded."})
		return
	}
	w.Header().Set("Content-Type", svc.contentType())
	w.Write(payload)
}

// call runs an operation, turning a panic into an error so bad input can
// never take the server down.
func (h *Handler) call(ctx context.Context, op Operation, caller Caller, decode func(any) error) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("awsapi: operation panicked")
			h.log.ErrorContext(ctx, "operation panicked", "panic", p)
		}
	}()
	return op(ctx, caller, decode)
}

func authError(err error) *Error {
	var se *sigv4.Error
	if !errors.As(err, &se) {
		return &Error{Status: 500, Type: "InternalFailure", Message: "Could not verify the request signature."}
	}
	switch se.Code {
	case sigv4.CodeMissingAuthentication:
		return &Error{Status: 400, Type: "MissingAuthenticationTokenException", Message: se.Message}
	case sigv4.CodeIncompleteSignature:
		return &Error{Status: 400, Type: "IncompleteSignatureException", Message: se.Message}
	case sigv4.CodeUnrecognizedClient:
		return &Error{Status: 400, Type: "UnrecognizedClientException", Message: se.Message}
	default:
		return &Error{Status: 400, Type: "InvalidSignatureException", Message: se.Message}
	}
}
