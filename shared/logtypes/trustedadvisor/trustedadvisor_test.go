package trustedadvisor_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/trustedadvisor"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "trustedadvisor") }
