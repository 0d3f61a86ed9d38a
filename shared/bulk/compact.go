package bulk

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CompactByID rewrites an NDJSON file of documents (the file sink's
// <index>.ndjson) keeping, for each "@id", only its last line, as an
// index keeps the last write of an _id: loading the same objects twice
// into one output folder then leaves one copy of each document, where the
// file sink alone appends a second. Lines without an "@id" are kept.
// dropped counts the lines removed.
func CompactByID(path string) (kept, dropped int, err error) {
	last := map[string]int{}
	if err := eachLine(path, func(n int, line []byte) error {
		if id := docID(line); id != "" {
			last[id] = n
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".compact-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 256<<10)
	err = eachLine(path, func(n int, line []byte) error {
		if id := docID(line); id != "" && last[id] != n {
			dropped++
			return nil
		}
		kept++
		w.Write(line)
		return w.WriteByte('\n')
	})
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	if dropped == 0 {
		return kept, 0, nil
	}
	return kept, dropped, os.Rename(tmp.Name(), path)
}

func docID(line []byte) string {
	var d struct {
		ID string `json:"@id"`
	}
	if json.Unmarshal(line, &d) != nil {
		return ""
	}
	return d.ID
}

func eachLine(path string, fn func(n int, line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	for n := 0; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 {
			if ferr := fn(n, line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
