package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

type vkind uint8

const (
	vMissing vkind = iota
	vNull
	vTrue
	vFalse
	vNumber
	vString
	vArray
	vObject
)

// value is one node of a parsed event. Everything a matcher needs is
// worked out once here, so matching an event against many rules never
// re-parses numbers or addresses.
type value struct {
	kind  vkind
	numOK bool // vNumber within the comparable domain; n is valid
	hasIP bool // vString that spells an IP address; ip is valid
	s     string
	n     int64
	ip    netip.Addr
	elems []value // vArray, with nested arrays flattened into it
	keys  []string
	vals  []value
	index map[string]int // large objects only
}

var missing = value{kind: vMissing}

// Linear search beats hashing for the handful of keys an event object
// usually has.
const indexAbove = 12

func (v *value) get(key string) *value {
	if v.index != nil {
		if i, ok := v.index[key]; ok {
			return &v.vals[i]
		}
		return &missing
	}
	for i := range v.keys {
		if v.keys[i] == key {
			return &v.vals[i]
		}
	}
	return &missing
}

func (v *value) scalar() bool { return v.kind >= vNull && v.kind <= vString }

// Event is a parsed event. It is immutable after ParseEvent and may be
// matched against any number of patterns, concurrently.
type Event struct {
	root value
}

// ParseEvent parses an event document, which must be a JSON object.
func ParseEvent(b []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("event is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("event is not valid JSON: unexpected data after the top-level object")
	}
	obj, ok := x.(map[string]any)
	if !ok {
		return nil, errors.New("event must be a JSON object")
	}
	e := &Event{}
	convertObject(&e.root, obj)
	return e, nil
}

func convertObject(dst *value, obj map[string]any) {
	dst.kind = vObject
	dst.keys = make([]string, 0, len(obj))
	dst.vals = make([]value, len(obj))
	i := 0
	for k, x := range obj {
		dst.keys = append(dst.keys, k)
		convert(&dst.vals[i], x)
		i++
	}
	if len(obj) > indexAbove {
		dst.index = make(map[string]int, len(obj))
		for i, k := range dst.keys {
			dst.index[k] = i
		}
	}
}

func convert(dst *value, x any) {
	switch t := x.(type) {
	case nil:
		dst.kind = vNull
	case bool:
		dst.kind = vFalse
		if t {
			dst.kind = vTrue
		}
	case json.Number:
		dst.kind = vNumber
		dst.s = string(t)
		dst.n, dst.numOK = comparableOK(dst.s)
	case string:
		dst.kind = vString
		dst.s = t
		dst.ip, dst.hasIP = parseIP(t)
	case map[string]any:
		convertObject(dst, t)
	case []any:
		dst.kind = vArray
		dst.elems = flatten(make([]value, 0, len(t)), t)
	}
}

// flatten crushes nested arrays into one list, as event-ruler does: an
// element of an inner array is as much an element of the field as any.
func flatten(dst []value, xs []any) []value {
	for _, x := range xs {
		if inner, ok := x.([]any); ok {
			dst = flatten(dst, inner)
			continue
		}
		dst = append(dst, value{})
		convert(&dst[len(dst)-1], x)
	}
	return dst
}

// eval matches an object pattern against an event value. m is the match;
// pos says whether the match used at least one positive condition (not
// just exists:false), which decides how a pattern meets an event array.
func (n *node) eval(v *value) (m, pos bool) {
	switch v.kind {
	case vObject:
		return n.evalObject(v)
	case vArray:
		// Positive conditions must all hold on one element.
		for i := range v.elems {
			if _, p := n.eval(&v.elems[i]); p {
				return true, true
			}
		}
		// With only exists:false left, no element may have the field.
		if n.emptyOK && n.evalAll(arrayRefs(v)) {
			return true, false
		}
		return false, false
	}
	return n.emptyOK, false
}

func (n *node) evalObject(v *value) (m, pos bool) {
	for i := range n.fields {
		f := &n.fields[i]
		fv := v.get(f.key)
		if f.leaf != nil && f.child != nil && fv.kind == vArray {
			fm, fp := f.evalMixed(fv)
			if !fm {
				return false, false
			}
			pos = pos || fp
			continue
		}
		if f.leaf != nil {
			lm, lp := f.leaf.eval(fv)
			if !lm {
				return false, false
			}
			pos = pos || lp
		}
		if f.child != nil {
			cm, cp := f.child.eval(fv)
			if !cm {
				return false, false
			}
			pos = pos || cp
		}
	}
	for _, g := range n.ors {
		gm, gp := false, false
		for _, b := range g {
			if bm, bp := b.eval(v); bm {
				gm = true
				if bp {
					gp = true
					break
				}
			}
		}
		if !gm {
			return false, false
		}
		pos = pos || gp
	}
	return true, pos
}

