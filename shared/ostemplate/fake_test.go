package ostemplate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCluster is an in-process stand-in for OpenSearch that checks request
// bodies against the shapes OpenSearch accepts: templates, ISM policies,
// aliases, and bulk requests whose documents must fit the mappings the
// templates declared (the checks a real cluster would refuse a document
// for: an ip field that is no address, a date that does not parse, a
// geo_point without lat/lon, a number that is text, an object where the
// mapping has a value or the reverse).
type fakeCluster struct {
	t          testing.TB
	mu         sync.Mutex
	components map[string]map[string]any
	templates  map[string]map[string]any
	policies   map[string]int64 // seq_no
	aliases    map[string]string
	// mapped: leaf path -> type, from the component template.
	mapped   map[string]string
	docs     int
	refused  []string
	roles    []string
	mappings []string
}

func newFakeCluster(t testing.TB) (*fakeCluster, *httptest.Server) {
	f := &fakeCluster{t: t, components: map[string]map[string]any{}, templates: map[string]map[string]any{}, policies: map[string]int64{}, aliases: map[string]string{}, mapped: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeCluster) fail(w http.ResponseWriter, status int, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	f.t.Errorf("fake OpenSearch refused: %s", msg)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "illegal_argument_exception", "reason": msg}, "status": status})
}

func (f *fakeCluster) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	p := r.URL.Path
	switch {
	case r.Method == "PUT" && strings.HasPrefix(p, "/_component_template/"):
		var ct map[string]any
		if err := json.Unmarshal(body, &ct); err != nil {
			f.fail(w, 400, "component template: %v", err)
			return
		}
		tmpl, _ := ct["template"].(map[string]any)
		mappings, _ := tmpl["mappings"].(map[string]any)
		props, _ := mappings["properties"].(map[string]any)
		if props == nil {
			f.fail(w, 400, "component template without template.mappings.properties")
			return
		}
		if err := f.collect("", props); err != nil {
			f.fail(w, 400, "mapping: %v", err)
			return
		}
		f.components[strings.TrimPrefix(p, "/_component_template/")] = ct
		w.Write([]byte(`{"acknowledged":true}`))
	case r.Method == "PUT" && strings.HasPrefix(p, "/_index_template/"):
		var it map[string]any
		if err := json.Unmarshal(body, &it); err != nil {
			f.fail(w, 400, "index template: %v", err)
			return
		}
		pats, _ := it["index_patterns"].([]any)
		if len(pats) == 0 {
			f.fail(w, 400, "index template without index_patterns")
			return
		}
		comps, _ := it["composed_of"].([]any)
		for _, c := range comps {
			if f.components[c.(string)] == nil {
				f.fail(w, 400, "index template composed of missing component template [%v]", c)
				return
			}
		}
		if tm, ok := it["template"].(map[string]any); ok {
			if s, ok := tm["settings"].(map[string]any); ok {
				for k := range s {
					if !strings.HasPrefix(k, "index.") && !strings.HasPrefix(k, "plugins.index_state_management.") {
						f.fail(w, 400, "unknown setting [%s]", k)
						return
					}
				}
			}
		}
		f.templates[strings.TrimPrefix(p, "/_index_template/")] = it
		w.Write([]byte(`{"acknowledged":true}`))
	case strings.HasPrefix(p, "/_plugins/_ism/policies/"):
		id := strings.TrimPrefix(p, "/_plugins/_ism/policies/")
		seq, exists := f.policies[id]
		switch r.Method {
		case "GET":
			if !exists {
				w.WriteHeader(404)
				return
			}
			fmt.Fprintf(w, `{"_id":%q,"_seq_no":%d,"_primary_term":1,"policy":{}}`, id, seq)
		case "PUT":
			if exists && r.URL.Query().Get("if_seq_no") != fmt.Sprint(seq) {
				f.fail(w, 409, "version conflict, policy [%s] exists: send if_seq_no and if_primary_term", id)
				return
			}
			var pol struct {
				Policy struct {
					DefaultState string           `json:"default_state"`
					States       []map[string]any `json:"states"`
				} `json:"policy"`
			}
			if err := json.Unmarshal(body, &pol); err != nil || pol.Policy.DefaultState == "" || len(pol.Policy.States) == 0 {
				f.fail(w, 400, "ISM policy needs policy.default_state and states (%v)", err)
				return
			}
			f.policies[id] = seq + 1
			w.WriteHeader(201)
			w.Write([]byte(`{"_id":"` + id + `"}`))
		}
	case r.Method == "HEAD" && strings.HasPrefix(p, "/_alias/"):
		if _, ok := f.aliases[strings.TrimPrefix(p, "/_alias/")]; ok {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(404)
		}
	case r.Method == "PUT" && strings.Count(p, "/") == 1:
		var idx struct {
			Aliases map[string]map[string]any `json:"aliases"`
		}
		if err := json.Unmarshal(body, &idx); err != nil {
			f.fail(w, 400, "create index: %v", err)
			return
		}
		for a := range idx.Aliases {
			if _, taken := f.aliases[a]; taken {
				f.fail(w, 400, "alias [%s] already has a write index", a)
				return
			}
			f.aliases[a] = strings.TrimPrefix(p, "/")
		}
		w.Write([]byte(`{"acknowledged":true}`))
	case r.Method == "PUT" && strings.HasPrefix(p, "/_plugins/_security/api/roles/"):
		var role struct {
			Index []struct {
				Patterns []string `json:"index_patterns"`
				Actions  []string `json:"allowed_actions"`
			} `json:"index_permissions"`
		}
		if err := json.Unmarshal(body, &role); err != nil || len(role.Index) == 0 || len(role.Index[0].Patterns) == 0 {
			f.fail(w, 400, "role needs index_permissions with index_patterns (%v)", err)
			return
		}
		f.roles = append(f.roles, strings.TrimPrefix(p, "/_plugins/_security/api/roles/"))
		w.Write([]byte(`{"status":"OK"}`))
	case r.Method == "PUT" && strings.HasPrefix(p, "/_plugins/_security/api/rolesmapping/"):
		var m struct {
			BackendRoles []string `json:"backend_roles"`
		}
		if err := json.Unmarshal(body, &m); err != nil || len(m.BackendRoles) == 0 {
			f.fail(w, 400, "role mapping needs backend_roles")
			return
		}
		f.mappings = m.BackendRoles
		w.Write([]byte(`{"status":"OK"}`))
	case r.Method == "POST" && p == "/_bulk":
		f.bulk(w, body)
	default:
		f.fail(w, 400, "unexpected %s %s", r.Method, p)
	}
}

