package events

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the event delivery metrics, labelled by target kind.
type Metrics struct {
	Matched      *prometheus.CounterVec
	Delivered    *prometheus.CounterVec
	Retried      *prometheus.CounterVec
	DeadLettered *prometheus.CounterVec
	Dropped      *prometheus.CounterVec
	Latency      *prometheus.HistogramVec
	OutboxLag    prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "openpca", Subsystem: "events", Name: name, Help: help},
			[]string{"target_kind"})
	}
	m := &Metrics{
		Matched:      counter("matched_total", "Event deliveries created by a matching rule."),
		Delivered:    counter("delivered_total", "Events handed to their target."),
		Retried:      counter("retried_total", "Delivery attempts that failed and were scheduled again."),
		DeadLettered: counter("dead_lettered_total", "Events moved to a dead-letter queue."),
		Dropped:      counter("dropped_total", "Events given up without a dead-letter queue."),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "openpca", Subsystem: "events",
			Name: "delivery_latency_seconds", Help: "Time from the event's commit to its delivery.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18)}, []string{"target_kind"}),
		OutboxLag: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "openpca", Subsystem: "events",
			Name: "outbox_lag_seconds", Help: "Age of the oldest outbox event the relay picked up last."}),
	}
	if reg != nil {
		reg.MustRegister(m.Matched, m.Delivered, m.Retried, m.DeadLettered, m.Dropped, m.Latency, m.OutboxLag)
	}
	return m
}
