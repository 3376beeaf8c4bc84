package pca

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/x509ca"
)

// serialAttempts bounds retries on a serial collision, which at 127 random
// bits means a broken random source rather than bad luck.
const serialAttempts = 3

// IssueCertificate signs a certificate. Bad requests are refused at once and
// change nothing; once accepted, the outcome (issued or failed) is stored
// with its Issuance event and the certificate ARN is returned either way.
func (s *Service) IssueCertificate(ctx context.Context, caller Caller, in IssueCertificateInput) (string, error) {
	templateARN := in.TemplateArn
	if templateARN == "" {
		templateARN = x509ca.DefaultTemplateARN
	}
	conditions := map[string]string{conditionTemplateArn: templateARN}
	ca, err := s.loadCA(ctx, s.store, caller, in.CertificateAuthorityArn, ActionIssueCertificate, conditions)
	if err != nil {
		return "", err
	}
	tmpl, err := x509ca.LookupTemplate(templateARN)
	if err != nil {
		return "", fail(InvalidArgs, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
	}
	if err := s.checkIssuer(ca, tmpl); err != nil {
		return "", err
	}
	if err := x509ca.CheckPassthrough(tmpl, in.ApiPassthrough); err != nil {
		return "", fail(InvalidArgs, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
	}
	csr, err := x509ca.ParseCSR(in.Csr)
	if err != nil {
		return "", fail(MalformedCSR, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
	}
	if err := x509ca.CheckCSRKey(csr); err != nil {
		return "", fail(MalformedCSR, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
	}
	sigAlg, ok := x509ca.SignatureAlgorithm(in.SigningAlgorithm)
	material, err := s.issuers.material(ca)
	if err != nil {
		return "", err
	}
	if keyAlg := material.cfg.KeyAlgorithm; !ok || x509ca.SigningFamily(in.SigningAlgorithm) != x509ca.KeyFamily(keyAlg) {
		return "", fail(InvalidArgs, "Signing algorithm %s is not compatible with the certificate authority's key algorithm %s.",
			in.SigningAlgorithm, keyAlg)
	}
	var issuer *x509.Certificate
	if !tmpl.SelfSigned {
		if issuer, err = material.issuer, material.issuerErr; issuer == nil {
			return "", fmt.Errorf("pca: stored certificate of %s: %w", ca.ARN, cmp.Or(err, errors.New("none")))
		}
	} else if !x509ca.SamePublicKey(csr.PublicKey, material.csrKey) {
		return "", fail(InvalidArgs, "Template %s signs only the certificate authority's own CSR.", tmpl.Name)
	}
	now := s.clock.Now()
	var issuerNB, issuerNA = ca.NotBefore, ca.NotAfter
	if tmpl.SelfSigned {
		issuerNB, issuerNA = now.Add(-backdate), now.AddDate(100, 0, 0)
	}
	usage := ca.UsageMode
	if tmpl.SelfSigned {
		usage = "" // the 7-day cap is for what a short-lived CA issues, not for its own certificate
	}
	notBefore, notAfter, err := validityWindow(in, now, usage, issuerNB, issuerNA)
	if err != nil {
		return "", err
	}
	if tmpl.IsCA && !tmpl.SelfSigned && issuer.MaxPathLen >= 0 && tmpl.PathLen >= issuer.MaxPathLen {
		return "", fail(InvalidArgs, "The issuing certificate authority's path length constraint (%d) does not allow template %s.",
			issuer.MaxPathLen, tmpl.Name)
	}

	const op = "IssueCertificate"
	var hash string
	if in.IdempotencyToken != "" {
		hash = requestHash(in)
	}
	if arn, err := s.idempotentResult(ctx, s.store, caller, op, in.IdempotencyToken, hash); err != nil || arn != "" {
		return arn, err
	}

	req := x509ca.IssueRequest{Template: tmpl, CSR: csr, Issuer: issuer, Algorithm: sigAlg, NotBefore: notBefore,
		NotAfter: notAfter, Passthrough: in.ApiPassthrough}
	if req.CRLDistributionPoints, req.OCSPServer, err = s.revocationLinks(ca); err != nil {
		return "", err
	}

	for attempt := 1; ; attempt++ {
		serial, err := x509ca.RandomSerial(s.rand)
		if err != nil {
			return "", fmt.Errorf("pca: %w", err)
		}
		req.Serial = serial
		arn := certificateARN(ca.ARN, serial)
		cert := store.Certificate{CAID: ca.ID, Serial: serialHex(serial), Template: tmpl.Name, IssuedAt: now.UTC(),
			NotBefore: notBefore, NotAfter: notAfter, Status: store.CertificateIssued}
		detail := events.PCADetail{Result: events.Success}
		cert.DER, err = s.sign(ctx, ca, req)
		if errors.Is(err, x509ca.ErrIssue) {
			// The template or passthrough cannot be satisfied: the caller's
			// mistake, refused before anything is stored.
			return "", fail(InvalidArgs, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
		}
		if err != nil {
			s.log.ErrorContext(ctx, "certificate issuance failed", "certificate", arn, "err", err)
			cert.Status, cert.FailureReason, cert.DER = store.CertificateFailed, "Failed to sign the certificate.", nil
			detail.Result = events.Failure
		}
		err = s.store.Update(ctx, func(tx store.Tx) error {
			current, err := s.loadCA(ctx, stateReader{tx}, caller, in.CertificateAuthorityArn, ActionIssueCertificate, conditions)
			if err != nil {
				return err
			}
			if err := s.checkIssuer(current, tmpl); err != nil {
				return err
			}
			if err := tx.InsertCertificate(ctx, cert); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, ca, events.DetailIssuance, detail, arn); err != nil {
				return err
			}
			return s.rememberResult(ctx, tx, caller, op, in.IdempotencyToken, hash, arn)
		})
		if errors.Is(err, store.ErrConflict) && attempt < serialAttempts {
			continue
		}
		if err != nil {
			if KindOf(err) != "" {
				return "", err
			}
			return "", fmt.Errorf("pca: issue: %w", err)
		}
		if cert.Status == store.CertificateIssued {
			s.recent.put(recentKey{ca.ID, cert.Serial}, recentCertificate{pem: pemCertificate(cert.DER),
				selfSigned: issuedSelfSigned(tmpl, csr, issuer, cert.DER)})
		}
		return arn, nil
	}
}

// issuedSelfSigned tells whether a certificate just signed is self-signed,
// without a signature check in the common case: only a certificate for the
// issuer's own key can verify under itself.
func issuedSelfSigned(tmpl x509ca.Template, csr *x509.CertificateRequest, issuer *x509.Certificate, der []byte) bool {
	if tmpl.SelfSigned {
		return true
	}
	if !x509ca.SamePublicKey(csr.PublicKey, issuer.PublicKey) {
		return false
	}
	leaf, err := x509.ParseCertificate(der)
	return err == nil && isSelfSigned(leaf)
}

// stateReader serves GetCA with GetCAState, for a transaction's re-check of
// a CA whose full row was read (and parsed) before it began.
type stateReader struct{ store.Reader }

func (r stateReader) GetCA(ctx context.Context, id string) (store.CA, error) {
	return r.GetCAState(ctx, id)
}

// checkIssuer refuses issuance from a CA that cannot sign now. A root CA
// waiting for its certificate may sign only its own (RootCACertificate).
func (s *Service) checkIssuer(ca store.CA, tmpl x509ca.Template) error {
	if tmpl.SelfSigned {
		if ca.Type != "ROOT" {
			return fail(InvalidArgs, "Template %s issues a self-signed root certificate and can only be used by a ROOT certificate authority.", tmpl.Name)
		}
		return requireStatus(ca, StatusPendingCertificate, StatusActive)
	}
	if s.effectiveStatus(ca) != StatusActive {
		return fail(InvalidState, "The certificate authority %s is %s; it must be ACTIVE to issue certificates.", ca.ARN, s.effectiveStatus(ca))
	}
	return nil
}

// sign gets the CA's signer and signs; any failure here happens after the
// request was accepted and becomes a failed certificate, not an API error.
func (s *Service) sign(ctx context.Context, ca store.CA, req x509ca.IssueRequest) ([]byte, error) {
	signer, err := s.keys.Signer(ctx, ca.KeyHandle, []byte(ca.ARN))
	if err != nil {
		return nil, err
	}
	req.Signer = signer
	return x509ca.Issue(req)
}

func mustCSRKey(ca store.CA) any {
	csr, err := x509ca.ParseCSR([]byte(ca.CSRPEM))
	if err != nil {
		return nil
	}
	return csr.PublicKey
}

func (s *Service) GetCertificate(ctx context.Context, caller Caller, in GetCertificateInput) (GetCertificateOutput, error) {
	ca, err := s.loadCA(ctx, s.store, caller, in.CertificateAuthorityArn, ActionGetCertificate, nil)
	if err != nil {
		return GetCertificateOutput{}, err
	}
	serial, err := parseCertificateARN(ca.ARN, in.CertificateArn)
	if err != nil {
		return GetCertificateOutput{}, err
	}
	if c, ok := s.recent.get(recentKey{ca.ID, serial}); ok {
		return certificateOutput(ca, c), nil
	}
	cert, err := s.store.GetCertificate(ctx, ca.ID, serial)
	if errors.Is(err, store.ErrNotFound) {
		return GetCertificateOutput{}, fail(ResourceNotFound, "Could not find certificate %s.", in.CertificateArn)
	}
	if err != nil {
		return GetCertificateOutput{}, fmt.Errorf("pca: get certificate: %w", err)
	}
	if cert.Status == store.CertificateFailed {
		return GetCertificateOutput{}, fail(RequestFailed, "The issuance of certificate %s failed: %s", in.CertificateArn, cert.FailureReason)
	}
	// A body that does not parse gets no chain: nothing shows who issued it.
	leaf, err := x509.ParseCertificate(cert.DER)
	return certificateOutput(ca, recentCertificate{pem: pemCertificate(cert.DER), selfSigned: err != nil || isSelfSigned(leaf)}), nil
}

// certificateOutput answers GetCertificate: a certificate not signed by
// itself comes with its issuer's chain.
func certificateOutput(ca store.CA, c recentCertificate) GetCertificateOutput {
	out := GetCertificateOutput{Certificate: strings.TrimSpace(c.pem)}
	if ca.CertificatePEM != "" && !c.selfSigned {
		out.CertificateChain = strings.TrimSpace(ca.CertificatePEM + ca.ChainPEM)
	}
	return out
}

func isSelfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// RevokeCertificate records a revocation and its event. A repeated or failed
// revocation emits nothing.
func (s *Service) RevokeCertificate(ctx context.Context, caller Caller, in RevokeCertificateInput) error {
	serial, ok := normalizeSerial(in.CertificateSerial)
	if !ok {
		return fail(InvalidArgs, "CertificateSerial %q is not a hexadecimal serial number.", in.CertificateSerial)
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		if st := s.effectiveStatus(ca); st != StatusActive && st != StatusDisabled && st != StatusExpired {
			return fail(InvalidState, "Certificates of a certificate authority in the %s state cannot be revoked.", st)
		}
		cert, err := tx.GetCertificate(ctx, ca.ID, serial)
		if errors.Is(err, store.ErrNotFound) {
			return fail(ResourceNotFound, "Could not find certificate with serial %s in certificate authority %s.", in.CertificateSerial, ca.ARN)
		}
		if err != nil {
			return err
		}
		if cert.Status != store.CertificateIssued {
			return fail(InvalidRequest, "Certificate %s was never issued and cannot be revoked.", in.CertificateSerial)
		}
		if !cert.RevokedAt.IsZero() {
			return fail(RequestAlreadyProcessed, "Certificate %s has already been revoked.", in.CertificateSerial)
		}
		cert.RevokedAt = s.clock.Now().UTC()
		cert.RevocationReason = in.RevocationReason
		if err := tx.UpdateCertificate(ctx, cert); err != nil {
			return err
		}
		n, _ := new(big.Int).SetString(serial, 16)
		return s.emit(ctx, tx, ca, events.DetailRevocation, events.PCADetail{Result: events.Success}, certificateARN(ca.ARN, n))
	})
}
