package bulk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// 1. Success: every document created, body framed exactly.
func TestIndexSuccess(t *testing.T) {
	f := newFake(t, nil)
	c, sl := newTestClient(t, f, Config{})
	pretty := "{\n  \"message\": \"line1\\nline2\",\n  \"source\": {\"ip\": \"10.0.0.1\"}\n}\n"
	docs := []Doc{
		{Index: "logs-aws-cloudtrail-2024.05.01", ID: "a1", Record: 1, Source: json.RawMessage(`{"event":{"action":"ConsoleLogin"}}`)},
		{Index: "logs-aws-cloudtrail-2024.05.01", ID: "a2", Record: 2, Source: json.RawMessage(pretty)},
		{Index: "logs-aws-vpcflow-2024.05.01", ID: `q"uote`, Record: 3, Source: json.RawMessage(` {"n":1} `)},
	}
	res, err := c.Index(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 3 || len(res.Failed) != 0 || res.Requests != 1 {
		t.Fatalf("result = %+v, want 3 indexed, 0 failed, 1 request", res)
	}
	if res.Took != 7*time.Millisecond {
		t.Errorf("Took = %v, want the 7ms OpenSearch reported", res.Took)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	want := `{"index":{"_index":"logs-aws-cloudtrail-2024.05.01","_id":"a1"}}` + "\n" +
		`{"event":{"action":"ConsoleLogin"}}` + "\n" +
		`{"index":{"_index":"logs-aws-cloudtrail-2024.05.01","_id":"a2"}}` + "\n" +
		`{"message":"line1\nline2","source":{"ip":"10.0.0.1"}}` + "\n" +
		`{"index":{"_index":"logs-aws-vpcflow-2024.05.01","_id":"q\"uote"}}` + "\n" +
		`{"n":1}` + "\n"
	if got := string(reqs[0].Body); got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
	for i, d := range reqs[0].Docs {
		if d.Index != docs[i].Index || d.ID != docs[i].ID || d.Source != compact(t, string(docs[i].Source)) {
			t.Errorf("doc %d sent as %+v", i, d)
		}
	}
	q, _ := url.ParseQuery(reqs[0].Query)
	if got := q.Get("filter_path"); got != "errors,items.*.status,items.*.error,took" {
		t.Errorf("filter_path = %q", got)
	}
	h := reqs[0].Header
	if ct := h.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ce := h.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q, want none", ce)
	}
	if a := h.Get("Authorization"); a != "" {
		t.Errorf("auth none sent Authorization %q", a)
	}
	if n := len(sl.all()); n != 0 {
		t.Errorf("slept %d times on success", n)
	}
}

// 2. Per-item 201/400/429/409: the 400 and 409 are failures with
// OpenSearch's reason, the 429 document alone is re-sent and succeeds.
func TestItemErrorsMixed(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		if n > 0 {
			return reply{} // all created
		}
		return reply{Items: []item{
			created(),
			{Status: 400, Type: "mapper_parsing_exception", Reason: "failed to parse field [source.port] of type [long] in document with id 'id-001'. Preview of field's value: 'http'",
				CauseType: "number_format_exception", CauseReason: `For input string: "http"`},
			{Status: 429, Type: "es_rejected_execution_exception", Reason: "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]"},
			{Status: 409, Type: "version_conflict_engine_exception", Reason: "[id-003]: version conflict, document already exists (current version [1])"},
			created(),
		}}
	})
	c, sl := newTestClient(t, f, Config{})
	docs := testDocs(5, "logs-test", 0)
	res, err := c.Index(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 3 || res.Requests != 2 {
		t.Errorf("Indexed=%d Requests=%d, want 3 and 2", res.Indexed, res.Requests)
	}
	if len(res.Failed) != 2 {
		t.Fatalf("failed = %+v, want 2", res.Failed)
	}
	f400, f409 := res.Failed[0], res.Failed[1]
	if f400.Doc.ID != "id-001" || f400.Doc.Record != 2 || f400.Status != 400 || f400.Type != "mapper_parsing_exception" ||
		!strings.Contains(f400.Reason, "failed to parse field [source.port] of type [long]") ||
		!strings.Contains(f400.Reason, `number_format_exception: For input string: "http"`) {
		t.Errorf("400 failure = %+v", f400)
	}
	if string(f400.Doc.Source) != string(docs[1].Source) {
		t.Errorf("failure lost the document source")
	}
	if f409.Doc.ID != "id-003" || f409.Status != 409 || f409.Type != "version_conflict_engine_exception" || !strings.Contains(f409.Reason, "version conflict") {
		t.Errorf("409 failure = %+v", f409)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	if got := reqs[1].ids(); !slices.Equal(got, []string{"id-002"}) {
		t.Errorf("retry carried %v, want exactly [id-002]", got)
	}
	if reqs[1].Docs[0].Source != string(docs[2].Source) {
		t.Errorf("retry source = %s", reqs[1].Docs[0].Source)
	}
	if s := sl.all(); len(s) != 1 || s[0] < 0 || s[0] > BackoffBase {
		t.Errorf("sleeps = %v, want one in [0, %v]", s, BackoffBase)
	}
}

// Per-item 503 that never clears: *RetryableError after ItemRetries
// re-sends of only that document.
func TestItemRetriesExhausted(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		var items []item
		for _, d := range r.Docs {
			if d.ID == "id-001" {
				items = append(items, item{Status: 503, Type: "unavailable_shards_exception", Reason: "[logs-test][0] primary shard is not active Timeout: [1m]"})
			} else {
				items = append(items, created())
			}
		}
		return reply{Items: items}
	})
	c, sl := newTestClient(t, f, Config{ItemRetries: 2})
	res, err := c.Index(context.Background(), testDocs(3, "logs-test", 0))
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want *RetryableError", err, err)
	}
	if re.Status != 503 || !strings.Contains(re.Reason, "unavailable_shards_exception") {
		t.Errorf("RetryableError = %+v", re)
	}
	reqs := f.requests()
	if len(reqs) != 3 || res.Requests != 3 {
		t.Fatalf("requests: server %d, result %d; want 1 + 2 retries", len(reqs), res.Requests)
	}
	for _, r := range reqs[1:] {
		if !slices.Equal(r.ids(), []string{"id-001"}) {
			t.Errorf("retry carried %v", r.ids())
		}
	}
	if res.Indexed != 2 {
		t.Errorf("Indexed = %d, want 2", res.Indexed)
	}
	s := sl.all()
	if len(s) != 2 || s[0] > BackoffBase || s[1] > 2*BackoffBase {
		t.Errorf("sleeps = %v", s)
	}
}

