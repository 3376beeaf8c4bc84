package pattern

import (
	"fmt"
	"net/netip"
	"strings"
)

// node is an object pattern: every field must match (AND) and, in each
// $or group, at least one branch must match against the same event value.
type node struct {
	fields []field
	ors    [][]*node
	// emptyOK reports whether an object without any fields matches, that
	// is whether some way through the $or groups consists of exists:false
	// conditions only. Such conditions are the ones that must hold on every
	// element of an event array rather than on one.
	emptyOK bool
}

// field is one key of an object pattern. A key normally has either a leaf
// (a list of matchers) or a child object pattern; both are possible only
// after $or branches were merged into their parent.
type field struct {
	key   string
	leaf  *leaf
	child *node
}

type leaf struct {
	ms       []matcher
	absentOK bool // one of the matchers is exists:false
}

type mkind uint8

const (
	mString mkind = iota
	mNumber
	mLiteral
	mExists
	mAbsent // exists:false; folded into leaf.absentOK, never evaluated
	mPrefix
	mSuffix
	mFoldEq
	mFoldPrefix
	mFoldSuffix
	mWildcard
	mRange
	mCIDR
	mNotStrings
	mNotNumbers
	mNotPrefix
	mNotSuffix
	mNotFold
	mNotWildcard
)

type matcher struct {
	kind  mkind
	s     string // exact string or number text, prefix, suffix
	n     int64  // exact number in millionths, when numOK
	numOK bool
	lit   vkind // mLiteral: vNull, vTrue or vFalse
	ip    netip.Addr
	hasIP bool
	fold  *fold
	wild  *wildcard

	lo, hi         int64 // mRange, millionths
	loOpen, hiOpen bool

	cidr netip.Prefix

	strs  []string // anything-but strings, prefixes or suffixes
	strm  map[string]struct{}
	nums  []int64
	folds []*fold
	wilds []*wildcard
}

const (
	opOr = "$or"
)

// reservedInOr are the names event-ruler refuses as field names inside $or,
// where they would be ambiguous with operators.
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"html": true, "=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true, "date-on-or-before": true,
	"in-date-range": true, "ip-address-in-range": true, "ip-address-not-in-range": true,
}

// maxNodes bounds the growth of merging $or branches into their parents
// (which multiplies out, like event-ruler's own expansion of $or).
const maxNodes = 10000

type compiler struct {
	src   []byte
	nodes int
	orID  int
	leafs []leafDef
}

type orStep struct{ group, branch int }

type leafDef struct {
	path  []string
	trail []orStep
	v     *jv
}

func (c *compiler) fail(v *jv, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if c.src != nil && v != nil {
		line, col := lineCol(c.src, v.off)
		msg += fmt.Sprintf(" at line %d, column %d", line, col)
	}
	return errorf("%s", msg)
}

func compileRoot(src []byte, doc *jv) (*node, error) {
	c := &compiler{src: src}
	return c.root(doc)
}

func (c *compiler) root(doc *jv) (*node, error) {
	if doc.kind != jObject {
		return nil, c.fail(doc, "Filter is not an object")
	}
	n, err := c.object(doc, nil, nil, false)
	if err != nil {
		return nil, err
	}
	if err := c.checkPaths(); err != nil {
		return nil, err
	}
	if n, err = c.normalize(n); err != nil {
		return nil, err
	}
	n.setEmptyOK()
	return n, nil
}

func (c *compiler) object(v *jv, path []string, trail []orStep, inOr bool) (*node, error) {
	if len(v.keys) == 0 {
		return nil, c.fail(v, "Empty objects are not allowed")
	}
	c.nodes++
	n := &node{}
	for i, key := range v.keys {
		val := v.vals[i]
		if key == opOr {
			g, err := c.orGroup(val, path, trail)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, g)
			continue
		}
		if inOr && reservedInOr[key] {
			return nil, c.fail(val, "%s is a reserved word and cannot be used as a field name inside $or", key)
		}
		sub := append(path[:len(path):len(path)], key)
		switch val.kind {
		case jObject:
			child, err := c.object(val, sub, trail, inOr)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: key, child: child})
		case jArray:
			l, err := c.leaf(val)
			if err != nil {
				return nil, err
			}
			c.leafs = append(c.leafs, leafDef{path: sub, trail: trail, v: val})
			n.fields = append(n.fields, field{key: key, leaf: l})
		default:
			return nil, c.fail(val, "%q must be an object or an array", key)
		}
	}
	return n, nil
}

