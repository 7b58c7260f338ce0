// Package web is the HTTP side of reviewq: one route table (routes.go),
// middleware, page and htmx handlers, and the JSON API. Handlers stay small:
// parse, call the store, render a view model.
package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"reviewq/static"
	"reviewq/store"
	"reviewq/webhook"
)

// Config is what the server needs from the command line and environment.
type Config struct {
	// SessionSecret is the key material for cookies and CSRF tokens.
	SessionSecret []byte
	// SecureCookies marks cookies Secure (every address but localhost).
	SecureCookies bool
	// TrustedProxies are the only peers whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, must be sent as a Bearer token to /metrics.
	MetricsToken string
	// MetricsAddr, when set, is where the caller serves MetricsHandler;
	// /metrics is then not on the main address.
	MetricsAddr string
	// BaseURL is this site's address as people reach it
	// ("https://reviewq.example.com"): links sent to people (set-password)
	// are built from it, never from the request's Host header. Empty: such
	// links are shown as a path on this site.
	BaseURL string
	// PrivateProbes keeps /metrics and /readyz off the main address for
	// anyone without REVIEWQ_METRICS_TOKEN: set when the server listens
	// beyond loopback. Without a token they are then served only on
	// MetricsAddr (MetricsHandler), or not at all.
	PrivateProbes bool
	// Commit is the source revision, for reviewq_build_info.
	Commit string
	// BodyLimit caps request bodies (bytes); 0 takes 1 MiB.
	BodyLimit int64
	// OIDC configures single sign-on (web/oidc.go); zero turns it off.
	OIDC    OIDCConfig
	Version string
	Logger  *slog.Logger
	// WebhookAllow names the private ranges webhook endpoints may point at
	// (REVIEWQ_WEBHOOKS_ALLOW_PRIVATE); the rest are refused.
	WebhookAllow webhook.AllowList
	// Collectors are more metrics of this instance for /metrics (the
	// webhook worker's attempts).
	Collectors []prometheus.Collector
}

// Server holds the router and what handlers share.
type Server struct {
	Echo    *echo.Echo
	store   *store.Store
	cfg     Config
	log     *slog.Logger
	cookies *sessions.CookieStore
	decoded decodedCookies
	csrfKey []byte
	assets  map[string]string
	metrics *metrics
	oidc    *oidcClient
	// draining is set when the process is stopping: /readyz says so, so
	// a load balancer stops sending requests before the listener closes.
	draining atomic.Bool
}

// deriveKey makes independent keys for each use from the one secret.
func deriveKey(secret []byte, label string) []byte { return store.DeriveKey(secret, label) }

// New builds the server and its route table.
func New(st *store.Store, cfg Config) (*Server, error) {
	if len(cfg.SessionSecret) < 32 {
		return nil, fmt.Errorf("session secret: at least 32 bytes are needed")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 1 << 20
	}
	hashes, err := static.Hashes()
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	cookies := sessions.NewCookieStore(deriveKey(cfg.SessionSecret, "cookie-hash"), deriveKey(cfg.SessionSecret, "cookie-enc"))
	// gorilla's defaults are SameSite=None, HttpOnly=false and 30 days: set all.
	cookies.Options = &sessions.Options{
		Path: "/", MaxAge: int(st.Options().SessionLifetime / time.Second), HttpOnly: true,
		Secure: cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	}
	s := &Server{
		store: st, cfg: cfg, log: cfg.Logger, cookies: cookies,
		csrfKey: deriveKey(cfg.SessionSecret, "csrf"), assets: hashes, oidc: newOIDCClient(cfg.OIDC),
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Debug = false
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s.Echo = e
	s.metrics = newMetrics(st, cfg, cfg.Logger)
	s.routes()
	return s, nil
}

func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// HTTPServer wraps the router in an http.Server with timeouts set.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Echo,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
