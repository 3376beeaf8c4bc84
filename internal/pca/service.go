// Package pca is AWS Private CA's domain: certificate authority lifecycle,
// issuance and revocation, with every state change and its event committed
// in one store transaction. It knows nothing of HTTP.
package pca

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/store"
)

// CA statuses.
const (
	StatusCreating           = "CREATING"
	StatusPendingCertificate = "PENDING_CERTIFICATE"
	StatusActive             = "ACTIVE"
	StatusDisabled           = "DISABLED"
	StatusDeleted            = "DELETED"
	StatusExpired            = "EXPIRED"
	StatusFailed             = "FAILED"
)

// idempotencyWindow is how long an IdempotencyToken returns the same result.
const idempotencyWindow = 5 * time.Minute

// Service implements the AWS Private CA operations.
type Service struct {
	store   store.Store
	keys    keys.Backend
	region  string
	clock   clock.Clock
	rand    io.Reader
	log     *slog.Logger
	baseURL string
	recent  *recentCertificates
	issuers issuerCache
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default: the system clock).
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithBaseURL sets this server's URL as clients reach it, for the CRL and
// OCSP links in issued certificates (default http://127.0.0.1:8080).
func WithBaseURL(u string) Option { return func(s *Service) { s.baseURL = strings.TrimSuffix(u, "/") } }

// WithRandom sets the randomness for serial numbers (default: crypto/rand).
func WithRandom(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// New returns the service for one region.
func New(st store.Store, kb keys.Backend, region string, opts ...Option) *Service {
	s := &Service{store: st, keys: kb, region: region, clock: clock.Real{}, rand: rand.Reader,
		log: slog.New(slog.DiscardHandler), baseURL: "http://127.0.0.1:8080", recent: newRecentCertificates()}
	for _, o := range opts {
		o(s)
	}
	s.store = newCACachingStore(st, s.clock)
	return s
}

// loadCA resolves a CA ARN for the caller: malformed → InvalidArn, absent or
// past its restore window → ResourceNotFound. Another account's CA needs a
// resource policy allowing the action (action "" means owner only);
// otherwise → AccessDenied, whether or not the CA exists.
func (s *Service) loadCA(ctx context.Context, r store.Reader, caller Caller, arn, action string, conditions map[string]string) (store.CA, error) {
	parsed, err := parseCAARN(arn)
	if err != nil {
		return store.CA{}, err
	}
	ca, err := r.GetCA(ctx, parsed.ID)
	found := err == nil && ca.ARN == arn && !s.purged(ca)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.CA{}, fmt.Errorf("pca: load CA: %w", err)
	}
	if parsed.Account != caller.AccountID {
		allowed := false
		if found && action != "" {
			if allowed, err = s.policyAllows(ctx, r, ca, caller, action, conditions); err != nil {
				return store.CA{}, err
			}
		}
		if !allowed {
			return store.CA{}, fail(AccessDenied, "User in account %s is not authorized to perform %s on resource %s.",
				caller.AccountID, strings.TrimPrefix(action, "acm-pca:"), arn)
		}
	}
	if !found {
		return store.CA{}, fail(ResourceNotFound, "Could not find certificate authority %s.", arn)
	}
	return ca, nil
}

func (s *Service) policyAllows(ctx context.Context, r store.Reader, ca store.CA, caller Caller, action string, conditions map[string]string) (bool, error) {
	stored, err := r.GetPolicy(ctx, ca.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pca: load policy: %w", err)
	}
	p, err := parsePolicy(stored.Document, ca.ARN)
	if err != nil {
		return false, fmt.Errorf("pca: stored policy of %s: %w", ca.ARN, err)
	}
	context := map[string]string{conditionPrincipalAccount: caller.AccountID}
	for k, v := range conditions {
		context[k] = v
	}
	return p.allows(caller.AccountID, action, ca.ARN, context), nil
}

// purged reports a deleted CA whose restore window has passed: for every
// purpose it no longer exists.
func (s *Service) purged(ca store.CA) bool {
	return ca.Status == StatusDeleted && !s.clock.Now().Before(ca.RestorableUntil)
}

func requireStatus(ca store.CA, allowed ...string) error {
	for _, st := range allowed {
		if ca.Status == st {
			return nil
		}
	}
	return fail(InvalidState, "The certificate authority %s is in the %s state; this action requires one of %v.", ca.ARN, ca.Status, allowed)
}

// requestHash fingerprints a request so a reused IdempotencyToken with
// different parameters is treated as a new request.
func requestHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// idempotentResult returns the stored result of an earlier identical request
// made with the same token within the window, or "".
func (s *Service) idempotentResult(ctx context.Context, r store.Reader, caller Caller, op, token, hash string) (string, error) {
	if token == "" {
		return "", nil
	}
	rec, err := r.GetIdempotency(ctx, caller.AccountID, op, token)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pca: idempotency: %w", err)
	}
	if rec.RequestHash != hash || s.clock.Now().Sub(rec.CreatedAt) > idempotencyWindow {
		return "", nil
	}
	return rec.Result, nil
}

func (s *Service) rememberResult(ctx context.Context, tx store.Tx, caller Caller, op, token, hash, result string) error {
	if token == "" {
		return nil
	}
	return tx.PutIdempotency(ctx, store.Idempotency{AccountID: caller.AccountID, Operation: op, Token: token,
		RequestHash: hash, Result: result, CreatedAt: s.clock.Now()})
}

// emit appends an AWS Private CA event to the outbox of the CA owner's account.
func (s *Service) emit(ctx context.Context, tx store.Tx, ca store.CA, detailType string, detail events.PCADetail, resources ...string) error {
	ev, err := events.NewPCA(uuid.NewString(), ca.AccountID, ca.Region, detailType, s.clock.Now(), detail,
		append([]string{ca.ARN}, resources...)...)
	if err != nil {
		return err
	}
	return tx.AppendEvent(ctx, ev)
}

func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("pca: stored document: %w", err)
	}
	return nil
}