func (c *compiler) orGroup(v *jv, path []string, trail []orStep) ([]*node, error) {
	if v.kind != jArray {
		return nil, c.fail(v, "It must be an Array followed with $or.")
	}
	if len(v.vals) < 2 {
		return nil, c.fail(v, "There must have at least 2 Objects in $or relationship.")
	}
	c.orID++
	id := c.orID
	var g []*node
	for i, b := range v.vals {
		if b.kind != jObject {
			return nil, c.fail(b, "Only JSON object is allowed in array of $or relationship.")
		}
		bt := append(trail[:len(trail):len(trail)], orStep{id, i})
		n, err := c.object(b, path, bt, true)
		if err != nil {
			return nil, err
		}
		g = append(g, n)
	}
	return g, nil
}

// checkPaths rejects a leaf path given twice where both could apply at
// once, i.e. unless they sit in different branches of the same $or. That
// is event-ruler's strict mode; the lenient one silently drops one of them.
func (c *compiler) checkPaths() error {
	byPath := map[string][]int{}
	for i, d := range c.leafs {
		k := strings.Join(d.path, "\x00")
		for _, j := range byPath[k] {
			if !exclusive(c.leafs[j].trail, d.trail) {
				return c.fail(d.v, "Path `%s` cannot be allowed multiple times", strings.Join(d.path, "."))
			}
		}
		byPath[k] = append(byPath[k], i)
	}
	return nil
}

func exclusive(a, b []orStep) bool {
	for _, x := range a {
		for _, y := range b {
			if x.group == y.group && x.branch != y.branch {
				return true
			}
		}
	}
	return false
}

func (c *compiler) leaf(v *jv) (*leaf, error) {
	if len(v.vals) == 0 {
		return nil, c.fail(v, "Empty arrays are not allowed")
	}
	l := &leaf{}
	for _, el := range v.vals {
		var m matcher
		switch el.kind {
		case jString:
			m = matcher{kind: mString, s: el.str}
			m.ip, m.hasIP = parseIP(el.str)
		case jNumber:
			m = matcher{kind: mNumber, s: el.str}
			m.n, m.numOK = comparableOK(el.str)
		case jBool:
			m = matcher{kind: mLiteral, lit: vFalse}
			if el.b {
				m.lit = vTrue
			}
		case jNull:
			m = matcher{kind: mLiteral, lit: vNull}
		case jObject:
			var err error
			if m, err = c.operator(el); err != nil {
				return nil, err
			}
			if m.kind == mAbsent {
				l.absentOK = true
				continue
			}
		default:
			return nil, c.fail(el, "Match value must be String, number, true, false, or null")
		}
		l.ms = append(l.ms, m)
	}
	return l, nil
}

func comparableOK(text string) (int64, bool) {
	n, st := comparable(text)
	return n, st == numOK
}

// single returns the only key of a match expression.
func (c *compiler) single(v *jv, what string) (string, *jv, error) {
	if len(v.keys) == 0 {
		return "", nil, c.fail(v, "%s expression name not found", what)
	}
	if len(v.keys) > 1 {
		return "", nil, c.fail(v.vals[1], "Only one key allowed in match expression")
	}
	return v.keys[0], v.vals[0], nil
}

