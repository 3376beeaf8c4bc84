package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Concurrent updates share commits, yet each one commits or rolls back on
// its own: a failing update leaves no trace and does not take the others
// with it, and a later update in a group sees an earlier one's writes.
func TestGroupCommitIsolatesEachUpdate(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	errOdd := errors.New("odd updates fail")
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = st.Update(ctx, func(tx store.Tx) error {
				if err := tx.InsertAccount(ctx, store.Account{ID: fmt.Sprintf("%012d", i), CreatedAt: time.Now()}); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range results {
		_, getErr := st.GetAccount(ctx, fmt.Sprintf("%012d", i))
		if i%2 == 1 {
			if !errors.Is(err, errOdd) || !errors.Is(getErr, store.ErrNotFound) {
				t.Fatalf("update %d: err %v, account lookup %v; want its error and no account", i, err, getErr)
			}
		} else if err != nil || getErr != nil {
			t.Fatalf("update %d: err %v, account lookup %v", i, err, getErr)
		}
	}

	// A conflict inside one update is that update's error only.
	err := st.Update(ctx, func(tx store.Tx) error {
		return tx.InsertAccount(ctx, store.Account{ID: fmt.Sprintf("%012d", 0), CreatedAt: time.Now()})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate insert: %v", err)
	}
}

// A panic inside fn reaches the caller, and the store keeps working.
func TestGroupCommitPanicsReachTheCaller(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the panic value", v)
			}
		}()
		st.Update(ctx, func(store.Tx) error { panic("boom") })
	}()
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.InsertAccount(ctx, store.Account{ID: "000000000001", CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
}

// Updates after Close fail instead of hanging.
func TestUpdateAfterClose(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := st.Update(context.Background(), func(store.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("update after close: %v", err)
	}
}