func (f *fakeCluster) collect(prefix string, props map[string]any) error {
	for k, v := range props {
		m, _ := v.(map[string]any)
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if sub, ok := m["properties"].(map[string]any); ok {
			if err := f.collect(path, sub); err != nil {
				return err
			}
			continue
		}
		typ, _ := m["type"].(string)
		switch typ {
		case "keyword", "text", "date", "ip", "geo_point", "long", "float":
			f.mapped[path] = typ
		default:
			return fmt.Errorf("field [%s]: unknown type [%s]", path, typ)
		}
	}
	return nil
}

// bulk checks the framing and each document against the mappings.
func (f *fakeCluster) bulk(w http.ResponseWriter, body []byte) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var items []any
	for sc.Scan() {
		var action map[string]map[string]any
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || action["index"] == nil {
			f.fail(w, 400, "bulk: action line expected, got %.80s", sc.Text())
			return
		}
		if !sc.Scan() {
			f.fail(w, 400, "bulk: action without a source line")
			return
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			f.fail(w, 400, "bulk: source line: %v", err)
			return
		}
		f.docs++
		meta := action["index"]
		if meta["_index"] == "" || meta["_id"] == "" {
			f.fail(w, 400, "bulk: action without _index or _id")
			return
		}
		if err := f.check("", doc); err != nil {
			f.refused = append(f.refused, fmt.Sprintf("%v/%v: %v", meta["_index"], meta["_id"], err))
		}
		items = append(items, map[string]any{"index": map[string]any{"_index": meta["_index"], "_id": meta["_id"], "status": 201}})
	}
	json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": false, "items": items})
}

func (f *fakeCluster) check(prefix string, v any) error {
	switch t := v.(type) {
	case map[string]any:
		if typ, ok := f.mapped[prefix]; ok && typ != "geo_point" {
			return fmt.Errorf("[%s] is mapped %s but holds an object", prefix, typ)
		}
		if f.mapped[prefix] == "geo_point" {
			_, lat := t["lat"]
			_, lon := t["lon"]
			if !lat || !lon {
				return fmt.Errorf("[%s] geo_point without lat/lon: %v", prefix, t)
			}
			return nil
		}
		for k, e := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if err := f.check(p, e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := f.check(prefix, e); err != nil {
				return err
			}
		}
	default:
		for path := range f.mapped {
			if strings.HasPrefix(path, prefix+".") {
				return fmt.Errorf("[%s] holds a value where the mapping has an object", prefix)
			}
		}
		switch f.mapped[prefix] {
		case "ip":
			if s, ok := t.(string); !ok || !validIP(s) {
				return fmt.Errorf("[%s] is not an IP address: %v", prefix, t)
			}
		case "date":
			if s, ok := t.(string); !ok || !validDate(s) {
				return fmt.Errorf("[%s] is not a date: %v", prefix, t)
			}
		case "long", "float":
			if _, ok := t.(json.Number); !ok {
				return fmt.Errorf("[%s] is not a number: %v", prefix, t)
			}
		case "geo_point":
			return fmt.Errorf("[%s] geo_point is not an object: %v", prefix, t)
		}
	}
	return nil
}

func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func validDate(s string) bool {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}
