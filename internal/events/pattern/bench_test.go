package pattern

import (
	"encoding/json"
	"fmt"
	"testing"
)

// benchRules returns 100 rules of the kinds people write against this
// server's events: most are about other sources or other outcomes, so like
// a real bus only a few match.
func benchRules() []string {
	var rules []string
	sources := []string{"aws.acm-pca", "aws.ec2", "aws.s3", "aws.acm", "custom.app"}
	types := []string{
		"ACM Private CA Certificate Issuance",
		"ACM Private CA Certificate Revocation",
		"ACM Private CA CRL Generation",
		"ACM Private CA Health",
	}
	for i := 0; len(rules) < 100; i++ {
		src := sources[i%len(sources)]
		dt := types[i%len(types)]
		var r string
		switch i % 12 {
		case 0:
			r = fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, src, dt)
		case 1:
			r = fmt.Sprintf(`{"source":[%q],"resources":[{"prefix":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/%d"}]}`, src, i%3)
		case 2:
			r = fmt.Sprintf(`{"source":[%q],"detail":{"result":[{"anything-but":["failure","pending-%d"]}]}}`, src, i)
		case 3:
			r = fmt.Sprintf(`{"source":[{"prefix":"aws."}],"detail-type":[{"wildcard":"ACM Private CA * %s"}]}`, []string{"Issuance", "Revocation", "Generation"}[i%3])
		case 4:
			r = fmt.Sprintf(`{"account":["123456789012","%012d"],"region":[{"anything-but":{"prefix":"eu-"}}],"detail":{"result":[{"exists":true}]}}`, i)
		case 5:
			r = fmt.Sprintf(`{"source":[%q],"detail":{"validity-days":[{"numeric":[">",%d,"<=",825]}]}}`, src, i)
		case 6:
			r = fmt.Sprintf(`{"detail-type":[{"equals-ignore-case":%q}],"detail":{"error":[{"exists":false}]}}`, dt)
		case 7:
			r = fmt.Sprintf(`{"source":[%q],"$or":[{"detail":{"result":["failure"]}},{"detail-type":[{"suffix":"Revocation"}]},{"resources":[{"wildcard":"*certificate/%x*"}]}]}`, src, i)
		case 8:
			r = fmt.Sprintf(`{"time":[{"prefix":"2019-11-%02d"}],"source":[%q]}`, i%30+1, src)
		case 9:
			r = fmt.Sprintf(`{"source":[%q],"detail":{"client-ip":[{"cidr":"10.%d.0.0/16"}]}}`, src, i)
		case 10:
			r = fmt.Sprintf(`{"version":["0"],"source":[{"anything-but":["aws.s3","aws.ec2"]}],"detail-type":[%q],"detail":{"result":["success"]}}`, dt)
		case 11:
			r = fmt.Sprintf(`{"resources":[{"suffix":"%x"}],"detail":{"result":[{"prefix":{"equals-ignore-case":"SUCC"}}]}}`, i)
		}
		rules = append(rules, r)
	}
	return rules
}

func compileBench(b *testing.B) []*Pattern {
	var ps []*Pattern
	for _, r := range benchRules() {
		p, err := Compile([]byte(r))
		if err != nil {
			b.Fatalf("%s: %v", r, err)
		}
		ps = append(ps, p)
	}
	return ps
}

// BenchmarkMatch100Rules is the dispatcher's loop: one event, parsed once,
// against every rule on the bus. One "eval" is one rule checked.
func BenchmarkMatch100Rules(b *testing.B) {
	ps := compileBench(b)
	e, err := ParseEvent([]byte(pcaEvent))
	if err != nil {
		b.Fatal(err)
	}
	matched := 0
	for _, p := range ps {
		if p.Match(e) {
			matched++
		}
	}
	if matched == 0 || matched == len(ps) {
		b.Fatalf("%d of %d rules match; the rule set is not a useful mix", matched, len(ps))
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, p := range ps {
			if p.Match(e) {
				n++
			}
		}
	}
	evals := float64(b.N) * float64(len(ps))
	b.ReportMetric(evals/b.Elapsed().Seconds(), "evals/s")
	b.ReportMetric(float64(matched), "matching-rules")
}

// BenchmarkParseEvent is the once-per-event cost paid before matching.
func BenchmarkParseEvent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEvent([]byte(pcaEvent)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONUnmarshalEvent is the baseline: decoding the same event
// with encoding/json, the least any matcher working on JSON must spend.
func BenchmarkJSONUnmarshalEvent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal([]byte(pcaEvent), &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile100Rules is what loading a bus's rules costs.
func BenchmarkCompile100Rules(b *testing.B) {
	rules := benchRules()
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rules {
			if _, err := Compile([]byte(r)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
