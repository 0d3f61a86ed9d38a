package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/format"
)

// reusingFramer yields its lines through one buffer it overwrites on
// every Next, as real framers may.
type reusingFramer struct {
	lines []string
	buf   []byte
	n     int
}

func (f *reusingFramer) Next() (format.Record, error) {
	if f.n == len(f.lines) {
		return format.Record{}, io.EOF
	}
	f.buf = append(f.buf[:0], f.lines[f.n]...)
	f.n++
	return format.Record{Num: f.n, Raw: f.buf}, nil
}

// readBatches copies every record out of the framer's buffer into arenas
// it never writes again, which is what lets decoders share a Stable
// record's bytes: once all batches are read, every record still holds its
// own line, and is marked Stable.
func TestReadBatchesRecordsAreStable(t *testing.T) {
	var lines []string
	for i := 0; i < 5000; i++ {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%300))
		if i == 1234 {
			l += strings.Repeat("big", 200<<10) // over an arena's 256 KiB
		}
		lines = append(lines, l)
	}
	out := make(chan *recordBatch, 1000)
	var count int
	if err := readBatches(context.Background(), &reusingFramer{lines: lines}, 100, out, &count); err != nil {
		t.Fatal(err)
	}
	close(out)
	n := 0
	for b := range out {
		for _, rec := range b.recs {
			if !rec.Stable {
				t.Fatalf("record %d not marked Stable", rec.Num)
			}
			if string(rec.Raw) != lines[rec.Num-1] {
				t.Fatalf("record %d holds %.40q, want %.40q", rec.Num, rec.Raw, lines[rec.Num-1])
			}
			n++
		}
	}
	if n != len(lines) || count != 50 {
		t.Errorf("%d records in %d batches, want %d in 50", n, count, len(lines))
	}
}
