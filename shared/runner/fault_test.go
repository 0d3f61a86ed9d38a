package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/pipeline"
)

// faultServer is an in-process OpenSearch _bulk endpoint that injects
// faults: whole-request statuses, dropped connections and per-item
// answers. It records the ids it accepted.
type faultServer struct {
	mu       sync.Mutex
	requests int
	accepted map[string]int
	// whole answers request n (0-based) as a whole: a status, -1 to drop
	// the connection, 0 to answer per item.
	whole func(n int) int
	// item answers one document: 201, 429, 400, 409...
	item func(id string) int
	// throttled and itemsThrottled count the 429s answered, whole and
	// per item.
	throttled, itemsThrottled int
	// flagged counts the accepted documents tagged invalid_utf8.
	flagged int
}

func (f *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := f.requests
	f.requests++
	st := 0
	if f.whole != nil {
		st = f.whole(n)
	}
	if st == 429 {
		f.throttled++
	}
	f.mu.Unlock()
	switch {
	case st < 0:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case st > 0:
		w.WriteHeader(st)
		fmt.Fprintf(w, `{"error":{"type":"injected","reason":"status %d"},"status":%d}`, st, st)
		return
	}
	var items []string
	errs := false
	lines := bytes.Split(bytes.TrimRight(body, "\n"), []byte("\n"))
	for i := 0; i+1 < len(lines); i += 2 {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(lines[i], &action); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		id := action["index"].ID
		code := 201
		if f.item != nil {
			code = f.item(id)
		}
		if code >= 200 && code < 300 {
			f.mu.Lock()
			f.accepted[id]++
			if bytes.Contains(lines[i+1], []byte(`"invalid_utf8"`)) {
				f.flagged++
			}
			f.mu.Unlock()
			items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":%d}}`, id, code))
			continue
		}
		errs = true
		if code == 429 {
			f.mu.Lock()
			f.itemsThrottled++
			f.mu.Unlock()
		}
		items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":%d,"error":{"type":"injected_%d","reason":"injected"}}}`, id, code, code))
	}
	fmt.Fprintf(w, `{"took":1,"errors":%t,"items":[%s]}`, errs, strings.Join(items, ","))
}

