package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// row is one line of the result table. Figure and Baseline are the raw
// numbers the ratio is computed from; FigureText and BaselineText carry the
// units (and, for the baseline, what it is) for the reader.
type row struct {
	Workload     string
	Figure       float64
	Baseline     float64
	FigureText   string
	BaselineText string
	// LowerIsBetter marks latencies, CPU, time and memory, whose ratio is
	// baseline ÷ figure so that a higher ratio is better in every row.
	LowerIsBetter bool
}

// ratio is the row's figure against its baseline, oriented so that 1.0
// means "as good as the baseline" and higher is always better. It is NaN
// when either side is missing or the division would be meaningless.
func (r row) ratio() float64 {
	num, den := r.Figure, r.Baseline
	if r.LowerIsBetter {
		num, den = den, num
	}
	if num < 0 || den <= 0 || math.IsNaN(num) || math.IsNaN(den) || math.IsInf(num, 0) || math.IsInf(den, 0) {
		return math.NaN()
	}
	return num / den
}

func formatRatio(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", v)
}

// formatTable renders the rows as a markdown table; pipes inside cells are
// escaped so a workload name cannot break the columns.
func formatTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| workload | figure | baseline | ratio |\n")
	b.WriteString("|---|---|---|---|\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", esc(r.Workload), esc(r.FigureText), esc(r.BaselineText), formatRatio(r.ratio()))
	}
	return b.String()
}

// percentile is the nearest-rank percentile (p in (0,1]) of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedCopy(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtRate prints a per-second rate with enough digits to compare runs
// without pretending to more precision than a timed run has.
func fmtRate(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

func fmtMillis(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	default:
		return fmt.Sprintf("%.2f ms", ms)
	}
}
