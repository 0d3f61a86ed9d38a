package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/blob"
	"github.com/siemloader/siem/shared/notify"
)

// fakeBucket lists objs in pages of at most max keys (tokens are offsets).
type fakeBucket struct {
	objs  []blob.ListedObject
	calls int
	puts  map[string][]byte
}

func (f *fakeBucket) ListPage(_ context.Context, bucket, prefix, token string, max int32) ([]blob.ListedObject, string, error) {
	f.calls++
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	end := min(start+int(max), len(f.objs))
	next := ""
	if end < len(f.objs) {
		next = strconv.Itoa(end)
	}
	return f.objs[start:end], next, nil
}

func (f *fakeBucket) Put(_ context.Context, bucket, key string, body []byte) error {
	if f.puts == nil {
		f.puts = map[string][]byte{}
	}
	f.puts[bucket+"/"+key] = body
	return nil
}

var day = time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)

func TestHandleWindowBatchesBigObjectsAndPages(t *testing.T) {
	f := &fakeBucket{}
	for i := range 10 {
		f.objs = append(f.objs, blob.ListedObject{Key: fmt.Sprintf("AWSLogs/x/%02d.log.gz", i), Size: 100, LastModified: day.Add(time.Duration(i) * time.Hour), ETag: "e"})
	}
	f.objs = append(f.objs,
		blob.ListedObject{Key: "AWSLogs/x/big.log.gz", Size: 5 << 20, LastModified: day.Add(3 * time.Hour), ETag: "b"},
		blob.ListedObject{Key: "AWSLogs/x/folder/", Size: 0, LastModified: day},
	)
	step := Step{Lister: f, Store: f, StagingBucket: "staging", Batching: notify.Batching{MaxObjects: 3}, PageKeys: 8}
	st := State{Request: Request{Bucket: "logs", Prefix: "AWSLogs/", Since: "2024-01-15T02:00:00Z", Until: "2024-01-15T08:00:00Z", LogType: "vpcflowlogs"}, Execution: "bf-1"}

	// Page 1: keys 0-7; 2..7 in the window: batches of 3 and 3.
	st, err := step.Handle(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if st.ListedAll || st.Finished || st.Items != 2 || st.Page != 1 || st.Token != "8" {
		t.Fatalf("page 1: %+v", st)
	}
	var items []Item
	if err := json.Unmarshal(f.puts["staging/"+st.Manifest.Key], &items); err != nil {
		t.Fatal(err)
	}
	if st.Manifest.Key != "backfill/bf-1/page-000001.json" || len(items) != 2 || items[0].Kind != "batch" || len(items[0].Objects) != 3 {
		t.Fatalf("manifest %s: %+v", st.Manifest.Key, items)
	}
	if o := items[0].Objects[0]; o.Bucket != "logs" || o.Key != "AWSLogs/x/02.log.gz" || o.LogType != "vpcflowlogs" || o.Size == nil || *o.Size != 100 {
		t.Errorf("first object %+v", o)
	}

	// Page 2: keys 8, 9 (out of the window), big (own execution), folder.
	st.Results = []json.RawMessage{
		json.RawMessage(`{"kind":"batch","loaded":3,"skipped_objects":0,"failed_objects":0,"counts":{"records_in":30,"indexed":29,"dead_lettered":1,"skipped":0}}`),
		json.RawMessage(`{"kind":"batch","failed":true,"loaded":0,"skipped_objects":0,"failed_objects":3,"counts":{"records_in":30,"indexed":0,"dead_lettered":30,"skipped":0}}`),
	}
	if st, err = step.Handle(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if !st.ListedAll || st.Finished || st.Items != 1 || st.Results != nil {
		t.Fatalf("page 2: %+v", st)
	}
	items = nil
	json.Unmarshal(f.puts["staging/"+st.Manifest.Key], &items)
	if len(items) != 1 || items[0].Kind != "object" || len(items[0].Name) != 43 || items[0].Objects[0].Key != "AWSLogs/x/big.log.gz" {
		t.Fatalf("page 2 items %+v", items)
	}

	// The last turn adds the big object's result and finishes.
	st.Results = []json.RawMessage{json.RawMessage(`{"kind":"object","status":"SUCCEEDED"}`), json.RawMessage(`null`)}
	if st, err = step.Handle(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	want := Totals{Listed: 12, OutOfWindow: 4, Empty: 1, Batches: 2, BatchedObjects: 6, IngestExecutions: 1,
		Loaded: 4, FailedObjects: 3, FailedExecutions: 1, Counts: Counts{RecordsIn: 60, Indexed: 29, DeadLettered: 31}}
	if !st.Finished || st.Totals != want || f.calls != 2 {
		t.Errorf("final %+v (%d list calls)\nwant totals %+v", st, f.calls, want)
	}
}

func TestExecutionNamesDeterministic(t *testing.T) {
	o := blob.ListedObject{Key: "k", ETag: "e"}
	first, again, other := executionName("a", "b", o), executionName("a", "b", blob.ListedObject{Key: "k", ETag: "e"}), executionName("a2", "b", o)
	if first != again || first == other {
		t.Error("a big object's ingest execution name must depend on the backfill execution and the object only")
	}
	r := Request{Bucket: "siem-logs-123456789012-us-east-1", Prefix: "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/15/and/much/more/than/eighty/characters/"}
	n := ExecutionName(r, day)
	if len(n) > 80 || n[len(n)-16:] != "20240115T000000Z" {
		t.Errorf("execution name %q", n)
	}
}

func TestRequestValidate(t *testing.T) {
	for _, c := range []struct {
		r  Request
		ok bool
	}{
		{Request{Bucket: "b"}, true},
		{Request{Bucket: "b", Since: "2024-01-01", Until: "2024-02-01T00:00:00Z"}, true},
		{Request{}, false},
		{Request{Bucket: "b", Since: "yesterday"}, false},
		{Request{Bucket: "b", Since: "2024-02-01", Until: "2024-01-01"}, false},
	} {
		if err := c.r.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.r, err)
		}
	}
	if b, p, err := ParseURI("s3://logs/AWSLogs/1/"); err != nil || b != "logs" || p != "AWSLogs/1/" {
		t.Errorf("ParseURI: %q %q %v", b, p, err)
	}
	if _, _, err := ParseURI("./dir"); err == nil {
		t.Error("ParseURI accepted a path")
	}
}

func TestKeyDates(t *testing.T) {
	for key, want := range map[string]string{
		"AWSLogs/1/CloudTrail/us-east-1/2024/01/15/1_CloudTrail_x.json.gz":                                               "2024-01-15T00:00:00Z",
		"AWSLogs/1/RDS/PostgreSQL/postgresql/us-east-1/2024/03/04/05/siem-rds-postgresql-1-x":                            "2024-03-04T05:00:00Z",
		"AWSLogs/aws-account-id=1/service=nginx-access/web-site-name=s/aws-region=r/year=2024/month=03/day=04/hour=05/x": "2024-03-04T05:00:00Z",
		"AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=r/year=2024/month=01/day=15/x.parquet":              "2024-01-15T00:00:00Z",
		"2024/02/31/x": "", "no/date/here": "",
	} {
		got, ok := KeyTime(key)
		if (want == "") == ok || (ok && got.Format(time.RFC3339) != want) {
			t.Errorf("%s: %v %v, want %q", key, got, ok, want)
		}
	}
	// The window on key dates: LastModified (all today) is ignored.
	f := &fakeBucket{objs: []blob.ListedObject{
		{Key: "AWSLogs/1/CloudTrail/r/2024/01/14/a.json.gz", Size: 1, LastModified: day},
		{Key: "AWSLogs/1/CloudTrail/r/2024/01/15/b.json.gz", Size: 1, LastModified: day},
		{Key: "AWSLogs/1/CloudTrail/r/nodate/c.json.gz", Size: 1, LastModified: day.Add(-48 * time.Hour)},
	}}
	st, err := Step{Lister: f, Store: f, StagingBucket: "s"}.Handle(context.Background(), State{Request: Request{Bucket: "b", Since: "2024-01-15", KeyDates: true}, Execution: "e"})
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	json.Unmarshal(f.puts["s/"+st.Manifest.Key], &items)
	if st.Totals.OutOfWindow != 2 || len(items) != 1 || len(items[0].Objects) != 1 || items[0].Objects[0].Key != "AWSLogs/1/CloudTrail/r/2024/01/15/b.json.gz" {
		t.Errorf("key-date window: %+v %+v", st.Totals, items)
	}
}

// A batch's Map item is a child execution's input: long keys end a batch
// before Step Functions' 256 KiB input limit, whatever BATCH_MAX_OBJECTS
// allows (as the dispatcher's batches do).
func TestBatchesStayUnderTheInputLimit(t *testing.T) {
	f := &fakeBucket{}
	long := strings.Repeat("k", 1000)
	for i := range 400 {
		f.objs = append(f.objs, blob.ListedObject{Key: fmt.Sprintf("AWSLogs/%s/%04d.log.gz", long, i), Size: 100, LastModified: day, ETag: "e"})
	}
	step := Step{Lister: f, Store: f, StagingBucket: "staging", Batching: notify.Batching{MaxObjects: 1000}, PageKeys: 1000}
	st, err := step.Handle(context.Background(), State{Request: Request{Bucket: "logs", Prefix: "AWSLogs/"}, Execution: "bf-1"})
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	if err := json.Unmarshal(f.puts["staging/"+st.Manifest.Key], &items); err != nil {
		t.Fatal(err)
	}
	objects := 0
	for _, it := range items {
		b, _ := json.Marshal(it)
		if len(b) > 256<<10 {
			t.Errorf("item %s is %d bytes, over the 256 KiB input limit", it.Name, len(b))
		}
		objects += len(it.Objects)
	}
	if len(items) < 2 || objects != 400 {
		t.Errorf("got %d items holding %d objects, want at least 2 items holding all 400", len(items), objects)
	}
}
