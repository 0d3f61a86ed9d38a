package logtype

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Config is a user's log type file: new log types, and overrides of
// built-in ones (only the fields given change).
//
//	log_types:
//	  - name: myapp
//	    s3_key: 'myapp/'
//	    format: json
//	    ...
type Config struct {
	LogTypes []yaml.Node `yaml:"log_types"`
	// Exclusions are read by package exclude (exclude.FromConfig).
	Exclusions yaml.Node `yaml:"exclusions"`
}

// LoadConfig reads a log type file and returns the registry with its
// definitions applied over base. Errors name the entry and the field;
// unknown fields are errors too (a typo must not be ignored silently).
func LoadConfig(base *Registry, r io.Reader) (*Registry, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return base, nil
		}
		return nil, fmt.Errorf("log type config: %w", err)
	}
	var over []*Definition
	seen := map[string]bool{}
	for i := range cfg.LogTypes {
		node := &cfg.LogTypes[i]
		var probe struct {
			Name string `yaml:"name"`
		}
		if err := node.Decode(&probe); err != nil || probe.Name == "" {
			return nil, fmt.Errorf("log type config: entry %d (line %d): field name: required", i+1, node.Line)
		}
		if seen[probe.Name] {
			return nil, fmt.Errorf("log type config: entry %d (line %d): log type %q defined twice", i+1, node.Line, probe.Name)
		}
		seen[probe.Name] = true
		var d Definition
		b := base.Get(probe.Name)
		if b != nil {
			d = *b // override: start from the built-in
			d.ECS = copyMap(b.ECS)
			d.ECSLists = copyMap(b.ECSLists)
		}
		if err := decodeStrict(node, &d); err != nil {
			return nil, fmt.Errorf("log type config: entry %d %q (line %d): %w", i+1, probe.Name, node.Line, err)
		}
		if b == nil && d.Order == 0 {
			d.Order = 1000 // new types come after the built-ins unless told otherwise
		}
		over = append(over, &d)
	}
	reg, err := base.WithOverrides(over)
	if err != nil {
		return nil, fmt.Errorf("log type config: %w", err)
	}
	return reg, nil
}

// decodeStrict decodes a node refusing unknown fields (Node.Decode does
// not support KnownFields, so re-encode and decode strictly).
func decodeStrict(node *yaml.Node, v any) error {
	b, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func copyMap(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
