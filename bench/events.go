package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const issuancePattern = `{"detail-type":["ACM Private CA Certificate Issuance"]}`

type eventConfig struct {
	rate      int           // offered IssueCertificate calls per second
	workers   int           // goroutines issuing, so one slow call does not hold the schedule back
	consumers int           // goroutines long-polling the queue
	warm, dur time.Duration // only issuances started after warm count
	wait      time.Duration // how long to wait for stragglers after the last issuance
	floorN    int           // loopback POSTs for the baseline
}

type eventResult struct {
	offered, achieved float64
	measured          int
	errors            int
	webhook, queue    []time.Duration // arrival − IssueCertificate return, per measured certificate
	missingHook       int
	missingQueue      int
	early             [2]int // arrivals before the client saw the return (negative latency)
	floor             []time.Duration
	bodySize          int
}

// arrivals records the first arrival of each certificate's Issuance event,
// keyed by certificate ARN (the event's resources[1]).
type arrivals struct {
	mu       sync.Mutex
	at       map[string]time.Time
	bodySize int
}

func (a *arrivals) record(now time.Time, body []byte) {
	var ev struct{ Resources []string }
	if json.Unmarshal(body, &ev) != nil || len(ev.Resources) != 2 {
		return
	}
	a.mu.Lock()
	if _, dup := a.at[ev.Resources[1]]; !dup {
		a.at[ev.Resources[1]] = now
	}
	a.bodySize = len(body)
	a.mu.Unlock()
}

func (a *arrivals) get(arn string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.at[arn]
	return t, ok
}

