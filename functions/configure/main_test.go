package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/siemloader/siem/shared/bulk"
	"github.com/siemloader/siem/shared/dashboards"
	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/ostemplate"
)

// recorder answers every request with success and remembers it.
type recorder struct{ calls []string }

func (r *recorder) Request(_ context.Context, method, path string, _ []byte) (int, []byte, error) {
	r.calls = append(r.calls, method+" "+path)
	if method == "HEAD" || method == "GET" {
		return 404, nil, nil
	}
	return 200, []byte(`{"acknowledged":true}`), nil
}

func TestHandlerWithEvent(t *testing.T) {
	var ev cfn.Event
	b, _ := os.ReadFile("../../events/configure-create.json")
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	id, data, err := handler(logtype.Builtin(), ostemplate.Options{}, rec, nil)(context.Background(), ev)
	if err != nil || id != physicalID || data["Requests"] != len(rec.calls)-1 || rec.calls[0] != "GET /" || rec.calls[1] != "PUT /_component_template/siem-ecs" {
		t.Errorf("create: %s %v %v %v", id, data, err, rec.calls)
	}
	ev.RequestType = cfn.RequestDelete
	rec.calls = nil
	if _, _, err := handler(logtype.Builtin(), ostemplate.Options{}, rec, nil)(context.Background(), ev); err != nil || len(rec.calls) != 0 {
		t.Errorf("delete touched the cluster: %v %v", rec.calls, err)
	}
	// No endpoint yet: the stack still deploys.
	ev.RequestType = cfn.RequestCreate
	if _, data, err := handler(logtype.Builtin(), ostemplate.Options{}, nil, nil)(context.Background(), ev); err != nil || data["Requests"] != 0 {
		t.Errorf("without an endpoint: %v %v", data, err)
	}
}

// After the templates, the bundle goes to the Dashboards import API; an
// import the API refuses fails the custom resource (the deploy reports it).
func TestHandlerImportsDashboards(t *testing.T) {
	var paths []string
	answer := `{"success":true,"successCount":7}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Osd-Xsrf"))
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c, err := bulk.New(bulk.Config{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	imp := &dashboards.Importer{Sender: c, Base: "/_dashboards"}
	ev := cfn.Event{RequestType: cfn.RequestUpdate}
	rec := &recorder{}
	_, data, err := handler(logtype.Builtin(), ostemplate.Options{}, rec, imp)(context.Background(), ev)
	if err != nil || data["DashboardObjects"] != 7 || len(rec.calls) == 0 {
		t.Fatalf("update: %v %v", data, err)
	}
	if len(paths) != 1 || paths[0] != "POST /_dashboards/api/saved_objects/_import?overwrite=true true" {
		t.Errorf("dashboards requests %v", paths)
	}
	answer = `{"success":false,"successCount":0,"errors":[{"id":"a","type":"dashboard","title":"A","error":{"type":"unknown","message":"bad"}}]}`
	if _, _, err := handler(logtype.Builtin(), ostemplate.Options{}, rec, imp)(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "dashboard/a (A): unknown bad") {
		t.Errorf("refused import: %v", err)
	}
}
