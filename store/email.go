package store

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail is the one form of an email reviewq stores, looks up and
// counts failed logins under: surrounding white space trimmed, lower-case,
// Unicode NFC. It refuses (ok false) what is not a plain address or could
// pass for another one: invalid UTF-8, control characters (NUL, \x01, tab
// inside), invisible format characters (zero-width space, BOM, bidi
// controls), the fullwidth and halfwidth forms block (fullwidth "ｏ", "＠",
// "．"), a display name, more than 254 bytes. The database compares the
// result byte for byte (utf8mb4_bin on MySQL), so what MySQL's
// utf8mb4_unicode_ci would have folded together stays apart.
func NormalizeEmail(raw string) (string, bool) {
	e := strings.TrimSpace(raw)
	if e == "" || len(e) > 254 || !utf8.ValidString(e) {
		return "", false
	}
	if strings.ContainsFunc(e, lookalikeRune) {
		return "", false
	}
	e = norm.NFC.String(strings.ToLower(e))
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
		return "", false
	}
	return e, true
}

// lookalikeRune is a character an email must not hold: one that is
// invisible, or that a case- and accent-insensitive collation reads as
// another character.
func lookalikeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) ||
		(r >= 0xFF00 && r <= 0xFFEF) || r == utf8.RuneError || unicode.Is(unicode.Co, r)
}
