package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/events/pattern"
	"github.com/openpca/openpca/internal/store"
)

// Queues puts events into SQS-compatible queues inside the caller's
// transaction, so a delivery and its removal from the delivery table commit
// together. An error with a Permanent() method reporting true (the queue does
// not exist) sends the event to the dead-letter queue without retrying.
type Queues interface {
	EnqueueTx(ctx context.Context, tx store.Tx, queueARN, body string, attrs map[string]string, now time.Time) (string, error)
	Notify(queueARN string)
}

// Sender delivers events to targets outside any transaction (HTTP endpoints,
// NATS). It returns a *DeliveryError to classify a failure; any other error
// is retried.
type Sender interface {
	Send(ctx context.Context, del store.Delivery, target Target) error
}

// DeliveryError is a classified delivery failure. Code is what EventBridge
// writes in the ERROR_CODE attribute of a dead-lettered event.
type DeliveryError struct {
	Code      string
	Message   string
	Retryable bool
}

func (e *DeliveryError) Error() string { return e.Code + ": " + e.Message }

const (
	outboxCursor   = "outbox"
	relayBatch     = 256
	deliveryBatch  = 64
	idleWait       = time.Second
	defaultRetries = 185
	defaultMaxAge  = 24 * time.Hour
	maxBackoff     = 5 * time.Minute
	firstBackoff   = time.Second
	// claimLease is how long a claimed out-of-transaction delivery stays
	// invisible to other dispatchers; a process that dies mid-send loses its
	// claims after this long and another (or its restart) sends again.
	claimLease = 15 * time.Second
	// maxInFlight bounds concurrent sends so one slow endpoint cannot take
	// every goroutine.
	maxInFlight = 32
)

// Dispatcher moves committed events to their targets: the relay matches
// outbox rows against rules and writes one delivery row per target in the
// transaction that advances its cursor; the deliverer hands each delivery to
// its target and deletes it, retrying with backoff from the database. A crash
// at any point re-runs work (at least once), never loses it.
//
// Queue and event-bus targets are delivered inside a transaction (a batch of
// them commits together); other targets are claimed with a lease in the
// database, sent concurrently, then deleted or rescheduled.
type Dispatcher struct {
	store   store.Store
	queues  Queues
	senders map[TargetKind]Sender
	clock   clock.Clock
	log     *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	patterns map[string]*pattern.Pattern // by pattern text
	inFlight map[int64]bool
	stopped  bool // Run has ended: no new sends
	// poke wakes the loops for work the store's signal does not announce: a
	// relay at commit that left events behind.
	poke  store.Signal
	slots chan struct{}
	sends sync.WaitGroup
}

// DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher)

// WithDispatchClock sets the dispatcher's clock.
func WithDispatchClock(c clock.Clock) DispatcherOption { return func(d *Dispatcher) { d.clock = c } }

// WithDispatchLogger sets the dispatcher's logger.
func WithDispatchLogger(l *slog.Logger) DispatcherOption { return func(d *Dispatcher) { d.log = l } }

// WithSender delivers targets of kind through s.
func WithSender(kind TargetKind, s Sender) DispatcherOption {
	return func(d *Dispatcher) { d.senders[kind] = s }
}

// WithMetrics records delivery metrics.
func WithMetrics(m *Metrics) DispatcherOption { return func(d *Dispatcher) { d.metrics = m } }

// NewDispatcher returns a dispatcher over the store.
func NewDispatcher(st store.Store, queues Queues, opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{store: st, queues: queues, senders: map[TargetKind]Sender{}, clock: clock.Real{},
		log: slog.New(slog.DiscardHandler), patterns: map[string]*pattern.Pattern{}, inFlight: map[int64]bool{},
		slots: make(chan struct{}, maxInFlight)}
	for _, o := range opts {
		o(d)
	}
	if d.metrics == nil {
		d.metrics = NewMetrics(nil)
	}
	return d
}

