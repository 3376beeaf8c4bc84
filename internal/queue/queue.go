// Package queue is the SQS-compatible queue domain: queues, messages,
// visibility timers, receive counts, redrive and long polling.
//
// The database is the truth: every message, receipt token and timer lives in
// the store, so a restart loses nothing. The only in-memory state is one
// store.Signal per queue that wakes long-polling receivers when a message
// arrives; a missed wake-up only delays a receive until its next check.
//
// The package knows nothing of HTTP: operations return *Error with a Kind
// named after SQS's error shapes, and the sqsapi edge maps them to the wire.
//
// Decisions where SQS leaves room:
//   - Receipt handles are unique per receive. DeleteMessage with an older
//     handle of a message received again since succeeds without deleting it,
//     as SQS documents; with the handle of a message already deleted it
//     succeeds too. ChangeMessageVisibility with such a handle fails with
//     InvalidParameterValue ("The receipt handle has expired."), as SQS does.
//   - A queue URL naming another account is refused with AccessDenied whether
//     or not the queue exists: without a queue policy SQS denies cross-account
//     access, and answering uniformly does not reveal other tenants' queue
//     names. Queue policies (the Policy attribute) are stored and returned but
//     not evaluated.
//   - Only standard queues: FIFO queues and SSE-KMS answer UnsupportedOperation.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/store"
)

// Kind names a failure as SQS's API does (its error shape names, or the
// legacy query code where SQS has no shape).
type Kind string

const (
	QueueDoesNotExist            Kind = "QueueDoesNotExist"
	QueueNameExists              Kind = "QueueNameExists"
	InvalidAddress               Kind = "InvalidAddress"
	InvalidAttributeName         Kind = "InvalidAttributeName"
	InvalidAttributeValue        Kind = "InvalidAttributeValue"
	InvalidMessageContents       Kind = "InvalidMessageContents"
	ReceiptHandleIsInvalid       Kind = "ReceiptHandleIsInvalid"
	MessageNotInflight           Kind = "MessageNotInflight"
	PurgeQueueInProgress         Kind = "PurgeQueueInProgress"
	EmptyBatchRequest            Kind = "EmptyBatchRequest"
	TooManyEntriesInBatchRequest Kind = "TooManyEntriesInBatchRequest"
	BatchEntryIdsNotDistinct     Kind = "BatchEntryIdsNotDistinct"
	BatchRequestTooLong          Kind = "BatchRequestTooLong"
	InvalidBatchEntryID          Kind = "InvalidBatchEntryId"
	UnsupportedOperation         Kind = "UnsupportedOperation"
	// Not modeled shapes: SQS sends them only as query codes.
	InvalidParameterValue Kind = "InvalidParameterValue"
	MissingParameter      Kind = "MissingParameter"
	AccessDenied          Kind = "AccessDenied"
)

// Error is the package's typed error.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "queue: " + string(e.Kind) + ": " + e.Message }

// Permanent reports whether retrying the same request cannot succeed: the
// queue does not exist or is not the caller's, or the message itself is
// invalid. Store failures are not *Error and so are never permanent.
func (e *Error) Permanent() bool {
	switch e.Kind {
	case QueueDoesNotExist, AccessDenied, InvalidAddress, InvalidMessageContents, InvalidParameterValue, MissingParameter:
		return true
	}
	return false
}

