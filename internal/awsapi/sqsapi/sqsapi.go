// Package sqsapi binds the SQS JSON 1.0 operations (X-Amz-Target:
// AmazonSQS.*) to the queue domain. Errors go out as SQS's JSON protocol
// sends them: __type "com.amazonaws.sqs#Shape" plus the legacy query code in
// x-amzn-query-error ("AWS.SimpleQueueService.NonExistentQueue;Sender"),
// which the SDKs in query-compatible mode report as the error code.
package sqsapi

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/openpca/openpca/internal/awsapi"
	"github.com/openpca/openpca/internal/queue"
)

//go:embed sqs.json.gz
var modelGz []byte

// New returns the SQS service for the edge. Model operations not listed
// here answer NotImplementedException.
func New(svc *queue.Service) (*awsapi.JSONService, error) {
	model, err := loadModel()
	if err != nil {
		return nil, err
	}
	return &awsapi.JSONService{
		TargetPrefix:     "AmazonSQS",
		SigningName:      "sqs",
		JSONVersion:      "1.0",
		Model:            model,
		MapError:         mapError,
		QueryErrorHeader: true,
		Operations: map[string]awsapi.Operation{
			"CreateQueue": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueName  string
				Attributes map[string]string
				Tags       map[string]string `json:"tags"`
			}) (any, error) {
				u, err := svc.CreateQueue(ctx, c, in.QueueName, in.Attributes, in.Tags)
				return urlOutput{u}, err
			}),
			"GetQueueUrl": op(func(ctx context.Context, c queue.Caller, in struct{ QueueName, QueueOwnerAWSAccountId string }) (any, error) {
				u, err := svc.GetQueueURL(ctx, c, in.QueueName, in.QueueOwnerAWSAccountId)
				return urlOutput{u}, err
			}),
			"ListQueues": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueNamePrefix, NextToken string
				MaxResults                 *int
			}) (any, error) {
				urls, next, err := svc.ListQueues(ctx, c, in.QueueNamePrefix, in.MaxResults, in.NextToken)
				return struct {
					QueueUrls []string `json:",omitempty"`
					NextToken string   `json:",omitempty"`
				}{urls, next}, err
			}),
			"DeleteQueue": op(func(ctx context.Context, c queue.Caller, in urlInput) (any, error) {
				return empty, svc.DeleteQueue(ctx, c, in.QueueUrl)
			}),
			"PurgeQueue": op(func(ctx context.Context, c queue.Caller, in urlInput) (any, error) {
				return empty, svc.PurgeQueue(ctx, c, in.QueueUrl)
			}),
			"GetQueueAttributes": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl       string
				AttributeNames []string
			}) (any, error) {
				attrs, err := svc.GetQueueAttributes(ctx, c, in.QueueUrl, in.AttributeNames)
				return attributesOutput{attrs}, err
			}),
			"SetQueueAttributes": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl   string
				Attributes map[string]string
			}) (any, error) {
				return empty, svc.SetQueueAttributes(ctx, c, in.QueueUrl, in.Attributes)
			}),
			"SendMessage": op(func(ctx context.Context, c queue.Caller, in sendInput) (any, error) {
				res, err := svc.SendMessage(ctx, c, in.QueueUrl, in.domain())
				return sendWire{MessageId: res.MessageID, MD5OfMessageBody: res.MD5OfMessageBody,
					MD5OfMessageAttributes: res.MD5OfMessageAttributes}, err
			}),
			"SendMessageBatch": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl string
				Entries  []struct {
					Id string
					sendInput
				}
			}) (any, error) {
				entries := make([]queue.BatchSendEntry, len(in.Entries))
				for i, e := range in.Entries {
					entries[i] = queue.BatchSendEntry{ID: e.Id, SendInput: e.domain()}
				}
				ok, failed, err := svc.SendMessageBatch(ctx, c, in.QueueUrl, entries)
				out := struct {
					Successful []sendWire
					Failed     []failureWire
				}{Successful: []sendWire{}, Failed: failures(failed)}
				for _, r := range ok {
					out.Successful = append(out.Successful, sendWire{Id: r.ID, MessageId: r.MessageID,
						MD5OfMessageBody: r.MD5OfMessageBody, MD5OfMessageAttributes: r.MD5OfMessageAttributes})
				}
				return out, err
			}),
			"ReceiveMessage": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl string
				queue.ReceiveInput
			}) (any, error) {
				msgs, err := svc.ReceiveMessage(ctx, c, in.QueueUrl, in.ReceiveInput)
				out := struct {
					Messages []messageWire `json:",omitempty"`
				}{}
				for _, m := range msgs {
					out.Messages = append(out.Messages, messageWire{MessageId: m.MessageID, ReceiptHandle: m.ReceiptHandle,
						MD5OfBody: m.MD5OfBody, Body: m.Body, Attributes: m.Attributes,
						MD5OfMessageAttributes: m.MD5OfMessageAttributes, MessageAttributes: m.MessageAttributes})
				}
				return out, err
			}),
			"DeleteMessage": op(func(ctx context.Context, c queue.Caller, in struct{ QueueUrl, ReceiptHandle string }) (any, error) {
				return empty, svc.DeleteMessage(ctx, c, in.QueueUrl, in.ReceiptHandle)
			}),
			"DeleteMessageBatch": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl string
				Entries  []struct{ Id, ReceiptHandle string }
			}) (any, error) {
				entries := make([]queue.BatchDeleteEntry, len(in.Entries))
				for i, e := range in.Entries {
					entries[i] = queue.BatchDeleteEntry{ID: e.Id, ReceiptHandle: e.ReceiptHandle}
				}
				ok, failed, err := svc.DeleteMessageBatch(ctx, c, in.QueueUrl, entries)
				out := struct {
					Successful []struct{ Id string }
					Failed     []failureWire
				}{Successful: []struct{ Id string }{}, Failed: failures(failed)}
				for _, id := range ok {
					out.Successful = append(out.Successful, struct{ Id string }{id})
				}
				return out, err
			}),
			"ChangeMessageVisibility": op(func(ctx context.Context, c queue.Caller, in struct {
				QueueUrl, ReceiptHandle string
				VisibilityTimeout       int
			}) (any, error) {
				return empty, svc.ChangeMessageVisibility(ctx, c, in.QueueUrl, in.ReceiptHandle, in.VisibilityTimeout)
			}),
		},
	}, nil
}

