package lru

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestGetAdd(t *testing.T) {
	c := New[int](3)
	if _, ok := c.Get("a"); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)
	for k, want := range map[string]int{"a": 1, "b": 2, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Errorf("Get(%q) = %v, %v; want %v", k, v, ok, want)
		}
	}
	c.Add("b", 20) // update in place, no eviction
	if v, _ := c.Get("b"); v != 20 || c.Len() != 3 {
		t.Errorf("after update: b=%v len=%d", v, c.Len())
	}
	st := c.Stats()
	if st.Hits != 4 || st.Misses != 1 || st.Evictions != 0 || st.Len != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[int](3)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)
	c.Get("a")    // order now a, c, b
	c.Add("d", 4) // evicts b
	if _, ok := c.Get("b"); ok {
		t.Error("b kept: not the least recently used one evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	// Order now a, c, d (by the Gets above: d most recent).
	c.Add("e", 5) // evicts a
	if _, ok := c.Get("a"); ok {
		t.Error("a kept")
	}
	if st := c.Stats(); st.Evictions != 2 || st.Len != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestBound(t *testing.T) {
	for _, size := range []int{1, 2, 255, 1000, 4096, 50000} {
		c := New[int](size)
		for i := 0; i < 3*size+100; i++ {
			k := strconv.Itoa(i)
			c.Add(k, i)
			if v, ok := c.Get(k); !ok || v != i {
				t.Fatalf("size %d: just added %s: %v %v", size, k, v, ok)
			}
			if i < size && c.shards[0].max == size && c.Len() != i+1 {
				t.Fatalf("size %d: len %d after %d adds", size, c.Len(), i+1)
			}
		}
		// Every shard is full now: exactly size entries, never more.
		if n := c.Len(); n != size {
			t.Errorf("size %d: holds %d", size, n)
		}
		held := 0
		for i := 0; i < 3*size+100; i++ {
			if v, ok := c.Get(strconv.Itoa(i)); ok {
				if v != i {
					t.Fatalf("size %d: key %d holds %d", size, i, v)
				}
				held++
			}
		}
		if held != size {
			t.Errorf("size %d: %d keys found", size, held)
		}
		for i := range c.shards {
			s := &c.shards[i]
			if len(s.nodes) != s.max || cap(s.nodes) > 2*s.max+8 {
				t.Errorf("size %d shard %d: %d nodes (cap %d) for max %d", size, i, len(s.nodes), cap(s.nodes), s.max)
			}
		}
	}
}

func TestDisabled(t *testing.T) {
	var nilCache *Cache[string]
	for _, c := range []*Cache[string]{nilCache, New[string](0), New[string](-5), {}} {
		c.Add("a", "x")
		if _, ok := c.Get("a"); ok {
			t.Error("disabled cache stored")
		}
		c.Purge()
		if c.Len() != 0 || c.Size() != 0 {
			t.Error("disabled cache has entries")
		}
	}
}

func TestPurge(t *testing.T) {
	c := New[int](1000)
	for i := 0; i < 500; i++ {
		c.Add(strconv.Itoa(i), i)
	}
	c.Purge()
	if c.Len() != 0 {
		t.Fatalf("len %d after Purge", c.Len())
	}
	if _, ok := c.Get("1"); ok {
		t.Fatal("hit after Purge")
	}
	for i := 0; i < 2000; i++ {
		c.Add(strconv.Itoa(i), i)
	}
	if c.Len() != 1000 {
		t.Fatalf("len %d refilled", c.Len())
	}
}

// TestConcurrent is meant for -race: readers and writers on overlapping
// keys, with a bound small enough to evict all the time.
func TestConcurrent(t *testing.T) {
	c := New[string](600)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				k := strconv.Itoa((i * (g + 1)) % 1500)
				if v, ok := c.Get(k); ok {
					if v != "v"+k {
						t.Errorf("key %s holds %s", k, v)
						return
					}
					continue
				}
				c.Add(k, "v"+k)
			}
		}(g)
	}
	wg.Wait()
	if n := c.Len(); n > 600 {
		t.Errorf("holds %d > 600", n)
	}
	st := c.Stats()
	if st.Hits == 0 || st.Misses == 0 || st.Evictions == 0 {
		t.Errorf("stats %+v", st)
	}
}

func BenchmarkGetHit(b *testing.B) {
	c := New[int](20000)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "Mozilla/5.0 (X11; Linux x86_64) " + strconv.Itoa(i)
		c.Add(keys[i], i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Get(keys[i%len(keys)])
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	c := New[int](20000)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "198.51.100." + strconv.Itoa(i)
		c.Add(keys[i], i)
	}
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(397)) // goroutines apart, not in lockstep on one shard
		for pb.Next() {
			c.Get(keys[i%len(keys)])
			i++
		}
	})
}

func BenchmarkAddEvict(b *testing.B) {
	c := New[int](1000)
	keys := make([]string, 5000)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Add(keys[i%len(keys)], i)
	}
}

// TestMatchesModel runs random operations on one-shard caches and on a
// plain ordered-list LRU, which must agree on every answer and eviction.
func TestMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 2, 3, 7, 64} {
		c := New[int](size)
		var model []string // most recent first
		vals := map[string]int{}
		touch := func(k string) {
			for i, m := range model {
				if m == k {
					model = append(model[:i], model[i+1:]...)
					break
				}
			}
			model = append([]string{k}, model...)
		}
		for op := 0; op < 20000; op++ {
			k := strconv.Itoa(rng.IntN(3 * size))
			if rng.IntN(2) == 0 {
				v, ok := c.Get(k)
				mv, mok := vals[k]
				if ok != mok || v != mv {
					t.Fatalf("size %d op %d: Get(%s) = %d,%v; model %d,%v", size, op, k, v, ok, mv, mok)
				}
				if ok {
					touch(k)
				}
				continue
			}
			c.Add(k, op)
			if _, ok := vals[k]; !ok && len(model) == size {
				delete(vals, model[len(model)-1])
				model = model[:len(model)-1]
			}
			vals[k] = op
			touch(k)
			if c.Len() != len(model) {
				t.Fatalf("size %d op %d: len %d, model %d", size, op, c.Len(), len(model))
			}
		}
		// The list, walked both ways, is the model's order.
		s := &c.shards[0]
		var fwd, back []string
		for i := s.head; i >= 0; i = s.nodes[i].next {
			fwd = append(fwd, s.nodes[i].key)
		}
		for i := s.tail; i >= 0; i = s.nodes[i].prev {
			back = append([]string{s.nodes[i].key}, back...)
		}
		if !slices.Equal(fwd, model) || !slices.Equal(back, model) {
			t.Errorf("size %d: list %v / %v, model %v", size, fwd, back, model)
		}
	}
}
