package pca

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"
)

const (
	partition     = "aws"
	caResource    = "certificate-authority/"
	certSeparator = "/certificate/"
)

// caARN is a parsed certificate authority ARN.
type caARN struct {
	Region, Account, ID string
}

func (a caARN) String() string {
	return fmt.Sprintf("arn:%s:acm-pca:%s:%s:%s%s", partition, a.Region, a.Account, caResource, a.ID)
}

func parseCAARN(arn string) (caARN, error) {
	bad := func() (caARN, error) {
		return caARN{}, fail(InvalidArn, "The ARN %q is not a valid certificate authority ARN.", arn)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != partition || parts[2] != "acm-pca" {
		return bad()
	}
	id, ok := strings.CutPrefix(parts[5], caResource)
	if !ok || !isAccountID(parts[4]) || parts[3] == "" {
		return bad()
	}
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return bad()
	}
	return caARN{Region: parts[3], Account: parts[4], ID: id}, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// certificateARN is the CA ARN, "/certificate/" and the serial as 32 lowercase hex digits.
func certificateARN(ca string, serial *big.Int) string {
	return ca + certSeparator + serialHex(serial)
}

func serialHex(serial *big.Int) string { return fmt.Sprintf("%032x", serial) }

// parseCertificateARN checks that a certificate ARN lies under the CA ARN and
// returns its serial.
func parseCertificateARN(caArn, certArn string) (string, error) {
	serial, ok := strings.CutPrefix(certArn, caArn+certSeparator)
	if !ok || len(serial) != 32 || strings.ToLower(serial) != serial {
		return "", fail(InvalidArn, "The ARN %q is not a certificate ARN of certificate authority %s.", certArn, caArn)
	}
	if _, ok := new(big.Int).SetString(serial, 16); !ok {
		return "", fail(InvalidArn, "The ARN %q is not a certificate ARN of certificate authority %s.", certArn, caArn)
	}
	return serial, nil
}

// normalizeSerial accepts a serial as hex, with or without colons, any case,
// and returns the store's form: 32 lowercase hex digits.
func normalizeSerial(text string) (string, bool) {
	clean := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(text), ":", ""))
	if clean == "" || len(clean) > 32 {
		return "", false
	}
	n, ok := new(big.Int).SetString(clean, 16)
	if !ok || n.Sign() <= 0 {
		return "", false
	}
	return serialHex(n), true
}
