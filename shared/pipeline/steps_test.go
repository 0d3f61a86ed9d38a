package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob/blobtest"
	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/bulk/bulktest"
	"github.com/siemloader/siem/shared/format"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
)

const (
	logBucket = "siem-logs-123456789012"
	staging   = "siem-staging-123456789012"
	vpcKey    = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234_20240115T0000Z_h.log.gz"
	vpcHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func vpcLines(n int, bad ...int) string {
	var sb strings.Builder
	sb.WriteString(vpcHeader + "\n")
	isBad := map[int]bool{}
	for _, b := range bad {
		isBad[b] = true
	}
	for i := 1; i <= n; i++ {
		if isBad[i] {
			sb.WriteString("2 123456789012 truncated\n")
			continue
		}
		fmt.Fprintf(&sb, "2 123456789012 eni-0a 10.0.0.%d 198.51.100.7 %d 443 6 10 %d 1700000000 1700000060 ACCEPT OK\n", i%250, 1024+i, 100+i)
	}
	return sb.String()
}

type fixture struct {
	store *blobtest.Memory
	sink  *bulktest.MemorySink
	steps *pipeline.Steps
}

func newFixture(t *testing.T, cfg pipeline.StepsConfig) *fixture {
	t.Helper()
	f := &fixture{store: blobtest.NewMemory(), sink: bulktest.NewMemorySink()}
	cfg.Store, cfg.StagingBucket = f.store, staging
	if cfg.Indexer == nil {
		cfg.Indexer = f.sink
	}
	cfg.Now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	s, err := pipeline.NewSteps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.steps = s
	return f
}

// invoke runs a function on an action's payload as the state machine
// does and decodes the answer into out.
func (f *fixture) invoke(t *testing.T, function string, payload map[string]any, out any) {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.steps.Invoke(context.Background(), function, b)
	if err != nil {
		t.Fatalf("%s %s: %v", function, payload["action"], err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("%s %s answered %s: %v", function, payload["action"], res, err)
	}
}

// runAll drives the deployed functions the way the ingest state machine
// does (split; load_chunk for the inline chunk or for each chunk of the
// manifest; summarize over a Map run) and returns the total counts.
func (f *fixture) runAll(t *testing.T, in pipeline.SplitInput) (pipeline.SplitOutput, pipeline.Counts) {
	t.Helper()
	ctx := context.Background()
	var sp pipeline.SplitOutput
	f.invoke(t, pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSplit, "object": in}, &sp)
	var chunks []pipeline.Chunk
	switch {
	case sp.Skipped:
		return sp, pipeline.Counts{}
	case sp.Chunk != nil:
		var out pipeline.StepOutput
		f.invoke(t, pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": sp.Chunk}, &out)
		return sp, out.Counts
	default:
		rc, err := f.store.Get(ctx, sp.Manifest.Bucket, sp.Manifest.Key)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(rc).Decode(&chunks)
	}
	var results []json.RawMessage
	for _, c := range chunks {
		var x json.RawMessage
		f.invoke(t, pipeline.FunctionLoad, map[string]any{"action": pipeline.ActionLoadChunk, "chunk": c}, &x)
		results = append(results, x)
	}
	var sum pipeline.Summary
	f.invoke(t, pipeline.FunctionSplit, map[string]any{"action": pipeline.ActionSummarize, "results": results, "source": sp.Source, "log_type": sp.LogType}, &sum)
	if sum.Chunks != len(chunks) {
		t.Errorf("summary counts %d chunks, ran %d", sum.Chunks, len(chunks))
	}
	return sp, sum.Counts
}

func identity(t *testing.T, c pipeline.Counts) {
	t.Helper()
	if c.RecordsIn != c.Indexed+c.DeadLettered+c.Skipped || c.Pending != 0 {
		t.Errorf("accounting broken: %+v", c)
	}
}

func TestSplitSkips(t *testing.T) {
	vpc := *logtype.Builtin().Get("vpcflowlogs")
	vpc.KeyIgnored = "/test-ignore/"
	reg, err := logtype.Builtin().WithOverrides([]*logtype.Definition{&vpc})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pipeline.StepsConfig{Registry: reg})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, "AWSLogs/123456789012/vpcflowlogs/us-east-1/empty.log.gz", nil)
	f.store.Put(ctx, logBucket, "random/file.txt", []byte("hello"))
	cases := []struct {
		in   pipeline.SplitInput
		want string
	}{
		{pipeline.SplitInput{Bucket: logBucket, Key: "AWSLogs/123456789012/CloudTrail/"}, pipeline.SkipFolder},
		{pipeline.SplitInput{Bucket: logBucket, Key: "AWSLogs/123456789012/vpcflowlogs/us-east-1/empty.log.gz"}, pipeline.SkipEmpty},
		{pipeline.SplitInput{Bucket: logBucket, Key: "random/file.txt"}, pipeline.SkipUnknownType},
		{pipeline.SplitInput{Bucket: logBucket, Key: "siem-loader/exports/CloudTrail/x.json"}, pipeline.SkipOwnLog},
		{pipeline.SplitInput{Bucket: staging, Key: "staging/chunks/x/CloudTrail/00000.chunk.gz"}, pipeline.SkipOwnLog},
		// Digest files hold no events and match no log type.
		{pipeline.SplitInput{Bucket: logBucket, Key: "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/x.json.gz"}, pipeline.SkipUnknownType},
		{pipeline.SplitInput{Bucket: logBucket, Key: "AWSLogs/123456789012/vpcflowlogs/us-east-1/test-ignore/x.log"}, pipeline.SkipIgnoredKey},
	}
	for _, c := range cases {
		out, err := f.steps.Split(ctx, c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in.Key, err)
		}
		if !out.Skipped || out.SkipReason != c.want {
			t.Errorf("%s: skipped=%v reason=%q, want %q", c.in.Key, out.Skipped, out.SkipReason, c.want)
		}
	}
}

