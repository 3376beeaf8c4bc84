package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsClient is an SQS client with the SDK's defaults, including its MD5
// checks of every sent and received message body.
func sqsClient(addr, keyID, secret string) *sqs.Client {
	return sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), RetryMaxAttempts: 1})
}

func sqsAdmin(addr string) *sqs.Client { return sqsClient(addr, adminKeyID, adminSecret) }

func sqsCreate(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out := must[*sqs.CreateQueueOutput](t)(c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs}))
	return *out.QueueUrl
}

func sqsSend(t *testing.T, c *sqs.Client, url, body string) *sqs.SendMessageOutput {
	t.Helper()
	return must[*sqs.SendMessageOutput](t)(c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body}))
}

func sqsReceive(t *testing.T, c *sqs.Client, in *sqs.ReceiveMessageInput) []sqstypes.Message {
	t.Helper()
	return must[*sqs.ReceiveMessageOutput](t)(c.ReceiveMessage(context.Background(), in)).Messages
}

// sqsCounts returns ApproximateNumberOfMessages, ...NotVisible and ...Delayed.
func sqsCounts(t *testing.T, c *sqs.Client, url string) [3]string {
	t.Helper()
	out := must[*sqs.GetQueueAttributesOutput](t)(c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}}))
	return [3]string{out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"],
		out.Attributes["ApproximateNumberOfMessagesDelayed"]}
}

func TestSQSQueueLifecycle(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := sqsAdmin(addr)
	ctx := context.Background()

	url := sqsCreate(t, c, "lifecycle", map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "0"})
	if url != "http://"+addr+"/"+defaultAcct+"/lifecycle" {
		t.Fatalf("queue URL %s", url)
	}
	if again := sqsCreate(t, c, "lifecycle", map[string]string{"VisibilityTimeout": "45"}); again != url {
		t.Fatalf("same attributes gave %s", again)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("lifecycle"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	var exists *sqstypes.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("different attributes: %v", err)
	}
	wantAPIError(t, err, "QueueAlreadyExists")
	sqsCreate(t, c, "other-queue", nil)

	got := must[*sqs.GetQueueUrlOutput](t)(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("lifecycle")}))
	if *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl %s", *got.QueueUrl)
	}
	list := must[*sqs.ListQueuesOutput](t)(c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("life")}))
	if len(list.QueueUrls) != 1 || list.QueueUrls[0] != url {
		t.Fatalf("ListQueues %v", list.QueueUrls)
	}
	page := must[*sqs.ListQueuesOutput](t)(c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)}))
	if len(page.QueueUrls) != 1 || page.NextToken == nil {
		t.Fatalf("first page %v %v", page.QueueUrls, page.NextToken)
	}
	page2 := must[*sqs.ListQueuesOutput](t)(c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1), NextToken: page.NextToken}))
	if len(page2.QueueUrls) != 1 || page2.QueueUrls[0] == page.QueueUrls[0] || page2.NextToken != nil {
		t.Fatalf("second page %v %v", page2.QueueUrls, page2.NextToken)
	}

	attrs := must[*sqs.GetQueueAttributesOutput](t)(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})).Attributes
	want := map[string]string{"QueueArn": "arn:aws:sqs:" + region + ":" + defaultAcct + ":lifecycle", "VisibilityTimeout": "45",
		"MessageRetentionPeriod": "345600", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0", "MaximumMessageSize": "1048576",
		"ApproximateNumberOfMessages": "0"}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
	created, err := strconv.ParseInt(attrs["CreatedTimestamp"], 10, 64)
	if err != nil || time.Since(time.Unix(created, 0)) > time.Minute {
		t.Errorf("CreatedTimestamp %q", attrs["CreatedTimestamp"])
	}
	must[*sqs.SetQueueAttributesOutput](t)(c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url,
		Attributes: map[string]string{"VisibilityTimeout": "5", "ReceiveMessageWaitTimeSeconds": "2"}}))
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"VisibilityTimeout": "-1"}})
	var badValue *sqstypes.InvalidAttributeValue
	if !errors.As(err, &badValue) {
		t.Fatalf("bad attribute value: %v", err)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Colour": "blue"}})
	var badName *sqstypes.InvalidAttributeName
	if !errors.As(err, &badName) {
		t.Fatalf("unknown attribute: %v", err)
	}
	attrs = must[*sqs.GetQueueAttributesOutput](t)(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})).Attributes
	if len(attrs) != 1 || attrs["VisibilityTimeout"] != "5" {
		t.Fatalf("after SetQueueAttributes: %v", attrs)
	}

	must[*sqs.DeleteQueueOutput](t)(c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}))
	for _, call := range []func() error{
		func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("lifecycle")})
			return err
		},
		func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
			return err
		},
		func() error { _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}); return err },
		func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
			return err
		},
	} {
		err := call()
		var missing *sqstypes.QueueDoesNotExist
		if !errors.As(err, &missing) {
			t.Fatalf("deleted queue: want QueueDoesNotExist, got %v", err)
		}
		wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	}

	// A URL of another server, and operations this server does not have yet.
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/" + defaultAcct + "/other-queue"), MessageBody: aws.String("x")})
	var badAddr *sqstypes.InvalidAddress
	if !errors.As(err, &badAddr) {
		t.Fatalf("foreign URL: %v", err)
	}
	_, err = c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String("http://" + addr + "/" + defaultAcct + "/other-queue"), Tags: map[string]string{"a": "b"}})
	wantAPIError(t, err, "NotImplementedException")
}