const rejected429 = `{"error":{"root_cause":[{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=104857600]"}],"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=104857600]"},"status":429}`

// 3. Whole-request 429 once, then success: two requests, all indexed.
func TestWholeRequest429ThenSuccess(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		if n == 0 {
			return reply{Status: 429, Body: rejected429}
		}
		return reply{}
	})
	c, sl := newTestClient(t, f, Config{})
	res, err := c.Index(context.Background(), testDocs(4, "logs-test", 10))
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 4 || res.Requests != 2 || len(res.Failed) != 0 {
		t.Errorf("result = %+v", res)
	}
	reqs := f.requests()
	if len(reqs) != 2 || string(reqs[0].Body) != string(reqs[1].Body) {
		t.Fatalf("want the same body sent twice, got %d requests", len(reqs))
	}
	if s := sl.all(); len(s) != 1 || s[0] > BackoffBase {
		t.Errorf("sleeps = %v", s)
	}
}

// 4. Throttling or gateway errors forever: *RetryableError after exactly
// the configured attempts, with exponential full-jitter sleeps between.
func TestWholeRequestRetryableForever(t *testing.T) {
	cases := []struct {
		status int
		body   string
		reason string
	}{
		{429, rejected429, "es_rejected_execution_exception"},
		{429, "429 Too Many Requests /_bulk", "Too Many Requests"},
		{502, `{"message":"Bad Gateway"}`, "Bad Gateway"},
		{503, `{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/2/no cluster-manager];"}],"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/2/no cluster-manager];"},"status":503}`, "no cluster-manager"},
		{504, `{"message": "Endpoint request timed out"}`, "timed out"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFake(t, func(int, *bulkRequest) reply { return reply{Status: tc.status, Body: tc.body} })
			c, sl := newTestClient(t, f, Config{Attempts: 4})
			res, err := c.Index(context.Background(), testDocs(3, "logs-test", 0))
			var re *RetryableError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RetryableError", err)
			}
			if got := fmt.Sprintf("%T", err); got != "*bulk.RetryableError" {
				t.Errorf("error type %s: Lambda errorType would not be RetryableError", got)
			}
			if re.Status != tc.status || !strings.Contains(re.Error(), tc.reason) {
				t.Errorf("RetryableError = %v", re)
			}
			if n := len(f.requests()); n != 4 || res.Requests != 4 {
				t.Errorf("requests: server %d, result %d; want 4", n, res.Requests)
			}
			s := sl.all()
			if len(s) != 3 {
				t.Fatalf("sleeps = %v, want 3", s)
			}
			for i, d := range s {
				if d < 0 || d > BackoffBase<<i {
					t.Errorf("sleep %d = %v, want within [0, %v]", i, d, BackoffBase<<i)
				}
			}
		})
	}
}

