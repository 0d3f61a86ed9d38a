package doc

import "strings"

// Path is a dotted path split once, for a target every document of a log
// type is written at (the ECS mapping's targets). Set through a Path
// needs no splitting, and the intermediate objects it creates are made
// with room for the members the log type writes under them.
type Path struct {
	parts []string
	// room[i] is the capacity of the object created for parts[:i+1].
	room []int
}

// Paths compiles targets together: an intermediate object gets room for
// every distinct member the targets write under it, plus extra (what
// transforms and enrichers add).
func Paths(targets []string, extra int) []Path {
	members := map[string]map[string]bool{}
	for _, t := range targets {
		parts := strings.Split(t, ".")
		for i := 1; i < len(parts); i++ {
			prefix := strings.Join(parts[:i], ".")
			if members[prefix] == nil {
				members[prefix] = map[string]bool{}
			}
			members[prefix][parts[i]] = true
		}
	}
	out := make([]Path, len(targets))
	for j, t := range targets {
		parts := strings.Split(t, ".")
		p := Path{parts: parts, room: make([]int, len(parts)-1)}
		for i := range p.room {
			p.room[i] = len(members[strings.Join(parts[:i+1], ".")]) + extra
		}
		out[j] = p
	}
	return out
}

// String is the dotted path.
func (p Path) String() string { return strings.Join(p.parts, ".") }

// Set writes v at p as Set(m, p.String(), v) does.
func (p Path) Set(m map[string]any, v any) {
	cur := m
	last := len(p.parts) - 1
	for i := 0; i < last; i++ {
		part := p.parts[i]
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = make(map[string]any, p.room[i])
			cur[part] = next
		}
		cur = next
	}
	cur[p.parts[last]] = v
}
