package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/xitongsys/parquet-go/compress"
	pq "github.com/xitongsys/parquet-go/parquet"
)

// maxPageValues bounds the values of one data page. Writers cut pages at
// about 1 MiB or 20,000 rows; a page claiming more is corrupt, and
// decoding it would allocate without bound.
const maxPageValues = 1 << 24

// MaxPageBytes, MaxPageRatio and PageRatioFloorBytes bound the page sizes
// a file may claim (uncompressed, and per compressed byte once over the
// floor) before any page is decompressed: writers cut pages at about
// 1 MiB, so a page claiming more is a bomb or corrupt. Pages are
// decompressed by the library, which trusts the codec's stream; these
// limits refuse what a file says in advance.
var (
	MaxPageBytes        int64 = 256 << 20
	MaxPageRatio        int64 = 1000
	PageRatioFloorBytes int64 = 16 << 20
)

// checkChunk walks a column chunk's pages before the library decodes them
// and refuses what would make it allocate or loop without bound: page
// sizes beyond the chunk, value counts beyond the chunk or the row group,
// and run-length runs longer than their page. The library trusts all of
// these.
func checkChunk(data []byte, md *pq.ColumnMetaData, rows int64, maxRL, maxDL int32) error {
	if maxRL == 0 && md.NumValues != rows {
		return fmt.Errorf("%d values for %d rows", md.NumValues, rows)
	}
	if md.NumValues < rows {
		return fmt.Errorf("%d values for %d rows", md.NumValues, rows)
	}
	buf := thrift.NewTMemoryBuffer()
	buf.Write(data)
	var seen int64
	for buf.Len() > 0 && seen < md.NumValues {
		at := len(data) - buf.Len()
		proto := thrift.NewTCompactProtocolConf(buf, &thrift.TConfiguration{MaxMessageSize: int32(buf.Len())})
		h := pq.NewPageHeader()
		if err := h.Read(context.Background(), proto); err != nil {
			return fmt.Errorf("page header at chunk byte %d: %w", at, err)
		}
		cs := int(h.CompressedPageSize)
		if cs < 0 || cs > buf.Len() || h.UncompressedPageSize < 0 {
			return fmt.Errorf("page at chunk byte %d claims %d bytes; %d are left", at, cs, buf.Len())
		}
		if us := int64(h.UncompressedPageSize); us > MaxPageBytes || us > PageRatioFloorBytes && us > MaxPageRatio*int64(max(cs, 1)) {
			return fmt.Errorf("decompression limit: page at chunk byte %d claims %d bytes from %d compressed, over the page limits (%d bytes, %d:1 past %d): not decompressed",
				at, us, cs, MaxPageBytes, MaxPageRatio, PageRatioFloorBytes)
		}
		page := buf.Next(cs)
		switch h.Type {
		case pq.PageType_DICTIONARY_PAGE:
			if h.DictionaryPageHeader == nil {
				return fmt.Errorf("dictionary page at chunk byte %d has no header", at)
			}
			n := h.DictionaryPageHeader.NumValues
			if n < 0 || int64(n) > 8*int64(h.UncompressedPageSize)+8 {
				return fmt.Errorf("dictionary page at chunk byte %d claims %d values in %d bytes", at, n, h.UncompressedPageSize)
			}
			if md.Type == pq.Type_BYTE_ARRAY {
				raw, err := compress.Uncompress(page, md.Codec)
				if err != nil {
					return fmt.Errorf("dictionary page at chunk byte %d: %w", at, err)
				}
				if err := checkPlainBytes(bytes.NewReader(raw), int64(n)); err != nil {
					return fmt.Errorf("dictionary page at chunk byte %d: %w", at, err)
				}
			}
		case pq.PageType_DATA_PAGE, pq.PageType_DATA_PAGE_V2:
			var nv int64
			var check func() error
			switch {
			case h.DataPageHeader != nil && h.Type == pq.PageType_DATA_PAGE:
				nv = int64(h.DataPageHeader.NumValues)
				check = func() error { return checkPageV1(page, h.DataPageHeader, md, nv, maxRL, maxDL) }
			case h.DataPageHeaderV2 != nil && h.Type == pq.PageType_DATA_PAGE_V2:
				nv = int64(h.DataPageHeaderV2.NumValues)
				check = func() error { return checkPageV2(page, h.DataPageHeaderV2, md, nv, maxRL, maxDL) }
			default:
				return fmt.Errorf("data page at chunk byte %d has no header", at)
			}
			if err := checkCount(nv, seen, md.NumValues); err != nil {
				return fmt.Errorf("data page at chunk byte %d: %w", at, err)
			}
			seen += nv
			if err := check(); err != nil {
				return fmt.Errorf("data page at chunk byte %d: %w", at, err)
			}
		default:
			// Index pages and unknown pages are skipped by the library.
		}
	}
	if seen < md.NumValues {
		return fmt.Errorf("pages hold %d of the chunk's %d values", seen, md.NumValues)
	}
	return nil
}

// checkPageV1 checks a v1 data page: levels and values are compressed
// together, each level run sequence prefixed with its length.
func checkPageV1(page []byte, dh *pq.DataPageHeader, md *pq.ColumnMetaData, nv int64, maxRL, maxDL int32) error {
	raw, err := compress.Uncompress(page, md.Codec)
	if err != nil {
		return err
	}
	r := bytes.NewReader(raw)
	for _, max := range []int32{maxRL, maxDL} {
		if max == 0 {
			continue
		}
		if err := checkPrefixedHybrid(r, bitWidth(max), nv); err != nil {
			return fmt.Errorf("levels: %w", err)
		}
	}
	if err := checkValues(r, dh.Encoding, md.Type, nv); err != nil {
		return fmt.Errorf("values: %w", err)
	}
	return nil
}

