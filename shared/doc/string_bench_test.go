package doc

import "testing"

// What documents hold: short keywords, addresses, ARNs, keys and
// messages, plus text with escapes and non-ASCII runes.
var benchStrings = []string{
	"ACCEPT", "us-east-1", "192.0.2.10", "eni-0b13344793d4fde67",
	"arn:aws:iam::123456789012:role/service-role/AWSLambdaBasicExecutionRole",
	"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/15/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240115T0000Z_hash.log.gz",
	"2 493859302102 eni-0b13344793d4fde67 92.55.146.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 ACCEPT OK",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	`GET https://example.com:443/search?q=<script>&x="1" HTTP/1.1`,
	"ログイン失敗: ユーザー名またはパスワードが違います",
}

func BenchmarkAppendString(b *testing.B) {
	n := 0
	for _, s := range benchStrings {
		n += len(s)
	}
	b.SetBytes(int64(n))
	var dst []byte
	for b.Loop() {
		dst = dst[:0]
		for _, s := range benchStrings {
			dst = appendString(dst, s)
		}
	}
}

func BenchmarkDecodeString(b *testing.B) {
	var in [][]byte
	n := 0
	for _, s := range benchStrings {
		in = append(in, appendString(nil, s))
		n += len(s)
	}
	b.SetBytes(int64(n))
	st := &state{}
	for b.Loop() {
		for _, q := range in {
			d := decoder{b: q, st: st}
			if _, err := d.str(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
