package pca

import (
	"testing"
	"time"
)

func TestNormalizeSerial(t *testing.T) {
	want := "000000000000000000000000000001a2"
	for _, in := range []string{"1a2", "01:A2", "01:a2", "  1A2 ", "0000000000000000000000000000001a2"[1:]} {
		if got, ok := normalizeSerial(in); !ok || got != want {
			t.Errorf("normalizeSerial(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "xyz", "0", "-1", "123456789012345678901234567890123"} {
		if _, ok := normalizeSerial(bad); ok {
			t.Errorf("normalizeSerial(%q) accepted", bad)
		}
	}
}

func TestParseCAARN(t *testing.T) {
	good := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"
	if a, err := parseCAARN(good); err != nil || a.String() != good {
		t.Fatalf("%v %v", a, err)
	}
	for _, bad := range []string{"", "arn:aws:acm-pca:us-east-1:0:certificate-authority/11111111-2222-3333-4444-555555555555",
		"arn:aws:acm:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555",
		"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-55555555555X",
		"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555/certificate/00",
		"arn:aws:acm-pca::000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"} {
		if _, err := parseCAARN(bad); KindOf(err) != InvalidArn {
			t.Errorf("parseCAARN(%q) = %v", bad, err)
		}
	}
}

func TestValidityWindow(t *testing.T) {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	caNotAfter := now.AddDate(2, 0, 0)
	cases := []struct {
		name         string
		in           IssueCertificateInput
		usage        string
		wantNotAfter time.Time
		wantKind     Kind
	}{
		{"ok/days", IssueCertificateInput{Validity: Validity{Value: 10, Type: "DAYS"}}, "", now.AddDate(0, 0, 10), ""},
		{"ok/months", IssueCertificateInput{Validity: Validity{Value: 1, Type: "MONTHS"}}, "", now.AddDate(0, 1, 0), ""},
		{"ok/end date", IssueCertificateInput{Validity: Validity{Value: 20270101000000, Type: "END_DATE"}}, "", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"ok/absolute", IssueCertificateInput{Validity: Validity{Value: now.Add(time.Hour).Unix(), Type: "ABSOLUTE"}}, "", now.Add(time.Hour), ""},
		{"fail/beyond the CA", IssueCertificateInput{Validity: Validity{Value: 3, Type: "YEARS"}}, "", time.Time{}, InvalidArgs},
		{"fail/in the past", IssueCertificateInput{Validity: Validity{Value: now.Add(-time.Hour).Unix(), Type: "ABSOLUTE"}}, "", time.Time{}, InvalidArgs},
		{"fail/bad end date", IssueCertificateInput{Validity: Validity{Value: 20271399000000, Type: "END_DATE"}}, "", time.Time{}, InvalidArgs},
		{"fail/short-lived over 7 days", IssueCertificateInput{Validity: Validity{Value: 8, Type: "DAYS"}}, "SHORT_LIVED_CERTIFICATE", time.Time{}, InvalidArgs},
		{"ok/short-lived 7 days", IssueCertificateInput{Validity: Validity{Value: 7, Type: "DAYS"}}, "SHORT_LIVED_CERTIFICATE", now.AddDate(0, 0, 7), ""},
		{"fail/not-before as days", IssueCertificateInput{Validity: Validity{Value: 7, Type: "DAYS"}, ValidityNotBefore: &Validity{Value: 1, Type: "DAYS"}}, "", time.Time{}, InvalidArgs},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nb, na, err := validityWindow(tc.in, now, tc.usage, now.AddDate(-1, 0, 0), caNotAfter)
			if KindOf(err) != tc.wantKind {
				t.Fatalf("err %v, want kind %q", err, tc.wantKind)
			}
			if err == nil && (!na.Equal(tc.wantNotAfter) || !nb.Equal(now.Add(-backdate))) {
				t.Fatalf("window %v – %v", nb, na)
			}
		})
	}
}
