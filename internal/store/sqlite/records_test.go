package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store"
)

// GetCAState returns exactly the identity and lifecycle fields of the row
// GetCA returns, inside and outside a transaction, and ErrNotFound alike.
func TestGetCAStateMatchesGetCA(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	now := time.Unix(1_700_000_000, 0).UTC()
	ca := store.CA{ID: "ca1", AccountID: "111122223333", Region: "eu-west-1", ARN: "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/ca1",
		Type: "SUBORDINATE", Status: "DELETED", ConfigJSON: []byte(`{"KeyAlgorithm":"EC_prime256v1"}`), RevocationJSON: []byte(`{}`),
		KeyHandle: []byte("k"), CSRPEM: "csr", CertificatePEM: "cert", ChainPEM: "chain", NotBefore: now,
		NotAfter: now.Add(time.Hour), CreatedAt: now, LastStateChangeAt: now, RestorableUntil: now.Add(7 * 24 * time.Hour)}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.InsertCA(ctx, ca) }); err != nil {
		t.Fatal(err)
	}
	full, err := st.GetCA(ctx, "ca1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.CA{ID: full.ID, AccountID: full.AccountID, Region: full.Region, ARN: full.ARN, Type: full.Type,
		Status: full.Status, NotAfter: full.NotAfter, RestorableUntil: full.RestorableUntil}
	check := func(where string, got store.CA, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if !got.NotAfter.Equal(want.NotAfter) || !got.RestorableUntil.Equal(want.RestorableUntil) {
			t.Fatalf("%s: times %v %v, want %v %v", where, got.NotAfter, got.RestorableUntil, want.NotAfter, want.RestorableUntil)
		}
		got.NotAfter, got.RestorableUntil = want.NotAfter, want.RestorableUntil
		if got.ID != want.ID || got.AccountID != want.AccountID || got.Region != want.Region || got.ARN != want.ARN ||
			got.Type != want.Type || got.Status != want.Status || got.CertificatePEM != "" || got.ConfigJSON != nil {
			t.Fatalf("%s: %+v, want %+v", where, got, want)
		}
	}
	got, err := st.GetCAState(ctx, "ca1")
	check("read pool", got, err)
	err = st.Update(ctx, func(tx store.Tx) error {
		got, err := tx.GetCAState(ctx, "ca1")
		check("transaction", got, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetCAState(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing CA: %v", err)
	}
}
