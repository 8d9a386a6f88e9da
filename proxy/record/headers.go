package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"encoding/base64"
	"fmt"
)

const headerFields = `"name", "value"`

// headers reads the headers field: an array of header objects, or null.
func (p *parser) headers() ([]Header, *apierror.Error) {
	if null, err := p.isNull(); null || err != nil {
		return nil, err
	}
	if p.peek() != '[' {
		v, err := p.value(1)
		if err != nil {
			return nil, err
		}
		return nil, invalid("headers", "an array of header objects or null", v)
	}
	p.i++
	if p.peek() == ']' {
		p.i++
		return nil, nil
	}
	var headers []Header
	for n := 0; ; n++ {
		h, err := p.header(n)
		if err != nil {
			return nil, err
		}
		headers = append(headers, h)
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return headers, nil
		default:
			return nil, p.unexpected("after array element")
		}
	}
}

// header reads the n-th header object: {"name": string, "value": base64 or null}.
func (p *parser) header(n int) (Header, *apierror.Error) {
	var h Header
	if p.peek() != '{' {
		v, err := p.value(2)
		if err != nil {
			return h, err
		}
		return h, invalid(headerPath(n, ""), "a header object", v)
	}
	const fieldName, fieldValue = 1, 2
	seen := 0
	err := p.members(func(key []byte) *apierror.Error {
		var bit int
		var err *apierror.Error
		switch string(key) {
		case "name":
			bit = fieldName
			h.Name, err = p.headerName(n)
		case "value":
			bit = fieldValue
			h.Value, err = p.headerValue(n)
		default:
			return unrecognized(key, fmt.Sprintf("%q", headerPath(n, "")), headerFields)
		}
		if seen&bit != 0 {
			return duplicate(key, fmt.Sprintf("%q", headerPath(n, "")))
		}
		seen |= bit
		return err
	})
	if err != nil {
		return h, err
	}
	if seen&fieldName == 0 {
		return h, missing(headerPath(n, ".name"))
	}
	return h, nil
}

// headerPath names a field of the n-th header in messages, like headers[0].name.
func headerPath(n int, field string) string { return fmt.Sprintf("headers[%d]%s", n, field) }

// headerName reads a header name: a string (null is no name at all).
func (p *parser) headerName(n int) (string, *apierror.Error) {
	if p.peek() != '"' {
		v, err := p.value(2)
		if err != nil {
			return "", err
		}
		return "", invalid(headerPath(n, ".name"), "a string", v)
	}
	tok, escaped, err := p.str()
	if err != nil {
		return "", err
	}
	return string(stringValue(tok, escaped)), nil
}

// headerValue reads a header value: padded standard base64, or null.
func (p *parser) headerValue(n int) ([]byte, *apierror.Error) {
	const expected = "a padded standard base64 string or null"
	if null, err := p.isNull(); null || err != nil {
		return nil, err
	}
	if p.peek() != '"' {
		v, err := p.value(2)
		if err != nil {
			return nil, err
		}
		return nil, invalid(headerPath(n, ".value"), expected, v)
	}
	tok, escaped, err := p.str()
	if err != nil {
		return nil, err
	}
	b, ok := p.decodeBase64(stringValue(tok, escaped), true)
	if !ok {
		return nil, invalid(headerPath(n, ".value"), expected, tok)
	}
	return b, nil
}

// decodeBase64 decodes standard-alphabet base64 into the arena. With
// paddingRequired false, padding may be left out, but when present it must be
// complete ("YQ" and "YQ==" are fine, "YQ=" is not). Line breaks, which Go's
// decoder would skip, are rejected: they are not part of the alphabet.
func (p *parser) decodeBase64(s []byte, paddingRequired bool) ([]byte, bool) {
	if bytes.IndexByte(s, '\r') >= 0 || bytes.IndexByte(s, '\n') >= 0 {
		return nil, false
	}
	enc := base64.StdEncoding
	if !paddingRequired && len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	dst := p.reserve(enc.DecodedLen(len(s)))
	n, err := enc.Decode(dst[:cap(dst)], s)
	if err != nil {
		return nil, false
	}
	return p.keep(dst[:n]), true
}
