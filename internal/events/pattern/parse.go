package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

type jkind uint8

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

// jv is a pattern document as written: unlike map[string]any it keeps key
// order and repeated keys, and remembers where each value starts so errors
// can point at it.
type jv struct {
	kind jkind
	str  string // string value, or the number exactly as written
	b    bool
	keys []string
	vals []*jv // object values (parallel to keys) or array elements
	off  int   // byte offset of the value in the source
}

// parseJSON reads one JSON value with nothing but white space after it.
func parseJSON(src []byte) (*jv, error) {
	p := &jsonReader{src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	p.dec.UseNumber()
	v, err := p.value()
	if err != nil {
		return nil, p.syntax(err)
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the pattern object")
		}
		return nil, p.syntax(err)
	}
	return v, nil
}

type jsonReader struct {
	src []byte
	dec *json.Decoder
}

func (p *jsonReader) syntax(err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(p.src, int(se.Offset))
		return errorf("invalid JSON: %s at line %d, column %d", se.Error(), line, col)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf("invalid JSON: unexpected end of input")
	}
	return errorf("invalid JSON: %s", err.Error())
}

// start finds where the next token begins; the decoder only reports where
// the previous one ended.
func (p *jsonReader) start() int {
	i := int(p.dec.InputOffset())
	for i < len(p.src) {
		switch p.src[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	return i
}

func (p *jsonReader) value() (*jv, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	return p.fromToken(tok, off)
}

func (p *jsonReader) fromToken(tok json.Token, off int) (*jv, error) {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jv{kind: jObject, off: off}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				val, err := p.value()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, key)
				v.vals = append(v.vals, val)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		case '[':
			v := &jv{kind: jArray, off: off}
			for p.dec.More() {
				el, err := p.value()
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, el)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
			return v, nil
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	case string:
		return &jv{kind: jString, str: t, off: off}, nil
	case json.Number:
		return &jv{kind: jNumber, str: string(t), off: off}, nil
	case bool:
		return &jv{kind: jBool, b: t, off: off}, nil
	case nil:
		return &jv{kind: jNull, off: off}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func lineCol(src []byte, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line, col = 1, 1
	for _, c := range src[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// text renders a pattern value for an error message.
func (v *jv) text() string {
	switch v.kind {
	case jObject:
		return "{...}"
	case jArray:
		return "[...]"
	case jString:
		b, _ := json.Marshal(v.str)
		return string(b)
	case jNumber:
		return v.str
	case jBool:
		if v.b {
			return "true"
		}
		return "false"
	}
	return "null"
}
