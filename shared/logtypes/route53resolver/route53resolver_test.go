package route53resolver_test

import (
	"testing"

	"github.com/siemloader/siem/shared/logtypes/golden"
	_ "github.com/siemloader/siem/shared/logtypes/route53resolver"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "route53resolver") }
