package web

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeStrict: any body either decodes or is a client error (400 or
// 413) whose message shows no Go internals; never a panic, never a 500.
// The seeds run in every `go test`; `go test -fuzz FuzzDecodeStrict ./web/`
// explores further.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"external_id":"A-1","name":"Ann","score":95,"tags":["x"],"message":{"subject":"Hi","body":null}}`,
		``, `{}`, `[]`, `null`, `{"external_id":`, `{"score":"high"}`, `{"score":1e400}`, `{"score":-0.5}`,
		`{"scroe":1}`, `{"external_id":"x"} {}`, `{"external_id":"x"} trailing`, `{"tags":[1,2]}`,
		`{"message":{"subject":7}}`, `{"message":[]}`, "\xff\xfe{}", `{"external_id":"\ud800"}`,
		`{"external_id":"x","external_id":"y"}`, strings.Repeat("[", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var lead leadBody
		err := decodeStrict(strings.NewReader(body), &lead, false)
		if err == nil {
			return
		}
		var he *HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("%q: not an HTTPError: %v", body, err)
		}
		if he.Status != http.StatusBadRequest && he.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("%q: status %d", body, he.Status)
		}
		if strings.HasPrefix(he.Message, "unknown field ") {
			return // it quotes the client's own field name back
		}
		for _, leak := range []string{"json:", "Go value", "main.", "web.", "reflect", "struct"} {
			if strings.Contains(he.Message, leak) {
				t.Fatalf("%q: message leaks internals: %q", body, he.Message)
			}
		}
		// The other request bodies decode the same way.
		for _, v := range []any{&flagBody{}, &scoreBody{}, &qualityBody{}, &eligibilityBody{}, &approveBody{}, &reasonBody{}} {
			if err := decodeStrict(strings.NewReader(body), v, true); err != nil && !errors.As(err, &he) {
				t.Fatalf("%q into %T: %v", body, v, err)
			}
		}
	})
}
