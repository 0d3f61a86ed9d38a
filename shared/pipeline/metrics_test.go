package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/pipeline"
	"github.com/siemloader/siem/shared/pipeline/pipelinetest"
)

type emfLine struct {
	Function, LogType                         string
	RecordsIn, Indexed, DeadLettered, Skipped *float64
	ObjectsLoaded, ObjectsSkipped, BytesIn    *float64
	RecordLagSeconds, BulkRequests, BulkTime  *float64
	AWS                                       struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
		}
	} `json:"_aws"`
}

// One EMF line per log type for the demo batch (events/load-batch.json),
// values equal to the batch's own accounting, lag from the newest record.
func TestBatchMetrics(t *testing.T) {
	env := pipelinetest.New(t, "../../testdata/demo")
	var buf bytes.Buffer
	payload, err := os.ReadFile("../../events/load-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.Steps.Invoke(context.Background(), "load", payload)
	if err != nil {
		t.Fatal(err)
	}
	var b pipeline.BatchOutput
	json.Unmarshal(out, &b)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	w := &emf.Writer{Out: &buf}
	for _, l := range pipeline.MetricLines("load", out, now) {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	got := map[string]emfLine{}
	for _, raw := range lines {
		var l emfLine
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		m := l.AWS.CloudWatchMetrics
		if len(m) != 1 || m[0].Namespace != "SIEMLoader" || len(m[0].Dimensions) != 2 || len(m[0].Dimensions[1]) != 1 {
			t.Errorf("envelope %s", raw)
		}
		got[l.LogType] = l
	}
	// cloudtrail, vpcflowlogs, alb and the unknown text file.
	if len(got) != 4 {
		t.Fatalf("lines for %v, want 4 log types:\n%s", len(got), buf.String())
	}
	for _, o := range b.Objects {
		lt := o.LogType
		if lt == "" {
			lt = "unknown"
		}
		l := got[lt]
		if o.SkipReason != "" {
			if l.ObjectsSkipped == nil || *l.ObjectsSkipped != 1 {
				t.Errorf("%s: ObjectsSkipped %v", lt, l.ObjectsSkipped)
			}
			continue
		}
		if *l.RecordsIn != float64(o.Counts.RecordsIn) || *l.Indexed != float64(o.Counts.Indexed) || *l.DeadLettered != float64(o.Counts.DeadLettered) || *l.ObjectsLoaded != 1 {
			t.Errorf("%s: line %+v, batch counts %+v", lt, l, o.Counts)
		}
		if l.BytesIn == nil || *l.BytesIn != float64(o.Bytes) || o.Bytes == 0 {
			t.Errorf("%s: BytesIn %v, object %d bytes", lt, l.BytesIn, o.Bytes)
		}
		if l.BulkRequests == nil || *l.BulkRequests < 1 || l.BulkTime == nil {
			t.Errorf("%s: bulk figures missing", lt)
		}
		ts, err := time.Parse(time.RFC3339Nano, o.Stats.NewestRecord)
		if err != nil || l.RecordLagSeconds == nil || *l.RecordLagSeconds != now.Sub(ts.Truncate(0)).Seconds() {
			t.Errorf("%s: lag %v for newest record %q", lt, l.RecordLagSeconds, o.Stats.NewestRecord)
		}
	}
	// The VPC flow sample's records end at 2021-03 (the AWS docs'
	// example): the lag is years, not zero.
	if l := got["vpcflowlogs"]; l.RecordLagSeconds == nil || *l.RecordLagSeconds < 86400 {
		t.Errorf("vpcflowlogs lag %v", l.RecordLagSeconds)
	}
	// Summarize publishes nothing: the chunks did.
	if ls := pipeline.MetricLines("split", []byte(`{"source":{},"log_type":"vpcflowlogs","chunks":2,"failed_chunks":0,"counts":{"records_in":7}}`), now); len(ls) != 0 {
		t.Errorf("summarize published %v", ls)
	}
}

// The bulk client's 429 counts reach the EMF line of the chunk that met
// them, as BulkThrottled and BulkItemsThrottled, per log type and rolled up.
func TestThrottledMetrics(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	out := []byte(`{"chunk":{"source":{"bucket":"b","key":"k"},"log_type":"cloudtrail","data":{"bucket":"b","key":"k"},"seq":0},` +
		`"counts":{"records_in":10,"indexed":10},"stats":{"bulk_requests":4,"bulk_ms":12,"bulk_throttled":3,"bulk_items_throttled":5}}`)
	lines := pipeline.MetricLines("load", out, now)
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	var buf bytes.Buffer
	if err := (&emf.Writer{Out: &buf}).Write(lines[0]); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var l struct {
		BulkThrottled, BulkItemsThrottled, BulkRequests *float64
		AWS                                             struct {
			CloudWatchMetrics []struct {
				Metrics []struct{ Name, Unit string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.BulkThrottled == nil || *l.BulkThrottled != 3 || l.BulkItemsThrottled == nil || *l.BulkItemsThrottled != 5 || *l.BulkRequests != 4 {
		t.Fatalf("line %s", b)
	}
	declared := map[string]string{}
	for _, d := range l.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			declared[m.Name] = m.Unit
		}
	}
	if declared[pipeline.MetricBulkThrottled] != "Count" || declared[pipeline.MetricBulkItemsThrottled] != "Count" {
		t.Errorf("declared metrics %v", declared)
	}
}
