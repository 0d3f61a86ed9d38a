package parquet

import (
	"fmt"
	"math"
	"testing"

	pq "github.com/xitongsys/parquet-go/parquet"
)

// TestConvert pins the value of each physical and logical type convert
// maps, with its Go type (json.Number or string: the document encodes
// them differently).
func TestConvert(t *testing.T) {
	typ := func(p pq.Type) *pq.Type { return &p }
	conv := func(c pq.ConvertedType) *pq.ConvertedType { return &c }
	el := func(p pq.Type, c *pq.ConvertedType, lt *pq.LogicalType) *pq.SchemaElement {
		return &pq.SchemaElement{Type: typ(p), ConvertedType: c, LogicalType: lt}
	}
	scale := func(e *pq.SchemaElement, s int32) *pq.SchemaElement { e.Scale = &s; return e }
	ts := func(u *pq.TimeUnit) *pq.LogicalType { return &pq.LogicalType{TIMESTAMP: &pq.TimestampType{Unit: u}} }
	unsigned := &pq.LogicalType{INTEGER: &pq.IntType{BitWidth: 32, IsSigned: false}}
	signed := &pq.LogicalType{INTEGER: &pq.IntType{BitWidth: 32, IsSigned: true}}
	int96 := string([]byte{0x00, 0x5c, 0x3a, 0x2b, 0x1c, 0x00, 0x00, 0x00, 0x8c, 0x89, 0x25, 0x00}) // 2023-04-09T00:02:00.984Z
	uuid := string([]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00})
	cases := []struct {
		name string
		el   *pq.SchemaElement
		v    any
		want string
	}{
		{"nil", el(pq.Type_INT32, nil, nil), nil, "<nil>:<nil>"},
		{"bool", el(pq.Type_BOOLEAN, nil, nil), true, "bool:true"},
		{"float32", el(pq.Type_FLOAT, nil, nil), float32(1.5), "json.Number:1.5"},
		{"float64", el(pq.Type_DOUBLE, nil, nil), 0.1, "json.Number:0.1"},
		{"NaN", el(pq.Type_DOUBLE, nil, nil), math.NaN(), "string:NaN"},
		{"-Inf", el(pq.Type_FLOAT, nil, nil), float32(math.Inf(-1)), "string:-Inf"},
		{"other", el(pq.Type_INT32, nil, nil), int8(3), "string:3"},

		{"int32", el(pq.Type_INT32, nil, nil), int32(-5), "json.Number:-5"},
		{"int32 signed", el(pq.Type_INT32, nil, signed), int32(-5), "json.Number:-5"},
		{"int32 DATE", el(pq.Type_INT32, conv(pq.ConvertedType_DATE), nil), int32(19000), "string:2022-01-08"},
		{"int32 logical DATE", el(pq.Type_INT32, nil, &pq.LogicalType{DATE: &pq.DateType{}}), int32(-1), "string:1969-12-31"},
		{"int32 DECIMAL", scale(el(pq.Type_INT32, conv(pq.ConvertedType_DECIMAL), nil), 2), int32(-12345), "json.Number:-123.45"},
		{"int32 logical DECIMAL", el(pq.Type_INT32, nil, &pq.LogicalType{DECIMAL: &pq.DecimalType{Scale: 3}}), int32(5), "json.Number:0.005"},
		{"int32 UINT_8", el(pq.Type_INT32, conv(pq.ConvertedType_UINT_8), nil), int32(200), "json.Number:200"},
		{"int32 UINT_16", el(pq.Type_INT32, conv(pq.ConvertedType_UINT_16), nil), int32(-1), "json.Number:4294967295"},
		{"int32 UINT_32", el(pq.Type_INT32, conv(pq.ConvertedType_UINT_32), nil), int32(-1), "json.Number:4294967295"},
		{"int32 unsigned", el(pq.Type_INT32, nil, unsigned), int32(-2), "json.Number:4294967294"},

		{"int64", el(pq.Type_INT64, nil, nil), int64(-7), "json.Number:-7"},
		{"int64 TIMESTAMP_MILLIS", el(pq.Type_INT64, conv(pq.ConvertedType_TIMESTAMP_MILLIS), nil), int64(1700000000123), "json.Number:1700000000123"},
		{"int64 TIMESTAMP_MICROS", el(pq.Type_INT64, conv(pq.ConvertedType_TIMESTAMP_MICROS), nil), int64(1700000000123999), "json.Number:1700000000123"},
		{"int64 TIMESTAMP_MICROS before 1970", el(pq.Type_INT64, conv(pq.ConvertedType_TIMESTAMP_MICROS), nil), int64(-1), "json.Number:-1"},
		{"int64 MICROS beats logical NANOS", el(pq.Type_INT64, conv(pq.ConvertedType_TIMESTAMP_MICROS), ts(&pq.TimeUnit{NANOS: &pq.NanoSeconds{}})), int64(5000), "json.Number:5"},
		{"int64 logical MILLIS", el(pq.Type_INT64, nil, ts(&pq.TimeUnit{MILLIS: &pq.MilliSeconds{}})), int64(1700000000123), "json.Number:1700000000123"},
		{"int64 logical MICROS", el(pq.Type_INT64, nil, ts(&pq.TimeUnit{MICROS: &pq.MicroSeconds{}})), int64(-1500), "json.Number:-2"},
		{"int64 logical NANOS", el(pq.Type_INT64, nil, ts(&pq.TimeUnit{NANOS: &pq.NanoSeconds{}})), int64(1700000000123456789), "json.Number:1700000000123"},
		{"int64 logical no unit", el(pq.Type_INT64, nil, ts(nil)), int64(42), "json.Number:42"},
		{"int64 DECIMAL", scale(el(pq.Type_INT64, conv(pq.ConvertedType_DECIMAL), nil), 1), int64(-5), "json.Number:-0.5"},
		{"int64 logical DECIMAL", el(pq.Type_INT64, nil, &pq.LogicalType{DECIMAL: &pq.DecimalType{Scale: 0}}), int64(99), "json.Number:99"},
		{"int64 UINT_64", el(pq.Type_INT64, conv(pq.ConvertedType_UINT_64), nil), int64(-1), "json.Number:18446744073709551615"},
		{"int64 unsigned", el(pq.Type_INT64, nil, unsigned), int64(-1), "json.Number:18446744073709551615"},
		{"int64 signed", el(pq.Type_INT64, nil, signed), int64(-1), "json.Number:-1"},

		{"INT96", el(pq.Type_INT96, nil, nil), int96, "json.Number:1680998520984"},
		{"INT96 short", el(pq.Type_INT96, nil, nil), "abc", "string:abc"},
		{"bytes DECIMAL", scale(el(pq.Type_BYTE_ARRAY, conv(pq.ConvertedType_DECIMAL), nil), 1), string([]byte{0xff, 0x85}), "json.Number:-12.3"},
		{"fixed logical DECIMAL", el(pq.Type_FIXED_LEN_BYTE_ARRAY, nil, &pq.LogicalType{DECIMAL: &pq.DecimalType{Scale: 2}}), string([]byte{0x01, 0x00}), "json.Number:2.56"},
		{"UUID", el(pq.Type_FIXED_LEN_BYTE_ARRAY, nil, &pq.LogicalType{UUID: &pq.UUIDType{}}), uuid, "string:123e4567-e89b-12d3-a456-426614174000"},
		{"UUID not 16 bytes", el(pq.Type_FIXED_LEN_BYTE_ARRAY, nil, &pq.LogicalType{UUID: &pq.UUIDType{}}), "\xff\x00", "string:/wA="},
		{"UTF8 invalid kept", el(pq.Type_BYTE_ARRAY, conv(pq.ConvertedType_UTF8), nil), "a\xffb", "string:a\xffb"},
		{"ENUM", el(pq.Type_BYTE_ARRAY, conv(pq.ConvertedType_ENUM), nil), "\xfe", "string:\xfe"},
		{"JSON", el(pq.Type_BYTE_ARRAY, conv(pq.ConvertedType_JSON), nil), "\xfe", "string:\xfe"},
		{"logical STRING", el(pq.Type_BYTE_ARRAY, nil, &pq.LogicalType{STRING: &pq.StringType{}}), "\xfe", "string:\xfe"},
		{"logical ENUM", el(pq.Type_BYTE_ARRAY, nil, &pq.LogicalType{ENUM: &pq.EnumType{}}), "\xfe", "string:\xfe"},
		{"logical JSON", el(pq.Type_BYTE_ARRAY, nil, &pq.LogicalType{JSON: &pq.JsonType{}}), "\xfe", "string:\xfe"},
		{"binary UTF-8", el(pq.Type_BYTE_ARRAY, nil, nil), "héllo", "string:héllo"},
		{"binary", el(pq.Type_BYTE_ARRAY, nil, nil), "\x00\xff\x10", "string:AP8Q"},
	}
	for _, c := range cases {
		v := convert(c.el, c.v)
		if got := fmt.Sprintf("%T:%v", v, v); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
