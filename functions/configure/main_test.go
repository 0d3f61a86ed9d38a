package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"

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
	id, data, err := handler(logtype.Builtin(), ostemplate.Options{}, rec)(context.Background(), ev)
	if err != nil || id != physicalID || data["Requests"] != len(rec.calls) || rec.calls[0] != "PUT /_component_template/siem-ecs" {
		t.Errorf("create: %s %v %v %v", id, data, err, rec.calls)
	}
	ev.RequestType = cfn.RequestDelete
	rec.calls = nil
	if _, _, err := handler(logtype.Builtin(), ostemplate.Options{}, rec)(context.Background(), ev); err != nil || len(rec.calls) != 0 {
		t.Errorf("delete touched the cluster: %v %v", rec.calls, err)
	}
	// No endpoint yet: the stack still deploys.
	ev.RequestType = cfn.RequestCreate
	if _, data, err := handler(logtype.Builtin(), ostemplate.Options{}, nil)(context.Background(), ev); err != nil || data["Requests"] != 0 {
		t.Errorf("without an endpoint: %v %v", data, err)
	}
}
