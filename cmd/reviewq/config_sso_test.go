package main

import (
	"strings"
	"testing"
)

func TestConfigSingleSignOn(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := LoadConfig(env())
	if err != nil || c.OIDC().Issuer != "" {
		t.Fatalf("no sso configured: %+v %v", c.OIDC(), err)
	}
	c, err = LoadConfig(env("REVIEWQ_OIDC_ISSUER", "https://id.example.com/", "REVIEWQ_OIDC_CLIENT_ID", "rq",
		"REVIEWQ_OIDC_CLIENT_SECRET", "s3cret", "REVIEWQ_OIDC_NAME", "Example ID", "REVIEWQ_BASE_URL", "https://reviewq.example.com/"))
	o := c.OIDC()
	if err != nil || o.Issuer != "https://id.example.com/" || o.ClientID != "rq" || o.ClientSecret != "s3cret" ||
		o.Name != "Example ID" || o.BaseURL != "https://reviewq.example.com" {
		t.Fatalf("sso config: %+v %v", o, err)
	}
	for _, bad := range [][]string{
		{"REVIEWQ_OIDC_ISSUER", "https://id.example.com"}, // no client
		{"REVIEWQ_OIDC_ISSUER", "http://id.example.com", "REVIEWQ_OIDC_CLIENT_ID", "rq", "REVIEWQ_OIDC_CLIENT_SECRET", "s"},
		{"REVIEWQ_OIDC_NAME", "Example ID"},
		{"REVIEWQ_BASE_URL", "reviewq.example.com"},
		{"REVIEWQ_BASE_URL", "https://reviewq.example.com/?x=1"},
	} {
		if _, err := LoadConfig(env(bad...)); err == nil || !strings.Contains(err.Error(), "REVIEWQ_") {
			t.Errorf("%v: accepted (%v)", bad, err)
		}
	}
	// Plain http is fine for a provider on this machine (development).
	if _, err := LoadConfig(env("REVIEWQ_OIDC_ISSUER", "http://127.0.0.1:5556", "REVIEWQ_OIDC_CLIENT_ID", "rq", "REVIEWQ_OIDC_CLIENT_SECRET", "s")); err != nil {
		t.Fatal(err)
	}
}
