package webtest

import (
	"net/http/httptest"
	"testing"

	"reviewq/store"
	"reviewq/web"
)

// StartConfig runs a server on st with cfg (the test secret and a quiet
// logger filled in when unset), e.g. with single sign-on configured.
func StartConfig(t testing.TB, st *store.Store, cfg web.Config) *Env {
	t.Helper()
	if cfg.SessionSecret == nil {
		cfg.SessionSecret = Secret
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	srv, err := web.New(st, cfg)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	hs := httptest.NewServer(srv.Echo)
	t.Cleanup(hs.Close)
	return &Env{URL: hs.URL, Store: st, Server: srv}
}