func TestSQSSendReceiveWithAttributes(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := sqsAdmin(addr)
	ctx := context.Background()
	url := sqsCreate(t, c, "attrs", nil)

	// The attributes of a published MD5OfMessageAttributes example.
	msgAttrs := map[string]sqstypes.MessageAttributeValue{
		"test_attribute_name_1": {DataType: aws.String("String"), StringValue: aws.String("test_attribute_value_1")},
		"test_attribute_name_2": {DataType: aws.String("String"), StringValue: aws.String("test_attribute_value_2")},
	}
	const wantAttrMD5 = "d53f3b558fe951154770f25cb63dbba9"
	body := "héllo, queue ✓"
	start := time.Now()
	sent := must[*sqs.SendMessageOutput](t)(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body, MessageAttributes: msgAttrs}))
	if aws.ToString(sent.MD5OfMessageAttributes) != wantAttrMD5 || aws.ToString(sent.MessageId) == "" {
		t.Fatalf("SendMessage: id %q, MD5OfMessageAttributes %q", aws.ToString(sent.MessageId), aws.ToString(sent.MD5OfMessageAttributes))
	}
	msgs := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if len(msgs) != 1 {
		t.Fatalf("received %d", len(msgs))
	}
	m := msgs[0]
	if *m.Body != body || *m.MessageId != *sent.MessageId || aws.ToString(m.MD5OfMessageAttributes) != wantAttrMD5 ||
		aws.ToString(m.ReceiptHandle) == "" || *m.MessageAttributes["test_attribute_name_2"].StringValue != "test_attribute_value_2" {
		t.Fatalf("received %+v", m)
	}
	sentAt, _ := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64)
	firstAt, _ := strconv.ParseInt(m.Attributes["ApproximateFirstReceiveTimestamp"], 10, 64)
	if d := time.UnixMilli(sentAt).Sub(start); d < -time.Second || d > 5*time.Second || firstAt < sentAt ||
		m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != defaultAcct {
		t.Fatalf("system attributes %v", m.Attributes)
	}

	// Binary and Number attributes, batches.
	batch := must[*sqs.SendMessageBatchOutput](t)(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url,
		Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("one"), MessageBody: aws.String("first"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 250}},
				"n":    {DataType: aws.String("Number"), StringValue: aws.String("-1.5e3")}}},
			{Id: aws.String("two"), MessageBody: aws.String("second")},
			{Id: aws.String("bad"), MessageBody: aws.String("control \x01 character")},
		}}))
	if len(batch.Successful) != 2 || len(batch.Failed) != 1 || *batch.Failed[0].Id != "bad" || *batch.Failed[0].Code != "InvalidMessageContents" || !batch.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch %+v", batch)
	}
	_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("x"), MessageBody: aws.String("a")}, {Id: aws.String("x"), MessageBody: aws.String("b")}}})
	var dup *sqstypes.BatchEntryIdsNotDistinct
	if !errors.As(err, &dup) {
		t.Fatalf("duplicate ids: %v", err)
	}
	got := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"blob"}})
	if len(got) != 2 {
		t.Fatalf("received %d of the batch", len(got))
	}
	var entries []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range got {
		if *m.Body == "first" && (len(m.MessageAttributes) != 1 || !bytes.Equal(m.MessageAttributes["blob"].BinaryValue, []byte{0, 1, 2, 250})) {
			t.Fatalf("binary attribute %+v", m.MessageAttributes)
		}
		entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("not-a-handle")})
	del := must[*sqs.DeleteMessageBatchOutput](t)(c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries}))
	if len(del.Successful) != 2 || len(del.Failed) != 1 || *del.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch %+v", del)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("not-a-handle")})
	var invalid *sqstypes.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Fatalf("bad receipt handle: %v", err)
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	wantAPIError(t, err, "InvalidParameterValue")
}

