package pca

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/x509ca"
)

const (
	maxTags                   = 50
	defaultDeletionWindowDays = 30
	defaultListMaxResults     = 100
)

// CreateCertificateAuthority creates a CA and its key. Key generation happens
// in the request, so the CA is returned in PENDING_CERTIFICATE (or FAILED when
// the key backend fails, with a failure Creation event), never CREATING.
func (s *Service) CreateCertificateAuthority(ctx context.Context, caller Caller, in CreateCertificateAuthorityInput) (string, error) {
	cfg := in.CertificateAuthorityConfiguration
	sigAlg, subject, err := checkCAConfiguration(cfg)
	if err != nil {
		return "", err
	}
	if in.CertificateAuthorityType != "ROOT" && in.CertificateAuthorityType != "SUBORDINATE" {
		return "", fail(InvalidArgs, "CertificateAuthorityType must be ROOT or SUBORDINATE.")
	}
	if err := checkRevocationConfiguration(in.RevocationConfiguration); err != nil {
		return "", err
	}
	if err := checkTags(in.Tags); err != nil {
		return "", err
	}
	if len(in.Tags) > maxTags {
		return "", fail(TooManyTags, "A certificate authority can have at most %d tags.", maxTags)
	}
	usage := in.UsageMode
	if usage == "" {
		usage = "GENERAL_PURPOSE"
	}
	storage := in.KeyStorageSecurityStandard
	if storage == "" {
		storage = "FIPS_140_2_LEVEL_3_OR_HIGHER"
	}
	const op = "CreateCertificateAuthority"
	hash := requestHash(in)
	if arn, err := s.idempotentResult(ctx, s.store, caller, op, in.IdempotencyToken, hash); err != nil || arn != "" {
		return arn, err
	}

	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("pca: %w", err)
	}
	var revJSON []byte
	if in.RevocationConfiguration != nil {
		if revJSON, err = json.Marshal(in.RevocationConfiguration); err != nil {
			return "", fmt.Errorf("pca: %w", err)
		}
	}
	now := s.clock.Now().UTC()
	id := uuid.NewString()
	arn := caARN{Region: s.region, Account: caller.AccountID, ID: id}.String()
	ca := store.CA{ID: id, AccountID: caller.AccountID, Region: s.region, ARN: arn, Type: in.CertificateAuthorityType,
		Status: StatusPendingCertificate, UsageMode: usage, KeyStorageSecurityStandard: storage, ConfigJSON: cfgJSON,
		RevocationJSON: revJSON, CreatedAt: now, LastStateChangeAt: now}

	detail := events.PCADetail{Result: events.Success}
	handle, signer, keyErr := s.keys.Create(ctx, keys.Algorithm(cfg.KeyAlgorithm), []byte(arn))
	if keyErr == nil {
		ca.KeyHandle = handle
		ca.CSRPEM, keyErr = x509ca.CreateCACSR(subject, csrExtensions(cfg.CsrExtensions), signer, sigAlg)
	}
	if keyErr != nil {
		s.log.ErrorContext(ctx, "certificate authority creation failed", "arn", arn, "err", keyErr)
		ca.Status, ca.FailureReason, ca.KeyHandle = StatusFailed, "OTHER", nil
		if errors.Is(keyErr, keys.ErrUnsupportedAlgorithm) {
			ca.FailureReason = "UNSUPPORTED_ALGORITHM"
		}
		detail.Result = events.Failure
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.InsertCA(ctx, ca); err != nil {
			return err
		}
		if err := tx.PutTags(ctx, id, storeTags(in.Tags)); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, ca, events.DetailCreation, detail); err != nil {
			return err
		}
		return s.rememberResult(ctx, tx, caller, op, in.IdempotencyToken, hash, arn)
	})
	if err != nil {
		return "", fmt.Errorf("pca: create CA: %w", err)
	}
	return arn, nil
}

