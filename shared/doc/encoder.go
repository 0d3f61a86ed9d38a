package doc

// Encoder encodes documents as AppendJSON does, and remembers the sorted
// member order of the larger objects it meets, by the name they sit under
// ("" for the document itself). Documents of one log type mostly share
// their shape, so the next object under the same name is written by
// looking its members up in the remembered order instead of gathering
// and sorting them again. The order is used only when the object has
// exactly the remembered members; the output is byte-identical to
// AppendJSON's. An Encoder is not safe for concurrent use.
type Encoder struct {
	orders map[string]*order
}

type order struct {
	keys []string
	miss int // consecutive objects of another shape
}

// cachedMin is the smallest object whose order is remembered: below it
// an insertion sort on the stack costs less than the lookups.
const cachedMin = 5

// maxMiss is how many objects in a row of another shape make a name's
// objects be sorted every time from then on.
const maxMiss = 64

// Append appends the JSON encoding of v to dst.
func (e *Encoder) Append(dst []byte, v any) ([]byte, error) {
	return e.value(dst, "", v)
}

func (e *Encoder) value(dst []byte, name string, v any) ([]byte, error) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) >= cachedMin {
			return e.object(dst, name, t)
		}
		return appendObject(dst, t, e)
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

// object writes m in its remembered order when m has exactly the
// remembered members, else sorts them and remembers the new order.
func (e *Encoder) object(dst []byte, name string, m map[string]any) ([]byte, error) {
	o := e.orders[name]
	if o != nil && o.miss < maxMiss && len(o.keys) == len(m) {
		mark := len(dst)
		dst = append(dst, '{')
		ok := true
		var err error
		for i, k := range o.keys {
			v, found := m[k]
			if !found {
				ok = false
				break
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if dst, err = e.value(dst, k, v); err != nil {
				return nil, err
			}
		}
		if ok {
			o.miss = 0
			return append(dst, '}'), nil
		}
		dst = dst[:mark]
	}
	var small [48]pair
	ms := sortedMembers(m, small[:0])
	if e.orders == nil {
		e.orders = map[string]*order{}
	}
	if o == nil {
		if len(e.orders) < 256 {
			o = &order{}
			e.orders[name] = o
		}
	} else {
		// A name whose objects keep changing shape (CloudTrail's
		// requestParameters) is not worth remembering after a while.
		o.miss++
	}
	if o != nil && o.miss < maxMiss {
		o.keys = o.keys[:0]
		for _, p := range ms {
			o.keys = append(o.keys, p.k)
		}
	}
	return writeMembers(dst, ms, e)
}