func TestSQSVisibilityTimeout(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := sqsAdmin(addr)
	ctx := context.Background()
	url := sqsCreate(t, c, "visibility", nil)
	sqsSend(t, c, url, "work item")
	countAttr := []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}

	first := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 2, MessageSystemAttributeNames: countAttr})
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive %+v", first)
	}
	if n := sqsCounts(t, c, url); n != [3]string{"0", "1", "0"} {
		t.Fatalf("in flight: counts %v", n)
	}
	if again := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(again) != 0 {
		t.Fatal("an in-flight message was received again")
	}
	// A long poll wakes when the visibility timeout runs out.
	start := time.Now()
	second := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 10, VisibilityTimeout: 30, MessageSystemAttributeNames: countAttr})
	took := time.Since(start)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" || *second[0].ReceiptHandle == *first[0].ReceiptHandle {
		t.Fatalf("second receive %+v", second)
	}
	if took > 5*time.Second {
		t.Fatalf("the message reappeared only after %s", took)
	}
	// The first receipt handle is stale now: DeleteMessage succeeds but the message stays.
	must[*sqs.DeleteMessageOutput](t)(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle}))
	if n := sqsCounts(t, c, url); n != [3]string{"0", "1", "0"} {
		t.Fatalf("a stale handle deleted the message: counts %v", n)
	}
	// ChangeMessageVisibility to 0 makes it receivable at once.
	must[*sqs.ChangeMessageVisibilityOutput](t)(c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url,
		ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 0}))
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 10})
	var notInflight *sqstypes.MessageNotInflight
	if !errors.As(err, &notInflight) {
		t.Fatalf("visible message: %v", err)
	}
	third := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageSystemAttributeNames: countAttr})
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("after ChangeMessageVisibility 0: %+v", third)
	}
	must[*sqs.DeleteMessageOutput](t)(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle}))
	if n := sqsCounts(t, c, url); n != [3]string{"0", "0", "0"} {
		t.Fatalf("after DeleteMessage: counts %v", n)
	}
	// The handle of a deleted message has expired.
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle, VisibilityTimeout: 5})
	wantAPIError(t, err, "InvalidParameterValue")
}

func TestSQSLongPolling(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := sqsAdmin(addr)
	url := sqsCreate(t, c, "longpoll", nil)

	type result struct {
		msgs []sqstypes.Message
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		out, err := sqsAdmin(addr).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5})
		r := result{took: time.Since(start), err: err}
		if out != nil {
			r.msgs = out.Messages
		}
		done <- r
	}()
	time.Sleep(300 * time.Millisecond)
	sentAt := time.Since(start)
	sqsSend(t, c, url, "wake up")
	r := <-done
	if r.err != nil || len(r.msgs) != 1 || *r.msgs[0].Body != "wake up" {
		t.Fatalf("long poll: %+v %v", r.msgs, r.err)
	}
	if r.took >= 2*time.Second {
		t.Fatalf("long poll returned %s after the start, the message was sent at %s", r.took, sentAt)
	}
	t.Logf("long poll returned after %s (message sent at %s)", r.took, sentAt)

	// With nothing to receive it waits the whole time.
	start = time.Now()
	if msgs := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1}); len(msgs) != 0 {
		t.Fatal("message from nowhere")
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Fatalf("an empty 1 s long poll returned after %s", took)
	}
	_, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
	wantAPIError(t, err, "InvalidParameterValue")
}

func TestSQSPurgeAndCounts(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	c := sqsAdmin(addr)
	ctx := context.Background()
	url := sqsCreate(t, c, "counts", nil)
	for _, b := range []string{"a", "b", "c"} {
		sqsSend(t, c, url, b)
	}
	must[*sqs.SendMessageOutput](t)(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 600}))
	if got := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url}); len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if n := sqsCounts(t, c, url); n != [3]string{"2", "1", "1"} {
		t.Fatalf("counts %v, want visible 2, in flight 1, delayed 1", n)
	}
	must[*sqs.PurgeQueueOutput](t)(c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url}))
	if n := sqsCounts(t, c, url); n != [3]string{"0", "0", "0"} {
		t.Fatalf("after purge: counts %v", n)
	}
	_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
	var inProgress *sqstypes.PurgeQueueInProgress
	if !errors.As(err, &inProgress) {
		t.Fatalf("second purge within 60 s: %v", err)
	}
	wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
}