func checkCAConfiguration(cfg CertificateAuthorityConfiguration) (x509.SignatureAlgorithm, pkix.Name, error) {
	keyFamily := x509ca.KeyFamily(cfg.KeyAlgorithm)
	if keyFamily == "" {
		return 0, pkix.Name{}, fail(InvalidArgs, "Key algorithm %s is not supported by this server.", cfg.KeyAlgorithm)
	}
	sigAlg, ok := x509ca.SignatureAlgorithm(cfg.SigningAlgorithm)
	if !ok {
		return 0, pkix.Name{}, fail(InvalidArgs, "Signing algorithm %s is not supported by this server.", cfg.SigningAlgorithm)
	}
	if x509ca.SigningFamily(cfg.SigningAlgorithm) != keyFamily {
		return 0, pkix.Name{}, fail(InvalidArgs, "Signing algorithm %s is not compatible with key algorithm %s.", cfg.SigningAlgorithm, cfg.KeyAlgorithm)
	}
	name, err := cfg.Subject.Name()
	if err != nil {
		return 0, pkix.Name{}, fail(InvalidArgs, "%s", strings.TrimPrefix(err.Error(), "x509ca: "))
	}
	if cfg.CsrExtensions != nil && len(cfg.CsrExtensions.SubjectInformationAccess) > 0 {
		return 0, pkix.Name{}, fail(InvalidArgs, "CsrExtensions.SubjectInformationAccess is not supported by this server yet.")
	}
	return sigAlg, name, nil
}

func csrExtensions(in *CsrExtensions) *x509ca.CSRExtensions {
	if in == nil || in.KeyUsage == nil {
		return nil
	}
	return &x509ca.CSRExtensions{KeyUsage: in.KeyUsage}
}

func checkRevocationConfiguration(rc *RevocationConfiguration) error {
	if rc == nil {
		return nil
	}
	if crl := rc.CrlConfiguration; crl != nil && crl.Enabled {
		if crl.S3BucketName == nil || *crl.S3BucketName == "" {
			return fail(InvalidArgs, "CrlConfiguration.S3BucketName is required when the CRL is enabled.")
		}
	}
	return nil
}

func checkTags(tags []Tag) error {
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return fail(InvalidTag, "Tag keys starting with \"aws:\" are reserved: %q.", t.Key)
		}
	}
	return nil
}

