package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/openpca/openpca/internal/store"
)

// Target is an EventBridge target as PutTargets receives it.
type Target struct {
	Id               string
	Arn              string
	RoleArn          string            `json:",omitempty"`
	Input            string            `json:",omitempty"`
	InputPath        string            `json:",omitempty"`
	InputTransformer *InputTransformer `json:",omitempty"`
	RetryPolicy      *RetryPolicy      `json:",omitempty"`
	DeadLetterConfig *DeadLetterConfig `json:",omitempty"`
	SqsParameters    json.RawMessage   `json:",omitempty"`
	HttpParameters   *HttpParameters   `json:",omitempty"`
}

// HttpParameters fill an API destination's path wildcards and add headers
// and query parameters; the connection's parameters take precedence.
type HttpParameters struct {
	PathParameterValues   []string          `json:",omitempty"`
	HeaderParameters      map[string]string `json:",omitempty"`
	QueryStringParameters map[string]string `json:",omitempty"`
}

type InputTransformer struct {
	InputPathsMap map[string]string `json:",omitempty"`
	InputTemplate string
}

type RetryPolicy struct {
	MaximumRetryAttempts     *int32 `json:",omitempty"`
	MaximumEventAgeInSeconds *int32 `json:",omitempty"`
}

type DeadLetterConfig struct {
	Arn string `json:",omitempty"`
}

// TargetKind tells how a target ARN is delivered to; it is also the
// target_kind label of the delivery metrics.
type TargetKind string

const (
	KindUnsupported    TargetKind = "unsupported"
	KindQueue          TargetKind = "sqs"
	KindBus            TargetKind = "event-bus"
	KindAPIDestination TargetKind = "api-destination"
	KindNATS           TargetKind = "nats"
)

// NATSPrefix starts the ARN of a NATS subject target:
// arn:openpca:nats:REGION:ACCOUNT:SUBJECT. The region and account are the
// rule's, so targets stay within one tenant like every other target.
const NATSPrefix = "arn:openpca:nats:"

// KindOf classifies a target ARN.
func KindOf(arn string) TargetKind {
	switch {
	case strings.HasPrefix(arn, "arn:aws:sqs:"):
		return KindQueue
	case strings.HasPrefix(arn, "arn:aws:events:") && strings.Contains(arn, ":event-bus/"):
		return KindBus
	case strings.HasPrefix(arn, "arn:aws:events:") && strings.Contains(arn, ":api-destination/"):
		return KindAPIDestination
	case strings.HasPrefix(arn, NATSPrefix):
		return KindNATS
	}
	return KindUnsupported
}

// transactional kinds are delivered by writing to the same database.
func (k TargetKind) transactional() bool { return k == KindQueue || k == KindBus }

// NATSSubject returns the subject of a NATS target ARN.
func NATSSubject(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, NATSPrefix)
	if !ok {
		return "", false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[2] == "" {
		return "", false
	}
	return parts[2], true
}

type TargetsInput struct {
	Rule         string
	EventBusName string
	Targets      []Target
	Ids          []string
}

type FailedEntry struct {
	TargetId     string
	ErrorCode    string
	ErrorMessage string
}

// PutTargets adds or replaces targets of a rule.
func (b *Bus) PutTargets(ctx context.Context, caller Caller, in TargetsInput) ([]FailedEntry, error) {
	var failed []FailedEntry
	err := b.store.Update(ctx, func(tx store.Tx) error {
		r, err := b.rule(ctx, tx, caller, in.EventBusName, in.Rule)
		if err != nil {
			return err
		}
		for _, t := range in.Targets {
			if msg := b.checkTarget(ctx, tx, caller, t); msg != "" {
				failed = append(failed, FailedEntry{TargetId: t.Id, ErrorCode: "ValidationException", ErrorMessage: msg})
				continue
			}
			config, err := json.Marshal(t)
			if err != nil {
				return fmt.Errorf("events: %w", err)
			}
			if err := tx.PutTarget(ctx, store.Target{AccountID: caller.AccountID, Region: b.region, BusName: r.BusName,
				RuleName: r.Name, ID: t.Id, Arn: t.Arn, Config: config}); err != nil {
				return err
			}
		}
		return nil
	})
	return failed, err
}

func (b *Bus) checkTarget(ctx context.Context, r store.Reader, caller Caller, t Target) string {
	n := 0
	for _, set := range []bool{t.Input != "", t.InputPath != "", t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return "Only one of Input, InputPath, or InputTransformer may be set."
	}
	if t.InputPath != "" {
		if _, err := parsePath(t.InputPath); err != nil {
			return err.Error()
		}
	}
	if t.InputTransformer != nil {
		for _, p := range t.InputTransformer.InputPathsMap {
			if _, err := parsePath(p); err != nil {
				return err.Error()
			}
		}
	}
	if t.Input != "" && !json.Valid([]byte(t.Input)) {
		return "Input is not valid JSON."
	}
	if !strings.Contains(t.Arn, ":"+b.region+":"+caller.AccountID+":") {
		return "Cross-account and cross-region targets are not supported by this server yet."
	}
	switch KindOf(t.Arn) {
	case KindQueue, KindBus:
	case KindAPIDestination:
		if _, err := b.apiDestinationByARN(ctx, r, caller, t.Arn); err != nil {
			return "API destination " + t.Arn + " does not exist."
		}
	case KindNATS:
		if !b.natsTargets {
			return "NATS targets need the server to run with --nats-url."
		}
		if _, ok := NATSSubject(t.Arn); !ok {
			return "NATS target ARN must be " + NATSPrefix + "REGION:ACCOUNT:SUBJECT."
		}
	default:
		return fmt.Sprintf("Target ARN %s is not a supported target type (SQS queues, event buses, API destinations, NATS subjects).", t.Arn)
	}
	if t.DeadLetterConfig != nil && t.DeadLetterConfig.Arn != "" && KindOf(t.DeadLetterConfig.Arn) != KindQueue {
		return "DeadLetterConfig.Arn must be an SQS queue ARN."
	}
	return ""
}

func (b *Bus) RemoveTargets(ctx context.Context, caller Caller, in TargetsInput) ([]FailedEntry, error) {
	var failed []FailedEntry
	err := b.store.Update(ctx, func(tx store.Tx) error {
		r, err := b.rule(ctx, tx, caller, in.EventBusName, in.Rule)
		if err != nil {
			return err
		}
		for _, id := range in.Ids {
			err := tx.DeleteTarget(ctx, caller.AccountID, b.region, r.BusName, r.Name, id)
			if errors.Is(err, store.ErrNotFound) {
				failed = append(failed, FailedEntry{TargetId: id, ErrorCode: "ResourceNotFoundException", ErrorMessage: "Target " + id + " does not exist."})
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return failed, err
}

func (b *Bus) ListTargetsByRule(ctx context.Context, caller Caller, busNameOrArn, rule string) ([]Target, error) {
	r, err := b.rule(ctx, b.store, caller, busNameOrArn, rule)
	if err != nil {
		return nil, err
	}
	stored, err := b.store.ListTargets(ctx, caller.AccountID, b.region, r.BusName, r.Name)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := []Target{}
	for _, s := range stored {
		var t Target
		if err := json.Unmarshal(s.Config, &t); err != nil {
			return nil, fmt.Errorf("events: stored target %s: %w", s.ID, err)
		}
		out = append(out, t)
	}
	return out, nil
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
