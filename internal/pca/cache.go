package pca

import (
	"context"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/store"
)

// caTTL bounds how long a CA row read outside a transaction is reused.
// Every decision that must be current (status before issuing, revoking,
// importing…) re-reads the CA inside its write transaction, so the cache only
// serves lookups whose answer barely changes: the ARN's existence, its key
// handle and certificate. Changes made through this process drop the entry
// at once; the TTL bounds how stale another process's change can look.
const caTTL = time.Second

// caCachingStore is the service's store: CA reads outside transactions come
// from a short-lived cache, and every transaction that inserts or updates a
// CA drops that CA's entry once it ends.
type caCachingStore struct {
	store.Store
	clock clock.Clock

	mu      sync.Mutex
	entries map[string]cachedCA
	// generation counts forgets, so that a read which began before a write
	// committed does not put the old row back after the write dropped it.
	generation uint64
}

type cachedCA struct {
	ca       store.CA
	loadedAt time.Time
}

func newCACachingStore(st store.Store, clk clock.Clock) *caCachingStore {
	return &caCachingStore{Store: st, clock: clk, entries: map[string]cachedCA{}}
}

func (c *caCachingStore) GetCA(ctx context.Context, id string) (store.CA, error) {
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	gen := c.generation
	c.mu.Unlock()
	if ok && now.Sub(e.loadedAt) < caTTL && now.Sub(e.loadedAt) >= 0 {
		return e.ca, nil
	}
	ca, err := c.Store.GetCA(ctx, id)
	if err != nil {
		return ca, err
	}
	c.mu.Lock()
	if c.generation == gen {
		c.entries[id] = cachedCA{ca: ca, loadedAt: now}
	}
	c.mu.Unlock()
	return ca, nil
}

func (c *caCachingStore) forget(ids []string) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	for _, id := range ids {
		delete(c.entries, id)
	}
}

func (c *caCachingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	var touched []string
	defer func() { c.forget(touched) }()
	return c.Store.Update(ctx, func(tx store.Tx) error {
		return fn(&caTrackingTx{Tx: tx, touched: &touched})
	})
}

// caTrackingTx records which CAs a transaction writes.
type caTrackingTx struct {
	store.Tx
	touched *[]string
}

func (t *caTrackingTx) InsertCA(ctx context.Context, ca store.CA) error {
	*t.touched = append(*t.touched, ca.ID)
	return t.Tx.InsertCA(ctx, ca)
}

func (t *caTrackingTx) UpdateCA(ctx context.Context, ca store.CA) error {
	*t.touched = append(*t.touched, ca.ID)
	return t.Tx.UpdateCA(ctx, ca)
}
