package awsenv

import (
	"cmp"
	"net/url"
	"os"
	"strings"
)

// endpointOf returns the value of env, except that an empty
// OPENSEARCH_ENDPOINT falls back to OPENSEARCH_STACK_ENDPOINT: the domain
// or collection the stack created (OpenSearchDeployment), whose endpoint
// the template passes to every function.
func endpointOf(env string) string {
	v := os.Getenv(env)
	if env == "OPENSEARCH_ENDPOINT" {
		v = cmp.Or(v, os.Getenv("OPENSEARCH_STACK_ENDPOINT"))
	}
	return strings.TrimSpace(v)
}

// openSearchService is the SigV4 service of endpoint: aoss for an
// OpenSearch Serverless host whatever OPENSEARCH_SERVICE says (a created
// collection needs no second parameter), else OPENSEARCH_SERVICE (default
// es).
func openSearchService(endpoint string) string {
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	if u, err := url.Parse(endpoint); err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".aoss.amazonaws.com") {
		return "aoss"
	}
	return Env("OPENSEARCH_SERVICE", "es")
}
