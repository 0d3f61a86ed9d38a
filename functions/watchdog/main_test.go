package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/siemloader/siem/shared/emf"
	"github.com/siemloader/siem/shared/watchdog"
)

// cw: alb last loaded 25 hours ago, cloudtrail an hour ago.
type cw struct{}

func (cw) ListMetrics(context.Context, *cloudwatch.ListMetricsInput, ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	m := func(lt string) types.Metric {
		return types.Metric{Dimensions: []types.Dimension{{Name: aws.String("Function"), Value: aws.String("load")}, {Name: aws.String("LogType"), Value: aws.String(lt)}}}
	}
	return &cloudwatch.ListMetricsOutput{Metrics: []types.Metric{m("alb"), m("cloudtrail")}}, nil
}

func (cw) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	now := in.EndTime.Truncate(time.Hour)
	return &cloudwatch.GetMetricDataOutput{MetricDataResults: []types.MetricDataResult{
		{Id: aws.String("t0"), Timestamps: []time.Time{now.Add(-25 * time.Hour)}, Values: []float64{10}},
		{Id: aws.String("t1"), Timestamps: []time.Time{now.Add(-time.Hour)}, Values: []float64{10}},
	}}, nil
}

func TestWatchdogAlertsOnceAndPublishesTheMetric(t *testing.T) {
	var buf bytes.Buffer
	var subjects, msgs []string
	h := handler(cw{}, watchdog.Config{Namespace: "SIEMLoader", Metric: "Indexed", Function: "load", Silence: 24 * time.Hour, Every: time.Hour},
		&emf.Writer{Out: &buf}, func(_ context.Context, s, m string) error {
			subjects, msgs = append(subjects, s), append(msgs, m)
			return nil
		})
	rep, err := h(context.Background(), nil)
	if err != nil || len(rep.Silent) != 1 || rep.Silent[0].LogType != "alb" {
		t.Fatalf("%+v %v", rep, err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["SilentLogTypes"] != 1.0 || line["WatchedLogTypes"] != 2.0 || line["Function"] != "watchdog" {
		t.Errorf("EMF line %s: %v", buf.String(), err)
	}
	// alb's last hour ended 24 to 25 hours ago: it just went quiet, so
	// one alert names it and says what to check.
	if !rep.Silent[0].New || len(msgs) != 1 || !strings.Contains(msgs[0], "- alb (") || !strings.Contains(msgs[0], "delivery role") {
		t.Errorf("silent %+v, alert %q", rep.Silent, msgs)
	}
}
