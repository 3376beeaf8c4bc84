package pca

import (
	"errors"
	"fmt"
)

// Kind names a failure the way AWS Private CA's API does; the API edge uses
// it as the wire error type.
type Kind string

const (
	AccessDenied               Kind = "AccessDeniedException"
	CertificateMismatch        Kind = "CertificateMismatchException"
	ConcurrentModification     Kind = "ConcurrentModificationException"
	InvalidArgs                Kind = "InvalidArgsException"
	InvalidArn                 Kind = "InvalidArnException"
	InvalidNextToken           Kind = "InvalidNextTokenException"
	InvalidPolicy              Kind = "InvalidPolicyException"
	InvalidRequest             Kind = "InvalidRequestException"
	InvalidState               Kind = "InvalidStateException"
	InvalidTag                 Kind = "InvalidTagException"
	LimitExceeded              Kind = "LimitExceededException"
	MalformedCSR               Kind = "MalformedCSRException"
	MalformedCertificate       Kind = "MalformedCertificateException"
	RequestAlreadyProcessed    Kind = "RequestAlreadyProcessedException"
	RequestFailed              Kind = "RequestFailedException"
	RequestInProgress          Kind = "RequestInProgressException"
	ResourceNotFound           Kind = "ResourceNotFoundException"
	TooManyTags                Kind = "TooManyTagsException"
	PermissionAlreadyExists    Kind = "PermissionAlreadyExistsException"
	LockoutPrevented           Kind = "LockoutPreventedException"
	ValidationFailed           Kind = "ValidationException"
	OperationNotImplementedYet Kind = "NotImplementedException"
)

// Error is the domain's one error type: a kind and a message for the client.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "pca: " + string(e.Kind) + ": " + e.Message }

func fail(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of a domain error, or "" for anything else (a bug
// or an infrastructure failure).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
