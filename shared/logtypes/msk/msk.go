// Package msk registers Amazon MSK broker logs.
package msk

import (
	_ "embed"
	"regexp"
	"strconv"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform})
}

var (
	brokerKey   = regexp.MustCompile(`/([\w-]+)-(\w{8}-\w{4}-\w{4}-\w{4}-\w{12}-\w+)/.*/Broker-(\d+)_`)
	consumerLag = regexp.MustCompile(`ConsumerLag for groupId=(\S+) topic=(\S+) : SumLag=(\d+) MaxLag=(\d+) TimeLag=(\d+)`)
)

// Transform names the cluster and broker from the key, reads consumer
// lag reports, and moves the raw msk_* fields under msk.*.
func Transform(d map[string]any, r *logtype.Result) error {
	if m := brokerKey.FindStringSubmatch(doc.GetString(d, "@log_s3key")); m != nil {
		doc.Set(d, "msk.cluster_name", m[1])
		doc.Set(d, "msk.cluster_uuid", m[2])
		doc.Set(d, "msk.broker_id", m[3])
		doc.Set(d, "service.node.name", "Broker-"+m[3])
	}
	if m := consumerLag.FindStringSubmatch(doc.GetString(d, "msk_message")); m != nil {
		doc.Set(d, "msk.log_type", "ConsumerLag")
		doc.Set(d, "msk.group_id", m[1])
		doc.Set(d, "msk.topic", m[2])
		for i, k := range []string{"sum_lag", "max_lag", "time_lag"} {
			n, _ := strconv.ParseInt(m[3+i], 10, 64)
			doc.Set(d, "msk."+k, n)
		}
	}
	doc.MoveUnder(d, "msk_", "msk")
	return nil
}
