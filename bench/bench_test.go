package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/events/pattern"
)

func TestRatioIsOrientedSoHigherIsBetter(t *testing.T) {
	cases := []struct {
		r    row
		want float64
	}{
		{row{Figure: 300, Baseline: 1200}, 0.25},                         // rate: figure ÷ baseline
		{row{Figure: 2, Baseline: 0.5, LowerIsBetter: true}, 0.25},       // latency: baseline ÷ figure
		{row{Figure: 0.5, Baseline: 0.5, LowerIsBetter: true}, 1},        // as good as the floor
		{row{Figure: 15e6, Baseline: 6e4}, 250},                          // faster than the baseline
		{row{Figure: 1.79, Baseline: 0.283, LowerIsBetter: true}, 0.158}, // CPU: raw ÷ server
	}
	for _, c := range cases {
		if got := c.r.ratio(); math.Abs(got-c.want) > 0.001 {
			t.Errorf("%+v: ratio %v, want %v", c.r, got, c.want)
		}
	}
	for _, r := range []row{
		{Figure: 1, Baseline: 0},
		{Figure: 0, Baseline: 1, LowerIsBetter: true},
		{Figure: math.NaN(), Baseline: 1},
		{Figure: 1, Baseline: math.Inf(1)},
	} {
		if got := r.ratio(); !math.IsNaN(got) {
			t.Errorf("%+v: ratio %v, want n/a", r, got)
		}
	}
}

func TestFormatTable(t *testing.T) {
	got := formatTable([]row{
		{Workload: "IssueCertificate + GetCertificate (EC P-256)", Figure: 373, Baseline: 3292,
			FigureText: fmtRate(373, "certs/s"), BaselineText: fmtRate(3292, "certs/s") + " (raw)"},
		{Workload: "seed event latency p50 → webhook", Figure: 2.65, Baseline: 0.05, LowerIsBetter: true,
			FigureText: fmtMillis(2.65), BaselineText: fmtMillis(0.05)},
		{Workload: "a | b", Figure: 1, Baseline: 0, FigureText: "1 x/s", BaselineText: "-"},
	})
	want := "| workload | figure | baseline | ratio |\n" +
		"|---|---|---|---|\n" +
		"| IssueCertificate + GetCertificate (EC P-256) | 373 certs/s | 3292 certs/s (raw) | 0.113 |\n" +
		"| seed event latency p50 → webhook | 2.65 ms | 0.05 ms | 0.019 |\n" +
		"| a \\| b | 1 x/s | - | n/a |\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		if strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("not four columns: %q", line)
		}
	}
}

func TestUnits(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtRate(15522072.4, "matches/s"), "15522072 matches/s"},
		{fmtRate(42.25, "certs/s"), "42.2 certs/s"},
		{fmtRate(3.456, "certs/s"), "3.46 certs/s"},
		{fmtMillis(79.84), "79.8 ms"},
		{fmtMillis(123.4), "123 ms"},
		{fmtMillis(0.0512), "0.05 ms"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := sortedCopy(d)
	if d[0] != 100*time.Millisecond {
		t.Fatal("sortedCopy sorted its input")
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p*100, got, c.want)
		}
	}
	if percentile(nil, 0.5) != 0 || percentile([]time.Duration{7}, 0.99) != 7 {
		t.Error("percentile of empty or single-value input")
	}
}

// The matching row is only meaningful if every rule compiles and the event
// matches some rules but not all, as on a real bus.
func TestBenchRulesAreAUsefulMix(t *testing.T) {
	rules := benchRules()
	if len(rules) != 100 {
		t.Fatalf("%d rules, want 100", len(rules))
	}
	ev, err := pattern.ParseEvent([]byte(seedEvent))
	if err != nil {
		t.Fatal(err)
	}
	seen, matched := map[string]bool{}, 0
	for _, r := range rules {
		if seen[r] {
			t.Errorf("duplicate rule %s", r)
		}
		seen[r] = true
		p, err := pattern.Compile([]byte(r))
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if p.Match(ev) {
			matched++
		}
	}
	if matched == 0 || matched > len(rules)/2 {
		t.Fatalf("%d of %d rules match the seed event", matched, len(rules))
	}
}

func TestProcReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	spin := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(spin) {
	}
	if cpu, err := processCPU(os.Getpid()); err != nil || cpu < 0 {
		t.Fatalf("processCPU: %v %v", cpu, err)
	}
	if selfCPU() <= 0 {
		t.Fatal("selfCPU is zero after spinning")
	}
	if rss, err := vmRSS(os.Getpid()); err != nil || rss < 1<<20 {
		t.Fatalf("vmRSS: %d %v", rss, err)
	}
}