// Run relays and delivers until ctx ends, then waits for sends in flight.
func (d *Dispatcher) Run(ctx context.Context) {
	d.mu.Lock()
	d.stopped = false
	d.mu.Unlock()
	d.store.SetAppendHook(d.relayHook(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		d.loop(ctx, d.relayStep, func(context.Context) time.Duration { return idleWait })
	}()
	go func() { defer wg.Done(); d.loop(ctx, d.deliverStep, d.untilNextDelivery) }()
	wg.Wait()
	d.store.SetAppendHook(nil)
	// A commit may still be running the hook it loaded: from here on what it
	// hands over is not sent but left to its lease, for the next start.
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	d.sends.Wait()
}

// loop runs step until it reports no work, then sleeps until the store
// signals a commit with events or deliveries, or until idle() elapses.
func (d *Dispatcher) loop(ctx context.Context, step func(context.Context) (bool, error), idle func(context.Context) time.Duration) {
	for ctx.Err() == nil {
		changed := d.store.Changed() // taken before the step, so no commit is missed
		poked := d.poke.C()
		more, err := step(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "event dispatch", "err", err)
			more = false
			changed, poked = nil, nil // a failing store is retried after idle, not spun on
		}
		if more {
			continue
		}
		timer := time.NewTimer(idle(ctx))
		select {
		case <-ctx.Done():
		case <-changed:
		case <-poked:
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

// relayStep matches the next batch of outbox rows. Most batches are relayed
// by the append hook inside the transaction that wrote them, so it looks on
// the read pool first and takes a write transaction only for what is left:
// events of a hook that failed, of another process, or from before a crash.
func (d *Dispatcher) relayStep(ctx context.Context) (bool, error) {
	cursor, err := d.store.GetCursor(ctx, outboxCursor)
	if err != nil {
		return false, err
	}
	if evs, err := d.store.ListEvents(ctx, cursor, 1); err != nil || len(evs) == 0 {
		if err == nil {
			d.metrics.OutboxLag.Set(0)
		}
		return false, err
	}
	var r relayed
	err = d.store.Update(ctx, func(tx store.Tx) (err error) {
		r, err = d.relayTx(ctx, tx)
		return err
	})
	if err != nil {
		return false, err
	}
	d.afterRelay(ctx, r)
	return r.more, nil
}

// relayHook relays, inside the transaction that appended them, the events
// it appended (and any older ones still waiting): the event is matched and
// handed to queue targets in the commit that creates it.
func (d *Dispatcher) relayHook(ctx context.Context) store.AppendHook {
	return func(tx store.Tx) (after func(), err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("events: relay at commit panicked: %v", p)
			}
			if err != nil && ctx.Err() == nil {
				d.log.WarnContext(ctx, "relay at commit failed; the relay loop retries", "err", err)
			}
		}()
		// Checked once, up front: a statement interrupted by a cancelled
		// context makes SQLite roll back the whole transaction, the changes
		// the hook rides on included, so the statements themselves run to
		// the end.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := d.relayTx(context.WithoutCancel(ctx), tx)
		if err != nil {
			return nil, err
		}
		return func() {
			// It runs on the store's writer goroutine: a panic must not end it.
			defer func() {
				if p := recover(); p != nil {
					d.log.ErrorContext(ctx, "after the relay at commit", "panic", p)
				}
			}()
			d.afterRelay(ctx, r)
			if r.more {
				d.poke.Fire() // the batch was full: the relay loop takes the rest
			}
		}, nil
	}
}

// relayed is what one relay transaction did.
type relayed struct {
	fx     txEffects
	oldest time.Time // creation time of the batch's first event
	more   bool      // the batch was full: more may be waiting
}

// relayTx matches the next batch of outbox rows after the cursor and
// advances it, all in tx.
func (d *Dispatcher) relayTx(ctx context.Context, tx store.Tx) (relayed, error) {
	var r relayed
	cursor, err := tx.GetCursor(ctx, outboxCursor)
	if err != nil {
		return r, err
	}
	evs, err := tx.ListEvents(ctx, cursor, relayBatch)
	if err != nil || len(evs) == 0 {
		return r, err
	}
	r.oldest = evs[0].CreatedAt
	view := newBusView(tx)
	for _, ev := range evs {
		bus := ev.BusName
		if bus == "" {
			bus = DefaultBus
		}
		if err := d.fanOut(ctx, tx, view, &r.fx, ev.ID, ev.AccountID, ev.Region, bus, ev.Payload, ev.CreatedAt); err != nil {
			return relayed{}, err
		}
	}
	r.more = len(evs) == relayBatch
	return r, tx.SetCursor(ctx, outboxCursor, evs[len(evs)-1].Seq)
}

func (d *Dispatcher) afterRelay(ctx context.Context, r relayed) {
	d.applied(ctx, r.fx)
	if r.oldest.IsZero() {
		d.metrics.OutboxLag.Set(0)
	} else {
		d.metrics.OutboxLag.Set(d.clock.Now().Sub(r.oldest).Seconds())
	}
}

// txEffects are what a dispatch transaction did that others must learn of
// once it commits: queues to wake and deliveries to count.
type txEffects struct {
	notify    []string
	delivered []store.Delivery
	send      []store.Delivery // claimed deliveries to send now
}

func (d *Dispatcher) applied(ctx context.Context, fx txEffects) {
	for _, arn := range fx.notify {
		d.queues.Notify(arn)
	}
	for _, del := range fx.delivered {
		d.observeDelivered(del)
	}
	for _, del := range fx.send {
		d.startSend(ctx, del)
	}
}

// fanOut delivers the event to every target of every enabled rule on the bus
// whose pattern matches it: queues get the message in this transaction (the
// cheapest durable hand-off), other targets a delivery row. A queue that
// fails permanently gets a delivery row too, which dead-letters it.
func (d *Dispatcher) fanOut(ctx context.Context, tx store.Tx, view *busView, fx *txEffects, eventID, account, region, bus string, payload []byte, at time.Time) error {
	key := busKey{account, region, bus}
	rules, err := view.rulesOf(ctx, key)
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
			if targets, err = view.targetsOf(ctx, key); err != nil {
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
			del := store.Delivery{EventID: eventID, AccountID: account, Region: region, RuleArn: ruleArn, TargetID: t.ID,
				TargetArn: t.Arn, Target: t.Config, Payload: body, EventTime: at, NextAt: d.clock.Now()}
			d.metrics.Matched.WithLabelValues(string(KindOf(t.Arn))).Inc()
			if KindOf(t.Arn) == KindQueue {
				_, err := d.queues.EnqueueTx(ctx, tx, t.Arn, string(body), nil, d.clock.Now())
				var p interface{ Permanent() bool }
				switch {
				case err == nil:
					fx.notify = append(fx.notify, t.Arn)
					fx.delivered = append(fx.delivered, del)
					continue
				case !errors.As(err, &p) || !p.Permanent():
					return err
				}
			}
			if !KindOf(t.Arn).transactional() {
				// Claimed in this transaction and sent as soon as it commits:
				// no second transaction, no wait for the deliverer.
				del.NextAt = del.NextAt.Add(claimLease)
			}
			id, err := tx.InsertDelivery(ctx, del)
			if err != nil {
				return err
			}
			if del.ID = id; !KindOf(t.Arn).transactional() {
				fx.send = append(fx.send, del)
			}
		}
	}
	return nil
}

