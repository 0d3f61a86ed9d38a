package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOpenSearch is an httptest server that parses _bulk bodies the way
// OpenSearch does and answers with OpenSearch-shaped JSON.
type fakeOpenSearch struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	reqs []*bulkRequest

	// reply decides the answer to bulk request number n (0-based). Nil:
	// every document is created.
	reply func(n int, r *bulkRequest) reply
}

// bulkRequest is one _bulk request as the server saw it.
type bulkRequest struct {
	Header http.Header
	Query  string
	Body   []byte
	Docs   []sentDoc
}

type sentDoc struct {
	Index, ID string
	Source    string
}

func (r *bulkRequest) ids() []string {
	var out []string
	for _, d := range r.Docs {
		out = append(out, d.ID)
	}
	return out
}

// reply is either a whole-request answer (Status != 0) or per-item answers.
type reply struct {
	Status int    // whole-request status; 0 = 200 with Items
	Body   string // whole-request body
	Items  []item // one per document; nil = all 201
	Delay  time.Duration
}

type item struct {
	Status       int
	Type, Reason string
	CauseType    string
	CauseReason  string
}

func created() item { return item{Status: 201} }

func newFake(t *testing.T, reply func(n int, r *bulkRequest) reply) *fakeOpenSearch {
	f := &fakeOpenSearch{t: t, reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenSearch) requests() []*bulkRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*bulkRequest(nil), f.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func osError400(reason string) string {
	return fmt.Sprintf(`{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":%q}],"type":"illegal_argument_exception","reason":%q},"status":400}`, reason, reason)
}

func (f *fakeOpenSearch) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading request body: %v", err)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" { // health checks
		writeJSON(w, 200, `{"name":"node-1","cluster_name":"fake","version":{"distribution":"opensearch","number":"2.19.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/_bulk" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		writeJSON(w, 405, `{"error":"Incorrect HTTP method","status":405}`)
		return
	}
	req := &bulkRequest{Header: r.Header.Clone(), Query: r.URL.RawQuery, Body: body}
	docs, perr := parseBulk(body)
	req.Docs = docs
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if perr != nil {
		f.t.Errorf("request %d: bad bulk body: %v\n%s", n, perr, body)
		writeJSON(w, 400, osError400(perr.Error()))
		return
	}
	var rep reply
	if f.reply != nil {
		rep = f.reply(n, req)
	}
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.Status != 0 {
		writeJSON(w, rep.Status, rep.Body)
		return
	}
	items := rep.Items
	if items == nil {
		for range docs {
			items = append(items, created())
		}
	}
	if len(items) != len(docs) {
		f.t.Errorf("test bug: %d items for %d docs", len(items), len(docs))
		writeJSON(w, 500, `{"error":"test bug","status":500}`)
		return
	}
	writeJSON(w, 200, bulkResponseBody(r.URL.Query().Get("filter_path") != "", docs, items))
}

// parseBulk validates NDJSON framing like OpenSearch: action line, source
// line, each valid JSON, body ending in a newline.
func parseBulk(body []byte) ([]sentDoc, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("request body is required")
	}
	if body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("The bulk request must be terminated by a newline [\\n]")
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines)%2 != 0 {
		return nil, fmt.Errorf("odd number of lines (%d): action without source", len(lines))
	}
	var docs []sentDoc
	for i := 0; i < len(lines); i += 2 {
		var action map[string]map[string]any
		dec := json.NewDecoder(strings.NewReader(lines[i]))
		dec.UseNumber()
		if err := dec.Decode(&action); err != nil {
			return nil, fmt.Errorf("line %d: malformed action/metadata line: %v", i+1, err)
		}
		meta, ok := action["index"]
		if len(action) != 1 || !ok {
			return nil, fmt.Errorf("line %d: want exactly one \"index\" action, got %s", i+1, lines[i])
		}
		for k := range meta {
			if k != "_index" && k != "_id" {
				return nil, fmt.Errorf("line %d: unexpected action field %q", i+1, k)
			}
		}
		idx, _ := meta["_index"].(string)
		id, _ := meta["_id"].(string)
		if idx == "" || id == "" {
			return nil, fmt.Errorf("line %d: _index and _id must be non-empty strings: %s", i+1, lines[i])
		}
		var src map[string]any
		if err := json.Unmarshal([]byte(lines[i+1]), &src); err != nil {
			return nil, fmt.Errorf("line %d: source is not a JSON object: %v", i+2, err)
		}
		docs = append(docs, sentDoc{Index: idx, ID: id, Source: lines[i+1]})
	}
	return docs, nil
}

// bulkResponseBody renders an OpenSearch bulk response; filtered mimics
// filter_path=errors,items.*.status,items.*.error,took.
func bulkResponseBody(filtered bool, docs []sentDoc, items []item) string {
	type errObj struct {
		Type     string  `json:"type"`
		Reason   string  `json:"reason"`
		Index    string  `json:"index,omitempty"`
		IndexUID string  `json:"index_uuid,omitempty"`
		Shard    string  `json:"shard,omitempty"`
		CausedBy *errObj `json:"caused_by,omitempty"`
	}
	errs := false
	var out []map[string]map[string]any
	for i, it := range items {
		m := map[string]any{"status": it.Status}
		if !filtered {
			m["_index"], m["_id"] = docs[i].Index, docs[i].ID
		}
		if it.Status >= 200 && it.Status <= 299 {
			if !filtered {
				m["_version"], m["result"] = 1, "created"
				m["_shards"] = map[string]int{"total": 2, "successful": 1, "failed": 0}
				m["_seq_no"], m["_primary_term"] = i, 1
			}
		} else {
			errs = true
			e := &errObj{Type: it.Type, Reason: it.Reason, Index: docs[i].Index, IndexUID: "aAsFqTI0Tc2W0LCWgPNrOA", Shard: "0"}
			if it.CauseType != "" {
				e.CausedBy = &errObj{Type: it.CauseType, Reason: it.CauseReason}
			}
			m["error"] = e
		}
		out = append(out, map[string]map[string]any{"index": m})
	}
	b, _ := json.Marshal(map[string]any{"took": 7, "errors": errs, "items": out})
	return string(b)
}

// sleeps records the backoff delays a client asked for.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newTestClient returns a client for f with instant sleeps.
func newTestClient(t *testing.T, f *fakeOpenSearch, cfg Config) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	cfg.Endpoint = f.srv.URL
	if cfg.Auth == "" {
		cfg.Auth = "none"
	}
	cfg.HTTPClient = f.srv.Client()
	if cfg.Sleep == nil {
		cfg.Sleep = s.sleep
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, s
}

func testDocs(n int, index string, pad int) []Doc {
	docs := make([]Doc, n)
	for i := range docs {
		src := fmt.Sprintf(`{"@timestamp":"2024-05-01T10:00:%02dZ","event":{"action":"ConsoleLogin"},"n":%d,"pad":%q}`, i%60, i, strings.Repeat("x", pad))
		docs[i] = Doc{Index: index, ID: fmt.Sprintf("id-%03d", i), Record: i + 1, Source: json.RawMessage(src)}
	}
	return docs
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
