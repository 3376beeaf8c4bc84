package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	pcatypes "github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/server"
)

func eventsClient(addr, keyID, secret string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), RetryMaxAttempts: 1})
}

func queuesClient(addr, keyID, secret string) *sqs.Client {
	return sqs.New(sqs.Options{Region: region, BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), RetryMaxAttempts: 1})
}

// eventQueue creates a queue and a rule on the default bus that sends every
// event matching pattern to it; it returns the queue URL.
func eventQueue(t testing.TB, eb *eventbridge.Client, q *sqs.Client, name, pattern string) (string, string) {
	t.Helper()
	ctx := context.Background()
	url := *must[*sqs.CreateQueueOutput](t)(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})).QueueUrl
	attrs := must[*sqs.GetQueueAttributesOutput](t)(q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}}))
	arn := attrs.Attributes["QueueArn"]
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name + "-rule"), EventPattern: aws.String(pattern)}))
	out := must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name + "-rule"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn)}}}))
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutTargets failed: %+v", out.FailedEntries)
	}
	return url, arn
}

type received struct {
	Body  string
	Attrs map[string]string
}

// drain long-polls the queue until want messages arrived (or the deadline),
// deleting what it reads.
func drain(t testing.TB, q *sqs.Client, url string, want int, deadline time.Duration) []received {
	t.Helper()
	ctx := context.Background()
	var got []received
	end := time.Now().Add(deadline)
	for len(got) < want && time.Now().Before(end) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			r := received{Body: *m.Body, Attrs: map[string]string{}}
			for k, v := range m.MessageAttributes {
				r.Attrs[k] = aws.ToString(v.StringValue)
			}
			got = append(got, r)
			must[*sqs.DeleteMessageOutput](t)(q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}))
		}
	}
	return got
}

func eventOf(t testing.TB, body string) (detailType string, resources []string, detail string) {
	t.Helper()
	var ev struct {
		DetailType string `json:"detail-type"`
		Resources  []string
		Detail     json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatalf("message body is not an event: %q", body)
	}
	return ev.DetailType, ev.Resources, string(ev.Detail)
}

