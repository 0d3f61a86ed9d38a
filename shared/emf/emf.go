// Package emf writes CloudWatch Embedded Metric Format lines: one JSON
// object per line on stdout, which Lambda ships to CloudWatch Logs and
// CloudWatch turns into metrics (no PutMetricData call, no extra latency).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package emf

import (
	"encoding/json"
	"io"
	"os"
	"sort"
	"sync"
	"time"
)

// Namespace is where every metric of the loader goes.
const Namespace = "SIEMLoader"

// Units this package uses.
const (
	Count        = "Count"
	Bytes        = "Bytes"
	Seconds      = "Seconds"
	Milliseconds = "Milliseconds"
)

// Metric is one value.
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

// Line is one EMF object: metrics sharing one set of dimension values.
// Dimensions is the dimension set (e.g. {"Function": "load", "LogType":
// "cloudtrail"}); every metric is also published without the optional
// ones listed in Rollup (e.g. LogType), so a dashboard can sum over all.
type Line struct {
	Dimensions map[string]string
	Rollup     []string
	Metrics    []Metric
	// Properties are logged with the line but are not dimensions (the
	// object's key, the execution), searchable in Logs Insights.
	Properties map[string]any
}

// Writer writes lines to Out (os.Stdout when nil).
type Writer struct {
	Out io.Writer
	Now func() time.Time
	mu  sync.Mutex
}

// Default writes to stdout.
var Default = &Writer{}

// Write encodes l as one EMF line. Lines with no metrics are not written.
func (w *Writer) Write(l Line) error {
	if len(l.Metrics) == 0 {
		return nil
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	dims := make([]string, 0, len(l.Dimensions))
	for k := range l.Dimensions {
		dims = append(dims, k)
	}
	sort.Strings(dims)
	sets := [][]string{dims}
	if len(l.Rollup) > 0 {
		drop := map[string]bool{}
		for _, r := range l.Rollup {
			drop[r] = true
		}
		var kept []string
		for _, d := range dims {
			if !drop[d] {
				kept = append(kept, d)
			}
		}
		if len(kept) < len(dims) {
			sets = append(sets, kept)
		}
	}
	defs := make([]map[string]string, 0, len(l.Metrics))
	obj := make(map[string]any, len(l.Metrics)+len(l.Dimensions)+len(l.Properties)+1)
	for k, v := range l.Properties {
		obj[k] = v
	}
	for _, m := range l.Metrics {
		defs = append(defs, map[string]string{"Name": m.Name, "Unit": m.Unit})
		obj[m.Name] = m.Value
	}
	for k, v := range l.Dimensions {
		obj[k] = v
	}
	obj["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": sets,
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.Out
	if out == nil {
		out = os.Stdout
	}
	_, err = out.Write(b)
	return err
}
