package pattern

import (
	"net/netip"
	"strconv"
	"strings"
)

// looksLikeIP mirrors event-ruler's pre-check: only these shapes are ever
// treated as addresses, so host names and free text are left alone.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if isDigit(s[0]) {
		parts := 0
		run := 0
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case isDigit(c):
				run++
			case c == '.':
				if run == 0 {
					return false
				}
				parts++
				run = 0
			default:
				return isIPv6Shape(s)
			}
		}
		return run > 0 && parts == 3
	}
	return isIPv6Shape(s)
}

func isIPv6Shape(s string) bool {
	colon := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colon = true
		case isDigit(c), c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return colon
}

// parseIP returns the address a string spells, with IPv4-mapped IPv6
// addresses turned into IPv4 as Java's InetAddress does.
func parseIP(s string) (netip.Addr, bool) {
	if !looksLikeIP(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func parseCIDR(s string) (netip.Prefix, string) {
	parts := strings.Split(s, "/")
	for len(parts) > 1 && parts[len(parts)-1] == "" { // Java's split drops trailing empties
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return netip.Prefix{}, "Malformed CIDR, one '/' required"
	}
	bits, err := strconv.Atoi(parts[1])
	if err != nil {
		return netip.Prefix{}, "Malformed CIDR, mask bits must be an integer"
	}
	if bits < 0 {
		return netip.Prefix{}, "Malformed CIDR, mask bits must not be negative"
	}
	addr, ok := parseIP(parts[0])
	if !ok {
		return netip.Prefix{}, "Nonstandard IP address: " + parts[0]
	}
	if addr.Is4() && bits > 31 {
		return netip.Prefix{}, "IPv4 mask bits must be < 32"
	}
	if addr.Is6() && bits > 127 {
		return netip.Prefix{}, "IPv6 mask bits must be < 128"
	}
	return netip.PrefixFrom(addr, bits).Masked(), ""
}
