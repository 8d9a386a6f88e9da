package avro

// memoSize is from what size on a skipped container's end is remembered.
const memoSize = 128

// skipValue moves the read position past the JSON value there, checking
// its grammar; record members that come before their turn are skipped and
// encoded later from where they start.
func (st *state) skipValue() error {
	switch c := st.peek(); {
	case c == '"':
		_, _, err := st.stringToken()
		return err
	case c == '{':
		return st.skipContainer('}')
	case c == '[':
		return st.skipContainer(']')
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := st.numberToken()
		return err
	case st.literal("true") || st.literal("false") || st.literal("null"):
		return nil
	}
	return st.malformed(st.pos)
}

// skipContainer skips an object or an array. Where large ones end is
// remembered for the rest of the call: in data for a recursive type whose
// members come out of order at every level, each level would otherwise
// skip everything below it again, quadratic in the depth.
func (st *state) skipContainer(close byte) error {
	start := st.pos
	if st.spare != nil {
		if end, ok := st.spare.ends[start]; ok {
			st.pos = end
			return nil
		}
	}
	if err := st.skipMembers(close); err != nil {
		return err
	}
	if st.pos-start >= memoSize {
		sp := st.scratch()
		if sp.ends == nil {
			sp.ends = make(map[int]int)
		}
		sp.ends[start] = st.pos
	}
	return nil
}

func (st *state) skipMembers(close byte) error {
	if err := st.enter(); err != nil {
		return err
	}
	defer st.leave()
	if st.open(close) {
		return nil
	}
	for {
		if close == '}' {
			if _, _, err := st.memberName(); err != nil {
				return err
			}
		}
		if err := st.skipValue(); err != nil {
			return err
		}
		more, err := st.more(close)
		if err != nil || !more {
			return err
		}
	}
}
