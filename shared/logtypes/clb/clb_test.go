package clb_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/clb"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "clb") }
