package doc

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func benchInput(b *testing.B) [][]byte {
	raw, err := os.ReadFile("../../../shared/corpus/cloudtrail/invictus_aws_dataset_all_records.ndjson")
	if err != nil {
		b.Skipf("corpus absent: %v", err)
	}
	return bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
}

func BenchmarkDecodeCloudTrail(b *testing.B) {
	lines := benchInput(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			if _, err := Decode(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEncodingJSONCloudTrail(b *testing.B) {
	lines := benchInput(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			dec := json.NewDecoder(bytes.NewReader(l))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	}
}
