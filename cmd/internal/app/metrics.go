package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// metrics is the App's own Prometheus registry (no global registry, so
// tests can run several Apps in one process).
type metrics struct {
	reg      *prometheus.Registry
	updates  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	messages *prometheus.CounterVec
	leads    *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voronka_updates_total", Help: "Customer updates handled, by kind and outcome (ok, duplicate, in_progress, ignored, error).",
		}, []string{"kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "voronka_update_duration_seconds", Help: "Time to handle one update, replies included.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"kind"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voronka_messages_total", Help: "Messages sent to a channel, by channel and outcome (sent, failed).",
		}, []string{"channel", "outcome"}),
	}
	m.leads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voronka_leads_qualified_total", Help: "Leads that finished their dialogue, by temperature.",
	}, []string{"temperature"})
	m.reg.MustRegister(m.updates, m.latency, m.messages, m.leads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeUpdate(kind, outcome string, d time.Duration) {
	m.updates.WithLabelValues(kind, outcome).Inc()
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) observeLead(t crm.Temperature) { m.leads.WithLabelValues(string(t)).Inc() }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// countingSender counts what a sender delivers and fails to.
type countingSender struct {
	bot.Sender
	m *metrics
}

func (s countingSender) Send(ctx context.Context, msg bot.Message) (int, error) {
	id, err := s.Sender.Send(ctx, msg)
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	s.m.messages.WithLabelValues("telegram", outcome).Inc()
	return id, err
}

// Reply counts a whole reply's messages, and keeps the sender's one
// reservation for all of them (bot.Replier) when it has one.
func (s countingSender) Reply(ctx context.Context, r bot.Reply) (int, error) {
	var (
		sent int
		err  error
	)
	if rp, ok := s.Sender.(bot.Replier); ok {
		sent, err = rp.Reply(ctx, r)
	} else {
		if r.Callback != nil {
			err = s.Sender.AnswerCallback(ctx, *r.Callback)
		}
		for _, m := range r.Messages {
			if _, serr := s.Sender.Send(ctx, m); serr != nil {
				err = errors.Join(err, serr)
				break
			}
			sent++
		}
	}
	s.count(r, sent)
	return sent, err
}

func (s countingSender) count(r bot.Reply, sent int) {
	s.m.messages.WithLabelValues("telegram", "sent").Add(float64(sent))
	if sent < len(r.Messages) {
		s.m.messages.WithLabelValues("telegram", "failed").Inc()
	}
}

// PlanReply and ReplyReserved keep the sender a bot.ReservingReplier when
// it is one (the dispatcher then reserves the reply's slots in the
// update's commit); with another sender PlanReply asks for nothing, and
// ReplyReserved is Reply.
func (s countingSender) PlanReply(ctx context.Context, r bot.Reply) (bot.Reply, []bot.Bucket) {
	if rr, ok := s.Sender.(bot.ReservingReplier); ok {
		return rr.PlanReply(ctx, r)
	}
	return r, nil
}

func (s countingSender) ReplyReserved(ctx context.Context, r bot.Reply, waits [][]time.Duration) (int, error) {
	rr, ok := s.Sender.(bot.ReservingReplier)
	if !ok {
		return s.Reply(ctx, r)
	}
	sent, err := rr.ReplyReserved(ctx, r, waits)
	s.count(r, sent)
	return sent, err
}

var _ bot.ReservingReplier = countingSender{}
