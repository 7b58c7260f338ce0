package webtest

import (
	"net"
	"net/http/httptest"
	"net/url"
	"testing"

	"reviewq/store"
	"reviewq/web"
)

// StartBehindProxy runs a server on st that trusts X-Forwarded-For from
// loopback, as behind the deployed proxy, so a test can speak from many
// client addresses (Client.PostFormFrom).
func StartBehindProxy(t testing.TB, st *store.Store) *Env {
	t.Helper()
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	srv, err := web.New(st, web.Config{SessionSecret: Secret, Logger: testLogger(), TrustedProxies: []*net.IPNet{loopback}})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	hs := httptest.NewServer(srv.Echo)
	t.Cleanup(hs.Close)
	return &Env{URL: hs.URL, Store: st, Server: srv}
}

// PostFormFrom is PostForm sent on behalf of client address addr (the
// X-Forwarded-For a trusting server believes).
func (c *Client) PostFormFrom(addr, path string, v url.Values) *Response {
	c.t.Helper()
	req := c.formRequest(path, v)
	req.Header.Set("X-Forwarded-For", addr)
	return c.do(req)
}
