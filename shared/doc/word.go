package doc

import "github.com/siemloader/siem/shared/swar"

// unsafeBytes marks what appendString cannot copy as it is: control
// characters, '"', '&', '<', '>', '\\' and every byte of a multi-byte
// rune. '"' (0x22) and '&' (0x26) differ in one bit, as '<' (0x3c) and
// '>' (0x3e) do, so each pair is one test.
func unsafeBytes(w uint64) uint64 {
	return w&swar.Highs | swar.Below(w, 0x20) |
		swar.Zeros((w^swar.Ones*0x22)&^(swar.Ones*0x04)) |
		swar.Zeros((w^swar.Ones*0x3c)&^(swar.Ones*0x02)) |
		swar.Equal(w, '\\')
}

// stringEnds marks what ends the decoder's fast path through a string:
// its closing quote, an escape, or a control character.
func stringEnds(w uint64) uint64 {
	return swar.Below(w, 0x20) | swar.Equal(w, '"') | swar.Equal(w, '\\')
}
