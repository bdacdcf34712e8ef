package ops

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ContentType is the Prometheus text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// metricWriter writes the text format; the first error sticks and ends the output.
type metricWriter struct {
	w   *bufio.Writer
	err error
}

func (m *metricWriter) printf(parts ...string) {
	if m.err != nil {
		return
	}
	for _, p := range parts {
		if _, m.err = m.w.WriteString(p); m.err != nil {
			return
		}
	}
}

// family writes the HELP and TYPE lines of a metric family.
func (m *metricWriter) family(name, typ, help string) {
	m.printf("# HELP ", name, " ", escapeHelp(help), "\n# TYPE ", name, " ", typ, "\n")
}

// sample writes one sample line; labels alternate name, value.
func (m *metricWriter) sample(name string, v float64, labels ...string) {
	m.printf(name)
	if len(labels) > 0 {
		m.printf("{")
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				m.printf(",")
			}
			m.printf(labels[i], `="`, escapeLabel(labels[i+1]), `"`)
		}
		m.printf("}")
	}
	m.printf(" ", formatFloat(v), "\n")
}

func (m *metricWriter) single(name, typ, help string, v float64) {
	m.family(name, typ, help)
	m.sample(name, v)
}

// WriteMetrics writes s in the Prometheus text exposition format (version 0.0.4).
func WriteMetrics(w io.Writer, s Snapshot) error {
	m := &metricWriter{w: bufio.NewWriter(w)}
	m.single("tradectl_ticks_total", "counter", "Ticks finished since start.", float64(s.Ticks))
	m.single("tradectl_fetch_errors_total", "counter", "Failed exchange requests since start.", float64(s.FetchErrors))
	m.single("tradectl_notifications_sent_total", "counter", "Notifications Telegram acknowledged since start.", float64(s.Notifications.Sent))
	m.single("tradectl_notifications_failed_total", "counter", "Notification deliveries that failed (retried or rejected) since start.", float64(s.Notifications.Failed))
	m.single("tradectl_notifications_queued", "gauge", "Notifications waiting in the outbox.", float64(s.Notifications.Queued))
	m.single("tradectl_model_reloads_total", "counter", "Model sets reloaded while serving.", float64(s.ModelReloads))
	m.single("tradectl_exchange_weight_used_1m", "gauge", "Last X-MBX-USED-WEIGHT-1M value from the exchange.", float64(s.Weight))
	m.family("tradectl_last_closed_bar_timestamp_seconds", "gauge", "Open time of the newest closed bar, in Unix seconds (0: none yet).")
	m.sample("tradectl_last_closed_bar_timestamp_seconds", unixSeconds(s.LastBar))
	m.family("tradectl_last_tick_timestamp_seconds", "gauge", "End of the last finished tick, in Unix seconds (0: none yet).")
	m.sample("tradectl_last_tick_timestamp_seconds", unixSeconds(s.TickDone))
	m.family("tradectl_tick_duration_seconds", "histogram", "Duration of a tick: fetch, compute, outputs.")
	for i, ub := range s.Buckets {
		m.sample("tradectl_tick_duration_seconds_bucket", float64(s.Counts[i]), "le", formatFloat(ub))
	}
	m.sample("tradectl_tick_duration_seconds_bucket", float64(s.Counts[len(s.Buckets)]), "le", "+Inf")
	m.sample("tradectl_tick_duration_seconds_sum", s.DurationSum)
	m.sample("tradectl_tick_duration_seconds_count", float64(s.Ticks))
	if m.err == nil {
		m.err = m.w.Flush()
	}
	return m.err
}

// unixSeconds is t in Unix seconds (millisecond precision), 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// formatFloat writes v as the format wants: shortest round-trip form, +Inf, -Inf, NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeHelp escapes a HELP text: backslash and line feed.
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }

// escapeLabel escapes a label value: backslash, double quote and line feed.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
