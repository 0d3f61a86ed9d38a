// Package ostemplate generates what the cluster needs before documents
// arrive: a component template with explicit mappings for every ECS field
// the loader types (addresses as ip, locations as geo_point, times as
// date, counters as numbers), index templates for every index the log
// types write, and for "auto" rotation an ISM rollover policy and the
// write aliases. Applying the plan is idempotent (PUTs, and aliases only
// created when missing), so the configurator runs it on every deploy.
package ostemplate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/siemloader/siem/shared/logtype"
)

// Options are the deployment's choices.
type Options struct {
	// Service is "es" (OpenSearch Service domains) or "aoss" (Serverless:
	// no shard settings, ISM or aliases).
	Service     string
	Shards      int
	Replicas    int
	TotalFields int // index.mapping.total_fields.limit
	// Rollover and retention of "auto" indices (ISM).
	RolloverSize  string // e.g. "50gb"
	RolloverAge   string // e.g. "30d"
	RetentionDays int    // 0 keeps indices
	// BackendRoles are the IAM role ARNs of the loader's functions: with
	// fine-grained access control they are mapped to the siem_loader role
	// (write to log-* and metrics-*, create them, manage their aliases).
	BackendRoles []string
}

// Defaults fills unset options.
func (o Options) Defaults() Options {
	if o.Service == "" {
		o.Service = "es"
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	if o.TotalFields == 0 {
		o.TotalFields = 5000
	}
	if o.RolloverSize == "" {
		o.RolloverSize = "50gb"
	}
	if o.RolloverAge == "" {
		o.RolloverAge = "30d"
	}
	return o
}

// Call is one request of the plan.
type Call struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
	// IfMissing: send only when a HEAD of this path answers 404 (write
	// aliases: creating the first index again would fail).
	IfMissing string `json:"if_missing,omitempty"`
}

// Names of what the plan creates.
const (
	ComponentECS = "siem-ecs"
	PolicyName   = "siem-rollover"
)

// field types of the ECS fields the loader writes typed.
var fieldTypes = map[string][]string{
	"date": {"@timestamp", "event.ingested", "event.created", "event.start", "event.end",
		"threat.enrichments.indicator.first_seen", "threat.enrichments.indicator.last_seen", "threat.enrichments.indicator.modified_at"},
	"ip": {"source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "observer.ip", "related.ip",
		"source.nat.ip", "destination.nat.ip", "network.forwarded_ip", "http.request.header.x_forwarded_for",
		"threat.enrichments.indicator.ip", "dns.resolved_ip"},
	"geo_point": {"source.geo.location", "destination.geo.location", "client.geo.location", "server.geo.location", "host.geo.location", "observer.geo.location"},
	"long": {"source.port", "destination.port", "client.port", "server.port", "url.port",
		"source.bytes", "destination.bytes", "network.bytes", "http.request.bytes", "http.response.bytes",
		"source.packets", "destination.packets", "network.packets",
		"event.duration", "event.severity", "http.response.status_code", "process.pid",
		"source.as.number", "destination.as.number", "client.as.number", "server.as.number", "threat.enrichments.indicator.confidence"},
	"float": {"event.risk_score", "event.risk_score_norm", "vulnerability.score.base"},
	"text":  {"@message", "message", "error.message"},
}

// ComponentTemplate is the ECS mapping every log index shares.
func ComponentTemplate() map[string]any {
	props := map[string]any{}
	set := func(path string, mapping map[string]any) {
		cur := props
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, _ := cur[p].(map[string]any)
			if next == nil {
				next = map[string]any{"properties": map[string]any{}}
				cur[p] = next
			}
			cur = next["properties"].(map[string]any)
		}
		cur[parts[len(parts)-1]] = mapping
	}
	for typ, fields := range fieldTypes {
		for _, f := range fields {
			m := map[string]any{"type": typ}
			switch typ {
			case "text":
				if f == "message" || f == "error.message" {
					m["fields"] = map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": 1024}}
				}
			default:
				// A malformed value is left unindexed instead of refusing
				// the whole document.
				m["ignore_malformed"] = true
			}
			set(f, m)
		}
	}
	set("user_agent.original", map[string]any{"type": "keyword", "ignore_above": 2048, "fields": map[string]any{"text": map[string]any{"type": "text"}}})
	return map[string]any{
		"template": map[string]any{
			"mappings": map[string]any{
				"date_detection":    false,
				"numeric_detection": false,
				"dynamic_templates": []any{
					// Strings of raw fields: keyword, and never longer than
					// Lucene's term limit (32,766 bytes = 8,191 4-byte chars).
					map[string]any{"strings_as_keyword": map[string]any{"match_mapping_type": "string", "mapping": map[string]any{"type": "keyword", "ignore_above": 8191}}},
				},
				"properties": props,
			},
		},
		"_meta": map[string]any{"managed_by": "siem-loader"},
	}
}

