// Package eventsapi binds the EventBridge JSON 1.1 operations
// (X-Amz-Target: AWSEvents.*) to the events domain.
package eventsapi

import (
	"context"
	_ "embed"
	"errors"
	"time"

	"github.com/openpca/openpca/internal/awsapi"
	"github.com/openpca/openpca/internal/events"
)

//go:embed events.json.gz
var modelGz []byte

// New returns the EventBridge service for the edge. Operations not listed
// here answer NotImplementedException.
func New(bus *events.Bus) (*awsapi.JSONService, error) {
	model, err := awsapi.LoadModel(modelGz)
	if err != nil {
		return nil, err
	}
	return &awsapi.JSONService{
		TargetPrefix: "AWSEvents",
		SigningName:  "events",
		JSONVersion:  "1.1",
		Model:        model,
		MapError:     mapError,
		Operations: map[string]awsapi.Operation{
			"CreateEventBus": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				arn, err := bus.CreateEventBus(ctx, c, in.Name)
				return struct{ EventBusArn string }{arn}, err
			}),
			"DescribeEventBus": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				v, err := bus.DescribeEventBus(ctx, c, in.Name)
				return wireBus(v), err
			}),
			"ListEventBuses": op(func(ctx context.Context, c events.Caller, in struct{ NamePrefix string }) (any, error) {
				views, err := bus.ListEventBuses(ctx, c, in.NamePrefix)
				out := struct{ EventBuses []busWire }{EventBuses: []busWire{}}
				for _, v := range views {
					out.EventBuses = append(out.EventBuses, wireBus(v))
				}
				return out, err
			}),
			"DeleteEventBus": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				return empty, bus.DeleteEventBus(ctx, c, in.Name)
			}),
			"PutRule": op(func(ctx context.Context, c events.Caller, in events.PutRuleInput) (any, error) {
				arn, err := bus.PutRule(ctx, c, in)
				return struct{ RuleArn string }{arn}, err
			}),
			"DescribeRule": op(func(ctx context.Context, c events.Caller, in ruleInput) (any, error) {
				return bus.DescribeRule(ctx, c, in.EventBusName, in.Name)
			}),
			"ListRules": op(func(ctx context.Context, c events.Caller, in struct{ NamePrefix, EventBusName string }) (any, error) {
				rules, err := bus.ListRules(ctx, c, in.EventBusName, in.NamePrefix)
				return struct{ Rules []events.RuleView }{rules}, err
			}),
			"EnableRule": op(func(ctx context.Context, c events.Caller, in ruleInput) (any, error) {
				return empty, bus.SetRuleState(ctx, c, in.EventBusName, in.Name, "ENABLED")
			}),
			"DisableRule": op(func(ctx context.Context, c events.Caller, in ruleInput) (any, error) {
				return empty, bus.SetRuleState(ctx, c, in.EventBusName, in.Name, "DISABLED")
			}),
			"DeleteRule": op(func(ctx context.Context, c events.Caller, in ruleInput) (any, error) {
				return empty, bus.DeleteRule(ctx, c, in.EventBusName, in.Name)
			}),
			"PutTargets": op(func(ctx context.Context, c events.Caller, in events.TargetsInput) (any, error) {
				failed, err := bus.PutTargets(ctx, c, in)
				return failedWire(failed), err
			}),
			"RemoveTargets": op(func(ctx context.Context, c events.Caller, in events.TargetsInput) (any, error) {
				failed, err := bus.RemoveTargets(ctx, c, in)
				return failedWire(failed), err
			}),
			"ListTargetsByRule": op(func(ctx context.Context, c events.Caller, in struct{ Rule, EventBusName string }) (any, error) {
				targets, err := bus.ListTargetsByRule(ctx, c, in.EventBusName, in.Rule)
				return struct{ Targets []events.Target }{targets}, err
			}),
			"PutEvents": op(func(ctx context.Context, c events.Caller, in struct{ Entries []events.PutEventsEntry }) (any, error) {
				results, failed, err := bus.PutEvents(ctx, c, in.Entries)
				return struct {
					FailedEntryCount int
					Entries          []events.PutEventsResult
				}{failed, results}, err
			}),
			"CreateConnection": op(func(ctx context.Context, c events.Caller, in events.CreateConnectionInput) (any, error) {
				v, err := bus.CreateConnection(ctx, c, in)
				return connectionSummary(v), err
			}),
			"DescribeConnection": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				v, err := bus.DescribeConnection(ctx, c, in.Name)
				return wireConnection(v), err
			}),
			"ListConnections": op(func(ctx context.Context, c events.Caller, in struct{ NamePrefix, ConnectionState string }) (any, error) {
				views, err := bus.ListConnections(ctx, c, in.NamePrefix, in.ConnectionState)
				out := struct{ Connections []connectionWire }{Connections: []connectionWire{}}
				for _, v := range views {
					out.Connections = append(out.Connections, wireConnection(v))
				}
				return out, err
			}),
			"DeleteConnection": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				v, err := bus.DeleteConnection(ctx, c, in.Name)
				return connectionSummary(v), err
			}),
			"CreateApiDestination": op(func(ctx context.Context, c events.Caller, in events.CreateApiDestinationInput) (any, error) {
				v, err := bus.CreateApiDestination(ctx, c, in)
				return struct {
					ApiDestinationArn, ApiDestinationState string
					CreationTime, LastModifiedTime         *float64
				}{v.ApiDestinationArn, v.ApiDestinationState, epoch(v.CreationTime), epoch(v.LastModifiedTime)}, err
			}),
			"DescribeApiDestination": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				v, err := bus.DescribeApiDestination(ctx, c, in.Name)
				return wireApiDestination(v), err
			}),
			"ListApiDestinations": op(func(ctx context.Context, c events.Caller, in struct{ NamePrefix, ConnectionArn string }) (any, error) {
				views, err := bus.ListApiDestinations(ctx, c, in.NamePrefix, in.ConnectionArn)
				out := struct{ ApiDestinations []apiDestinationWire }{ApiDestinations: []apiDestinationWire{}}
				for _, v := range views {
					out.ApiDestinations = append(out.ApiDestinations, wireApiDestination(v))
				}
				return out, err
			}),
			"DeleteApiDestination": op(func(ctx context.Context, c events.Caller, in nameInput) (any, error) {
				return empty, bus.DeleteApiDestination(ctx, c, in.Name)
			}),
			"TestEventPattern": op(func(ctx context.Context, c events.Caller, in struct{ EventPattern, Event string }) (any, error) {
				ok, err := bus.TestEventPattern(in.EventPattern, in.Event)
				return struct{ Result bool }{ok}, err
			}),
		},
	}, nil
}

