package sipd

// FNV-1a hashing of the few values the hot path fingerprints (To tags derived from a
// request, the origin of a REGISTER), folded in place so that nothing allocates.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvString folds s into an FNV-1a hash without allocating.
func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// fnvUint folds v into an FNV-1a hash, byte by byte.
func fnvUint(h, v uint64) uint64 {
	for ; v > 0; v >>= 8 {
		h ^= v & 0xff
		h *= fnvPrime
	}
	h ^= 0xff // terminator, so that 0x01 then 0x0100 differ from 0x0101
	return h * fnvPrime
}