type busKey struct{ account, region, bus string }

// busView reads each bus's rules and targets once per transaction: nothing
// else can change them while it runs, and a relay batch is mostly events of
// a few accounts' default buses.
type busView struct {
	tx      store.Tx
	rules   map[busKey][]store.Rule
	targets map[busKey][]store.Target
}

func newBusView(tx store.Tx) *busView {
	return &busView{tx: tx, rules: map[busKey][]store.Rule{}, targets: map[busKey][]store.Target{}}
}

func (v *busView) rulesOf(ctx context.Context, k busKey) ([]store.Rule, error) {
	return readOnce(v.rules, k, func() ([]store.Rule, error) { return v.tx.ListRules(ctx, k.account, k.region, k.bus) })
}

func (v *busView) targetsOf(ctx context.Context, k busKey) ([]store.Target, error) {
	return readOnce(v.targets, k, func() ([]store.Target, error) {
		return v.tx.ListBusTargets(ctx, k.account, k.region, k.bus)
	})
}

func readOnce[T any](seen map[busKey][]T, k busKey, read func() ([]T, error)) ([]T, error) {
	if v, ok := seen[k]; ok {
		return v, nil
	}
	v, err := read()
	if err == nil {
		seen[k] = v
	}
	return v, err
}

// deliverStep claims due deliveries: transactional ones are delivered in the
// claiming transaction, the others are leased and sent concurrently.
func (d *Dispatcher) deliverStep(ctx context.Context) (bool, error) {
	now := d.clock.Now()
	// Look first on the read pool: most wake-ups (every commit) find nothing
	// due, and must not cost a write transaction.
	inFlight := d.inFlightSnapshot()
	due, err := d.store.DueDeliveries(ctx, now, deliveryBatch+len(inFlight))
	if err != nil {
		return false, err
	}
	if !slices.ContainsFunc(due, func(del store.Delivery) bool { return !inFlight[del.ID] }) {
		return false, nil
	}
	var claimed []store.Delivery
	var fx txEffects
	full := false
	claim := func(tx store.Tx, inline bool) error {
		claimed, fx, full = nil, txEffects{}, false
		inFlight := d.inFlightSnapshot()
		due, err := tx.DueDeliveries(ctx, now, deliveryBatch+len(inFlight))
		if err != nil {
			return err
		}
		for _, del := range due {
			if inFlight[del.ID] {
				continue
			}
			if len(claimed) == deliveryBatch {
				full = true
				break
			}
			if inline && KindOf(del.TargetArn).transactional() {
				if err := d.sendTx(ctx, tx, &fx, del); err != nil {
					return err
				}
				if err := tx.DeleteDelivery(ctx, del.ID); err != nil {
					return err
				}
				if KindOf(del.TargetArn) == KindQueue {
					fx.notify = append(fx.notify, del.TargetArn)
				}
				fx.delivered = append(fx.delivered, del)
				continue
			}
			lease := del
			lease.NextAt = now.Add(claimLease)
			if err := tx.UpdateDelivery(ctx, lease); err != nil {
				return err
			}
			claimed = append(claimed, del)
		}
		return nil
	}
	err = d.store.Update(ctx, func(tx store.Tx) error { return claim(tx, true) })
	if err != nil && ctx.Err() == nil {
		// One transactional delivery failed and took the batch with it:
		// lease them all and deliver one by one so the failure is isolated.
		err = d.store.Update(ctx, func(tx store.Tx) error { return claim(tx, false) })
	}
	if err != nil {
		return false, err
	}
	d.applied(ctx, fx)
	for _, del := range claimed {
		d.startSend(ctx, del)
	}
	return full, nil
}

