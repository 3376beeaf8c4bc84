package sqsapi

import (
	"testing"

	"github.com/openpca/openpca/internal/queue"
)

func TestSQSServiceBindsModelOperations(t *testing.T) {
	svc, err := New(queue.New(nil, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if svc.TargetPrefix != "AmazonSQS" || svc.SigningName != "sqs" || svc.JSONVersion != "1.0" || !svc.QueryErrorHeader {
		t.Fatalf("%+v", svc)
	}
	for op := range svc.Operations {
		if !svc.Model.HasOperation(op) {
			t.Errorf("operation %s is not in the SQS model", op)
		}
	}
	// Every other model operation exists, so the edge answers NotImplemented for it.
	for _, op := range []string{"AddPermission", "TagQueue", "ListQueueTags", "ChangeMessageVisibilityBatch", "StartMessageMoveTask"} {
		if !svc.Model.HasOperation(op) || svc.Operations[op] != nil {
			t.Errorf("%s", op)
		}
	}
}

func TestSQSModelValidation(t *testing.T) {
	svc, err := New(queue.New(nil, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		op, body, want string
	}{
		// The deprecated AttributeNames carries message system attribute names.
		{"ReceiveMessage", `{"QueueUrl":"u","AttributeNames":["SentTimestamp","All"]}`, ""},
		{"CreateQueue", `{"QueueName":"q","Attributes":{"Unknown":"1"}}`, ""}, // the domain answers InvalidAttributeName
		{"ReceiveMessage", `{"QueueUrl":"u","MessageSystemAttributeNames":["Bogus"]}`, "ValidationException"},
		{"ReceiveMessage", `{}`, "ValidationException"},
		{"SendMessage", `{"QueueUrl":"u","MessageBody":7}`, "SerializationException"},
		{"SendMessage", `{"QueueUrl":"u","MessageBody":"b","MessageAttributes":{"a":{"StringValue":"v"}}}`, "ValidationException"},
	}
	for _, tc := range cases {
		got := ""
		if e := svc.Model.Validate(tc.op, []byte(tc.body)); e != nil {
			got = e.Type
		}
		if got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.op, tc.body, got, tc.want)
		}
	}
}

func TestSQSErrorMapping(t *testing.T) {
	cases := []struct {
		kind   queue.Kind
		status int
		typ    string
		query  string
	}{
		{queue.QueueDoesNotExist, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"},
		{queue.QueueNameExists, 400, "com.amazonaws.sqs#QueueNameExists", "QueueAlreadyExists"},
		{queue.ReceiptHandleIsInvalid, 404, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid"},
		{queue.PurgeQueueInProgress, 403, "com.amazonaws.sqs#PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress"},
		{queue.InvalidParameterValue, 400, "com.amazon.coral.validate#ValidationException", "InvalidParameterValue"},
		{queue.AccessDenied, 403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied"},
	}
	for _, tc := range cases {
		e := mapError(&queue.Error{Kind: tc.kind, Message: "m"})
		if e == nil || e.Status != tc.status || e.Type != tc.typ || e.QueryCode != tc.query || e.Message != "m" {
			t.Errorf("%s: %+v", tc.kind, e)
		}
	}
	if mapError(errTest{}) != nil {
		t.Error("a non-domain error was mapped")
	}
}

type errTest struct{}

func (errTest) Error() string { return "x" }
