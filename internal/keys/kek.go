package keys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KEKFileName is the key-encryption key's file inside the data directory.
const KEKFileName = "kek"

// LoadKEK returns the key-encryption key: from fromEnv when it is set
// (64 hex digits or standard base64 of 32 bytes), else from DATA_DIR/kek,
// creating that file with mode 0600 on first use.
func LoadKEK(dataDir, fromEnv string) ([]byte, error) {
	if fromEnv != "" {
		return decodeKEK(strings.TrimSpace(fromEnv))
	}
	path := filepath.Join(dataDir, KEKFileName)
	raw, err := os.ReadFile(path)
	if err == nil {
		return decodeKEK(strings.TrimSpace(string(raw)))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("keys: read %s: %w", path, err)
	}
	kek := make([]byte, kekLength)
	if _, err := rand.Read(kek); err != nil {
		return nil, fmt.Errorf("keys: generate key-encryption key: %w", err)
	}
	// O_EXCL: when two processes start on a fresh directory, the loser
	// reads the winner's key instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKEK(dataDir, "")
	}
	if err != nil {
		return nil, fmt.Errorf("keys: create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(kek) + "\n"); err != nil {
		return nil, fmt.Errorf("keys: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("keys: sync %s: %w", path, err)
	}
	return kek, nil
}

func decodeKEK(text string) ([]byte, error) {
	if b, err := hex.DecodeString(text); err == nil && len(b) == kekLength {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil && len(b) == kekLength {
		return b, nil
	}
	return nil, fmt.Errorf("keys: key-encryption key must be 32 bytes as 64 hex digits or base64")
}
