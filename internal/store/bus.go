package store

import (
	"context"
	"sync"
	"time"
)

// EventBus is a custom event bus; every account's "default" bus exists
// without a row.
type EventBus struct {
	AccountID string
	Region    string
	Name      string
	CreatedAt time.Time
}

// Rule is an event bus rule.
type Rule struct {
	AccountID          string
	Region             string
	BusName            string
	Name               string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	CreatedAt          time.Time
}

// Target is one target of a rule; Config is its EventBridge Target document.
type Target struct {
	AccountID string
	Region    string
	BusName   string
	RuleName  string
	ID        string
	Arn       string
	Config    []byte
}

// Delivery is one event on its way to one target: the relay writes it in the
// transaction that advances its cursor, and it is deleted only once the
// target has the event (or it was dead-lettered). Retry timers are NextAt.
type Delivery struct {
	ID        int64
	EventID   string
	AccountID string
	Region    string
	RuleArn   string
	TargetID  string
	TargetArn string
	Target    []byte
	Payload   []byte
	Attempts  int
	EventTime time.Time
	NextAt    time.Time
	LastError string
}

// Connection holds an API destination's authorization. Public is the
// describable part of the auth parameters (JSON); Sealed holds the secrets,
// encrypted by the caller before they reach the store.
type Connection struct {
	AccountID         string
	Region            string
	Name              string
	UUID              string
	Description       string
	AuthorizationType string
	State             string
	Public            []byte
	Sealed            []byte
	CreatedAt         time.Time
	ModifiedAt        time.Time
	AuthorizedAt      time.Time
}

// ApiDestination is an HTTP endpoint events can be sent to.
type ApiDestination struct {
	AccountID     string
	Region        string
	Name          string
	UUID          string
	Description   string
	ConnectionArn string
	Endpoint      string
	HTTPMethod    string
	RateLimit     int
	State         string
	CreatedAt     time.Time
	ModifiedAt    time.Time
}

// BusReader reads event bus configuration and pending deliveries.
type BusReader interface {
	GetEventBus(ctx context.Context, accountID, region, name string) (EventBus, error)
	ListEventBuses(ctx context.Context, accountID, region string) ([]EventBus, error)
	GetRule(ctx context.Context, accountID, region, bus, name string) (Rule, error)
	ListRules(ctx context.Context, accountID, region, bus string) ([]Rule, error)
	ListTargets(ctx context.Context, accountID, region, bus, rule string) ([]Target, error)
	// ListBusTargets returns every target of every rule on the bus.
	ListBusTargets(ctx context.Context, accountID, region, bus string) ([]Target, error)
	// DueDeliveries returns up to limit deliveries whose NextAt is not after now.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// NextDeliveryAt is the earliest NextAt of any pending delivery (zero when none).
	NextDeliveryAt(ctx context.Context) (time.Time, error)
	GetCursor(ctx context.Context, name string) (int64, error)
	GetConnection(ctx context.Context, accountID, region, name string) (Connection, error)
	ListConnections(ctx context.Context, accountID, region string) ([]Connection, error)
	GetApiDestination(ctx context.Context, accountID, region, name string) (ApiDestination, error)
	ListApiDestinations(ctx context.Context, accountID, region string) ([]ApiDestination, error)
}

// BusTx changes event bus configuration and deliveries.
type BusTx interface {
	InsertEventBus(ctx context.Context, b EventBus) error
	DeleteEventBus(ctx context.Context, accountID, region, name string) error
	PutRule(ctx context.Context, r Rule) error
	DeleteRule(ctx context.Context, accountID, region, bus, name string) error
	PutTarget(ctx context.Context, t Target) error
	DeleteTarget(ctx context.Context, accountID, region, bus, rule, id string) error
	SetCursor(ctx context.Context, name string, seq int64) error
	// InsertDelivery returns the new delivery's ID.
	InsertDelivery(ctx context.Context, d Delivery) (int64, error)
	UpdateDelivery(ctx context.Context, d Delivery) error
	DeleteDelivery(ctx context.Context, id int64) error
	// InsertConnection fails with ErrConflict when the name is taken.
	InsertConnection(ctx context.Context, c Connection) error
	DeleteConnection(ctx context.Context, accountID, region, name string) error
	InsertApiDestination(ctx context.Context, d ApiDestination) error
	DeleteApiDestination(ctx context.Context, accountID, region, name string) error
}

// Signal wakes waiters when something happens: C returns a channel that is
// closed by the next Fire. Safe for concurrent use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns the channel the next Fire closes.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Fire wakes everyone waiting on C.
func (s *Signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
