package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/openpca/openpca/internal/server"
)

var natsListening = regexp.MustCompile(`Listening for client connections on (\S+:\d+)`)

// startNATS runs the nats-server binary with JetStream on a random loopback port.
func startNATS(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("nats-server", "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server (installed by .ci/run): %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := natsListening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "nats://" + a
	case <-time.After(15 * time.Second):
		t.Fatal("nats-server did not start")
	}
	return ""
}

// CA events reach a NATS subject captured by a JetStream stream (durable,
// deduplicated by event ID) and a plain subscriber of a core subject.
func TestNATSSubjectTargets(t *testing.T) {
	url := startNATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PCA", Subjects: []string{"pca.events.>"}})
	if err != nil {
		t.Fatal(err)
	}
	core, err := nc.SubscribeSync("pca.live")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()

	dir := t.TempDir()
	addr := startInProcess(t, dir, server.WithNATS(url))
	eb := eventsClient(addr, adminKeyID, adminSecret)
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nats"), EventPattern: aws.String(`{"source":["aws.acm-pca"]}`)}))
	arn := func(subject string) *string {
		return aws.String("arn:openpca:nats:" + region + ":" + defaultAcct + ":" + subject)
	}
	out := must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nats"), Targets: []ebtypes.Target{
		{Id: aws.String("stream"), Arn: arn("pca.events.all")}, {Id: aws.String("core"), Arn: arn("pca.live")}}}))
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutTargets: %+v", out.FailedEntries)
	}
	rootArn, _ := activateRoot(t, adminClient(addr), ecRoot)

	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for m := range batch.Messages() {
		got = append(got, m)
		m.Ack()
	}
	if len(got) != 2 {
		t.Fatalf("%d events in the JetStream stream, want 2", len(got))
	}
	checkSeedShape(t, got[0].Data(), "ACM Private CA Creation", defaultAcct, []string{rootArn}, `{"result":"success"}`)
	_, res, _ := eventOf(t, string(got[1].Data()))
	checkSeedShape(t, got[1].Data(), "ACM Private CA Certificate Issuance", defaultAcct, res, `{"result":"success"}`)
	if got[0].Headers().Get(jetstream.MsgIDHeader) == "" {
		t.Fatal("no Nats-Msg-Id header for deduplication")
	}
	for i := 0; i < 2; i++ {
		m, err := core.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("core subscriber: %v", err)
		}
		eventOf(t, string(m.Data))
	}
}

// Without --nats-url, NATS targets are refused at PutTargets.
func TestNATSTargetsNeedAServer(t *testing.T) {
	addr := startInProcess(t, t.TempDir())
	eb := eventsClient(addr, adminKeyID, adminSecret)
	ctx := context.Background()
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("n"), EventPattern: aws.String(`{"source":["x"]}`)}))
	out := must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("n"), Targets: []ebtypes.Target{
		{Id: aws.String("n"), Arn: aws.String("arn:openpca:nats:" + region + ":" + defaultAcct + ":subject")}}}))
	if out.FailedEntryCount != 1 {
		t.Fatal("a NATS target was accepted without a NATS server")
	}
}
