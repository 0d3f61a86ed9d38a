// Package moto executes Step Functions state machines on a local moto
// server (Python moto 5.2.1, `moto_server`) with S3 in moto and every
// Lambda Invoke answered in-process by Go handlers.
//
// moto's interpreter calls Lambda and S3 with boto3 at
// http://localhost:$MOTO_PORT. Start runs `moto_server -p P` with
// MOTO_PORT=Q and serves a reverse proxy on Q: Lambda invocations go to
// the Go handlers, everything else to moto on P. The Go SDK clients talk to
// moto on P directly.
//
// moto 5.2.1 fails the second StartExecution in a server's lifetime, so
// call Reset before each execution; Reset clears S3 and the state machines
// too, so create buckets, objects and machines after it.
package moto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Account and Region moto uses by default.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// LambdaARN is the ARN of a function named name, as a template's
// DefinitionSubstitutions would give it.
func LambdaARN(name string) string {
	return "arn:aws:lambda:" + Region + ":" + Account + ":function:" + name
}

// Handler answers one Lambda invocation: payload in, JSON result out. A
// returned error is reported as aws-lambda-go reports it: errorType is the
// error's Go type name (pointer -> element), errorMessage its text.
type Handler func(ctx context.Context, payload []byte) ([]byte, error)

// Invocation is one Lambda call the proxy answered.
type Invocation struct {
	Function string
	Payload  []byte
	// Response is the body sent back: the handler's result, or the
	// {"errorMessage","errorType"} object when Err is set.
	Response  []byte
	Err       error
	ErrorType string
	Start     time.Time
	Duration  time.Duration
}

// RequireMoto returns the path of moto_server. When it is missing the test
// is skipped, except in CI (CI=true) where it fails.
func RequireMoto(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err == nil {
		return path
	}
	msg := "moto_server not on PATH (" + err.Error() + "): install Python moto 5.2.1 with the server extra, e.g. `pip install 'moto[server]==5.2.1'`"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI requires it")
	}
	t.Skip(msg)
	return ""
}

// Server is a running moto server plus the Lambda proxy, seen from one
// test: its helpers fail that test. For gives a view for a subtest.
type Server struct {
	t testing.TB
	*state
}

type state struct {
	// Endpoint is moto (http://localhost:P); ProxyEndpoint is the proxy moto's
	// interpreter calls (http://localhost:Q).
	Endpoint      string
	ProxyEndpoint string
	Config        aws.Config
	S3            *s3.Client
	SFN           *sfn.Client
	// ProxyConfig and ProxyS3 reach moto through the proxy, so their
	// requests are in the request log (Requests); Config and S3 do not
	// (use them to set up fixtures that must not be counted).
	ProxyConfig aws.Config
	ProxyS3     *s3.Client

	log     *lockedBuffer
	httpc   *http.Client
	reqID   atomic.Int64
	mu      sync.Mutex
	handler map[string]Handler
	calls   []Invocation
	reqs    []Request
	// current is the test proxy errors are reported to (the latest For).
	current testing.TB
	// payloadMax: see SetPayloadLimit.
	payloadMax int
}

// For returns a view of the server whose helpers report to t (a subtest):
// t.Fatal must be called from t's own goroutine. Proxy errors (a missing
// handler, a panic) are reported to the latest view's test.
func (s *Server) For(t testing.TB) *Server {
	s.mu.Lock()
	s.current = t
	s.mu.Unlock()
	return &Server{t: t, state: s.state}
}

// reportf fails the current test from the proxy's goroutine. A test that
// has already completed panics on Errorf; the report is then dropped rather
// than crashing the test binary.
func (s *Server) reportf(format string, args ...any) {
	s.mu.Lock()
	t := s.current
	s.mu.Unlock()
	defer func() { recover() }()
	t.Errorf(format, args...)
}

