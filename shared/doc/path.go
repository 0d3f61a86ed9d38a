package doc

import "strings"

// Path is a dotted path split once, for a target every document of a log
// type is written at (the ECS mapping's targets). Set through a Path
// needs no splitting, and the intermediate objects it creates are made
// with room for the members the log type writes under them.
type Path struct {
	parts []string
	// room[i] is the capacity of the object created for parts[:i+1], and
	// slot[i] that object's index among all the objects of the paths
	// compiled together (Objects keeps one per slot).
	room []int
	slot []int
}

// Paths compiles targets together: an intermediate object gets room for
// every distinct member the targets write under it, plus extra (what
// transforms and enrichers add).
func Paths(targets []string, extra int) []Path {
	members := map[string]map[string]bool{}
	slots := map[string]int{}
	for _, t := range targets {
		parts := strings.Split(t, ".")
		for i := 1; i < len(parts); i++ {
			prefix := strings.Join(parts[:i], ".")
			if members[prefix] == nil {
				members[prefix] = map[string]bool{}
				slots[prefix] = len(slots)
			}
			members[prefix][parts[i]] = true
		}
	}
	out := make([]Path, len(targets))
	for j, t := range targets {
		parts := strings.Split(t, ".")
		p := Path{parts: parts, room: make([]int, len(parts)-1), slot: make([]int, len(parts)-1)}
		for i := range p.room {
			prefix := strings.Join(parts[:i+1], ".")
			p.room[i] = len(members[prefix]) + extra
			p.slot[i] = slots[prefix]
		}
		out[j] = p
	}
	return out
}

// String is the dotted path.
func (p Path) String() string { return strings.Join(p.parts, ".") }

// Set writes v at p as Set(m, p.String(), v) does.
func (p Path) Set(m map[string]any, v any) { p.SetWith(m, v, nil) }

// SetWith is Set taking the objects it creates from o (nil: new ones).
func (p Path) SetWith(m map[string]any, v any, o *Objects) {
	cur := m
	last := len(p.parts) - 1
	for i := 0; i < last; i++ {
		part := p.parts[i]
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = o.take(p.slot[i], p.room[i])
			cur[part] = next
		}
		cur = next
	}
	cur[p.parts[last]] = v
}

// Objects lends the intermediate objects compiled paths create in one
// document and takes them back, emptied, for the next (Reuse): a document
// that is encoded and dropped leaves its maps to the next one instead of
// to the collector. A path creates an object only where none is, so a
// document holds at most one per slot.
type Objects struct {
	spare []map[string]any // by slot: emptied, ready to lend
	lent  []lent
	// top is the map a record's fields are decoded into (Top): the
	// document itself, emptied by Reuse too.
	top map[string]any
}

// spareMax is the most members an object may have held to be kept, and
// topMax the most fields a document may have had for its map to be.
const (
	spareMax = 64
	topMax   = 256
)

// Top returns the empty map the next document's fields are to be decoded
// into (format.Record.Into); Reuse empties it with the objects lent.
func (o *Objects) Top() map[string]any {
	if o.top == nil {
		o.top = make(map[string]any, 32)
	}
	return o.top
}

type lent struct {
	slot int
	m    map[string]any
}

// take returns an empty object for slot, made with room members when
// there is no spare; o nil makes one and lends nothing.
func (o *Objects) take(slot, room int) map[string]any {
	if o == nil {
		return make(map[string]any, room)
	}
	var m map[string]any
	if slot < len(o.spare) && o.spare[slot] != nil {
		m, o.spare[slot] = o.spare[slot], nil
	} else {
		m = make(map[string]any, room)
	}
	o.lent = append(o.lent, lent{slot, m})
	return m
}

// Reuse empties every object lent since the last Reuse and keeps it for
// the next document. The documents they were lent to must be done with:
// their objects are emptied and filled again with other records' values.
func (o *Objects) Reuse() {
	for _, l := range o.lent {
		if len(l.m) > spareMax {
			continue // grown by a rare record: not worth emptying and keeping
		}
		clear(l.m)
		for l.slot >= len(o.spare) {
			o.spare = append(o.spare, nil)
		}
		o.spare[l.slot] = l.m
	}
	clear(o.lent)
	o.lent = o.lent[:0]
	if len(o.top) > topMax {
		o.top = nil
	} else {
		clear(o.top)
	}
}
