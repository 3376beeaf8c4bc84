package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/events/pattern"
	"github.com/openpca/openpca/internal/store"
)

// ErrPermanent marks a delivery failure that retrying cannot fix (the target
// queue no longer exists): the event goes straight to the dead-letter queue.
var ErrPermanent = errors.New("events: permanent delivery failure")

// Queues puts events into SQS-compatible queues inside the caller's
// transaction, so a delivery and its removal from the delivery table commit
// together.
type Queues interface {
	EnqueueTx(ctx context.Context, tx store.Tx, queueARN, body string, now time.Time) (string, error)
	Notify(queueARN string)
}

const (
	outboxCursor     = "outbox"
	relayBatch       = 256
	deliveryBatch    = 64
	idleWait         = time.Second
	defaultRetries   = 185
	defaultMaxAge    = 24 * time.Hour
	maxBackoff       = 5 * time.Minute
	firstBackoff     = time.Second
	deadLetterReason = "dead-lettered"
)

// Dispatcher moves committed events to their targets: the relay matches
// outbox rows against rules and writes one delivery row per target in the
// transaction that advances its cursor; the deliverer hands each delivery to
// its target and deletes it, retrying with backoff from the database. A crash
// at any point re-runs work (at least once), never loses it.
//
// Concurrency: Run starts one relay and one deliverer goroutine; the pattern
// cache is shared between them under a mutex.
type Dispatcher struct {
	store  store.Store
	queues Queues
	clock  clock.Clock
	log    *slog.Logger

	mu       sync.Mutex
	patterns map[string]*pattern.Pattern // by pattern text
}

// NewDispatcher returns a dispatcher over the store.
func NewDispatcher(st store.Store, queues Queues, clk clock.Clock, log *slog.Logger) *Dispatcher {
	return &Dispatcher{store: st, queues: queues, clock: clk, log: log, patterns: map[string]*pattern.Pattern{}}
}

// Run relays and delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		d.loop(ctx, d.relayStep, func(context.Context) time.Duration { return idleWait })
	}()
	go func() { defer wg.Done(); d.loop(ctx, d.deliverStep, d.untilNextDelivery) }()
	wg.Wait()
}

