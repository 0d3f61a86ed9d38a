// Package workspaces registers the Amazon WorkSpaces log types: access
// events and inventory snapshots.
package workspaces

import (
	_ "embed"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

var (
	//go:embed event.yaml
	eventDefinition []byte
	//go:embed inventory.yaml
	inventoryDefinition []byte
)

func init() {
	logtype.Register(logtype.Package{YAML: eventDefinition, Transform: EventTransform})
	logtype.Register(logtype.Package{YAML: inventoryDefinition})
}

// EventTransform sets the outcome from the action (the reference wrote
// success for every event, failed logins included).
func EventTransform(d map[string]any, r *logtype.Result) error {
	switch a := strings.ToLower(doc.GetString(d, "actionType")); {
	case strings.HasPrefix(a, "success"):
		doc.Set(d, "event.outcome", "success")
	case strings.HasPrefix(a, "fail"):
		doc.Set(d, "event.outcome", "failure")
	}
	return nil
}
