package events_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/queue"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/store/sqlite"
)

// More events than one relay batch, appended in one transaction: the relay
// at commit takes the first batch and the relay loop the rest, each event
// reaching the queue target exactly once.
func TestRelayBeyondOneBatch(t *testing.T) {
	const acct, region, events_ = "111122223333", "us-east-1", 600
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	qs := queue.New(st, region)
	defer qs.Close()
	if _, err := qs.CreateQueue(ctx, queue.Caller{AccountID: acct}, "q", nil, nil); err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(st, region)
	caller := events.Caller{AccountID: acct}
	if _, err := bus.PutRule(ctx, caller, events.PutRuleInput{Name: "all", EventPattern: `{"source":["test"]}`}); err != nil {
		t.Fatal(err)
	}
	failed, err := bus.PutTargets(ctx, caller, events.TargetsInput{Rule: "all",
		Targets: []events.Target{{Id: "q", Arn: qs.ARN(acct, "q")}}})
	if err != nil || len(failed) > 0 {
		t.Fatal(err, failed)
	}
	d := events.NewDispatcher(st, qs)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	err = st.Update(ctx, func(tx store.Tx) error {
		for i := range events_ {
			payload := fmt.Sprintf(`{"id":"ev%d","source":"test","detail-type":"t","detail":{"n":%d}}`, i, i)
			if err := tx.AppendEvent(ctx, store.Event{ID: fmt.Sprint("ev", i), AccountID: acct, Region: region,
				DetailType: "t", Payload: []byte(payload), CreatedAt: start}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.GetQueue(ctx, acct, region, "q")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c, err := st.CountQueueMessages(ctx, q.ID, time.Now(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Visible >= events_ || time.Now().After(deadline) {
			if c.Visible != events_ {
				t.Fatalf("%d messages in the queue, want %d", c.Visible, events_)
			}
			break
		}
	}
	t.Logf("%d events relayed in %s", events_, time.Since(start).Round(time.Millisecond))
	msgs, err := st.VisibleQueueMessages(ctx, q.ID, time.Now(), time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.Body] {
			t.Fatalf("delivered twice: %s", m.Body)
		}
		seen[m.Body] = true
	}
	if len(seen) != events_ {
		t.Fatalf("%d distinct events, want %d", len(seen), events_)
	}
}
