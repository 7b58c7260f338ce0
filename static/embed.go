// Package static holds the CSS, the small app script and the vendored htmx,
// embedded into the binary and served under content-hashed URLs.
//
// htmx: htmx.org 2.0.11 from npm, file dist/htmx.min.js, sha256
// d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
// (checked by TestVendoredHTMX). Stay on 2.0.x: htmx 4 drops options the CSP
// relies on.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed *.js *.css *.svg
var FS embed.FS

// HTMX is the file name of the vendored htmx.
const HTMX = "htmx-2.0.11.min.js"

// HTMXSHA256 is the recorded checksum of the vendored htmx.
const HTMXSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

// Hashes maps each file name to the first 12 hex digits of its sha256, the
// version part of its URL.
func Hashes() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return out, err
}
