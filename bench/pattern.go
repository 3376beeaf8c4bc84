package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/events/pattern"
)

// seedEvent is an Issuance event as the server writes it to the outbox.
const seedEvent = `{"version":"0","id":"3f1c2a9e-7b1d-4c55-9a0e-2d6f8b7c1e40","detail-type":"ACM Private CA Certificate Issuance",` +
	`"source":"aws.acm-pca","account":"000000000000","time":"2026-03-14T09:26:53Z","region":"us-east-1",` +
	`"resources":["arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/5d0b2c4e-8a61-4f0e-b3b7-1c9a2e6f4d21",` +
	`"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/5d0b2c4e-8a61-4f0e-b3b7-1c9a2e6f4d21/certificate/9c2f6e1b0a7d4e3c8b5a69f0d1e2c3b4"],` +
	`"detail":{"result":"success"}}`

// benchRules are 100 rules of the kinds a bus shared by a CA and its
// neighbours carries: most are about other sources, other detail types or
// other outcomes, so, as on a real bus, only a few match the event. Each of
// the 20 shapes appears five times with different operands.
func benchRules() []string {
	sources := []string{"aws.acm-pca", "aws.ec2", "aws.s3", "aws.acm", "app.orders"}
	types := []string{"ACM Private CA Certificate Issuance", "ACM Private CA Certificate Revocation",
		"ACM Private CA CRL Generation", "ACM Private CA Creation", "EC2 Instance State-change Notification"}
	caPrefix := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/"
	shapes := []func(i int) string{
		func(i int) string { return fmt.Sprintf(`{"source":[%q]}`, sources[i]) },
		func(i int) string { return fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, sources[i], types[i]) },
		func(i int) string {
			return fmt.Sprintf(`{"detail-type":[%q],"detail":{"result":["success"]}}`, types[i])
		},
		func(i int) string { return fmt.Sprintf(`{"resources":[{"prefix":"%s%x"}]}`, caPrefix, 1+i*3) },
		func(i int) string {
			return fmt.Sprintf(`{"source":["aws.acm-pca"],"detail":{"result":[{"anything-but":["failure","pending-%d"]}]}}`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"region":[{"anything-but":{"prefix":"%s"}}],"source":[%q]}`, []string{"eu-", "ap-", "us-", "sa-", "ca-"}[i], sources[i])
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail":{"validity-days":[{"numeric":[">",%d,"<=",825]}]}}`, i*30)
		},
		func(i int) string {
			return fmt.Sprintf(`{"source":[%q],"detail":{"instance-count":[{"numeric":["=",%d]}]}}`, sources[(i+1)%5], i+1)
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail":{"reason":[{"exists":%t}]},"source":[%q]}`, i%2 == 0, sources[i])
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail-type":[{"wildcard":"ACM Private CA * %s"}]}`, []string{"Issuance", "Revocation", "Generation", "Creation", "Expiry"}[i])
		},
		func(i int) string {
			return fmt.Sprintf(`{"resources":[{"wildcard":"*/certificate/%x*"}],"source":["aws.acm-pca"]}`, 10+i)
		},
		func(i int) string { return fmt.Sprintf(`{"detail-type":[{"equals-ignore-case":%q}]}`, types[(i+2)%5]) },
		func(i int) string {
			return fmt.Sprintf(`{"source":[{"prefix":{"equals-ignore-case":"%s"}}],"detail":{"result":["failure"]}}`, []string{"AWS.", "APP.", "Aws.Acm", "custom.", "aws.ec"}[i])
		},
		func(i int) string {
			return fmt.Sprintf(`{"source":[%q],"$or":[{"detail":{"result":["failure"]}},{"detail-type":[{"suffix":"Revocation"}]},{"resources":[{"suffix":"%x"}]}]}`, sources[i], i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"$or":[{"source":[%q]},{"account":["%012d"]}],"detail":{"result":[{"exists":true}]}}`, sources[(i+3)%5], 111111111111*(i+1))
		},
		func(i int) string {
			return fmt.Sprintf(`{"time":[{"prefix":"2026-%02d-"}],"source":[%q]}`, i+1, sources[i])
		},
		func(i int) string {
			return fmt.Sprintf(`{"account":["000000000000","%012d"],"region":["us-east-1","eu-west-%d"],"detail-type":[%q]}`, i+7, i+1, types[(i+4)%5])
		},
		func(i int) string {
			return fmt.Sprintf(`{"source":[{"anything-but":["aws.s3","aws.ec2"]}],"detail-type":[{"anything-but":{"suffix":"%s"}}],"detail":{"result":["success"]}}`, []string{"Creation", "Issuance", "Generation", "Revocation", "Notification"}[i])
		},
		func(i int) string { return fmt.Sprintf(`{"detail":{"client-ip":[{"cidr":"10.%d.0.0/16"}]}}`, i) },
		func(i int) string {
			return fmt.Sprintf(`{"version":["0"],"source":[{"suffix":"%s"}],"detail":{"result":[{"equals-ignore-case":"SUCCESS"}],"reason":[{"exists":false}]}}`, []string{".acm-pca", ".ec2", ".s3", ".acm", ".orders"}[i])
		},
	}
	var rules []string
	for i := range 5 {
		for _, shape := range shapes {
			rules = append(rules, shape(i))
		}
	}
	return rules
}

type matchResult struct {
	matchesPerSec, unmarshalsPerSec float64
	rules, matching                 int
}

// patternMatching times one goroutine evaluating every rule against one
// event parsed once — the dispatcher's inner loop — against decoding that
// event with encoding/json into map[string]any, the least any matcher
// working from the JSON text must spend per event.
func patternMatching(dur time.Duration) (matchResult, error) {
	var res matchResult
	var ps []*pattern.Pattern
	for _, r := range benchRules() {
		p, err := pattern.Compile([]byte(r))
		if err != nil {
			return res, fmt.Errorf("rule %s: %w", r, err)
		}
		ps = append(ps, p)
	}
	ev, err := pattern.ParseEvent([]byte(seedEvent))
	if err != nil {
		return res, err
	}
	res.rules = len(ps)
	for _, p := range ps {
		if p.Match(ev) {
			res.matching++
		}
	}

	sink := 0
	evals, elapsed := timeLoop(dur, func() {
		for _, p := range ps {
			if p.Match(ev) {
				sink++
			}
		}
	})
	res.matchesPerSec = float64(evals*len(ps)) / elapsed.Seconds()

	raw := []byte(seedEvent)
	n, elapsed := timeLoop(dur, func() {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			sink += len(m)
		}
	})
	res.unmarshalsPerSec = float64(n) / elapsed.Seconds()
	if sink < 0 {
		panic("unreachable: keeps the loops' results alive")
	}
	return res, nil
}

// timeLoop calls f repeatedly for about d, reading the clock only every
// few calls so that time.Now stays out of the measurement, after a short
// warm-up.
func timeLoop(d time.Duration, f func()) (int, time.Duration) {
	warm := time.Now().Add(d / 10)
	for time.Now().Before(warm) {
		f()
	}
	n := 0
	start := time.Now()
	end := start.Add(d)
	for {
		for range 64 {
			f()
		}
		n += 64
		if now := time.Now(); !now.Before(end) {
			return n, now.Sub(start)
		}
	}
}