func TestSplitDecodesEventBridgeKeyOnce(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	var in pipeline.SplitInput
	// "a+b%2Bc%25d" is "a b+c%d" encoded once; it must not be decoded twice.
	json.Unmarshal([]byte(`{"detail":{"bucket":{"name":"`+logBucket+`"},"object":{"key":"AWSLogs/123456789012/vpcflowlogs/a+b%2Bc%25d.log","size":10}}}`), &in)
	out, err := f.steps.Split(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Source.Key != "AWSLogs/123456789012/vpcflowlogs/a b+c%d.log" {
		t.Errorf("key decoded to %q", out.Source.Key)
	}
	if out.ChunkCount != 1 || out.Chunk == nil || out.Chunk.Staged {
		t.Errorf("small object should go inline: %+v", out)
	}
}

func TestInlineAndChunkedGiveSameDocuments(t *testing.T) {
	content := gz(vpcLines(95, 7, 60))
	run := func(cfg pipeline.StepsConfig) ([]bulk.Doc, pipeline.SplitOutput, pipeline.Counts, *fixture) {
		f := newFixture(t, cfg)
		f.store.Put(context.Background(), logBucket, vpcKey, content)
		sp, counts := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
		return f.sink.Docs(), sp, counts, f
	}
	inlineDocs, sp1, c1, _ := run(pipeline.StepsConfig{})
	if sp1.ChunkCount != 1 || sp1.Chunk.Staged {
		t.Fatalf("want inline path, got %+v", sp1)
	}
	chunkDocs, sp2, c2, f2 := run(pipeline.StepsConfig{InlineMaxBytes: 1, ChunkRecords: 20})
	if sp2.ChunkCount != 5 || sp2.Manifest == nil {
		t.Fatalf("want 5 chunks through a manifest, got %+v", sp2)
	}
	for _, c := range []pipeline.Counts{c1, c2} {
		identity(t, c)
		if c.RecordsIn != 95 || c.Indexed != 93 || c.DeadLettered != 2 {
			t.Errorf("counts %+v, want 95 in, 93 indexed, 2 dead-lettered", c)
		}
	}
	if len(inlineDocs) != len(chunkDocs) {
		t.Fatalf("inline %d docs, chunked %d", len(inlineDocs), len(chunkDocs))
	}
	ids := map[string]int{}
	for _, d := range inlineDocs {
		ids[d.ID] = d.Record
	}
	for _, d := range chunkDocs {
		if rec, ok := ids[d.ID]; !ok || rec != d.Record {
			t.Errorf("chunked doc %s (record %d) not produced inline (record %d)", d.ID, d.Record, rec)
		}
	}
	// Dead letters name the object, the line and the reason.
	keys, _ := f2.store.List(context.Background(), staging, "dead-letter/parse/")
	var dls []pipeline.DeadLetter
	for _, k := range keys {
		rc, _ := f2.store.Get(context.Background(), staging, k)
		zr, _ := gzip.NewReader(rc)
		dec := json.NewDecoder(zr)
		for {
			var d pipeline.DeadLetter
			if err := dec.Decode(&d); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			dls = append(dls, d)
		}
	}
	if len(dls) != 2 {
		t.Fatalf("want 2 dead letters, got %d (%v)", len(dls), keys)
	}
	for _, d := range dls {
		if d.Source != "s3://"+logBucket+"/"+vpcKey || (d.Record != 8 && d.Record != 61) || d.Raw != "2 123456789012 truncated" || !strings.Contains(d.Reason, "3 fields") {
			t.Errorf("dead letter %+v", d)
		}
	}
}

func TestRetriedChunkDoesNotDuplicate(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{})
	f.store.Put(context.Background(), logBucket, vpcKey, gz(vpcLines(10)))
	f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	first := f.sink.Docs()
	f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	ids := map[string]bool{}
	for _, d := range f.sink.Docs() {
		ids[d.Index+"/"+d.ID] = true
	}
	if len(first) != 10 || len(ids) != 10 {
		t.Errorf("first run %d docs; after a re-run %d distinct ids, want 10", len(first), len(ids))
	}
}

