package awsenv

import (
	"context"
	"testing"

	"github.com/siemloader/siem/shared/bulk"
)

func TestDashboardsImporter(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("DASHBOARDS_IMPORT", "maybe")
	if _, err := DashboardsImporter(ctx, &Configurator{}); err == nil {
		t.Error("DASHBOARDS_IMPORT=maybe accepted")
	}
	t.Setenv("DASHBOARDS_IMPORT", "")
	if im, err := DashboardsImporter(ctx, &Configurator{}); im != nil || err != nil {
		t.Errorf("no endpoint: %v %v", im, err)
	}
	// A domain: the OpenSearch client under /_dashboards.
	osc, _ := bulk.New(bulk.Config{Endpoint: "http://localhost:9200"})
	im, err := DashboardsImporter(ctx, &Configurator{Client: osc})
	if err != nil || im.Sender != osc || im.Base != "/_dashboards" || im.Mode != "true" || im.Service != "es" {
		t.Errorf("domain: %+v %v", im, err)
	}
	// A Dashboards URL of its own, with the same authentication.
	t.Setenv("DASHBOARDS_URL", "http://localhost:5601")
	t.Setenv("DASHBOARDS_IMPORT", "warn")
	t.Setenv("OPENSEARCH_SERVICE", "aoss")
	im, err = DashboardsImporter(ctx, &Configurator{Client: osc})
	if err != nil || im.Sender == nil || im.Sender == osc || im.Base != "" || im.Mode != "warn" || im.Service != "aoss" {
		t.Errorf("dashboards url: %+v %v", im, err)
	}
}
