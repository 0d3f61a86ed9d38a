// Package watchdog finds log types that have gone silent: types that
// loaded records in the last two weeks (CloudWatch keeps a metric listed
// that long after its last datapoint) but none for the configured hours.
// A trail deleted, a flow log turned off or a delivery role broken shows
// here instead of as a quiet gap in the dashboards. It is stateless: a type
// is announced once, in the run just after it crosses the silence limit.
package watchdog

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// MetricsAPI is the part of CloudWatch the watchdog reads.
type MetricsAPI interface {
	ListMetrics(context.Context, *cloudwatch.ListMetricsInput, ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Config of a check.
type Config struct {
	// Namespace and Metric: what "received data" means (SIEMLoader,
	// Indexed with Function=load).
	Namespace, Metric, Function string
	// Silence is how long a type may stay without records.
	Silence time.Duration
	// Every is the schedule: a type silent for Silence..Silence+Every is
	// newly silent.
	Every time.Duration
}

// Type is one log type's last activity.
type Type struct {
	LogType  string    `json:"log_type"`
	LastSeen time.Time `json:"last_seen"`
	// New: it crossed the silence limit since the previous run.
	New bool `json:"new"`
}

// Report is a check's answer.
type Report struct {
	Checked int    `json:"checked"`
	Silent  []Type `json:"silent"`
}

// Check lists the log types with the metric and reports those silent for
// longer than c.Silence.
func Check(ctx context.Context, api MetricsAPI, c Config, now time.Time) (Report, error) {
	var logTypes []string
	in := &cloudwatch.ListMetricsInput{Namespace: aws.String(c.Namespace), MetricName: aws.String(c.Metric),
		Dimensions: []types.DimensionFilter{{Name: aws.String("Function"), Value: aws.String(c.Function)}, {Name: aws.String("LogType")}}}
	for {
		page, err := api.ListMetrics(ctx, in)
		if err != nil {
			return Report{}, fmt.Errorf("list %s/%s: %w", c.Namespace, c.Metric, err)
		}
		for _, m := range page.Metrics {
			for _, d := range m.Dimensions {
				if aws.ToString(d.Name) == "LogType" && aws.ToString(d.Value) != "unknown" {
					logTypes = append(logTypes, aws.ToString(d.Value))
				}
			}
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	sort.Strings(logTypes)
	rep := Report{Checked: len(logTypes)}
	// One hourly Sum series per type over two weeks (336 points each);
	// GetMetricData takes up to 500 queries per call.
	start := now.Add(-14 * 24 * time.Hour)
	for first := 0; first < len(logTypes); first += 500 {
		batch := logTypes[first:min(first+500, len(logTypes))]
		var qs []types.MetricDataQuery
		for i, lt := range batch {
			qs = append(qs, types.MetricDataQuery{Id: aws.String(fmt.Sprintf("t%d", i)), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(c.Namespace), MetricName: aws.String(c.Metric), Dimensions: []types.Dimension{
					{Name: aws.String("Function"), Value: aws.String(c.Function)}, {Name: aws.String("LogType"), Value: aws.String(lt)}}},
				Period: aws.Int32(3600), Stat: aws.String("Sum")}})
		}
		last := map[string]time.Time{}
		q := &cloudwatch.GetMetricDataInput{MetricDataQueries: qs, StartTime: aws.Time(start), EndTime: aws.Time(now)}
		for {
			out, err := api.GetMetricData(ctx, q)
			if err != nil {
				return Report{}, fmt.Errorf("read %s/%s: %w", c.Namespace, c.Metric, err)
			}
			for _, r := range out.MetricDataResults {
				id := aws.ToString(r.Id)
				for i, ts := range r.Timestamps {
					if i < len(r.Values) && r.Values[i] > 0 && ts.After(last[id]) {
						last[id] = ts
					}
				}
			}
			if out.NextToken == nil {
				break
			}
			q.NextToken = out.NextToken
		}
		for i, lt := range batch {
			seen, ok := last[fmt.Sprintf("t%d", i)]
			if !ok {
				seen = start // listed but nothing in two weeks: silent since before the window
			}
			// An hourly datapoint covers [ts, ts+1h).
			quiet := now.Sub(seen.Add(time.Hour))
			if quiet >= c.Silence {
				rep.Silent = append(rep.Silent, Type{LogType: lt, LastSeen: seen, New: ok && quiet < c.Silence+c.Every})
			}
		}
	}
	return rep, nil
}
