package format

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siemloader/siem/shared/logtype"
)

// trailRecord is a CloudTrail event as CloudTrail writes it; %08d varies
// its ids.
const trailRecord = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDATFQR7NSC5AU2ZV3IE","arn":"arn:aws:iam::123837392027:user/bert-jan","accountId":"123837392027","accessKeyId":"AKIATFQR7NSC8Q4X20BJ","userName":"bert-jan"},"eventTime":"2023-07-10T12:12:05Z","eventSource":"iam.amazonaws.com","eventName":"GetUser","awsRegion":"us-east-1","sourceIPAddress":"192.168.10.20","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; linux; amd64) HashiCorp-terraform-exec/0.17.3","requestParameters":{"userName":"bert-jan","tags":[{"key":"a","value":"}]\"["}]},"responseElements":null,"requestID":"3eab6845-8fc5-4519-8970-%08d","eventID":"59526cdd-e3c3-479a-9f8d-%08d","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`

var trailParts = strings.Split(trailRecord, "%08d")

// appendID appends n as 8 digits.
func appendID(b []byte, n int) []byte {
	var d [8]byte
	for i := 7; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:]...)
}

// trailReader generates a CloudTrail log file ({"Records":[...]}) of about
// size bytes as it is read, without holding it.
type trailReader struct {
	size, written int64
	n             int
	buf, pending  []byte
	started, done bool
}

func (r *trailReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if len(r.pending) == 0 {
			switch {
			case r.done:
				if total == 0 {
					return 0, io.EOF
				}
				return total, nil
			case !r.started:
				r.pending, r.started = append(r.pending[:0], `{"Records":[`...), true
			case r.written >= r.size:
				r.pending, r.done = append(r.pending[:0], "]}\n"...), true
			default:
				r.n++
				r.buf = r.buf[:0]
				if r.n > 1 {
					r.buf = append(r.buf, ",\n"...)
				}
				for i, part := range trailParts {
					if i > 0 {
						r.buf = appendID(r.buf, r.n)
					}
					r.buf = append(r.buf, part...)
				}
				r.pending = r.buf
			}
		}
		c := copy(p, r.pending)
		r.pending, p, total = r.pending[c:], p[c:], total+c
		r.written += int64(c)
	}
	return total, nil
}

// framePeak frames a generated CloudTrail file of size bytes and returns
// the records framed and the peak heap in use above the heap before,
// sampled while it runs.
func framePeak(tb testing.TB, size int64) (records int, peak uint64) {
	def := &logtype.Definition{Format: "json", RecordsField: "Records"}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var (
		mu   sync.Mutex
		max  uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		if m.HeapInuse > max {
			max = m.HeapInuse
		}
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	fr := NewFramer(def, &trailReader{size: size})
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if rec.Num != records+1 || rec.Raw[0] != '{' {
			tb.Fatalf("record %d: %d %.40s", records+1, rec.Num, rec.Raw)
		}
		records++
	}
	sample()
	close(stop)
	wg.Wait()
	if max < before.HeapInuse {
		return records, 0
	}
	return records, max - before.HeapInuse
}

// Framing a CloudTrail file keeps a window, not the file: the peak heap
// does not grow with the file.
func TestJSONFramerMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("frames 64 MB")
	}
	small, smallPeak := framePeak(t, 4<<20)
	big, bigPeak := framePeak(t, 64<<20)
	if big < 15*small || bigPeak > 8<<20 || bigPeak > smallPeak+4<<20 {
		t.Errorf("%d records: peak heap %d bytes; %d records: %d bytes", small, smallPeak, big, bigPeak)
	}
}

// BenchmarkFrameCloudTrailPeakHeap frames generated CloudTrail files of
// 100 MB and 1 GB (uncompressed) from a reader and reports the peak heap:
// it stays flat, the window holding a few records.
func BenchmarkFrameCloudTrailPeakHeap(b *testing.B) {
	for _, size := range []int64{100 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				recs, peak := framePeak(b, size)
				b.ReportMetric(float64(recs), "records")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			}
		})
	}
}