// Other 5xx: retryable, but not retried in the call.
func TestWholeRequest500(t *testing.T) {
	f := newFake(t, func(int, *bulkRequest) reply {
		return reply{Status: 500, Body: `{"error":{"root_cause":[{"type":"null_pointer_exception","reason":null}],"type":"null_pointer_exception","reason":null},"status":500}`}
	})
	c, _ := newTestClient(t, f, Config{})
	_, err := c.Index(context.Background(), testDocs(1, "logs-test", 0))
	var re *RetryableError
	if !errors.As(err, &re) || re.Status != 500 || !strings.Contains(re.Reason, "null_pointer_exception") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

// Connection refused: retried, then *RetryableError wrapping the cause.
func TestConnectionError(t *testing.T) {
	f := newFake(t, nil)
	c, sl := newTestClient(t, f, Config{Attempts: 2})
	f.srv.Close()
	res, err := c.Index(context.Background(), testDocs(2, "logs-test", 0))
	var re *RetryableError
	if !errors.As(err, &re) || re.Err == nil {
		t.Fatalf("err = %v, want *RetryableError with a cause", err)
	}
	if res.Requests != 2 || len(sl.all()) != 1 {
		t.Errorf("Requests = %d, sleeps = %v; want 2 attempts", res.Requests, sl.all())
	}
}

// A request slower than Timeout is abandoned and retried.
func TestTimeoutRetried(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		if n == 0 {
			return reply{Delay: 5 * time.Second}
		}
		return reply{}
	})
	c, _ := newTestClient(t, f, Config{Timeout: 100 * time.Millisecond})
	start := time.Now()
	res, err := c.Index(context.Background(), testDocs(2, "logs-test", 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || res.Requests != 2 {
		t.Errorf("result = %+v", res)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %v: the timeout did not cut the slow request", el)
	}
}

// Timeouts every time: *RetryableError.
func TestTimeoutForever(t *testing.T) {
	f := newFake(t, func(int, *bulkRequest) reply { return reply{Delay: 5 * time.Second} })
	c, _ := newTestClient(t, f, Config{Timeout: 50 * time.Millisecond, Attempts: 2})
	_, err := c.Index(context.Background(), testDocs(1, "logs-test", 0))
	var re *RetryableError
	if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want *RetryableError wrapping a deadline", err)
	}
}

// A caller's cancellation is not turned into a retryable error.
func TestCallerCanceled(t *testing.T) {
	f := newFake(t, func(int, *bulkRequest) reply { return reply{Delay: 5 * time.Second} })
	// One attempt: the request itself must report the cancellation.
	c, _ := newTestClient(t, f, Config{Attempts: 1})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Index(ctx, testDocs(1, "logs-test", 0))
	var re *RetryableError
	if !errors.Is(err, context.Canceled) || errors.As(err, &re) {
		t.Fatalf("err = %v, want context.Canceled, not retryable", err)
	}
}

