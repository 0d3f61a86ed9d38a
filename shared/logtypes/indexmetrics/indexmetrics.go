// Package indexmetrics registers the index-metrics log type: the
// exporter's hourly index and shard statistics, loaded as they are.
package indexmetrics

import (
	_ "embed"

	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() { logtype.Register(logtype.Package{YAML: definition}) }
