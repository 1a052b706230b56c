package experiment

import (
	"hash/fnv"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
)

// refFNV is FNV-1a 32 over explicit 16-bit code units, written out from the
// definition so that the non-ASCII test does not depend on the code it checks.
func refFNV(units []uint16) uint32 {
	h := uint32(2166136261)
	for _, u := range units {
		h ^= uint32(u)
		h *= 16777619
	}
	return h
}

func asciiUnits(s string) []uint16 {
	units := make([]uint16, len(s))
	for i := range len(s) {
		units[i] = uint16(s[i])
	}
	return units
}

// TestHashNonASCII checks an Arabic subject ending in an emoji, which needs
// a surrogate pair in UTF-16, against the value GrowthBook's JavaScript SDK
// computes from charCodeAt units.
func TestHashNonASCII(t *testing.T) {
	const seed, subject = "welcome-card", "مرحبا😀"
	// U+0645 U+0631 U+062D U+0628 U+0627, then U+1F600 as the pair D83D DE00.
	subjectUnits := []uint16{0x0645, 0x0631, 0x062D, 0x0628, 0x0627, 0xD83D, 0xDE00}
	if got := utf16.Encode([]rune(subject)); !slices.Equal(got, subjectUnits) {
		t.Fatalf("UTF-16 of %q = %04X; the test's units are wrong", subject, got)
	}

	inner := refFNV(append(asciiUnits(seed), subjectUnits...))
	wantV2 := float64(refFNV(asciiUnits(strconv.FormatUint(uint64(inner), 10)))%10000) / 10000
	wantV1 := float64(refFNV(append(subjectUnits, asciiUnits(seed)...))%1000) / 1000
	// The same formulas evaluated in Node.js with charCodeAt give these.
	if wantV2 != 0.801 || wantV1 != 0.167 {
		t.Fatalf("reference hashes = %v (v2), %v (v1); want 0.801, 0.167", wantV2, wantV1)
	}

	if got, _ := Hash(seed, subject, 2); got != wantV2 {
		t.Errorf("Hash(%q, %q, 2) = %v; want %v", seed, subject, got, wantV2)
	}
	if got, _ := Hash(seed, subject, 1); got != wantV1 {
		t.Errorf("Hash(%q, %q, 1) = %v; want %v", seed, subject, got, wantV1)
	}

	// Hashing the UTF-8 bytes instead, as a naive port would, gives another
	// bucket: this is the disagreement with the JS SDK the units avoid.
	naive := fnv.New32a()
	naive.Write([]byte(seed + subject))
	naiveV2 := float64(refFNV(asciiUnits(strconv.FormatUint(uint64(naive.Sum32()), 10)))%10000) / 10000
	if naiveV2 == wantV2 {
		t.Errorf("byte hashing of %q gives %v, the same as UTF-16 hashing; pick a subject that tells them apart", subject, naiveV2)
	}

	// With a 60/40 split the two hashes fall in different variants.
	e := Experiment{Seed: seed, Coverage: 1, Weights: []float64{0.6, 0.4}}
	if v, in := e.Assign(subject); v != 1 || !in {
		t.Errorf("Assign(%q) = %d, %v; want 1, true as GrowthBook's JS SDK assigns", subject, v, in)
	}
}

// TestFNVMatchesStandardLibrary checks the inner hash against hash/fnv on
// ASCII input, where bytes and UTF-16 units coincide.
func TestFNVMatchesStandardLibrary(t *testing.T) {
	for _, s := range []string{"", "a", "seeda", "8952klfjas09ujkasdf", "___)((*\":&"} {
		want := fnv.New32a()
		want.Write([]byte(s))
		if got := fnv1a32(fnvOffset32, s); got != want.Sum32() {
			t.Errorf("fnv1a32(%q) = %d; want %d", s, got, want.Sum32())
		}
	}
}

func TestHashUnsupportedVersion(t *testing.T) {
	for _, version := range []int{-1, 0, 3, 99} {
		if n, ok := Hash("seed", "value", version); ok || n != 0 {
			t.Errorf("Hash(version %d) = %v, %v; want 0, false", version, n, ok)
		}
	}
}

// specHash is Hash as GrowthBook defines it, over the UTF-16 encoding of
// the concatenated strings, used to check the allocation-free version.
func specHash(seed, value string, version int) (float64, bool) {
	units := func(s string) []uint16 { return utf16.Encode([]rune(s)) }
	switch version {
	case 1:
		return float64(refFNV(units(value+seed))%1000) / 1000, true
	case 2:
		inner := refFNV(units(seed + value))
		return float64(refFNV(units(strconv.FormatUint(uint64(inner), 10)))%10000) / 10000, true
	}
	return 0, false
}

func FuzzHash(f *testing.F) {
	f.Add("", "a", 1)
	f.Add("seed", "a", 2)
	f.Add("welcome-card", "مرحبا😀", 2)
	f.Add("\xe2\x82", "\xac", 2) // an invalid seed completed by the value
	f.Add("abc", "def", 99)
	f.Fuzz(func(t *testing.T, seed, value string, version int) {
		n, ok := Hash(seed, value, version)
		if ok != (version == 1 || version == 2) {
			t.Fatalf("Hash(%q, %q, %d) ok = %v", seed, value, version, ok)
		}
		if !ok {
			return
		}
		if !(n >= 0 && n < 1) {
			t.Fatalf("Hash(%q, %q, %d) = %v; want a value in [0, 1)", seed, value, version, n)
		}
		if want, _ := specHash(seed, value, version); n != want {
			t.Fatalf("Hash(%q, %q, %d) = %v; the definition gives %v", seed, value, version, n, want)
		}
	})
}
