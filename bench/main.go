// Command bench measures openpca against baselines taken in the same run on
// the same machine, so that each figure comes with the ratio that says how
// much the server costs over the unavoidable work:
//
//	go run ./bench            # full (a few minutes)
//	go run ./bench -quick     # under two minutes
//
// It builds cmd/openpca, runs it as a subprocess over a temporary data
// directory and drives it over HTTP with SigV4 through aws-sdk-go-v2, the
// way a user's client does. Progress goes to stderr; the report (machine,
// mode, a markdown table and notes) goes to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// plan is how long each part runs; quick and full differ only in these.
type plan struct {
	name                  string
	issueWarm, issueDur   time.Duration
	rawWarm, rawDur       time.Duration
	eventWarm, eventDur   time.Duration
	eventWait             time.Duration
	eventRate, floorPosts int
	matchDur              time.Duration
	startRuns             int
}

var (
	quickPlan = plan{name: "quick", issueWarm: 500 * time.Millisecond, issueDur: 3 * time.Second,
		rawWarm: 300 * time.Millisecond, rawDur: 2 * time.Second,
		eventWarm: time.Second, eventDur: 5 * time.Second, eventWait: 15 * time.Second, eventRate: 100, floorPosts: 500,
		matchDur: time.Second, startRuns: 5}
	fullPlan = plan{name: "full", issueWarm: 2 * time.Second, issueDur: 20 * time.Second,
		rawWarm: time.Second, rawDur: 10 * time.Second,
		eventWarm: 3 * time.Second, eventDur: 30 * time.Second, eventWait: 30 * time.Second, eventRate: 500, floorPosts: 3000,
		matchDur: 5 * time.Second, startRuns: 15}
)

