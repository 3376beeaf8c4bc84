// Package pattern implements the Amazon EventBridge event-pattern language:
// exact values, prefix, suffix, equals-ignore-case, wildcard, anything-but
// (with its prefix, suffix, equals-ignore-case and wildcard forms), numeric,
// cidr, exists and $or. aws/event-ruler, the library EventBridge matches
// with, is the reference wherever the EventBridge documentation is silent.
//
// The decisions below are the ones where a reader could reasonably expect
// something else; each follows event-ruler unless it says otherwise.
//
// Numbers. A JSON number is "comparable" when it lies in [-5e9, 5e9] and has
// at most six digits after the decimal point once trailing zeros are
// dropped; it is then held exactly as an integer count of millionths.
// Exact matching compares comparable numbers by value, so the pattern [5]
// matches 5, 5.0, 5e0 and 500e-2, and falls back to comparing the JSON text
// for everything else, so [123456789012] (an account number) matches only
// 123456789012. numeric ranges and numeric anything-but only ever see
// comparable event values: 1.0000001 or 6e9 match no range. A pattern
// operand of numeric or numeric anything-but that is not comparable is an
// error. Strings never match numbers: ["5"] does not match 5.
//
// exists. exists:true matches a field that has at least one leaf value, and
// null is a leaf value. exists:false matches a missing field, a field whose
// value is an object (exists only looks at leaves) and an empty array; it
// does not match null. A leaf pattern matches an event array when any
// element matches.
//
// Arrays of objects. A nested pattern matched against an array of objects
// must be satisfied by one element as a whole (event-ruler's "array
// consistency"), so {"a":{"x":[1],"y":[2]}} does not match
// {"a":[{"x":1},{"y":2}]}; nested arrays count as one flat array.
// exists:false alone says nothing about which element is meant, so it
// holds only when no element has the field; alongside positive conditions
// it is checked on the element those select (event-ruler's answer there
// can depend on the order in which it visits the keys; this one cannot).
// Where an $or branch uses a key its parent also uses, the parent's
// condition is merged into every branch, so each way through the $or is
// held to one element just as event-ruler's expansion of $or into
// separate rules would be. oracle_test.go checks all of this against a
// brute-force statement of those rules.
//
// Case folding. equals-ignore-case and its prefix, suffix and anything-but
// forms accept, for each character of the operand, its Java lower-case or
// upper-case mapping (Locale.ROOT, full mappings): "ß" matches "ß" and "SS"
// but not "ss"; "Straße" matches "STRASSE". Unlike event-ruler the
// character itself is also accepted (it matters for titlecase letters such
// as "ǅ") and characters outside the BMP are mapped rather than garbled.
//
// IP addresses. A plain string operand that is an IP address matches the
// same address in any spelling ("::1" matches "0:0:0:0:0:0:0:1"). cidr
// takes the network of the given address, so "10.0.0.7/24" covers
// 10.0.0.0-10.0.0.255, and rejects /32 and /128 as event-ruler does; a
// single address is written as a plain string.
//
// Strictness beyond event-ruler: a path given twice (also across $or
// branches, as event-ruler does in its strict mode) and empty operand lists
// are errors.
package pattern

import (
	"fmt"
)

// Error is an invalid pattern. Message is meant for the API caller.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) *Error {
	return &Error{Message: "Event pattern is not valid. Reason: " + fmt.Sprintf(format, args...)}
}

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	root *node
}

// Compile parses and validates a pattern. Every failure is an *Error.
func Compile(src []byte) (*Pattern, error) {
	doc, err := parseJSON(src)
	if err != nil {
		return nil, err
	}
	root, err := compileRoot(src, doc)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

// Match reports whether the event matches the pattern.
func (p *Pattern) Match(e *Event) bool {
	if p == nil || e == nil {
		return false
	}
	m, _ := p.root.eval(&e.root)
	return m
}

// MatchJSON parses the event and matches it.
func (p *Pattern) MatchJSON(b []byte) (bool, error) {
	e, err := ParseEvent(b)
	if err != nil {
		return false, err
	}
	return p.Match(e), nil
}
