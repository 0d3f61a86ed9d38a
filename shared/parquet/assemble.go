package parquet

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xitongsys/parquet-go/layout"
	pq "github.com/xitongsys/parquet-go/parquet"
)

// node is one schema element.
type node struct {
	name        string
	el          *pq.SchemaElement
	rep         pq.FieldRepetitionType
	children    []*node
	leaf        *leaf
	def, repl   int32 // definition and repetition level reached at this node
	schemaIndex int
}

// leaf is a column: the path of nodes from the root's child to it.
type leaf struct {
	name        string // dotted column path
	path        []*node
	inPath      string // the library's name for it
	schemaIndex int
}

func buildNode(els []*pq.SchemaElement, pos *int, depth int) (*node, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("schema nested deeper than %d levels", maxSchemaDepth)
	}
	if *pos >= len(els) || els[*pos] == nil {
		return nil, errors.New("schema ends inside a group")
	}
	el := els[*pos]
	n := &node{name: el.Name, el: el, schemaIndex: *pos}
	if el.RepetitionType != nil {
		n.rep = *el.RepetitionType
	}
	*pos++
	kids := el.GetNumChildren()
	if kids < 0 || int(kids) > len(els)-*pos {
		return nil, fmt.Errorf("schema element %q claims %d children", el.Name, kids)
	}
	if el.TypeLength != nil && (*el.TypeLength < 0 || *el.TypeLength > 1<<20) {
		return nil, fmt.Errorf("schema element %q has fixed length %d", el.Name, *el.TypeLength)
	}
	if kids == 0 && el.Type == nil && depth > 0 {
		return nil, fmt.Errorf("schema element %q is neither a group nor typed", el.Name)
	}
	for i := int32(0); i < kids; i++ {
		c, err := buildNode(els, pos, depth+1)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, c)
	}
	return n, nil
}

// levels computes each node's levels and lists the leaves in column order.
func (n *node) levels(def, repl int32, path []*node, leaves *[]*leaf, root bool) {
	if !root {
		switch n.rep {
		case pq.FieldRepetitionType_OPTIONAL:
			def++
		case pq.FieldRepetitionType_REPEATED:
			def++
			repl++
		}
		path = append(path[:len(path):len(path)], n)
	}
	n.def, n.repl = def, repl
	if len(n.children) == 0 && !root {
		name := ""
		for i, p := range path {
			if i > 0 {
				name += "."
			}
			name += p.name
		}
		n.leaf = &leaf{name: name, path: path, schemaIndex: n.schemaIndex}
		*leaves = append(*leaves, n.leaf)
		return
	}
	for _, c := range n.children {
		c.levels(def, repl, path, leaves, false)
	}
}

