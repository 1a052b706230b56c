package match

import (
	"sync"
	"time"
)

// A Cache keeps the matchers of the rule sets it compiled last, by their
// rules version, so that compiling the same rules again costs nothing:
// the service compiles a rule set's draft with the live sets to check
// its samples, and once the draft is published compiles the same files
// to serve them; tests start many services on the same shipped rules.
// Compiling the shipped rules takes a good part of a second (several
// under the race detector), on the path of publishing and of start-up.
//
// A Matcher is immutable, so one compiled matcher serves every caller.
// Callers compiling the same rules at once wait for one compilation. A
// nil *Cache compiles every time.
type Cache struct {
	size int
	ttl  time.Duration
	// scorer is the compiled matchers' scorer (nil: none; see
	// CompileScored).
	scorer *Scorer

	mu sync.Mutex
	// entries are ordered from least to most recently used.
	entries []*cacheEntry
}

type cacheEntry struct {
	version string
	done    chan struct{} // closed once m and err are set
	m       *Matcher
	err     error
}

// NewCache returns a Cache that keeps the matchers of the last size
// distinct rule sets (at least one), each for ttl after it was compiled
// (0: until newer ones push it out). A service passes a ttl, so that a
// matcher it compiled to check a draft does not stay in memory beside
// the one it serves. Every matcher it compiles uses scorer (nil: none).
func NewCache(size int, ttl time.Duration, scorer *Scorer) *Cache {
	return &Cache{size: max(size, 1), ttl: ttl, scorer: scorer}
}

// Compile returns the matcher of files, as Compile does, compiling them
// only if no matcher of the same rules version is kept.
func (c *Cache) Compile(files []*RuleFile) (*Matcher, error) {
	if c == nil {
		return Compile(files)
	}
	version := scoredVersion(files, c.scorer)
	c.mu.Lock()
	for i, e := range c.entries {
		if e.version == version {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			<-e.done
			return e.m, e.err
		}
	}
	e := &cacheEntry{version: version, done: make(chan struct{})}
	c.entries = append(c.entries, e)
	if len(c.entries) > c.size {
		// A new array lets the dropped matcher be collected; an entry
		// still being compiled is finished for whoever waits on it.
		c.entries = append([]*cacheEntry(nil), c.entries[len(c.entries)-c.size:]...)
	}
	c.mu.Unlock()

	e.m, e.err = compileScored(files, version, c.scorer)
	close(e.done)
	switch {
	case e.err != nil:
		// The same files fail the same way, but an error is cheap to
		// reach again and should not push a good matcher out.
		c.drop(e)
	case c.ttl > 0:
		time.AfterFunc(c.ttl, func() { c.drop(e) })
	}
	return e.m, e.err
}

// drop forgets e if it is still kept.
func (c *Cache) drop(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.entries {
		if x == e {
			c.entries = append(c.entries[:i:i], c.entries[i+1:]...)
			return
		}
	}
}