func hashOf(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

// TestRunFaults runs the demo files against a _bulk endpoint that fails in
// the ways a real cluster does, some past every retry. Whatever happens,
// the run ends with a summary, every file is read, and each record is
// either accepted by the server or in a dead letter (or a counted skip).
func TestRunFaults(t *testing.T) {
	perItem := func(id string) int {
		switch h := hashOf(id); {
		case h%11 == 0:
			return 400
		case h%13 == 0:
			return 409
		}
		return 201
	}
	item429 := func(id string) int {
		if hashOf(id)%7 == 0 {
			return 429 // forever
		}
		return perItem(id)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	random503 := func(int) int {
		if rnd.IntN(10) < 3 {
			return 503
		}
		return 0
	}
	baseline := 0
	for _, tc := range []struct {
		name    string
		whole   func(int) int
		item    func(string) int
		notSent int // 1: some documents must end up not sent, -1: none, 0: either
	}{
		{name: "clean", notSent: -1},
		{name: "429 burst", whole: func(n int) int {
			if n < 10 {
				return 429
			}
			return 0
		}, notSent: 1},
		{name: "random 503", whole: random503},
		{name: "dropped connections", whole: func(n int) int {
			if n < 3 {
				return -1
			}
			return 0
		}, notSent: 1},
		{name: "per-item 429 forever", item: item429, notSent: 1},
		{name: "400 and 409 rejections", item: perItem, notSent: -1},
		{name: "all at once", whole: func(n int) int {
			if n < 10 {
				return 429
			}
			if n < 13 {
				return -1
			}
			return random503(n)
		}, item: item429, notSent: 1},
		{name: "cluster down", whole: func(int) int { return 503 }, notSent: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &faultServer{accepted: map[string]int{}, whole: tc.whole, item: tc.item}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			client, err := bulk.New(bulk.Config{Endpoint: srv.URL, Auth: "none", HTTPClient: srv.Client(),
				Timeout: 10 * time.Second, Sleep: func(context.Context, time.Duration) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			sum, err := Run(context.Background(), Options{Paths: []string{"../../testdata/demo"}, OutDir: out, Indexer: client,
				ChunkRecords: 50, InlineMaxBytes: 2000, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sum.RecordsIn != sum.Indexed+sum.DeadLettered+sum.Skipped {
				t.Errorf("identity: %d != %d + %d + %d", sum.RecordsIn, sum.Indexed, sum.DeadLettered, sum.Skipped)
			}
			if len(sum.FailedObjects) != 0 {
				t.Errorf("failed objects: %+v", sum.FailedObjects)
			}
			if baseline == 0 {
				baseline = sum.RecordsIn // the clean run
			} else if sum.RecordsIn != baseline {
				t.Errorf("records in %d, the clean run read %d (every file must be read)", sum.RecordsIn, baseline)
			}
			dead := readDeadLetters(t, sum.DeadLetterDir)
			if len(dead) != sum.DeadLettered {
				t.Errorf("%d dead-letter lines, summary says %d", len(dead), sum.DeadLettered)
			}
			if len(fs.accepted) != sum.Indexed {
				t.Errorf("server accepted %d ids, summary says %d indexed", len(fs.accepted), sum.Indexed)
			}
			if len(fs.accepted)+len(dead)+sum.Skipped != sum.RecordsIn {
				t.Errorf("accepted %d + dead letters %d + skipped %d != records in %d", len(fs.accepted), len(dead), sum.Skipped, sum.RecordsIn)
			}
			notSent, rejected := 0, 0
			for _, d := range dead {
				if d.Step != "index" {
					continue
				}
				if fs.accepted[d.ID] > 0 {
					t.Errorf("%s is both accepted and dead-lettered: %s", d.ID, d.Reason)
				}
				if len(d.Doc) == 0 || d.Index == "" || d.ID == "" {
					t.Errorf("index dead letter without its document (not replayable): %+v", d)
				}
				switch {
				case strings.HasPrefix(d.Reason, pipeline.NotSentPrefix):
					notSent++
				case strings.HasPrefix(d.Reason, "OpenSearch 400") || strings.HasPrefix(d.Reason, "OpenSearch 409"):
					rejected++
				default:
					t.Errorf("unexpected index dead letter: %s", d.Reason)
				}
			}
			if notSent != sum.NotSent {
				t.Errorf("not sent: %d dead letters, summary %d", notSent, sum.NotSent)
			}
			if tc.notSent != 0 && (tc.notSent > 0) != (notSent > 0) {
				t.Errorf("not sent: %d", notSent)
			}
			if tc.item != nil && tc.name != "cluster down" && rejected == 0 {
				t.Error("no 400/409 rejection was dead-lettered")
			}
			// Every 429 the server answered is in the summary (and in
			// the metrics of the deployed loader, from the same Result).
			if sum.BulkThrottled != fs.throttled || sum.BulkItemsThrottled != fs.itemsThrottled || sum.BulkRequests != fs.requests {
				t.Errorf("summary: %d requests, %d throttled, %d items throttled; server: %d, %d, %d",
					sum.BulkRequests, sum.BulkThrottled, sum.BulkItemsThrottled, fs.requests, fs.throttled, fs.itemsThrottled)
			}
			var table strings.Builder
			sum.WriteTable(&table)
			if want := fmt.Sprintf("%d bulk requests, %d answered 429, %d documents answered 429", fs.requests, fs.throttled, fs.itemsThrottled); !strings.Contains(table.String(), want) {
				t.Errorf("summary table lacks %q:\n%s", want, table.String())
			}
			if !strings.Contains(table.String(), fmt.Sprintf("records in %d = indexed %d", sum.RecordsIn, sum.Indexed)) {
				t.Errorf("summary table:\n%s", table.String())
			}
		})
	}
}

func readDeadLetters(t *testing.T, dir string) []pipeline.DeadLetter {
	t.Helper()
	var found []pipeline.DeadLetter
	if dir == "" {
		return nil
	}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var d pipeline.DeadLetter
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				return err
			}
			found = append(found, d)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
