package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/events/pattern"
	"github.com/openpca/openpca/internal/store"
)

// DefaultBus receives AWS service events; it exists for every account.
const DefaultBus = "default"

// Kind names a failure as EventBridge's API does.
type Kind string

const (
	ResourceNotFound      Kind = "ResourceNotFoundException"
	ResourceAlreadyExists Kind = "ResourceAlreadyExistsException"
	InvalidEventPattern   Kind = "InvalidEventPatternException"
	Validation            Kind = "ValidationException"
	ConcurrentModify      Kind = "ConcurrentModificationException"
)

// Error is the bus's typed error; the API edge turns Kind into the wire type.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "events: " + string(e.Kind) + ": " + e.Message }

func fail(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Caller is the authenticated account.
type Caller struct{ AccountID string }

// Bus implements the EventBridge control plane and PutEvents for one region.
type Bus struct {
	store  store.Store
	region string
	clock  clock.Clock
	log    *slog.Logger
	sealer Sealer
	// natsTargets is set when the server has a NATS connection to deliver with.
	natsTargets bool
}

// WithNATSTargets accepts NATS subject targets.
func WithNATSTargets() BusOption { return func(b *Bus) { b.natsTargets = true } }

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithBusClock sets the clock.
func WithBusClock(c clock.Clock) BusOption { return func(b *Bus) { b.clock = c } }

// NewBus returns the bus service.
func NewBus(st store.Store, region string, opts ...BusOption) *Bus {
	b := &Bus{store: st, region: region, clock: clock.Real{}, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(b)
	}
	return b
}

// BusARN is an event bus's ARN.
func BusARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", region, account, name)
}

// RuleARN is a rule's ARN: rule/NAME on the default bus, rule/BUS/NAME elsewhere.
func RuleARN(region, account, bus, name string) string {
	if bus == DefaultBus {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, account, name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", region, account, bus, name)
}

// busName accepts a bus name or ARN (of the caller's account) and checks it exists.
func (b *Bus) busName(ctx context.Context, r store.Reader, caller Caller, nameOrArn string) (string, error) {
	name := nameOrArn
	if name == "" {
		return DefaultBus, nil
	}
	if rest, ok := strings.CutPrefix(name, "arn:aws:events:"); ok {
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) != 3 || parts[0] != b.region || parts[1] != caller.AccountID || !strings.HasPrefix(parts[2], "event-bus/") {
			return "", fail(ResourceNotFound, "Event bus %s does not exist.", nameOrArn)
		}
		name = strings.TrimPrefix(parts[2], "event-bus/")
	}
	if name == DefaultBus {
		return name, nil
	}
	if _, err := r.GetEventBus(ctx, caller.AccountID, b.region, name); errors.Is(err, store.ErrNotFound) {
		return "", fail(ResourceNotFound, "Event bus %s does not exist.", name)
	} else if err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	return name, nil
}

type EventBusView struct {
	Name         string
	Arn          string
	CreationTime time.Time
}

func (b *Bus) CreateEventBus(ctx context.Context, caller Caller, name string) (string, error) {
	if name == DefaultBus || strings.HasPrefix(name, "aws.") {
		return "", fail(Validation, "Event bus name %q is reserved.", name)
	}
	err := b.store.Update(ctx, func(tx store.Tx) error {
		err := tx.InsertEventBus(ctx, store.EventBus{AccountID: caller.AccountID, Region: b.region, Name: name, CreatedAt: b.clock.Now()})
		if errors.Is(err, store.ErrConflict) {
			return fail(ResourceAlreadyExists, "Event bus %s already exists.", name)
		}
		return err
	})
	return BusARN(b.region, caller.AccountID, name), err
}

func (b *Bus) DescribeEventBus(ctx context.Context, caller Caller, nameOrArn string) (EventBusView, error) {
	name, err := b.busName(ctx, b.store, caller, nameOrArn)
	if err != nil {
		return EventBusView{}, err
	}
	v := EventBusView{Name: name, Arn: BusARN(b.region, caller.AccountID, name)}
	if name != DefaultBus {
		bus, err := b.store.GetEventBus(ctx, caller.AccountID, b.region, name)
		if err != nil {
			return EventBusView{}, fmt.Errorf("events: %w", err)
		}
		v.CreationTime = bus.CreatedAt
	}
	return v, nil
}

