package pca

import (
	"strconv"
	"time"
)

// backdate is how far before issuance AWS Private CA starts a certificate's
// validity by default, to absorb clock skew between systems.
const backdate = time.Hour

// shortLivedMax caps validity for SHORT_LIVED_CERTIFICATE CAs.
const shortLivedMax = 7 * 24 * time.Hour

// resolveTime turns an AWS Validity into an instant relative to now.
func resolveTime(v Validity, now time.Time, field string) (time.Time, error) {
	if v.Value <= 0 {
		return time.Time{}, fail(InvalidArgs, "%s.Value must be positive.", field)
	}
	switch v.Type {
	case "DAYS":
		return now.AddDate(0, 0, int(min(v.Value, 1<<20))), nil
	case "MONTHS":
		return now.AddDate(0, int(min(v.Value, 1<<16)), 0), nil
	case "YEARS":
		return now.AddDate(int(min(v.Value, 1<<12)), 0, 0), nil
	case "ABSOLUTE":
		return time.Unix(v.Value, 0).UTC(), nil
	case "END_DATE":
		t, err := time.Parse("20060102150405", strconv.FormatInt(v.Value, 10))
		if err != nil {
			return time.Time{}, fail(InvalidArgs, "%s.Value %d is not a date in the form YYYYMMDDHHMMSS.", field, v.Value)
		}
		return t, nil
	}
	return time.Time{}, fail(InvalidArgs, "%s.Type %q is not valid.", field, v.Type)
}

// validityWindow computes NotBefore and NotAfter for an issuance request.
func validityWindow(in IssueCertificateInput, now time.Time, usageMode string, issuerNotBefore, issuerNotAfter time.Time) (time.Time, time.Time, error) {
	notAfter, err := resolveTime(in.Validity, now, "Validity")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	notBefore := now.Add(-backdate)
	if in.ValidityNotBefore != nil {
		if in.ValidityNotBefore.Type != "ABSOLUTE" && in.ValidityNotBefore.Type != "END_DATE" {
			return time.Time{}, time.Time{}, fail(InvalidArgs, "ValidityNotBefore.Type must be ABSOLUTE or END_DATE.")
		}
		if notBefore, err = resolveTime(*in.ValidityNotBefore, now, "ValidityNotBefore"); err != nil {
			return time.Time{}, time.Time{}, err
		}
	} else if !issuerNotBefore.IsZero() && notBefore.Before(issuerNotBefore) {
		notBefore = issuerNotBefore
	}
	if !notAfter.After(now) {
		return time.Time{}, time.Time{}, fail(InvalidArgs, "The validity period ends in the past.")
	}
	if !notAfter.After(notBefore) {
		return time.Time{}, time.Time{}, fail(InvalidArgs, "The validity period ends before it begins.")
	}
	if !issuerNotAfter.IsZero() && notAfter.After(issuerNotAfter) {
		return time.Time{}, time.Time{}, fail(InvalidArgs,
			"The certificate validity specified exceeds the certificate authority validity (%s).", issuerNotAfter.UTC().Format(time.RFC3339))
	}
	if usageMode == "SHORT_LIVED_CERTIFICATE" && notAfter.Sub(now) > shortLivedMax {
		return time.Time{}, time.Time{}, fail(InvalidArgs, "A SHORT_LIVED_CERTIFICATE certificate authority issues certificates valid for at most 7 days.")
	}
	return notBefore.UTC().Truncate(time.Second), notAfter.UTC().Truncate(time.Second), nil
}
