package pattern

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// The oracle states the matching rules the slow, obvious way, the way
// event-ruler's documentation describes them: expand $or into separate
// rules, flatten the event into (path, value, array positions) fields, and
// search for one field per positive condition such that no two come from
// different elements of the same array; exists:false then must find no
// field at its path that fits the elements chosen. The real matcher never
// expands or flattens, so agreement checks its array handling and its
// merging of $or branches.

type oracleAtom struct {
	path string
	l    *leaf
}

type oracleField struct {
	v   *value
	pos map[int]int // array id -> element index
}

const oracleMaxRules = 256

func oracleRules(c *compiler, v *jv, path []string) ([][]oracleAtom, bool) {
	rules := [][]oracleAtom{{}}
	product := func(alts [][]oracleAtom) bool {
		var out [][]oracleAtom
		for _, r := range rules {
			for _, a := range alts {
				n := append(append([]oracleAtom{}, r...), a...)
				out = append(out, n)
			}
		}
		rules = out
		return len(rules) <= oracleMaxRules
	}
	for i, key := range v.keys {
		val := v.vals[i]
		var alts [][]oracleAtom
		switch {
		case key == opOr:
			for _, b := range val.vals {
				bs, ok := oracleRules(c, b, path)
				if !ok {
					return nil, false
				}
				alts = append(alts, bs...)
			}
		case val.kind == jObject:
			sub, ok := oracleRules(c, val, append(path[:len(path):len(path)], key))
			if !ok {
				return nil, false
			}
			alts = sub
		default:
			l, err := c.leaf(val)
			if err != nil {
				return nil, false
			}
			p := strings.Join(append(path[:len(path):len(path)], key), "\x00")
			alts = [][]oracleAtom{{{path: p, l: l}}}
		}
		if !product(alts) {
			return nil, false
		}
	}
	return rules, true
}

func oracleFields(x any, path []string, pos map[int]int, ids *int, out map[string][]oracleField) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			oracleFields(v, append(path[:len(path):len(path)], k), pos, ids, out)
		}
	case []any:
		*ids++
		id := *ids
		for i, el := range t {
			p := map[int]int{id: i}
			for k, v := range pos {
				p[k] = v
			}
			oracleFields(el, path, p, ids, out)
		}
	default:
		v := &value{}
		convert(v, x)
		key := strings.Join(path, "\x00")
		out[key] = append(out[key], oracleField{v: v, pos: pos})
	}
}

func fits(pos, chosen map[int]int) bool {
	for id, i := range pos {
		if j, ok := chosen[id]; ok && j != i {
			return false
		}
	}
	return true
}

func oracleMatch(rules [][]oracleAtom, fields map[string][]oracleField) bool {
	for _, r := range rules {
		if oracleRule(r, 0, map[int]int{}, nil, fields) {
			return true
		}
	}
	return false
}

// oracleRule decides atom i onwards: each atom is satisfied either by a
// field (positive) or, if it allows exists:false, by being absent, which is
// checked once every positive choice is made.
func oracleRule(r []oracleAtom, i int, chosen map[int]int, absent []string, fields map[string][]oracleField) bool {
	if i == len(r) {
		for _, p := range absent {
			for _, f := range fields[p] {
				if fits(f.pos, chosen) {
					return false
				}
			}
		}
		return true
	}
	a := r[i]
	for _, f := range fields[a.path] {
		if !fits(f.pos, chosen) || !a.l.matchScalar(f.v) {
			continue
		}
		next := map[int]int{}
		for k, v := range chosen {
			next[k] = v
		}
		for k, v := range f.pos {
			next[k] = v
		}
		if oracleRule(r, i+1, next, absent, fields) {
			return true
		}
	}
	if a.l.absentOK {
		return oracleRule(r, i+1, chosen, append(absent[:len(absent):len(absent)], a.path), fields)
	}
	return false
}

// oracle reports the oracle's answer, or ok=false when the inputs are
// invalid or too big for brute force.
func oracle(pattern, event string) (match, ok bool) {
	doc, err := parseJSON([]byte(pattern))
	if err != nil || doc.kind != jObject {
		return false, false
	}
	c := &compiler{}
	rules, ok := oracleRules(c, doc, nil)
	if !ok {
		return false, false
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(event)))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil {
		return false, false
	}
	if _, isObj := x.(map[string]any); !isObj {
		return false, false
	}
	fields := map[string][]oracleField{}
	ids := 0
	oracleFields(x, nil, nil, &ids, fields)
	total := 0
	for _, fs := range fields {
		total += len(fs)
	}
	if total > 200 {
		return false, false
	}
	return oracleMatch(rules, fields), true
}

