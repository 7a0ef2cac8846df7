package runs

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stockdatasource/stockd/internal/agent"
)

// Metrics are the Prometheus series of workflow runs. A nil *Metrics
// counts nothing.
type Metrics struct {
	runs       *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	refused    prometheus.Counter
	saveErrors prometheus.Counter
	active     func() int
}

// NewMetrics registers the series on reg: runs by final status, tokens by
// direction, runs refused at the concurrency cap, records not stored, and
// the runs in progress.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stockd_workflow_runs_total",
			Help: "Workflow runs ended, by status (succeeded, failed, canceled).",
		}, []string{"status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stockd_workflow_run_tokens_total",
			Help: "Tokens of workflow runs as the model provider reported them, by kind (input, output).",
		}, []string{"kind"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stockd_workflow_runs_refused_total",
			Help: "Workflow runs refused because AGENT_MAX_CONCURRENT_RUNS were in progress.",
		}),
		saveErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stockd_workflow_run_store_failures_total",
			Help: "Finished workflow runs whose record could not be stored.",
		}),
	}
	for _, s := range []string{string(agent.StatusSucceeded), string(agent.StatusFailed), string(agent.StatusCanceled)} {
		m.runs.WithLabelValues(s)
	}
	m.tokens.WithLabelValues("input")
	m.tokens.WithLabelValues("output")
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "stockd_workflow_runs_active",
		Help: "Workflow runs in progress on this server.",
	}, func() float64 {
		if m.active == nil {
			return 0
		}
		return float64(m.active())
	})
	reg.MustRegister(m.runs, m.tokens, m.refused, m.saveErrors, active)
	return m
}

func (m *Metrics) finished(rec *agent.Record) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(string(rec.Status)).Inc()
	m.tokens.WithLabelValues("input").Add(float64(rec.Usage.InputTokens))
	m.tokens.WithLabelValues("output").Add(float64(rec.Usage.OutputTokens))
}

func (m *Metrics) rejected() {
	if m != nil {
		m.refused.Inc()
	}
}

func (m *Metrics) saveFailed() {
	if m != nil {
		m.saveErrors.Inc()
	}
}
