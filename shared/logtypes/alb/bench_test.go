package alb

import (
	"bufio"
	"os"
	"testing"
)

func benchLines(b *testing.B) [][]byte {
	b.Helper()
	f, err := os.Open("testdata/samples.log")
	if err != nil {
		f, err = os.Open("testdata/generations.log")
		if err != nil {
			b.Fatal(err)
		}
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Bytes(); len(l) > 0 {
			if _, err := Decode(l); err == nil {
				lines = append(lines, append([]byte(nil), l...))
			}
		}
	}
	return lines
}

// BenchmarkDecode decodes a typical current-generation HTTPS line.
func BenchmarkDecode(b *testing.B) {
	line := []byte(`https 2025-05-01T11:24:32.748149Z app/my-loadbalancer/abcd1234efgh5678 192.0.2.200:57273 10.0.0.7:80 0.001 0.002 0.000 200 200 120 272 "GET https://www.example.com:443/search?q=term&page=2 HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef "Root=1-68135a40-0123456789abcdef01234567" "www.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 2 2025-05-01T11:24:32.740000Z "forward" "-" "-" "10.0.0.7:80" "200" "-" "-" TID_0123456789abcdef0123456789abcdef`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(line); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkDecodeSamples cycles through every decodable sample line (all
// generations and kinds).
func BenchmarkDecodeSamples(b *testing.B) {
	lines := benchLines(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Decode(lines[i%len(lines)])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
