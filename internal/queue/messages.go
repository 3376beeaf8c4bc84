package queue

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/store"
)

// MessageAttributeValue is one message attribute, as SQS's wire shape.
type MessageAttributeValue struct {
	DataType         string
	StringValue      *string  `json:",omitempty"`
	BinaryValue      []byte   `json:",omitempty"`
	StringListValues []string `json:",omitempty"`
	BinaryListValues [][]byte `json:",omitempty"`
}

// SendInput is one message to send.
type SendInput struct {
	MessageBody       string
	DelaySeconds      *int
	MessageAttributes map[string]MessageAttributeValue
}

// SendResult describes a sent message.
type SendResult struct {
	MessageID              string
	MD5OfMessageBody       string
	MD5OfMessageAttributes string
}

// ReceiveInput is a ReceiveMessage request.
type ReceiveInput struct {
	MaxNumberOfMessages *int
	VisibilityTimeout   *int
	WaitTimeSeconds     *int
	// AttributeNames (deprecated) and MessageSystemAttributeNames select
	// system attributes; MessageAttributeNames selects message attributes.
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
}

// Message is a received message.
type Message struct {
	MessageID              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string
	MD5OfMessageAttributes string
	MessageAttributes      map[string]MessageAttributeValue
}

// BatchFailure is one failed entry of a batch request.
type BatchFailure struct {
	ID          string
	Kind        Kind
	Message     string
	SenderFault bool
}

// BatchSendEntry is one entry of SendMessageBatch.
type BatchSendEntry struct {
	ID string
	SendInput
}

// BatchSendResult is one successful entry of SendMessageBatch.
type BatchSendResult struct {
	ID string
	SendResult
}

// BatchDeleteEntry is one entry of DeleteMessageBatch.
type BatchDeleteEntry struct {
	ID            string
	ReceiptHandle string
}

const maxBatchEntries = 10

