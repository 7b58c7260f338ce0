package main

import (
	"strings"
	"testing"
)

func TestBaseURLAndProbeSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := LoadConfig(env("REVIEWQ_ADDR", "10.0.0.11:8080", "REVIEWQ_BASE_URL", "https://reviewq.example.com/"))
	if err != nil || c.BaseURL != "https://reviewq.example.com" || !c.ListensBeyondLoopback() {
		t.Fatalf("%+v %v", c, err)
	}
	// Unset: loopback gets its own address, anything else none (never the request's Host).
	if c, _ := LoadConfig(env()); c.BaseURL != "http://127.0.0.1:8080" || c.ListensBeyondLoopback() {
		t.Fatalf("loopback default: %q", c.BaseURL)
	}
	if c, _ := LoadConfig(env("REVIEWQ_ADDR", "0.0.0.0:8080")); c.BaseURL != "" || !c.ListensBeyondLoopback() {
		t.Fatalf("beyond loopback without REVIEWQ_BASE_URL: %q", c.BaseURL)
	}
	for _, bad := range []string{"reviewq.example.com", "ftp://x", "https://", "https://u:p@x", "https://x/?a=b", "https://x/#f", "javascript:alert(1)"} {
		if _, err := LoadConfig(env("REVIEWQ_BASE_URL", bad)); err == nil || !strings.Contains(err.Error(), "REVIEWQ_BASE_URL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
