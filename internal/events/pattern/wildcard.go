package pattern

import (
	"fmt"
	"strings"
)

// wildcard is a glob with only '*': literal segments that must appear in
// order, the first anchored at the start and the last at the end. Greedy
// leftmost search of each middle segment is exact for such globs, so
// matching is linear and no input can make it backtrack.
type wildcard struct {
	segs []string // len(segs) == number of stars + 1
}

func parseWildcard(p string) (*wildcard, string) {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				return nil, fmt.Sprintf("Consecutive wildcard characters at pos %d", i)
			}
			segs = append(segs, cur.String())
			cur.Reset()
		case '\\':
			if i+1 < len(p) && (p[i+1] == '*' || p[i+1] == '\\') {
				cur.WriteByte(p[i+1])
				i++
				continue
			}
			return nil, fmt.Sprintf("Invalid escape character at pos %d", i)
		default:
			cur.WriteByte(p[i])
		}
	}
	segs = append(segs, cur.String())
	return &wildcard{segs: segs}, ""
}

func (w *wildcard) match(s string) bool {
	segs := w.segs
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(mid, seg)
		if i < 0 {
			return false
		}
		mid = mid[i+len(seg):]
	}
	return true
}
