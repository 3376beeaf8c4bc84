// Package keys generates CA private keys and keeps them encrypted at rest.
//
// A key never leaves this package as bytes: callers get an opaque handle to
// persist and a crypto.Signer to sign with. The software backend wraps the
// PKCS#8 encoding with AES-256-GCM under a key-encryption key (KEK); a PKCS#11
// backend can implement the same Backend interface with a label as its handle.
package keys

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Algorithm is an AWS Private CA KeyAlgorithm value.
type Algorithm string

const (
	RSA2048   Algorithm = "RSA_2048"
	RSA3072   Algorithm = "RSA_3072"
	RSA4096   Algorithm = "RSA_4096"
	ECP256    Algorithm = "EC_prime256v1"
	ECP384    Algorithm = "EC_secp384r1"
	ECP521    Algorithm = "EC_secp521r1"
	kekLength           = 32
)

// ErrUnsupportedAlgorithm reports a key algorithm this backend cannot generate.
var ErrUnsupportedAlgorithm = errors.New("keys: unsupported key algorithm")

// Backend creates keys and hands out signers for them.
//
// The aad binds a wrapped key to its owner (the CA ARN) so that a handle
// copied onto another CA's row does not decrypt.
type Backend interface {
	Create(ctx context.Context, alg Algorithm, aad []byte) (handle []byte, signer crypto.Signer, err error)
	Signer(ctx context.Context, handle, aad []byte) (crypto.Signer, error)
}

// Software is a Backend that wraps keys with AES-256-GCM under a KEK.
//
// Unwrapped signers are cached by handle: parsing an RSA key costs far more
// than one signature. The cache is safe for concurrent use.
type Software struct {
	aead  cipher.AEAD
	rand  io.Reader
	cache sync.Map // cacheKey(handle, aad) -> crypto.Signer
}

var _ Backend = (*Software)(nil)

// NewSoftware returns a software backend under the given 32-byte KEK.
func NewSoftware(kek []byte) (*Software, error) {
	if len(kek) != kekLength {
		return nil, fmt.Errorf("keys: key-encryption key must be %d bytes, got %d", kekLength, len(kek))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return &Software{aead: aead, rand: rand.Reader}, nil
}

// Generate makes a new private key of the given algorithm.
func Generate(alg Algorithm, random io.Reader) (crypto.Signer, error) {
	switch alg {
	case RSA2048:
		return rsa.GenerateKey(random, 2048)
	case RSA3072:
		return rsa.GenerateKey(random, 3072)
	case RSA4096:
		return rsa.GenerateKey(random, 4096)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), random)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), random)
	case ECP521:
		return ecdsa.GenerateKey(elliptic.P521(), random)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, alg)
}

func (s *Software) Create(_ context.Context, alg Algorithm, aad []byte) ([]byte, crypto.Signer, error) {
	signer, err := Generate(alg, s.rand)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: marshal: %w", err)
	}
	handle, err := s.seal(der, aad)
	if err != nil {
		return nil, nil, err
	}
	s.cache.Store(cacheKey(handle, aad), signer)
	return handle, signer, nil
}

func (s *Software) Signer(_ context.Context, handle, aad []byte) (crypto.Signer, error) {
	key := cacheKey(handle, aad)
	if cached, ok := s.cache.Load(key); ok {
		return cached.(crypto.Signer), nil
	}
	der, err := s.open(handle, aad)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: parse unwrapped key: %w", err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: unwrapped key of type %T cannot sign", parsed)
	}
	s.cache.Store(key, signer)
	return signer, nil
}

func (s *Software) seal(plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("keys: nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, aad), nil
}

func (s *Software) open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("keys: wrapped key too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, errors.New("keys: wrapped key does not decrypt under this key-encryption key")
	}
	return plain, nil
}

// Seal and Open expose the KEK envelope for other secrets kept at rest
// (access keys, connection credentials) so they share one key and one format.
func (s *Software) Seal(plain, aad []byte) ([]byte, error)  { return s.seal(plain, aad) }
func (s *Software) Open(sealed, aad []byte) ([]byte, error) { return s.open(sealed, aad) }

// cacheKey covers the aad too, so a cached signer is only handed out to the
// owner the handle was sealed for.
func cacheKey(handle, aad []byte) string {
	h := sha256.New()
	h.Write(aad)
	h.Write([]byte{0})
	h.Write(handle)
	return string(h.Sum(nil))
}
