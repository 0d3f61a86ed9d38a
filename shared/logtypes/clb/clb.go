// Package clb registers the CLB (Classic Load Balancer) log type. Its lines are read by the ALB
// decoder, which knows every Elastic Load Balancing format.
package clb

import (
	_ "embed"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/alb" // decoder and transform
)

//go:embed logtype.yaml
var definition []byte

func init() { logtype.Register(logtype.Package{YAML: definition}) }