// failing answers like OpenSearch refusing one document for good and
// throttling on demand.
type failing struct {
	refuse    string // id refused with 400
	throttled bool
}

func (f *failing) Index(_ context.Context, docs []bulk.Doc) (bulk.Result, error) {
	if f.throttled {
		return bulk.Result{}, &bulk.RetryableError{Status: 429, Reason: "too many requests"}
	}
	var r bulk.Result
	for _, d := range docs {
		if d.ID == f.refuse {
			r.Failed = append(r.Failed, bulk.Failure{Doc: d, Status: 400, Type: "mapper_parsing_exception", Reason: "failed to parse field [source.port] of type [long]"})
			continue
		}
		r.Indexed++
	}
	return r, nil
}

func TestIndexDeadLettersRefusedAndRetriesThrottled(t *testing.T) {
	ix := &failing{}
	f := newFixture(t, pipeline.StepsConfig{Indexer: ix})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(5)))
	sp, _ := f.steps.Split(ctx, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	load, _ := json.Marshal(map[string]any{"action": pipeline.ActionLoadChunk, "chunk": sp.Chunk})
	ix.throttled = true
	_, err := f.steps.Invoke(ctx, pipeline.FunctionLoad, load)
	var re *bulk.RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("throttling must surface as RetryableError, got %v", err)
	}
	// The Lambda error type the state machine matches is the Go type name.
	if got := fmt.Sprintf("%T", pipeline.LambdaError(fmt.Errorf("wrapped: %w", err))); got != "*bulk.RetryableError" {
		t.Errorf("LambdaError returned %s", got)
	}
	// Find the id of record 4 and refuse it.
	ms := bulktest.NewMemorySink()
	f2 := newFixture(t, pipeline.StepsConfig{Indexer: ms})
	f2.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(5)))
	f2.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	for _, d := range ms.Docs() {
		if d.Record == 4 {
			ix.refuse = d.ID
		}
	}
	ix.throttled = false
	res, err := f.steps.Invoke(ctx, pipeline.FunctionLoad, load)
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	identity(t, out.Counts)
	if out.Counts.Indexed != 4 || out.Counts.DeadLettered != 1 || out.Counts.Reasons["OpenSearch 400 mapper_parsing_exception"] != 1 {
		t.Errorf("counts %+v", out.Counts)
	}
	keys, _ := f.store.List(ctx, staging, "dead-letter/index/")
	if len(keys) != 1 {
		t.Fatalf("index dead letters: %v", keys)
	}
}