// emit assembles n rows of row group g from their column tables (rows
// from+1 to from+n of the group) and hands them to fn.
func (x *xfile) emit(g int, tables []*layout.Table, from, n int64, fn func(Row) error) error {
	pos := make([]int, len(tables))
	idx := make([][]int, len(x.leaves))
	for i, l := range x.leaves {
		idx[i] = make([]int, l.path[len(l.path)-1].repl)
	}
	for r := from; r < from+n; r++ {
		rec := map[string]any{}
		for i, l := range x.leaves {
			t := tables[i]
			p := pos[i]
			for first := true; p < len(t.Values) && (first || t.RepetitionLevels[p] != 0); first = false {
				if err := put(rec, l, t.RepetitionLevels[p], t.DefinitionLevels[p], t.Values[p], idx[i], first); err != nil {
					return &CorruptError{RowGroup: g, Column: l.name, Err: fmt.Errorf("row %d: %w", r+1, err)}
				}
				p++
			}
			pos[i] = p
		}
		row := make(Row, 0, len(x.root.children))
		for _, c := range x.root.children {
			if v, ok := rec[c.name]; ok {
				if v = finish(c, v); v != nil {
					row = append(row, Field{Name: c.name, Value: v})
				}
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

var errLevels = errors.New("repetition levels out of order")

// put places one column value into the record being assembled: rl says
// which repeated ancestor starts a new element, dl how deep the value is
// defined (record shredding in reverse).
func put(rec map[string]any, l *leaf, rl, dl int32, v any, idx []int, first bool) error {
	if first {
		clear(idx)
	} else {
		if rl < 1 || int(rl) > len(idx) {
			return errLevels
		}
		idx[rl-1]++
		clear(idx[rl:])
	}
	cur := rec
	for _, n := range l.path {
		if dl < n.def {
			if n.rep == pq.FieldRepetitionType_REPEATED {
				if _, ok := cur[n.name]; !ok {
					cur[n.name] = []any{}
				}
			}
			return nil
		}
		if n.rep != pq.FieldRepetitionType_REPEATED {
			if n.leaf != nil {
				cur[n.name] = convert(n.el, v)
				return nil
			}
			m, ok := cur[n.name].(map[string]any)
			if !ok {
				m = map[string]any{}
				cur[n.name] = m
			}
			cur = m
			continue
		}
		list, _ := cur[n.name].([]any)
		i := idx[n.repl-1]
		if i > len(list) {
			return errLevels
		}
		if n.leaf != nil {
			if i == len(list) {
				list = append(list, convert(n.el, v))
			} else {
				list[i] = convert(n.el, v)
			}
			cur[n.name] = list
			return nil
		}
		var m map[string]any
		if i == len(list) {
			m = map[string]any{}
			cur[n.name] = append(list, m)
		} else if m, _ = list[i].(map[string]any); m == nil {
			return errLevels
		}
		cur = m
	}
	return nil
}

func isList(n *node) bool {
	if n.el.LogicalType != nil && n.el.LogicalType.LIST != nil {
		return true
	}
	return n.el.ConvertedType != nil && *n.el.ConvertedType == pq.ConvertedType_LIST
}

func isMap(n *node) bool {
	if n.el.LogicalType != nil && n.el.LogicalType.MAP != nil {
		return true
	}
	return n.el.ConvertedType != nil && (*n.el.ConvertedType == pq.ConvertedType_MAP || *n.el.ConvertedType == pq.ConvertedType_MAP_KEY_VALUE)
}

// finish turns an assembled value into its logical shape: LIST groups
// become lists of their elements, MAP groups become objects.
func finish(n *node, v any) any {
	if n.rep == pq.FieldRepetitionType_REPEATED {
		items, _ := v.([]any)
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = finishOne(n, it)
		}
		return out
	}
	return finishOne(n, v)
}

func finishOne(n *node, v any) any {
	if n.leaf != nil || v == nil {
		return v
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	if len(n.children) == 1 && n.children[0].rep == pq.FieldRepetitionType_REPEATED {
		rep := n.children[0]
		switch {
		case isList(n):
			items, _ := m[rep.name].([]any)
			out := make([]any, 0, len(items))
			for _, it := range items {
				// Per the format's compatibility rules, a repeated group of
				// one field is the element's wrapper unless named like a
				// legacy element type ("array", "<list>_tuple").
				if rep.leaf == nil && len(rep.children) == 1 && rep.name != "array" && rep.name != n.name+"_tuple" {
					em, _ := it.(map[string]any)
					out = append(out, finish(rep.children[0], em[rep.children[0].name]))
					continue
				}
				out = append(out, finishOne(rep, it))
			}
			return out
		case isMap(n) && rep.leaf == nil && len(rep.children) >= 1:
			items, _ := m[rep.name].([]any)
			out := make(map[string]any, len(items))
			key := rep.children[0]
			for _, it := range items {
				em, _ := it.(map[string]any)
				k := keyText(em[key.name])
				if len(rep.children) > 1 {
					val := rep.children[1]
					out[k] = finish(val, em[val.name])
				} else {
					out[k] = true // a set
				}
			}
			return out
		}
	}
	out := make(map[string]any, len(m))
	for _, c := range n.children {
		if cv, ok := m[c.name]; ok {
			if cv = finish(c, cv); cv != nil {
				out[c.name] = cv
			}
		}
	}
	return out
}

func keyText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return string(t)
	case nil:
		return "null"
	default:
		return fmt.Sprint(t)
	}
}

// julianEpoch is the Julian day of 1970-01-01 (INT96 timestamps count
// days from the Julian epoch).
const julianEpoch = 2440588

// convert maps a physical value to the loader's JSON-like value per the
// column's logical type. Timestamps become epoch milliseconds, the unit
// OCSF and most AWS logs use.
func convert(el *pq.SchemaElement, v any) any {
	lt := el.LogicalType
	ct := pq.ConvertedType(-1)
	if el.ConvertedType != nil {
		ct = *el.ConvertedType
	}
	switch t := v.(type) {
	case nil:
		return nil
	case bool:
		return t
	case int32:
		return convertInt32(el, lt, ct, t)
	case int64:
		return convertInt64(el, lt, ct, t)
	case float32:
		return float(float64(t), 32)
	case float64:
		return float(t, 64)
	case string:
		return convertBytes(el, lt, ct, t)
	}
	return fmt.Sprint(v)
}

func convertInt32(el *pq.SchemaElement, lt *pq.LogicalType, ct pq.ConvertedType, t int32) any {
	switch {
	case ct == pq.ConvertedType_DATE || (lt != nil && lt.DATE != nil):
		return time.Unix(int64(t)*86400, 0).UTC().Format("2006-01-02")
	case isDecimal(lt, ct):
		return decimal(big.NewInt(int64(t)), scale(el))
	case ct == pq.ConvertedType_UINT_8 || ct == pq.ConvertedType_UINT_16 || ct == pq.ConvertedType_UINT_32 || isUnsigned(lt):
		return json.Number(strconv.FormatUint(uint64(uint32(t)), 10))
	}
	return json.Number(strconv.FormatInt(int64(t), 10))
}

func convertInt64(el *pq.SchemaElement, lt *pq.LogicalType, ct pq.ConvertedType, t int64) any {
	switch {
	case ct == pq.ConvertedType_TIMESTAMP_MILLIS || ct == pq.ConvertedType_TIMESTAMP_MICROS || (lt != nil && lt.TIMESTAMP != nil):
		return json.Number(strconv.FormatInt(epochMillis(lt, ct, t), 10))
	case isDecimal(lt, ct):
		return decimal(big.NewInt(t), scale(el))
	case ct == pq.ConvertedType_UINT_64 || isUnsigned(lt):
		return json.Number(strconv.FormatUint(uint64(t), 10))
	}
	return json.Number(strconv.FormatInt(t, 10))
}

// epochMillis converts an INT64 timestamp in the column's unit (the
// converted type, else the logical type's; milliseconds when it says
// none) to epoch milliseconds, rounding down so times before 1970 stay
// in their millisecond.
func epochMillis(lt *pq.LogicalType, ct pq.ConvertedType, t int64) int64 {
	switch ct {
	case pq.ConvertedType_TIMESTAMP_MILLIS:
		return t
	case pq.ConvertedType_TIMESTAMP_MICROS:
		return floorDiv(t, 1000)
	}
	switch u := lt.TIMESTAMP.Unit; {
	case u != nil && u.MICROS != nil:
		return floorDiv(t, 1000)
	case u != nil && u.NANOS != nil:
		return floorDiv(t, 1000000)
	}
	return t
}

// isDecimal says the column holds decimals (either annotation), whatever
// the physical type carrying the unscaled value.
func isDecimal(lt *pq.LogicalType, ct pq.ConvertedType) bool {
	return ct == pq.ConvertedType_DECIMAL || (lt != nil && lt.DECIMAL != nil)
}

// isUnsigned says the logical type is an unsigned integer: its values
// are read as the same bits, not negative numbers.
func isUnsigned(lt *pq.LogicalType) bool {
	return lt != nil && lt.INTEGER != nil && !lt.INTEGER.IsSigned
}

// isText says a byte array column is annotated as text (string, enum or
// JSON): it is kept as is, even when it is not valid UTF-8.
func isText(lt *pq.LogicalType, ct pq.ConvertedType) bool {
	return ct == pq.ConvertedType_UTF8 || ct == pq.ConvertedType_ENUM || ct == pq.ConvertedType_JSON ||
		(lt != nil && (lt.STRING != nil || lt.ENUM != nil || lt.JSON != nil))
}

// convertBytes handles BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY and INT96 values
// (the reader gives them as strings): text stays text, binary that is not
// UTF-8 becomes base64.
func convertBytes(el *pq.SchemaElement, lt *pq.LogicalType, ct pq.ConvertedType, t string) any {
	if el.Type != nil && *el.Type == pq.Type_INT96 && len(t) == 12 {
		return int96Millis(t)
	}
	switch {
	case isDecimal(lt, ct):
		return decimal(twosComplement([]byte(t)), scale(el))
	case lt != nil && lt.UUID != nil && len(t) == 16:
		return uuidText(t)
	case isText(lt, ct):
		return t
	}
	if utf8.ValidString(t) {
		return t
	}
	return base64.StdEncoding.EncodeToString([]byte(t))
}

// int96Millis reads a legacy INT96 timestamp (nanoseconds of the day,
// then the Julian day, little-endian) as epoch milliseconds.
func int96Millis(t string) json.Number {
	nanos := int64(binary.LittleEndian.Uint64([]byte(t[:8])))
	day := int64(binary.LittleEndian.Uint32([]byte(t[8:])))
	return json.Number(strconv.FormatInt((day-julianEpoch)*86400000+floorDiv(nanos, 1000000), 10))
}

// uuidText writes a 16-byte UUID in its canonical 8-4-4-4-12 hex form.
func uuidText(t string) string {
	h := hex.EncodeToString([]byte(t))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func float(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits) // JSON has no NaN
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func scale(el *pq.SchemaElement) int {
	if el.LogicalType != nil && el.LogicalType.DECIMAL != nil {
		return int(el.LogicalType.DECIMAL.Scale)
	}
	if el.Scale != nil {
		return int(*el.Scale)
	}
	return 0
}

func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// decimal writes an unscaled integer with scale digits after the point.
func decimal(n *big.Int, scale int) json.Number {
	if scale <= 0 || scale > 100 {
		return json.Number(n.String())
	}
	s := new(big.Int).Abs(n).String()
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if n.Sign() < 0 {
		s = "-" + s
	}
	return json.Number(s)
}
