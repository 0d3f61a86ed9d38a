package dashboards_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/logtype"
)

// received is one request the fake Dashboards got, its file part decoded.
type received struct {
	method, path, query string
	header              http.Header
	file                []byte
	filename            string
}

// fakeDashboards answers the import API with the given responses in turn
// (the last one repeats).
func fakeDashboards(t *testing.T, answers ...func(w http.ResponseWriter, objects int)) (*httptest.Server, *[]received) {
	t.Helper()
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := received{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone()}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		objects := 0
		if err == nil && mt == "multipart/form-data" {
			mr := multipart.NewReader(r.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				if p.FormName() == "file" {
					rec.file, _ = io.ReadAll(p)
					rec.filename = p.FileName()
				}
			}
			objects = bytes.Count(rec.file, []byte("\n"))
		}
		got = append(got, rec)
		answers[min(len(got), len(answers))-1](w, objects)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func ok(w http.ResponseWriter, n int) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"success":true,"successCount":`+strconv.Itoa(n)+`,"successResults":[]}`)
}

func client(t *testing.T, url string) *bulk.Client {
	t.Helper()
	c, err := bulk.New(bulk.Config{Endpoint: url, Auth: "basic", Username: "admin", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func noSleep(context.Context, time.Duration) error { return nil }

// The request is what Dashboards expects: POST to the import API under the
// domain's /_dashboards base with overwrite=true, the XSRF and global
// tenant headers, a multipart body whose "file" part is the bundle. A
// second deploy sends the same bytes (ids are stable, overwrite replaces).
func TestImportRequestShape(t *testing.T) {
	srv, got := fakeDashboards(t, ok)
	im := &dashboards.Importer{Sender: client(t, srv.URL), Base: "/_dashboards", Sleep: noSleep}
	reg := logtype.Builtin()
	want := dashboards.Bundle(reg)
	for range 2 {
		n, err := im.Deploy(context.Background(), reg)
		if err != nil || n != len(dashboards.Objects(reg)) {
			t.Fatalf("Deploy = %d, %v; want %d objects", n, err, len(dashboards.Objects(reg)))
		}
	}
	if len(*got) != 2 {
		t.Fatalf("%d requests", len(*got))
	}
	for _, r := range *got {
		if r.method != "POST" || r.path != "/_dashboards/api/saved_objects/_import" || r.query != "overwrite=true" {
			t.Errorf("request %s %s?%s", r.method, r.path, r.query)
		}
		if r.header.Get("Osd-Xsrf") != "true" || r.header.Get("Securitytenant") != "global" {
			t.Errorf("headers %v", r.header)
		}
		if u, p, _ := (&http.Request{Header: r.header}).BasicAuth(); u != "admin" || p != "pw" {
			t.Errorf("auth %q %q", u, p)
		}
		if !bytes.Equal(r.file, want) || !strings.HasSuffix(r.filename, ".ndjson") {
			t.Errorf("file part %q: %d bytes, want the %d-byte bundle", r.filename, len(r.file), len(want))
		}
	}
	if !bytes.Equal((*got)[0].file, (*got)[1].file) {
		t.Error("two deploys sent different bundles")
	}
	sc := bufio.NewScanner(bytes.NewReader((*got)[0].file))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"type":`)) {
			t.Fatalf("bundle line %.80s", sc.Text())
		}
	}
}

// A 200 answer with success=false names every refused object; a non-2xx
// answer carries the API's message; 503 (Dashboards not ready yet) is
// retried; warn mode logs and goes on; serverless and off send nothing.
func TestImportErrors(t *testing.T) {
	partial := func(w http.ResponseWriter, n int) {
		io.WriteString(w, `{"success":false,"successCount":3,"errors":[
			{"id":"siem-vis-x","type":"visualization","title":"X","error":{"type":"missing_references","references":[{"type":"index-pattern","id":"siem-ip-nope"}]}},
			{"id":"siem-dash-y","type":"dashboard","title":"Y","error":{"type":"unknown","message":"boom"}}]}`)
	}
	badRequest := func(w http.ResponseWriter, n int) {
		w.WriteHeader(400)
		io.WriteString(w, `{"statusCode":400,"error":"Bad Request","message":"[request body.file]: expected value of type [Stream]"}`)
	}
	unavailable := func(w http.ResponseWriter, n int) {
		w.WriteHeader(503)
		io.WriteString(w, `OpenSearch Dashboards server is not ready yet`)
	}
	reg := logtype.Builtin()
	ctx := context.Background()

	t.Run("refused objects", func(t *testing.T) {
		srv, _ := fakeDashboards(t, partial)
		n, err := (&dashboards.Importer{Sender: client(t, srv.URL), Sleep: noSleep}).Deploy(ctx, reg)
		var ie *dashboards.ImportError
		if !errors.As(err, &ie) || n != 3 || len(ie.Objects) != 2 {
			t.Fatalf("Deploy = %d, %v", n, err)
		}
		for _, want := range []string{"3 objects imported, 2 refused", "visualization/siem-vis-x (X): missing_references index-pattern/siem-ip-nope", "dashboard/siem-dash-y (Y): unknown boom"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	t.Run("HTTP 400", func(t *testing.T) {
		srv, got := fakeDashboards(t, badRequest)
		_, err := (&dashboards.Importer{Sender: client(t, srv.URL), Sleep: noSleep}).Deploy(ctx, reg)
		if err == nil || !strings.Contains(err.Error(), "HTTP 400: [request body.file]") || len(*got) != 1 {
			t.Errorf("err %v after %d requests", err, len(*got))
		}
	})
	t.Run("503 retried then imported", func(t *testing.T) {
		srv, got := fakeDashboards(t, unavailable, unavailable, ok)
		var slept []time.Duration
		im := &dashboards.Importer{Sender: client(t, srv.URL), Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
		if n, err := im.Deploy(ctx, reg); err != nil || n == 0 || len(*got) != 3 || len(slept) != 2 {
			t.Errorf("Deploy = %d, %v after %d requests, slept %v", n, err, len(*got), slept)
		}
	})
	t.Run("503 forever", func(t *testing.T) {
		srv, got := fakeDashboards(t, unavailable)
		_, err := (&dashboards.Importer{Sender: client(t, srv.URL), Attempts: 3, Sleep: noSleep}).Deploy(ctx, reg)
		if err == nil || !strings.Contains(err.Error(), "HTTP 503: OpenSearch Dashboards server is not ready yet") || len(*got) != 3 {
			t.Errorf("err %v after %d requests", err, len(*got))
		}
	})
	t.Run("warn mode", func(t *testing.T) {
		srv, _ := fakeDashboards(t, badRequest)
		if _, err := (&dashboards.Importer{Sender: client(t, srv.URL), Mode: dashboards.ModeWarn, Sleep: noSleep}).Deploy(ctx, reg); err != nil {
			t.Errorf("warn mode failed the deploy: %v", err)
		}
	})
	t.Run("serverless and off", func(t *testing.T) {
		srv, got := fakeDashboards(t, ok)
		for _, im := range []*dashboards.Importer{
			{Sender: client(t, srv.URL), Service: "aoss"},
			{Sender: client(t, srv.URL), Mode: dashboards.ModeOff},
			nil,
		} {
			if n, err := im.Deploy(ctx, reg); err != nil || n != 0 {
				t.Errorf("Deploy = %d, %v", n, err)
			}
		}
		if len(*got) != 0 {
			t.Errorf("%d requests sent", len(*got))
		}
	})
}