// eventLatency routes Issuance events of the default bus to two targets —
// an API destination posting to a loopback webhook, and an SQS queue read
// by long-polling consumers — then issues certificates at a fixed offered
// rate and measures, per certificate, the time from the moment the client
// got IssueCertificate's answer to the event's arrival at each target.
func eventLatency(ctx context.Context, addr, caArn string, csr []byte, cfg eventConfig) (eventResult, error) {
	var res eventResult
	pca, eb, q := pcaClient(addr), eventsClient(addr), queuesClient(addr)

	hooked := &arrivals{at: map[string]time.Time{}}
	queued := &arrivals{at: map[string]time.Time{}}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/events" {
			hooked.record(now, body)
		}
	}))
	defer hook.Close()

	conn, err := eb.CreateConnection(ctx, &eventbridge.CreateConnectionInput{Name: aws.String("bench-hook"),
		AuthorizationType: ebtypes.ConnectionAuthorizationTypeApiKey,
		AuthParameters: &ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("bench")}}})
	if err != nil {
		return res, fmt.Errorf("CreateConnection: %w", err)
	}
	// The rate limit is set above the offered rate so that, should the
	// server enforce it, the row still measures delivery and not throttling.
	dest, err := eb.CreateApiDestination(ctx, &eventbridge.CreateApiDestinationInput{Name: aws.String("bench-hook"),
		ConnectionArn: conn.ConnectionArn, InvocationEndpoint: aws.String(hook.URL + "/events"),
		HttpMethod: ebtypes.ApiDestinationHttpMethodPost, InvocationRateLimitPerSecond: aws.Int32(int32(max(300, 4*cfg.rate)))})
	if err != nil {
		return res, fmt.Errorf("CreateApiDestination: %w", err)
	}
	qout, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-events")})
	if err != nil {
		return res, fmt.Errorf("CreateQueue: %w", err)
	}
	url := *qout.QueueUrl
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return res, fmt.Errorf("GetQueueAttributes: %w", err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bench-issuance"), EventPattern: aws.String(issuancePattern)}); err != nil {
		return res, fmt.Errorf("PutRule: %w", err)
	}
	tout, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("bench-issuance"), Targets: []ebtypes.Target{
		{Id: aws.String("hook"), Arn: dest.ApiDestinationArn},
		{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])},
	}})
	if err != nil {
		return res, fmt.Errorf("PutTargets: %w", err)
	}
	if tout.FailedEntryCount != 0 {
		return res, fmt.Errorf("PutTargets: %d failed", tout.FailedEntryCount)
	}

	consumerCtx, stopConsumers := context.WithCancel(ctx)
	var consumersDone sync.WaitGroup
	for range cfg.consumers {
		consumersDone.Add(1)
		go func() {
			defer consumersDone.Done()
			consume(consumerCtx, q, url, queued)
		}()
	}
	defer func() {
		stopConsumers()
		consumersDone.Wait()
	}()

	// Open loop: a pacer hands out one token per interval and the workers
	// issue as tokens come, so the offered rate does not sag when a call
	// is slow. If every worker is busy the pacer blocks and the achieved
	// rate falls short of the offered one, which the row then reports.
	type issued struct {
		arn      string
		returned time.Time
	}
	var mu sync.Mutex
	var measured []issued
	var errCount int
	tokens := make(chan bool, cfg.workers)
	var wg sync.WaitGroup
	validity := &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for counted := range tokens {
				out, err := pca.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: aws.String(caArn), Csr: csr,
					SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: validity})
				returned := time.Now()
				if !counted {
					continue
				}
				mu.Lock()
				if err != nil {
					errCount++
				} else {
					measured = append(measured, issued{*out.CertificateArn, returned})
				}
				mu.Unlock()
			}
		}()
	}
	interval := time.Second / time.Duration(cfg.rate)
	start := time.Now()
	measureFrom := start.Add(cfg.warm)
	end := measureFrom.Add(cfg.dur)
	var sent int
	lastSend := measureFrom
	for i := 0; ctx.Err() == nil; i++ {
		next := start.Add(time.Duration(i) * interval)
		if !next.Before(end) {
			break
		}
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		counted := !next.Before(measureFrom)
		tokens <- counted
		if counted {
			sent++
			lastSend = time.Now()
		}
	}
	close(tokens)
	wg.Wait()
	// A pacer held up by busy workers hands its tokens out late, which
	// stretches this window and lowers the achieved rate accordingly.
	window := lastSend.Sub(measureFrom) + interval
	res.offered = float64(cfg.rate)
	res.achieved = float64(sent) / window.Seconds()
	res.errors = errCount
	res.measured = len(measured)
	if len(measured) == 0 {
		return res, fmt.Errorf("no certificate issued during the event run")
	}

	deadline := time.Now().Add(cfg.wait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		missing := 0
		for _, m := range measured {
			_, h := hooked.get(m.arn)
			_, q := queued.get(m.arn)
			if !h || !q {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range measured {
		if at, ok := hooked.get(m.arn); ok {
			res.webhook = append(res.webhook, at.Sub(m.returned))
			if at.Before(m.returned) {
				res.early[0]++
			}
		} else {
			res.missingHook++
		}
		if at, ok := queued.get(m.arn); ok {
			res.queue = append(res.queue, at.Sub(m.returned))
			if at.Before(m.returned) {
				res.early[1]++
			}
		} else {
			res.missingQueue++
		}
	}
	hooked.mu.Lock()
	res.bodySize = hooked.bodySize
	hooked.mu.Unlock()

	// The floor: the same webhook, the same transport (Go's http.Client
	// with keep-alive, as the server's sender), a body the size of the
	// events that arrived — with the load over, so it is the best case.
	body := strings.Repeat("x", max(res.bodySize, 256))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	for i := 0; i < cfg.floorN+10; i++ {
		t0 := time.Now()
		resp, err := client.Post(hook.URL+"/floor", "application/json", strings.NewReader(body))
		if err != nil {
			return res, fmt.Errorf("loopback POST: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i >= 10 { // the first few open the connection and warm the handler
			res.floor = append(res.floor, time.Since(t0))
		}
	}
	return res, nil
}

// consume is the queue reader an application would run: long poll for up
// to 10 messages, note their arrival, delete them in one batch.
func consume(ctx context.Context, q *sqs.Client, url string, got *arrivals) {
	for ctx.Err() == nil {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		now := time.Now()
		if err != nil {
			sleep(ctx, 10*time.Millisecond)
			continue
		}
		var entries []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			got.record(now, []byte(aws.ToString(m.Body)))
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if len(entries) > 0 {
			q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
		}
	}
}
