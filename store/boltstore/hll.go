package boltstore

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"
)

// HyperLogLog parameters: 2^14 one-byte registers give Redis's own
// standard error (0.81%) in 16 KiB per cell, and stay close to exact (by
// linear counting) up to tens of thousands of people per cell, which is
// most cells.
const (
	hllPrecision = 14
	hllRegisters = 1 << hllPrecision
)

// hll is a HyperLogLog sketch: register j holds the largest rank (position
// of the first set bit, counting from 1) seen among hashes whose top bits
// select j. It is a plain byte slice so it can be stored as is.
type hll []byte

func newHLL() hll { return make(hll, hllRegisters) }

// add records x. The 64-bit hash is SHA-256's first 8 bytes rather than
// hash/maphash, whose seed changes with every process: sketches persist
// across restarts, so the same input must always land in the same register.
func (h hll) add(x []byte) {
	sum := sha256.Sum256(x)
	v := binary.BigEndian.Uint64(sum[:8])
	j := v >> (64 - hllPrecision)
	// The remaining 50 bits, with a guard bit so the rank is at most 51.
	rest := v<<hllPrecision | 1<<(hllPrecision-1)
	rank := byte(bits.LeadingZeros64(rest) + 1)
	if rank > h[j] {
		h[j] = rank
	}
}

// merge makes h the sketch of the union of h and o.
func (h hll) merge(o hll) {
	for j, r := range o {
		if r > h[j] {
			h[j] = r
		}
	}
}

// estimate returns the estimated number of distinct inputs: the harmonic
// mean estimator, with linear counting over the empty registers while they
// are many, where the raw estimator is biased. With 64-bit hashes no
// large-range correction is needed.
func (h hll) estimate() int64 {
	const m = float64(hllRegisters)
	var sum float64
	var zeros int
	for _, r := range h {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}