func TestFailChunkDeadLettersEveryRecord(t *testing.T) {
	f := newFixture(t, pipeline.StepsConfig{InlineMaxBytes: 1, ChunkRecords: 4})
	ctx := context.Background()
	f.store.Put(ctx, logBucket, vpcKey, gz(vpcLines(10)))
	sp, err := f.steps.Split(ctx, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	if err != nil || sp.ChunkCount != 3 {
		t.Fatalf("split: %v %+v", err, sp)
	}
	rc, _ := f.store.Get(ctx, sp.Manifest.Bucket, sp.Manifest.Key)
	var chunks []pipeline.Chunk
	json.NewDecoder(rc).Decode(&chunks)
	payload, _ := json.Marshal(map[string]any{"action": pipeline.ActionFailChunk, "chunk": chunks[1], "error": map[string]string{"Error": "States.Timeout", "Cause": "task timed out"}})
	res, err := f.steps.Invoke(ctx, pipeline.FunctionSplit, payload)
	if err != nil {
		t.Fatal(err)
	}
	var out pipeline.StepOutput
	json.Unmarshal(res, &out)
	identity(t, out.Counts)
	if out.Counts.RecordsIn != 4 || out.Counts.DeadLettered != 4 {
		t.Errorf("counts %+v", out.Counts)
	}
}

// CloudWatch Logs subscription data chunked through staging: control
// messages stay counted skips in the chunk files, every log event keeps
// its envelope (log group, account) and ids match the inline run.
func TestCWLChunkedLikeInline(t *testing.T) {
	const key = "AWSLogs/123456789012/ClientVPN/us-east-1/2024/03/04/05/siem-clientvpn-1-2024-03-04-05-00-00-abc"
	var sb strings.Builder
	for env := 0; env < 5; env++ {
		sb.WriteString(`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`)
		fmt.Fprintf(&sb, `{"messageType":"DATA_MESSAGE","owner":"210987654321","logGroup":"/aws/clientvpn/e%d","logStream":"s","logEvents":[`, env)
		for i := 0; i < 7; i++ {
			if i > 0 {
				sb.WriteString(",")
			}
			msg := fmt.Sprintf(`{"connection-log-type":"connection-attempt","connection-attempt-status":"successful","connection-last-update-time":"2024-03-04 05:0%d:00","device-ip":"198.51.100.%d","username":"u%d"}`, i, env*10+i, i)
			if i == 3 {
				msg = "not json"
			}
			b, _ := json.Marshal(msg)
			fmt.Fprintf(&sb, `{"id":"%d%d","timestamp":1709528400000,"message":%s}`, env, i, b)
		}
		sb.WriteString("]}")
	}
	content := gz(sb.String())
	run := func(cfg pipeline.StepsConfig) ([]bulk.Doc, pipeline.SplitOutput, pipeline.Counts) {
		f := newFixture(t, cfg)
		f.store.Put(context.Background(), logBucket, key, content)
		sp, counts := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: key})
		return f.sink.Docs(), sp, counts
	}
	inline, sp1, c1 := run(pipeline.StepsConfig{})
	chunked, sp2, c2 := run(pipeline.StepsConfig{InlineMaxBytes: 1, ChunkRecords: 6})
	if sp1.Chunk == nil || sp2.ChunkCount != 7 {
		t.Fatalf("want inline, then 7 chunks: %+v %+v", sp1, sp2)
	}
	for _, c := range []pipeline.Counts{c1, c2} {
		identity(t, c)
		if c.RecordsIn != 40 || c.Indexed != 30 || c.DeadLettered != 5 || c.Skipped != 5 || c.Reasons["CloudWatch Logs control message"] != 5 {
			t.Errorf("counts %+v, want 40 in: 30 indexed, 5 dead-lettered, 5 skipped control messages", c)
		}
	}
	ids := map[string]bool{}
	for _, d := range inline {
		ids[d.ID] = true
	}
	for _, d := range chunked {
		var src map[string]any
		json.Unmarshal(d.Source, &src)
		if !ids[d.ID] || !strings.HasPrefix(fmt.Sprint(src["@log_group"]), "/aws/clientvpn/e") || src["cloud"].(map[string]any)["account"].(map[string]any)["id"] != "210987654321" {
			t.Errorf("chunked doc %s: %v", d.ID, src)
		}
	}
	if len(chunked) != len(inline) {
		t.Errorf("inline %d docs, chunked %d", len(inline), len(chunked))
	}
}

// readOnlyIndexer refuses writes to the listed indices as OpenSearch does
// for a read-only block.
type readOnlyIndexer struct {
	sink     *bulktest.MemorySink
	readOnly map[string]bool
}