// Start runs moto and the proxy for the test's lifetime, with execution
// enabled. handlers maps function names to Go handlers (more can be added
// with Handle).
func Start(t testing.TB, handlers map[string]Handler) *Server {
	t.Helper()
	bin := RequireMoto(t)
	s := &Server{t: t, state: &state{handler: map[string]Handler{}, log: &lockedBuffer{}, httpc: &http.Client{Timeout: 30 * time.Second}, current: t, payloadMax: 256 << 10}}
	for name, h := range handlers {
		s.handler[name] = h
	}

	// The proxy keeps its listener, so Q cannot be taken by anyone else.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := ln.Addr().(*net.TCPAddr).Port
	s.ProxyEndpoint = "http://localhost:" + strconv.Itoa(q)

	// moto's port is free when asked, not reserved: retry if someone took it.
	var p int
	for attempt := 1; ; attempt++ {
		p = freePort(t)
		s.Endpoint = "http://localhost:" + strconv.Itoa(p)
		if err = s.startMoto(bin, p, q); err == nil {
			break
		}
		if attempt == 3 {
			ln.Close()
			t.Fatalf("moto_server did not start: %v\n%s", err, s.log.String())
		}
	}

	motoURL, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(p))
	rp := httputil.NewSingleHostReverseProxy(motoURL)
	rp.ModifyResponse = func(resp *http.Response) error {
		// moto's interpreter fails on responses without a request id.
		if resp.Header.Get("X-Amzn-RequestId") == "" {
			resp.Header.Set("X-Amzn-RequestId", s.requestID())
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("X-Amzn-RequestId", s.requestID())
		http.Error(w, "moto proxy: "+err.Error(), http.StatusBadGateway)
	}
	srv := &http.Server{Handler: s.proxy(rp), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	s.Config = aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Endpoint),
		// No retries: a moto error should show at once, not after backoff.
		RetryMaxAttempts: 1,
	}
	s.S3 = s3.NewFromConfig(s.Config, func(o *s3.Options) { o.UsePathStyle = true })
	s.ProxyConfig = s.Config.Copy()
	s.ProxyConfig.BaseEndpoint = aws.String(s.ProxyEndpoint)
	s.ProxyS3 = s3.NewFromConfig(s.ProxyConfig, func(o *s3.Options) { o.UsePathStyle = true })
	s.SFN = sfn.NewFromConfig(s.Config)
	s.enableExecution()
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) startMoto(bin string, p, q int) error {
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(p))
	cmd.Env = append(os.Environ(), "MOTO_PORT="+strconv.Itoa(q))
	cmd.Stdout, cmd.Stderr = s.log, s.log
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		killProcessGroup(cmd)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("moto_server exited: %v", err)
		default:
		}
		resp, err := s.httpc.Get("http://127.0.0.1:" + strconv.Itoa(p) + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("moto_server on port %d did not answer within 30s (last error: %v)", p, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Cleanup(func() {
		stop()
		if s.t.Failed() {
			s.t.Logf("moto_server output (tail, long lines cut):\n%s", tail(cutLines(s.log.String(), 400), 8000))
		}
	})
	return nil
}

func cutLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = truncate(l, n)
	}
	return strings.Join(lines, "\n")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func (s *Server) requestID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqID.Add(1))
}

// mustPost posts JSON to moto's own API.
func (s *Server) mustPost(path, body string) {
	s.t.Helper()
	resp, err := s.httpc.Post(s.Endpoint+path, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("POST %s: HTTP %d: %s", path, resp.StatusCode, b)
	}
}

func (s *Server) enableExecution() {
	s.t.Helper()
	s.mustPost("/moto-api/config", `{"stepfunctions":{"execute_state_machine":true}}`)
}

// Reset clears moto (S3, state machines, executions) and the recorded
// invocations, then enables execution again. Handlers stay. moto 5.2.1
// needs it before every StartExecution but the first.
func (s *Server) Reset() {
	s.t.Helper()
	s.mustPost("/moto-api/reset", "")
	s.enableExecution()
	s.mu.Lock()
	s.calls, s.reqs = nil, nil
	s.mu.Unlock()
}

// Handle sets (or with nil removes) the handler of a function.
func (s *Server) Handle(function string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handler, function)
		return
	}
	s.handler[function] = h
}

