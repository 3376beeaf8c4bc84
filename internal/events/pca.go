// Package events holds openpca's events: the AWS Private CA event documents
// written to the outbox and, later, the bus that routes them.
package events

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// Source is the event source of every AWS Private CA event.
const Source = "aws.acm-pca"

// Detail types, exactly as AWS Private CA sends them.
const (
	DetailCreation    = "ACM Private CA Creation"
	DetailIssuance    = "ACM Private CA Certificate Issuance"
	DetailRevocation  = "ACM Private CA Certificate Revocation"
	DetailCRL         = "ACM Private CA CRL Generation"
	DetailAuditReport = "ACM Private CA Audit Report Generation"
)

// Results of an operation as the detail reports them.
const (
	Success = "success"
	Failure = "failure"
)

// Event is an EventBridge event; field order matches AWS's documents.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// PCADetail is the detail of every AWS Private CA event.
type PCADetail struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// TimeFormat is EventBridge's event time: UTC, whole seconds.
const TimeFormat = "2006-01-02T15:04:05Z"

// NewPCA builds an AWS Private CA event and its outbox row.
func NewPCA(id, account, region, detailType string, at time.Time, detail PCADetail, resources ...string) (store.Event, error) {
	d, err := json.Marshal(detail)
	if err != nil {
		return store.Event{}, fmt.Errorf("events: %w", err)
	}
	ev := Event{
		Version:    "0",
		ID:         id,
		DetailType: detailType,
		Source:     Source,
		Account:    account,
		Time:       at.UTC().Format(TimeFormat),
		Region:     region,
		Resources:  resources,
		Detail:     d,
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return store.Event{}, fmt.Errorf("events: %w", err)
	}
	return store.Event{ID: id, AccountID: account, Region: region, DetailType: detailType, Payload: payload, CreatedAt: at}, nil
}