func (r *readOnlyIndexer) Index(ctx context.Context, docs []bulk.Doc) (bulk.Result, error) {
	var ok []bulk.Doc
	var res bulk.Result
	for _, d := range docs {
		if r.readOnly[d.Index] {
			res.Failed = append(res.Failed, bulk.Failure{Doc: d, Status: 403, Type: "cluster_block_exception", Reason: "index [" + d.Index + "] blocked by: [FORBIDDEN/8/index write (api)];"})
			continue
		}
		ok = append(ok, d)
	}
	got, err := r.sink.Index(ctx, ok)
	res.Indexed = got.Indexed
	return res, err
}

// Documents for a read-only index go to <index>_02 (then _03 ...), as the
// reference redirects them, instead of being dead-lettered.
func TestIndexRedirectsFromReadOnlyIndices(t *testing.T) {
	sink := bulktest.NewMemorySink()
	idx := &readOnlyIndexer{sink: sink, readOnly: map[string]bool{}}
	f := newFixture(t, pipeline.StepsConfig{Indexer: idx})
	f.store.Put(context.Background(), logBucket, vpcKey, gz(vpcLines(5)))
	// Find the index the documents go to, then block it and its _02.
	probe := newFixture(t, pipeline.StepsConfig{})
	probe.store.Put(context.Background(), logBucket, vpcKey, gz(vpcLines(5)))
	probe.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	index := probe.sink.Docs()[0].Index
	idx.readOnly[index], idx.readOnly[index+"_02"] = true, true
	_, c := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
	identity(t, c)
	if c.Indexed != 5 || c.DeadLettered != 0 {
		t.Errorf("counts %+v", c)
	}
	for _, d := range sink.Docs() {
		if d.Index != index+"_03" {
			t.Errorf("document in %s, want %s_03", d.Index, index)
		}
	}
}

// The state machine's path (split into staged chunks, then load_chunk per
// chunk) gives a line over the record limit the same one dead letter as
// the inline path: split frames it once (#D in the chunk file), load
// dead-letters it with its first bytes, and the lines after it load, in
// their chunks.
func TestSplitLineOverLimit(t *testing.T) {
	old := format.CurrentLimits()
	format.SetLimits(format.Limits{MaxRecordBytes: 4096})
	t.Cleanup(func() { format.SetLimits(old) })
	lines := strings.SplitAfter(vpcLines(12), "\n")
	// Line 6 of the file (record 5) is 20 KB long.
	lines[5] = "2 123456789012 eni-0a " + strings.Repeat("9", 20000) + "\n"
	content := strings.Join(lines, "")
	for _, cfg := range []pipeline.StepsConfig{{}, {InlineMaxBytes: 1, ChunkRecords: 4}} {
		f := newFixture(t, cfg)
		ctx := context.Background()
		f.store.Put(ctx, logBucket, vpcKey, gz(content))
		sp, counts := f.runAll(t, pipeline.SplitInput{Bucket: logBucket, Key: vpcKey})
		identity(t, counts)
		if counts.RecordsIn != 12 || counts.Indexed != 11 || counts.DeadLettered != 1 || counts.Reasons["record too long"] != 1 {
			t.Errorf("chunks %d: counts %+v", sp.ChunkCount, counts)
		}
		if cfg.InlineMaxBytes == 1 && sp.ChunkCount != 3 {
			t.Errorf("want 3 staged chunks, got %d", sp.ChunkCount)
		}
		keys, _ := f.store.List(ctx, staging, "dead-letter/parse/")
		var found []pipeline.DeadLetter
		for _, k := range keys {
			rc, _ := f.store.Get(ctx, staging, k)
			zr, _ := gzip.NewReader(rc)
			dec := json.NewDecoder(zr)
			for {
				var d pipeline.DeadLetter
				if dec.Decode(&d) != nil {
					break
				}
				found = append(found, d)
			}
		}
		if len(found) != 1 || found[0].Record != 6 || len(found[0].Raw) != format.TruncatedRawBytes || !strings.Contains(found[0].Reason, "record too long: 20023 bytes") {
			for _, d := range found {
				t.Errorf("chunks %d: dead letter record %d, %d raw bytes, %s", sp.ChunkCount, d.Record, len(d.Raw), d.Reason)
			}
			if len(found) != 1 {
				t.Errorf("chunks %d: %d dead letters", sp.ChunkCount, len(found))
			}
		}
	}
}
