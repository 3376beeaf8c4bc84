package queue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/clock"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/store/sqlite"
)

const (
	acct  = "000000000000"
	other = "111122223333"
	base  = "http://127.0.0.1:9999"
)

var owner = Caller{AccountID: acct}

func newService(t *testing.T) (*Service, *clock.Fake, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	s := New(st, "us-east-1", WithClock(clk), WithBaseURL(base))
	t.Cleanup(s.Close)
	return s, clk, st
}

func create(t *testing.T, s *Service, name string, attrs map[string]string) string {
	t.Helper()
	u, err := s.CreateQueue(context.Background(), owner, name, attrs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func send(t *testing.T, s *Service, u, body string) SendResult {
	t.Helper()
	res, err := s.SendMessage(context.Background(), owner, u, SendInput{MessageBody: body})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func receive(t *testing.T, s *Service, u string, in ReceiveInput) []Message {
	t.Helper()
	msgs, err := s.ReceiveMessage(context.Background(), owner, u, in)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func wantKind(t *testing.T, err error, kind Kind) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != kind {
		t.Fatalf("want %s, got %v", kind, err)
	}
}

func counts(t *testing.T, s *Service, u string) (visible, inFlight, delayed string) {
	t.Helper()
	a, err := s.GetQueueAttributes(context.Background(), owner, u, []string{"ApproximateNumberOfMessages",
		"ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"})
	if err != nil {
		t.Fatal(err)
	}
	return a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"]
}

func TestQueueURLAndARN(t *testing.T) {
	s, _, _ := newService(t)
	u := create(t, s, "orders", nil)
	if u != base+"/"+acct+"/orders" {
		t.Fatalf("url %s", u)
	}
	a, err := s.GetQueueAttributes(context.Background(), owner, u, []string{"QueueArn"})
	if err != nil || a["QueueArn"] != "arn:aws:sqs:us-east-1:"+acct+":orders" || len(a) != 1 {
		t.Fatalf("%v %v", a, err)
	}
	for _, bad := range []string{"orders", "http://elsewhere:9999/" + acct + "/orders", base + "/" + acct,
		base + "/" + acct + "/orders/x", base + "/12/orders", "ftp://127.0.0.1:9999/" + acct + "/orders"} {
		_, err := s.GetQueueAttributes(context.Background(), owner, bad, []string{"All"})
		wantKind(t, err, InvalidAddress)
	}
	// Another account's queue URL is denied, whether the queue exists or not.
	_, err = s.SendMessage(context.Background(), Caller{AccountID: other}, u, SendInput{MessageBody: "x"})
	wantKind(t, err, AccessDenied)
	_, err = s.SendMessage(context.Background(), Caller{AccountID: other}, base+"/"+acct+"/nope", SendInput{MessageBody: "x"})
	wantKind(t, err, AccessDenied)
	_, err = s.GetQueueURL(context.Background(), Caller{AccountID: other}, "orders", "")
	wantKind(t, err, QueueDoesNotExist)
	_, err = s.GetQueueURL(context.Background(), Caller{AccountID: other}, "orders", acct)
	wantKind(t, err, AccessDenied)
	_, err = s.GetQueueAttributes(context.Background(), owner, u, []string{"Bogus"})
	wantKind(t, err, InvalidAttributeName)
}

func TestQueueCreateQueueSameNameAttributes(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", map[string]string{"VisibilityTimeout": "60"})
	// Same attributes, also spelled differently or defaulted: the same queue.
	for _, attrs := range []map[string]string{nil, {"VisibilityTimeout": "60"}, {"VisibilityTimeout": "060", "DelaySeconds": "0"}} {
		got, err := s.CreateQueue(ctx, owner, "q", attrs, nil)
		if err != nil || got != u {
			t.Fatalf("%v: %s %v", attrs, got, err)
		}
	}
	_, err := s.CreateQueue(ctx, owner, "q", map[string]string{"VisibilityTimeout": "30"}, nil)
	wantKind(t, err, QueueNameExists)
	_, err = s.CreateQueue(ctx, owner, "bad name", nil, nil)
	wantKind(t, err, InvalidParameterValue)
	_, err = s.CreateQueue(ctx, owner, "f.fifo", nil, nil)
	wantKind(t, err, UnsupportedOperation)
	for attrs, kind := range map[[2]string]Kind{
		{"VisibilityTimeout", "43201"}:   InvalidAttributeValue,
		{"DelaySeconds", "x"}:            InvalidAttributeValue,
		{"MessageRetentionPeriod", "59"}: InvalidAttributeValue,
		{"QueueArn", "x"}:                InvalidAttributeName,
		{"Bogus", "1"}:                   InvalidAttributeName,
		{"FifoQueue", "true"}:            UnsupportedOperation,
		{"RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3}`}: InvalidAttributeValue,
	} {
		_, err := s.CreateQueue(ctx, owner, "other", map[string]string{attrs[0]: attrs[1]}, nil)
		wantKind(t, err, kind)
	}
	// Nothing was created by the failures.
	urls, _, err := s.ListQueues(ctx, owner, "", nil, "")
	if err != nil || len(urls) != 1 {
		t.Fatalf("%v %v", urls, err)
	}
}

func TestQueueListQueuesPages(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		create(t, s, n, nil)
	}
	if _, err := s.CreateQueue(ctx, Caller{AccountID: other}, "a4", nil, nil); err != nil {
		t.Fatal(err)
	}
	two := 2
	var got []string
	token := ""
	for i := 0; ; i++ {
		urls, next, err := s.ListQueues(ctx, owner, "a", &two, token)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, urls...)
		if next == "" {
			break
		}
		token = next
		if i > 3 {
			t.Fatal("no end")
		}
	}
	if len(got) != 3 || got[0] != base+"/"+acct+"/a1" || got[2] != base+"/"+acct+"/a3" {
		t.Fatalf("%v", got)
	}
	zero := 0
	_, _, err := s.ListQueues(ctx, owner, "", &zero, "")
	wantKind(t, err, InvalidParameterValue)
}

func TestQueueVisibilityTimeoutAndReceiptHandles(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", map[string]string{"VisibilityTimeout": "30"})
	sent := send(t, s, u, "hello")
	if sent.MD5OfMessageBody != MD5OfBody("hello") || sent.MD5OfMessageAttributes != "" {
		t.Fatalf("%+v", sent)
	}
	first := receive(t, s, u, ReceiveInput{MessageSystemAttributeNames: []string{"All"}})
	if len(first) != 1 || first[0].Body != "hello" || first[0].MessageID != sent.MessageID ||
		first[0].Attributes["ApproximateReceiveCount"] != "1" || first[0].Attributes["SenderId"] != acct {
		t.Fatalf("%+v", first)
	}
	if v, f, d := counts(t, s, u); v != "0" || f != "1" || d != "0" {
		t.Fatalf("counts %s %s %s", v, f, d)
	}
	if got := receive(t, s, u, ReceiveInput{}); len(got) != 0 {
		t.Fatal("in-flight message received again")
	}
	clk.Advance(31 * time.Second)
	second := receive(t, s, u, ReceiveInput{AttributeNames: []string{"ApproximateReceiveCount"}})
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" || second[0].ReceiptHandle == first[0].ReceiptHandle {
		t.Fatalf("%+v", second)
	}
	// The first handle is stale: deleting with it succeeds but deletes nothing,
	// changing visibility with it fails.
	if err := s.DeleteMessage(ctx, owner, u, first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	err := s.ChangeMessageVisibility(ctx, owner, u, first[0].ReceiptHandle, 0)
	wantKind(t, err, InvalidParameterValue)
	if _, f, _ := counts(t, s, u); f != "1" {
		t.Fatal("stale handle deleted the message")
	}
	// Visibility 0 makes it receivable at once.
	if err := s.ChangeMessageVisibility(ctx, owner, u, second[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	err = s.ChangeMessageVisibility(ctx, owner, u, second[0].ReceiptHandle, 10)
	wantKind(t, err, MessageNotInflight)
	third := receive(t, s, u, ReceiveInput{VisibilityTimeout: ptr(5), AttributeNames: []string{"All"}})
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("%+v", third)
	}
	if err := s.DeleteMessage(ctx, owner, u, third[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if got := receive(t, s, u, ReceiveInput{}); len(got) != 0 {
		t.Fatal("deleted message came back")
	}
	// Deleting again succeeds; garbage handles and other queues' handles do not.
	if err := s.DeleteMessage(ctx, owner, u, third[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.DeleteMessage(ctx, owner, u, "garbage"), ReceiptHandleIsInvalid)
	u2 := create(t, s, "q2", nil)
	wantKind(t, s.DeleteMessage(ctx, owner, u2, third[0].ReceiptHandle), ReceiptHandleIsInvalid)
}

func ptr[T any](v T) *T { return &v }

func TestQueueDelayRetentionAndPurge(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", map[string]string{"MessageRetentionPeriod": "120"})
	if _, err := s.SendMessage(ctx, owner, u, SendInput{MessageBody: "later", DelaySeconds: ptr(10)}); err != nil {
		t.Fatal(err)
	}
	if v, f, d := counts(t, s, u); v != "0" || f != "0" || d != "1" {
		t.Fatalf("counts %s %s %s", v, f, d)
	}
	if len(receive(t, s, u, ReceiveInput{})) != 0 {
		t.Fatal("delayed message received early")
	}
	clk.Advance(11 * time.Second)
	if v, _, d := counts(t, s, u); v != "1" || d != "0" {
		t.Fatalf("after delay %s %s", v, d)
	}
	clk.Advance(2 * time.Minute) // past retention
	if v, _, _ := counts(t, s, u); v != "0" {
		t.Fatal("expired message counted")
	}
	if len(receive(t, s, u, ReceiveInput{})) != 0 {
		t.Fatal("expired message received")
	}
	send(t, s, u, "a")
	send(t, s, u, "b")
	if err := s.PurgeQueue(ctx, owner, u); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := counts(t, s, u); v != "0" {
		t.Fatal("purge left messages")
	}
	wantKind(t, s.PurgeQueue(ctx, owner, u), PurgeQueueInProgress)
	clk.Advance(61 * time.Second)
	if err := s.PurgeQueue(ctx, owner, u); err != nil {
		t.Fatal(err)
	}
	_, err := s.SendMessage(ctx, owner, u, SendInput{MessageBody: "x", DelaySeconds: ptr(901)})
	wantKind(t, err, InvalidParameterValue)
	_, err = s.SendMessage(ctx, owner, u, SendInput{MessageBody: "bad \x01"})
	wantKind(t, err, InvalidMessageContents)
	_, err = s.ReceiveMessage(ctx, owner, u, ReceiveInput{MaxNumberOfMessages: ptr(11)})
	wantKind(t, err, InvalidParameterValue)
	_, err = s.ReceiveMessage(ctx, owner, u, ReceiveInput{WaitTimeSeconds: ptr(21)})
	wantKind(t, err, InvalidParameterValue)
}

func TestQueueRedriveToDeadLetterQueue(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	dlq := create(t, s, "dlq", nil)
	u := create(t, s, "src", map[string]string{"VisibilityTimeout": "5",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"}`})
	a, err := s.GetQueueAttributes(ctx, owner, u, []string{"RedrivePolicy"})
	if err != nil || a["RedrivePolicy"] != `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}` {
		t.Fatalf("%v %v", a, err)
	}
	send(t, s, u, "poison")
	for i := 0; i < 2; i++ {
		if len(receive(t, s, u, ReceiveInput{})) != 1 {
			t.Fatalf("receive %d", i)
		}
		clk.Advance(6 * time.Second)
	}
	if len(receive(t, s, u, ReceiveInput{})) != 0 {
		t.Fatal("message received more than maxReceiveCount times")
	}
	got := receive(t, s, dlq, ReceiveInput{AttributeNames: []string{"All"}})
	if len(got) != 1 || got[0].Body != "poison" {
		t.Fatalf("dead-letter queue: %+v", got)
	}
	// Removing the policy.
	if err := s.SetQueueAttributes(ctx, owner, u, map[string]string{"RedrivePolicy": ""}); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.GetQueueAttributes(ctx, owner, u, []string{"All"}); a["RedrivePolicy"] != "" || a["VisibilityTimeout"] != "5" {
		t.Fatalf("%v", a)
	}
}

func TestQueueMessageAttributesSelection(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", nil)
	attrs := map[string]MessageAttributeValue{
		"color.primary": {DataType: "String", StringValue: str("red")},
		"count":         {DataType: "Number", StringValue: str("42")},
		"blob":          {DataType: "Binary.gz", BinaryValue: []byte{0, 1, 2}},
	}
	res, err := s.SendMessage(ctx, owner, u, SendInput{MessageBody: "x", MessageAttributes: attrs})
	if err != nil || res.MD5OfMessageAttributes != MD5OfMessageAttributes(attrs) {
		t.Fatalf("%+v %v", res, err)
	}
	msgs := receive(t, s, u, ReceiveInput{MessageAttributeNames: []string{"color.*", "blob"}, VisibilityTimeout: ptr(0)})
	if len(msgs) != 1 || len(msgs[0].MessageAttributes) != 2 || msgs[0].MessageAttributes["count"].DataType != "" {
		t.Fatalf("%+v", msgs)
	}
	subset := map[string]MessageAttributeValue{"color.primary": attrs["color.primary"], "blob": attrs["blob"]}
	if msgs[0].MD5OfMessageAttributes != MD5OfMessageAttributes(subset) {
		t.Fatal("MD5 not over the returned attributes")
	}
	msgs = receive(t, s, u, ReceiveInput{})
	if len(msgs) != 1 || msgs[0].MessageAttributes != nil || msgs[0].MD5OfMessageAttributes != "" {
		t.Fatalf("%+v", msgs)
	}
	for _, bad := range []map[string]MessageAttributeValue{
		{"AWS.x": {DataType: "String", StringValue: str("v")}},
		{"x": {DataType: "Text", StringValue: str("v")}},
		{"x": {DataType: "Number", StringValue: str("abc")}},
		{"x": {DataType: "String"}},
		{"x": {DataType: "Binary", StringValue: str("v")}},
	} {
		_, err := s.SendMessage(ctx, owner, u, SendInput{MessageBody: "x", MessageAttributes: bad})
		wantKind(t, err, InvalidParameterValue)
	}
}

func TestQueueBatches(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", nil)
	ok, failed, err := s.SendMessageBatch(ctx, owner, u, []BatchSendEntry{
		{ID: "a", SendInput: SendInput{MessageBody: "one"}},
		{ID: "b", SendInput: SendInput{MessageBody: "bad \x02"}},
		{ID: "c", SendInput: SendInput{MessageBody: "three"}},
	})
	if err != nil || len(ok) != 2 || len(failed) != 1 || failed[0].ID != "b" || failed[0].Kind != InvalidMessageContents {
		t.Fatalf("%+v %+v %v", ok, failed, err)
	}
	_, _, err = s.SendMessageBatch(ctx, owner, u, nil)
	wantKind(t, err, EmptyBatchRequest)
	_, _, err = s.SendMessageBatch(ctx, owner, u, []BatchSendEntry{{ID: "a"}, {ID: "a"}})
	wantKind(t, err, BatchEntryIdsNotDistinct)
	_, _, err = s.SendMessageBatch(ctx, owner, u, []BatchSendEntry{{ID: "no spaces"}})
	wantKind(t, err, InvalidBatchEntryID)
	eleven := make([]BatchSendEntry, 11)
	for i := range eleven {
		eleven[i] = BatchSendEntry{ID: string(rune('a' + i)), SendInput: SendInput{MessageBody: "x"}}
	}
	_, _, err = s.SendMessageBatch(ctx, owner, u, eleven)
	wantKind(t, err, TooManyEntriesInBatchRequest)

	msgs := receive(t, s, u, ReceiveInput{MaxNumberOfMessages: ptr(10)})
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	deleted, failedDel, err := s.DeleteMessageBatch(ctx, owner, u, []BatchDeleteEntry{
		{ID: "x", ReceiptHandle: msgs[0].ReceiptHandle}, {ID: "y", ReceiptHandle: "nonsense"}, {ID: "z", ReceiptHandle: msgs[1].ReceiptHandle}})
	if err != nil || len(deleted) != 2 || len(failedDel) != 1 || failedDel[0].Kind != ReceiptHandleIsInvalid {
		t.Fatalf("%v %+v %v", deleted, failedDel, err)
	}
	if v, f, _ := counts(t, s, u); v != "0" || f != "0" {
		t.Fatal("batch delete left messages")
	}
}

func TestQueueEnqueueTxAndLongPoll(t *testing.T) {
	s, _, st := newService(t)
	ctx := context.Background()
	u := create(t, s, "events", nil)
	arn := "arn:aws:sqs:us-east-1:" + acct + ":events"

	// A missing queue is a permanent error and changes nothing.
	err := st.Update(ctx, func(tx store.Tx) error {
		_, err := s.EnqueueTx(ctx, tx, "arn:aws:sqs:us-east-1:"+acct+":missing", "{}", nil, time.Now())
		return err
	})
	var pe interface{ Permanent() bool }
	if !errors.As(err, &pe) || !pe.Permanent() {
		t.Fatalf("missing queue: %v", err)
	}

	type result struct {
		msgs []Message
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		msgs, err := s.ReceiveMessage(ctx, owner, u, ReceiveInput{WaitTimeSeconds: ptr(5), MessageAttributeNames: []string{"All"}})
		done <- result{msgs, time.Since(start), err}
	}()
	time.Sleep(100 * time.Millisecond) // let the receiver start waiting
	var id string
	err = st.Update(ctx, func(tx store.Tx) error {
		var err error
		id, err = s.EnqueueTx(ctx, tx, arn, `{"detail":1}`, map[string]string{"k": "v"}, s.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Notify(arn)
	r := <-done
	if r.err != nil || len(r.msgs) != 1 || r.msgs[0].MessageID != id || r.msgs[0].MessageAttributes["k"].DataType != "String" {
		t.Fatalf("%+v", r)
	}
	if r.took > 2*time.Second {
		t.Fatalf("long poll took %s after the enqueue", r.took)
	}

	// Close ends a long poll at once.
	go func() {
		start := time.Now()
		msgs, err := s.ReceiveMessage(ctx, owner, u, ReceiveInput{WaitTimeSeconds: ptr(20)})
		done <- result{msgs, time.Since(start), err}
	}()
	time.Sleep(100 * time.Millisecond)
	s.Close()
	r = <-done
	if r.err != nil || len(r.msgs) != 0 || r.took > 2*time.Second {
		t.Fatalf("%+v", r)
	}
}

// A receive that finds nothing visible still deletes the queue's expired
// messages, rather than keeping them until a visible message turns up.
func TestQueueReceiveDeletesExpiredMessages(t *testing.T) {
	s, clk, st := newService(t)
	ctx := context.Background()
	u := create(t, s, "q", map[string]string{"MessageRetentionPeriod": "120"})
	for _, b := range []string{"a", "b", "c"} {
		send(t, s, u, b)
	}
	q, err := st.GetQueue(ctx, acct, "us-east-1", "q")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Minute)
	if len(receive(t, s, u, ReceiveInput{})) != 0 {
		t.Fatal("expired message received")
	}
	if oldest, err := st.OldestQueueMessageSentAt(ctx, q.ID); err != nil || !oldest.IsZero() {
		t.Fatalf("expired messages kept after a receive: oldest sent at %v (%v)", oldest, err)
	}
	// With nothing expired and nothing visible, the receive stays on the read
	// pool and still answers empty.
	send(t, s, u, "d")
	if len(receive(t, s, u, ReceiveInput{VisibilityTimeout: ptr(30)})) != 1 || len(receive(t, s, u, ReceiveInput{})) != 0 {
		t.Fatal("a message in flight was received twice")
	}
}
