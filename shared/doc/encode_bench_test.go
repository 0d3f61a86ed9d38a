package doc

import (
	"encoding/json"
	"fmt"
	"testing"
)

func BenchmarkAppendJSONDoc(b *testing.B) {
	var d map[string]any
	json.Unmarshal([]byte(`{"@id":"cdba739d0f0b3c8f7a3d1f3e5b6a7c8d","@log_s3bucket":"siem-logs-123456789012","@log_s3key":"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x.log","@log_type":"vpcflowlogs","@message":"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK","@timestamp":"2014-12-14T04:07:50Z","account_id":"123456789012","action":"ACCEPT","bytes":"4249","cloud":{"account":{"id":"123456789012"},"provider":"aws","region":"us-east-1"},"destination":{"address":"172.31.16.21","ip":"172.31.16.21","port":22},"dstaddr":"172.31.16.21","dstport":"22","ecs":{"version":"1.10.0"},"end":"1418530070","event":{"action":"ACCEPT","category":["network"],"ingested":"2025-01-02T03:04:05Z","kind":"event","module":"vpcflowlogs","outcome":"success"},"interface_id":"eni-1235b8ca123456789","log_status":"OK","network":{"bytes":4249,"iana_number":"6","packets":20,"transport":"tcp"},"packets":"20","protocol":"6","related":{"ip":["172.31.16.139","172.31.16.21"]},"source":{"address":"172.31.16.139","bytes":4249,"ip":"172.31.16.139","packets":20,"port":20641},"srcaddr":"172.31.16.139","srcport":"20641","start":"1418530010","version":"2"}`), &d)
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for i := 0; i < b.N; i++ {
		buf, _ = AppendJSON(buf[:0], d)
	}
}

func BenchmarkEncoderDoc(b *testing.B) {
	var d map[string]any
	json.Unmarshal([]byte(`{"@id":"cdba739d0f0b3c8f7a3d1f3e5b6a7c8d","@log_s3bucket":"siem-logs-123456789012","@log_s3key":"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/x.log","@log_type":"vpcflowlogs","@message":"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK","@timestamp":"2014-12-14T04:07:50Z","account_id":"123456789012","action":"ACCEPT","bytes":"4249","cloud":{"account":{"id":"123456789012"},"provider":"aws","region":"us-east-1"},"destination":{"address":"172.31.16.21","ip":"172.31.16.21","port":22},"dstaddr":"172.31.16.21","dstport":"22","ecs":{"version":"1.10.0"},"end":"1418530070","event":{"action":"ACCEPT","category":["network"],"ingested":"2025-01-02T03:04:05Z","kind":"event","module":"vpcflowlogs","outcome":"success"},"interface_id":"eni-1235b8ca123456789","log_status":"OK","network":{"bytes":4249,"iana_number":"6","packets":20,"transport":"tcp"},"packets":"20","protocol":"6","related":{"ip":["172.31.16.139","172.31.16.21"]},"source":{"address":"172.31.16.139","bytes":4249,"ip":"172.31.16.139","packets":20,"port":20641},"srcaddr":"172.31.16.139","srcport":"20641","start":"1418530010","version":"2"}`), &d)
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	var e Encoder
	for i := 0; i < b.N; i++ {
		buf, _ = e.Append(buf[:0], d)
	}
}

// BenchmarkAppendJSONCloudTrail encodes the corpus's real CloudTrail
// events (long strings: ARNs, user agents, policies).
func BenchmarkAppendJSONCloudTrail(b *testing.B) {
	docs := benchDocs(b)
	buf := make([]byte, 0, 1<<16)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			buf, _ = AppendJSON(buf[:0], d)
		}
	}
}

func BenchmarkEncoderCloudTrail(b *testing.B) {
	docs := benchDocs(b)
	buf := make([]byte, 0, 1<<16)
	var e Encoder
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			buf, _ = e.Append(buf[:0], d)
		}
	}
}

// benchDocs decodes the benchmark's CloudTrail events.
func benchDocs(b *testing.B) []any {
	var docs []any
	for _, l := range benchInput(b) {
		d, err := Decode(l)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

// BenchmarkEncoderShapes cycles through documents that each lack a
// different optional member, as ALB and CloudTrail documents do.
func BenchmarkEncoderShapes(b *testing.B) {
	docs := benchDocs(b)
	var shapes []any
	for i := 0; i < 16 && i < len(docs); i++ {
		shapes = append(shapes, docs[i])
	}
	base := map[string]any{}
	for i := 0; i < 40; i++ {
		base[fmt.Sprintf("field_%02d", i)] = "value"
	}
	for i := 0; i < 16; i++ {
		d := map[string]any{}
		for k, v := range base {
			if k != fmt.Sprintf("field_%02d", i) {
				d[k] = v
			}
		}
		shapes = append(shapes, d)
	}
	buf := make([]byte, 0, 1<<16)
	var e Encoder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range shapes {
			buf, _ = e.Append(buf[:0], d)
		}
	}
}
