// Package experiment assigns subjects to the variants of an A/B test.
//
// Assignment follows GrowthBook's published algorithm (hash versions 1 and
// 2, bucket ranges built from weights and coverage, namespaces) so that a
// subject gets the same variant here as it would from a GrowthBook SDK
// given the same seed, weights and coverage. The package's tests run
// GrowthBook's cross-SDK cases from testdata/growthbook-cases.json.
//
// Everything here is a pure function of its inputs: no I/O, no clock, no
// randomness and no package-level state, so assignment is reproducible
// and safe to call from any number of goroutines.
package experiment

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	fnvOffset32 = 0x811c9dc5
	fnvPrime32  = 0x01000193
)

// Hash maps seed and value to a number in [0, 1) that is stable across
// processes, machines and GrowthBook SDKs. It reports ok=false for a
// version other than 1 or 2, as GrowthBook returns null for those; callers
// should then leave the subject out rather than guess.
//
// Version 1 hashes value followed by seed and keeps 1,000 buckets; it is
// kept only because GrowthBook namespaces are defined with it. Version 2
// hashes seed followed by value, then hashes the decimal form of that
// result again and keeps 10,000 buckets. The second round spreads
// similar inputs further apart; it is the version GrowthBook uses for new
// experiments and the one Assign uses.
func Hash(seed, value string, version int) (float64, bool) {
	switch version {
	case 1:
		h := fnv1a32Concat(value, seed)
		return float64(h%1000) / 1000, true
	case 2:
		h := fnv1a32Concat(seed, value)
		var digits [10]byte // 4294967295 has ten digits.
		h = fnv1a32Bytes(fnvOffset32, strconv.AppendUint(digits[:0], uint64(h), 10))
		return float64(h%10000) / 10000, true
	default:
		return 0, false
	}
}

// fnv1a32Concat hashes a+b without building the concatenation when it can.
// Hashing a and then b gives the same units as hashing a+b only when a is
// valid UTF-8; otherwise a's incomplete last rune may be completed by b's
// first bytes, so the concatenation is hashed as the definition says.
func fnv1a32Concat(a, b string) uint32 {
	if !utf8.ValidString(a) {
		return fnv1a32(fnvOffset32, a+b)
	}
	return fnv1a32(fnv1a32(fnvOffset32, a), b)
}

// fnv1a32 continues a 32-bit FNV-1a hash over the UTF-16 code units of s,
// one whole 16-bit unit per step. GrowthBook's JavaScript SDK hashes
// charCodeAt values, which are UTF-16 units, so hashing UTF-8 bytes would
// put every non-ASCII subject in a different bucket from the JS SDK.
// The runes are encoded on the fly, which yields the same units as
// utf16.Encode([]rune(s)) without allocating; invalid UTF-8 becomes U+FFFD,
// as it does in that conversion.
func fnv1a32(h uint32, s string) uint32 {
	for _, r := range s {
		if r < 0x10000 {
			h = (h ^ uint32(r)) * fnvPrime32
			continue
		}
		hi, lo := utf16.EncodeRune(r)
		h = (h ^ uint32(hi)) * fnvPrime32
		h = (h ^ uint32(lo)) * fnvPrime32
	}
	return h
}

// fnv1a32Bytes continues a 32-bit FNV-1a hash over ASCII bytes, for which
// each byte is also one UTF-16 code unit.
func fnv1a32Bytes(h uint32, b []byte) uint32 {
	for _, c := range b {
		h = (h ^ uint32(c)) * fnvPrime32
	}
	return h
}
