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

// targetKind tells how a target ARN is delivered to.
type targetKind int

const (
	kindUnsupported targetKind = iota
	kindQueue
	kindBus
)

func (b *Bus) kindOf(arn string) targetKind {
	switch {
	case strings.HasPrefix(arn, "arn:aws:sqs:"):
		return kindQueue
	case strings.HasPrefix(arn, "arn:aws:events:") && strings.Contains(arn, ":event-bus/"):
		return kindBus
	}
	return kindUnsupported
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
			if msg := b.checkTarget(caller, t); msg != "" {
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

func (b *Bus) checkTarget(caller Caller, t Target) string {
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
	switch b.kindOf(t.Arn) {
	case kindQueue, kindBus:
	default:
		return fmt.Sprintf("Target ARN %s is not a supported target type (SQS queues and event buses).", t.Arn)
	}
	if !strings.Contains(t.Arn, ":"+b.region+":"+caller.AccountID+":") {
		return "Cross-account and cross-region targets are not supported by this server yet."
	}
	if t.DeadLetterConfig != nil && t.DeadLetterConfig.Arn != "" && b.kindOf(t.DeadLetterConfig.Arn) != kindQueue {
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