// loadModel loads the botocore SQS model with one relaxation: the
// QueueAttributeName enum is not enforced at the edge, because SQS accepts
// message system attribute names (SentTimestamp, ...) in ReceiveMessage's
// deprecated AttributeNames, which the model types with that enum, and
// answers unknown names in queue attribute maps with InvalidAttributeName
// rather than a validation error. The domain checks the names instead.
func loadModel() (*awsapi.Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(modelGz))
	if err != nil {
		return nil, fmt.Errorf("sqsapi: model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("sqsapi: model: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("sqsapi: model: %w", err)
	}
	shapes, _ := doc["shapes"].(map[string]any)
	name, _ := shapes["QueueAttributeName"].(map[string]any)
	if name == nil {
		return nil, errors.New("sqsapi: model has no QueueAttributeName shape")
	}
	delete(name, "enum")
	patched, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(patched)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return awsapi.LoadModel(buf.Bytes())
}

var empty = struct{}{}

type urlInput struct{ QueueUrl string }

type urlOutput struct {
	QueueUrl string `json:",omitempty"`
}

type attributesOutput struct {
	Attributes map[string]string `json:",omitempty"`
}

type sendInput struct {
	QueueUrl          string
	MessageBody       string
	DelaySeconds      *int
	MessageAttributes map[string]queue.MessageAttributeValue
}

func (in sendInput) domain() queue.SendInput {
	return queue.SendInput{MessageBody: in.MessageBody, DelaySeconds: in.DelaySeconds, MessageAttributes: in.MessageAttributes}
}

