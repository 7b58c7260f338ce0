package web

import (
	"sync"
	"time"
)

// decodedCookies remembers what recent session cookies decoded to (the
// session token and the CSRF seed), keyed by the cookie's exact text.
// Decoding — an HMAC check, AES and gob — was 8% of a queue page's CPU. The
// cookie text is authenticated once, when first decoded; whether its session
// is live is still asked of the database on every request, so logout and
// deactivation end it at once. Entries live a minute; the map is bounded.
type decodedCookies struct {
	mu      sync.Mutex
	entries map[string]decodedCookie
}

type decodedCookie struct {
	sid, csrf string
	at        time.Time
}

const (
	decodedCookieTTL = time.Minute
	maxDecodedCookie = 4096
)

func (d *decodedCookies) get(raw string) (decodedCookie, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[raw]
	if !ok || time.Since(e.at) > decodedCookieTTL {
		return decodedCookie{}, false
	}
	return e, true
}

func (d *decodedCookies) put(raw string, e decodedCookie) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.entries == nil || len(d.entries) >= maxDecodedCookie {
		d.entries = make(map[string]decodedCookie)
	}
	e.at = time.Now()
	d.entries[raw] = e
}