var (
	attrNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	numberRE    = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	batchIDRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	systemNames = []string{"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}
)

// validText reports whether s holds only the characters SQS allows:
// #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validText(s string) bool {
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// validateAttributes checks message attributes as SQS does and returns their
// size in bytes (names, types and values).
func validateAttributes(attrs map[string]MessageAttributeValue) (int, error) {
	if len(attrs) > 10 {
		return 0, fail(InvalidParameterValue, "Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for name, v := range attrs {
		lower := strings.ToLower(name)
		if !attrNameRE.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
			strings.Contains(name, "..") || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return 0, fail(InvalidParameterValue, "Message (user) attribute name '%s' is invalid.", name)
		}
		base, custom, _ := strings.Cut(v.DataType, ".")
		if len(v.DataType) > 256 || !validText(custom) {
			return 0, fail(InvalidParameterValue, "Message (user) attribute '%s' has an invalid data type '%s'.", name, v.DataType)
		}
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return 0, fail(InvalidParameterValue, "Message (user) attribute '%s': list values are not supported.", name)
		}
		switch base {
		case "String", "Number":
			if v.StringValue == nil || *v.StringValue == "" || v.BinaryValue != nil {
				return 0, fail(InvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, base)
			}
			if !validText(*v.StringValue) {
				return 0, fail(InvalidMessageContents, "Message (user) attribute '%s' contains invalid characters.", name)
			}
			if base == "Number" && !numberRE.MatchString(*v.StringValue) {
				return 0, fail(InvalidParameterValue, "Could not cast message attribute '%s' value to number.", name)
			}
			size += len(*v.StringValue)
		case "Binary":
			if len(v.BinaryValue) == 0 || v.StringValue != nil {
				return 0, fail(InvalidParameterValue, "Message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name)
			}
			size += len(v.BinaryValue)
		default:
			return 0, fail(InvalidParameterValue, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
		}
		size += len(name) + len(v.DataType)
	}
	return size, nil
}

// prepared is a validated message ready to insert.
type prepared struct {
	body       string
	attrs      []byte
	md5Body    string
	md5Attrs   string
	delay      int64
	size       int
	hasAttribs bool
}

func prepare(q store.Queue, in SendInput) (prepared, error) {
	if in.MessageBody == "" {
		return prepared{}, fail(MissingParameter, "The request must contain the parameter MessageBody.")
	}
	if !validText(in.MessageBody) {
		return prepared{}, fail(InvalidMessageContents, "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	attrSize, err := validateAttributes(in.MessageAttributes)
	if err != nil {
		return prepared{}, err
	}
	p := prepared{body: in.MessageBody, md5Body: MD5OfBody(in.MessageBody), delay: intAttr(q, attrDelay),
		size: len(in.MessageBody) + attrSize}
	if max := intAttr(q, attrMaxSize); int64(p.size) > max {
		return prepared{}, fail(InvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", max)
	}
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 || *in.DelaySeconds > 900 {
			return prepared{}, fail(InvalidParameterValue, "Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *in.DelaySeconds)
		}
		p.delay = int64(*in.DelaySeconds)
	}
	if len(in.MessageAttributes) > 0 {
		p.hasAttribs = true
		p.md5Attrs = MD5OfMessageAttributes(in.MessageAttributes)
		if p.attrs, err = json.Marshal(in.MessageAttributes); err != nil {
			return prepared{}, err
		}
	}
	return p, nil
}

func (s *Service) insert(ctx context.Context, tx store.Tx, q store.Queue, p prepared, sender string, now time.Time) (SendResult, error) {
	m := store.QueueMessage{QueueID: q.ID, MessageID: uuid.NewString(), Body: p.body, Attributes: p.attrs,
		MD5OfBody: p.md5Body, MD5OfAttributes: p.md5Attrs, SenderID: sender, SentAt: now,
		VisibleAt: now.Add(seconds(p.delay))}
	if _, err := tx.InsertQueueMessage(ctx, m); err != nil {
		return SendResult{}, err
	}
	return SendResult{MessageID: m.MessageID, MD5OfMessageBody: p.md5Body, MD5OfMessageAttributes: p.md5Attrs}, nil
}

// EnqueueTx inserts a message inside the caller's transaction (so the event
// delivery row deletion and the enqueue commit together). attrs are String
// message attributes, may be nil. A missing queue is an *Error whose
// Permanent() is true; call Notify after the transaction commits.
func (s *Service) EnqueueTx(ctx context.Context, tx store.Tx, queueARN, body string, attrs map[string]string, now time.Time) (string, error) {
	region, account, name, ok := parseARN(queueARN)
	if !ok || region != s.region {
		return "", fail(QueueDoesNotExist, "The specified queue %s does not exist.", queueARN)
	}
	q, err := s.get(ctx, tx, account, name)
	if err != nil {
		if IsKind(err, QueueDoesNotExist) {
			return "", fail(QueueDoesNotExist, "The specified queue %s does not exist.", queueARN)
		}
		return "", err
	}
	in := SendInput{MessageBody: body}
	if len(attrs) > 0 {
		in.MessageAttributes = make(map[string]MessageAttributeValue, len(attrs))
		for k, v := range attrs {
			in.MessageAttributes[k] = MessageAttributeValue{DataType: "String", StringValue: &v}
		}
	}
	p, err := prepare(q, in)
	if err != nil {
		return "", err
	}
	res, err := s.insert(ctx, tx, q, p, EnqueueSenderID, now)
	return res.MessageID, err
}

// SendMessage adds one message to a queue.
func (s *Service) SendMessage(ctx context.Context, c Caller, queueURL string, in SendInput) (SendResult, error) {
	var res SendResult
	var arn string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		arn = q.ARN
		p, err := prepare(q, in)
		if err != nil {
			return err
		}
		res, err = s.insert(ctx, tx, q, p, c.AccountID, s.clock.Now())
		return err
	})
	if err != nil {
		return SendResult{}, err
	}
	s.Notify(arn)
	return res, nil
}

func checkBatch(ids []string) error {
	if len(ids) == 0 {
		return fail(EmptyBatchRequest, "There should be at least one entry in the request.")
	}
	if len(ids) > maxBatchEntries {
		return fail(TooManyEntriesInBatchRequest, "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDRE.MatchString(id) {
			return fail(InvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return fail(BatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func failure(id string, err error) (BatchFailure, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return BatchFailure{}, false
	}
	return BatchFailure{ID: id, Kind: e.Kind, Message: e.Message, SenderFault: true}, true
}

// SendMessageBatch sends up to ten messages; invalid entries fail alone.
func (s *Service) SendMessageBatch(ctx context.Context, c Caller, queueURL string, entries []BatchSendEntry) ([]BatchSendResult, []BatchFailure, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := checkBatch(ids); err != nil {
		return nil, nil, err
	}
	var ok []BatchSendResult
	var failed []BatchFailure
	var arn string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ok, failed = nil, nil
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		arn = q.ARN
		preps := make([]prepared, len(entries))
		errs := make([]error, len(entries))
		total := 0
		for i, e := range entries {
			preps[i], errs[i] = prepare(q, e.SendInput)
			total += len(e.MessageBody)
			for name, v := range e.MessageAttributes {
				total += len(name) + len(v.DataType) + len(v.BinaryValue)
				if v.StringValue != nil {
					total += len(*v.StringValue)
				}
			}
		}
		if max := intAttr(q, attrMaxSize); int64(total) > max {
			return fail(BatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", max, total)
		}
		now := s.clock.Now()
		for i, e := range entries {
			if errs[i] != nil {
				f, isDomain := failure(e.ID, errs[i])
				if !isDomain {
					return errs[i]
				}
				failed = append(failed, f)
				continue
			}
			res, err := s.insert(ctx, tx, q, preps[i], c.AccountID, now)
			if err != nil {
				return err
			}
			ok = append(ok, BatchSendResult{ID: e.ID, SendResult: res})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(ok) > 0 {
		s.Notify(arn)
	}
	return ok, failed, nil
}

// ReceiveMessage returns up to MaxNumberOfMessages visible messages and hides
// them for the visibility timeout. With a wait time it long-polls: it returns
// as soon as a message is available, or empty when the wait ends.
func (s *Service) ReceiveMessage(ctx context.Context, c Caller, queueURL string, in ReceiveInput) ([]Message, error) {
	max := 1
	if in.MaxNumberOfMessages != nil {
		if *in.MaxNumberOfMessages < 1 || *in.MaxNumberOfMessages > 10 {
			return nil, fail(InvalidParameterValue, "Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", *in.MaxNumberOfMessages)
		}
		max = *in.MaxNumberOfMessages
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, fail(InvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, fail(InvalidParameterValue, "Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	q, err := s.lookup(ctx, s.store, c, queueURL)
	if err != nil {
		return nil, err
	}
	wait := intAttr(q, attrWait)
	if in.WaitTimeSeconds != nil {
		wait = int64(*in.WaitTimeSeconds)
	}
	deadline := s.clock.Now().Add(seconds(wait))
	for {
		wake := s.signal(q.ARN).C() // taken before looking, so no send is missed
		msgs, next, err := s.receiveOnce(ctx, q.AccountID, q.Name, in, max)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		now := s.clock.Now()
		remaining := deadline.Sub(now)
		if remaining <= 0 {
			return nil, nil
		}
		if !next.IsZero() && next.Sub(now) < remaining {
			remaining = next.Sub(now) + time.Millisecond
		}
		timer := time.NewTimer(remaining)
		select {
		case <-wake:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, nil
		case <-s.done:
			timer.Stop()
			return nil, nil
		}
		timer.Stop()
	}
}

// receiveOnce receives what is visible now in one transaction; with nothing
// visible it returns when the next hidden message becomes visible.
func (s *Service) receiveOnce(ctx context.Context, account, name string, in ReceiveInput, max int) ([]Message, time.Time, error) {
	// Look on the read pool first: a long-poller woken for a message another
	// receiver took, or polling an empty queue, must not cost a write
	// transaction. Expired messages to delete, or anything unexpected, are
	// left to the transaction below.
	if q, err := s.get(ctx, s.store, account, name); err == nil {
		now := s.clock.Now()
		cutoff := retentionCutoff(q, now)
		oldest, err := s.store.OldestQueueMessageSentAt(ctx, q.ID)
		expired := err != nil || (!oldest.IsZero() && !oldest.After(cutoff))
		if !expired {
			if visible, err := s.store.VisibleQueueMessages(ctx, q.ID, now, cutoff, 1); err == nil && len(visible) == 0 {
				if next, err := s.store.NextQueueVisibleAt(ctx, q.ID, now, cutoff); err == nil {
					return nil, next, nil
				}
			}
		}
	}
	var out []Message
	var next time.Time
	var redriven string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		out, next, redriven = nil, time.Time{}, ""
		q, err := s.get(ctx, tx, account, name)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		cutoff := retentionCutoff(q, now)
		if err := tx.DeleteExpiredQueueMessages(ctx, q.ID, cutoff); err != nil {
			return err
		}
		visibility := intAttr(q, attrVisibility)
		if in.VisibilityTimeout != nil {
			visibility = int64(*in.VisibilityTimeout)
		}
		var dlq store.Queue
		policy, hasRedrive := parseRedrive(q)
		if hasRedrive {
			if _, acct, dlqName, ok := parseARN(policy.DeadLetterTargetArn); ok {
				dlq, err = s.get(ctx, tx, acct, dlqName)
				if err != nil && !IsKind(err, QueueDoesNotExist) {
					return err
				}
				hasRedrive = err == nil
			} else {
				hasRedrive = false
			}
		}
		seen := map[int64]bool{}
		for round := 0; len(out) < max && round < 4; round++ {
			cands, err := tx.VisibleQueueMessages(ctx, q.ID, now, cutoff, max-len(out)+len(seen))
			if err != nil {
				return err
			}
			moved := false
			for _, m := range cands {
				if seen[m.ID] || len(out) == max {
					continue
				}
				seen[m.ID] = true
				if hasRedrive && int64(m.ReceiveCount) >= policy.MaxReceiveCount {
					// Received maxReceiveCount times already: this receive would exceed it.
					m.QueueID, m.VisibleAt, m.Receipt = dlq.ID, now, ""
					if err := tx.UpdateQueueMessage(ctx, m); err != nil {
						return err
					}
					moved, redriven = true, dlq.ARN
					continue
				}
				m.ReceiveCount++
				if m.FirstReceivedAt.IsZero() {
					m.FirstReceivedAt = now
				}
				m.VisibleAt = now.Add(seconds(visibility))
				m.Receipt = newToken()
				if err := tx.UpdateQueueMessage(ctx, m); err != nil {
					return err
				}
				msg, err := render(q, m, in)
				if err != nil {
					return err
				}
				out = append(out, msg)
			}
			if !moved {
				break
			}
		}
		if len(out) == 0 {
			next, err = tx.NextQueueVisibleAt(ctx, q.ID, now, cutoff)
		}
		return err
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if redriven != "" {
		s.Notify(redriven)
	}
	return out, next, nil
}

// render builds a received message with the requested attributes.
func render(q store.Queue, m store.QueueMessage, in ReceiveInput) (Message, error) {
	msg := Message{MessageID: m.MessageID, ReceiptHandle: receiptHandle(q.ID, m.ID, m.Receipt), MD5OfBody: m.MD5OfBody, Body: m.Body}
	system := map[string]string{
		"SenderId":                         m.SenderID,
		"SentTimestamp":                    epochMillis(m.SentAt),
		"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
		"ApproximateFirstReceiveTimestamp": epochMillis(m.FirstReceivedAt),
	}
	for _, n := range slices.Concat(in.AttributeNames, in.MessageSystemAttributeNames) {
		for _, sn := range systemNames {
			if n == "All" || n == sn {
				if msg.Attributes == nil {
					msg.Attributes = map[string]string{}
				}
				msg.Attributes[sn] = system[sn]
			}
		}
	}
	if len(m.Attributes) == 0 || len(in.MessageAttributeNames) == 0 {
		return msg, nil
	}
	var attrs map[string]MessageAttributeValue
	if err := json.Unmarshal(m.Attributes, &attrs); err != nil {
		return Message{}, err
	}
	for name, v := range attrs {
		if wantAttribute(name, in.MessageAttributeNames) {
			if msg.MessageAttributes == nil {
				msg.MessageAttributes = map[string]MessageAttributeValue{}
			}
			msg.MessageAttributes[name] = v
		}
	}
	if len(msg.MessageAttributes) > 0 {
		msg.MD5OfMessageAttributes = MD5OfMessageAttributes(msg.MessageAttributes)
	}
	return msg, nil
}

// wantAttribute matches SQS's MessageAttributeNames: "All" or ".*" for every
// attribute, "prefix.*" for a prefix, otherwise the exact name.
func wantAttribute(name string, selectors []string) bool {
	for _, sel := range selectors {
		switch {
		case sel == "All" || sel == ".*":
			return true
		case strings.HasSuffix(sel, ".*"):
			if strings.HasPrefix(name, strings.TrimSuffix(sel, "*")) {
				return true
			}
		case sel == name:
			return true
		}
	}
	return false
}

// DeleteMessage deletes the message a receipt handle names. A handle whose
// message was received again since, or was already deleted, succeeds without
// deleting anything, as SQS documents.
func (s *Service) DeleteMessage(ctx context.Context, c Caller, queueURL, handle string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		return s.deleteOne(ctx, tx, q, handle)
	})
}

func (s *Service) deleteOne(ctx context.Context, tx store.Tx, q store.Queue, handle string) error {
	id, token, err := parseReceipt(handle, q.ID)
	if err != nil {
		return err
	}
	m, err := tx.GetQueueMessage(ctx, q.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Receipt != token {
		return nil // a stale handle: the message was received again since
	}
	return tx.DeleteQueueMessage(ctx, q.ID, id)
}

// DeleteMessageBatch deletes up to ten messages; invalid handles fail alone.
func (s *Service) DeleteMessageBatch(ctx context.Context, c Caller, queueURL string, entries []BatchDeleteEntry) ([]string, []BatchFailure, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := checkBatch(ids); err != nil {
		return nil, nil, err
	}
	var ok []string
	var failed []BatchFailure
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ok, failed = nil, nil
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := s.deleteOne(ctx, tx, q, e.ReceiptHandle); err != nil {
				f, isDomain := failure(e.ID, err)
				if !isDomain {
					return err
				}
				failed = append(failed, f)
				continue
			}
			ok = append(ok, e.ID)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ok, failed, nil
}

// ChangeMessageVisibility sets when a received message becomes visible
// again, counted from now; 0 makes it visible at once.
func (s *Service) ChangeMessageVisibility(ctx context.Context, c Caller, queueURL, handle string, timeout int) error {
	if timeout < 0 || timeout > 43200 {
		return fail(InvalidParameterValue, "Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", timeout)
	}
	var arn string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		q, err := s.lookup(ctx, tx, c, queueURL)
		if err != nil {
			return err
		}
		arn = q.ARN
		id, token, err := parseReceipt(handle, q.ID)
		if err != nil {
			return err
		}
		m, err := tx.GetQueueMessage(ctx, q.ID, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.Receipt != token) {
			return fail(InvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle)
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if !m.VisibleAt.After(now) {
			return fail(MessageNotInflight, "The message referred to isn't in flight.")
		}
		m.VisibleAt = now.Add(seconds(int64(timeout)))
		return tx.UpdateQueueMessage(ctx, m)
	})
	if err == nil && timeout == 0 {
		s.Notify(arn)
	}
	return err
}
