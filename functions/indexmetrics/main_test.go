package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/osmetrics"
)

type cluster map[string]string

func (c cluster) Request(_ context.Context, _, path string, _ []byte) (int, []byte, error) {
	p, _, _ := strings.Cut(path, "?")
	if b, ok := c[p]; ok {
		return 200, []byte(b), nil
	}
	return 404, []byte(`{}`), nil
}

type putter map[string][]byte

func (p putter) Put(_ context.Context, bucket, key string, body []byte) error {
	p[bucket+"/"+key] = body
	return nil
}

// The schedule's event (events/indexmetrics-schedule.json, ignored)
// through the handler: one object under the index-metrics prefix.
func TestHandler(t *testing.T) {
	out := putter{}
	e := &osmetrics.Exporter{Store: out, Bucket: "logs", Account: "123456789012", Region: "eu-west-1",
		Now: func() time.Time { return time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC) },
		Cluster: cluster{
			"/":             `{"cluster_name":"123456789012:siem","cluster_uuid":"u1"}`,
			"/_cat/indices": `[{"health":"yellow","status":"open","index":"log-aws-waf-2024-03","pri":"1","rep":"1"}]`,
			"/_cat/shards":  `[{"index":"log-aws-waf-2024-03","shard":"0","prirep":"p","state":"STARTED","docs":"5","store":"100","id":"n1","node":"a"}]`,
			"/_stats/docs,indexing,merge,refresh,segments,store,fielddata,search": `{"indices":{"log-aws-waf-2024-03":{"primaries":{"docs":{"count":5}},"total":{"docs":{"count":5}}}}}`,
		}}
	res, err := handler(e)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Indices != 1 || res.Shards != 1 || !strings.HasPrefix(res.Key, "AWSLogs/123456789012/OpenSearch/metrics/eu-west-1/2024/03/04/aos_index_metrics_") || len(out) != 1 {
		t.Errorf("result %+v, %d objects", res, len(out))
	}
	if res, err := handler(nil)(context.Background()); err != nil || res.Key != "" {
		t.Errorf("without an endpoint: %+v %v", res, err)
	}
}
