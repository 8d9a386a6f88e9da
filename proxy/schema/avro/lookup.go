package avro

// manyNames is from how many names on a map finds one faster than
// comparing them in turn.
const manyNames = 8

// nameIndex finds a record field by name or alias, an enum symbol or a
// union branch by the text of a JSON string, without allocating.
type nameIndex struct {
	names     []string
	positions []int
	byName    map[string]int
}

// newNameIndex indexes names, each standing for the position at the same
// index in positions. The first of two equal names wins.
func newNameIndex(names []string, positions []int) nameIndex {
	index := nameIndex{names: names, positions: positions}
	if len(names) > manyNames {
		index.byName = make(map[string]int, len(names))
		for i := len(names) - 1; i >= 0; i-- {
			index.byName[names[i]] = positions[i]
		}
	}
	return index
}

// identity is positions 0..n-1, for names that stand for their own index.
func identity(n int) []int {
	positions := make([]int, n)
	for i := range positions {
		positions[i] = i
	}
	return positions
}

// find returns the position name stands for, or -1.
func (index *nameIndex) find(name []byte) int {
	if index.byName != nil {
		if position, ok := index.byName[string(name)]; ok {
			return position
		}
		return -1
	}
	for i, candidate := range index.names {
		if candidate == string(name) {
			return index.positions[i]
		}
	}
	return -1
}
