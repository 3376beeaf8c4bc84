package pattern

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fold matches a string against an equals-ignore-case operand the way
// event-ruler does: each operand character stands for its lower-case or
// upper-case mapping, and those may differ in length ("ß" or "SS"), so a
// match is a path through the event string rather than a byte compare.
type fold struct {
	ascii        bool
	lower, upper string // ASCII operands: one byte per character each
	units        [][]string
}

func newFold(s string) *fold {
	f := &fold{ascii: true}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			f.ascii = false
			break
		}
	}
	if f.ascii {
		lo, up := []byte(s), []byte(s)
		for i := range lo {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				lo[i] = c + 'a' - 'A'
			}
			if c >= 'a' && c <= 'z' {
				up[i] = c - 'a' + 'A'
			}
		}
		f.lower, f.upper = string(lo), string(up)
		return f
	}
	for _, r := range s {
		alts := []string{string(r)}
		var lo, up string
		if m, ok := javaCase[r]; ok {
			lo, up = m[0], m[1]
		} else {
			lo, up = string(unicode.ToLower(r)), string(unicode.ToUpper(r))
		}
		for _, a := range []string{lo, up} {
			if a != alts[0] && (len(alts) < 2 || a != alts[1]) {
				alts = append(alts, a)
			}
		}
		f.units = append(f.units, alts)
	}
	return f
}

func asciiFoldEq(s, lower, upper string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != lower[i] && c != upper[i] {
			return false
		}
	}
	return true
}

func (f *fold) equal(s string) bool {
	if f.ascii {
		return len(s) == len(f.lower) && asciiFoldEq(s, f.lower, f.upper)
	}
	for _, end := range f.forward(s) {
		if end == len(s) {
			return true
		}
	}
	return false
}

func (f *fold) hasPrefix(s string) bool {
	if f.ascii {
		return len(s) >= len(f.lower) && asciiFoldEq(s[:len(f.lower)], f.lower, f.upper)
	}
	return len(f.forward(s)) > 0
}

func (f *fold) hasSuffix(s string) bool {
	if f.ascii {
		n := len(f.lower)
		return len(s) >= n && asciiFoldEq(s[len(s)-n:], f.lower, f.upper)
	}
	// Walk the operand backwards from the end of s.
	var buf [4]int
	pos := append(buf[:0], len(s))
	for u := len(f.units) - 1; u >= 0 && len(pos) > 0; u-- {
		var nbuf [4]int
		next := nbuf[:0]
		for _, p := range pos {
			for _, a := range f.units[u] {
				if strings.HasSuffix(s[:p], a) {
					next = addPos(next, p-len(a))
				}
			}
		}
		pos = next
	}
	return len(pos) > 0
}

// forward returns every offset of s at which a case variant of the whole
// operand, read from the start of s, can end.
func (f *fold) forward(s string) []int {
	var buf [4]int
	pos := append(buf[:0], 0)
	for _, alts := range f.units {
		var nbuf [4]int
		next := nbuf[:0]
		for _, p := range pos {
			for _, a := range alts {
				if strings.HasPrefix(s[p:], a) {
					next = addPos(next, p+len(a))
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		pos = next
	}
	return pos
}

func addPos(ps []int, p int) []int {
	for _, q := range ps {
		if q == p {
			return ps
		}
	}
	return append(ps, p)
}
