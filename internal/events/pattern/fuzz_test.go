package pattern

import (
	"errors"
	"testing"
)

var fuzzEvents = []string{
	ruleEvent,
	pcaEvent,
	`{"a":[{"b":1,"c":[null,true,"x",{"d":"2001:db8::1"}]},[[5.0e0]],{}],"detail":{"s":"Straße","n":-0.000001}}`,
	`{"":{"":[""]},"$or":[1,2]}`,
}

func FuzzCompile(f *testing.F) {
	for _, tc := range conformance {
		f.Add([]byte(tc.pattern))
	}
	for _, tc := range invalid {
		f.Add([]byte(tc.pattern))
	}
	var events []*Event
	for _, s := range fuzzEvents {
		e, err := ParseEvent([]byte(s))
		if err != nil {
			f.Fatal(err)
		}
		events = append(events, e)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("Compile(%q) returned %T %v, want a non-empty *Error", src, err, err)
			}
			return
		}
		for _, e := range events {
			first := p.Match(e)
			if p.Match(e) != first {
				t.Fatalf("Match is not deterministic for %q", src)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, tc := range conformance {
		f.Add(tc.pattern, tc.event)
	}
	f.Fuzz(func(t *testing.T, pat, ev string) {
		p, err := Compile([]byte(pat))
		if err != nil {
			return
		}
		e, err := ParseEvent([]byte(ev))
		if err != nil {
			return
		}
		got := p.Match(e)
		again, err := p.MatchJSON([]byte(ev))
		if err != nil || again != got {
			t.Fatalf("Match=%v, MatchJSON=%v, %v", got, again, err)
		}
		// $or laws exercise the branch merging: a pattern or'ed with
		// itself, or with a branch that cannot match, means the same.
		for _, wrapped := range []string{
			`{"$or":[` + pat + `,` + pat + `]}`,
			`{"$or":[` + pat + `,{"fuzz-absent-key":["never"]}]}`,
		} {
			w, err := Compile([]byte(wrapped))
			if err != nil {
				continue // e.g. a field name reserved inside $or
			}
			if e.root.get("fuzz-absent-key").kind != vMissing {
				continue
			}
			if w.Match(e) != got {
				t.Fatalf("%s gives %v but the pattern alone gives %v", wrapped, !got, got)
			}
		}
	})
}
