package static

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestVendoredHTMX(t *testing.T) {
	b, err := FS.ReadFile(HTMX)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != HTMXSHA256 {
		t.Fatalf("vendored htmx changed: sha256 %s, recorded %s", got, HTMXSHA256)
	}
}