func storeTags(tags []Tag) []store.Tag {
	out := make([]store.Tag, len(tags))
	for i, t := range tags {
		out[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// describe turns a stored CA into the API's view.
func (s *Service) describe(ca store.CA) (CertificateAuthority, error) {
	out := CertificateAuthority{Arn: ca.ARN, OwnerAccount: ca.AccountID, CreatedAt: ca.CreatedAt,
		LastStateChangeAt: ca.LastStateChangeAt, Type: ca.Type, Serial: ca.Serial, Status: s.effectiveStatus(ca),
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, FailureReason: ca.FailureReason,
		KeyStorageSecurityStandard: ca.KeyStorageSecurityStandard, UsageMode: ca.UsageMode}
	if ca.Status == StatusDeleted {
		out.RestorableUntil = ca.RestorableUntil
	}
	if err := json.Unmarshal(ca.ConfigJSON, &out.CertificateAuthorityConfiguration); err != nil {
		return CertificateAuthority{}, fmt.Errorf("pca: stored configuration of %s: %w", ca.ARN, err)
	}
	if len(ca.RevocationJSON) > 0 {
		out.RevocationConfiguration = &RevocationConfiguration{}
		if err := json.Unmarshal(ca.RevocationJSON, out.RevocationConfiguration); err != nil {
			return CertificateAuthority{}, fmt.Errorf("pca: stored revocation configuration of %s: %w", ca.ARN, err)
		}
	}
	return out, nil
}

// effectiveStatus reports EXPIRED for an active or disabled CA whose
// certificate has lapsed: expiry is a fact of time, not a stored transition.
func (s *Service) effectiveStatus(ca store.CA) string {
	if (ca.Status == StatusActive || ca.Status == StatusDisabled) && !ca.NotAfter.IsZero() && s.clock.Now().After(ca.NotAfter) {
		return StatusExpired
	}
	return ca.Status
}

func (s *Service) DescribeCertificateAuthority(ctx context.Context, caller Caller, arn string) (CertificateAuthority, error) {
	ca, err := s.loadCA(ctx, s.store, caller, arn, ActionDescribeCertificateAuthority, nil)
	if err != nil {
		return CertificateAuthority{}, err
	}
	return s.describe(ca)
}

func (s *Service) ListCertificateAuthorities(ctx context.Context, caller Caller, in ListCertificateAuthoritiesInput) (ListCertificateAuthoritiesOutput, error) {
	limit := defaultListMaxResults
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return ListCertificateAuthoritiesOutput{}, err
	}
	out := ListCertificateAuthoritiesOutput{CertificateAuthorities: []CertificateAuthority{}}
	fetch := func(after int64, n int) ([]store.CA, error) {
		return s.store.ListCAs(ctx, caller.AccountID, s.region, after, n)
	}
	visible := func(ca store.CA) (bool, error) { return !s.purged(ca), nil }
	if in.ResourceOwner == "OTHER_ACCOUNTS" {
		fetch = func(after int64, n int) ([]store.CA, error) { return s.sharedCAs(ctx, caller, after, n) }
		visible = func(ca store.CA) (bool, error) {
			if s.purged(ca) {
				return false, nil
			}
			return s.policyAllows(ctx, s.store, ca, caller, ActionDescribeCertificateAuthority, nil)
		}
	}
	var lastSeq int64
	for {
		cas, err := fetch(after, limit+1)
		if err != nil {
			return ListCertificateAuthoritiesOutput{}, fmt.Errorf("pca: list: %w", err)
		}
		for _, ca := range cas {
			after = ca.Seq
			if ok, err := visible(ca); err != nil {
				return ListCertificateAuthoritiesOutput{}, err
			} else if !ok {
				continue
			}
			if len(out.CertificateAuthorities) == limit {
				out.NextToken = encodeToken(lastSeq)
				return out, nil
			}
			d, err := s.describe(ca)
			if err != nil {
				return ListCertificateAuthoritiesOutput{}, err
			}
			out.CertificateAuthorities = append(out.CertificateAuthorities, d)
			lastSeq = ca.Seq
		}
		if len(cas) < limit+1 {
			break
		}
	}
	return out, nil
}

func encodeToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		if v, ok := strings.CutPrefix(string(raw), "seq:"); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				return n, nil
			}
		}
	}
	return 0, fail(InvalidNextToken, "The token %q is not valid.", token)
}

func (s *Service) UpdateCertificateAuthority(ctx context.Context, caller Caller, in UpdateCertificateAuthorityInput) error {
	if in.Status != "" && in.Status != StatusActive && in.Status != StatusDisabled {
		return fail(InvalidArgs, "Status can only be updated to ACTIVE or DISABLED, not %s.", in.Status)
	}
	if err := checkRevocationConfiguration(in.RevocationConfiguration); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		if err := requireStatus(ca, StatusActive, StatusDisabled, StatusPendingCertificate, StatusExpired); err != nil {
			return err
		}
		if in.Status != "" && in.Status != ca.Status {
			if ca.Status != StatusActive && ca.Status != StatusDisabled {
				return fail(InvalidState, "The status of a certificate authority in the %s state cannot be changed to %s.", ca.Status, in.Status)
			}
			if in.Status == StatusActive && s.effectiveStatus(ca) == StatusExpired {
				return fail(InvalidState, "The certificate of certificate authority %s has expired; import a new one first.", ca.ARN)
			}
			ca.Status = in.Status
			ca.LastStateChangeAt = s.clock.Now().UTC()
		}
		if in.RevocationConfiguration != nil {
			if ca.RevocationJSON, err = json.Marshal(in.RevocationConfiguration); err != nil {
				return fmt.Errorf("pca: %w", err)
			}
		}
		return tx.UpdateCA(ctx, ca)
	})
}

