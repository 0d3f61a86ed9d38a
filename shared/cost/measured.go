package cost

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Measured is what a run of the real state machine counted for a set of
// objects (test/moto's TestCostMeasuredOnMoto: execution histories,
// recorded Lambda invocations and the fake AWS's request log).
type Measured struct {
	Objects     int
	Records     int
	SourceBytes int64 // the objects as stored
	// Executions are Standard executions; Transitions the states they
	// entered (from their histories).
	Executions, Transitions int
	// ChildExecutions are Distributed Map children: Express in
	// production (ChildExecutionType), billed per request and duration,
	// not per transition. ChildSeconds is their summed duration.
	ChildExecutions int
	ChildSeconds    float64
	// Invocations per function, and the billed GB-seconds of each
	// (duration rounded up to the ms, times the function's memory).
	Invocations map[string]int
	GBSeconds   map[string]float64
	// S3 requests by billing class, and the bytes written to staging.
	S3Get, S3Put, S3List int
	StagedBytes          int64
	// SQS requests: the notifications sent, received and deleted.
	SQSRequests int
}

// Add sums two runs.
func (m *Measured) Add(o Measured) {
	m.Objects += o.Objects
	m.Records += o.Records
	m.SourceBytes += o.SourceBytes
	m.Executions += o.Executions
	m.Transitions += o.Transitions
	m.ChildExecutions += o.ChildExecutions
	m.ChildSeconds += o.ChildSeconds
	if m.Invocations == nil {
		m.Invocations, m.GBSeconds = map[string]int{}, map[string]float64{}
	}
	for k, v := range o.Invocations {
		m.Invocations[k] += v
	}
	for k, v := range o.GBSeconds {
		m.GBSeconds[k] += v
	}
	m.S3Get += o.S3Get
	m.S3Put += o.S3Put
	m.S3List += o.S3List
	m.StagedBytes += o.StagedBytes
	m.SQSRequests += o.SQSRequests
}

// TotalInvocations and TotalGBSeconds over every function.
func (m Measured) TotalInvocations() int {
	n := 0
	for _, v := range m.Invocations {
		n += v
	}
	return n
}

func (m Measured) TotalGBSeconds() float64 {
	var n float64
	for _, v := range m.GBSeconds {
		n += v
	}
	return n
}

// ExpressGBSecond and ExpressRequest are Express workflow list prices
// (us-east-1, the first 1,000 GB-hours); an Express child is billed at
// 64 MB.
const (
	ExpressRequest  = 1.00 / 1e6
	ExpressGBSecond = 0.00001667
	expressGB       = 64.0 / 1024
)

// S3List is the LIST request price (the PUT class).
func (p Prices) S3List() float64 { return p.S3Put }

// Scaled prices objects like the measured ones: every count multiplied by
// objects / m.Objects.
func (m Measured) Scaled(design string, objects float64, p Prices) Estimate {
	if m.Objects == 0 {
		return Estimate{Design: design}
	}
	f := objects / float64(m.Objects)
	inv, gbs := float64(m.TotalInvocations())*f, m.TotalGBSeconds()*f
	lines := []Line{
		{"Step Functions transitions", float64(m.Transitions) * f, float64(m.Transitions) * f * p.StateTransition},
	}
	if m.ChildExecutions > 0 {
		n := float64(m.ChildExecutions) * f
		lines = append(lines, Line{"Express child executions", n, n*ExpressRequest + m.ChildSeconds*f*expressGB*ExpressGBSecond})
	}
	lines = append(lines,
		Line{"Lambda requests", inv, inv * p.LambdaRequest},
		Line{"Lambda GB-seconds", gbs, gbs * p.LambdaGBSecond},
		Line{"SQS requests", float64(m.SQSRequests) * f, float64(m.SQSRequests) * f * p.SQSRequest},
		Line{"S3 GET", float64(m.S3Get) * f, float64(m.S3Get) * f * p.S3Get},
		Line{"S3 PUT", float64(m.S3Put) * f, float64(m.S3Put) * f * p.S3Put},
		Line{"S3 LIST", float64(m.S3List) * f, float64(m.S3List) * f * p.S3List()},
	)
	return Estimate{Design: design, Lines: lines}
}

// Workload is the modelled workload with the measured objects' shape:
// their records per object and the load function's measured rate.
func (m Measured) Workload(objects float64) Workload {
	w := DefaultWorkload
	w.Objects = objects
	if m.Objects > 0 {
		w.RecordsPerObject = float64(m.Records) / float64(m.Objects)
	}
	if s := m.GBSeconds["load"] / (w.MemoryMB / 1024); s > 0 {
		w.RecordsPerSecond = float64(m.Records) / s
	}
	return w
}

// PrintMeasured writes what was counted, per object and per GB of source
// (as stored).
func PrintMeasured(out io.Writer, name string, m Measured) {
	if m.Objects == 0 {
		return
	}
	n, gb := float64(m.Objects), float64(m.SourceBytes)/(1<<30)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "%s: %d objects, %d records, %.1f MB as stored\n", name, m.Objects, m.Records, float64(m.SourceBytes)/(1<<20))
	fmt.Fprintf(tw, "\ttotal\tper object\tper GB\t\n")
	row := func(item string, v float64) {
		fmt.Fprintf(tw, "%s\t%.0f\t%.4g\t%.4g\t\n", item, v, v/n, v/gb)
	}
	row("executions (Standard)", float64(m.Executions))
	row("state transitions", float64(m.Transitions))
	row("child executions (Express)", float64(m.ChildExecutions))
	row("Lambda invocations", float64(m.TotalInvocations()))
	fmt.Fprintf(tw, "%s\t%.1f\t%.4g\t%.4g\t\n", "Lambda GB-seconds", m.TotalGBSeconds(), m.TotalGBSeconds()/n, m.TotalGBSeconds()/gb)
	row("S3 GET", float64(m.S3Get))
	row("S3 PUT", float64(m.S3Put))
	row("S3 LIST", float64(m.S3List))
	row("staged bytes", float64(m.StagedBytes))
	row("SQS requests", float64(m.SQSRequests))
	tw.Flush()
	fmt.Fprintln(out)
}

// Comparison is the table of designs for one workload: cost per million
// objects and per month.
type Comparison struct {
	Objects   float64
	Estimates []Estimate
}

// PrintComparison writes one row per design as a Markdown table.
func PrintComparison(out io.Writer, c Comparison) {
	fmt.Fprintf(out, "| design | state transitions | Lambda | SQS | S3 | per million objects | per month (%s objects) |\n|---|---|---|---|---|---|---|\n", thousands(c.Objects))
	for _, e := range c.Estimates {
		var sfn, lam, sqs, s3 float64
		for _, l := range e.Lines {
			switch {
			case l.Item == "Step Functions transitions" || l.Item == "Express child executions":
				sfn += l.USD
			case strings.HasPrefix(l.Item, "Lambda"):
				lam += l.USD
			case strings.HasPrefix(l.Item, "SQS"):
				sqs += l.USD
			case strings.HasPrefix(l.Item, "S3"):
				s3 += l.USD
			}
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | **%s** | %s |\n", e.Design, usd(sfn), usd(lam), usd(sqs), usd(s3), usd(e.PerMillion(c.Objects)), usd(e.Total()))
	}
}

func usd(v float64) string {
	if v == 0 {
		return "-"
	}
	return "$" + thousands2(v)
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", math.Round(v))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func thousands2(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return whole + "." + frac
}
