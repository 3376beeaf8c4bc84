package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openpca/openpca/internal/store"
)

// Queue attribute names.
const (
	attrDelay      = "DelaySeconds"
	attrMaxSize    = "MaximumMessageSize"
	attrRetention  = "MessageRetentionPeriod"
	attrWait       = "ReceiveMessageWaitTimeSeconds"
	attrVisibility = "VisibilityTimeout"
	attrRedrive    = "RedrivePolicy"
	attrPolicy     = "Policy"
	attrSSE        = "SqsManagedSseEnabled"
	attrRedriveAll = "RedriveAllowPolicy"
)

type intRange struct{ def, min, max int64 }

// numericAttrs are SQS's integer attributes with their defaults and ranges.
var numericAttrs = map[string]intRange{
	attrDelay:      {0, 0, 900},
	attrMaxSize:    {1048576, 1024, 1048576},
	attrRetention:  {345600, 60, 1209600},
	attrWait:       {0, 0, 20},
	attrVisibility: {30, 0, 43200},
}

// readOnlyAttrs are returned by GetQueueAttributes but cannot be set.
var readOnlyAttrs = []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}

// fifoAttrs and kmsAttrs are SQS attributes of features this server lacks.
var (
	fifoAttrs = []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
	kmsAttrs  = []string{"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"}
)

// intAttr is a queue's integer attribute (its default if unset).
func intAttr(q store.Queue, name string) int64 {
	r := numericAttrs[name]
	if v, err := strconv.ParseInt(q.Attributes[name], 10, 64); err == nil {
		return v
	}
	return r.def
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// retentionCutoff: messages sent at or before it have expired.
func retentionCutoff(q store.Queue, now time.Time) time.Time {
	return now.Add(-seconds(intAttr(q, attrRetention)))
}

type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int64  `json:"maxReceiveCount"`
}

func parseRedrive(q store.Queue) (redrivePolicy, bool) {
	raw := q.Attributes[attrRedrive]
	if raw == "" {
		return redrivePolicy{}, false
	}
	var p redrivePolicy
	if json.Unmarshal([]byte(raw), &p) != nil || p.MaxReceiveCount < 1 {
		return redrivePolicy{}, false
	}
	return p, true
}