// indexBases are the index names the log types write (with their
// rotation), sorted.
func indexBases(reg *logtype.Registry) map[string]string {
	out := map[string]string{}
	for _, d := range reg.All() {
		out[d.Index.Name] = d.Index.Rotation
	}
	return out
}

// Plan returns the requests that configure a cluster for the registry's
// log types.
func Plan(reg *logtype.Registry, o Options) ([]Call, error) {
	o = o.Defaults()
	var calls []Call
	add := func(method, path string, body any, ifMissing string) error {
		var b []byte
		if body != nil {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return err
			}
		}
		calls = append(calls, Call{Method: method, Path: path, Body: b, IfMissing: ifMissing})
		return nil
	}
	if err := add("PUT", "/_component_template/"+ComponentECS, ComponentTemplate(), ""); err != nil {
		return nil, err
	}
	bases := indexBases(reg)
	names := make([]string, 0, len(bases))
	for n := range bases {
		names = append(names, n)
	}
	sort.Strings(names)
	var autoPatterns []string
	for _, base := range names {
		settings := map[string]any{
			"index.mapping.total_fields.limit": o.TotalFields,
			// Values of the wrong type (a raw field that was a number and
			// now holds text) are kept unindexed, not refused.
			"index.mapping.ignore_malformed": true,
		}
		if o.Service != "aoss" {
			settings["index.number_of_shards"] = o.Shards
			settings["index.number_of_replicas"] = o.Replicas
		}
		patterns := []string{base + "-*"}
		if bases[base] == "auto" {
			patterns = []string{base, base + "-*"}
			if o.Service != "aoss" {
				settings["plugins.index_state_management.rollover_alias"] = base
				autoPatterns = append(autoPatterns, base+"-*")
			}
		}
		body := map[string]any{
			"index_patterns": patterns,
			"composed_of":    []string{ComponentECS},
			"priority":       100,
			"template":       map[string]any{"settings": settings},
			"_meta":          map[string]any{"managed_by": "siem-loader"},
		}
		if err := add("PUT", "/_index_template/siem-"+base, body, ""); err != nil {
			return nil, err
		}
	}
	// Custom log types added later still get the ECS mapping.
	if err := add("PUT", "/_index_template/siem-log-catchall", map[string]any{
		"index_patterns": []string{"log-*"},
		"composed_of":    []string{ComponentECS},
		"priority":       10,
		"template":       map[string]any{"settings": map[string]any{"index.mapping.total_fields.limit": o.TotalFields, "index.mapping.ignore_malformed": true}},
		"_meta":          map[string]any{"managed_by": "siem-loader"},
	}, ""); err != nil {
		return nil, err
	}
	if o.Service != "aoss" && len(o.BackendRoles) > 0 {
		if err := add("PUT", SecurityRolePath, loaderRole(), ""); err != nil {
			return nil, err
		}
		if err := add("PUT", SecurityMappingPath, map[string]any{"backend_roles": o.BackendRoles}, ""); err != nil {
			return nil, err
		}
	}
	if o.Service == "aoss" || len(autoPatterns) == 0 {
		return calls, nil
	}
	if err := add("PUT", "/_plugins/_ism/policies/"+PolicyName, ismPolicy(o, autoPatterns), ""); err != nil {
		return nil, err
	}
	for _, base := range names {
		if bases[base] != "auto" {
			continue
		}
		body := map[string]any{"aliases": map[string]any{base: map[string]any{"is_write_index": true}}}
		if err := add("PUT", "/"+base+"-000001", body, "/_alias/"+base); err != nil {
			return nil, err
		}
	}
	return calls, nil
}

// The fine-grained access control role of the loader.
const (
	SecurityRolePath    = "/_plugins/_security/api/roles/siem_loader"
	SecurityMappingPath = "/_plugins/_security/api/rolesmapping/siem_loader"
)

