package stepfunctions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
)

const (
	logBucket = "siem-logs-123456789012-us-east-1"
	staging   = "siem-staging-123456789012"
	aslFile   = "../../statemachines/ingest.asl.json"
)

var functions = map[string]string{"Split": "split", "Parse": "parse", "Enrich": "enrich", "Index": "index"}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// deploy wires the steps to moto's S3 and registers them as the functions
// the state machine invokes; it returns the state machine ARN.
func deploy(t *testing.T, m *Moto, cfg pipeline.StepsConfig, sink *bulk.MemorySink) string {
	t.Helper()
	m.Reset()
	m.Bucket(logBucket)
	m.Bucket(staging)
	cfg.Store, cfg.StagingBucket, cfg.Indexer = blob.S3{Client: m.S3}, staging, sink
	steps, err := pipeline.NewSteps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]string{"ChildExecutionType": "STANDARD", "MapMaxConcurrency": "4"}
	for fn, step := range functions {
		step := step
		m.Handle(fn, func(ctx context.Context, p []byte) ([]byte, error) { return steps.Invoke(ctx, step, p) })
		subs[fn+"FunctionArn"] = "arn:aws:lambda:us-east-1:123456789012:function:" + fn
	}
	return m.StateMachine("ingest", aslFile, subs)
}

func event(key string, size int) string {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "e-1", "detail-type": "Object Created", "source": "aws.s3",
		"account": "123456789012", "region": "us-east-1", "resources": []string{"arn:aws:s3:::" + logBucket},
		"detail": map[string]any{"bucket": map[string]any{"name": logBucket}, "object": map[string]any{"key": key, "size": size}},
	})
	return string(b)
}

type counts struct {
	Counts pipeline.Counts `json:"counts"`
	Chunks int             `json:"chunks"`
}

func checkIdentity(t *testing.T, ex Execution) pipeline.Counts {
	t.Helper()
	var c counts
	if err := json.Unmarshal([]byte(ex.Output), &c); err != nil {
		t.Fatalf("output %q: %v", ex.Output, err)
	}
	k := c.Counts
	if k.RecordsIn == 0 || k.RecordsIn != k.Indexed+k.DeadLettered+k.Skipped || k.Pending != 0 {
		t.Errorf("accounting identity broken: %+v", k)
	}
	return k
}

func TestIngestStateMachine(t *testing.T) {
	m := Start(t)

	t.Run("single chunk (inline path)", func(t *testing.T) {
		sink := bulk.NewMemorySink()
		arn := deploy(t, m, pipeline.StepsConfig{}, sink)
		key := "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/123456789012_CloudTrail_us-east-1_20240115T0000Z_abc.json.gz"
		var recs []string
		for i := 1; i <= 3; i++ {
			recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2024-01-15T00:0%d:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","eventID":"ev-%d","recipientAccountId":"123456789012"}`, i, i, i))
		}
		body := gz(`{"Records":[` + strings.Join(recs, ",") + `]}`)
		m.Put(logBucket, key, body)
		ex := m.Run(arn, "inline-1", event(key, len(body)))
		if ex.Status != "SUCCEEDED" {
			t.Fatalf("%s %s %s\n%s", ex.Status, ex.Error, ex.Cause, ex.Trace)
		}
		k := checkIdentity(t, ex)
		if k.RecordsIn != 3 || k.Indexed != 3 {
			t.Errorf("counts %+v", k)
		}
		docs := sink.Docs()
		if len(docs) != 3 || docs[0].Index != "log-aws-cloudtrail-2024-01" || docs[0].ID != "ev-1" {
			t.Errorf("indexed %+v", docs)
		}
		for fn, want := range map[string]int{"Split": 1, "Parse": 1, "Enrich": 1, "Index": 1} {
			if got := m.Calls(fn); got != want {
				t.Errorf("%s invoked %d times, want %d", fn, got, want)
			}
		}
	})

	t.Run("multi chunk (distributed map)", func(t *testing.T) {
		sink := bulk.NewMemorySink()
		arn := deploy(t, m, pipeline.StepsConfig{ChunkRecords: 20, InlineMaxBytes: 1}, sink)
		key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0000Z_h.log.gz"
		var sb strings.Builder
		sb.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
		for i := 1; i <= 60; i++ {
			if i == 33 {
				sb.WriteString("2 123456789012 truncated-line\n")
				continue
			}
			fmt.Fprintf(&sb, "2 123456789012 eni-0a 10.0.0.%d 198.51.100.7 %d 443 6 10 %d 1705276800 1705276860 ACCEPT OK\n", i, 1024+i, 100+i)
		}
		body := gz(sb.String())
		m.Put(logBucket, key, body)
		ex := m.Run(arn, "map-1", event(key, len(body)))
		if ex.Status != "SUCCEEDED" {
			t.Fatalf("%s %s %s\n%s", ex.Status, ex.Error, ex.Cause, ex.Trace)
		}
		k := checkIdentity(t, ex)
		if k.RecordsIn != 60 || k.Indexed != 59 || k.DeadLettered != 1 {
			t.Errorf("counts %+v", k)
		}
		if n := len(sink.Docs()); n != 59 {
			t.Errorf("%d documents reached the index step, want 59", n)
		}
		// 60 records in chunks of 20: three children, each parse/enrich/index once.
		for fn, want := range map[string]int{"Split": 1, "Parse": 3, "Enrich": 3, "Index": 4} {
			if got := m.Calls(fn); got != want {
				t.Errorf("%s invoked %d times, want %d (Index includes the summary)", fn, got, want)
			}
		}
		var out counts
		json.Unmarshal([]byte(ex.Output), &out)
		if out.Chunks != 3 {
			t.Errorf("summary counts %d chunks, want 3", out.Chunks)
		}
	})

	t.Run("skipped object", func(t *testing.T) {
		arn := deploy(t, m, pipeline.StepsConfig{}, bulk.NewMemorySink())
		ex := m.Run(arn, "skip-1", event("notes/readme.txt", 10))
		if ex.Status != "SUCCEEDED" || !strings.Contains(ex.Output, pipeline.SkipUnknownType) {
			t.Fatalf("%s %s\n%s", ex.Status, ex.Output, ex.Trace)
		}
		if m.Calls("Parse") != 0 {
			t.Error("a skipped object must not be parsed")
		}
	})

	t.Run("throttled index is retried, then succeeds", func(t *testing.T) {
		sink := bulk.NewMemorySink()
		throttle := &flaky{next: sink, failures: 2}
		arn := deploy(t, m, pipeline.StepsConfig{}, nil)
		// Swap in a flaky indexer: two RetryableErrors, then success.
		steps, _ := pipeline.NewSteps(pipeline.StepsConfig{Store: blob.S3{Client: m.S3}, StagingBucket: staging, Indexer: throttle})
		m.Handle("Index", func(ctx context.Context, p []byte) ([]byte, error) { return steps.Invoke(ctx, "index", p) })
		key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x_20240115T0000Z_h.log"
		body := []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 123456789012 eni-0a 10.0.0.1 198.51.100.7 1024 443 6 10 100 1705276800 1705276860 ACCEPT OK\n")
		m.Put(logBucket, key, body)
		ex := m.Run(arn, "retry-1", event(key, len(body)))
		if ex.Status != "SUCCEEDED" {
			t.Fatalf("%s %s %s\n%s", ex.Status, ex.Error, ex.Cause, ex.Trace)
		}
		if got := m.Calls("Index"); got != 3 {
			t.Errorf("Index invoked %d times, want 3 (two RetryableError, one success)", got)
		}
		if len(sink.Docs()) != 1 {
			t.Errorf("documents: %d", len(sink.Docs()))
		}
	})
}

