package pattern

// Numbers are compared the way event-ruler's ComparableNumber does: as an
// exact count of millionths within [-5e9, 5e9]. Going through float64
// instead would make 0.1+0.2-style rounding decide matches, and exactness
// is what lets the pattern 5 equal the event's 5.0.

const (
	fiveBillionMicros = 5_000_000_000_000_000 // 5e9 in millionths
	maxDecimals       = 6
)

type numStatus uint8

const (
	numOK numStatus = iota
	numTooPrecise
	numOutOfRange
	numInvalid
)

// comparable converts a JSON number to millionths. It never allocates and
// copes with absurd exponents such as 1e999999999999.
func comparable(text string) (int64, numStatus) {
	i, n := 0, len(text)
	neg := false
	if i < n && text[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < n && isDigit(text[i]) {
		i++
	}
	intPart := text[intStart:i]
	frac := ""
	if i < n && text[i] == '.' {
		i++
		fs := i
		for i < n && isDigit(text[i]) {
			i++
		}
		frac = text[fs:i]
	}
	if len(intPart) == 0 && len(frac) == 0 {
		return 0, numInvalid
	}
	var exp int64
	if i < n && (text[i] == 'e' || text[i] == 'E') {
		i++
		eneg := false
		if i < n && (text[i] == '+' || text[i] == '-') {
			eneg = text[i] == '-'
			i++
		}
		if i == n {
			return 0, numInvalid
		}
		for ; i < n && isDigit(text[i]); i++ {
			if exp < 1e12 { // saturate: anything this large is out of every domain
				exp = exp*10 + int64(text[i]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	if i != n {
		return 0, numInvalid
	}
	total := len(intPart) + len(frac)
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	first := 0
	for first < total && digit(first) == '0' {
		first++
	}
	if first == total {
		return 0, numOK
	}
	last := total - 1
	for digit(last) == '0' {
		last--
	}
	// value = sig * 10^e10 where sig is digits[first..last]
	e10 := exp - int64(len(frac)) + int64(total-1-last)
	if e10 < -maxDecimals {
		return 0, numTooPrecise
	}
	sigLen := int64(last - first + 1)
	if sigLen+e10+maxDecimals > 16 { // 5e15 has 16 digits
		return 0, numOutOfRange
	}
	var v int64
	for k := first; k <= last; k++ {
		v = v*10 + int64(digit(k)-'0')
	}
	for s := e10 + maxDecimals; s > 0; s-- {
		v *= 10
	}
	if v > fiveBillionMicros {
		return 0, numOutOfRange
	}
	if neg {
		v = -v
	}
	return v, numOK
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