func (s *Service) DeleteCertificateAuthority(ctx context.Context, caller Caller, in DeleteCertificateAuthorityInput) error {
	days := int32(defaultDeletionWindowDays)
	if in.PermanentDeletionTimeInDays != nil {
		days = *in.PermanentDeletionTimeInDays
	}
	if days < 7 || days > 30 {
		return fail(InvalidArgs, "PermanentDeletionTimeInDays must be between 7 and 30.")
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		if ca.Status == StatusActive && s.effectiveStatus(ca) == StatusActive {
			return fail(InvalidState, "The certificate authority %s is ACTIVE; disable it before deleting it.", ca.ARN)
		}
		if ca.Status == StatusDeleted {
			return fail(InvalidState, "The certificate authority %s is already deleted.", ca.ARN)
		}
		now := s.clock.Now().UTC()
		ca.StatusBeforeDeletion = ca.Status
		ca.Status = StatusDeleted
		ca.LastStateChangeAt = now
		ca.RestorableUntil = now.Add(time.Duration(days) * 24 * time.Hour)
		return tx.UpdateCA(ctx, ca)
	})
}

func (s *Service) RestoreCertificateAuthority(ctx context.Context, caller Caller, arn string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, arn, "", nil)
		if err != nil {
			return err
		}
		if err := requireStatus(ca, StatusDeleted); err != nil {
			return err
		}
		ca.Status, ca.StatusBeforeDeletion = ca.StatusBeforeDeletion, ""
		ca.RestorableUntil = time.Time{}
		ca.LastStateChangeAt = s.clock.Now().UTC()
		return tx.UpdateCA(ctx, ca)
	})
}

func (s *Service) TagCertificateAuthority(ctx context.Context, caller Caller, in TagsInput) error {
	if err := checkTags(in.Tags); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		existing, err := tx.ListTags(ctx, ca.ID)
		if err != nil {
			return err
		}
		keys := map[string]bool{}
		for _, t := range existing {
			keys[t.Key] = true
		}
		for _, t := range in.Tags {
			keys[t.Key] = true
		}
		if len(keys) > maxTags {
			return fail(TooManyTags, "A certificate authority can have at most %d tags.", maxTags)
		}
		return tx.PutTags(ctx, ca.ID, storeTags(in.Tags))
	})
}

func (s *Service) UntagCertificateAuthority(ctx context.Context, caller Caller, in TagsInput) error {
	if err := checkTags(in.Tags); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ca, err := s.loadCA(ctx, tx, caller, in.CertificateAuthorityArn, "", nil)
		if err != nil {
			return err
		}
		return tx.DeleteTags(ctx, ca.ID, storeTags(in.Tags))
	})
}

func (s *Service) ListTags(ctx context.Context, caller Caller, in ListTagsInput) (ListTagsOutput, error) {
	ca, err := s.loadCA(ctx, s.store, caller, in.CertificateAuthorityArn, ActionListTags, nil)
	if err != nil {
		return ListTagsOutput{}, err
	}
	tags, err := s.store.ListTags(ctx, ca.ID)
	if err != nil {
		return ListTagsOutput{}, fmt.Errorf("pca: list tags: %w", err)
	}
	start, err := decodeToken(in.NextToken)
	if err != nil {
		return ListTagsOutput{}, err
	}
	limit := int64(defaultListMaxResults)
	if in.MaxResults != nil {
		limit = int64(*in.MaxResults)
	}
	out := ListTagsOutput{Tags: []Tag{}}
	for i := start; i < int64(len(tags)); i++ {
		if int64(len(out.Tags)) == limit {
			out.NextToken = encodeToken(i)
			break
		}
		out.Tags = append(out.Tags, Tag{Key: tags[i].Key, Value: tags[i].Value})
	}
	return out, nil
}
