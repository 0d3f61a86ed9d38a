package static_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/pipeline"
)

// loaderMetrics are the metric names the project's code publishes in the
// SIEMLoader namespace (shared/pipeline/metrics.go, shared/notify).
var loaderMetrics = map[string]bool{
	pipeline.MetricRecordsIn: true, pipeline.MetricIndexed: true, pipeline.MetricDeadLettered: true, pipeline.MetricSkipped: true,
	pipeline.MetricBytesIn: true, pipeline.MetricObjectsLoaded: true, pipeline.MetricObjectsFailed: true, pipeline.MetricObjectsSkipped: true,
	pipeline.MetricRecordLag: true, pipeline.MetricBulkRequests: true, pipeline.MetricBulkTime: true, pipeline.MetricBulkRetryable: true,
	"Messages": true, "ObjectsAnnounced": true, "ExecutionsStarted": true, "ExecutionStartFailures": true, "UnreadableMessages": true, "QueueLagSeconds": true,
	"SilentLogTypes": true, "WatchedLogTypes": true,
}

// The dashboard body is valid JSON once !Sub has run (with the domain
// widgets, and with the collection's), every SIEMLoader metric it draws
// is one the code publishes, and every widget fits the 24-column grid.
// The layout is printed for the README.
func TestDashboard(t *testing.T) {
	tpl := loadTemplate(t)
	dash := get(get(tpl.top, "Resources"), "LoaderDashboard")
	sub := get(get(dash, "Properties"), "DashboardBody")
	if sub == nil || sub.Tag != "!Sub" || len(sub.Content) != 2 {
		t.Fatalf("LoaderDashboard.DashboardBody: want !Sub [body, {ClusterWidgets}]")
	}
	body := sub.Content[0].Value
	cluster := get(sub.Content[1], "ClusterWidgets")
	// !If [HasDomainArn, !Sub [domain, {DomainName}], !If [CreateCollection, !Sub aoss, ""]]
	domain := cluster.Content[1].Content[0].Value
	aoss := cluster.Content[2].Content[1].Value
	placeholder := regexp.MustCompile(`\$\{[A-Za-z0-9:.]+\}`)
	fill := func(s string) string { return placeholder.ReplaceAllString(s, "x") }
	for name, widgets := range map[string]string{"domain": domain, "serverless": aoss, "existing endpoint": ""} {
		raw := fill(strings.Replace(body, "${ClusterWidgets}", widgets, 1))
		var d struct {
			Widgets []struct {
				Type                string
				X, Y, Width, Height int
				Properties          struct {
					Title   string
					Metrics [][]any
				}
			}
		}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			t.Fatalf("%s: dashboard body is not JSON: %v", name, err)
		}
		for _, w := range d.Widgets {
			if w.X+w.Width > 24 || w.Width <= 0 || w.Height <= 0 {
				t.Errorf("%s: widget %q at x=%d width %d leaves the grid", name, w.Properties.Title, w.X, w.Width)
			}
			for _, m := range w.Properties.Metrics {
				if ns, _ := m[0].(string); ns == "SIEMLoader" {
					if name, _ := m[1].(string); !loaderMetrics[name] {
						t.Errorf("widget %q draws SIEMLoader/%s, which no code publishes", w.Properties.Title, name)
					}
				}
				if e, ok := m[0].(map[string]any); ok {
					expr, _ := e["expression"].(string)
					for _, mm := range regexp.MustCompile(`MetricName="(\w+)"`).FindAllStringSubmatch(expr, -1) {
						if !loaderMetrics[mm[1]] {
							t.Errorf("widget %q searches %s, which no code publishes", w.Properties.Title, mm[1])
						}
					}
				}
			}
		}
		if name == "domain" {
			printLayout(t, d.Widgets)
		}
	}
}

func printLayout[W any](t *testing.T, widgets []W) {
	b, _ := json.Marshal(widgets)
	var ws []struct {
		X, Y, Width int
		Properties  struct{ Title, Markdown string }
	}
	json.Unmarshal(b, &ws)
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Y < ws[j].Y || ws[i].Y == ws[j].Y && ws[i].X < ws[j].X })
	var rows []string
	lastY, row := -1, []string{}
	for _, w := range ws {
		title := w.Properties.Title
		if title == "" {
			title = "(header)"
		}
		if w.Y != lastY && len(row) > 0 {
			rows = append(rows, "| "+strings.Join(row, " | ")+" |")
			row = nil
		}
		lastY = w.Y
		row = append(row, title)
	}
	rows = append(rows, "| "+strings.Join(row, " | ")+" |")
	t.Logf("dashboard layout (domain):\n%s", strings.Join(rows, "\n"))
}
