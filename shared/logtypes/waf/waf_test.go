package waf_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/waf"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "waf") }