func TestSQSAccountsAreSeparate(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	admin := sqsAdmin(addr)
	url := sqsCreate(t, admin, "private", nil)
	sqsSend(t, admin, url, "secret")

	pcaClient, otherAcct := newAccount(t, dir, addr)
	creds, err := pcaClient.Options().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := sqsClient(addr, creds.AccessKeyID, creds.SecretAccessKey)

	_, err = other.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("private")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("other account GetQueueUrl: %v", err)
	}
	_, err = other.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("private"), QueueOwnerAWSAccountId: aws.String(defaultAcct)})
	wantAPIError(t, err, "AccessDenied")
	_, err = other.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	wantAPIError(t, err, "AccessDenied")
	_, err = other.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("intruder")})
	wantAPIError(t, err, "AccessDenied")
	_, err = other.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url})
	wantAPIError(t, err, "AccessDenied")
	if list := must[*sqs.ListQueuesOutput](t)(other.ListQueues(ctx, &sqs.ListQueuesInput{})); len(list.QueueUrls) != 0 {
		t.Fatalf("other account lists %v", list.QueueUrls)
	}
	// The same name is free in the other account, and its own queue is separate.
	otherURL := sqsCreate(t, other, "private", nil)
	if otherURL != "http://"+addr+"/"+otherAcct+"/private" {
		t.Fatalf("other account's URL %s", otherURL)
	}
	if got := sqsReceive(t, other, &sqs.ReceiveMessageInput{QueueUrl: &otherURL}); len(got) != 0 {
		t.Fatal("other account received the first account's message")
	}
	if n := sqsCounts(t, admin, url); n[0] != "1" {
		t.Fatalf("owner's queue counts %v", n)
	}
}

func TestSQSMessagesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir)
	c := sqsAdmin(p.addr)
	ctx := context.Background()
	url := sqsCreate(t, c, "durable", nil)
	sent := map[string]string{}
	for _, b := range []string{"one", "two"} {
		sent[*sqsSend(t, c, url, b).MessageId] = b
	}
	inFlight := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 600})
	if len(inFlight) != 1 {
		t.Fatal("no message")
	}
	p.stop(t)

	p = startProcess(t, dir)
	c = sqsAdmin(p.addr)
	url = *must[*sqs.GetQueueUrlOutput](t)(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("durable")})).QueueUrl
	if n := sqsCounts(t, c, url); n != [3]string{"1", "1", "0"} {
		t.Fatalf("after restart: counts %v", n)
	}
	rest := sqsReceive(t, c, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if len(rest) != 1 || *rest[0].MessageId == *inFlight[0].MessageId || sent[*rest[0].MessageId] == "" ||
		rest[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("after restart received %+v", rest)
	}
	// The receipt handle from before the restart still deletes its message.
	for _, m := range append(rest, inFlight...) {
		must[*sqs.DeleteMessageOutput](t)(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}))
	}
	if n := sqsCounts(t, c, url); n != [3]string{"0", "0", "0"} {
		t.Fatalf("after deleting: counts %v", n)
	}
	p.stop(t)
}

// sqsRaw posts a signed SQS JSON request to path and returns the response.
func sqsRaw(t *testing.T, addr, path, op, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret},
		req, hex.EncodeToString(sum[:]), "sqs", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// TestSQSWireFormat checks the bytes SQS clients rely on: errors carry the
// shape in __type and the query code in x-amzn-query-error, and requests
// posted to a queue URL's path are served like those posted to "/".
func TestSQSWireFormat(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	url := sqsCreate(t, sqsAdmin(addr), "wire", nil)
	path := "/" + defaultAcct + "/wire"

	resp, raw := sqsRaw(t, addr, path, "SendMessage", `{"QueueUrl":"`+url+`","MessageBody":"posted to the queue path"}`)
	var sent struct{ MessageId, MD5OfMessageBody string }
	if resp.StatusCode != 200 || json.Unmarshal(raw, &sent) != nil || sent.MessageId == "" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("SendMessage to the queue path: %d %s", resp.StatusCode, raw)
	}
	resp, raw = sqsRaw(t, addr, "/", "GetQueueUrl", `{"QueueName":"nope"}`)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || resp.StatusCode != 400 || e.Type != "com.amazonaws.sqs#QueueDoesNotExist" || e.Message == "" ||
		resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("GetQueueUrl of a missing queue: %d %v %s", resp.StatusCode, resp.Header, raw)
	}
	resp, _ = sqsRaw(t, addr, "/", "DeleteMessage", `{"QueueUrl":"`+url+`","ReceiptHandle":"bogus"}`)
	if resp.StatusCode != 404 || resp.Header.Get("x-amzn-query-error") != "ReceiptHandleIsInvalid;Sender" {
		t.Fatalf("bad receipt handle: %d %v", resp.StatusCode, resp.Header)
	}
	resp, raw = sqsRaw(t, addr, "/", "ReceiveMessage", `{"QueueUrl":"`+url+`"}`)
	var received struct {
		Messages []struct{ Body, MD5OfBody string }
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &received) != nil || len(received.Messages) != 1 ||
		received.Messages[0].MD5OfBody != sent.MD5OfMessageBody {
		t.Fatalf("ReceiveMessage: %d %s", resp.StatusCode, raw)
	}
}

