package ocsf_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/ocsf"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "ocsf-json") }
