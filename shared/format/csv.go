package format

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/siemloader/siem/shared/logtype"
)

// CSV: a header line names the fields (W3C "#Fields:" lines, the log
// type's header_marker, or a line of names), then one record per line;
// delimiter empty means white space. A header may come again mid-file
// (concatenated deliveries) and replaces the one in force; records before
// any header take the default_headers entry with as many fields.
var CSV = &Format{
	Name: "csv",
	Frame: func(def *logtype.Definition, r io.Reader) Framer {
		return &lineFramer{r: bufio.NewReaderSize(r, 256<<10), csv: true, marker: def.HeaderMarker, max: CurrentLimits().MaxRecordBytes}
	},
	Decode: decodeCSV,
}

func init() { Register(CSV) }

// headerCache keeps the parsed headers: every record of a file shares
// one, so names are split and normalised once, not per record.
// The cache is bounded: a file full of distinct junk headers cannot grow it.
// lastHeader answers the common case (the same header as the record
// before) without the lock.
var (
	headerMu    sync.Mutex
	headerCache = map[headerKey]*headerEntry{}
	lastHeader  atomic.Pointer[headerEntry]
)

type headerKey struct{ header, delim string }

type headerEntry struct {
	key   headerKey
	names []string
}

func headerNames(header, delim string) []string {
	key := headerKey{header, delim}
	if e := lastHeader.Load(); e != nil && e.key == key {
		return e.names
	}
	headerMu.Lock()
	e, ok := headerCache[key]
	headerMu.Unlock()
	if !ok {
		e = &headerEntry{key: key, names: parseHeader(header, delim)}
		headerMu.Lock()
		if len(headerCache) >= 64 {
			headerCache = map[headerKey]*headerEntry{}
		}
		headerCache[key] = e
		headerMu.Unlock()
	}
	lastHeader.Store(e)
	return e.names
}

func parseHeader(header, delim string) []string {
	if strings.HasPrefix(header, "#") {
		// "#Fields: date time cs(Host) ...": drop the tag.
		if _, rest, ok := strings.Cut(header, " "); ok {
			header = rest
		}
	}
	var names []string
	if delim == "" || !strings.Contains(header, delim) {
		names = strings.Fields(header)
	} else {
		names = splitFields(header, delim, nil)
	}
	for i, n := range names {
		names[i] = fieldName(n)
	}
	return names
}

func decodeCSV(def *logtype.Definition, rec Record) (Decoded, error) {
	return decodeTextRecord(def, rec, unwrapMessage(rec.Raw), decodeCSVFields)
}

func decodeCSVFields(def *logtype.Definition, rec Record, line string) (map[string]any, error) {
	delim := def.Delimiter
	header := rec.Header
	if delim == "" && strings.Contains(header, ",") && !strings.Contains(header, " ") {
		delim = ","
	}
	var names []string
	if header != "" {
		names = headerNames(header, delim)
	}
	// The fields go into one slice on the heap, which the boxed values
	// point into: sized by the header when there is one, else split on
	// the stack first and copied at the size found.
	var vals []string
	if len(names) > 0 {
		vals = splitFields(line, delim, make([]string, 0, len(names)))
	} else {
		var buf [64]string
		split := splitFields(line, delim, buf[:0])
		vals = append(make([]string, 0, len(split)), split...)
	}
	if header == "" {
		for _, h := range def.DefaultHeaders {
			if n := headerNames(h, def.Delimiter); len(n) == len(vals) {
				names = n
				break
			}
		}
		if names == nil {
			var counts []string
			for _, h := range def.DefaultHeaders {
				counts = append(counts, fmt.Sprint(len(headerNames(h, def.Delimiter))))
			}
			return nil, fmt.Errorf("no header line before this record, and its %d fields match no default format (%s fields)", len(vals), strings.Join(counts, ", "))
		}
	}
	// A line may lack trailing fields when the log type says how many are
	// required (fields added by later format versions); otherwise the
	// count must match the header.
	if len(vals) > len(names) || (len(vals) < len(names) && (def.MinColumns == 0 || len(vals) < def.MinColumns)) {
		return nil, fmt.Errorf("line has %d fields but its header names %d", len(vals), len(names))
	}
	out := fields(rec.Into, len(names)+docHeadroom)
	for i := range vals {
		out[names[i]] = BoxIn(vals, i) // vals is not written again
	}
	return out, nil
}

// fieldName turns a header name into a field name: cs(User-Agent) ->
// cs_user_agent, x-edge-location -> x_edge_location.
func fieldName(n string) string {
	n = strings.NewReplacer("(", "_", ")", "", "-", "_").Replace(n)
	if strings.ToLower(n) != n && strings.Contains(n, "_") {
		n = strings.ToLower(n)
	}
	return n
}