func (b *Bus) ListEventBuses(ctx context.Context, caller Caller, prefix string) ([]EventBusView, error) {
	buses, err := b.store.ListEventBuses(ctx, caller.AccountID, b.region)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	var out []EventBusView
	if strings.HasPrefix(DefaultBus, prefix) {
		out = append(out, EventBusView{Name: DefaultBus, Arn: BusARN(b.region, caller.AccountID, DefaultBus)})
	}
	for _, bus := range buses {
		if strings.HasPrefix(bus.Name, prefix) {
			out = append(out, EventBusView{Name: bus.Name, Arn: BusARN(b.region, caller.AccountID, bus.Name), CreationTime: bus.CreatedAt})
		}
	}
	return out, nil
}

func (b *Bus) DeleteEventBus(ctx context.Context, caller Caller, name string) error {
	if name == DefaultBus {
		return fail(Validation, "The default event bus cannot be deleted.")
	}
	return b.store.Update(ctx, func(tx store.Tx) error {
		rules, err := tx.ListRules(ctx, caller.AccountID, b.region, name)
		if err != nil {
			return err
		}
		if len(rules) > 0 {
			return fail(Validation, "Event bus %s still has %d rules; delete them first.", name, len(rules))
		}
		if err := tx.DeleteEventBus(ctx, caller.AccountID, b.region, name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil // deleting an absent bus succeeds, as in EventBridge
	})
}

type PutRuleInput struct {
	Name               string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	EventBusName       string
}

// PutRule creates or updates a rule. Only event-pattern rules are supported.
func (b *Bus) PutRule(ctx context.Context, caller Caller, in PutRuleInput) (string, error) {
	if in.ScheduleExpression != "" {
		return "", fail(Validation, "ScheduleExpression rules are not supported by this server yet.")
	}
	if in.EventPattern == "" {
		return "", fail(Validation, "Parameter(s) EventPattern must be specified.")
	}
	if _, err := pattern.Compile([]byte(in.EventPattern)); err != nil {
		return "", patternError(err)
	}
	state := in.State
	if state == "" {
		state = "ENABLED"
	}
	var arn string
	err := b.store.Update(ctx, func(tx store.Tx) error {
		bus, err := b.busName(ctx, tx, caller, in.EventBusName)
		if err != nil {
			return err
		}
		arn = RuleARN(b.region, caller.AccountID, bus, in.Name)
		created := b.clock.Now()
		if existing, err := tx.GetRule(ctx, caller.AccountID, b.region, bus, in.Name); err == nil {
			created = existing.CreatedAt
		}
		return tx.PutRule(ctx, store.Rule{AccountID: caller.AccountID, Region: b.region, BusName: bus, Name: in.Name,
			EventPattern: in.EventPattern, State: state, Description: in.Description, RoleArn: in.RoleArn, CreatedAt: created})
	})
	return arn, err
}

func patternError(err error) error {
	var pe *pattern.Error
	if errors.As(err, &pe) {
		return fail(InvalidEventPattern, "%s", pe.Message)
	}
	return fail(InvalidEventPattern, "Event pattern is not valid: %v", err)
}

type RuleView struct {
	Name         string
	Arn          string
	EventPattern string `json:",omitempty"`
	State        string
	Description  string `json:",omitempty"`
	RoleArn      string `json:",omitempty"`
	EventBusName string
}

func (b *Bus) ruleView(r store.Rule) RuleView {
	return RuleView{Name: r.Name, Arn: RuleARN(r.Region, r.AccountID, r.BusName, r.Name), EventPattern: r.EventPattern,
		State: r.State, Description: r.Description, RoleArn: r.RoleArn, EventBusName: r.BusName}
}

func (b *Bus) rule(ctx context.Context, r store.Reader, caller Caller, busNameOrArn, name string) (store.Rule, error) {
	bus, err := b.busName(ctx, r, caller, busNameOrArn)
	if err != nil {
		return store.Rule{}, err
	}
	rule, err := r.GetRule(ctx, caller.AccountID, b.region, bus, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Rule{}, fail(ResourceNotFound, "Rule %s does not exist on EventBus %s.", name, bus)
	}
	return rule, err
}

func (b *Bus) DescribeRule(ctx context.Context, caller Caller, bus, name string) (RuleView, error) {
	r, err := b.rule(ctx, b.store, caller, bus, name)
	if err != nil {
		return RuleView{}, err
	}
	return b.ruleView(r), nil
}

func (b *Bus) ListRules(ctx context.Context, caller Caller, busNameOrArn, prefix string) ([]RuleView, error) {
	bus, err := b.busName(ctx, b.store, caller, busNameOrArn)
	if err != nil {
		return nil, err
	}
	rules, err := b.store.ListRules(ctx, caller.AccountID, b.region, bus)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := []RuleView{}
	for _, r := range rules {
		if strings.HasPrefix(r.Name, prefix) {
			out = append(out, b.ruleView(r))
		}
	}
	return out, nil
}

// SetRuleState enables or disables a rule.
func (b *Bus) SetRuleState(ctx context.Context, caller Caller, bus, name, state string) error {
	return b.store.Update(ctx, func(tx store.Tx) error {
		r, err := b.rule(ctx, tx, caller, bus, name)
		if err != nil {
			return err
		}
		r.State = state
		return tx.PutRule(ctx, r)
	})
}

func (b *Bus) DeleteRule(ctx context.Context, caller Caller, busNameOrArn, name string) error {
	return b.store.Update(ctx, func(tx store.Tx) error {
		r, err := b.rule(ctx, tx, caller, busNameOrArn, name)
		if errors.As(err, new(*Error)) && err.(*Error).Kind == ResourceNotFound {
			return nil // deleting an absent rule succeeds, as in EventBridge
		}
		if err != nil {
			return err
		}
		targets, err := tx.ListTargets(ctx, caller.AccountID, b.region, r.BusName, r.Name)
		if err != nil {
			return err
		}
		if len(targets) > 0 {
			return fail(Validation, "Rule can't be deleted since it has targets.")
		}
		return tx.DeleteRule(ctx, caller.AccountID, b.region, r.BusName, r.Name)
	})
}

// TestEventPattern reports whether an event matches a pattern.
func (b *Bus) TestEventPattern(src, event string) (bool, error) {
	p, err := pattern.Compile([]byte(src))
	if err != nil {
		return false, patternError(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(event), &doc); err != nil {
		return false, fail(Validation, "Event is not valid JSON: %v", err)
	}
	for _, field := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		if _, ok := doc[field]; !ok {
			return false, fail(Validation, "Parameter Event is not valid: the event must contain %q.", field)
		}
	}
	ok, err := p.MatchJSON([]byte(event))
	if err != nil {
		return false, fail(Validation, "Event is not valid: %v", err)
	}
	return ok, nil
}

type PutEventsEntry struct {
	Time         *float64
	Source       string
	Resources    []string
	DetailType   string
	Detail       string
	EventBusName string
}

type PutEventsResult struct {
	EventId      string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

// PutEvents writes custom events to the outbox of their bus; entries fail
// one by one, as in EventBridge.
func (b *Bus) PutEvents(ctx context.Context, caller Caller, entries []PutEventsEntry) ([]PutEventsResult, int, error) {
	results := make([]PutEventsResult, len(entries))
	failed := 0
	err := b.store.Update(ctx, func(tx store.Tx) error {
		for i, e := range entries {
			res, ev, err := b.event(ctx, tx, caller, e)
			if err != nil {
				return err
			}
			if res.ErrorCode == "" {
				if err := tx.AppendEvent(ctx, ev); err != nil {
					return err
				}
			} else {
				failed++
			}
			results[i] = res
		}
		return nil
	})
	return results, failed, err
}

func (b *Bus) event(ctx context.Context, tx store.Tx, caller Caller, e PutEventsEntry) (PutEventsResult, store.Event, error) {
	bad := func(code, msg string) (PutEventsResult, store.Event, error) {
		return PutEventsResult{ErrorCode: code, ErrorMessage: msg}, store.Event{}, nil
	}
	if e.Source == "" || e.DetailType == "" || e.Detail == "" {
		return bad("InvalidArgument", "Parameters Source, DetailType and Detail are required.")
	}
	if strings.HasPrefix(e.Source, "aws.") {
		return bad("NotAuthorizedForSourceException", "Not authorized for the source "+e.Source+".")
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		return bad("MalformedDetail", "Detail is malformed.")
	}
	bus, err := b.busName(ctx, tx, caller, e.EventBusName)
	var be *Error
	if errors.As(err, &be) {
		return bad("InvalidArgument", be.Message)
	}
	if err != nil {
		return PutEventsResult{}, store.Event{}, err
	}
	at := b.clock.Now()
	if e.Time != nil {
		at = time.Unix(0, int64(*e.Time*1e9))
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	id := uuid.NewString()
	payload, err := json.Marshal(Event{Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source, Account: caller.AccountID,
		Time: at.UTC().Format(TimeFormat), Region: b.region, Resources: resources, Detail: json.RawMessage(e.Detail)})
	if err != nil {
		return PutEventsResult{}, store.Event{}, fmt.Errorf("events: %w", err)
	}
	return PutEventsResult{EventId: id}, store.Event{ID: id, AccountID: caller.AccountID, Region: b.region, BusName: bus,
		DetailType: e.DetailType, Payload: payload, CreatedAt: b.clock.Now()}, nil
}
