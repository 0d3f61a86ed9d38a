package cloudfront_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/cloudfront"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "cloudfront-standard") }