// Every seed event of the CA owner arrives in the owner's queue with exactly
// the seed's fields — including an issuance made by another account through
// a shared CA — and nothing arrives for a failed or repeated revocation.
func TestSeedEventsArriveInQueue(t *testing.T) {
	dir := t.TempDir()
	software, err := keys.NewSoftware(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	backend := &failingKeys{Backend: software}
	addr := startInProcess(t, dir, server.WithKeyBackend(backend))
	ctx := context.Background()
	c := adminClient(addr)
	q := queuesClient(addr, adminKeyID, adminSecret)
	url, _ := eventQueue(t, eventsClient(addr, adminKeyID, adminSecret), q, "pca-events", `{"source":["aws.acm-pca"]}`)

	start := time.Now()
	rootArn, _ := activateRoot(t, c, ecRoot)
	created := drain(t, q, url, 2, 10*time.Second)
	firstLatency := time.Since(start)
	if len(created) != 2 {
		t.Fatalf("%d events after creating a root, want 2", len(created))
	}
	_, rootRes, _ := eventOf(t, created[1].Body)
	checkSeedShape(t, []byte(created[0].Body), "ACM Private CA Creation", defaultAcct, []string{rootArn}, `{"result":"success"}`)
	checkSeedShape(t, []byte(created[1].Body), "ACM Private CA Certificate Issuance", defaultAcct, rootRes, `{"result":"success"}`)

	leafArn, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "q.internal"), pcatypes.SigningAlgorithmSha256withecdsa, leafTemplate, days(1))
	rev := &acmpca.RevokeCertificateInput{CertificateAuthorityArn: aws.String(rootArn),
		CertificateSerial: aws.String(parseCert(t, leafPEM).SerialNumber.Text(16)), RevocationReason: pcatypes.RevocationReasonSuperseded}
	must[*acmpca.RevokeCertificateOutput](t)(c.RevokeCertificate(ctx, rev))
	_, err = c.RevokeCertificate(ctx, rev)
	wantAPIError(t, err, "RequestAlreadyProcessedException")

	backend.failSign.Store(true)
	failed := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn), Csr: leafCSR(t, "fail.internal"),
		SigningAlgorithm: pcatypes.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))}))
	backend.failSign.Store(false)
	backend.failCreate.Store(true)
	failedCA := createCA(t, c, ecRoot)
	backend.failCreate.Store(false)

	// Another account issues through the shared CA: the event is the owner's.
	other, otherAcct := newAccount(t, dir, addr)
	must[*acmpca.PutPolicyOutput](t)(c.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: aws.String(rootArn),
		Policy: aws.String(sharePolicy(rootArn, otherAcct, []string{"acm-pca:IssueCertificate", "acm-pca:GetCertificate"}, ""))}))
	sharedArn, _, _ := issue(t, other, rootArn, leafCSR(t, "shared.internal"), pcatypes.SigningAlgorithmSha256withecdsa, leafTemplate, days(1))

	got := drain(t, q, url, 5, 10*time.Second)
	if len(got) != 5 {
		t.Fatalf("%d events, want 5", len(got))
	}
	success, failure := `{"result":"success"}`, `{"result":"failure"}`
	checkSeedShape(t, []byte(got[0].Body), "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, leafArn}, success)
	checkSeedShape(t, []byte(got[1].Body), "ACM Private CA Certificate Revocation", defaultAcct, []string{rootArn, leafArn}, success)
	checkSeedShape(t, []byte(got[2].Body), "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, *failed.CertificateArn}, failure)
	checkSeedShape(t, []byte(got[3].Body), "ACM Private CA Creation", defaultAcct, []string{failedCA}, failure)
	checkSeedShape(t, []byte(got[4].Body), "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, sharedArn}, success)
	if extra := drain(t, q, url, 1, 1500*time.Millisecond); len(extra) != 0 {
		t.Fatalf("unexpected extra event %s", extra[0].Body)
	}
	t.Logf("first events in the queue %v after the create call began", firstLatency)
}

// webhook records what API destinations post to it; fail decides the status
// of the n-th request (0-based) to a path.
type webhook struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string][]*http.Request
	bodies   map[string][]string
	fail     func(path string, n int) int
}

