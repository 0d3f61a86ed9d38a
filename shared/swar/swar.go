// Package swar scans bytes eight at a time in a uint64 (SIMD within a
// register), for the loops that look for a few byte values in strings:
// a mask has the high bit of a byte set where that byte is one sought.
// Only a mask's lowest set bit is exact (a borrow can mark bytes above
// it), which is all First needs.
package swar

import "math/bits"

const (
	Ones  = 0x0101010101010101 // 0x01 in every byte
	Highs = 0x8080808080808080 // the high bit of every byte
)

// Text is what Word reads.
type Text interface{ ~string | ~[]byte }

// Word is the eight bytes of s from i, little-endian (one load).
func Word[T Text](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// Zeros marks the zero bytes of w.
func Zeros(w uint64) uint64 { return (w - Ones) &^ w & Highs }

// Equal marks the bytes of w equal to c.
func Equal(w uint64, c byte) uint64 { return Zeros(w ^ Ones*uint64(c)) }

// Below marks the bytes of w under n (n <= 0x80).
func Below(w uint64, n byte) uint64 { return (w - Ones*uint64(n)) &^ w & Highs }

// First is the index in its word of the lowest marked byte (8: none).
func First(mask uint64) int { return bits.TrailingZeros64(mask) >> 3 }