type sendWire struct {
	Id                     string `json:",omitempty"`
	MessageId              string `json:",omitempty"`
	MD5OfMessageBody       string `json:",omitempty"`
	MD5OfMessageAttributes string `json:",omitempty"`
}

type messageWire struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string                      `json:",omitempty"`
	MD5OfMessageAttributes string                                 `json:",omitempty"`
	MessageAttributes      map[string]queue.MessageAttributeValue `json:",omitempty"`
}

type failureWire struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func failures(failed []queue.BatchFailure) []failureWire {
	out := []failureWire{}
	for _, f := range failed {
		out = append(out, failureWire{Id: f.ID, SenderFault: f.SenderFault, Code: wireError(f.Kind).query, Message: f.Message})
	}
	return out
}

func op[In any](fn func(context.Context, queue.Caller, In) (any, error)) awsapi.Operation {
	return func(ctx context.Context, caller awsapi.Caller, decode func(any) error) (any, error) {
		var in In
		if err := decode(&in); err != nil {
			return nil, err
		}
		return fn(ctx, queue.Caller{AccountID: caller.AccountID}, in)
	}
}

type wire struct {
	status int
	typ    string // __type
	query  string // x-amzn-query-error code
}

// wireErrors follow the SQS Smithy model: each error shape's HTTP status
// and awsQueryError code. InvalidParameterValue, MissingParameter and
// AccessDenied have no shape; SQS sends them as generic validation and
// access errors that the SDKs know by their query code.
var wireErrors = map[queue.Kind]wire{
	queue.QueueDoesNotExist:            {400, "", "AWS.SimpleQueueService.NonExistentQueue"},
	queue.QueueNameExists:              {400, "", "QueueAlreadyExists"},
	queue.InvalidAddress:               {404, "", "InvalidAddress"},
	queue.InvalidAttributeName:         {400, "", "InvalidAttributeName"},
	queue.InvalidAttributeValue:        {400, "", "InvalidAttributeValue"},
	queue.InvalidMessageContents:       {400, "", "InvalidMessageContents"},
	queue.ReceiptHandleIsInvalid:       {404, "", "ReceiptHandleIsInvalid"},
	queue.MessageNotInflight:           {400, "", "AWS.SimpleQueueService.MessageNotInflight"},
	queue.PurgeQueueInProgress:         {403, "", "AWS.SimpleQueueService.PurgeQueueInProgress"},
	queue.EmptyBatchRequest:            {400, "", "AWS.SimpleQueueService.EmptyBatchRequest"},
	queue.TooManyEntriesInBatchRequest: {400, "", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
	queue.BatchEntryIdsNotDistinct:     {400, "", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	queue.BatchRequestTooLong:          {400, "", "AWS.SimpleQueueService.BatchRequestTooLong"},
	queue.InvalidBatchEntryID:          {400, "", "AWS.SimpleQueueService.InvalidBatchEntryId"},
	queue.UnsupportedOperation:         {400, "", "AWS.SimpleQueueService.UnsupportedOperation"},
	queue.InvalidParameterValue:        {400, "com.amazon.coral.validate#ValidationException", "InvalidParameterValue"},
	queue.MissingParameter:             {400, "com.amazon.coral.validate#ValidationException", "MissingParameter"},
	queue.AccessDenied:                 {403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied"},
}

func wireError(k queue.Kind) wire {
	w, ok := wireErrors[k]
	if !ok {
		w = wire{400, "", string(k)}
	}
	if w.typ == "" {
		w.typ = "com.amazonaws.sqs#" + string(k)
	}
	return w
}

func mapError(err error) *awsapi.Error {
	var e *queue.Error
	if !errors.As(err, &e) {
		return nil
	}
	w := wireError(e.Kind)
	return &awsapi.Error{Status: w.status, Type: w.typ, Message: e.Message, QueryCode: w.query}
}