var invokePath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations$`)

// FunctionName strips an ARN, partial ARN or qualifier to the name:
// arn:aws:lambda:us-east-1:123456789012:function:split:live -> split.
func FunctionName(fn string) string {
	parts := strings.Split(fn, ":")
	switch {
	case strings.HasPrefix(fn, "arn:") && len(parts) >= 7:
		return parts[6]
	case len(parts) >= 3 && parts[1] == "function": // 123456789012:function:name[:qualifier]
		return parts[2]
	default: // name[:qualifier]
		return parts[0]
	}
}

func (s *Server) proxy(rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := invokePath.FindStringSubmatch(r.URL.Path)
		if r.Method != http.MethodPost || m == nil {
			s.record(classify(r))
			rest.ServeHTTP(w, r)
			return
		}
		payload, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.record(Request{Service: "lambda", Op: "Invoke", Method: r.Method, Bytes: int64(len(payload))})
		s.invoke(r.Context(), w, FunctionName(m[1]), payload)
	})
}

func (s *Server) invoke(ctx context.Context, w http.ResponseWriter, fn string, payload []byte) {
	w.Header().Set("X-Amzn-RequestId", s.requestID())
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	h := s.handler[fn]
	s.mu.Unlock()
	if h == nil {
		// What Lambda answers for a missing function.
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Type":"User","Message":"Function not found: %s (no Go handler registered in the moto harness)"}`, LambdaARN(fn))
		s.reportf("moto harness: state machine invoked %q, which has no handler", fn)
		return
	}
	inv := Invocation{Function: fn, Payload: payload, Start: time.Now()}
	out, err := callHandler(ctx, h, payload)
	inv.Duration = time.Since(inv.Start)
	if err != nil {
		e := LambdaErrorResponse(err)
		inv.Err, inv.ErrorType = err, e.Type
		out, _ = json.Marshal(e)
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		if _, ok := err.(panicError); ok {
			s.reportf("moto harness: handler %q panicked: %v", fn, err)
		}
	} else if len(bytes.TrimSpace(out)) == 0 {
		out = []byte("null")
	}
	inv.Response = out
	if lim := s.payloadLimit(); lim > 0 && (len(payload) > lim || len(out) > lim) {
		s.reportf("moto harness: %s payload %d bytes, result %d bytes: Step Functions refuses state data over %d bytes", fn, len(payload), len(out), lim)
	}
	s.mu.Lock()
	s.calls = append(s.calls, inv)
	s.mu.Unlock()
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

func (s *Server) payloadLimit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payloadMax
}

// SetPayloadLimit sets the size in bytes over which an invocation's payload
// or result fails the test: Step Functions refuses state input and output
// over 256 KiB (States.DataLimitExceeded, the default here) but moto does
// not check. 0 disables the check.
func (s *Server) SetPayloadLimit(n int) {
	s.mu.Lock()
	s.payloadMax = n
	s.mu.Unlock()
}

type panicError struct {
	value any
	stack []byte
}

func (p panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", p.value, p.stack) }

func callHandler(ctx context.Context, h Handler, payload []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h(ctx, payload)
}

// LambdaErrorResponse is the body aws-lambda-go sends for a handler error:
// a messages.InvokeResponse_Error as is, otherwise errorType is the Go type
// name of the error (of the element for a pointer).
func LambdaErrorResponse(err error) messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return ive
	}
	if p, ok := err.(panicError); ok {
		// aws-lambda-go names the panic value's type and the runtime exits.
		return messages.InvokeResponse_Error{Message: fmt.Sprint(p.value), Type: typeName(p.value)}
	}
	return messages.InvokeResponse_Error{Message: err.Error(), Type: typeName(err)}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

// Invocations returns the recorded invocations (of every function when
// none is named) in the order they finished.
func (s *Server) Invocations(functions ...string) []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Invocation
	for _, c := range s.calls {
		if len(functions) == 0 || slices.Contains(functions, c.Function) {
			out = append(out, c)
		}
	}
	return out
}

// InvocationCounts returns function -> number of invocations.
func (s *Server) InvocationCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, c := range s.calls {
		n[c.Function]++
	}
	return n
}

// ClearInvocations forgets the recorded invocations.
func (s *Server) ClearInvocations() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

func (s *Server) ctx() context.Context { return s.t.Context() }

