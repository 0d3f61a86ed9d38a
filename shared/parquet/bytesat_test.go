package parquet

import "bytes"

func bytesAt(b []byte) *bytes.Reader { return bytes.NewReader(b) }
