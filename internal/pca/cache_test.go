package pca

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/store/sqlite"
)

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

// The CA cache serves repeated reads, drops an entry when this process
// writes the CA, and expires entries another process may have changed.
func TestCACacheInvalidation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &stepClock{now: time.Unix(1_700_000_000, 0)}
	cache := newCACachingStore(st, clk)
	ca := store.CA{ID: "ca1", AccountID: "000000000000", Region: "us-east-1", ARN: "arn", Type: "ROOT", Status: "CREATING",
		ConfigJSON: []byte("{}"), RevocationJSON: []byte("{}"), KeyHandle: []byte("k"), CreatedAt: clk.now}
	if err := cache.Update(ctx, func(tx store.Tx) error { return tx.InsertCA(ctx, ca) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.GetCA(ctx, "ca1"); got.Status != "CREATING" {
		t.Fatalf("status %s", got.Status)
	}

	// A write through this store is visible at once.
	ca.Status = "ACTIVE"
	if err := cache.Update(ctx, func(tx store.Tx) error { return tx.UpdateCA(ctx, ca) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.GetCA(ctx, "ca1"); got.Status != "ACTIVE" {
		t.Fatalf("after a local update: status %s", got.Status)
	}

	// A write by someone else (straight to the database) shows after the TTL.
	ca.Status = "DISABLED"
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.UpdateCA(ctx, ca) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := cache.GetCA(ctx, "ca1"); got.Status != "ACTIVE" {
		t.Fatalf("within the TTL the cached row serves: status %s", got.Status)
	}
	clk.now = clk.now.Add(caTTL)
	if got, _ := cache.GetCA(ctx, "ca1"); got.Status != "DISABLED" {
		t.Fatalf("after the TTL: status %s", got.Status)
	}
}