// CreateBucket creates S3 buckets in moto.
func (s *Server) CreateBucket(names ...string) {
	s.t.Helper()
	for _, name := range names {
		if _, err := s.S3.CreateBucket(s.ctx(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			s.t.Fatalf("create bucket %s: %v", name, err)
		}
	}
}

// PutObject stores an object in moto's S3.
func (s *Server) PutObject(bucket, key string, body []byte) {
	s.t.Helper()
	_, err := s.S3.PutObject(s.ctx(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		s.t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// GetObject reads an object from moto's S3; ok is false when it does not
// exist.
func (s *Server) GetObject(bucket, key string) (body []byte, ok bool) {
	s.t.Helper()
	out, err := s.S3.GetObject(s.ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, false
		}
		s.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		s.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	return b, true
}

// ListKeys lists the keys under prefix in a bucket, sorted.
func (s *Server) ListKeys(bucket, prefix string) []string {
	s.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx())
		if err != nil {
			s.t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	return keys
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.:]+)\}`)

// Substitute replaces ${Name} placeholders textually, as CloudFormation's
// DefinitionSubstitutions do. It fails when a placeholder has no value.
func Substitute(definition string, subs map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(definition, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := subs[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no substitution for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// StateMachine is a state machine created in moto.
type StateMachine struct {
	s    *Server
	Name string
	ARN  string
}

// CreateStateMachineFile creates a state machine from an ASL file after
// substituting placeholders.
func (s *Server) CreateStateMachineFile(name, path string, subs map[string]string) *StateMachine {
	s.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.CreateStateMachine(name, string(b), subs)
}

// CreateStateMachine creates a STANDARD state machine from an ASL
// definition after substituting placeholders.
func (s *Server) CreateStateMachine(name, definition string, subs map[string]string) *StateMachine {
	s.t.Helper()
	def, err := Substitute(definition, subs)
	if err != nil {
		s.t.Fatalf("state machine %s: %v", name, err)
	}
	if !json.Valid([]byte(def)) {
		s.t.Fatalf("state machine %s: definition is not valid JSON after substitution", name)
	}
	out, err := s.SFN.CreateStateMachine(s.ctx(), &sfn.CreateStateMachineInput{
		Name:       aws.String(name),
		Definition: aws.String(def),
		RoleArn:    aws.String("arn:aws:iam::" + Account + ":role/" + name + "-role"),
		Type:       sfntypes.StateMachineTypeStandard,
	})
	if err != nil {
		s.t.Fatalf("create state machine %s: %v", name, err)
	}
	return &StateMachine{s: s, Name: name, ARN: aws.ToString(out.StateMachineArn)}
}

// Execution is a finished (or timed out) execution.
type Execution struct {
	ARN    string
	Name   string
	Status sfntypes.ExecutionStatus
	// Output is the execution's output (SUCCEEDED only).
	Output json.RawMessage
	// Error and Cause are set when the execution failed.
	Error, Cause string
	History      []sfntypes.HistoryEvent
	// MapRuns are the execution's Distributed Map runs.
	MapRuns []MapRun
	// FailedMapItems counts Map items whose child execution failed. moto
	// 5.2.1 never fails a Distributed Map (a run whose every item failed
	// SUCCEEDS, with null results); AWS would fail it (tolerated failures
	// default to 0).
	FailedMapItems int64
}

// Succeeded reports whether the execution SUCCEEDED with no failed
// Distributed Map item: what AWS would report without tolerated failures.
func (e *Execution) Succeeded() bool {
	return e.Status == sfntypes.ExecutionStatusSucceeded && e.FailedMapItems == 0
}

// RunTimeout bounds Run's wait for an execution to finish.
var RunTimeout = 60 * time.Second

// Run starts an execution named name with input (a string, []byte or
// json.RawMessage is sent as is, anything else is JSON-encoded), waits
// until it is no longer RUNNING and returns it with its history. A
// non-SUCCEEDED execution's state trace is logged.
func (m *StateMachine) Run(name string, input any) *Execution {
	s := m.s
	s.t.Helper()
	var in string
	switch v := input.(type) {
	case string:
		in = v
	case []byte:
		in = string(v)
	case json.RawMessage:
		in = string(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatalf("execution input: %v", err)
		}
		in = string(b)
	}
	ctx := s.ctx()
	start, err := s.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(m.ARN), Name: aws.String(name), Input: aws.String(in)})
	if err != nil {
		s.t.Fatalf("start execution %s of %s: %v (moto 5.2.1 needs Reset before every execution but the first)", name, m.Name, err)
	}
	return m.Wait(aws.ToString(start.ExecutionArn))
}

// Wait waits until the execution arn (started by Run or by code under
// test) is no longer RUNNING and returns it with its history.
func (m *StateMachine) Wait(arn string) *Execution {
	s := m.s
	s.t.Helper()
	ctx := s.ctx()
	name := arn[strings.LastIndex(arn, ":")+1:]
	e := &Execution{ARN: arn, Name: name}
	deadline := time.Now().Add(RunTimeout)
	for {
		d, err := s.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(e.ARN)})
		if err != nil {
			s.t.Fatalf("describe execution %s: %v", e.ARN, err)
		}
		e.Status = d.Status
		if d.Status != sfntypes.ExecutionStatusRunning {
			if d.Output != nil {
				e.Output = json.RawMessage(aws.ToString(d.Output))
			}
			e.Error, e.Cause = aws.ToString(d.Error), aws.ToString(d.Cause)
			break
		}
		if time.Now().After(deadline) {
			e.History = s.History(e.ARN)
			s.t.Fatalf("execution %s still RUNNING after %v; trace:\n%s", name, RunTimeout, e.Trace())
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.History = s.History(e.ARN)
	for _, ev := range e.History {
		if ev.Type == sfntypes.HistoryEventTypeMapRunStarted {
			e.MapRuns = s.MapRuns(e.ARN)
			break
		}
	}
	for _, r := range e.MapRuns {
		if r.Items != nil {
			e.FailedMapItems += r.Items.Failed + r.Items.TimedOut + r.Items.Aborted
		}
	}
	if !e.Succeeded() {
		var failed strings.Builder
		for _, inv := range s.Invocations() {
			if inv.Err != nil {
				fmt.Fprintf(&failed, "  %s -> %s: %s\n", inv.Function, inv.ErrorType, truncate(inv.Err.Error(), 300))
			}
		}
		s.t.Logf("execution %s: %s %s %s (failed map items: %d); trace:\n%sfailed invocations:\n%s",
			name, e.Status, e.Error, truncate(e.Cause, 2000), e.FailedMapItems, e.Trace(), failed.String())
	}
	return e
}

// History returns an execution's events, oldest first.
func (s *Server) History(executionARN string) []sfntypes.HistoryEvent {
	s.t.Helper()
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(s.SFN, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(executionARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(s.ctx())
		if err != nil {
			s.t.Logf("execution history of %s: %v", executionARN, err)
			break
		}
		events = append(events, page.Events...)
	}
	return events
}

// Trace is a compact, one line per event rendering of the history: state
// entries, task failures (error and cause), Map runs, the end.
func (e *Execution) Trace() string {
	var b strings.Builder
	for _, ev := range e.History {
		line := fmt.Sprintf("%4d %s", ev.Id, ev.Type)
		switch {
		case ev.StateEnteredEventDetails != nil:
			line += " " + aws.ToString(ev.StateEnteredEventDetails.Name)
		case ev.TaskFailedEventDetails != nil:
			line += " " + aws.ToString(ev.TaskFailedEventDetails.Error) + ": " + truncate(aws.ToString(ev.TaskFailedEventDetails.Cause), 300)
		case ev.LambdaFunctionFailedEventDetails != nil:
			line += " " + aws.ToString(ev.LambdaFunctionFailedEventDetails.Error) + ": " + truncate(aws.ToString(ev.LambdaFunctionFailedEventDetails.Cause), 300)
		case ev.ExecutionFailedEventDetails != nil:
			line += " " + aws.ToString(ev.ExecutionFailedEventDetails.Error) + ": " + truncate(aws.ToString(ev.ExecutionFailedEventDetails.Cause), 300)
		case ev.MapRunStartedEventDetails != nil:
			line += " " + aws.ToString(ev.MapRunStartedEventDetails.MapRunArn)
		case ev.MapRunFailedEventDetails != nil:
			line += " " + aws.ToString(ev.MapRunFailedEventDetails.Error) + ": " + truncate(aws.ToString(ev.MapRunFailedEventDetails.Cause), 300)
		case ev.MapStateStartedEventDetails != nil && ev.MapStateStartedEventDetails.Length > 0:
			// moto reports 0 for a Distributed Map: the items come later.
			line += fmt.Sprintf(" length=%d", ev.MapStateStartedEventDetails.Length)
		case ev.StateExitedEventDetails != nil:
			continue // entries are enough
		}
		switch ev.Type {
		case sfntypes.HistoryEventTypeTaskScheduled, sfntypes.HistoryEventTypeTaskStarted, sfntypes.HistoryEventTypeTaskSubmitted:
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// States lists the names of the states entered, in order (the parent
// execution's; a Distributed Map's children are separate executions).
func (e *Execution) States() []string {
	var out []string
	for _, ev := range e.History {
		if ev.StateEnteredEventDetails != nil {
			out = append(out, aws.ToString(ev.StateEnteredEventDetails.Name))
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// MapRun is a Distributed Map run of an execution.
type MapRun struct {
	ARN            string
	Status         sfntypes.MapRunStatus
	MaxConcurrency int32
	Items          *sfntypes.MapRunItemCounts
	Executions     *sfntypes.MapRunExecutionCounts
}

// MapRuns lists the execution's Distributed Map runs with their counts.
func (s *Server) MapRuns(executionARN string) []MapRun {
	s.t.Helper()
	list, err := s.SFN.ListMapRuns(s.ctx(), &sfn.ListMapRunsInput{ExecutionArn: aws.String(executionARN)})
	if err != nil {
		s.t.Fatalf("list map runs of %s: %v", executionARN, err)
	}
	var runs []MapRun
	for _, r := range list.MapRuns {
		d, err := s.SFN.DescribeMapRun(s.ctx(), &sfn.DescribeMapRunInput{MapRunArn: r.MapRunArn})
		if err != nil {
			s.t.Fatalf("describe map run %s: %v", aws.ToString(r.MapRunArn), err)
		}
		runs = append(runs, MapRun{ARN: aws.ToString(r.MapRunArn), Status: d.Status, MaxConcurrency: d.MaxConcurrency, Items: d.ItemCounts, Executions: d.ExecutionCounts})
	}
	return runs
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Request is one AWS API request the proxy forwarded to moto (or a Lambda
// invocation it answered): the fake AWS's request log.
type Request struct {
	// Service is the SigV4 signing name (s3, sqs, states, lambda, ...).
	Service string
	// Op is the operation: for S3 the billing class GET (GET, HEAD), LIST
	// (ListObjects*), PUT (PUT, POST, COPY) or DELETE; for JSON and query
	// protocols the X-Amz-Target or Action.
	Op     string
	Method string
	// Bucket and Key are set for S3 (path-style requests).
	Bucket, Key string
	// Bytes is the request body's length (what a PUT stores).
	Bytes int64
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/[^/]+/([^/]+)/aws4_request`)

// classify names a request's service and operation from its signature,
// path and headers.
func classify(r *http.Request) Request {
	req := Request{Method: r.Method, Bytes: max(r.ContentLength, 0)}
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.Service = m[1]
	}
	if req.Service != "s3" {
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			req.Op = t[strings.LastIndex(t, ".")+1:]
		} else {
			req.Op = r.URL.Query().Get("Action")
		}
		if req.Op == "" {
			req.Op = r.Method + " " + r.URL.Path
		}
		return req
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	req.Bucket, req.Key, _ = strings.Cut(path, "/")
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		req.Op = "GET"
		if req.Key == "" && (q.Has("list-type") || q.Has("prefix") || len(q) == 0) && r.Method == http.MethodGet {
			req.Op = "LIST"
		}
	case http.MethodDelete:
		req.Op = "DELETE"
	default:
		req.Op = "PUT"
	}
	return req
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
}

// Requests returns the request log since the last Reset or
// ClearRequests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ClearRequests forgets the request log.
func (s *Server) ClearRequests() {
	s.mu.Lock()
	s.reqs = nil
	s.mu.Unlock()
}
