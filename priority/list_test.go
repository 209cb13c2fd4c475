package priority

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func values[T any](l List[T]) []T {
	var out []T
	for _, v := range l.All() {
		out = append(out, v)
	}
	return out
}

func TestListInsertOrder(t *testing.T) {
	type ins struct {
		level Level
		v     string
	}
	tests := []struct {
		name string
		ins  []ins
		want []string
	}{
		{"empty", nil, nil},
		{"one", []ins{{Normal, "a"}}, []string{"a"}},
		{"higher first", []ins{{Low, "low"}, {High, "high"}, {Normal, "normal"}}, []string{"high", "normal", "low"}},
		{"equal levels keep insertion order", []ins{{Normal, "a"}, {Normal, "b"}, {Normal, "c"}}, []string{"a", "b", "c"}},
		{"ties among mixed levels", []ins{{High, "h1"}, {Low, "l1"}, {High, "h2"}, {Low, "l2"}, {Normal, "n1"}, {High, "h3"}},
			[]string{"h1", "h2", "h3", "n1", "l1", "l2"}},
		{"extremes", []ins{{Normal, "n"}, {Min, "min"}, {Max, "max"}, {Critical, "crit"}}, []string{"max", "crit", "n", "min"}},
		{"unnamed levels", []ins{{3, "3"}, {-4, "-4"}, {7, "7"}, {3, "3b"}}, []string{"7", "3", "3b", "-4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l List[string]
			for _, in := range tt.ins {
				l = l.Insert(in.level, in.v)
			}
			assert.Equal(t, tt.want, values(l))
			assert.Equal(t, len(tt.want), l.Len(), "Len()")
			for i := 1; i < l.Len(); i++ {
				assert.GreaterOrEqual(t, l.At(i-1).Level, l.At(i).Level, "item %d level %v before item %d level %v", i-1, l.At(i-1).Level, i, l.At(i).Level)
			}
		})
	}
}

func TestListRemove(t *testing.T) {
	base := List[int]{}
	for i, lvl := range []Level{High, Normal, Normal, Low, High} {
		base = base.Insert(lvl, i)
	}
	// base: 0(H) 4(H) 1(N) 2(N) 3(L)
	tests := []struct {
		name  string
		del   func(int) bool
		want  []int
		count int
	}{
		{"nothing", func(int) bool { return false }, []int{0, 4, 1, 2, 3}, 0},
		{"first", func(v int) bool { return v == 0 }, []int{4, 1, 2, 3}, 1},
		{"last", func(v int) bool { return v == 3 }, []int{0, 4, 1, 2}, 1},
		{"middle of a level", func(v int) bool { return v == 1 }, []int{0, 4, 2, 3}, 1},
		{"several", func(v int) bool { return v%2 == 0 }, []int{1, 3}, 3},
		{"all", func(int) bool { return true }, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			got, n := base.Remove(func(v int) bool { calls++; return tt.del(v) })
			assert.Equal(t, tt.want, values(got))
			assert.Equal(t, tt.count, n, "removed")
			assert.Equal(t, base.Len(), calls, "del calls")
			assert.Equal(t, []int{0, 4, 1, 2, 3}, values(base), "the receiver changed")
		})
	}
}

func TestListSnapshotsAreImmutable(t *testing.T) {
	var l List[int]
	l = l.Insert(Normal, 1).Insert(Normal, 2)
	snap := l
	l = l.Insert(High, 0)
	l, _ = l.Remove(func(v int) bool { return v == 2 })
	assert.Equal(t, []int{1, 2}, values(snap), "snapshot")
	assert.Equal(t, []int{0, 1}, values(l), "list")
}

func TestListAllStops(t *testing.T) {
	l := List[int]{}.Insert(Normal, 1).Insert(Normal, 2).Insert(Normal, 3)
	var got []int
	for _, v := range l.All() {
		got = append(got, v)
		if v == 2 {
			break
		}
	}
	assert.Equal(t, []int{1, 2}, got)
}

// shared is the holder the router builds around a List: writers
// serialized by a mutex, each version published through an atomic
// pointer, readers lock-free.
type shared struct {
	mu sync.Mutex
	p  atomic.Pointer[List[int]]
}

func (s *shared) Load() List[int] {
	if p := s.p.Load(); p != nil {
		return *p
	}
	return List[int]{}
}

func (s *shared) Update(f func(List[int]) List[int]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := f(s.Load())
	s.p.Store(&next)
}

// TestListSnapshotsConcurrent has writers insert and remove while readers
// check that every snapshot they load is ordered: a List is never
// modified once published.
func TestListSnapshotsConcurrent(t *testing.T) {
	var s shared
	var wg sync.WaitGroup
	const writers, perWriter = 4, 500
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				v := w*perWriter + i
				s.Update(func(l List[int]) List[int] { return l.Insert(Level(v%5), v) })
				if i%3 == 0 {
					s.Update(func(l List[int]) List[int] {
						l, _ = l.Remove(func(x int) bool { return x == v })
						return l
					})
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				l := s.Load()
				for i := 1; i < l.Len(); i++ {
					if l.At(i-1).Level < l.At(i).Level { // checked only on failure: the readers race the writers
						assert.Failf(t, "snapshot out of order", "snapshot out of order at %d", i)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	want := writers * (perWriter - (perWriter+2)/3)
	assert.Equal(t, want, s.Load().Len(), "Len()")
}