func newWebhook(t testing.TB, fail func(path string, n int) int) *webhook {
	w := &webhook{requests: map[string][]*http.Request{}, bodies: map[string][]string{}, fail: fail}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			user, pass, _ := r.BasicAuth()
			if user != "client-1" || pass != "client-secret-1" || r.FormValue("grant_type") != "client_credentials" {
				rw.WriteHeader(http.StatusUnauthorized)
				return
			}
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprint(rw, `{"access_token":"token-abc","token_type":"bearer","expires_in":3600}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		n := len(w.requests[r.URL.Path])
		w.requests[r.URL.Path] = append(w.requests[r.URL.Path], r)
		w.bodies[r.URL.Path] = append(w.bodies[r.URL.Path], string(body))
		w.mu.Unlock()
		status := http.StatusOK
		if w.fail != nil {
			status = w.fail(r.URL.Path, n)
		}
		rw.WriteHeader(status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) count(path string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.requests[path])
}

func (w *webhook) waitFor(t *testing.T, path string, n int, deadline time.Duration) ([]*http.Request, []string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for w.count(path) < n && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.requests[path]) < n {
		t.Fatalf("%s got %d requests, want %d", path, len(w.requests[path]), n)
	}
	return w.requests[path], w.bodies[path]
}

// apiDestination creates a connection and an API destination for path.
func apiDestination(t testing.TB, eb *eventbridge.Client, hook *webhook, name, path string, auth ebtypes.ConnectionAuthorizationType, params *ebtypes.CreateConnectionAuthRequestParameters) string {
	t.Helper()
	ctx := context.Background()
	conn := must[*eventbridge.CreateConnectionOutput](t)(eb.CreateConnection(ctx, &eventbridge.CreateConnectionInput{
		Name: aws.String(name), AuthorizationType: auth, AuthParameters: params}))
	if conn.ConnectionState != ebtypes.ConnectionStateAuthorized {
		t.Fatalf("connection state %s", conn.ConnectionState)
	}
	dest := must[*eventbridge.CreateApiDestinationOutput](t)(eb.CreateApiDestination(ctx, &eventbridge.CreateApiDestinationInput{
		Name: aws.String(name), ConnectionArn: conn.ConnectionArn, InvocationEndpoint: aws.String(hook.URL + path),
		HttpMethod: ebtypes.ApiDestinationHttpMethodPost}))
	return *dest.ApiDestinationArn
}

func putEvent(t testing.TB, eb *eventbridge.Client, detail string) string {
	t.Helper()
	out := must[*eventbridge.PutEventsOutput](t)(eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{
		Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("app.orders"), DetailType: aws.String("Order Placed"),
			Detail: aws.String(detail)}}}))
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents failed: %+v", out.Entries)
	}
	return *out.Entries[0].EventId
}

// API destinations receive events with their connection's authorization,
// for each authorization type, and the secrets are never described back.
func TestWebhookTargetsWithConnectionAuth(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	hook := newWebhook(t, nil)

	apiKey := apiDestination(t, eb, hook, "apikey", "/apikey", ebtypes.ConnectionAuthorizationTypeApiKey,
		&ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("key-123")},
			InvocationHttpParameters: &ebtypes.ConnectionHttpParameters{HeaderParameters: []ebtypes.ConnectionHeaderParameter{
				{Key: aws.String("X-Tenant"), Value: aws.String("blue")}}}})
	basic := apiDestination(t, eb, hook, "basic", "/basic", ebtypes.ConnectionAuthorizationTypeBasic,
		&ebtypes.CreateConnectionAuthRequestParameters{BasicAuthParameters: &ebtypes.CreateConnectionBasicAuthRequestParameters{
			Username: aws.String("alice"), Password: aws.String("s3cret")}})
	oauth := apiDestination(t, eb, hook, "oauth", "/oauth", ebtypes.ConnectionAuthorizationTypeOauthClientCredentials,
		&ebtypes.CreateConnectionAuthRequestParameters{OAuthParameters: &ebtypes.CreateConnectionOAuthRequestParameters{
			AuthorizationEndpoint: aws.String(hook.URL + "/oauth/token"), HttpMethod: ebtypes.ConnectionOAuthHttpMethodPost,
			ClientParameters: &ebtypes.CreateConnectionOAuthClientRequestParameters{ClientID: aws.String("client-1"), ClientSecret: aws.String("client-secret-1")},
			OAuthHttpParameters: &ebtypes.ConnectionHttpParameters{BodyParameters: []ebtypes.ConnectionBodyParameter{
				{Key: aws.String("grant_type"), Value: aws.String("client_credentials")}}}}})

	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders"),
		EventPattern: aws.String(`{"source":["app.orders"],"detail":{"total":[{"numeric":[">",100]}]}}`)}))
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders"), Targets: []ebtypes.Target{
		{Id: aws.String("k"), Arn: aws.String(apiKey)},
		{Id: aws.String("b"), Arn: aws.String(basic), InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"id": "$.detail.id"}, InputTemplate: aws.String(`{"order":<id>}`)}},
		{Id: aws.String("o"), Arn: aws.String(oauth), InputPath: aws.String("$.detail")},
	}}))
	putEvent(t, eb, `{"id":"small","total":5}`) // does not match
	id := putEvent(t, eb, `{"id":"big","total":250}`)

	reqs, bodies := hook.waitFor(t, "/apikey", 1, 5*time.Second)
	if reqs[0].Header.Get("X-Api-Key") != "key-123" || reqs[0].Header.Get("X-Tenant") != "blue" {
		t.Fatalf("API key request headers %v", reqs[0].Header)
	}
	var ev struct {
		ID     string
		Detail struct{ ID string }
	}
	if err := json.Unmarshal([]byte(bodies[0]), &ev); err != nil || ev.ID != id || ev.Detail.ID != "big" {
		t.Fatalf("API key body %s", bodies[0])
	}
	reqs, bodies = hook.waitFor(t, "/basic", 1, 5*time.Second)
	if user, pass, ok := reqs[0].BasicAuth(); !ok || user != "alice" || pass != "s3cret" {
		t.Fatalf("basic auth header %q", reqs[0].Header.Get("Authorization"))
	}
	if strings.TrimSpace(bodies[0]) != `{"order":"big"}` {
		t.Fatalf("transformed body %s", bodies[0])
	}
	reqs, bodies = hook.waitFor(t, "/oauth", 1, 5*time.Second)
	if reqs[0].Header.Get("Authorization") != "Bearer token-abc" {
		t.Fatalf("oauth header %q", reqs[0].Header.Get("Authorization"))
	}
	if strings.TrimSpace(bodies[0]) != `{"id":"big","total":250}` {
		t.Fatalf("InputPath body %s", bodies[0])
	}
	time.Sleep(300 * time.Millisecond)
	if n := hook.count("/apikey"); n != 1 {
		t.Fatalf("the non-matching event was delivered too (%d requests)", n)
	}

	// No secret is ever described back.
	for _, name := range []string{"apikey", "basic", "oauth"} {
		out := must[*eventbridge.DescribeConnectionOutput](t)(eb.DescribeConnection(ctx, &eventbridge.DescribeConnectionInput{Name: aws.String(name)}))
		raw, _ := json.Marshal(out.AuthParameters)
		for _, secret := range []string{"key-123", "s3cret", "client-secret-1"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("DescribeConnection %s returned the secret: %s", name, raw)
			}
		}
	}
	_, err := eb.DescribeConnection(ctx, &eventbridge.DescribeConnectionInput{Name: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = eb.CreateConnection(ctx, &eventbridge.CreateConnectionInput{Name: aws.String("apikey"),
		AuthorizationType: ebtypes.ConnectionAuthorizationTypeBasic, AuthParameters: &ebtypes.CreateConnectionAuthRequestParameters{
			BasicAuthParameters: &ebtypes.CreateConnectionBasicAuthRequestParameters{Username: aws.String("a"), Password: aws.String("b")}}})
	wantAPIError(t, err, "ResourceAlreadyExistsException")
	dests := must[*eventbridge.ListApiDestinationsOutput](t)(eb.ListApiDestinations(ctx, &eventbridge.ListApiDestinationsInput{}))
	if len(dests.ApiDestinations) != 3 {
		t.Fatalf("%d API destinations", len(dests.ApiDestinations))
	}
}

// A webhook that fails with 503 twice and then recovers gets the event on
// the third attempt; the metrics count the retries.
func TestWebhookRetriesUntilItRecovers(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	hook := newWebhook(t, func(path string, n int) int {
		if n < 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	dest := apiDestination(t, eb, hook, "flaky", "/flaky", ebtypes.ConnectionAuthorizationTypeApiKey,
		&ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("k")}})
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventPattern: aws.String(`{"source":["app.orders"]}`)}))
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"),
		Targets: []ebtypes.Target{{Id: aws.String("w"), Arn: aws.String(dest)}}}))
	id := putEvent(t, eb, `{"n":1}`)
	_, bodies := hook.waitFor(t, "/flaky", 3, 15*time.Second)
	for _, b := range bodies {
		if !strings.Contains(b, id) {
			t.Fatalf("retried body lost the event id: %s", b)
		}
	}
	metrics := scrape(t, addr)
	if !strings.Contains(metrics, `openpca_events_retried_total{target_kind="api-destination"} 2`) ||
		!strings.Contains(metrics, `openpca_events_delivered_total{target_kind="api-destination"} 1`) {
		t.Fatalf("metrics do not show 2 retries and 1 delivery:\n%s", grepLines(metrics, "openpca_events"))
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Events that cannot be delivered go to the dead-letter queue with
// EventBridge's error attributes: at once for a non-retryable failure, after
// the retry policy for a retryable one, and for a queue that was deleted.
func TestDeadLetterQueue(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	q := queuesClient(addr, adminKeyID, adminSecret)
	hook := newWebhook(t, func(path string, n int) int {
		if path == "/bad" {
			return http.StatusBadRequest
		}
		return http.StatusInternalServerError
	})
	dlqURL := *must[*sqs.CreateQueueOutput](t)(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq")})).QueueUrl
	dlqArn := "arn:aws:sqs:" + region + ":" + defaultAcct + ":dlq"
	goneURL := *must[*sqs.CreateQueueOutput](t)(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("gone")})).QueueUrl
	goneArn := "arn:aws:sqs:" + region + ":" + defaultAcct + ":gone"
	auth := &ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
		ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("k")}}
	bad := apiDestination(t, eb, hook, "bad", "/bad", ebtypes.ConnectionAuthorizationTypeApiKey, auth)
	down := apiDestination(t, eb, hook, "down", "/down", ebtypes.ConnectionAuthorizationTypeApiKey, auth)
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventPattern: aws.String(`{"source":["app.orders"]}`)}))
	dl := &ebtypes.DeadLetterConfig{Arn: aws.String(dlqArn)}
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), Targets: []ebtypes.Target{
		{Id: aws.String("bad"), Arn: aws.String(bad), DeadLetterConfig: dl},
		{Id: aws.String("down"), Arn: aws.String(down), DeadLetterConfig: dl, RetryPolicy: &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(1)}},
		{Id: aws.String("gone"), Arn: aws.String(goneArn), DeadLetterConfig: dl},
	}}))
	must[*sqs.DeleteQueueOutput](t)(q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &goneURL}))
	id := putEvent(t, eb, `{"n":1}`)

	got := drain(t, q, dlqURL, 3, 15*time.Second)
	if len(got) != 3 {
		t.Fatalf("%d dead letters, want 3", len(got))
	}
	byTarget := map[string]received{}
	for _, m := range got {
		if !strings.Contains(m.Body, id) {
			t.Fatalf("dead letter is not the event: %s", m.Body)
		}
		byTarget[m.Attrs["TARGET_ARN"]] = m
		if m.Attrs["RULE_ARN"] != "arn:aws:events:"+region+":"+defaultAcct+":rule/all" {
			t.Fatalf("RULE_ARN %q", m.Attrs["RULE_ARN"])
		}
	}
	if m := byTarget[bad]; m.Attrs["ERROR_CODE"] != "SDK_CLIENT_ERROR" || !strings.Contains(m.Attrs["ERROR_MESSAGE"], "400") ||
		m.Attrs["RETRY_ATTEMPTS"] != "0" || m.Attrs["EXHAUSTED_RETRY_CONDITION"] != "" {
		t.Fatalf("non-retryable dead letter attributes %v", m.Attrs)
	}
	if m := byTarget[down]; m.Attrs["EXHAUSTED_RETRY_CONDITION"] != "MaximumRetryAttempts" || m.Attrs["RETRY_ATTEMPTS"] != "1" ||
		!strings.Contains(m.Attrs["ERROR_MESSAGE"], "500") {
		t.Fatalf("exhausted dead letter attributes %v", m.Attrs)
	}
	if m := byTarget[goneArn]; m.Attrs["ERROR_CODE"] != "RESOURCE_NOT_FOUND" {
		t.Fatalf("deleted queue dead letter attributes %v", m.Attrs)
	}
	if n := hook.count("/down"); n != 2 {
		t.Fatalf("retryable target called %d times, want 2 (1 + 1 retry)", n)
	}
	if !strings.Contains(scrape(t, addr), `openpca_events_dead_lettered_total{target_kind="api-destination"} 2`) {
		t.Fatal("dead-letter metric missing")
	}
}

// Pattern errors and the control plane's error types.
func TestEventBusAPIErrors(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	_, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":"aws.acm-pca"}`)})
	wantAPIError(t, err, "InvalidEventPatternException")
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":[{"prefixx":"a"}]}`)})
	wantAPIError(t, err, "InvalidEventPatternException")
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"a":[1]}`), EventBusName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("missing")})
	wantAPIError(t, err, "ResourceNotFoundException")
	if rules := must[*eventbridge.ListRulesOutput](t)(eb.ListRules(ctx, &eventbridge.ListRulesInput{})); len(rules.Rules) != 0 {
		t.Fatalf("a refused PutRule left rules behind: %+v", rules.Rules)
	}

	res := must[*eventbridge.TestEventPatternOutput](t)(eb.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{
		EventPattern: aws.String(`{"source":["aws.acm-pca"],"detail":{"result":[{"anything-but":"failure"}]}}`),
		Event:        aws.String(`{"id":"1","account":"000000000000","source":"aws.acm-pca","time":"2024-01-01T00:00:00Z","region":"us-east-1","detail-type":"x","detail":{"result":"success"}}`)}))
	if !res.Result {
		t.Fatal("TestEventPattern: want a match")
	}

	must[*eventbridge.CreateEventBusOutput](t)(eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("custom")}))
	_, err = eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("custom")})
	wantAPIError(t, err, "ResourceAlreadyExistsException")
	buses := must[*eventbridge.ListEventBusesOutput](t)(eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{}))
	if len(buses.EventBuses) != 2 {
		t.Fatalf("%d buses, want default and custom", len(buses.EventBuses))
	}
	out := must[*eventbridge.PutEventsOutput](t)(eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("app"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
		{Source: aws.String("aws.acm-pca"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
		{Source: aws.String("app"), DetailType: aws.String("t"), Detail: aws.String(`not json`)},
	}}))
	if out.FailedEntryCount != 2 || out.Entries[0].EventId == nil || aws.ToString(out.Entries[1].ErrorCode) != "NotAuthorizedForSourceException" ||
		aws.ToString(out.Entries[2].ErrorCode) != "MalformedDetail" {
		t.Fatalf("PutEvents partial failure: %d %+v", out.FailedEntryCount, out.Entries)
	}
}

// Custom buses route their own events; an event-bus target forwards.
func TestCustomBusForwarding(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	ctx := context.Background()
	eb := eventsClient(addr, adminKeyID, adminSecret)
	q := queuesClient(addr, adminKeyID, adminSecret)
	busArn := *must[*eventbridge.CreateEventBusOutput](t)(eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")})).EventBusArn
	url := *must[*sqs.CreateQueueOutput](t)(q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})).QueueUrl
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("fwd"), EventPattern: aws.String(`{"source":[{"prefix":"app."}]}`)}))
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("fwd"),
		Targets: []ebtypes.Target{{Id: aws.String("bus"), Arn: aws.String(busArn)}}}))
	must[*eventbridge.PutRuleOutput](t)(eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("q"), EventBusName: aws.String("orders"),
		EventPattern: aws.String(`{"detail-type":["Order Placed"]}`)}))
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("q"), EventBusName: aws.String("orders"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:" + region + ":" + defaultAcct + ":orders"), Input: aws.String(`{"fixed":true}`)}}}))
	putEvent(t, eb, `{"n":1}`)
	got := drain(t, q, url, 1, 5*time.Second)
	if len(got) != 1 || got[0].Body != `{"fixed":true}` {
		t.Fatalf("forwarded event: %+v", got)
	}
}

// The crash test: certificates are issued in a loop while a slow webhook is
// a target, the server is killed with SIGKILL mid-way and restarted; every
// certificate ARN the client got back has its Issuance event in the queue.
func TestNoEventLostOnSIGKILL(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir)
	ctx := context.Background()
	c := adminClient(p.addr)
	eb := eventsClient(p.addr, adminKeyID, adminSecret)
	var slowCalls atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowCalls.Add(1)
		time.Sleep(300 * time.Millisecond)
	}))
	defer slow.Close()
	hook := &webhook{Server: slow}
	dest := apiDestination(t, eb, hook, "slow", "/slow", ebtypes.ConnectionAuthorizationTypeApiKey,
		&ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("k")}})
	url, _ := eventQueue(t, eb, queuesClient(p.addr, adminKeyID, adminSecret), "issued", `{"detail-type":["ACM Private CA Certificate Issuance"],"detail":{"result":["success"]}}`)
	must[*eventbridge.PutTargetsOutput](t)(eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("issued-rule"),
		Targets: []ebtypes.Target{{Id: aws.String("slow"), Arn: aws.String(dest)}}}))
	rootArn, _ := activateRoot(t, c, ecRoot)

	var issued []string
	var mu sync.Mutex
	stop := make(chan struct{})
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		csr := leafCSR(t, "crash.internal")
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(rootArn), Csr: csr,
				SigningAlgorithm: pcatypes.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))})
			if err != nil {
				return // the server died under us
			}
			mu.Lock()
			issued = append(issued, *out.CertificateArn)
			mu.Unlock()
		}
	}()
	for {
		mu.Lock()
		n := len(issued)
		mu.Unlock()
		if n >= 60 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	<-loopDone
	t.Logf("killed after %d acknowledged issuances; slow webhook had %d calls", len(issued), slowCalls.Load())

	p2 := startProcess(t, dir)
	q := queuesClient(p2.addr, adminKeyID, adminSecret)
	url = strings.Replace(url, p.addr, p2.addr, 1)
	want := map[string]bool{}
	for _, arn := range issued {
		want[arn] = true
	}
	seen := map[string]int{}
	end := time.Now().Add(30 * time.Second)
	for missing(want, seen) > 0 && time.Now().Before(end) {
		for _, m := range drain(t, q, url, 10, time.Second) {
			_, res, _ := eventOf(t, m.Body)
			if len(res) == 2 {
				seen[res[1]]++
			}
		}
	}
	if n := missing(want, seen); n > 0 {
		t.Fatalf("%d of %d acknowledged certificates have no Issuance event after SIGKILL and restart\n%s", n, len(want), p2.logs())
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("all %d issuance events arrived; %d duplicates (at-least-once)", len(want), dups)
	p2.stop(t)
}

func missing(want map[string]bool, seen map[string]int) int {
	n := 0
	for arn := range want {
		if seen[arn] == 0 {
			n++
		}
	}
	return n
}

// The stock aws CLI routes a CA's events to a queue and reads them back
// within a second.
func TestStockCLIEvents(t *testing.T) {
	p := startProcess(t, t.TempDir())
	cmd := exec.Command("bash", "../scripts/cli-events.sh")
	cmd.Env = append(os.Environ(), "ENDPOINT=http://"+p.addr, "AWS_ACCESS_KEY_ID="+adminKeyID,
		"AWS_SECRET_ACCESS_KEY="+adminSecret, "AWS_DEFAULT_REGION="+region, "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cli-events.sh: %v\n%s\nserver log:\n%s", err, out, p.logs())
	}
	// The time includes the CLI's own start (about half a second); the
	// event latency itself is measured by BenchmarkEventLatency.
	if !regexp.MustCompile(`received \d+ms after`).Match(out) {
		t.Fatalf("unexpected output:\n%s", out)
	}
	t.Log(strings.TrimSpace(string(out)))
	p.stop(t)
}
