package avro

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

func (st *state) skipContainer(close byte) error {
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