var empty = struct{}{}

type nameInput struct{ Name string }

type ruleInput struct{ Name, EventBusName string }

func op[In any](fn func(context.Context, events.Caller, In) (any, error)) awsapi.Operation {
	return func(ctx context.Context, caller awsapi.Caller, decode func(any) error) (any, error) {
		var in In
		if err := decode(&in); err != nil {
			return nil, err
		}
		return fn(ctx, events.Caller{AccountID: caller.AccountID}, in)
	}
}

func mapError(err error) *awsapi.Error {
	var e *events.Error
	if !errors.As(err, &e) {
		return nil
	}
	return &awsapi.Error{Status: 400, Type: string(e.Kind), Message: e.Message}
}

type busWire struct {
	Name         string
	Arn          string
	CreationTime *float64 `json:",omitempty"`
}

func wireBus(v events.EventBusView) busWire {
	return busWire{Name: v.Name, Arn: v.Arn, CreationTime: epoch(v.CreationTime)}
}

// epoch is the JSON protocols' timestamp: seconds since the epoch.
func epoch(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := float64(t.UnixMilli()) / float64(time.Second/time.Millisecond)
	return &v
}

type connectionWire struct {
	ConnectionArn      string
	Name               string
	Description        string `json:",omitempty"`
	ConnectionState    string
	AuthorizationType  string
	AuthParameters     any `json:",omitempty"`
	CreationTime       *float64
	LastModifiedTime   *float64
	LastAuthorizedTime *float64 `json:",omitempty"`
}

func wireConnection(v events.ConnectionView) connectionWire {
	w := connectionWire{ConnectionArn: v.ConnectionArn, Name: v.Name, Description: v.Description, ConnectionState: v.ConnectionState,
		AuthorizationType: v.AuthorizationType, CreationTime: epoch(v.CreationTime), LastModifiedTime: epoch(v.LastModifiedTime),
		LastAuthorizedTime: epoch(v.LastAuthorizedTime)}
	if len(v.AuthParameters) > 0 {
		w.AuthParameters = v.AuthParameters
	}
	return w
}

func connectionSummary(v events.ConnectionView) any {
	return struct {
		ConnectionArn, ConnectionState string
		CreationTime, LastModifiedTime *float64
	}{v.ConnectionArn, v.ConnectionState, epoch(v.CreationTime), epoch(v.LastModifiedTime)}
}

type apiDestinationWire struct {
	ApiDestinationArn            string
	Name                         string
	Description                  string `json:",omitempty"`
	ApiDestinationState          string
	ConnectionArn                string
	InvocationEndpoint           string
	HttpMethod                   string
	InvocationRateLimitPerSecond int
	CreationTime                 *float64
	LastModifiedTime             *float64
}

func wireApiDestination(v events.ApiDestinationView) apiDestinationWire {
	return apiDestinationWire{ApiDestinationArn: v.ApiDestinationArn, Name: v.Name, Description: v.Description,
		ApiDestinationState: v.ApiDestinationState, ConnectionArn: v.ConnectionArn, InvocationEndpoint: v.InvocationEndpoint,
		HttpMethod: v.HttpMethod, InvocationRateLimitPerSecond: v.InvocationRateLimitPerSecond,
		CreationTime: epoch(v.CreationTime), LastModifiedTime: epoch(v.LastModifiedTime)}
}

func failedWire(failed []events.FailedEntry) any {
	if failed == nil {
		failed = []events.FailedEntry{}
	}
	return struct {
		FailedEntryCount int
		FailedEntries    []events.FailedEntry
	}{len(failed), failed}
}
