// Package stepfunctions executes the project's state machines for real on
// moto's server: S3 lives in moto, and every Lambda invoke the interpreter
// makes is answered in-process by the Go step code through a small proxy.
package stepfunctions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Func answers one Lambda invocation.
type Func func(ctx context.Context, payload []byte) ([]byte, error)

// Invocation records one call for assertions.
type Invocation struct {
	Function string
	Payload  []byte
	Result   []byte
	Err      error
}

// Moto is a running moto server plus the Lambda proxy in front of it.
type Moto struct {
	t        testing.TB
	Endpoint string // moto itself
	proxy    *http.Server
	cmd      *exec.Cmd
	log      *bytes.Buffer

	mu          sync.Mutex
	funcs       map[string]Func
	Invocations []Invocation

	S3  *s3.Client
	SFN *sfn.Client
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs moto_server (skipped on a laptop without it, a failure in CI).
func Start(t testing.TB) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server is required in CI: %v", err)
		}
		t.Skipf("moto_server not installed (pip install 'moto[server]==5.2.1'): %v", err)
	}
	mp, pp := freePort(t), freePort(t)
	m := &Moto{t: t, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", mp), log: &bytes.Buffer{}, funcs: map[string]Func{}}

	// The interpreter calls Lambda and S3 at localhost:MOTO_PORT: our proxy.
	target, _ := url.Parse(m.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", pp))
	if err != nil {
		t.Fatal(err)
	}
	m.proxy = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fn, ok := lambdaFunction(r.URL.Path); ok && r.Method == http.MethodPost {
			m.invoke(w, r, fn)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go m.proxy.Serve(ln)

	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(mp))
	m.cmd.Env = append(os.Environ(), fmt.Sprintf("MOTO_PORT=%d", pp))
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start: %v\n%s", err, m.log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	m.S3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
		o.UsePathStyle = true
	})
	m.SFN = sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	return m
}

func (m *Moto) stop() {
	if m.proxy != nil {
		m.proxy.Close()
	}
	if m.cmd != nil && m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
}

// lambdaFunction extracts the function name from an Invoke path; the name
// may be a full ARN.
func lambdaFunction(path string) (string, bool) {
	const prefix = "/2015-03-31/functions/"
	if !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, "/invocations") {
		return "", false
	}
	fn := strings.TrimSuffix(strings.TrimPrefix(path, prefix), "/invocations")
	if u, err := url.PathUnescape(fn); err == nil {
		fn = u
	}
	if i := strings.LastIndex(fn, ":function:"); i >= 0 {
		fn = fn[i+len(":function:"):]
	}
	if i := strings.IndexByte(fn, ':'); i >= 0 { // qualifier
		fn = fn[:i]
	}
	return fn, true
}

// errorType names an error the way aws-lambda-go reports it.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func (m *Moto) invoke(w http.ResponseWriter, r *http.Request, fn string) {
	payload, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	f, ok := m.funcs[fn]
	m.mu.Unlock()
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("req-%d", time.Now().UnixNano()))
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Type":"User","message":"Function not found: %s"}`, fn)
		return
	}
	res, err := f(r.Context(), payload)
	m.mu.Lock()
	m.Invocations = append(m.Invocations, Invocation{Function: fn, Payload: payload, Result: res, Err: err})
	m.mu.Unlock()
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		b, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": errorType(err)})
		w.Write(b)
		return
	}
	w.Write(res)
}

// Handle registers the Go function answering invokes of name.
func (m *Moto) Handle(name string, f Func) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.funcs[name] = f
}

// Calls counts the invocations of a function.
func (m *Moto) Calls(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.Invocations {
		if c.Function == name {
			n++
		}
	}
	return n
}

func (m *Moto) post(path, body string) {
	m.t.Helper()
	resp, err := http.Post(m.Endpoint+path, "application/json", strings.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		m.t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// Reset clears moto (5.2.1 fails a second StartExecution in a server's
// lifetime otherwise), re-enables execution and forgets invocations.
func (m *Moto) Reset() {
	m.t.Helper()
	m.post("/moto-api/reset", "")
	m.post("/moto-api/config", `{"stepfunctions":{"execute_state_machine":true}}`)
	m.mu.Lock()
	m.Invocations = nil
	m.mu.Unlock()
}

// Bucket creates a bucket.
func (m *Moto) Bucket(name string) {
	m.t.Helper()
	if _, err := m.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		m.t.Fatal(err)
	}
}

// Put writes an object.
func (m *Moto) Put(bucket, key string, body []byte) {
	m.t.Helper()
	if _, err := m.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		m.t.Fatal(err)
	}
}

// StateMachine creates a state machine from an ASL file, substituting
// ${Name} placeholders as CloudFormation's DefinitionSubstitutions do.
func (m *Moto) StateMachine(name, aslFile string, subs map[string]string) string {
	m.t.Helper()
	b, err := os.ReadFile(aslFile)
	if err != nil {
		m.t.Fatal(err)
	}
	def := string(b)
	for k, v := range subs {
		def = strings.ReplaceAll(def, "${"+k+"}", v)
	}
	if i := strings.Index(def, "${"); i >= 0 {
		m.t.Fatalf("%s: unsubstituted placeholder near %q", aslFile, def[i:min(len(def), i+40)])
	}
	out, err := m.SFN.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: &name, Definition: &def, RoleArn: aws.String("arn:aws:iam::123456789012:role/siem-sfn"),
		Type: sfntypes.StateMachineTypeStandard,
	})
	if err != nil {
		m.t.Fatalf("CreateStateMachine %s: %v", aslFile, err)
	}
	return *out.StateMachineArn
}

// Execution is a finished execution.
type Execution struct {
	Status string
	Output string
	Error  string
	Cause  string
	Trace  string // entered states, for failure messages
}

// Run starts an execution with an explicit name and waits for its end.
func (m *Moto) Run(machineArn, name, input string) Execution {
	m.t.Helper()
	ctx := context.Background()
	st, err := m.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &machineArn, Name: &name, Input: &input})
	if err != nil {
		m.t.Fatalf("StartExecution: %v", err)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		d, err := m.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: st.ExecutionArn})
		if err != nil {
			m.t.Fatalf("DescribeExecution: %v", err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			ex := Execution{Status: string(d.Status), Output: aws.ToString(d.Output), Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
			ex.Trace = m.trace(*st.ExecutionArn)
			return ex
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("execution still running after 120 s: %s", m.trace(*st.ExecutionArn))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (m *Moto) trace(arn string) string {
	h, err := m.SFN.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: &arn, MaxResults: 1000})
	if err != nil {
		return "history: " + err.Error()
	}
	var parts []string
	for _, e := range h.Events {
		s := string(e.Type)
		if e.StateEnteredEventDetails != nil {
			s += "(" + aws.ToString(e.StateEnteredEventDetails.Name) + ")"
		}
		if e.TaskFailedEventDetails != nil {
			s += "[" + aws.ToString(e.TaskFailedEventDetails.Error) + ": " + aws.ToString(e.TaskFailedEventDetails.Cause) + "]"
		}
		if e.ExecutionFailedEventDetails != nil {
			s += "[" + aws.ToString(e.ExecutionFailedEventDetails.Error) + ": " + aws.ToString(e.ExecutionFailedEventDetails.Cause) + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " > ")
}
