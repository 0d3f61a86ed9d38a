package doc

import "unsafe"

// Encoder encodes documents as AppendJSON does, and remembers, by the
// name an object sits under ("" for the document itself), the sorted
// union of the members it has met there. Documents of one log type
// mostly share their shape, though optional fields come and go (ALB's
// "-" values, CloudTrail's errorCode), so the next object under the same
// name is written by walking that union and looking each name up instead
// of gathering and sorting its members again. The walk is used only when
// every member of the object is in the union: otherwise the object is
// sorted, and the union grows by the new names. The output is
// byte-identical to AppendJSON's. An Encoder is not safe for concurrent
// use.
type Encoder struct {
	orders map[string]*order
	keys   map[string]string // object keys as encoded, by name
	docs   int               // documents appended
}

// forgetEvery is how many documents an Encoder appends between letting
// go of the strings its keys remember: a string can hold a whole batch
// of records alive (a loader's arena), and one met once under a rare
// name would keep its batch for the rest of a large object.
const forgetEvery = 1024

type order struct {
	keys  []objKey
	spare []objKey // the buffer the next merge writes into
	miss  int      // consecutive objects with a member outside keys
	// walking counts the walks of keys under way: an object nested
	// under the same name as one being walked (CloudTrail's "items" in
	// "items") must not merge into the buffers that walk reads.
	walking int
}

// objKey is a name and its encoding as an object key, `"name":`, with
// the last long string met under it and, once that same string (the
// same bytes: strings are immutable) comes again, its encoding. The
// values a loader boxes once per object (@log_s3key, cloud.region) or
// the decoder interns are met again and again, and are copied instead
// of escaped.
type objKey struct {
	name, key string
	last      string
	enc       []byte
	cached    bool
}

// repeatMin is the shortest string whose encoding an objKey keeps.
const repeatMin = 16

// appendRepeat appends s's encoding, copied when s is k's last string.
func (k *objKey) appendRepeat(dst []byte, s string) []byte {
	if len(s) == len(k.last) && unsafe.StringData(s) == unsafe.StringData(k.last) {
		if !k.cached {
			k.enc, k.cached = appendString(k.enc[:0], s), true
		}
		return append(dst, k.enc...)
	}
	k.last, k.cached = s, false
	return appendString(dst, s)
}

// ordersMax bounds the names an Encoder remembers orders under. Every
// non-empty object takes the walk, one or two members too: looking up
// its few names costs less than starting an iteration of the map (each
// start draws a random position) and sorting what it gives. CloudTrail
// events meet ~175 names, small objects included.
const ordersMax = 512

// maxMiss is how many objects in a row with unknown members make a
// name's objects be sorted every time from then on.
const maxMiss = 64

// walkMax is the largest union walked for an object of the given
// number of members: past it, the failed lookups cost more than a sort.
func walkMax(members int) int { return 4*members + 16 }

// unionMax bounds a union: an object that would grow it past this
// starts it again from its own members.
const unionMax = 128

// Append appends the JSON encoding of v to dst.
func (e *Encoder) Append(dst []byte, v any) ([]byte, error) {
	if e.docs++; e.docs%forgetEvery == 0 {
		e.forget()
	}
	return e.value(dst, "", v)
}

// forget drops the strings the keys remember (not the buffers).
func (e *Encoder) forget() {
	for _, o := range e.orders {
		for _, ks := range [2][]objKey{o.keys, o.spare} {
			ks = ks[:cap(ks)] // merge leaves copies past the length
			for i := range ks {
				ks[i].last, ks[i].cached = "", false
			}
		}
	}
}

func (e *Encoder) value(dst []byte, name string, v any) ([]byte, error) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			return append(dst, "{}"...), nil
		}
		return e.object(dst, name, t)
	case []any:
		return writeList(dst, t, name, e)
	}
	return AppendJSON(dst, v)
}

// member encodes a value under name: through e, or as AppendJSON does
// when e is nil.
func (e *Encoder) member(dst []byte, name string, v any) ([]byte, error) {
	if e == nil {
		return AppendJSON(dst, v)
	}
	return e.value(dst, name, v)
}

// object writes m by walking the union remembered under name when every
// member of m is in it, else sorts m and adds its names to the union.
func (e *Encoder) object(dst []byte, name string, m map[string]any) ([]byte, error) {
	o := e.orders[name]
	if o != nil && o.miss < maxMiss && len(o.keys) >= len(m) && len(o.keys) <= walkMax(len(m)) {
		mark := len(dst)
		dst = append(dst, '{')
		n := 0
		var err error
		keys := o.keys
		o.walking++
		for i := range keys {
			k := &keys[i]
			v, found := m[k.name]
			if !found {
				continue
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, k.key...)
			if s, ok := v.(string); ok && len(s) >= repeatMin {
				dst = k.appendRepeat(dst, s)
			} else if dst, err = e.value(dst, k.name, v); err != nil {
				o.walking--
				return nil, err
			}
			if n++; n == len(m) {
				o.walking--
				o.miss = 0
				return append(dst, '}'), nil
			}
		}
		o.walking--
		// A member of m is not in the union.
		dst = dst[:mark]
	}
	var small [48]pair
	ms := sortedMembers(m, small[:0])
	if e.orders == nil {
		e.orders = map[string]*order{}
	}
	if o == nil {
		if len(e.orders) < ordersMax {
			o = &order{}
			e.orders[name] = o
		}
	} else {
		// A name whose objects keep changing members (CloudTrail's
		// requestParameters) is not worth remembering after a while.
		o.miss++
	}
	if o != nil && o.miss < maxMiss && o.walking == 0 {
		o.keys, o.spare = e.merge(o.keys, o.spare[:0], ms), o.keys
	}
	return writeMembers(dst, ms, e)
}

// merge appends to out the union of the names in keys and the sorted
// members ms, or ms's names alone when the union would outgrow unionMax.
func (e *Encoder) merge(keys, out []objKey, ms []pair) []objKey {
	i, j := 0, 0
	for i < len(keys) || j < len(ms) {
		switch {
		case j == len(ms) || (i < len(keys) && keys[i].name < ms[j].k):
			out = append(out, keys[i])
			i++
		case i == len(keys) || ms[j].k < keys[i].name:
			out = append(out, e.key(ms[j].k))
			j++
		default:
			out = append(out, keys[i])
			i++
			j++
		}
	}
	if len(out) <= unionMax {
		return out
	}
	out = out[:0]
	for _, p := range ms {
		out = append(out, e.key(p.k))
	}
	return out
}

// key returns name with its encoding as an object key, remembered for
// the names met most (the first 4096).
func (e *Encoder) key(name string) objKey {
	if k, ok := e.keys[name]; ok {
		return objKey{name: name, key: k}
	}
	k := string(append(appendString(nil, name), ':'))
	if e.keys == nil {
		e.keys = map[string]string{}
	}
	if len(e.keys) < 4096 {
		e.keys[name] = k
	}
	return objKey{name: name, key: k}
}
