package redisstore

import (
	"strings"
	"testing"
)

// keySlot returns the Redis Cluster slot of key: CRC16 of the hash tag (the
// text between the first "{" and the next "}", if non-empty) or of the whole
// key, modulo 16384. go-redis keeps its own copy internal.
func keySlot(key string) uint16 {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if n := strings.IndexByte(key[open+1:], '}'); n > 0 {
			key = key[open+1 : open+1+n]
		}
	}
	return crc16([]byte(key)) % 16384
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the variant
// Redis Cluster uses.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestCRC16(t *testing.T) {
	// The check value of CRC-16/XMODEM.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#04x, want 0x31c3", got)
	}
}

func TestKeySlot(t *testing.T) {
	// Expected slots are CLUSTER KEYSLOT replies from redis-server 7.0.
	tests := []struct {
		key  string
		want uint16
	}{
		{"123456789", 12739},
		{"foo", 12182},
		{"somekey", 11058},
		{"{}x", 10595},    // empty tag: the whole key is hashed
		{"a{}{b}", 15033}, // the first "{" counts, even with an empty tag
		{"{a}", 15495},
		{"signpost:{campaign:abc}:def", 8810},
		{"signpost:{campaign:abc}:content", 8810},
	}
	for _, tt := range tests {
		if got := keySlot(tt.key); got != tt.want {
			t.Errorf("keySlot(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}
