package alb

import (
	"reflect"
	"strings"
	"testing"
)

// tokenizeBytewise is tokenize as it was before it scanned words.
func tokenizeBytewise(s string, dst []tok) ([]tok, error) {
	i, n := 0, len(s)
	for {
		for i < n && s[i] == ' ' {
			i++
		}
		if i >= n {
			return dst, nil
		}
		if s[i] != '"' {
			j := i
			for j < n && s[j] != ' ' {
				j++
			}
			dst = append(dst, tok{v: s[i:j]})
			i = j
			continue
		}
		open := i
		i++
		start := i
		escaped := false
		closed := false
		for i < n {
			c := s[i]
			if c == '"' {
				closed = true
				break
			}
			if c == '\\' && i+1 < n {
				escaped = true
				i += 2
				continue
			}
			i++
		}
		if !closed {
			return nil, unterminated(dst, len(dst), open+1)
		}
		v := s[start:i]
		if escaped {
			v = unescape(v)
		}
		dst = append(dst, tok{v: v, quoted: true})
		i++ // past the closing quote
	}
}

// A space, quote or backslash at every position of the first two words
// of a field, quoted or not, splits the line as one byte at a time does.
func TestTokenizeEveryPosition(t *testing.T) {
	for _, put := range []string{" ", `"`, `\`, `\"`, `\\`, ` "`, `" `} {
		for _, open := range []string{"", `"`} {
			for pos := 0; pos < 18; pos++ {
				for _, tail := range []string{"", `"`, ` x`, `" 1`, ` "abcdefghijklmnop" 2`} {
					line := "h " + open + strings.Repeat("a", pos) + put + "bcdefghijklmnopq" + tail
					got, gerr := tokenize(line, nil)
					want, werr := tokenizeBytewise(line, nil)
					if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
						t.Fatalf("%q:\n got %+v (%v)\nwant %+v (%v)", line, got, gerr, want, werr)
					}
				}
			}
		}
	}
}
