package x509ca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
)

// assembleExtensions applies AWS's template order of operations
// (https://docs.aws.amazon.com/privateca/latest/userguide/template-order-of-operations.html):
// per extension, the template's value wins, then the ApiPassthrough's (API
// templates only), then the CSR's (CSR templates only, except that every
// template takes its subject alternative names from the CSR when nothing
// above supplies them).
func assembleExtensions(req IssueRequest, api compiledPassthrough, emptySubject bool) ([]pkix.Extension, error) {
	t := req.Template
	exts, err := templateExtensions(req)
	if err != nil {
		return nil, err
	}
	if t.APIPassthrough {
		for _, e := range []*pkix.Extension{api.keyUsage, api.extKeyUse, api.sans, api.policies} {
			if e != nil {
				exts.addIfAbsent(*e, "ApiPassthrough")
			}
		}
		for _, e := range api.custom {
			if err := exts.addUnique(e, "ApiPassthrough custom"); err != nil {
				return nil, err
			}
		}
	}
	addCSRExtensions(&exts, req.CSR, t.CSRPassthrough)
	san := exts.get(oidExtSubjectAltName)
	if san == nil && emptySubject {
		return nil, fmt.Errorf("%w: the certificate would have neither a subject nor subject alternative names", ErrIssue)
	}
	if san != nil {
		// Whatever the source asked for: RFC 5280 4.2.1.6 ties SAN
		// criticality to whether the subject is empty.
		san.Critical = emptySubject
	}
	return exts.list, nil
}

// templateExtensions are the ones the template itself defines; nothing from
// the API or the CSR can replace them.
func templateExtensions(req IssueRequest) (extensionSet, error) {
	t := req.Template
	var exts extensionSet
	add := func(e pkix.Extension, err error) error {
		if err != nil {
			return err
		}
		exts.addIfAbsent(e, "the template")
		return nil
	}
	// CA certificates get a critical basicConstraints whatever the table
	// says: RFC 5280 4.2.1.9 requires it.
	if err := add(basicConstraintsExtension(t.IsCA, t.PathLen, t.CriticalBasicConstraints || t.IsCA)); err != nil {
		return exts, err
	}
	if t.KeyUsage != 0 {
		if err := add(keyUsageExtension(t.KeyUsage)); err != nil {
			return exts, err
		}
	}
	if len(t.ExtKeyUsage) > 0 {
		oids, err := templateExtKeyUsages(t.ExtKeyUsage)
		if err != nil {
			return exts, err
		}
		if err := add(extKeyUsageExtension(oids, t.CriticalExtKeyUsage)); err != nil {
			return exts, err
		}
	}
	ski, err := subjectKeyID(req.CSR.RawSubjectPublicKeyInfo, req.CSR.PublicKey)
	if err != nil {
		return exts, err
	}
	if err := add(subjectKeyIDExtension(ski)); err != nil {
		return exts, err
	}
	if t.SelfSigned {
		return exts, nil
	}
	aki := req.Issuer.SubjectKeyId
	if len(aki) == 0 {
		// An imported CA certificate may lack an SKI; method 1 over its key
		// is what it would most likely have said.
		if aki, err = subjectKeyID(req.Issuer.RawSubjectPublicKeyInfo, req.Issuer.PublicKey); err != nil {
			return exts, err
		}
	}
	if err := add(authorityKeyIDExtension(aki)); err != nil {
		return exts, err
	}
	if len(req.CRLDistributionPoints) > 0 {
		if err := add(crlDistributionPointsExtension(req.CRLDistributionPoints)); err != nil {
			return exts, err
		}
	}
	if req.OCSPServer != "" {
		if err := add(ocspAccessExtension(req.OCSPServer)); err != nil {
			return exts, err
		}
	}
	return exts, nil
}

// addCSRExtensions copies the CSR's subject alternative names on every
// template (AWS's base templates take them from the CSR too) and, on
// CSRPassthrough templates, every other extension the CSR requests.
// (crypto/x509 already refuses a CSR that requests an extension twice.)
func addCSRExtensions(exts *extensionSet, csr *x509.CertificateRequest, passthrough bool) {
	for _, e := range csr.Extensions {
		if passthrough || e.Id.Equal(oidExtSubjectAltName) {
			exts.addIfAbsent(pkix.Extension{Id: e.Id, Critical: e.Critical, Value: e.Value}, "the CSR")
		}
	}
}
