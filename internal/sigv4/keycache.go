package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// signingKey is the derived per-day, per-region, per-service key.
type signingKey [sha256.Size]byte

func deriveSigningKey(secret, date, region, service string) signingKey {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, terminator)
	var out signingKey
	copy(out[:], k)
	return out
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// keyCacheSize bounds the cache. A key changes only when the UTC date
// changes, so steady state is one entry per (secret, region, service) in
// use; this leaves ample room while capping memory.
const keyCacheSize = 4096

type keyCacheKey struct{ secret, date, region, service string }

// keyCache memoises deriveSigningKey.
//
// Concurrency contract: all methods are safe for concurrent use by any number
// of goroutines. Reads take a shared lock and never block each other; a
// write takes the exclusive lock only to insert, and derivation happens
// outside any lock, so two goroutines may race to derive the same key (both
// get the same bytes; the later insert is a harmless overwrite).
//
// Entries are inserted only after a signature verified with them (see put's
// callers), so unauthenticated clients cannot fill the cache with junk scopes
// or evict the keys of real clients. Because the secret is part of the
// cache key, a rotated secret never hits a stale entry, and the cache can be
// shared process-wide by every Verifier.
type keyCache struct {
	mu sync.RWMutex
	m  map[keyCacheKey]signingKey
}

var signingKeys = &keyCache{m: make(map[keyCacheKey]signingKey)}

func (c *keyCache) get(secret, date, region, service string) (signingKey, bool) {
	c.mu.RLock()
	k, ok := c.m[keyCacheKey{secret, date, region, service}]
	c.mu.RUnlock()
	return k, ok
}

func (c *keyCache) put(secret, date, region, service string, k signingKey) {
	// The scope strings are substrings of the request's Authorization
	// header; cloning them stops the cache from pinning whole headers.
	ck := keyCacheKey{secret, strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[ck]; !ok && len(c.m) >= keyCacheSize {
		// Map iteration starts at a random entry, which makes this a cheap
		// random eviction; good enough since a miss costs four HMACs.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[ck] = k
}

func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
