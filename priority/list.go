package priority

import (
	"iter"
	"sort"
)

// Item is one entry of a [List]: a value and the level it was inserted at.
type Item[T any] struct {
	Level Level
	Value T
}

// List is an immutable sequence of values ordered by level, highest level
// first; values of equal level keep the order they were inserted in.
//
// A List is a value: the zero List is empty and ready to use, and copying
// a List is copying a slice header. Insert and Remove never modify the
// receiver; they return a new List that shares nothing writable with it.
// A List can therefore be read by any number of goroutines without a lock
// while a writer derives the next version from it. A holder that is
// updated concurrently publishes each new version through an atomic
// pointer, as the router does with its tables.
//
// Insert and Remove copy the list, O(n); reads are O(1) per element and
// never allocate.
type List[T any] struct {
	items []Item[T]
}

// Len returns the number of items.
func (l List[T]) Len() int { return len(l.items) }

// At returns the i-th item, 0 being the first (the highest level).
// It panics if i is out of range.
func (l List[T]) At(i int) Item[T] { return l.items[i] }

// All yields the items in order, level and value.
func (l List[T]) All() iter.Seq2[Level, T] {
	return func(yield func(Level, T) bool) {
		for _, it := range l.items {
			if !yield(it.Level, it.Value) {
				return
			}
		}
	}
}

// Insert returns a new list holding l's items and v at level, placed after
// every item of a level greater than or equal to level: among equal
// levels, the newest comes last.
func (l List[T]) Insert(level Level, v T) List[T] {
	i := sort.Search(len(l.items), func(i int) bool { return l.items[i].Level < level })
	items := make([]Item[T], len(l.items)+1)
	copy(items, l.items[:i])
	items[i] = Item[T]{Level: level, Value: v}
	copy(items[i+1:], l.items[i:])
	return List[T]{items: items}
}

// Remove returns a new list without the items for which del reports true,
// and how many it removed. del is called once per item, in order. When it
// removes nothing, Remove returns l itself.
func (l List[T]) Remove(del func(T) bool) (List[T], int) {
	var items []Item[T]
	copying := false
	for i, it := range l.items {
		if del(it.Value) {
			if !copying {
				copying = true
				items = make([]Item[T], i, len(l.items)-1)
				copy(items, l.items[:i])
			}
			continue
		}
		if copying {
			items = append(items, it)
		}
	}
	if !copying {
		return l, 0
	}
	if len(items) == 0 {
		return List[T]{}, len(l.items)
	}
	return List[T]{items: items}, len(l.items) - len(items)
}