// checkPageV2 checks a v2 data page: levels come first, uncompressed, with
// their lengths in the header.
func checkPageV2(page []byte, dh *pq.DataPageHeaderV2, md *pq.ColumnMetaData, nv int64, maxRL, maxDL int32) error {
	rll, dll := int(dh.RepetitionLevelsByteLength), int(dh.DefinitionLevelsByteLength)
	if rll < 0 || dll < 0 || rll+dll > len(page) {
		return fmt.Errorf("level lengths %d+%d exceed the page (%d)", rll, dll, len(page))
	}
	if err := checkHybrid(page[:rll], bitWidth(maxRL), nv); err != nil {
		return fmt.Errorf("repetition levels: %w", err)
	}
	if err := checkHybrid(page[rll:rll+dll], bitWidth(maxDL), nv); err != nil {
		return fmt.Errorf("definition levels: %w", err)
	}
	raw := page[rll+dll:]
	if dh.IsCompressed {
		var err error
		if raw, err = compress.Uncompress(raw, md.Codec); err != nil {
			return err
		}
	}
	if err := checkValues(bytes.NewReader(raw), dh.Encoding, md.Type, nv); err != nil {
		return fmt.Errorf("values: %w", err)
	}
	return nil
}

func checkCount(nv, seen, total int64) error {
	if nv < 0 || nv > maxPageValues || seen+nv > total {
		return fmt.Errorf("claims %d values (%d of the chunk's %d already read)", nv, seen, total)
	}
	return nil
}

func bitWidth(max int32) int { return bits.Len32(uint32(max)) }

// checkValues checks the run-length or delta headers of a page's values.
func checkValues(r *bytes.Reader, enc pq.Encoding, typ pq.Type, nv int64) error {
	switch enc {
	case pq.Encoding_PLAIN_DICTIONARY, pq.Encoding_RLE_DICTIONARY:
		if r.Len() == 0 {
			return nil // all null
		}
		w, _ := r.ReadByte()
		if w > 32 {
			return fmt.Errorf("dictionary index width %d", w)
		}
		rest := make([]byte, r.Len())
		r.Read(rest)
		return checkHybrid(rest, int(w), nv)
	case pq.Encoding_PLAIN:
		if typ == pq.Type_BYTE_ARRAY {
			return checkPlainBytes(r, nv)
		}
	case pq.Encoding_RLE:
		if typ == pq.Type_BOOLEAN {
			return checkPrefixedHybrid(r, 1, nv)
		}
	case pq.Encoding_DELTA_BINARY_PACKED, pq.Encoding_DELTA_LENGTH_BYTE_ARRAY, pq.Encoding_DELTA_BYTE_ARRAY:
		block, err1 := binary.ReadUvarint(r)
		mini, err2 := binary.ReadUvarint(r)
		total, err3 := binary.ReadUvarint(r)
		if err := errors.Join(err1, err2, err3); err != nil {
			return fmt.Errorf("delta header: %w", err)
		}
		if mini == 0 || block == 0 || block%mini != 0 || block > 1<<20 || total > uint64(nv) {
			return fmt.Errorf("delta header: block %d, miniblocks %d, %d values for a %d-value page", block, mini, total, nv)
		}
	}
	return nil
}

// checkPlainBytes checks that up to n length-prefixed byte strings each
// fit in what is left (the library allocates the claimed length first).
func checkPlainBytes(r *bytes.Reader, n int64) error {
	var l [4]byte
	for i := int64(0); i < n && r.Len() > 0; i++ {
		if _, err := r.Read(l[:]); err != nil {
			return errors.New("value cut short")
		}
		size := int64(binary.LittleEndian.Uint32(l[:]))
		if size > int64(r.Len()) {
			return fmt.Errorf("value %d claims %d bytes; %d are left", i+1, size, r.Len())
		}
		r.Seek(size, 1)
	}
	return nil
}

// checkPrefixedHybrid checks a 4-byte-length-prefixed RLE/bit-packed run
// sequence and moves r past it.
func checkPrefixedHybrid(r *bytes.Reader, width int, nv int64) error {
	var l [4]byte
	if _, err := r.Read(l[:]); err != nil {
		return errors.New("levels cut short")
	}
	n := int(binary.LittleEndian.Uint32(l[:]))
	if n < 0 || n > r.Len() {
		return fmt.Errorf("levels claim %d bytes; %d are left", n, r.Len())
	}
	b := make([]byte, n)
	r.Read(b)
	return checkHybrid(b, width, nv)
}

// checkHybrid refuses runs longer than the page's values (the library
// allocates each run's length before reading it).
func checkHybrid(b []byte, width int, nv int64) error {
	r := bytes.NewReader(b)
	var total int64
	for r.Len() > 0 {
		h, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("run header: %w", err)
		}
		var n int64
		if h&1 == 0 {
			if h>>1 > uint64(nv) {
				return fmt.Errorf("run of %d values in a %d-value page", h>>1, nv)
			}
			n = int64(h >> 1)
			r.Seek(int64((width+7)/8), 1)
		} else {
			groups := h >> 1
			if groups*8 > uint64(nv)+7 {
				return fmt.Errorf("bit-packed run of %d values in a %d-value page", groups*8, nv)
			}
			n = int64(groups * 8)
			r.Seek(int64(groups)*int64(width), 1)
		}
		if total += n; total > nv+7 {
			return fmt.Errorf("runs hold more than the page's %d values", nv)
		}
	}
	return nil
}