// TestSQSStockCLI drives the queues with the stock aws CLI.
func TestSQSStockCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	addr := startInProcess(t, t.TempDir())
	awsCLI := func(args ...string) ([]byte, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", "http://" + addr, "--output", "json", "sqs"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+adminKeyID, "AWS_SECRET_ACCESS_KEY="+adminSecret,
			"AWS_DEFAULT_REGION="+region, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, errors.New(err.Error() + ": " + stderr.String())
		}
		return out, nil
	}
	run := func(v any, args ...string) {
		t.Helper()
		out, err := awsCLI(args...)
		if err != nil {
			t.Fatalf("aws sqs %v: %v", args, err)
		}
		if v != nil {
			if err := json.Unmarshal(out, v); err != nil {
				t.Fatalf("aws sqs %v printed %q", args, out)
			}
		}
	}
	var created struct{ QueueUrl string }
	run(&created, "create-queue", "--queue-name", "cli-queue", "--attributes", "VisibilityTimeout=40")
	if created.QueueUrl != "http://"+addr+"/"+defaultAcct+"/cli-queue" {
		t.Fatalf("create-queue: %+v", created)
	}
	var sent struct{ MessageId, MD5OfMessageBody, MD5OfMessageAttributes string }
	run(&sent, "send-message", "--queue-url", created.QueueUrl, "--message-body", "from the CLI",
		"--message-attributes", `{"SellerName":{"DataType":"String","StringValue":"Example Store"}}`)
	if sent.MessageId == "" || sent.MD5OfMessageAttributes != "cd28f3b68aeee4b2eac9c66f2f694b58" {
		t.Fatalf("send-message: %+v", sent)
	}
	var got struct {
		Messages []struct {
			MessageId, ReceiptHandle, Body, MD5OfBody string
			Attributes                                map[string]string
			MessageAttributes                         map[string]struct{ StringValue, DataType string }
		}
	}
	run(&got, "receive-message", "--queue-url", created.QueueUrl, "--attribute-names", "SentTimestamp", "ApproximateReceiveCount",
		"--message-attribute-names", "All", "--wait-time-seconds", "1")
	if len(got.Messages) != 1 || got.Messages[0].Body != "from the CLI" || got.Messages[0].MessageId != sent.MessageId ||
		got.Messages[0].MD5OfBody != sent.MD5OfMessageBody || got.Messages[0].Attributes["ApproximateReceiveCount"] != "1" ||
		got.Messages[0].Attributes["SentTimestamp"] == "" || got.Messages[0].MessageAttributes["SellerName"].StringValue != "Example Store" {
		t.Fatalf("receive-message: %+v", got)
	}
	var attrs struct{ Attributes map[string]string }
	run(&attrs, "get-queue-attributes", "--queue-url", created.QueueUrl, "--attribute-names", "All")
	if attrs.Attributes["VisibilityTimeout"] != "40" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("get-queue-attributes: %v", attrs.Attributes)
	}
	run(nil, "delete-message", "--queue-url", created.QueueUrl, "--receipt-handle", got.Messages[0].ReceiptHandle)
	var list struct{ QueueUrls []string }
	run(&list, "list-queues")
	if len(list.QueueUrls) != 1 || list.QueueUrls[0] != created.QueueUrl {
		t.Fatalf("list-queues: %+v", list)
	}
	// The CLI reports SQS's query error code.
	_, err := awsCLI("get-queue-url", "--queue-name", "no-such-queue")
	if err == nil || !strings.Contains(err.Error(), "AWS.SimpleQueueService.NonExistentQueue") {
		t.Fatalf("get-queue-url of a missing queue: %v", err)
	}
	run(nil, "delete-queue", "--queue-url", created.QueueUrl)
}