// loop runs step until it reports no work, then sleeps until the store
// signals a commit with events or deliveries, or until idle() elapses.
func (d *Dispatcher) loop(ctx context.Context, step func(context.Context) (bool, error), idle func(context.Context) time.Duration) {
	for ctx.Err() == nil {
		changed := d.store.Changed() // taken before the step, so no commit is missed
		more, err := step(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "event dispatch", "err", err)
			more = false
		}
		if more {
			continue
		}
		timer := time.NewTimer(idle(ctx))
		select {
		case <-ctx.Done():
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

func (d *Dispatcher) untilNextDelivery(ctx context.Context) time.Duration {
	next, err := d.store.NextDeliveryAt(ctx)
	if err != nil || next.IsZero() {
		return idleWait
	}
	return min(max(next.Sub(d.clock.Now()), time.Millisecond), idleWait)
}

func (d *Dispatcher) compiled(src string) (*pattern.Pattern, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.patterns[src]; ok {
		return p, nil
	}
	p, err := pattern.Compile([]byte(src))
	if err != nil {
		return nil, err
	}
	d.patterns[src] = p
	return p, nil
}

// relayStep matches the next batch of outbox rows.
func (d *Dispatcher) relayStep(ctx context.Context) (bool, error) {
	more := false
	err := d.store.Update(ctx, func(tx store.Tx) error {
		cursor, err := tx.GetCursor(ctx, outboxCursor)
		if err != nil {
			return err
		}
		evs, err := tx.ListEvents(ctx, cursor, relayBatch)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, ev := range evs {
			bus := ev.BusName
			if bus == "" {
				bus = DefaultBus
			}
			if err := d.fanOut(ctx, tx, ev.ID, ev.AccountID, ev.Region, bus, ev.Payload, ev.CreatedAt); err != nil {
				return err
			}
		}
		more = len(evs) == relayBatch
		return tx.SetCursor(ctx, outboxCursor, evs[len(evs)-1].Seq)
	})
	return more, err
}

// fanOut writes a delivery for every target of every enabled rule on the bus
// whose pattern matches the event.
func (d *Dispatcher) fanOut(ctx context.Context, tx store.Tx, eventID, account, region, bus string, payload []byte, at time.Time) error {
	rules, err := tx.ListRules(ctx, account, region, bus)
	if err != nil || len(rules) == 0 {
		return err
	}
	event, err := pattern.ParseEvent(payload)
	if err != nil {
		d.log.WarnContext(ctx, "event is not JSON; skipped", "id", eventID, "err", err)
		return nil
	}
	var targets []store.Target
	for _, r := range rules {
		if r.State != "ENABLED" {
			continue
		}
		p, err := d.compiled(r.EventPattern)
		if err != nil || !p.Match(event) {
			continue
		}
		if targets == nil {
			if targets, err = tx.ListBusTargets(ctx, account, region, bus); err != nil {
				return err
			}
		}
		ruleArn := RuleARN(region, account, bus, r.Name)
		for _, t := range targets {
			if t.RuleName != r.Name {
				continue
			}
			var target Target
			if err := json.Unmarshal(t.Config, &target); err != nil {
				return fmt.Errorf("events: stored target %s: %w", t.ID, err)
			}
			body, err := transformInput(target, payload)
			if err != nil {
				d.log.WarnContext(ctx, "input transformation failed; delivering the event", "rule", ruleArn, "target", t.ID, "err", err)
				body = payload
			}
			if err := tx.InsertDelivery(ctx, store.Delivery{EventID: eventID, AccountID: account, Region: region,
				RuleArn: ruleArn, TargetID: t.ID, TargetArn: t.Arn, Target: t.Config, Payload: body, EventTime: at,
				NextAt: d.clock.Now()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliverStep hands due deliveries to their targets.
func (d *Dispatcher) deliverStep(ctx context.Context) (bool, error) {
	due, err := d.store.DueDeliveries(ctx, d.clock.Now(), deliveryBatch)
	if err != nil {
		return false, err
	}
	for _, del := range due {
		if err := d.deliver(ctx, del); err != nil {
			return false, err
		}
	}
	return len(due) == deliveryBatch, nil
}

func (d *Dispatcher) deliver(ctx context.Context, del store.Delivery) error {
	var target Target
	if err := json.Unmarshal(del.Target, &target); err != nil {
		return fmt.Errorf("events: delivery %d target: %w", del.ID, err)
	}
	var notify string
	sendErr := d.store.Update(ctx, func(tx store.Tx) error {
		if err := d.send(ctx, tx, del); err != nil {
			return err
		}
		if strings.HasPrefix(del.TargetArn, "arn:aws:sqs:") {
			notify = del.TargetArn
		}
		return tx.DeleteDelivery(ctx, del.ID)
	})
	if sendErr == nil {
		if notify != "" {
			d.queues.Notify(notify)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return d.retryOrDeadLetter(ctx, del, target, sendErr)
}

// send performs one delivery inside tx.
func (d *Dispatcher) send(ctx context.Context, tx store.Tx, del store.Delivery) error {
	switch {
	case strings.HasPrefix(del.TargetArn, "arn:aws:sqs:"):
		_, err := d.queues.EnqueueTx(ctx, tx, del.TargetArn, string(del.Payload), d.clock.Now())
		return err
	case strings.Contains(del.TargetArn, ":event-bus/"):
		region, account, bus, ok := parseBusARN(del.TargetArn)
		if !ok {
			return fmt.Errorf("%w: %s is not an event bus ARN", ErrPermanent, del.TargetArn)
		}
		return d.fanOut(ctx, tx, del.EventID, account, region, bus, del.Payload, del.EventTime)
	}
	return fmt.Errorf("%w: unsupported target %s", ErrPermanent, del.TargetArn)
}

func parseBusARN(arn string) (region, account, bus string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:events:")
	if !ok {
		return "", "", "", false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	bus, ok = strings.CutPrefix(parts[2], "event-bus/")
	return parts[0], parts[1], bus, ok && bus != ""
}

// retryOrDeadLetter schedules the next attempt with exponential backoff and
// jitter, or, when the retry policy is exhausted or the failure permanent,
// moves the event to the dead-letter queue (or drops it, logged, without one).
func (d *Dispatcher) retryOrDeadLetter(ctx context.Context, del store.Delivery, target Target, cause error) error {
	maxRetries, maxAge := defaultRetries, defaultMaxAge
	if rp := target.RetryPolicy; rp != nil {
		if rp.MaximumRetryAttempts != nil {
			maxRetries = int(*rp.MaximumRetryAttempts)
		}
		if rp.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
	}
	now := d.clock.Now()
	del.Attempts++
	del.LastError = cause.Error()
	exhausted := errors.Is(cause, ErrPermanent) || del.Attempts > maxRetries || now.Sub(del.EventTime) > maxAge
	if !exhausted {
		backoff := firstBackoff << min(del.Attempts-1, 20)
		backoff = min(backoff, maxBackoff)
		del.NextAt = now.Add(backoff/2 + rand.N(backoff/2+1))
		d.log.WarnContext(ctx, "event delivery failed; will retry", "target", del.TargetArn, "attempt", del.Attempts, "err", cause)
		return d.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateDelivery(ctx, del) })
	}
	dlq := ""
	if target.DeadLetterConfig != nil {
		dlq = target.DeadLetterConfig.Arn
	}
	d.log.WarnContext(ctx, "event delivery exhausted", "target", del.TargetArn, "attempts", del.Attempts, "dead_letter_queue", dlq, "err", cause)
	err := d.store.Update(ctx, func(tx store.Tx) error {
		if dlq != "" {
			if _, err := d.queues.EnqueueTx(ctx, tx, dlq, string(del.Payload), now); err != nil {
				return err
			}
		}
		return tx.DeleteDelivery(ctx, del.ID)
	})
	if err != nil {
		// The dead-letter queue itself failed: keep the delivery and retry later.
		del.NextAt = now.Add(maxBackoff)
		return d.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateDelivery(ctx, del) })
	}
	if dlq != "" {
		d.queues.Notify(dlq)
	}
	return nil
}