// 5. 413: the client halves the batch until it fits; a document that is
// refused alone becomes a Failure.
func Test413Split(t *testing.T) {
	const limit = 700
	tooLarge := func(n int, r *bulkRequest) reply {
		if len(r.Body) > limit {
			return reply{Status: 413, Body: fmt.Sprintf(`{"Message":"Request size exceeded %d bytes"}`, limit)}
		}
		return reply{}
	}
	accepted := func(reqs []*bulkRequest) []string {
		var ids []string
		for _, r := range reqs {
			if len(r.Body) <= limit {
				ids = append(ids, r.ids()...)
			}
		}
		return ids
	}

	t.Run("split", func(t *testing.T) {
		f := newFake(t, tooLarge)
		c, sl := newTestClient(t, f, Config{})
		docs := testDocs(13, "logs-test", 60)
		res, err := c.Index(context.Background(), docs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Indexed != 13 || len(res.Failed) != 0 {
			t.Fatalf("result = %+v", res)
		}
		var want []string
		for _, d := range docs {
			want = append(want, d.ID)
		}
		reqs := f.requests()
		if got := accepted(reqs); !slices.Equal(got, want) {
			t.Errorf("accepted ids %v, want each once in order %v", got, want)
		}
		if len(reqs) < 3 || res.Requests != len(reqs) {
			t.Errorf("requests: server %d, result %d", len(reqs), res.Requests)
		}
		if len(sl.all()) != 0 {
			t.Errorf("413 split should not back off: %v", sl.all())
		}
	})

	t.Run("single doc too large", func(t *testing.T) {
		f := newFake(t, tooLarge)
		c, _ := newTestClient(t, f, Config{})
		docs := testDocs(5, "logs-test", 20)
		big := testDocs(1, "logs-test", 2*limit)[0]
		big.ID, big.Record = "big", 99
		docs = slices.Insert(docs, 2, big)
		res, err := c.Index(context.Background(), docs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Indexed != 5 || len(res.Failed) != 1 {
			t.Fatalf("result = %+v", res)
		}
		fl := res.Failed[0]
		if fl.Doc.ID != "big" || fl.Doc.Record != 99 || fl.Status != 413 || !strings.Contains(fl.Reason, "Request size exceeded 700 bytes") {
			t.Errorf("failure = %+v", fl)
		}
		if got := accepted(f.requests()); len(got) != 5 || slices.Contains(got, "big") {
			t.Errorf("accepted %v", got)
		}
	})
}

// A document over the 10 MiB hard limit is never sent.
func TestDocOverHardLimit(t *testing.T) {
	f := newFake(t, nil)
	c, _ := newTestClient(t, f, Config{})
	docs := testDocs(3, "logs-test", 0)
	docs[1].Source = json.RawMessage(`{"blob":"` + strings.Repeat("a", MaxBodyLimit) + `"}`)
	res, err := c.Index(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || len(res.Failed) != 1 || res.Requests != 1 {
		t.Fatalf("result: indexed %d, failed %d, requests %d", res.Indexed, len(res.Failed), res.Requests)
	}
	if fl := res.Failed[0]; fl.Doc.ID != "id-001" || fl.Status != 413 || !strings.Contains(fl.Reason, "10 MiB") {
		t.Errorf("failure = %v %d %s %s", fl.Doc.ID, fl.Status, fl.Type, fl.Reason)
	}
	if got := f.requests()[0].ids(); !slices.Equal(got, []string{"id-000", "id-002"}) {
		t.Errorf("sent %v", got)
	}
}

// Documents that would break the request are failures, the rest goes.
func TestInvalidDocsNotSent(t *testing.T) {
	f := newFake(t, nil)
	c, _ := newTestClient(t, f, Config{})
	docs := testDocs(5, "logs-test", 0)
	docs[1].Source = json.RawMessage(`{"a":`)
	docs[2].Index = ""
	docs[3].Source = json.RawMessage(`[1,2]`)
	res, err := c.Index(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Indexed != 2 || len(res.Failed) != 3 {
		t.Fatalf("result = %+v", res)
	}
	for i, fl := range res.Failed {
		if fl.Doc.ID != docs[i+1].ID || fl.Status != 400 || fl.Type != "invalid_document" || fl.Reason == "" {
			t.Errorf("failure %d = %+v", i, fl)
		}
	}
	if got := f.requests()[0].ids(); !slices.Equal(got, []string{"id-000", "id-004"}) {
		t.Errorf("sent %v", got)
	}
}

// 6. MaxBodyBytes: several requests, none over the cap, greedy packing,
// order kept; a document larger than the cap goes alone.
func TestBodyCap(t *testing.T) {
	const capBytes = 1000
	f := newFake(t, nil)
	c, _ := newTestClient(t, f, Config{MaxBodyBytes: capBytes})
	docs := testDocs(40, "logs-test", 50)
	big := testDocs(1, "logs-test", 2*capBytes)[0]
	big.ID = "big"
	docs = slices.Insert(docs, 17, big)
	res, err := c.Index(context.Background(), docs)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if res.Indexed != len(docs) || res.Requests != len(reqs) || len(reqs) < 5 {
		t.Fatalf("indexed %d of %d in %d requests (server %d)", res.Indexed, len(docs), res.Requests, len(reqs))
	}
	var sent []string
	for i, r := range reqs {
		sent = append(sent, r.ids()...)
		if slices.Contains(r.ids(), "big") {
			if len(r.Docs) != 1 {
				t.Errorf("oversized doc shared request %d with %v", i, r.ids())
			}
			continue
		}
		if len(r.Body) > capBytes {
			t.Errorf("request %d is %d bytes, over the %d cap", i, len(r.Body), capBytes)
		}
		// Greedy: the next request's first document would not have fit.
		if i+1 < len(reqs) && !slices.Contains(reqs[i+1].ids(), "big") {
			first := len(reqs[i+1].Body) / len(reqs[i+1].Docs) // equal-sized docs
			if len(r.Body)+first <= capBytes {
				t.Errorf("request %d (%d bytes) had room for the next document (%d bytes)", i, len(r.Body), first)
			}
		}
	}
	var want []string
	for _, d := range docs {
		want = append(want, d.ID)
	}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
}

func TestConfigDefaults(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 5 << 20}, {-1, 5 << 20}, {1 << 20, 1 << 20}, {50 << 20, 10 << 20}} {
		c, err := New(Config{Endpoint: "http://localhost:9200", MaxBodyBytes: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if c.maxBody != tc.want {
			t.Errorf("MaxBodyBytes %d -> %d, want %d", tc.in, c.maxBody, tc.want)
		}
		if c.attempts != 3 || c.itemRetries != 3 || c.timeout != 60*time.Second || c.auth != "none" {
			t.Errorf("defaults: attempts %d, item retries %d, timeout %v, auth %s", c.attempts, c.itemRetries, c.timeout, c.auth)
		}
		c.Close()
	}
	for _, cfg := range []Config{
		{Endpoint: "localhost:9200"},
		{Endpoint: "ftp://x"},
		{Endpoint: "http://x", Auth: "kerberos"},
		{Endpoint: "http://x", Auth: "basic", Username: "u"},
		{Endpoint: "https://x", Auth: "sigv4", Service: "s3", AWSConfig: staticAWS("eu-west-1")},
		{Endpoint: "https://localhost", Auth: "sigv4", AWSConfig: staticAWS("")}, // no region anywhere
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	// Serverless host: service and region come from the host name.
	c, err := New(Config{Endpoint: "https://abc123.us-east-1.aoss.amazonaws.com", Auth: "sigv4", AWSConfig: staticAWS("")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.service != "aoss" {
		t.Errorf("service = %q, want aoss", c.service)
	}
}

func TestRegionFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"search-logs-abc123.eu-west-1.es.amazonaws.com":  "eu-west-1",
		"vpc-logs-abc123.us-gov-west-1.es.amazonaws.com": "us-gov-west-1",
		"abc123.us-east-1.aoss.amazonaws.com":            "us-east-1",
		"search-x.cn-north-1.es.amazonaws.com.cn":        "cn-north-1",
		"localhost":        "",
		"es.amazonaws.com": "",
	} {
		if got := RegionFromHost(host); got != want {
			t.Errorf("RegionFromHost(%q) = %q, want %q", host, got, want)
		}
	}
}

// 7a. Basic auth.
func TestBasicAuth(t *testing.T) {
	f := newFake(t, nil)
	c, _ := newTestClient(t, f, Config{Auth: "basic", Username: "loader", Password: "s3cr:t"})
	if _, err := c.Index(context.Background(), testDocs(1, "logs-test", 0)); err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Header: f.requests()[0].Header}
	u, p, ok := r.BasicAuth()
	if !ok || u != "loader" || p != "s3cr:t" {
		t.Errorf("basic auth = %q %q %v (Authorization %q)", u, p, ok, r.Header.Get("Authorization"))
	}
}

func staticAWS(region string) *aws.Config {
	return &aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")}
}

// 7b. SigV4 with service es and aoss: the server re-computes the
// signature over what it received.
func TestSigV4(t *testing.T) {
	for _, tc := range []struct {
		service, cfgService, cfgRegion, awsRegion, wantRegion string
	}{
		{"es", "", "", "eu-west-1", "eu-west-1"},              // default service, region from aws.Config
		{"aoss", "aoss", "us-east-1", "", "us-east-1"},        // Config.Region
		{"es", "es", "ap-south-2", "eu-west-1", "ap-south-2"}, // Config.Region wins
	} {
		t.Run(tc.service+"/"+tc.wantRegion, func(t *testing.T) {
			f := newFake(t, nil)
			awsCfg := staticAWS(tc.awsRegion)
			c, _ := newTestClient(t, f, Config{Auth: "sigv4", Service: tc.cfgService, Region: tc.cfgRegion, AWSConfig: awsCfg})
			if _, err := c.Index(context.Background(), testDocs(3, "logs-test", 0)); err != nil {
				t.Fatal(err)
			}
			r := f.requests()[0]
			auth := r.Header.Get("Authorization")
			date := r.Header.Get("X-Amz-Date")
			if len(date) < 8 {
				t.Fatalf("X-Amz-Date = %q", date)
			}
			prefix := fmt.Sprintf("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/%s/%s/aws4_request, SignedHeaders=", date[:8], tc.wantRegion, tc.service)
			if !strings.HasPrefix(auth, prefix) {
				t.Fatalf("Authorization = %q\nwant prefix %q", auth, prefix)
			}
			sum := sha256.Sum256(r.Body)
			if got := r.Header.Get("X-Amz-Content-Sha256"); got != hex.EncodeToString(sum[:]) {
				t.Errorf("X-Amz-Content-Sha256 = %q does not match the body received", got)
			}
			if r.Header.Get("X-Amz-Security-Token") != "session-token" {
				t.Errorf("session token not sent")
			}
			if ce := r.Header.Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding %q with SigV4", ce)
			}
			if want := resign(t, f, r, tc.service, tc.wantRegion); auth != want {
				t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
			}
		})
	}
}

// resign signs a copy of the received request (signed headers only) with
// the same credentials and time, as AWS would to verify it.
func resign(t *testing.T, f *fakeOpenSearch, r *bulkRequest, service, region string) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "SignedHeaders=")
	signed := strings.Split(strings.SplitN(auth[i+len("SignedHeaders="):], ",", 2)[0], ";")
	u, _ := url.Parse(f.srv.URL + "/_bulk?" + r.Query)
	req, _ := http.NewRequest(http.MethodPost, u.String(), nil)
	req.Header = http.Header{}
	for _, h := range signed {
		switch h {
		case "host":
			req.Host = u.Host
		case "content-length":
			req.ContentLength = int64(len(r.Body))
		default:
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	ts, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := staticAWS("").Credentials.Retrieve(context.Background())
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, r.Header.Get("X-Amz-Content-Sha256"), service, region, ts); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Authorization")
}

// 8. Whole-request 400: a plain error with OpenSearch's reason, no retry.
func TestWholeRequest400(t *testing.T) {
	f := newFake(t, func(int, *bulkRequest) reply {
		return reply{Status: 400, Body: osError400("Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]")}
	})
	c, sl := newTestClient(t, f, Config{})
	res, err := c.Index(context.Background(), testDocs(3, "logs-test", 0))
	if err == nil {
		t.Fatal("no error")
	}
	var re *RetryableError
	if errors.As(err, &re) {
		t.Fatalf("400 is retryable: %v", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 400 || se.Type != "illegal_argument_exception" || !strings.Contains(se.Reason, "Malformed action/metadata line [1]") {
		t.Errorf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "Malformed action/metadata") {
		t.Errorf("message = %q", err)
	}
	if res.Requests != 1 || len(f.requests()) != 1 || len(sl.all()) != 0 {
		t.Errorf("400 was retried: %d requests", len(f.requests()))
	}
}

// 401/403: non-retryable, with a hint for the auth mode in use.
func TestAuthErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg    Config
		status int
		body   string
		want   []string
	}{
		{Config{Auth: "sigv4", AWSConfig: staticAWS("eu-west-1")}, 403,
			`{"message":"User: arn:aws:sts::123456789012:assumed-role/siem-index/siem-index is not authorized to perform: es:ESHttpPost because no resource-based policy allows the es:ESHttpPost action"}`,
			[]string{"403", "not authorized to perform: es:ESHttpPost", "sigv4", "access policy", "mapped"}},
		{Config{Auth: "sigv4", Service: "aoss", AWSConfig: staticAWS("eu-west-1")}, 403,
			`{"status":403,"request-id":"6b7e0f0e-0000-0000-0000-000000000000","error":{"reason":"403 Forbidden","type":"Forbidden"}}`,
			[]string{"403", "Forbidden", "aoss", "data access policy"}},
		{Config{Auth: "basic", Username: "loader", Password: "wrong"}, 401, "Unauthorized",
			[]string{"401", "Unauthorized", "basic", "password"}},
		{Config{Auth: "basic", Username: "loader", Password: "pw"}, 403,
			`{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/write/bulk] and User [name=loader, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/write/bulk] and User [name=loader, backend_roles=[], requestedTenant=null]"},"status":403}`,
			[]string{"403", "security_exception", "indices:data/write/bulk", "role"}},
		{Config{}, 401, `{"message":"Unauthorized"}`, []string{"401", "auth none", "sigv4"}},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.cfg.Auth, tc.status), func(t *testing.T) {
			f := newFake(t, func(int, *bulkRequest) reply { return reply{Status: tc.status, Body: tc.body} })
			c, _ := newTestClient(t, f, tc.cfg)
			_, err := c.Index(context.Background(), testDocs(1, "logs-test", 0))
			var re *RetryableError
			if err == nil || errors.As(err, &re) {
				t.Fatalf("err = %v, want a non-retryable error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// Backoff: full jitter within [0, min(5s, 200ms*2^n)], reaching the cap.
func TestBackoff(t *testing.T) {
	for a := 0; a < 40; a++ {
		upper := min(BackoffCap, BackoffBase<<min(a, 20))
		top, bottom := time.Duration(0), upper
		for range 500 {
			d := backoff(a)
			if d < 0 || d > upper {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", a, d, upper)
			}
			top, bottom = max(top, d), min(bottom, d)
		}
		if top < upper*9/10 || bottom > upper/10 {
			t.Errorf("backoff(%d) drew only within [%v, %v] in 500 draws: not full jitter over [0, %v]", a, bottom, top, upper)
		}
	}
}

// The client is safe for concurrent use (run with -race).
func TestConcurrentIndex(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		if n%3 == 0 {
			return reply{Status: 429, Body: rejected429}
		}
		return reply{}
	})
	c, _ := newTestClient(t, f, Config{MaxBodyBytes: 2000, Attempts: 10})
	var wg sync.WaitGroup
	results := make([]Result, 8)
	errs := make([]error, 8)
	for g := range 8 {
		wg.Go(func() {
			results[g], errs[g] = c.Index(context.Background(), testDocs(30, fmt.Sprintf("logs-%d", g), 20))
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range f.requests() {
		for _, d := range r.Docs {
			seen[d.Index+"/"+d.ID]++
		}
	}
	for g := range 8 {
		if errs[g] != nil || results[g].Indexed != 30 {
			t.Errorf("goroutine %d: %+v %v", g, results[g], errs[g])
		}
	}
	if len(seen) != 8*30 {
		t.Errorf("server saw %d distinct docs, want 240", len(seen))
	}
}

func TestReasonParsing(t *testing.T) {
	for body, want := range map[string][2]string{
		rejected429: {"es_rejected_execution_exception", "rejected execution of coordinating operation"},
		`{"error":"alias [x] has more than one index associated with it","status":400}`: {"", "alias [x] has more than one index"},
		`{"Message":"Request size exceeded 10485760 bytes"}`:                            {"", "Request size exceeded 10485760 bytes"},
		"<html><body>502 Bad Gateway</body></html>":                                     {"", "<html><body>502 Bad Gateway"},
		"": {"", "Bad Gateway"},
	} {
		typ, reason := errorReason(502, []byte(body))
		if typ != want[0] || !strings.Contains(reason, want[1]) {
			t.Errorf("errorReason(%q) = %q, %q; want %q, ~%q", body, typ, reason, want[0], want[1])
		}
	}
	var e osError
	if err := json.Unmarshal([]byte(`{"type":"a","reason":"r","caused_by":{"type":"b","reason":"c"}}`), &e); err != nil {
		t.Fatal(err)
	}
	if typ, reason := e.describe(); typ != "a" || reason != "r (caused by b: c)" {
		t.Errorf("describe = %q %q", typ, reason)
	}
	if !reflect.DeepEqual(batches(nil, 10), [][]entry(nil)) {
		t.Errorf("batches(nil) not empty")
	}
}

// TestIndexErrorSaysWhatWasNotSent: when the retries run out, the Result
// still accounts for every document: indexed, refused for good, or not
// sent (to send again), so a caller can dead-letter exactly the last.
func TestIndexErrorSaysWhatWasNotSent(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		if n >= 2 {
			return reply{Status: 503, Body: `{"error":"unavailable","status":503}`}
		}
		var items []item
		for _, d := range r.Docs {
			switch {
			case strings.HasSuffix(d.ID, "0"):
				items = append(items, item{Status: 429, Type: "es_rejected_execution_exception", Reason: "queue full"})
			case strings.HasSuffix(d.ID, "1"):
				items = append(items, item{Status: 400, Type: "mapper_parsing_exception", Reason: "bad"})
			default:
				items = append(items, created())
			}
		}
		return reply{Items: items}
	})
	// Small bodies: several bulk requests, the later ones all 503.
	c, _ := newTestClient(t, f, Config{ItemRetries: 1, Attempts: 2, MaxBodyBytes: 4096})
	docs := testDocs(100, "idx", 100)
	res, err := c.Index(context.Background(), docs)
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want retryable", err)
	}
	if !res.Accounted(len(docs)) || len(res.NotSent) == 0 || res.Indexed == 0 || len(res.Failed) == 0 {
		t.Fatalf("indexed %d, failed %d, not sent %d of %d", res.Indexed, len(res.Failed), len(res.NotSent), len(docs))
	}
	seen := map[string]bool{}
	for _, fl := range res.Failed {
		seen[fl.Doc.ID] = true
	}
	for _, d := range res.NotSent {
		if seen[d.ID] {
			t.Errorf("%s both refused and not sent", d.ID)
		}
		seen[d.ID] = true
	}
}

// The 429s are counted in the Result, whole-request and per-item apart,
// whatever comes of the documents: retried to success here (a 503 is no
// throttling and is not counted), retries spent below.
func TestThrottledCounts(t *testing.T) {
	f := newFake(t, func(n int, r *bulkRequest) reply {
		switch n {
		case 0, 1:
			return reply{Status: 429, Body: rejected429}
		case 2:
			return reply{Status: 503, Body: `{"error":"unavailable"}`}
		}
		var items []item
		for _, d := range r.Docs {
			if n < 5 && (d.ID == "id-001" || d.ID == "id-002") {
				items = append(items, item{Status: 429, Type: "es_rejected_execution_exception", Reason: "rejected execution"})
			} else {
				items = append(items, created())
			}
		}
		return reply{Items: items}
	})
	c, _ := newTestClient(t, f, Config{Attempts: 4, ItemRetries: 3})
	res, err := c.Index(context.Background(), testDocs(4, "logs-test", 0))
	if err != nil {
		t.Fatal(err)
	}
	// Requests 0-2 whole 429, 429, 503; 3 and 4 answer two items 429
	// each; 5 indexes them.
	if res.Indexed != 4 || res.Throttled != 2 || res.ItemsThrottled != 4 || res.Requests != 6 {
		t.Errorf("result: indexed %d, throttled %d, items throttled %d, requests %d", res.Indexed, res.Throttled, res.ItemsThrottled, res.Requests)
	}

	forever := newFake(t, func(n int, r *bulkRequest) reply {
		items := make([]item, len(r.Docs))
		for i := range items {
			items[i] = item{Status: 429, Type: "es_rejected_execution_exception"}
		}
		return reply{Items: items}
	})
	c, _ = newTestClient(t, forever, Config{ItemRetries: 2})
	res, err = c.Index(context.Background(), testDocs(3, "logs-test", 0))
	var re *RetryableError
	if !errors.As(err, &re) || res.ItemsThrottled != 9 || res.Throttled != 0 || len(res.NotSent) != 3 {
		t.Errorf("retries spent: err %v, items throttled %d (want 3 documents x 3 sends), throttled %d, not sent %d", err, res.ItemsThrottled, res.Throttled, len(res.NotSent))
	}
}