func TestOracleAgreesWithConformance(t *testing.T) {
	for _, tc := range conformance {
		want, ok := oracle(tc.pattern, tc.event)
		if !ok {
			t.Fatalf("%s: oracle cannot evaluate it", tc.name)
		}
		if want != tc.want {
			t.Errorf("%s: the oracle says %v, the table %v", tc.name, want, tc.want)
		}
	}
}

func FuzzOracle(f *testing.F) {
	for _, tc := range conformance {
		f.Add(tc.pattern, tc.event)
	}
	f.Add(`{"a":{"b":[1],"$or":[{"c":[{"exists":false}]},{"a":{"d":[2]}}]}}`, `{"a":[{"b":1,"a":[{"d":2},{"d":3}]},{"c":1}]}`)
	f.Add(`{"k":{"x":[1]},"$or":[{"k":{"y":[{"exists":false}]}},{"k":{"$or":[{"z":[3]},{"y":[4]}]}}]}`, `{"k":[{"x":1,"y":4},{"y":2}]}`)
	f.Fuzz(func(t *testing.T, pat, ev string) {
		p, err := Compile([]byte(pat))
		if err != nil {
			return
		}
		want, ok := oracle(pat, ev)
		if !ok {
			return
		}
		got, err := p.MatchJSON([]byte(ev))
		if err != nil {
			return
		}
		if got != want {
			t.Fatalf("pattern %s\nevent %s\nMatch = %v, oracle = %v", pat, ev, got, want)
		}
	})
}

// Random small patterns and events built to hit arrays of objects, $or
// and exists:false together, which byte-level fuzzing rarely assembles.
func TestOracleRandom(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		oracleRandom(t, rand.New(rand.NewPCG(seed, 2)), 10000)
	}
}

func oracleRandom(t *testing.T, r *rand.Rand, cases int) {
	keys := []string{"a", "b", "c"}
	leaves := []string{`["1"]`, `[1]`, `[{"exists":false}]`, `[{"exists":true}]`, `[{"anything-but":"1"}]`,
		`["1",{"exists":false}]`, `[{"prefix":"1"}]`, `[null]`, `[{"numeric":[">",1]}]`}
	var pat func(depth int) string
	pat = func(depth int) string {
		var parts []string
		used := map[string]bool{}
		for n := 1 + r.IntN(3); n > 0; n-- {
			k := keys[r.IntN(len(keys))]
			switch x := r.IntN(10); {
			case x < 2 && depth > 0 && !used["$or"]:
				used["$or"] = true
				var bs []string
				for b := 2 + r.IntN(2); b > 0; b-- {
					bs = append(bs, pat(depth-1))
				}
				parts = append(parts, `"$or":[`+strings.Join(bs, ",")+`]`)
			case x < 5 && depth > 0:
				parts = append(parts, `"`+k+`":`+pat(depth-1))
			default:
				if used[k] {
					continue
				}
				used[k] = true
				parts = append(parts, `"`+k+`":`+leaves[r.IntN(len(leaves))])
			}
		}
		if len(parts) == 0 {
			parts = append(parts, `"c":["1"]`)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	scalars := []string{`"1"`, `"2"`, `1`, `2`, `null`, `1.0`}
	var val func(depth int) string
	var obj func(depth int) string
	val = func(depth int) string {
		switch x := r.IntN(10); {
		case x < 3 || depth == 0:
			return scalars[r.IntN(len(scalars))]
		case x < 6:
			return obj(depth - 1)
		default:
			var els []string
			for n := r.IntN(4); n > 0; n-- {
				els = append(els, val(depth-1))
			}
			return "[" + strings.Join(els, ",") + "]"
		}
	}
	obj = func(depth int) string {
		var parts []string
		for _, k := range keys {
			if r.IntN(3) > 0 || depth < 0 {
				continue
			}
			parts = append(parts, `"`+k+`":`+val(depth))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	checked := 0
	for i := 0; i < cases; i++ {
		p, e := pat(3), obj(4)
		cp, err := Compile([]byte(p))
		if err != nil {
			continue
		}
		want, ok := oracle(p, e)
		if !ok {
			continue
		}
		got, err := cp.MatchJSON([]byte(e))
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if got != want {
			t.Fatalf("pattern %s\nevent %s\nMatch = %v, oracle = %v", p, e, got, want)
		}
	}
	if checked < cases/3 {
		t.Fatalf("only %d random cases were checked", checked)
	}
}
