package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Secrets the application must read back (a TOTP secret, a webhook's
// signing secret) are kept in the database sealed: AES-256-GCM under a key
// derived from the deployment's key material (REVIEWQ_SESSION_SECRET), so a
// copy of the database alone does not give them away.

// sealedPrefix starts every sealed value: the format's version.
const sealedPrefix = "v1:"

// ErrCannotOpen is a sealed value this key does not open (the key material
// changed, or the value is damaged).
var ErrCannotOpen = errors.New("sealed secret: cannot be opened with this REVIEWQ_SESSION_SECRET")

// DeriveKey derives a 32-byte key for one purpose (label) from the
// deployment's key material.
func DeriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("reviewq:" + label))
	return m.Sum(nil)
}

// SealSecret encrypts plaintext under key (32 bytes), bound to aad (what the
// value is: a sealed TOTP secret does not open as a webhook secret).
func SealSecret(key []byte, plaintext, aad string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))), nil
}

// OpenSealed decrypts a value made by SealSecret with the same key and aad.
func OpenSealed(key []byte, sealed, aad string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if !ok || err != nil {
		return "", errors.New("sealed secret: unknown format")
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	if len(b) < aead.NonceSize() {
		return "", ErrCannotOpen
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", ErrCannotOpen
	}
	return string(plain), nil
}

// IsSealed reports whether a stored value is sealed (not plain text from a
// release that stored it so).
func IsSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
