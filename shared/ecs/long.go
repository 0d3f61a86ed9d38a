package ecs

import "unsafe"

// smallLongs holds 0 to 65,535: the longs most documents carry (ports,
// packet counts, status codes, small byte counts) are boxed pointing at
// their entry here, not at a fresh 8-byte copy each. 512 KiB, made once.
var smallLongs = func() *[1 << 16]int64 {
	t := new([1 << 16]int64)
	for i := range t {
		t[i] = int64(i)
	}
	return t
}()

// boxLong returns n as an interface value, as any(n) would, without an
// allocation when n is in smallLongs. An interface holding an int64 is a
// type word and a pointer to the value; only the pointer differs from
// any(n). Go boxes 0 to 255 the same way (runtime.staticuint64s).
func boxLong(n int64) any {
	if n < 0 || n >= int64(len(smallLongs)) {
		return n
	}
	var a any = int64(0)
	(*[2]unsafe.Pointer)(unsafe.Pointer(&a))[1] = unsafe.Pointer(&smallLongs[n])
	return a
}