func (c *compiler) operator(v *jv) (matcher, error) {
	op, arg, err := c.single(v, "Match")
	if err != nil {
		return matcher{}, err
	}
	switch op {
	case "exactly":
		if arg.kind != jString {
			return matcher{}, c.fail(arg, "exactly match pattern must be a string")
		}
		return matcher{kind: mString, s: arg.str}, nil
	case "prefix", "suffix":
		plain, folded := mPrefix, mFoldPrefix
		if op == "suffix" {
			plain, folded = mSuffix, mFoldSuffix
		}
		if arg.kind == jObject {
			inner, s, err := c.single(arg, strings.ToUpper(op[:1])+op[1:])
			if err != nil {
				return matcher{}, err
			}
			if inner != "equals-ignore-case" {
				return matcher{}, c.fail(s, "Unsupported %s pattern: %s", op, inner)
			}
			if s.kind != jString {
				return matcher{}, c.fail(s, "equals-ignore-case match pattern must be a string")
			}
			return matcher{kind: folded, fold: newFold(s.str)}, nil
		}
		if arg.kind != jString {
			return matcher{}, c.fail(arg, "%s match pattern must be a string", op)
		}
		return matcher{kind: plain, s: arg.str}, nil
	case "equals-ignore-case":
		if arg.kind != jString {
			return matcher{}, c.fail(arg, "equals-ignore-case match pattern must be a string")
		}
		return matcher{kind: mFoldEq, fold: newFold(arg.str)}, nil
	case "wildcard":
		if arg.kind != jString {
			return matcher{}, c.fail(arg, "wildcard match pattern must be a string")
		}
		w, msg := parseWildcard(arg.str)
		if w == nil {
			return matcher{}, c.fail(arg, "%s", msg)
		}
		return matcher{kind: mWildcard, wild: w}, nil
	case "numeric":
		return c.numeric(arg)
	case "anything-but":
		return c.anythingBut(arg)
	case "exists":
		if arg.kind != jBool {
			return matcher{}, c.fail(arg, "exists match pattern must be either true or false.")
		}
		if arg.b {
			return matcher{kind: mExists}, nil
		}
		return matcher{kind: mAbsent}, nil
	case "cidr":
		if arg.kind != jString {
			return matcher{}, c.fail(arg, "cidr match pattern must be a string")
		}
		p, msg := parseCIDR(arg.str)
		if msg != "" {
			return matcher{}, c.fail(arg, "%s", msg)
		}
		return matcher{kind: mCIDR, cidr: p}, nil
	}
	return matcher{}, c.fail(v, "Unrecognized match type %s", op)
}

// number converts a numeric operand, which unlike an exact value must be
// comparable.
func (c *compiler) number(v *jv) (int64, error) {
	n, st := comparable(v.str)
	switch st {
	case numTooPrecise:
		return 0, c.fail(v, "Only values upto 6 decimals are supported: %s", v.str)
	case numOutOfRange:
		return 0, c.fail(v, "Value must be between -5.0E9 and 5.0E9, inclusive: %s", v.str)
	case numInvalid:
		return 0, c.fail(v, "Invalid number: %s", v.str)
	}
	return n, nil
}

func (c *compiler) numeric(v *jv) (matcher, error) {
	if v.kind != jArray {
		return matcher{}, c.fail(v, "Value of numeric must be an array.")
	}
	if len(v.vals) == 0 {
		return matcher{}, c.fail(v, "Invalid member in numeric match: ]")
	}
	els := v.vals
	opv := els[0]
	if opv.kind != jString {
		return matcher{}, c.fail(opv, "Invalid member in numeric match: %s", opv.text())
	}
	op := opv.str
	switch op {
	case "=", "<", "<=", ">", ">=":
	default:
		return matcher{}, c.fail(opv, "Unrecognized numeric range operator: %s", op)
	}
	if len(els) < 2 || els[1].kind != jNumber {
		at := opv
		if len(els) >= 2 {
			at = els[1]
		}
		name := op
		if op == "=" {
			name = "equals"
		}
		return matcher{}, c.fail(at, "Value of %s must be numeric", name)
	}
	x, err := c.number(els[1])
	if err != nil {
		return matcher{}, err
	}
	m := matcher{kind: mRange, lo: -fiveBillionMicros, hi: fiveBillionMicros}
	switch op {
	case "=":
		m.lo, m.hi = x, x
		if len(els) > 2 {
			return matcher{}, c.fail(els[2], "Too many elements in numeric expression")
		}
		return m, nil
	case "<", "<=":
		m.hi, m.hiOpen = x, op == "<"
		if len(els) > 2 {
			return matcher{}, c.fail(els[2], "Too many elements in numeric expression")
		}
	case ">", ">=":
		m.lo, m.loOpen = x, op == ">"
		if len(els) > 2 {
			top := els[2]
			if top.kind != jString {
				return matcher{}, c.fail(top, "Bad value in numeric range: %s", top.text())
			}
			if top.str != "<" && top.str != "<=" {
				return matcher{}, c.fail(top, "Bad numeric range operator: %s", top.str)
			}
			if len(els) < 4 || els[3].kind != jNumber {
				return matcher{}, c.fail(top, "Value of %s must be numeric", top.str)
			}
			if len(els) > 4 {
				return matcher{}, c.fail(els[4], "Too many terms in numeric range expression")
			}
			y, err := c.number(els[3])
			if err != nil {
				return matcher{}, err
			}
			m.hi, m.hiOpen = y, top.str == "<"
		}
	}
	// event-ruler builds every range as [bottom, top] with the missing side
	// at ±5e9 and insists bottom < top, which also rejects ["<", -5e9].
	if m.lo >= m.hi {
		return matcher{}, c.fail(v, "Bottom must be less than top")
	}
	return m, nil
}