func fail(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// IsKind reports whether err is an *Error of the kind.
func IsKind(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}

var errNoQueue = &Error{Kind: QueueDoesNotExist, Message: "The specified queue does not exist."}

// Caller is the authenticated account making a request.
type Caller struct {
	AccountID string
}

// EnqueueSenderID is the SenderId of messages put by EnqueueTx (event delivery).
const EnqueueSenderID = "events.amazonaws.com"

// Service implements the queue operations for one region.
type Service struct {
	store   store.Store
	region  string
	clock   clock.Clock
	log     *slog.Logger
	baseURL string
	base    *url.URL

	mu      sync.Mutex
	signals map[string]*store.Signal // by queue ARN
	done    chan struct{}
	once    sync.Once
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default: the system clock).
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithBaseURL sets this server's URL as clients reach it; queue URLs are
// BASE/ACCOUNT/NAME (default http://127.0.0.1:8080).
func WithBaseURL(u string) Option { return func(s *Service) { s.baseURL = strings.TrimSuffix(u, "/") } }

// New returns the queue service for one region.
func New(st store.Store, region string, opts ...Option) *Service {
	s := &Service{store: st, region: region, clock: clock.Real{}, log: slog.New(slog.DiscardHandler),
		baseURL: "http://127.0.0.1:8080", signals: map[string]*store.Signal{}, done: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	s.base, _ = url.Parse(s.baseURL)
	if s.base == nil {
		s.base = &url.URL{Scheme: "http", Host: "127.0.0.1:8080"}
	}
	return s
}

// Close ends every long poll in progress (they answer with no messages), so
// that a server shutdown does not wait for them.
func (s *Service) Close() { s.once.Do(func() { close(s.done) }) }

// Notify wakes long-polling receivers of the queue; call it after the
// transaction that added messages committed.
func (s *Service) Notify(queueARN string) { s.signal(queueARN).Fire() }

func (s *Service) signal(arn string) *store.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	sig := s.signals[arn]
	if sig == nil {
		sig = &store.Signal{}
		s.signals[arn] = sig
	}
	return sig
}

// ARN returns the queue ARN of the account's queue in this region.
func (s *Service) ARN(accountID, name string) string {
	return "arn:aws:sqs:" + s.region + ":" + accountID + ":" + name
}

// URL returns the queue URL clients use for the account's queue.
func (s *Service) URL(accountID, name string) string {
	return s.baseURL + "/" + accountID + "/" + name
}

var (
	queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

// parseURL checks that a queue URL is this server's and splits it.
func (s *Service) parseURL(raw string) (account, name string, err error) {
	invalid := fail(InvalidAddress, "The address %s is not valid for this endpoint.", raw)
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", invalid
	}
	if !s.sameHost(u.Host) {
		return "", "", invalid
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) != 2 || !accountRE.MatchString(parts[0]) || parts[1] == "" {
		return "", "", invalid
	}
	return parts[0], parts[1], nil
}

// sameHost accepts the base URL's host; when the server listens on an
// unspecified address (0.0.0.0, ::) any host on its port is accepted.
func (s *Service) sameHost(host string) bool {
	if strings.EqualFold(host, s.base.Host) {
		return true
	}
	bh, bp, err := net.SplitHostPort(s.base.Host)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(bh); ip == nil || !ip.IsUnspecified() {
		return false
	}
	_, p, err := net.SplitHostPort(host)
	return err == nil && p == bp
}

// parseARN splits arn:aws:sqs:REGION:ACCOUNT:NAME.
func parseARN(arn string) (region, account, name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "sqs" || !accountRE.MatchString(parts[4]) ||
		!queueNameRE.MatchString(parts[5]) {
		return "", "", "", false
	}
	return parts[3], parts[4], parts[5], true
}

// lookup resolves a queue URL of the caller's account.
func (s *Service) lookup(ctx context.Context, r store.Reader, c Caller, queueURL string) (store.Queue, error) {
	account, name, err := s.parseURL(queueURL)
	if err != nil {
		return store.Queue{}, err
	}
	if account != c.AccountID {
		return store.Queue{}, fail(AccessDenied, "Access to the resource %s is denied.", queueURL)
	}
	return s.get(ctx, r, account, name)
}

func (s *Service) get(ctx context.Context, r store.Reader, account, name string) (store.Queue, error) {
	q, err := r.GetQueue(ctx, account, s.region, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Queue{}, errNoQueue
	}
	return q, err
}

// Receipt handles name the queue row, the message row and the token of one
// receive: base64url("QUEUE:MESSAGE:TOKEN").
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func receiptHandle(queueID, messageID int64, token string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(queueID, 10) + ":" + strconv.FormatInt(messageID, 10) + ":" + token))
}

func parseReceipt(handle string, queueID int64) (messageID int64, token string, err error) {
	invalid := fail(ReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", handle)
	raw, derr := base64.RawURLEncoding.DecodeString(handle)
	if derr != nil {
		return 0, "", invalid
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || len(parts[2]) != 32 {
		return 0, "", invalid
	}
	q, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || q != queueID {
		return 0, "", invalid
	}
	return m, parts[2], nil
}

func epochMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
