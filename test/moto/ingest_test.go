package moto

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/cost"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/parquet/parquettest"
	"github.com/siemloader/siem/shared/pipeline"
)

// The project's ingest state machine, run on moto with the project's step
// code answering every Lambda Invoke.

const (
	ingestASL     = "../../statemachines/ingest.asl.json"
	logBucket     = "siem-logs-123456789012-us-east-1"
	stagingBucket = "siem-staging-123456789012"

	cloudTrailKey = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/123456789012_CloudTrail_us-east-1_20240115T0000Z_abc.json.gz"
	vpcFlowKey    = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0000Z_h.log.gz"
	vpcHeader     = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
)

// stepFunctions maps the ASL's function placeholders to step names.
var stepFunctions = map[string]string{
	"SplitFunctionArn": "split",
	"LoadFunctionArn":  "load",
}

// serveSteps answers the state machine's Lambda invocations with steps.
func serveSteps(s *Server, steps *pipeline.Steps) {
	for _, fn := range stepFunctions {
		s.Handle(fn, func(ctx context.Context, payload []byte) ([]byte, error) {
			return steps.Invoke(ctx, fn, payload)
		})
	}
}

func ingestSubstitutions() map[string]string {
	subs := map[string]string{
		// moto rejects EXPRESS in a distributed ProcessorConfig.
		"ChildExecutionType": "STANDARD",
		"MapMaxConcurrency":  "4",
	}
	for placeholder, fn := range stepFunctions {
		subs[placeholder] = LambdaARN(fn)
	}
	return subs
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// cloudTrailLog is a CloudTrail log file with three events.
func cloudTrailLog() string {
	var recs []string
	for i, ev := range []struct{ source, name, ip, user string }{
		{"signin.amazonaws.com", "ConsoleLogin", "203.0.113.10", "alice"},
		{"ec2.amazonaws.com", "RunInstances", "198.51.100.20", "bob"},
		{"s3.amazonaws.com", "PutBucketPolicy", "192.0.2.30", "carol"},
	} {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%d","arn":"arn:aws:iam::123456789012:user/%s","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE%d","userName":"%s"},"eventTime":"2024-01-15T00:0%d:00Z","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"requestID":"req-%d","eventID":"0a0b0c0d-0000-4000-8000-00000000000%d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"}`,
			i, ev.user, i, ev.user, i, ev.source, ev.name, ev.ip, i, i))
	}
	return `{"Records":[` + strings.Join(recs, ",") + "]}\n"
}

// vpcFlowLog is a version 2 flow log with a header and n records.
func vpcFlowLog(n int) string {
	var b strings.Builder
	b.WriteString(vpcHeader + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60001 10.0.1.%d 203.0.113.%d %d 443 6 %d %d 1705276800 1705276860 ACCEPT OK\n",
			i, 100+i, 40000+i, 10+i, 840+i)
	}
	return b.String()
}

const vpcFlowParquetKey = "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=01/day=15/hour=00/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0000Z_h.log.parquet"

// vpcFlowParquet is vpcFlowLog(n) as Flow Logs' Parquet delivery, in row
// groups of perGroup rows.
func vpcFlowParquet(t *testing.T, n, perGroup int) []byte {
	t.Helper()
	b, err := parquettest.FromText(vpcFlowLog(n), parquettest.FlowLogTypes, perGroup, parquettest.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// objectCreated is the EventBridge event S3 sends for a new object.
func objectCreated(bucket, key string, size int) string {
	ev := map[string]any{
		"version":     "0",
		"id":          "17793124-05d4-b198-2fde-7ededc63b103",
		"detail-type": "Object Created",
		"source":      "aws.s3",
		"account":     Account,
		"time":        "2024-01-15T00:05:00Z",
		"region":      Region,
		"resources":   []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{
			"version": "0",
			"bucket":  map[string]any{"name": bucket},
			"object":  map[string]any{"key": key, "size": size, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "00617F08299329D189"},
			"reason":  "PutObject",
		},
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

// ingestCase is one object through the whole state machine.
type ingestCase struct {
	name string
	key  string
	body []byte
	cfg  func(*pipeline.StepsConfig)

	// flakyIndex makes the indexer's first n calls fail retryably.
	flakyIndex int

	docs        int
	invocations map[string]int
	// failures counts invocations that returned an error, by errorType.
	failures map[string]int
	states   []string
	mapItems int64 // 0: no Map run expected
	// rowGroups: chunks are row-group ranges of the source (Parquet), not
	// staged copies.
	rowGroups bool
}

func TestIngest(t *testing.T) {
	srv := Start(t, nil)

	vpc := gzipped(vpcFlowLog(60))
	const inlineMax = 256
	if len(vpc) <= inlineMax {
		t.Fatalf("VPC sample is %d bytes gzipped: not above InlineMaxBytes %d, it would go inline", len(vpc), inlineMax)
	}

	cases := []ingestCase{
		{
			name: "CloudTrailInline",
			key:  cloudTrailKey,
			body: gzipped(cloudTrailLog()),
			cfg:  func(*pipeline.StepsConfig) {},
			docs: 3,
			invocations: map[string]int{
				"split": 1, "load": 1,
			},
			states: []string{"Input", "Split", "Route", "Load", "Done"},
		},
		{
			// OpenSearch throttles once: the index step's *bulk.RetryableError
			// reaches the state machine as errorType RetryableError and its
			// Retry runs the step again (up to 2 s: IntervalSeconds 2, FULL jitter).
			name:       "CloudTrailIndexRetried",
			key:        cloudTrailKey,
			body:       gzipped(cloudTrailLog()),
			cfg:        func(*pipeline.StepsConfig) {},
			flakyIndex: 1,
			docs:       3,
			invocations: map[string]int{
				"split": 1, "load": 2,
			},
			failures: map[string]int{"RetryableError": 1},
			states:   []string{"Input", "Split", "Route", "Load", "Done"},
		},
		{
			name: "VPCFlowDistributedMap",
			key:  vpcFlowKey,
			body: vpc,
			cfg: func(c *pipeline.StepsConfig) {
				c.ChunkRecords = 20
				c.InlineMaxBytes = inlineMax
			},
			docs: 60,
			invocations: map[string]int{
				// split: the plan plus the Summarize call.
				"split": 2, "load": 3,
			},
			states:   []string{"Input", "Split", "Route", "MapSettings", "ProcessChunks", "Summarize", "AnyChunkFailed", "Done"},
			mapItems: 3,
		},
		{
			// Six row groups of ten flows: split reads only the footer and
			// plans three chunks of two groups; each child range-reads its
			// groups from the source object.
			name: "VPCFlowParquetRowGroups",
			key:  vpcFlowParquetKey,
			body: vpcFlowParquet(t, 60, 10),
			cfg: func(c *pipeline.StepsConfig) {
				c.ChunkRecords = 20
				c.InlineMaxBytes = inlineMax
			},
			docs: 60,
			invocations: map[string]int{
				"split": 2, "load": 3,
			},
			states:    []string{"Input", "Split", "Route", "MapSettings", "ProcessChunks", "Summarize", "AnyChunkFailed", "Done"},
			mapItems:  3,
			rowGroups: true,
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := srv.For(t)
			s.Reset()
			s.CreateBucket(logBucket, stagingBucket)
			s.PutObject(logBucket, tc.key, tc.body)
			sm := s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())

			sink := bulktest.NewMemorySink()
			cfg := pipeline.StepsConfig{
				Store:         blob.S3{Client: s.S3},
				StagingBucket: stagingBucket,
				Indexer:       sink,
				Now:           func() time.Time { return time.Date(2024, 1, 15, 1, 0, 0, 0, time.UTC) },
			}
			if tc.flakyIndex > 0 {
				cfg.Indexer = &flakyIndexer{Indexer: sink, fail: tc.flakyIndex}
			}
			tc.cfg(&cfg)
			steps, err := pipeline.NewSteps(cfg)
			if err != nil {
				t.Fatal(err)
			}
			serveSteps(s, steps)

			e := sm.Run(strings.ToLower(tc.name), objectCreated(logBucket, tc.key, len(tc.body)))
			if !e.Succeeded() {
				for _, inv := range s.Invocations() {
					if inv.Err != nil {
						t.Logf("%s failed (%s): %v\npayload: %s", inv.Function, inv.ErrorType, inv.Err, truncate(string(inv.Payload), 500))
					}
				}
				t.Fatalf("execution %s: %s %s", e.Status, e.Error, truncate(e.Cause, 1000))
			}

			if got := s.InvocationCounts(); !reflect.DeepEqual(got, tc.invocations) {
				t.Errorf("invocations %v, want %v", got, tc.invocations)
			}
			failures := map[string]int{}
			for _, inv := range s.Invocations() {
				if inv.Err != nil {
					failures[inv.ErrorType]++
					t.Logf("%s returned %s: %v", inv.Function, inv.ErrorType, inv.Err)
				}
			}
			if tc.failures == nil {
				tc.failures = map[string]int{}
			}
			if !reflect.DeepEqual(failures, tc.failures) {
				t.Errorf("failed invocations by errorType %v, want %v", failures, tc.failures)
			}
			if got := e.States(); !reflect.DeepEqual(got, tc.states) {
				t.Errorf("states %v, want %v", got, tc.states)
			}
			// What shared/cost charges for an object on its own, measured.
			if tc.mapItems == 0 && len(e.States()) != cost.InlineTransitions {
				t.Errorf("entered %d states, shared/cost counts %d for the inline path", len(e.States()), cost.InlineTransitions)
			}

			docs := sink.Docs()
			if len(docs) != tc.docs {
				t.Errorf("%d documents indexed, want %d", len(docs), tc.docs)
			}
			ids := map[string]bool{}
			for _, d := range docs {
				ids[d.Index+"/"+d.ID] = true
			}
			if len(ids) != len(docs) {
				t.Errorf("%d documents but %d distinct ids", len(docs), len(ids))
			}

			// The final output is the Load step's output (inline) or the
			// Summary (Map); both carry the counts.
			var out struct {
				Source pipeline.ObjectRef `json:"source"`
				Chunk  *pipeline.Chunk    `json:"chunk"`
				Chunks int                `json:"chunks"`
				Counts pipeline.Counts    `json:"counts"`
			}
			if err := json.Unmarshal(e.Output, &out); err != nil {
				t.Fatalf("output %s: %v", e.Output, err)
			}
			c := out.Counts
			if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped {
				t.Errorf("accounting: records_in %d != indexed %d + dead_lettered %d + skipped %d", c.RecordsIn, c.Indexed, c.DeadLettered, c.Skipped)
			}
			if c.RecordsIn != tc.docs || c.Indexed != tc.docs || c.Pending != 0 {
				t.Errorf("counts %+v, want %d records in and indexed, none pending", c, tc.docs)
			}

			if tc.mapItems == 0 {
				if out.Chunk == nil || out.Chunk.Staged || out.Chunk.Data.Key != tc.key {
					t.Errorf("inline path: output chunk %+v, want the source object itself", out.Chunk)
				}
				return
			}
			if out.Chunks != int(tc.mapItems) || out.Source.Key != tc.key {
				t.Errorf("summary: %d chunks of %q, want %d of %q", out.Chunks, out.Source.Key, tc.mapItems, tc.key)
			}
			runs := s.MapRuns(e.ARN)
			if len(runs) != 1 || runs[0].Items == nil || runs[0].Items.Total != tc.mapItems || runs[0].Items.Succeeded != tc.mapItems {
				t.Errorf("map runs %+v, want one with %d items succeeded", runs, tc.mapItems)
			}
			if len(runs) == 1 && runs[0].MaxConcurrency != 4 {
				t.Errorf("map run max concurrency %d, want 4 (${MapMaxConcurrency} through MapSettings)", runs[0].MaxConcurrency)
			}
			// Every chunk was loaded once, 20 records each: from staging, or
			// as row groups of the source.
			var seqs []int
			for _, inv := range s.Invocations("load") {
				var in struct {
					Action pipeline.Action `json:"action"`
					Chunk  pipeline.Chunk  `json:"chunk"`
				}
				if err := json.Unmarshal(inv.Payload, &in); err != nil || in.Action != pipeline.ActionLoadChunk {
					t.Fatalf("load payload %s: %v, want action %s", inv.Payload, err, pipeline.ActionLoadChunk)
				}
				ch := in.Chunk
				if tc.rowGroups {
					if ch.Staged || ch.RowGroups == nil || *ch.RowGroups != [2]int{2 * ch.Seq, 2*ch.Seq + 2} || ch.Data.Key != tc.key || ch.Records != 20 {
						t.Errorf("load payload %s: want row groups %d-%d of the source, 20 records", inv.Payload, 2*ch.Seq, 2*ch.Seq+2)
					}
				} else if !ch.Staged || ch.Data.Bucket != stagingBucket || ch.Records != 20 || ch.Source.Key != tc.key {
					t.Errorf("load payload %s: want a staged chunk of 20 records", inv.Payload)
				}
				seqs = append(seqs, ch.Seq)
			}
			sort.Ints(seqs)
			if !reflect.DeepEqual(seqs, []int{0, 1, 2}) {
				t.Errorf("loaded chunk seqs %v, want [0 1 2]", seqs)
			}
		})
	}
}

// flakyIndexer fails its first calls as a throttled OpenSearch would.
type flakyIndexer struct {
	bulk.Indexer
	mu   sync.Mutex
	fail int
}

func (f *flakyIndexer) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	f.mu.Lock()
	fail := f.fail > 0
	f.fail--
	f.mu.Unlock()
	if fail {
		return bulk.Result{}, &bulk.RetryableError{Status: 429, Reason: "es_rejected_execution_exception"}
	}
	return f.Indexer.Index(ctx, docs)
}