func (d *Dispatcher) inFlightSnapshot() map[int64]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.inFlight)
}

// startSend delivers one claimed delivery on its own goroutine, bounded by
// maxInFlight.
func (d *Dispatcher) startSend(ctx context.Context, del store.Delivery) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.inFlight[del.ID] = true
	d.sends.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.sends.Done()
		defer func() {
			d.mu.Lock()
			delete(d.inFlight, del.ID)
			d.mu.Unlock()
		}()
		select {
		case d.slots <- struct{}{}:
		case <-ctx.Done():
			return // the lease expires and the delivery is claimed again
		}
		defer func() { <-d.slots }()
		if err := d.deliver(ctx, del); err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "event delivery bookkeeping", "id", del.ID, "err", err)
		}
	}()
}

func (d *Dispatcher) deliver(ctx context.Context, del store.Delivery) error {
	var target Target
	if err := json.Unmarshal(del.Target, &target); err != nil {
		return fmt.Errorf("events: delivery %d target: %w", del.ID, err)
	}
	kind := KindOf(del.TargetArn)
	var sendErr error
	if kind.transactional() {
		var fx txEffects
		sendErr = d.store.Update(ctx, func(tx store.Tx) error {
			fx = txEffects{}
			if err := d.sendTx(ctx, tx, &fx, del); err != nil {
				return err
			}
			return tx.DeleteDelivery(ctx, del.ID)
		})
		if sendErr == nil {
			d.applied(ctx, fx)
			if kind == KindQueue {
				d.queues.Notify(del.TargetArn)
			}
		}
	} else {
		sender, ok := d.senders[kind]
		if !ok {
			sendErr = &DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: fmt.Sprintf("No sender is configured for target %s.", del.TargetArn)}
		} else if sendErr = sender.Send(ctx, del, target); sendErr == nil {
			sendErr = d.store.Update(ctx, func(tx store.Tx) error { return tx.DeleteDelivery(ctx, del.ID) })
		}
	}
	if sendErr == nil {
		d.observeDelivered(del)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return d.retryOrDeadLetter(ctx, del, target, sendErr)
}

