// Package lru is a bounded, concurrency-safe least-recently-used cache
// keyed by strings, for the enrichment lookups (user agents, GeoIP and
// threat-intel answers per address or domain) that repeat across the
// records of a log and across the invocations of a warm container.
//
// The cache is split into shards, each an LRU list over a fixed array of
// entries (no allocation per hit, one per new key) behind its own mutex,
// so goroutines enriching chunks in parallel rarely wait for each other.
// Eviction is per shard: the entry dropped is the least recently used of
// its shard, which approximates a global LRU closely for keys spread by
// hash. The total number of entries never exceeds the size given to New.
package lru

import (
	"hash/maphash"
	"strings"
	"sync"
)

// maxShards bounds the number of shards; minPerShard keeps small caches in
// one shard, so their bound and LRU order are exact.
const (
	maxShards   = 16
	minPerShard = 256
)

// Cache maps strings to values of type V. The zero value and a nil *Cache
// store nothing (every Get misses), as does a cache of size < 1.
//
// Values are returned as stored: a V holding maps, slices or pointers is
// shared by every caller that gets it, so callers must treat it as
// read-only and copy whatever they hand on to be modified.
type Cache[V any] struct {
	seed   maphash.Seed
	shards []shard[V]
	mask   uint64
	size   int
}

type shard[V any] struct {
	mu    sync.Mutex
	index map[string]int32
	nodes []node[V]
	// head is the most recently used entry, tail the least; -1 when empty.
	head, tail int32
	max        int

	hits, misses, evictions uint64
	_                       [64]byte // keep shards on separate cache lines
}

type node[V any] struct {
	key        string
	val        V
	prev, next int32
}

// New returns a cache holding at most size entries.
func New[V any](size int) *Cache[V] {
	c := &Cache[V]{seed: maphash.MakeSeed(), size: max(size, 0)}
	if size < 1 {
		return c
	}
	n := 1
	for n < maxShards && size/(n*2) >= minPerShard {
		n *= 2
	}
	c.shards = make([]shard[V], n)
	c.mask = uint64(n - 1)
	for i := range c.shards {
		s := &c.shards[i]
		// Spread the remainder so the capacities add up to size exactly.
		s.max = size / n
		if i < size%n {
			s.max++
		}
		s.index = make(map[string]int32)
		s.head, s.tail = -1, -1
	}
	return c
}

// Size is the bound given to New (0 for a cache that stores nothing).
func (c *Cache[V]) Size() int {
	if c == nil {
		return 0
	}
	return c.size
}

func (c *Cache[V]) shard(key string) *shard[V] {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key)&c.mask]
}

// Get returns the value stored for key and marks it most recently used.
func (c *Cache[V]) Get(key string) (V, bool) {
	if c == nil || len(c.shards) == 0 {
		var zero V
		return zero, false
	}
	s := c.shard(key)
	s.mu.Lock()
	i, ok := s.index[key]
	if !ok {
		s.misses++
		s.mu.Unlock()
		var zero V
		return zero, false
	}
	s.hits++
	s.moveToFront(i)
	v := s.nodes[i].val
	s.mu.Unlock()
	return v, true
}

// Add stores val for key as the most recently used entry, evicting the
// least recently used entry of the key's shard when it is full. The key is
// copied: a cache entry never keeps a caller's larger buffer alive.
func (c *Cache[V]) Add(key string, val V) {
	if c == nil || len(c.shards) == 0 {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok {
		s.nodes[i].val = val
		s.moveToFront(i)
		return
	}
	key = strings.Clone(key)
	var i int32
	if len(s.nodes) < s.max {
		i = int32(len(s.nodes))
		s.nodes = append(s.nodes, node[V]{key: key, val: val})
	} else {
		i = s.tail
		s.unlink(i)
		delete(s.index, s.nodes[i].key)
		s.evictions++
		s.nodes[i] = node[V]{key: key, val: val}
	}
	s.index[key] = i
	s.pushFront(i)
}

// Purge drops every entry (counters are kept).
func (c *Cache[V]) Purge() {
	if c == nil {
		return
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.index = make(map[string]int32)
		s.nodes = nil
		s.head, s.tail = -1, -1
		s.mu.Unlock()
	}
}

// Stats counts a cache's use since New.
type Stats struct {
	Len                     int // entries held now
	Hits, Misses, Evictions uint64
}

// Stats sums the shards' counters.
func (c *Cache[V]) Stats() Stats {
	var st Stats
	if c == nil {
		return st
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Len += len(s.index)
		st.Hits += s.hits
		st.Misses += s.misses
		st.Evictions += s.evictions
		s.mu.Unlock()
	}
	return st
}

// Len is the number of entries held.
func (c *Cache[V]) Len() int { return c.Stats().Len }

// The list is doubly linked through the nodes' indexes.

func (s *shard[V]) unlink(i int32) {
	n := &s.nodes[i]
	if n.prev >= 0 {
		s.nodes[n.prev].next = n.next
	} else {
		s.head = n.next
	}
	if n.next >= 0 {
		s.nodes[n.next].prev = n.prev
	} else {
		s.tail = n.prev
	}
	n.prev, n.next = -1, -1
}

func (s *shard[V]) pushFront(i int32) {
	n := &s.nodes[i]
	n.prev, n.next = -1, s.head
	if s.head >= 0 {
		s.nodes[s.head].prev = i
	}
	s.head = i
	if s.tail < 0 {
		s.tail = i
	}
}

func (s *shard[V]) moveToFront(i int32) {
	if s.head == i {
		return
	}
	s.unlink(i)
	s.pushFront(i)
}
