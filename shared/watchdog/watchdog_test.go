package watchdog

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// fakeCW serves ListMetrics and GetMetricData from hourly sums per type.
type fakeCW struct {
	hours map[string][]time.Time // log type -> hours with records
	pages int
}

func (f *fakeCW) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	var out cloudwatch.ListMetricsOutput
	for lt := range f.hours {
		out.Metrics = append(out.Metrics, types.Metric{Namespace: in.Namespace, MetricName: in.MetricName,
			Dimensions: []types.Dimension{{Name: aws.String("Function"), Value: aws.String("load")}, {Name: aws.String("LogType"), Value: aws.String(lt)}}})
	}
	return &out, nil
}

func (f *fakeCW) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.pages++
	var out cloudwatch.GetMetricDataOutput
	for _, q := range in.MetricDataQueries {
		var lt string
		for _, d := range q.MetricStat.Metric.Dimensions {
			if aws.ToString(d.Name) == "LogType" {
				lt = aws.ToString(d.Value)
			}
		}
		r := types.MetricDataResult{Id: q.Id}
		for _, h := range f.hours[lt] {
			if !h.Before(*in.StartTime) && h.Before(*in.EndTime) {
				r.Timestamps = append(r.Timestamps, h)
				r.Values = append(r.Values, 42)
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return &out, nil
}

func TestCheck(t *testing.T) {
	now := time.Date(2024, 1, 15, 12, 30, 0, 0, time.UTC)
	hour := func(ago int) time.Time { return now.Truncate(time.Hour).Add(-time.Duration(ago) * time.Hour) }
	f := &fakeCW{hours: map[string][]time.Time{
		"cloudtrail":  {hour(30), hour(1)},  // loading
		"vpcflowlogs": {hour(50), hour(25)}, // its last hour ended 24.5 h ago
		"alb":         {hour(40)},           // silent for a while
		"waf":         nil,                  // listed, nothing in two weeks
		"unknown":     {hour(1)},            // skipped objects: not a log type
	}}
	rep, err := Check(context.Background(), f, Config{Namespace: "SIEMLoader", Metric: "Indexed", Function: "load", Silence: 24 * time.Hour, Every: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 4 {
		t.Errorf("checked %d types, want 4 (unknown is not a log type)", rep.Checked)
	}
	got := map[string]Type{}
	for _, s := range rep.Silent {
		got[s.LogType] = s
	}
	if len(got) != 3 || !got["vpcflowlogs"].New || got["alb"].New || got["waf"].New {
		t.Errorf("silent %+v, want vpcflowlogs (new), alb and waf (not new)", rep.Silent)
	}
	if _, ok := got["cloudtrail"]; ok {
		t.Error("cloudtrail loaded an hour ago")
	}
	if !got["vpcflowlogs"].LastSeen.Equal(hour(25)) {
		t.Errorf("vpcflowlogs last seen %v, want %v", got["vpcflowlogs"].LastSeen, hour(25))
	}
}
