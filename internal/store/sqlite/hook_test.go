package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// The append hook runs inside transactions that appended events, after
// their writes, and what it writes commits with them; its afterCommit runs
// only once they are committed. A failing or panicking hook is undone alone:
// the update it rode on still commits. Transactions without events never
// run it.
func TestAppendHook(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	var seq atomic.Int64
	appendEvent := func(tx store.Tx) error {
		n := seq.Add(1)
		return tx.AppendEvent(ctx, store.Event{ID: fmt.Sprint("ev", n), AccountID: "111122223333", Region: "us-east-1",
			DetailType: "t", Payload: []byte("{}"), CreatedAt: time.Unix(1_700_000_000, 0)})
	}
	cursor := func() int64 {
		t.Helper()
		c, err := st.GetCursor(ctx, "hook")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	var calls, afters atomic.Int32
	type failure struct{ with any } // an error, or a string to panic with
	var failWith atomic.Value
	st.SetAppendHook(func(tx store.Tx) (func(), error) {
		calls.Add(1)
		evs, err := tx.ListEvents(ctx, 0, 1000)
		if err != nil {
			return nil, err
		}
		// The hook sees the transaction's own events and writes with it.
		if err := tx.SetCursor(ctx, "hook", evs[len(evs)-1].Seq); err != nil {
			return nil, err
		}
		f, _ := failWith.Load().(failure)
		switch f := f.with.(type) {
		case error:
			return nil, f
		case string:
			panic(f)
		}
		return func() {
			// Runs after the commit: the read pool sees the hook's write.
			if c, err := st.GetCursor(ctx, "hook"); err != nil || c != evs[len(evs)-1].Seq {
				t.Errorf("afterCommit sees cursor %d (%v), want %d", c, err, evs[len(evs)-1].Seq)
			}
			afters.Add(1)
		}, nil
	})

	if err := st.Update(ctx, appendEvent); err != nil {
		t.Fatal(err)
	}
	// afterCommit runs after the commit, possibly after Update returned.
	for deadline := time.Now().Add(5 * time.Second); afters.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if calls.Load() != 1 || afters.Load() != 1 || cursor() != 1 {
		t.Fatalf("after one event: %d calls, %d afterCommits, cursor %d", calls.Load(), afters.Load(), cursor())
	}

	// No event, no hook.
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.SetCursor(ctx, "other", 5) }); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("a transaction without events ran the hook")
	}
	// An update that fails appends nothing, so runs no hook either.
	if err := st.Update(ctx, func(tx store.Tx) error {
		if err := appendEvent(tx); err != nil {
			return err
		}
		return errors.New("refused")
	}); err == nil {
		t.Fatal("the failing update committed")
	}
	if calls.Load() != 1 {
		t.Fatalf("a rolled-back update ran the hook")
	}

	for _, f := range []any{errors.New("hook down"), "hook panics"} {
		failWith.Store(failure{f})
		before := calls.Load()
		if err := st.Update(ctx, appendEvent); err != nil {
			t.Fatalf("%v: the update failed with its hook: %v", f, err)
		}
		if calls.Load() != before+1 || afters.Load() != 1 || cursor() != 1 {
			t.Fatalf("%v: %d calls, %d afterCommits, cursor %d", f, calls.Load(), afters.Load(), cursor())
		}
		if evs, _ := st.ListEvents(ctx, 0, 100); len(evs) == 0 || evs[len(evs)-1].ID != fmt.Sprint("ev", seq.Load()) {
			t.Fatalf("%v: the update's event was not kept", f)
		}
	}

	// Grouped with other updates, a failing hook still fails none of them.
	failWith.Store(failure{errors.New("hook down")})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- st.Update(ctx, appendEvent) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a grouped update failed with its hook: %v", err)
		}
	}
	if evs, _ := st.ListEvents(ctx, 0, 1000); int64(len(evs)) != seq.Load()-1 { // one update above was refused
		t.Fatalf("%d events kept, want %d", len(evs), seq.Load()-1)
	}

	st.SetAppendHook(nil)
	before := calls.Load()
	if err := st.Update(ctx, appendEvent); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != before {
		t.Fatal("a removed hook ran")
	}
}

// Changed fires for commits that wrote deliveries or appended events no hook
// relayed, and stays quiet for events the hook relayed.
func TestChangedSignal(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	var n atomic.Int64
	appendEvent := func(tx store.Tx) error {
		return tx.AppendEvent(ctx, store.Event{ID: fmt.Sprint("ev", n.Add(1)), AccountID: "111122223333", Region: "us-east-1",
			DetailType: "t", Payload: []byte("{}"), CreatedAt: time.Unix(1_700_000_000, 0)})
	}
	insertDelivery := func(tx store.Tx) error {
		_, err := tx.InsertDelivery(ctx, store.Delivery{EventID: "ev", AccountID: "111122223333", Region: "us-east-1",
			RuleArn: "r", TargetID: "t", TargetArn: "a", Target: []byte("{}"), Payload: []byte("{}"),
			EventTime: time.Unix(1_700_000_000, 0), NextAt: time.Unix(1_700_000_000, 0)})
		return err
	}
	var hookFails atomic.Bool
	relayHook := func(tx store.Tx) (func(), error) {
		if hookFails.Load() {
			return nil, errors.New("hook down")
		}
		return nil, tx.SetCursor(ctx, "hook", n.Load())
	}
	fired := func(fn func(store.Tx) error) bool {
		t.Helper()
		c := st.Changed()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	if !fired(appendEvent) {
		t.Error("events with no hook to relay them: no signal")
	}
	if fired(func(tx store.Tx) error { return tx.SetCursor(ctx, "other", 1) }) {
		t.Error("a commit without events or deliveries fired")
	}
	st.SetAppendHook(relayHook)
	if fired(appendEvent) {
		t.Error("events the hook relayed fired")
	}
	if !fired(insertDelivery) {
		t.Error("a new delivery: no signal")
	}
	hookFails.Store(true)
	if !fired(appendEvent) {
		t.Error("events the hook failed to relay: no signal")
	}
}
