// Package store defines the records openpca persists and the repository
// interfaces the domain uses; store/sqlite (embedded) and, later,
// store/postgres implement them.
//
// Every state change happens inside Update, in one transaction that also
// appends its events to the outbox, so a change and its event commit together.
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound reports a missing row.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports a uniqueness violation (a serial or ID already taken).
	ErrConflict = errors.New("store: conflict")
)

// Account is a tenant; every resource belongs to one.
type Account struct {
	ID        string
	CreatedAt time.Time
}

// AccessKey is an account's SigV4 key; the secret is sealed under the KEK.
type AccessKey struct {
	AccessKeyID  string
	AccountID    string
	SecretSealed []byte
	CreatedAt    time.Time
}

// CA is a private certificate authority. ConfigJSON and RevocationJSON hold the
// AWS-shaped configuration documents as the client sent them (after validation).
type CA struct {
	Seq                        int64 // insertion order, for stable pagination
	ID                         string
	AccountID                  string
	Region                     string
	ARN                        string
	Type                       string
	Status                     string
	StatusBeforeDeletion       string
	FailureReason              string
	UsageMode                  string
	KeyStorageSecurityStandard string
	ConfigJSON                 []byte
	RevocationJSON             []byte
	KeyHandle                  []byte
	CSRPEM                     string
	CertificatePEM             string
	ChainPEM                   string
	Serial                     string
	NotBefore                  time.Time
	NotAfter                   time.Time
	CreatedAt                  time.Time
	LastStateChangeAt          time.Time
	RestorableUntil            time.Time
}

// Tag is a CA tag.
type Tag struct {
	Key   string
	Value *string
}

// Certificate statuses.
const (
	CertificateIssued = "ISSUED"
	CertificateFailed = "FAILED"
)

// Certificate is one issuance request's outcome: its serial (32 lowercase hex
// digits) is its identity within the CA.
type Certificate struct {
	CAID             string
	Serial           string
	Status           string
	DER              []byte
	FailureReason    string
	Template         string
	IssuedAt         time.Time
	NotBefore        time.Time
	NotAfter         time.Time
	RevokedAt        time.Time
	RevocationReason string
}

// Event is an outbox row: the exact JSON document to deliver, in commit order.
type Event struct {
	Seq        int64
	ID         string
	BusName    string // "" means "default"
	AccountID  string
	Region     string
	DetailType string
	Payload    []byte
	CreatedAt  time.Time
}

// Idempotency remembers the result of a request made with an IdempotencyToken.
type Idempotency struct {
	AccountID   string
	Operation   string
	Token       string
	RequestHash string
	Result      string
	CreatedAt   time.Time
}

// Policy is a CA's resource policy and the accounts it names, kept so that
// CAs shared with an account can be listed without parsing every policy.
type Policy struct {
	CAID       string
	Document   string
	Principals []string
	UpdatedAt  time.Time
}

// Permission is a CA's grant to an AWS service principal.
type Permission struct {
	CAID          string
	Principal     string
	SourceAccount string
	Actions       []string
	CreatedAt     time.Time
}

// Reader is the read side, usable inside and outside a transaction.
type Reader interface {
	BusReader
	QueueReader
	GetAccessKey(ctx context.Context, accessKeyID string) (AccessKey, error)
	GetAccount(ctx context.Context, accountID string) (Account, error)
	GetCA(ctx context.Context, id string) (CA, error)
	// GetCAState is GetCA filling only ID, AccountID, Region, ARN, Type,
	// Status, NotAfter and RestorableUntil: what a transaction re-checks
	// before acting on a CA it read in full earlier.
	GetCAState(ctx context.Context, id string) (CA, error)
	// ListCAs returns up to limit CAs of the account in the region with Seq > afterSeq.
	ListCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]CA, error)
	ListTags(ctx context.Context, caID string) ([]Tag, error)
	GetCertificate(ctx context.Context, caID, serial string) (Certificate, error)
	GetIdempotency(ctx context.Context, accountID, operation, token string) (Idempotency, error)
	// ListSharedCAs is ListCAs for CAs of other accounts whose policy names accountID.
	ListSharedCAs(ctx context.Context, accountID, region string, afterSeq int64, limit int) ([]CA, error)
	GetPolicy(ctx context.Context, caID string) (Policy, error)
	ListPermissions(ctx context.Context, caID string) ([]Permission, error)
	// ListEvents returns outbox rows with Seq > afterSeq in commit order.
	ListEvents(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
}

// Tx is one write transaction.
type Tx interface {
	Reader
	BusTx
	QueueTx
	InsertAccount(ctx context.Context, a Account) error
	InsertAccessKey(ctx context.Context, k AccessKey) error
	InsertCA(ctx context.Context, ca CA) error
	UpdateCA(ctx context.Context, ca CA) error
	PutTags(ctx context.Context, caID string, tags []Tag) error
	DeleteTags(ctx context.Context, caID string, tags []Tag) error
	// InsertCertificate fails with ErrConflict when the serial is taken in that CA.
	InsertCertificate(ctx context.Context, c Certificate) error
	UpdateCertificate(ctx context.Context, c Certificate) error
	PutIdempotency(ctx context.Context, i Idempotency) error
	AppendEvent(ctx context.Context, e Event) error
	PutPolicy(ctx context.Context, p Policy) error
	DeletePolicy(ctx context.Context, caID string) error
	// InsertPermission fails with ErrConflict when the grant exists.
	InsertPermission(ctx context.Context, p Permission) error
	DeletePermission(ctx context.Context, caID, principal, sourceAccount string) error
}

// Store is a database: reads directly, writes through Update.
type Store interface {
	Reader
	// Update runs fn in one transaction and commits it when fn returns nil.
	Update(ctx context.Context, fn func(Tx) error) error
	// Changed is closed after the next commit that wrote deliveries or
	// appended events the append hook did not relay, so the relay and the
	// deliverer wake without polling.
	Changed() <-chan struct{}
	// SetAppendHook makes every transaction that appended events run hook
	// inside it, last, in a savepoint of its own: what the hook writes
	// commits together with the events, and a hook that fails is rolled back
	// alone, leaving the events to be relayed later. The function the hook
	// returns runs after the commit. nil removes the hook.
	SetAppendHook(hook AppendHook)
	Close() error
}

// AppendHook is the relay's hook into transactions that append events.
type AppendHook func(Tx) (afterCommit func(), err error)
