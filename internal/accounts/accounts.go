// Package accounts manages tenants and their SigV4 access keys. Secrets are
// sealed under the key-encryption key at rest and opened only to verify
// signatures.
package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/sigv4"
	"github.com/openpca/openpca/internal/store"
)

// Sealer encrypts secrets at rest (keys.Software implements it).
type Sealer interface {
	Seal(plain, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Credentials are what a new account's owner needs to sign requests.
type Credentials struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
}

// Registry creates accounts and looks up their keys for SigV4.
//
// Looked-up credentials are cached: keys are immutable once created, and a
// lookup runs on every request. The cache is safe for concurrent use.
type Registry struct {
	store  store.Store
	sealer Sealer
	clock  clock.Clock
	cache  sync.Map // access key ID → sigv4.Credential
}

var _ sigv4.CredentialSource = (*Registry)(nil)

// New returns a registry over the store.
func New(st store.Store, sealer Sealer, clk clock.Clock) *Registry {
	return &Registry{store: st, sealer: sealer, clock: clk}
}

// ErrAccountExists reports an account ID already taken.
var ErrAccountExists = errors.New("accounts: account already exists")

// Create makes a new account with one access key. An empty accountID gets a
// random 12-digit ID; empty key fields get generated values.
func (r *Registry) Create(ctx context.Context, accountID, accessKeyID, secret string) (Credentials, error) {
	var err error
	if accountID == "" {
		if accountID, err = randomAccountID(); err != nil {
			return Credentials{}, err
		}
	}
	if !validAccountID(accountID) {
		return Credentials{}, fmt.Errorf("accounts: account ID %q must be 12 digits", accountID)
	}
	creds, key, err := r.newKey(accountID, accessKeyID, secret)
	if err != nil {
		return Credentials{}, err
	}
	err = r.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetAccount(ctx, accountID); err == nil {
			return fmt.Errorf("%w: %s", ErrAccountExists, accountID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.InsertAccount(ctx, store.Account{ID: accountID, CreatedAt: r.clock.Now()}); err != nil {
			return err
		}
		return tx.InsertAccessKey(ctx, key)
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("accounts: create: %w", err)
	}
	return creds, nil
}

// AddKey adds an access key to an existing account.
func (r *Registry) AddKey(ctx context.Context, accountID, accessKeyID, secret string) (Credentials, error) {
	creds, key, err := r.newKey(accountID, accessKeyID, secret)
	if err != nil {
		return Credentials{}, err
	}
	if err := r.store.Update(ctx, func(tx store.Tx) error { return tx.InsertAccessKey(ctx, key) }); err != nil {
		return Credentials{}, fmt.Errorf("accounts: add key: %w", err)
	}
	return creds, nil
}

// Exists reports whether the account exists.
func (r *Registry) Exists(ctx context.Context, accountID string) (bool, error) {
	_, err := r.store.GetAccount(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r *Registry) newKey(accountID, accessKeyID, secret string) (Credentials, store.AccessKey, error) {
	var err error
	if accessKeyID == "" {
		if accessKeyID, err = randomString("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16); err != nil {
			return Credentials{}, store.AccessKey{}, err
		}
	}
	if secret == "" {
		if secret, err = randomString("", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40); err != nil {
			return Credentials{}, store.AccessKey{}, err
		}
	}
	sealed, err := r.sealer.Seal([]byte(secret), []byte(accessKeyID))
	if err != nil {
		return Credentials{}, store.AccessKey{}, fmt.Errorf("accounts: seal secret: %w", err)
	}
	key := store.AccessKey{AccessKeyID: accessKeyID, AccountID: accountID, SecretSealed: sealed, CreatedAt: r.clock.Now()}
	return Credentials{AccountID: accountID, AccessKeyID: accessKeyID, SecretAccessKey: secret}, key, nil
}

// LookupAccessKey implements sigv4.CredentialSource.
func (r *Registry) LookupAccessKey(ctx context.Context, accessKeyID string) (sigv4.Credential, error) {
	if c, ok := r.cache.Load(accessKeyID); ok {
		return c.(sigv4.Credential), nil
	}
	key, err := r.store.GetAccessKey(ctx, accessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Credential{}, fmt.Errorf("accounts: lookup: %w", err)
	}
	secret, err := r.sealer.Open(key.SecretSealed, []byte(accessKeyID))
	if err != nil {
		return sigv4.Credential{}, fmt.Errorf("accounts: open secret of %s: %w", accessKeyID, err)
	}
	c := sigv4.Credential{AccessKeyID: accessKeyID, SecretAccessKey: string(secret), AccountID: key.AccountID}
	r.cache.Store(accessKeyID, c)
	return c, nil
}

func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func randomAccountID() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1e12))
	if err != nil {
		return "", fmt.Errorf("accounts: %w", err)
	}
	return fmt.Sprintf("%012d", n), nil
}

func randomString(prefix, alphabet string, n int) (string, error) {
	out := []byte(prefix)
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("accounts: %w", err)
		}
		out = append(out, alphabet[k.Int64()])
	}
	return string(out), nil
}
