package pca

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/x509ca"
)

func (s *Service) GetCertificateAuthorityCsr(ctx context.Context, caller Caller, arn string) (string, error) {
	ca, err := s.loadCA(ctx, s.store, caller, arn, "", nil)
	if err != nil {
		return "", err
	}
	switch ca.Status {
	case StatusCreating:
		return "", fail(RequestInProgress, "The CSR of certificate authority %s is not ready yet.", arn)
	case StatusFailed:
		return "", fail(RequestFailed, "The creation of certificate authority %s failed.", arn)
	case StatusDeleted:
		return "", fail(InvalidState, "The certificate authority %s is deleted.", arn)
	}
	return ca.CSRPEM, nil
}

func (s *Service) GetCertificateAuthorityCertificate(ctx context.Context, caller Caller, arn string) (GetCertificateAuthorityCertificateOutput, error) {
	ca, err := s.loadCA(ctx, s.store, caller, arn, ActionGetCertificateAuthorityCertificate, nil)
	if err != nil {
		return GetCertificateAuthorityCertificateOutput{}, err
	}
	if ca.CertificatePEM == "" {
		return GetCertificateAuthorityCertificateOutput{}, fail(InvalidState,
			"The certificate authority %s is in the %s state and has no certificate.", arn, ca.Status)
	}
	return GetCertificateAuthorityCertificateOutput{Certificate: ca.CertificatePEM, CertificateChain: ca.ChainPEM}, nil
}

// ImportCertificateAuthorityCertificate installs the CA's certificate (and,
// for a subordinate, the chain up to a root), making the CA ACTIVE. The
// certificate must be a CA certificate for the CA's own key that chains to
// the given roots now; importing again replaces it (renewal).
func (s *Service) ImportCertificateAuthorityCertificate(ctx context.Context, caller Caller, in ImportCertificateAuthorityCertificateInput) error {
	cert, err := parseOneCertificate(in.Certificate)
	if err != nil {
		return err
	}
	chain, err := parseCertificates(in.CertificateChain)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		if err := requireStatus(ca, StatusPendingCertificate, StatusActive, StatusDisabled, StatusExpired); err != nil {
			return err
		}
		if err := s.checkImport(ca, cert, chain); err != nil {
			return err
		}
		if ca.Status == StatusPendingCertificate || ca.Status == StatusExpired {
			ca.Status = StatusActive
		}
		ca.CertificatePEM = pemCertificate(cert.Raw)
		ca.ChainPEM = ""
		for _, c := range chain {
			ca.ChainPEM += pemCertificate(c.Raw)
		}
		ca.Serial = serialHex(cert.SerialNumber)
		ca.NotBefore, ca.NotAfter = cert.NotBefore.UTC(), cert.NotAfter.UTC()
		ca.LastStateChangeAt = s.clock.Now().UTC()
		return tx.UpdateCA(ctx, ca)
	})
}

func (s *Service) checkImport(ca store.CA, cert *x509.Certificate, chain []*x509.Certificate) error {
	csr, err := x509ca.ParseCSR([]byte(ca.CSRPEM))
	if err != nil {
		return fmt.Errorf("pca: stored CSR of %s: %w", ca.ARN, err)
	}
	if !x509ca.SamePublicKey(cert.PublicKey, csr.PublicKey) {
		return fail(CertificateMismatch, "The certificate's public key does not match the key of certificate authority %s.", ca.ARN)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return fail(InvalidRequest, "The certificate is not a CA certificate: basicConstraints must be present with cA TRUE.")
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fail(InvalidRequest, "The certificate's key usage does not allow certificate signing.")
	}
	now := s.clock.Now()
	if now.After(cert.NotAfter) {
		return fail(MalformedCertificate, "The certificate expired at %s.", cert.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
	}
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	if ca.Type == "ROOT" {
		if len(chain) > 0 {
			return fail(InvalidRequest, "A root certificate authority takes no certificate chain.")
		}
		if err := cert.CheckSignatureFrom(cert); err != nil {
			return fail(InvalidRequest, "A root certificate authority's certificate must be self-signed: %v.", err)
		}
		roots.AddCert(cert)
	} else {
		if len(chain) == 0 {
			return fail(InvalidRequest, "A subordinate certificate authority's certificate must be imported with its certificate chain.")
		}
		for _, c := range chain {
			if !c.BasicConstraintsValid || !c.IsCA {
				return fail(InvalidRequest, "Every certificate in the chain must be a CA certificate; %q is not.", c.Subject.String())
			}
			if c.CheckSignatureFrom(c) == nil {
				roots.AddCert(c)
			} else {
				intermediates.AddCert(c)
			}
		}
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return fail(CertificateMismatch, "The certificate does not chain to a root in the certificate chain: %v.", err)
	}
	return nil
}

func parseOneCertificate(data []byte) (*x509.Certificate, error) {
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fail(MalformedCertificate, "Expected exactly one PEM certificate, found %d.", len(certs))
	}
	return certs[0], nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fail(MalformedCertificate, "Unexpected PEM block %q; only CERTIFICATE blocks are accepted.", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fail(MalformedCertificate, "The certificate could not be parsed: %s.", strings.TrimPrefix(err.Error(), "x509: "))
		}
		out = append(out, c)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, fail(MalformedCertificate, "The certificate is not valid PEM.")
	}
	return out, nil
}

func pemCertificate(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