func (d *Dispatcher) observeDelivered(del store.Delivery) {
	kind := string(KindOf(del.TargetArn))
	d.metrics.Delivered.WithLabelValues(kind).Inc()
	d.metrics.Latency.WithLabelValues(kind).Observe(d.clock.Now().Sub(del.EventTime).Seconds())
}

// sendTx performs one transactional delivery inside tx.
func (d *Dispatcher) sendTx(ctx context.Context, tx store.Tx, fx *txEffects, del store.Delivery) error {
	switch KindOf(del.TargetArn) {
	case KindQueue:
		_, err := d.queues.EnqueueTx(ctx, tx, del.TargetArn, string(del.Payload), nil, d.clock.Now())
		var p interface{ Permanent() bool }
		if errors.As(err, &p) && p.Permanent() {
			return &DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: err.Error()}
		}
		return err
	case KindBus:
		region, account, bus, ok := parseBusARN(del.TargetArn)
		if !ok {
			return &DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: del.TargetArn + " is not an event bus ARN."}
		}
		return d.fanOut(ctx, tx, newBusView(tx), fx, del.EventID, account, region, bus, del.Payload, del.EventTime)
	}
	return &DeliveryError{Code: "RESOURCE_NOT_FOUND", Message: "unsupported target " + del.TargetArn}
}

// retryOrDeadLetter schedules the next attempt with exponential backoff and
// full jitter, or, when the retry policy is exhausted or the failure is not
// retryable, moves the event to the dead-letter queue with EventBridge's
// message attributes (or drops it, logged, without one).
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
	kind := string(KindOf(del.TargetArn))
	code, retryable := "SDK_CLIENT_ERROR", true
	var de *DeliveryError
	if errors.As(cause, &de) {
		code, retryable = de.Code, de.Retryable
	}
	now := d.clock.Now()
	exhausted := ""
	switch {
	case !retryable:
	case del.Attempts >= maxRetries:
		exhausted = "MaximumRetryAttempts"
	case now.Sub(del.EventTime) > maxAge:
		exhausted = "MaximumEventAgeInSeconds"
	default:
		del.Attempts++
		del.LastError = cause.Error()
		backoff := min(firstBackoff<<min(del.Attempts-1, 20), maxBackoff)
		del.NextAt = now.Add(backoff/2 + rand.N(backoff/2+1))
		d.metrics.Retried.WithLabelValues(kind).Inc()
		d.log.WarnContext(ctx, "event delivery failed; will retry", "target", del.TargetArn, "attempt", del.Attempts, "err", cause)
		return d.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateDelivery(ctx, del) })
	}
	dlq := ""
	if target.DeadLetterConfig != nil {
		dlq = target.DeadLetterConfig.Arn
	}
	d.log.WarnContext(ctx, "event delivery given up", "target", del.TargetArn, "attempts", del.Attempts,
		"dead_letter_queue", dlq, "err", cause)
	attrs := map[string]string{"RULE_ARN": del.RuleArn, "TARGET_ARN": del.TargetArn, "ERROR_CODE": code,
		"ERROR_MESSAGE": errorMessage(cause), "RETRY_ATTEMPTS": strconv.Itoa(del.Attempts)}
	if exhausted != "" {
		attrs["EXHAUSTED_RETRY_CONDITION"] = exhausted
	}
	err := d.store.Update(ctx, func(tx store.Tx) error {
		if dlq != "" {
			if _, err := d.queues.EnqueueTx(ctx, tx, dlq, string(del.Payload), attrs, now); err != nil {
				return err
			}
		}
		return tx.DeleteDelivery(ctx, del.ID)
	})
	if err != nil {
		// The dead-letter queue itself failed: keep the delivery and try later.
		d.log.ErrorContext(ctx, "dead-letter queue failed", "dead_letter_queue", dlq, "err", err)
		del.NextAt = now.Add(maxBackoff)
		return d.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateDelivery(ctx, del) })
	}
	if dlq != "" {
		d.queues.Notify(dlq)
		d.metrics.DeadLettered.WithLabelValues(kind).Inc()
	} else {
		d.metrics.Dropped.WithLabelValues(kind).Inc()
	}
	return nil
}

func errorMessage(err error) string {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
