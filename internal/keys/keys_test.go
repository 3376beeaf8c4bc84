package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSoftwareWrapsAndUnwraps(t *testing.T) {
	kek := bytes.Repeat([]byte{1}, 32)
	for _, alg := range []Algorithm{ECP256, ECP384, ECP521, RSA2048} {
		t.Run(string(alg), func(t *testing.T) {
			b, err := NewSoftware(kek)
			if err != nil {
				t.Fatal(err)
			}
			handle, signer, err := b.Create(context.Background(), alg, []byte("ca-1"))
			if err != nil {
				t.Fatal(err)
			}
			// A fresh backend (no cache) under the same KEK unwraps the same key.
			fresh, _ := NewSoftware(kek)
			again, err := fresh.Signer(context.Background(), handle, []byte("ca-1"))
			if err != nil {
				t.Fatal(err)
			}
			digest := sha256.Sum256([]byte("message"))
			sig, err := again.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil || len(sig) == 0 {
				t.Fatalf("sign: %v", err)
			}
			if !bytes.Equal(mustPublic(t, signer), mustPublic(t, again)) {
				t.Fatal("unwrapped key differs")
			}
			if _, err := fresh.Signer(context.Background(), handle, []byte("ca-2")); err == nil {
				t.Fatal("a handle bound to ca-1 unwrapped for ca-2")
			}
			other, _ := NewSoftware(bytes.Repeat([]byte{2}, 32))
			if _, err := other.Signer(context.Background(), handle, []byte("ca-1")); err == nil {
				t.Fatal("a handle unwrapped under another KEK")
			}
		})
	}
}

func mustPublic(t *testing.T, s crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestUnsupportedAlgorithm(t *testing.T) {
	b, _ := NewSoftware(bytes.Repeat([]byte{1}, 32))
	if _, _, err := b.Create(context.Background(), "SM2", nil); err == nil {
		t.Fatal("SM2 key generated")
	}
}

func TestLoadKEK(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadKEK(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KEKFileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("kek file mode: %v %v", info, err)
	}
	second, err := LoadKEK(dir, "")
	if err != nil || !bytes.Equal(first, second) {
		t.Fatal("second load returned another key")
	}
	fromEnv, err := LoadKEK(dir, strings.Repeat("ab", 32))
	if err != nil || fromEnv[0] != 0xab {
		t.Fatalf("env KEK: %v", err)
	}
	if _, err := LoadKEK(dir, "short"); err == nil {
		t.Fatal("a short KEK was accepted")
	}
}
