package avro

import "github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"

// arrayNode is an Avro array: a JSON array, written as one block of items
// and the empty block that ends an array.
type arrayNode struct {
	items node
}

func (n *arrayNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.peek() != '[' {
		return dst, st.mismatch("an array")
	}
	if err := st.enter(); err != nil {
		return dst, err
	}
	defer st.leave()
	if st.open(']') {
		return append(dst, 0), nil
	}
	start, count := len(dst), 0
	for {
		var err error
		if dst, err = n.items.encode(st, dst); err != nil {
			return dst, inElement(err, count)
		}
		count++
		more, err := st.more(']')
		if err != nil {
			return dst, err
		}
		if !more {
			st.noteCount(start, count)
			return append(dst, 0), nil
		}
	}
}

// mapNode is an Avro map: a JSON object, written as one block of entries
// (key string, then value) and the empty block that ends a map. A key
// given twice is refused: Java keeps the last, but some Avro readers
// (goavro) refuse a map that holds a key twice.
type mapNode struct {
	values node
}

func (n *mapNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.peek() != '{' {
		return dst, st.mismatch("an object (map)")
	}
	if err := st.enter(); err != nil {
		return dst, err
	}
	defer st.leave()
	if st.open('}') {
		return append(dst, 0), nil
	}
	sp := st.scratch()
	keys := mapKeys{base: len(sp.slots)}
	defer func() { sp.slots = sp.slots[:keys.base] }()
	start, count := len(dst), 0
	for {
		var err error
		if dst, err = n.entry(st, dst, &keys); err != nil {
			return dst, err
		}
		count++
		more, err := st.more('}')
		if err != nil {
			return dst, err
		}
		if !more {
			st.noteCount(start, count)
			return append(dst, 0), nil
		}
	}
}

func (n *mapNode) entry(st *state, dst []byte, keys *mapKeys) ([]byte, error) {
	raw, flags, err := st.memberName()
	if err != nil {
		return dst, err
	}
	key, err := st.utf8Text(raw, flags)
	if err != nil {
		return dst, inEntry(err, raw)
	}
	if keys.seen(st, dst, key) {
		return dst, inEntry(&codec.DataError{Problem: "key given twice"}, key)
	}
	dst = appendLengthPrefixed(dst, key)
	sp := st.spare // taken by encode
	sp.slots = append(sp.slots, len(dst)-len(key), len(dst))
	if dst, err = n.values.encode(st, dst); err != nil {
		if key, keyErr := st.utf8Text(raw, flags); keyErr == nil {
			raw = key
		}
		return dst, inEntry(err, raw)
	}
	return dst, nil
}

// fewKeys is up to how many keys a map's keys are compared one by one.
const fewKeys = 32

// mapKeys finds keys given twice in one map. The keys already written
// are where they were written in dst, their bounds noted in the slots
// from base on; a large map also has them in a set.
type mapKeys struct {
	base int
	set  map[string]struct{}
}

func (k *mapKeys) seen(st *state, dst, key []byte) bool {
	bounds := st.spare.slots[k.base:]
	if k.set == nil && len(bounds)/2 < fewKeys {
		for i := 0; i < len(bounds); i += 2 {
			if string(dst[bounds[i]:bounds[i+1]]) == string(key) {
				return true
			}
		}
		return false
	}
	if k.set == nil {
		k.set = make(map[string]struct{}, 2*fewKeys)
		for i := 0; i < len(bounds); i += 2 {
			k.set[string(dst[bounds[i]:bounds[i+1]])] = struct{}{}
		}
	}
	if _, ok := k.set[string(key)]; ok {
		return true
	}
	k.set[string(key)] = struct{}{}
	return false
}