func loaderRole() map[string]any {
	return map[string]any{
		"description":         "siem-loader: bulk-index log documents, create the indices and their aliases",
		"cluster_permissions": []string{"cluster_composite_ops", "cluster_monitor", "indices:data/write/bulk", "indices:admin/template/get"},
		"index_permissions": []any{map[string]any{
			"index_patterns":  []string{"log-*", "metrics-*"},
			"allowed_actions": []string{"crud", "create_index", "indices:admin/aliases*", "indices:admin/mapping/put", "indices:admin/rollover", "indices_monitor"},
		}},
	}
}

func ismPolicy(o Options, patterns []string) map[string]any {
	hot := map[string]any{
		"name":    "hot",
		"actions": []any{map[string]any{"rollover": map[string]any{"min_size": o.RolloverSize, "min_index_age": o.RolloverAge}}},
	}
	states := []any{hot}
	if o.RetentionDays > 0 {
		hot["transitions"] = []any{map[string]any{"state_name": "delete", "conditions": map[string]any{"min_index_age": fmt.Sprintf("%dd", o.RetentionDays)}}}
		states = append(states, map[string]any{"name": "delete", "actions": []any{map[string]any{"delete": map[string]any{}}}})
	} else {
		hot["transitions"] = []any{}
	}
	return map[string]any{"policy": map[string]any{
		"description":   "siem-loader: roll over auto-rotated indices",
		"default_state": "hot",
		"states":        states,
		"ism_template":  []any{map[string]any{"index_patterns": patterns, "priority": 100}},
	}}
}

// Doer sends one request to the cluster (bulk.Client implements it).
type Doer interface {
	Request(ctx context.Context, method, path string, body []byte) (int, []byte, error)
}

// Apply sends the plan in order. ISM policies are updated with the
// sequence numbers OpenSearch requires for an existing policy; write
// aliases are created only when missing.
func Apply(ctx context.Context, do Doer, calls []Call) error {
	for _, c := range calls {
		path := c.Path
		if c.IfMissing != "" {
			status, _, err := do.Request(ctx, "HEAD", c.IfMissing, nil)
			if err != nil {
				return fmt.Errorf("HEAD %s: %w", c.IfMissing, err)
			}
			if status == 200 {
				continue
			}
		}
		if strings.HasPrefix(path, "/_plugins/_ism/policies/") {
			status, body, err := do.Request(ctx, "GET", path, nil)
			if err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			if status == 200 {
				var cur struct {
					SeqNo       *int64 `json:"_seq_no"`
					PrimaryTerm *int64 `json:"_primary_term"`
				}
				if json.Unmarshal(body, &cur) == nil && cur.SeqNo != nil && cur.PrimaryTerm != nil {
					path += fmt.Sprintf("?if_seq_no=%d&if_primary_term=%d", *cur.SeqNo, *cur.PrimaryTerm)
				}
			}
		}
		status, body, err := do.Request(ctx, c.Method, path, c.Body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.Method, path, err)
		}
		if strings.HasPrefix(path, "/_plugins/_security/") && (status == 401 || status == 403 || status == 404) {
			// The caller may not administer security (or the domain has no
			// fine-grained access control): the mapping is then the
			// operator's to make; the templates still apply.
			slog.Warn("security role mapping skipped", "path", path, "status", status, "body", excerpt(body))
			continue
		}
		if status < 200 || status > 299 {
			return fmt.Errorf("%s %s: HTTP %d: %s", c.Method, path, status, excerpt(body))
		}
	}
	return nil
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

// WaitReady polls GET / until the cluster answers with a status below 500
// (401/403 count: the cluster is up, authorization is Apply's business).
// A domain CloudFormation has just created can refuse connections or
// answer 503 for minutes; the configurator waits up to timeout for it.
func WaitReady(ctx context.Context, do Doer, timeout, every time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		status, body, err := do.Request(ctx, "GET", "/", nil)
		if err == nil && status < 500 {
			return nil
		}
		if time.Now().Add(every).After(deadline) {
			if err != nil {
				return fmt.Errorf("cluster not reachable after %s: %w", timeout, err)
			}
			return fmt.Errorf("cluster not ready after %s: HTTP %d: %s", timeout, status, excerpt(body))
		}
		slog.Info("waiting for the cluster", "status", status, "error", err)
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