func TestFailedChunkIsDeadLetteredWhole(t *testing.T) {
	m := Start(t)
	sink := bulk.NewMemorySink()
	arn := deploy(t, m, pipeline.StepsConfig{ChunkRecords: 10, InlineMaxBytes: 1}, sink)
	// The second chunk's documents are refused by a broken cluster for good
	// (a plain, non-retryable error): the Catch dead-letters that chunk.
	broken := &poison{next: sink, record: 15}
	steps, _ := pipeline.NewSteps(pipeline.StepsConfig{Store: blob.S3{Client: m.S3}, StagingBucket: staging, Indexer: broken})
	m.Handle("Index", func(ctx context.Context, p []byte) ([]byte, error) { return steps.Invoke(ctx, "index", p) })
	key := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/y_20240115T0000Z_h.log"
	var sb strings.Builder
	sb.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&sb, "2 123456789012 eni-0a 10.0.0.%d 198.51.100.7 %d 443 6 10 %d 1705276800 1705276860 ACCEPT OK\n", i, 1024+i, 100+i)
	}
	m.Put(logBucket, key, []byte(sb.String()))
	ex := m.Run(arn, "poison-1", event(key, sb.Len()))
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("%s %s %s\n%s", ex.Status, ex.Error, ex.Cause, ex.Trace)
	}
	k := checkIdentity(t, ex)
	if k.RecordsIn != 30 || k.Indexed != 20 || k.DeadLettered != 10 {
		t.Errorf("counts %+v, want 30 in, 20 indexed, 10 dead-lettered", k)
	}
	out, err := m.S3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(staging), Prefix: aws.String("dead-letter/chunk/")})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("chunk dead letters: %v %v", err, out)
	}
}

// poison fails every batch holding a given record number.
type poison struct {
	next   bulk.Indexer
	record int
}

func (p *poison) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	for _, d := range docs {
		if d.Record == p.record {
			return bulk.Result{}, fmt.Errorf("cluster refused the request: index_closed_exception")
		}
	}
	return p.next.Index(ctx, docs)
}

type flaky struct {
	next     bulk.Indexer
	failures int
}

func (f *flaky) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	if f.failures > 0 {
		f.failures--
		return bulk.Result{}, &bulk.RetryableError{Status: 429, Reason: "too many requests"}
	}
	return f.next.Index(ctx, docs)
}