// evalMixed handles a key that is both a leaf and an object in the pattern
// (a repeated key, or one brought in from $or) meeting an array: a scalar
// element and an object element are different elements, so the two sides
// can never both be satisfied positively, but either side's exists:false
// holds trivially on the element the other side picked.
func (f *field) evalMixed(arr *value) (m, pos bool) {
	_, leafPos := f.leaf.eval(arr)
	if leafPos && f.child.emptyOK {
		return true, true
	}
	_, childPos := f.child.eval(arr)
	if childPos && f.leaf.absentOK {
		return true, true
	}
	if f.leaf.absentOK && !hasLeaf(arr) && f.child.evalAll(arrayRefs(arr)) {
		return true, false
	}
	return false, false
}

func arrayRefs(v *value) []*value {
	out := make([]*value, len(v.elems))
	for i := range v.elems {
		out[i] = &v.elems[i]
	}
	return out
}

// evalAll checks a pattern's exists:false conditions against all of vals
// at once: each must hold in every one of them. Positive conditions are
// false here by definition.
func (n *node) evalAll(vals []*value) bool {
	if !n.emptyOK {
		return false
	}
	for i := range n.fields {
		f := &n.fields[i]
		var sub []*value
		for _, v := range vals {
			if v.kind != vObject {
				continue
			}
			fv := v.get(f.key)
			if f.leaf != nil && hasLeaf(fv) {
				return false
			}
			if f.child != nil {
				switch fv.kind {
				case vArray:
					sub = append(sub, arrayRefs(fv)...)
				case vMissing:
				default:
					sub = append(sub, fv)
				}
			}
		}
		if f.child != nil && !f.child.evalAll(sub) {
			return false
		}
	}
	for _, g := range n.ors {
		ok := false
		for _, b := range g {
			if b.evalAll(vals) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func hasLeaf(v *value) bool {
	switch v.kind {
	case vMissing, vObject:
		return false
	case vArray:
		for i := range v.elems {
			if v.elems[i].scalar() {
				return true
			}
		}
		return false
	}
	return true
}

func (l *leaf) eval(v *value) (m, pos bool) {
	switch v.kind {
	case vMissing, vObject:
		return l.absentOK, false
	case vArray:
		seen := false
		for i := range v.elems {
			e := &v.elems[i]
			if !e.scalar() {
				continue
			}
			seen = true
			if l.matchScalar(e) {
				return true, true
			}
		}
		return !seen && l.absentOK, false
	}
	if l.matchScalar(v) {
		return true, true
	}
	return false, false
}

func (l *leaf) matchScalar(v *value) bool {
	for i := range l.ms {
		if l.ms[i].match(v) {
			return true
		}
	}
	return false
}

func (m *matcher) match(v *value) bool {
	switch m.kind {
	case mString:
		return v.kind == vString && (v.s == m.s || m.hasIP && v.hasIP && v.ip == m.ip)
	case mNumber:
		return v.kind == vNumber && (v.s == m.s || m.numOK && v.numOK && v.n == m.n)
	case mLiteral:
		return v.kind == m.lit
	case mExists:
		return true
	case mPrefix:
		return v.kind == vString && strings.HasPrefix(v.s, m.s)
	case mSuffix:
		return v.kind == vString && strings.HasSuffix(v.s, m.s)
	case mFoldEq:
		return v.kind == vString && m.fold.equal(v.s)
	case mFoldPrefix:
		return v.kind == vString && m.fold.hasPrefix(v.s)
	case mFoldSuffix:
		return v.kind == vString && m.fold.hasSuffix(v.s)
	case mWildcard:
		return v.kind == vString && m.wild.match(v.s)
	case mRange:
		if v.kind != vNumber || !v.numOK {
			return false
		}
		if v.n < m.lo || v.n == m.lo && m.loOpen {
			return false
		}
		return v.n < m.hi || v.n == m.hi && !m.hiOpen
	case mCIDR:
		return v.kind == vString && v.hasIP && m.cidr.Contains(v.ip)
	// anything-but excludes only values of its own kind: a number is never
	// one of the excluded strings, and so on; any other leaf value passes.
	case mNotStrings:
		if v.kind != vString {
			return true
		}
		if m.strm != nil {
			_, hit := m.strm[v.s]
			return !hit
		}
		for _, s := range m.strs {
			if v.s == s {
				return false
			}
		}
		return true
	case mNotNumbers:
		if v.kind != vNumber || !v.numOK {
			return true
		}
		for _, x := range m.nums {
			if v.n == x {
				return false
			}
		}
		return true
	case mNotPrefix:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if strings.HasPrefix(v.s, s) {
				return false
			}
		}
		return true
	case mNotSuffix:
		if v.kind != vString {
			return true
		}
		for _, s := range m.strs {
			if strings.HasSuffix(v.s, s) {
				return false
			}
		}
		return true
	case mNotFold:
		if v.kind != vString {
			return true
		}
		for _, f := range m.folds {
			if f.equal(v.s) {
				return false
			}
		}
		return true
	case mNotWildcard:
		if v.kind != vString {
			return true
		}
		for _, w := range m.wilds {
			if w.match(v.s) {
				return false
			}
		}
		return true
	}
	return false
}
