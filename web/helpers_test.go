package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"reviewq/web/webtest"
)

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// walkPages follows a keyset-paginated list from first through the links
// nextRe captures, collecting what itemRe captures on each page; a page
// that is not 200 or an item listed twice fails the test.
func walkPages(t *testing.T, c *webtest.Client, first string, itemRe, nextRe *regexp.Regexp) (pages int, items map[string]bool) {
	t.Helper()
	items = map[string]bool{}
	for next := first; next != ""; {
		r := c.Get(next)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", next, r.Status)
		}
		pages++
		for _, m := range itemRe.FindAllStringSubmatch(r.Body, -1) {
			if items[m[1]] {
				t.Fatalf("%s listed twice", m[1])
			}
			items[m[1]] = true
		}
		next = ""
		if m := nextRe.FindStringSubmatch(r.Body); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	return pages, items
}
