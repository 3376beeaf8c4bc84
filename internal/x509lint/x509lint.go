// Package x509lint runs zlint over issued certificates for the tests: it
// reports RFC 5280 errors, apart from the few that AWS's own template
// definitions make unavoidable. Only tests import it, so zlint never reaches
// the openpca binary.
package x509lint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// Exempt lists RFC 5280 error lints a template trips by AWS's definition,
// per template name ("EndEntityClientAuthCertificate/V1"), with the reason.
var Exempt = func() map[string]map[string]string {
	m := map[string]map[string]string{}
	// AWS defines the client-auth family with key usage "digital signature,
	// key encipherment" (template-definitions), and zlint reads RFC 5280
	// 4.2.1.12 as making keyEncipherment inconsistent with clientAuth alone.
	for _, v := range []string{"", "_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"} {
		m["EndEntityClientAuthCertificate"+v+"/V1"] = map[string]string{
			"e_key_usage_and_extended_key_usage_inconsistent": "AWS's EndEntityClientAuthCertificate key usage includes keyEncipherment",
		}
	}
	return m
}()

// Result is one certificate's lint outcome.
type Result struct {
	Errors   []string // RFC 5280 errors and fatals not exempt for the template
	Exempted []string // exempt lints that fired
	Other    []string // errors from other sources (CA/Browser Forum rules a private CA need not follow)
}

// Lint parses a DER certificate with zcrypto and runs every zlint lint.
func Lint(der []byte, template string) (Result, error) {
	c, err := zx509.ParseCertificate(der)
	if err != nil {
		return Result{}, fmt.Errorf("x509lint: zcrypto cannot parse the certificate: %w", err)
	}
	var r Result
	results := zlint.LintCertificate(c)
	for _, name := range slices.Sorted(maps.Keys(results.Results)) {
		res := results.Results[name]
		if res.Status != lint.Error && res.Status != lint.Fatal {
			continue
		}
		line := strings.TrimSpace(fmt.Sprintf("%s: %s %s", name, res.Status, res.Details))
		switch {
		case res.LintMetadata.Source != lint.RFC5280:
			r.Other = append(r.Other, line)
		case Exempt[template][name] != "":
			r.Exempted = append(r.Exempted, name)
		default:
			r.Errors = append(r.Errors, line+" ("+res.LintMetadata.Description+")")
		}
	}
	return r, nil
}
