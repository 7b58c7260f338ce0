// Package webtest starts the real server over real HTTP against a real
// database (storetest) and gives tests a browser-like client: cookie jar,
// CSRF token taken from the page like a browser would, htmx headers.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web"
)

// Env is a running server and its store.
type Env struct {
	URL    string
	Store  *store.Store
	Server *web.Server
}

// Secret is the session secret test servers use.
var Secret = []byte("test-secret-test-secret-test-secret-0123456789")

// Start runs a server on a fresh database of dialect d.
func Start(t testing.TB, d store.Dialect) *Env {
	t.Helper()
	return StartStore(t, storetest.Open(t, d))
}

// StartStore runs a server on an existing store.
func StartStore(t testing.TB, st *store.Store) *Env {
	t.Helper()
	return startLogger(t, st, testLogger())
}

// StartLogging runs a server on st whose log (debug and up; JSON or text)
// is kept for the test to read.
func StartLogging(t testing.TB, st *store.Store, json bool) (*Env, *LogBuffer) {
	t.Helper()
	logs := &LogBuffer{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	var h slog.Handler = slog.NewTextHandler(logs, opts)
	if json {
		h = slog.NewJSONHandler(logs, opts)
	}
	return startLogger(t, st, slog.New(h)), logs
}

func startLogger(t testing.TB, st *store.Store, log *slog.Logger) *Env {
	t.Helper()
	// The listener first: the server's BaseURL is its address.
	hs := httptest.NewUnstartedServer(nil)
	srv, err := web.New(st, web.Config{SessionSecret: Secret, Logger: log, BaseURL: "http://" + hs.Listener.Addr().String()})
	if err != nil {
		hs.Close()
		t.Fatalf("web.New: %v", err)
	}
	hs.Config.Handler = srv.Echo
	hs.Start()
	t.Cleanup(hs.Close)
	return &Env{URL: hs.URL, Store: st, Server: srv}
}

// Client is one browser: its own cookies and CSRF token.
type Client struct {
	t    testing.TB
	env  *Env
	HTTP *http.Client
	CSRF string
}

// NewClient is an anonymous browser that does not follow redirects.
func (e *Env) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, env: e, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Response is a read response.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"|X-CSRF-Token&#34;:&#34;([^&]+)&#34;`)

func (c *Client) do(req *http.Request) *Response {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if m := csrfRe.FindStringSubmatch(r.Body); m != nil {
		c.CSRF = html.UnescapeString(m[1] + m[2])
	}
	return r
}

// Get fetches a path like a browser navigation.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.env.URL+path, nil)
	return c.do(req)
}

// PostForm posts a form with the page's CSRF token (a plain form submit).
func (c *Client) PostForm(path string, v url.Values) *Response {
	c.t.Helper()
	return c.do(c.formRequest(path, v))
}

// formRequest is a form POST carrying the page's CSRF token unless v has one.
func (c *Client) formRequest(path string, v url.Values) *http.Request {
	if v == nil {
		v = url.Values{}
	}
	if v.Get("csrf") == "" && c.CSRF != "" {
		v.Set("csrf", c.CSRF)
	}
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// HTMX sends a request as htmx does: HX-Request and the CSRF header.
func (c *Client) HTMX(method, path string, v url.Values) *Response {
	c.t.Helper()
	var body io.Reader
	if v != nil {
		body = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, c.env.URL+path, body)
	req.Header.Set("HX-Request", "true")
	if v != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	return c.do(req)
}

// JSON sends a JSON request with an optional bearer token ("" uses the
// session and CSRF header instead).
func (c *Client) JSON(method, path, token string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, c.env.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	return c.do(req)
}

// Login signs in through the login form and fails the test if it does not work.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	c.Get("/login")
	r := c.PostForm("/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d", email, r.Status)
	}
	c.Get("/dashboard/review-queue")
}

// LoggedIn returns a client logged in as a new account of role.
func (e *Env) LoggedIn(t testing.TB, role string) (*Client, *store.Operator) {
	t.Helper()
	op := storetest.Operator(t, e.Store, role+"-"+store.RandomToken(4)+"@example.com", role)
	c := e.NewClient(t)
	c.Login(op.Email, storetest.Password(role))
	return c, op
}

// Token creates an API token with scopes and returns its secret.
func (e *Env) Token(t testing.TB, scopes ...string) string {
	t.Helper()
	_, secret, err := e.Store.CreateToken(context.Background(), store.SystemActor, "", "test", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// DecodeJSON parses a response body into v.
func DecodeJSON(t testing.TB, r *Response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Form is a shorthand for url.Values.
func Form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// testLogger discards the server's log unless REVIEWQ_TEST_LOG=1.
func testLogger() *slog.Logger {
	if os.Getenv("REVIEWQ_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// FreeAddr is a loopback address with a port nothing listens on now, for a
// process the test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// LogBuffer is a log sink the server's goroutines may share; String reads
// what was logged so far.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