// normalizeAttributes validates attributes to set on a queue of the account
// and returns their canonical values ("" removes an optional attribute).
func (s *Service) normalizeAttributes(ctx context.Context, r store.Reader, account, self string, attrs map[string]string, creating bool) (map[string]string, error) {
	out := map[string]string{}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		value := attrs[name]
		invalidValue := fail(InvalidAttributeValue, "Invalid value for the parameter %s.", name)
		if rng, ok := numericAttrs[name]; ok {
			v, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || v < rng.min || v > rng.max {
				return nil, invalidValue
			}
			out[name] = strconv.FormatInt(v, 10)
			continue
		}
		switch {
		case name == attrRedrive:
			canon, err := s.normalizeRedrive(ctx, r, account, self, value)
			if err != nil {
				return nil, err
			}
			out[name] = canon
		case name == attrPolicy || name == attrRedriveAll:
			if value != "" && !json.Valid([]byte(value)) {
				return nil, invalidValue
			}
			out[name] = value
		case name == attrSSE:
			if value != "true" && value != "false" {
				return nil, invalidValue
			}
			out[name] = value
		case name == "FifoQueue" && creating:
			if value == "true" {
				return nil, fail(UnsupportedOperation, "FIFO queues are not supported by this server.")
			}
			if value != "false" {
				return nil, invalidValue
			}
		case slices.Contains(kmsAttrs, name):
			return nil, fail(UnsupportedOperation, "SSE-KMS (%s) is not supported by this server.", name)
		default:
			return nil, fail(InvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	return out, nil
}

func (s *Service) normalizeRedrive(ctx context.Context, r store.Reader, account, self, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	invalid := func(reason string) error {
		return fail(InvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", value, reason)
	}
	var raw struct {
		DeadLetterTargetArn *string         `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return "", invalid("Invalid value for RedrivePolicy: must be a JSON object.")
	}
	if raw.DeadLetterTargetArn == nil || raw.MaxReceiveCount == nil {
		return "", invalid("Redrive policy requires deadLetterTargetArn and maxReceiveCount.")
	}
	count, err := strconv.ParseInt(strings.Trim(string(raw.MaxReceiveCount), `"`), 10, 64)
	if err != nil || count < 1 || count > 1000 {
		return "", invalid("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
	}
	region, dlqAccount, dlqName, ok := parseARN(*raw.DeadLetterTargetArn)
	if !ok || region != s.region || dlqAccount != account || dlqName == self {
		return "", invalid("Dead-letter target ARN must be another queue of the same account and region.")
	}
	if _, err := s.get(ctx, r, dlqAccount, dlqName); err != nil {
		if IsKind(err, QueueDoesNotExist) {
			return "", invalid("Dead letter target does not exist.")
		}
		return "", err
	}
	b, _ := json.Marshal(redrivePolicy{DeadLetterTargetArn: *raw.DeadLetterTargetArn, MaxReceiveCount: count})
	return string(b), nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return fail(InvalidParameterValue, "Too many tags added for queue. Maximum number of tags is 50.")
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fail(InvalidParameterValue, "Tag key %q is invalid: 1 to 128 characters, not starting with aws:.", k)
		}
		if utf8.RuneCountInString(v) > 256 {
			return fail(InvalidParameterValue, "Tag value for key %q is longer than 256 characters.", k)
		}
	}
	return nil
}

// CreateQueue creates a standard queue, or returns the URL of the existing
// queue of that name when every given attribute matches it (QueueNameExists otherwise).
func (s *Service) CreateQueue(ctx context.Context, c Caller, name string, attrs, tags map[string]string) (string, error) {
	if !queueNameRE.MatchString(name) {
		if strings.HasSuffix(name, ".fifo") && queueNameRE.MatchString(strings.TrimSuffix(name, ".fifo")) {
			return "", fail(UnsupportedOperation, "FIFO queues are not supported by this server.")
		}
		return "", fail(InvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if err := validateTags(tags); err != nil {
		return "", err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		given, err := s.normalizeAttributes(ctx, tx, c.AccountID, name, attrs, true)
		if err != nil {
			return err
		}
		existing, err := tx.GetQueue(ctx, c.AccountID, s.region, name)
		if err == nil {
			for n, v := range given {
				if effectiveAttr(existing, n) != v {
					return fail(QueueNameExists, "A queue already exists with the same name and a different value for attribute %s", n)
				}
			}
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.clock.Now()
		q := store.Queue{AccountID: c.AccountID, Region: s.region, Name: name, ARN: s.ARN(c.AccountID, name),
			Attributes: map[string]string{}, Tags: tags, CreatedAt: now, ModifiedAt: now}
		for n, r := range numericAttrs {
			q.Attributes[n] = strconv.FormatInt(r.def, 10)
		}
		for n, v := range given {
			if v == "" {
				delete(q.Attributes, n)
			} else {
				q.Attributes[n] = v
			}
		}
		_, err = tx.InsertQueue(ctx, q)
		return err
	})
	if err != nil {
		return "", err
	}
	return s.URL(c.AccountID, name), nil
}

// effectiveAttr is a settable attribute's current value ("" when unset).
func effectiveAttr(q store.Queue, name string) string {
	if _, ok := numericAttrs[name]; ok {
		return strconv.FormatInt(intAttr(q, name), 10)
	}
	return q.Attributes[name]
}

// GetQueueURL returns the URL of a queue by name. owner, when set, is the
// account owning the queue; another account than the caller's is denied.
func (s *Service) GetQueueURL(ctx context.Context, c Caller, name, owner string) (string, error) {
	account := c.AccountID
	if owner != "" && owner != account {
		return "", fail(AccessDenied, "Access to the queue %s of account %s is denied.", name, owner)
	}
	if !queueNameRE.MatchString(name) {
		return "", errNoQueue
	}
	if _, err := s.get(ctx, s.store, account, name); err != nil {
		return "", err
	}
	return s.URL(account, name), nil
}

// ListQueues lists the caller's queues whose names start with prefix. With
// maxResults (1–1000) it pages with nextToken; without it returns up to 1,000.
func (s *Service) ListQueues(ctx context.Context, c Caller, prefix string, maxResults *int, nextToken string) ([]string, string, error) {
	limit := 1000
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, "", fail(InvalidParameterValue, "Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *maxResults)
		}
		limit = *maxResults
	}
	after := ""
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !queueNameRE.MatchString(string(raw)) {
			return nil, "", fail(InvalidParameterValue, "Invalid NextToken value.")
		}
		after = string(raw)
	}
	queues, err := s.store.ListQueues(ctx, c.AccountID, s.region, prefix, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(queues) > limit {
		queues = queues[:limit]
		if maxResults != nil {
			next = base64.RawURLEncoding.EncodeToString([]byte(queues[limit-1].Name))
		}
	}
	urls := make([]string, len(queues))
	for i, q := range queues {
		urls[i] = s.URL(q.AccountID, q.Name)
	}
	return urls, next, nil
}

// DeleteQueue deletes a queue and its messages; its long polls end.
func (s *Service) DeleteQueue(ctx context.Context, c Caller, queueURL string) error {
	var arn string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		arn = q.ARN
		return tx.DeleteQueue(ctx, q.ID)
	})
	if err == nil {
		s.Notify(arn)
	}
	return err
}

// PurgeQueue deletes every message of a queue; SQS allows one purge a minute.
func (s *Service) PurgeQueue(ctx context.Context, c Caller, queueURL string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if !q.PurgedAt.IsZero() && now.Sub(q.PurgedAt) < time.Minute {
			return fail(PurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.Name)
		}
		if err := tx.PurgeQueueMessages(ctx, q.ID); err != nil {
			return err
		}
		q.PurgedAt = now
		return tx.UpdateQueue(ctx, q)
	})
}