func (c *compiler) anythingBut(v *jv) (matcher, error) {
	switch v.kind {
	case jString:
		return matcher{kind: mNotStrings, strs: []string{v.str}}, nil
	case jNumber:
		n, err := c.number(v)
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: mNotNumbers, nums: []int64{n}}, nil
	case jArray:
		if len(v.vals) == 0 {
			return matcher{}, c.fail(v, "Empty arrays are not allowed")
		}
		var strs []string
		var nums []int64
		for _, el := range v.vals {
			switch el.kind {
			case jString:
				strs = append(strs, el.str)
			case jNumber:
				n, err := c.number(el)
				if err != nil {
					return matcher{}, err
				}
				nums = append(nums, n)
			default:
				return matcher{}, c.fail(el, "Inside anything-but list, only strings and numbers are allowed")
			}
		}
		if len(strs) > 0 && len(nums) > 0 {
			return matcher{}, c.fail(v, "Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		if len(nums) > 0 {
			return matcher{kind: mNotNumbers, nums: nums}, nil
		}
		m := matcher{kind: mNotStrings, strs: strs}
		if len(strs) > 8 {
			m.strm = make(map[string]struct{}, len(strs))
			for _, s := range strs {
				m.strm[s] = struct{}{}
			}
		}
		return m, nil
	case jObject:
		op, arg, err := c.single(v, "Anything-But")
		if err != nil {
			return matcher{}, err
		}
		var kind mkind
		switch op {
		case "prefix":
			kind = mNotPrefix
		case "suffix":
			kind = mNotSuffix
		case "equals-ignore-case":
			kind = mNotFold
		case "wildcard":
			kind = mNotWildcard
		default:
			return matcher{}, c.fail(v, "Unsupported anything-but pattern: %s", op)
		}
		var vals []*jv
		switch arg.kind {
		case jString:
			vals = []*jv{arg}
		case jArray:
			if len(arg.vals) == 0 {
				return matcher{}, c.fail(arg, "Empty arrays are not allowed")
			}
			vals = arg.vals
		default:
			return matcher{}, c.fail(arg, "Value of anything-but %s must be a string or an array of strings", op)
		}
		m := matcher{kind: kind}
		for _, el := range vals {
			if el.kind != jString {
				return matcher{}, c.fail(el, "Value of anything-but %s must be a string or an array of strings", op)
			}
			switch kind {
			case mNotPrefix, mNotSuffix:
				if el.str == "" {
					return matcher{}, c.fail(el, "Null prefix/suffix not allowed")
				}
				m.strs = append(m.strs, el.str)
			case mNotFold:
				m.folds = append(m.folds, newFold(el.str))
			case mNotWildcard:
				w, msg := parseWildcard(el.str)
				if w == nil {
					return matcher{}, c.fail(el, "%s", msg)
				}
				m.wilds = append(m.wilds, w)
			}
		}
		return m, nil
	}
	return matcher{}, c.fail(v, "Value of anything-but must be an array or single string/number value.")
}

// normalize makes each nested key appear once per way through the $or
// groups, so that the conditions on one event array element are always
// checked together: {"d":{"x":[1]},"$or":[{"d":{"y":[2]}},...]} must find x
// and y in the same element of d, as event-ruler's expansion into separate
// rules would.
func (c *compiler) normalize(n *node) (*node, error) {
	if err := c.mergeSameKeys(n); err != nil {
		return nil, err
	}
	for changed := true; changed; {
		changed = false
		// A field of n whose key a branch also uses moves into every branch
		// of that group.
		for fi := 0; fi < len(n.fields) && !changed; fi++ {
			f := n.fields[fi]
			for gi, g := range n.ors {
				if !groupReaches(g, f.key) {
					continue
				}
				ng := make([]*node, len(g))
				for bi, b := range g {
					nb := copyNode(b)
					nf := f
					if f.child != nil {
						nf.child = copyNode(f.child)
					}
					nb.fields = append(nb.fields, nf)
					ng[bi] = nb
					if c.nodes += countNodes(nb); c.nodes > maxNodes {
						return nil, errorf("Event pattern is too complex")
					}
				}
				n.ors[gi] = ng
				n.fields = append(n.fields[:fi:fi], n.fields[fi+1:]...)
				changed = true
				break
			}
		}
		// Two groups that reach the same nested key multiply out.
		for gi := 0; gi < len(n.ors) && !changed; gi++ {
			for gj := gi + 1; gj < len(n.ors) && !changed; gj++ {
				if !groupsOverlap(n.ors[gi], n.ors[gj]) {
					continue
				}
				var prod []*node
				for _, a := range n.ors[gi] {
					for _, b := range n.ors[gj] {
						m := copyNode(a)
						bc := copyNode(b)
						m.fields = append(m.fields, bc.fields...)
						m.ors = append(m.ors, bc.ors...)
						prod = append(prod, m)
						if c.nodes += countNodes(m); c.nodes > maxNodes {
							return nil, errorf("Event pattern is too complex")
						}
					}
				}
				n.ors[gi] = prod
				n.ors = append(n.ors[:gj:gj], n.ors[gj+1:]...)
				changed = true
			}
		}
	}
	for i := range n.fields {
		if n.fields[i].child != nil {
			ch, err := c.normalize(n.fields[i].child)
			if err != nil {
				return nil, err
			}
			n.fields[i].child = ch
		}
	}
	for _, g := range n.ors {
		for i, b := range g {
			nb, err := c.normalize(b)
			if err != nil {
				return nil, err
			}
			g[i] = nb
		}
	}
	return n, nil
}

