package moto

import (
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/pipeline"
)

// runtimeAPI is a minimal Lambda Runtime API (next invocation, response,
// error), enough for aws-lambda-go's runtime loop: the built bootstrap runs
// as it would in Lambda, with its real configuration code.
type runtimeAPI struct {
	events  chan string
	mu      sync.Mutex
	results map[string]string // request id -> "response: ..." or "error: ..."
	done    chan string
	initErr string
}

func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const base = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(req.URL.Path, base)
	switch {
	case path == "invocation/next":
		ev, ok := <-r.events
		if !ok {
			<-req.Context().Done()
			return
		}
		id := fmt.Sprintf("req-%d", time.Now().UnixNano())
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", LambdaARN("bootstrap"))
		io.WriteString(w, ev)
	case strings.HasPrefix(path, "invocation/"):
		parts := strings.Split(path, "/")
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.results[parts[1]] = parts[2] + ": " + string(body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		r.done <- parts[1]
	case path == "init/error":
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.initErr = string(body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		r.done <- "init"
	default:
		http.NotFound(w, req)
	}
}

// TestBootstrapBinaries builds each function as Lambda runs it (a
// bootstrap binary, lambda.norpc) for this machine's architecture and
// invokes it through the Runtime API with moto as S3: the wiring in
// functions/*/main.go and shared/awsenv is exercised, not only the steps.
func TestBootstrapBinaries(t *testing.T) {
	srv := Start(t, nil)
	s := srv.For(t)
	s.Reset()
	s.CreateBucket(logBucket, stagingBucket)
	body := gzipped(vpcFlowLog(3))
	s.PutObject(logBucket, vpcFlowKey, body)

	dir := t.TempDir()
	run := func(fn string, env []string, event string) string {
		t.Helper()
		bin := filepath.Join(dir, fn, "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../../functions/"+fn)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", fn, err, out)
		}
		api := &runtimeAPI{events: make(chan string, 1), results: map[string]string{}, done: make(chan string, 2)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: api}
		go hs.Serve(ln)
		defer hs.Close()
		api.events <- event

		cmd := exec.Command(bin)
		cmd.Env = append([]string{
			"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
			"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
			"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
			"STAGING_BUCKET=" + stagingBucket,
			"AWS_LAMBDA_FUNCTION_NAME=" + fn, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
			"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		}, env...)
		var logs strings.Builder
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		select {
		case id := <-api.done:
			api.mu.Lock()
			defer api.mu.Unlock()
			if id == "init" {
				t.Fatalf("%s failed at init: %s\n%s", fn, api.initErr, logs.String())
			}
			return api.results[id]
		case <-time.After(60 * time.Second):
			t.Fatalf("%s gave no answer in 60 s\n%s", fn, logs.String())
		}
		return ""
	}

	res := run("split", nil, objectCreated(logBucket, vpcFlowKey, len(body)))
	var sp pipeline.SplitOutput
	if !strings.HasPrefix(res, "response: ") || json.Unmarshal([]byte(strings.TrimPrefix(res, "response: ")), &sp) != nil || sp.Chunk == nil {
		t.Fatalf("split: %s", res)
	}
	chunk, _ := json.Marshal(sp.Chunk)
	// Load against a cluster that throttles: the error type the state
	// machine retries must come out of the real binary (parse and enrich
	// ran: without a geo bucket enrich passes documents through).
	throttle := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"type":"es_rejected_execution_exception","reason":"rejected"},"status":429}`)
	})}
	tl, _ := net.Listen("tcp", "127.0.0.1:0")
	go throttle.Serve(tl)
	defer throttle.Close()
	res = run("load", []string{"OPENSEARCH_ENDPOINT=http://" + tl.Addr().String(), "OPENSEARCH_AUTH=none"}, string(chunk))
	if !strings.HasPrefix(res, "error: ") || !strings.Contains(res, `"errorType":"RetryableError"`) {
		t.Fatalf("load against a throttling cluster: %s", res)
	}
	// And against one that accepts: three documents indexed.
	accept := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := strings.Count(string(body), `{"index"`) + strings.Count(string(body), `{"create"`)
		var items []string
		for range n {
			items = append(items, `{"index":{"status":201}}`)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"took":1,"errors":false,"items":[`+strings.Join(items, ",")+`]}`)
	})}
	al, _ := net.Listen("tcp", "127.0.0.1:0")
	go accept.Serve(al)
	defer accept.Close()
	res = run("load", []string{"OPENSEARCH_ENDPOINT=http://" + al.Addr().String(), "OPENSEARCH_AUTH=none"}, string(chunk))
	var loaded pipeline.StepOutput
	if !strings.HasPrefix(res, "response: ") || json.Unmarshal([]byte(strings.TrimPrefix(res, "response: ")), &loaded) != nil || loaded.Counts.Indexed != 3 {
		t.Fatalf("load: %s", res)
	}

	// A log archive bucket read through an assumed role (moto's STS): the
	// read succeeds with the role, and fails naming STS when the role
	// cannot be assumed.
	archiveEnv := []string{"LOG_ARCHIVE_ROLE_ARN=arn:aws:iam::111122223333:role/siem-log-archive-read", "LOG_ARCHIVE_BUCKETS=" + logBucket, "LOG_ARCHIVE_EXTERNAL_ID=siem-ext-1"}
	res = run("split", append(archiveEnv, "AWS_ENDPOINT_URL_STS="+s.Endpoint), objectCreated(logBucket, vpcFlowKey, -1))
	if !strings.HasPrefix(res, "response: ") || !strings.Contains(res, `"chunk_count":1`) {
		t.Fatalf("split through the log archive role: %s", res)
	}
	res = run("split", append(archiveEnv, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"), objectCreated(logBucket, vpcFlowKey, -1))
	if !strings.HasPrefix(res, "error: ") || !strings.Contains(res, "AssumeRole") {
		t.Fatalf("split with a role that cannot be assumed: %s", res)
	}

	// The backfill function lists the log bucket in moto and writes the
	// page's manifest to the staging bucket.
	res = run("backfill", nil, `{"request":{"bucket":"`+logBucket+`","prefix":"AWSLogs/"},"execution":"bf-bootstrap","max_concurrency":2,"page":0,"totals":{}}`)
	if !strings.HasPrefix(res, "response: ") || !strings.Contains(res, `"items":1`) || !strings.Contains(res, `"listed_all":true`) {
		t.Fatalf("backfill: %s", res)
	}
	if _, ok := s.GetObject(stagingBucket, "backfill/bf-bootstrap/page-000001.json"); !ok {
		t.Fatalf("backfill wrote no manifest: %v", s.ListKeys(stagingBucket, ""))
	}

	// The index metrics exporter reads a cluster and writes its object to
	// the log bucket in moto.
	metrics := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `{"cluster_name":"123456789012:siem","cluster_uuid":"u1"}`)
		case "/_cat/indices/_hot":
			io.WriteString(w, `[{"health":"green","status":"open","index":"log-aws-vpcflowlogs-2024-01","pri":"1","rep":"0"}]`)
		case "/_stats/docs,indexing,merge,refresh,segments,store,fielddata,search":
			io.WriteString(w, `{"indices":{"log-aws-vpcflowlogs-2024-01":{"primaries":{"docs":{"count":3}},"total":{"docs":{"count":3}}}}}`)
		case "/_cat/shards":
			io.WriteString(w, `[]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"status":404}`)
		}
	})}
	ml, _ := net.Listen("tcp", "127.0.0.1:0")
	go metrics.Serve(ml)
	defer metrics.Close()
	res = run("indexmetrics", []string{"OPENSEARCH_ENDPOINT=http://" + ml.Addr().String(), "OPENSEARCH_AUTH=none", "LOG_BUCKET=" + logBucket, "ACCOUNT_ID=" + Account}, "{}")
	if !strings.HasPrefix(res, "response: ") || !strings.Contains(res, `"indices":1`) {
		t.Fatalf("indexmetrics: %s", res)
	}
	if keys := s.ListKeys(logBucket, "AWSLogs/"+Account+"/OpenSearch/metrics/us-east-1/"); len(keys) != 1 {
		t.Fatalf("indexmetrics wrote %v", keys)
	}

	// The notifications function starts an ingest execution on moto for an
	// object an SQS queue announces.
	sm := s.CreateStateMachineFile("ingest", ingestASL, ingestSubstitutions())
	notification, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
		"s3": map[string]any{"bucket": map[string]any{"name": logBucket}, "object": map[string]any{"key": vpcFlowKey, "size": len(body), "sequencer": "01"}},
	}}})
	sqsEvent, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": "m1", "body": string(notification), "eventSource": "aws:sqs"}}})
	res = run("notifications", []string{"INGEST_STATE_MACHINE_ARN=" + sm.ARN, "AWS_ENDPOINT_URL_SFN=" + s.Endpoint}, string(sqsEvent))
	if res != `response: {"batchItemFailures":null}` && res != `response: {"batchItemFailures":[]}` {
		t.Fatalf("notifications: %s", res)
	}
	list, err := s.SFN.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: &sm.ARN})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("executions after the notification: %v %v", list, err)
	}
}