// SetQueueAttributes changes settable attributes; all or nothing.
func (s *Service) SetQueueAttributes(ctx context.Context, c Caller, queueURL string, attrs map[string]string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		given, err := s.normalizeAttributes(ctx, tx, c.AccountID, q.Name, attrs, false)
		if err != nil {
			return err
		}
		if len(given) == 0 {
			return nil
		}
		for n, v := range given {
			if v == "" {
				delete(q.Attributes, n)
			} else {
				q.Attributes[n] = v
			}
		}
		q.ModifiedAt = s.clock.Now()
		return tx.UpdateQueue(ctx, q)
	})
}

// GetQueueAttributes returns the named attributes ("All" for every one).
// Names of features this server lacks (FIFO, KMS) are known and omitted.
func (s *Service) GetQueueAttributes(ctx context.Context, c Caller, queueURL string, names []string) (map[string]string, error) {
	q, err := s.lookup(ctx, s.store, c, queueURL)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	all := false
	for _, n := range names {
		switch {
		case n == "All":
			all = true
		case isQueueAttribute(n):
			want[n] = true
		default:
			return nil, fail(InvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	out := map[string]string{}
	add := func(name, value string) {
		if all || want[name] {
			out[name] = value
		}
	}
	for n := range numericAttrs {
		add(n, effectiveAttr(q, n))
	}
	for _, n := range []string{attrRedrive, attrPolicy, attrSSE, attrRedriveAll} {
		if v := q.Attributes[n]; v != "" {
			add(n, v)
		}
	}
	add("QueueArn", q.ARN)
	add("CreatedTimestamp", strconv.FormatInt(q.CreatedAt.Unix(), 10))
	add("LastModifiedTimestamp", strconv.FormatInt(q.ModifiedAt.Unix(), 10))
	if all || want["ApproximateNumberOfMessages"] || want["ApproximateNumberOfMessagesNotVisible"] || want["ApproximateNumberOfMessagesDelayed"] {
		now := s.clock.Now()
		counts, err := s.store.CountQueueMessages(ctx, q.ID, now, retentionCutoff(q, now))
		if err != nil {
			return nil, err
		}
		add("ApproximateNumberOfMessages", strconv.FormatInt(counts.Visible, 10))
		add("ApproximateNumberOfMessagesNotVisible", strconv.FormatInt(counts.InFlight, 10))
		add("ApproximateNumberOfMessagesDelayed", strconv.FormatInt(counts.Delayed, 10))
	}
	return out, nil
}

func isQueueAttribute(n string) bool {
	if _, ok := numericAttrs[n]; ok {
		return true
	}
	return slices.Contains(readOnlyAttrs, n) || slices.Contains(fifoAttrs, n) || slices.Contains(kmsAttrs, n) ||
		n == attrRedrive || n == attrPolicy || n == attrSSE || n == attrRedriveAll
}