// mergeSameKeys joins fields of n that share a key (a key repeated in the
// JSON, or brought in from an $or branch).
func (c *compiler) mergeSameKeys(n *node) error {
	idx := map[string]int{}
	out := n.fields[:0:0]
	for _, f := range n.fields {
		i, ok := idx[f.key]
		if !ok {
			idx[f.key] = len(out)
			out = append(out, f)
			continue
		}
		g := &out[i]
		if f.leaf != nil {
			if g.leaf != nil {
				return errorf("Path `%s` cannot be allowed multiple times", f.key)
			}
			g.leaf = f.leaf
		}
		if f.child != nil {
			if g.child == nil {
				g.child = f.child
			} else {
				m := copyNode(g.child)
				m.fields = append(m.fields, f.child.fields...)
				m.ors = append(m.ors, f.child.ors...)
				g.child = m
			}
		}
	}
	n.fields = out
	return nil
}

// reaches reports whether n, or any branch of its groups, has a field
// named key at this level. Leaves count too: a leaf and an object under
// one key share the event array that key holds.
func (n *node) reaches(key string) bool {
	for _, f := range n.fields {
		if f.key == key {
			return true
		}
	}
	for _, g := range n.ors {
		if groupReaches(g, key) {
			return true
		}
	}
	return false
}

func groupReaches(g []*node, key string) bool {
	for _, b := range g {
		if b.reaches(key) {
			return true
		}
	}
	return false
}

func (n *node) levelKeys(into map[string]bool) {
	for _, f := range n.fields {
		into[f.key] = true
	}
	for _, g := range n.ors {
		for _, b := range g {
			b.levelKeys(into)
		}
	}
}

func groupsOverlap(a, b []*node) bool {
	ka := map[string]bool{}
	for _, n := range a {
		n.levelKeys(ka)
	}
	for _, n := range b {
		for k := range ka {
			if n.reaches(k) {
				return true
			}
		}
	}
	return false
}

// copyNode copies the structure of n; leaves are immutable and shared.
func copyNode(n *node) *node {
	m := &node{fields: make([]field, len(n.fields)), ors: make([][]*node, len(n.ors))}
	for i, f := range n.fields {
		m.fields[i] = f
		if f.child != nil {
			m.fields[i].child = copyNode(f.child)
		}
	}
	for i, g := range n.ors {
		m.ors[i] = make([]*node, len(g))
		for j, b := range g {
			m.ors[i][j] = copyNode(b)
		}
	}
	return m
}

func countNodes(n *node) int {
	k := 1
	for _, f := range n.fields {
		if f.child != nil {
			k += countNodes(f.child)
		}
	}
	for _, g := range n.ors {
		for _, b := range g {
			k += countNodes(b)
		}
	}
	return k
}

func (n *node) setEmptyOK() bool {
	ok := true
	for _, f := range n.fields {
		if f.leaf != nil && !f.leaf.absentOK {
			ok = false
		}
		if f.child != nil && !f.child.setEmptyOK() {
			ok = false
		}
	}
	for _, g := range n.ors {
		any := false
		for _, b := range g {
			if b.setEmptyOK() {
				any = true
			}
		}
		if !any {
			ok = false
		}
	}
	n.emptyOK = ok
	return ok
}