func main() {
	quick := flag.Bool("quick", false, "short runs (under 2 minutes) instead of the full benchmark")
	// A server is measured busy: with 16 requests in flight its commits and
	// wake-ups are shared by several certificates, as under real load; with
	// 4 on these 2 cores it idles between requests and pays them per
	// certificate (docs/BENCHMARKS.md gives both).
	conc := flag.Int("concurrency", 8*runtime.GOMAXPROCS(0), "client goroutines for the issuance runs and the raw-signing baseline")
	rate := flag.Int("event-rate", 0, "offered IssueCertificate calls per second for the event-latency rows (default 500, 100 with -quick)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the server during an extra EC issuance run to `file`")
	flag.Parse()
	p := fullPlan
	if *quick {
		p = quickPlan
	}
	if *rate > 0 {
		p.eventRate = *rate
	}
	if *conc < 1 {
		fmt.Fprintln(os.Stderr, "bench: -concurrency must be at least 1")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		abs, err := filepath.Abs(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		*cpuprofile = abs
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	start := time.Now()
	err := run(ctx, os.Stdout, p, *conc, *cpuprofile)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	progress("done in %s", time.Since(start).Round(100*time.Millisecond))
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, out io.Writer, p plan, conc int, cpuprofile string) (err error) {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "openpca-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	binary, idleBinary := filepath.Join(tmp, "openpca"), filepath.Join(tmp, "idle")
	progress("building ./cmd/openpca and ./bench/idle")
	if err := goBuild(root, binary, "./cmd/openpca"); err != nil {
		return err
	}
	if err := goBuild(root, idleBinary, "./bench/idle"); err != nil {
		return err
	}
	var notes []string
	load := loadAvg()
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	var table []row

	csr, err := leafCSR("bench.internal")
	if err != nil {
		return err
	}

	// The in-process baselines run before the server exists so that
	// nothing else competes for the CPU.
	raw := map[string]runResult{}
	for _, kind := range []caKind{ecCA, rsaCA} {
		progress("raw signing, %s CA, %d goroutines, %s", kind.name, conc, p.rawDur)
		op, err := rawSignOp(kind, csr)
		if err != nil {
			return err
		}
		r := closedLoop(ctx, conc, p.rawWarm, p.rawDur, selfCPU, op, nil)
		if r.lastErr != nil {
			return fmt.Errorf("raw signing %s: %w", kind.name, r.lastErr)
		}
		raw[kind.name] = r
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	progress("start time and idle RSS (%d starts)", p.startRuns)
	st, err := measureStart(ctx, binary, idleBinary, filepath.Join(tmp, "start-data"), p.startRuns)
	if err != nil {
		return fmt.Errorf("start time: %w", err)
	}
	for _, e := range st.stopErrors {
		note("server stop during the start-time runs: %s", e)
	}

	srv, err := startServer(binary, filepath.Join(tmp, "data"), "--pprof")
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := srv.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("server shutdown: %w", stopErr)
		}
	}()
	if err := waitHealthy(srv.addr, startLimit); err != nil {
		return err
	}
	progress("server at %s (pid %d)", srv.addr, srv.pid())
	client := pcaClient(srv.addr)
	cas := map[string]string{}
	for _, kind := range []caKind{ecCA, rsaCA} {
		arn, err := activateRoot(ctx, client, kind)
		if err != nil {
			return fmt.Errorf("%s root: %w\n%s", kind.name, err, srv.logs())
		}
		cas[kind.name] = arn
	}
	serverCPU := func() time.Duration {
		d, err := processCPU(srv.pid())
		if err != nil {
			return 0
		}
		return d
	}

	api := map[string]runResult{}
	for _, kind := range []caKind{ecCA, rsaCA} {
		progress("IssueCertificate + GetCertificate, %s CA, %d goroutines, %s", kind.name, conc, p.issueDur)
		r := closedLoop(ctx, conc, p.issueWarm, p.issueDur, serverCPU, issueOp(client, cas[kind.name], kind.sigAlg, csr), nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r.ops == 0 {
			return fmt.Errorf("no certificate issued by the %s CA: %v\n%s", kind.name, r.lastErr, srv.logs())
		}
		if r.errors > 0 {
			note("%s issuance: %d errors during the measured run (last: %v)", kind.name, r.errors, r.lastErr)
		}
		api[kind.name] = r
		if kind.name == ecCA.name && cpuprofile != "" {
			// A separate run, so that the profiler's own cost stays out of
			// the CPU-per-certificate row measured above.
			secs := max(1, int(p.issueDur/time.Second))
			progress("extra EC run for the CPU profile (%ds)", secs)
			var perr error
			closedLoop(ctx, conc, p.issueWarm, 0, serverCPU, issueOp(client, cas[kind.name], kind.sigAlg, csr), func() {
				perr = fetchProfile(srv.addr, secs, cpuprofile)
			})
			if perr != nil {
				return fmt.Errorf("cpu profile: %w", perr)
			}
			note("server CPU profile: %s, from a separate %ds EC issuance run at the same concurrency (`go tool pprof -top %s`); the rows above come from the unprofiled run", cpuprofile, secs, cpuprofile)
		}
	}
	for _, kind := range []caKind{ecCA, rsaCA} {
		a, r := api[kind.name], raw[kind.name]
		table = append(table, row{Workload: "IssueCertificate + GetCertificate (" + kind.name + ")",
			Figure: a.perSecond(), Baseline: r.perSecond(),
			FigureText:   fmtRate(a.perSecond(), "certs/s"),
			BaselineText: fmtRate(r.perSecond(), "certs/s") + fmt.Sprintf(" (raw in-process parse+check+sign, %d goroutines)", conc)})
		note("%s: %d certificates in %.1fs over HTTP; raw baseline %d in %.1fs", kind.name, a.ops, a.elapsed.Seconds(), r.ops, r.elapsed.Seconds())
	}
	ec, ecRaw := api[ecCA.name], raw[ecCA.name]
	table = append(table, row{Workload: "server CPU per certificate (EC P-256)", LowerIsBetter: true,
		Figure: millis(ec.cpuPerOp()), Baseline: millis(ecRaw.cpuPerOp()),
		FigureText:   fmt.Sprintf("%.3f ms CPU/cert", millis(ec.cpuPerOp())),
		BaselineText: fmt.Sprintf("%.3f ms CPU/cert (raw signing, bench process getrusage)", millis(ecRaw.cpuPerOp()))})
	note("server CPU: utime+stime of every server thread from /proc/%d/stat (tick %s) over the EC run: %.2fs CPU for %d IssueCertificate+GetCertificate pairs, event dispatch of their outbox rows included (no rules were set yet)",
		srv.pid(), clockTick(), ec.cpu.Seconds(), ec.ops)

	progress("event latency at %d issuances/s offered for %s", p.eventRate, p.eventDur)
	ev, err := eventLatency(ctx, srv.addr, cas[ecCA.name], csr, eventConfig{rate: p.eventRate, workers: max(16, 2*conc), consumers: 2,
		warm: p.eventWarm, dur: p.eventDur, wait: p.eventWait, floorN: p.floorPosts})
	if err != nil {
		return fmt.Errorf("event latency: %w\n%s", err, srv.logs())
	}
	floor := sortedCopy(ev.floor)
	for _, t := range []struct {
		name string
		lat  []time.Duration
	}{{"webhook", ev.webhook}, {"SQS ReceiveMessage", ev.queue}} {
		lat := sortedCopy(t.lat)
		for _, q := range []struct {
			label string
			p     float64
		}{{"p50", 0.50}, {"p99", 0.99}} {
			if len(lat) == 0 {
				table = append(table, row{Workload: "seed event latency " + q.label + " → " + t.name, Figure: 0, Baseline: 0,
					FigureText: "no events arrived", BaselineText: "-"})
				continue
			}
			fig, base := millis(percentile(lat, q.p)), millis(percentile(floor, q.p))
			table = append(table, row{Workload: "seed event latency " + q.label + " → " + t.name, LowerIsBetter: true,
				Figure: fig, Baseline: base, FigureText: fmtMillis(fig),
				BaselineText: fmtMillis(base) + " (loopback POST " + q.label + ", same webhook)"})
		}
	}
	note("events: %.0f issuances/s offered, %.0f/s achieved from %d goroutines over %s after %s warm-up; %d certificates measured, %d issuance errors",
		ev.offered, ev.achieved, max(16, 2*conc), p.eventDur, p.eventWarm, ev.measured, ev.errors)
	note("event latency runs from the moment IssueCertificate returned to the client to the event's arrival (webhook handler entry; ReceiveMessage return). The commit precedes the return, so this slightly underestimates commit → arrival; %d webhook and %d SQS arrivals came before the client saw the return (negative latencies, kept in the percentiles)",
		ev.early[0], ev.early[1])
	if ev.missingHook > 0 || ev.missingQueue > 0 {
		note("MISSING after %s: %d webhook and %d SQS events (left out of the percentiles)", p.eventWait, ev.missingHook, ev.missingQueue)
	}
	note("targets: API destination (API_KEY connection) → loopback httptest webhook; SQS queue read by 2 long-polling consumers (WaitTimeSeconds 1, MaxNumberOfMessages 10, DeleteMessageBatch). Baseline: %d sequential keep-alive POSTs of a %d-byte body to the same webhook after the load",
		len(ev.floor), max(ev.bodySize, 256))

	if err := srv.stop(); err != nil {
		return fmt.Errorf("server shutdown: %w", err)
	}
	progress("server stopped; event-pattern matching in-process for %s", p.matchDur)
	m, err := patternMatching(p.matchDur)
	if err != nil {
		return fmt.Errorf("pattern matching: %w", err)
	}
	table = append(table, row{Workload: "event-pattern matching, 100 rules", Figure: m.matchesPerSec, Baseline: m.unmarshalsPerSec,
		FigureText:   fmtRate(m.matchesPerSec, "matches/s"),
		BaselineText: fmtRate(m.unmarshalsPerSec, "json.Unmarshal/s") + " (same event into map[string]any)"})
	note("pattern matching: one goroutine, %d rules against one Issuance event parsed once (%d rules match it); one match = one rule evaluated", m.rules, m.matching)

	table = append(table,
		row{Workload: "server start time", LowerIsBetter: true, Figure: millis(st.start), Baseline: millis(st.version),
			FigureText: fmtMillis(millis(st.start)), BaselineText: fmtMillis(millis(st.version)) + " (exec → exit of `openpca version`)"},
		row{Workload: "idle RSS", LowerIsBetter: true, Figure: float64(st.rss) / (1 << 20), Baseline: float64(st.idleRSS) / (1 << 20),
			FigureText:   fmt.Sprintf("%.1f MiB", float64(st.rss)/(1<<20)),
			BaselineText: fmt.Sprintf("%.1f MiB (bench/idle: minimal Go net/http server)", float64(st.idleRSS)/(1<<20))})
	note("start time: median of %d starts, exec → first 200 from GET /healthz, over an initialised data directory (the untimed first start created it); `openpca version` median of %d runs. RSS: VmRSS 1 s after the first /healthz",
		len(st.startSamples), len(st.versionSamples))

	fmt.Fprintf(out, "# openpca benchmark\n\n")
	fmt.Fprintf(out, "- machine: GOMAXPROCS=%d, %d CPUs, %s; load average %s at start, %s at end\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), cpuModel(), load, loadAvg())
	fmt.Fprintf(out, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "- mode: %s (issuance %s after %s warm-up, raw signing %s, events %s at %d/s, pattern matching %s)\n",
		p.name, p.issueDur, p.issueWarm, p.rawDur, p.eventDur, p.eventRate, p.matchDur)
	fmt.Fprintf(out, "- concurrency: %d client goroutines (issuance runs and raw-signing baseline)\n\n", conc)
	fmt.Fprint(out, formatTable(table))
	fmt.Fprintf(out, "\nRatios are oriented so that higher is better: figure ÷ baseline for rates, baseline ÷ figure for latency, CPU, time and memory.\n\n")
	for _, n := range notes {
		fmt.Fprintf(out, "- %s\n", strings.TrimSpace(n))
	}
	return nil
}
