package elasticache_test

import (
	"testing"

	_ "github.com/siemloader/siem/shared/logtypes/elasticache"
	"github.com/siemloader/siem/shared/logtypes/golden"
)

func TestGolden(t *testing.T) { golden.CheckType(t, "elasticache-redis-slowlog") }
