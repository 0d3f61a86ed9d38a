package awsenv

import "testing"

func TestEndpointFallsBackToTheStackCluster(t *testing.T) {
	t.Setenv("OPENSEARCH_ENDPOINT", "")
	t.Setenv("OPENSEARCH_STACK_ENDPOINT", "search-siem-abc.eu-west-1.es.amazonaws.com")
	t.Setenv("DASHBOARDS_URL", "")
	if got := endpointOf("OPENSEARCH_ENDPOINT"); got != "search-siem-abc.eu-west-1.es.amazonaws.com" {
		t.Errorf("empty endpoint: %q", got)
	}
	if got := endpointOf("DASHBOARDS_URL"); got != "" {
		t.Errorf("DASHBOARDS_URL fell back: %q", got)
	}
	t.Setenv("OPENSEARCH_ENDPOINT", "https://mine.example.com")
	if got := endpointOf("OPENSEARCH_ENDPOINT"); got != "https://mine.example.com" {
		t.Errorf("OPENSEARCH_ENDPOINT lost to the stack's: %q", got)
	}
	t.Setenv("OPENSEARCH_SERVICE", "es")
	for endpoint, want := range map[string]string{
		"https://abc123.eu-west-1.aoss.amazonaws.com": "aoss",
		"abc123.us-east-1.aoss.amazonaws.com":         "aoss",
		"search-x.eu-west-1.es.amazonaws.com":         "es",
		"http://localhost:9200":                       "es",
	} {
		if got := openSearchService(endpoint); got != want {
			t.Errorf("service of %s = %s, want %s", endpoint, got, want)
		}
	}
	t.Setenv("OPENSEARCH_SERVICE", "aoss")
	if got := openSearchService("https://vpce-x.example.com"); got != "aoss" {
		t.Errorf("OPENSEARCH_SERVICE=aoss ignored: %s", got)
	}
}
