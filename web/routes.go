package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"reviewq/store"
)

// routes is the one route table. Guards sit on groups: pages need a login
// and a role, the API a token scope (or a logged-in session).
func (s *Server) routes() {
	e := s.Echo
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.httpMetrics, s.recoverPanics, s.requestID, s.securityHeaders, s.accessLog, s.bodyLimit, s.loadSession, s.csrfProtect)

	// Probes and assets: no login.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/:version/:name", s.staticFile)

	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/dashboard/review-queue") })
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout, s.requirePageRole(store.RoleOperator))

	// Operators (and every higher role) work the queue: web/queue_routes.go.
	s.queueRoutes()

	s.apiRoutes()

	// Issue 4: API tokens and runtime settings (admin pages).
	s.adminTokenRoutes()
	s.adminSettingsRoutes()

	// Issue 5: stats page, its CSV report, Prometheus metrics.
	s.statsRoutes()

	// Issue 6: operator accounts, audit log, own password, set-password links.
	s.adminOperatorRoutes()
	s.adminAuditRoutes()
	s.accountRoutes()
}

// apiRoutes is the JSON API: a Bearer token with the route's scope, or a
// logged-in session of the role that scope maps to.
func (s *Server) apiRoutes() {
	// The API's own description needs no token: it holds no data.
	s.Echo.GET("/api/v1/openapi.json", s.apiOpenAPI)

	api := s.Echo.Group("/api/v1", s.apiAuth)
	// The review endpoints answer 503 while queue.enabled is off (after
	// the scope check, so a wrong token still learns it is wrong).
	read, write, on := requireScope(store.ScopeQueueRead), requireScope(store.ScopeQueueWrite), s.requireQueueEnabled
	api.GET("/review-queue/reason-codes", s.apiReasonCodes, read, on)
	api.GET("/review-queue/stats", s.apiStats, read, on)
	api.GET("/review-queue/tasks", s.apiTasks, read, on)
	api.GET("/review-queue/tasks/:id", s.apiTask, read, on)
	api.POST("/review-queue/tasks/:id/approve", s.apiDecide(store.OutcomeApprove), write, on)
	api.POST("/review-queue/tasks/:id/reject", s.apiDecide(store.OutcomeReject), write, on)
	api.POST("/review-queue/tasks/:id/skip", s.apiDecide(store.OutcomeSkip), write, on)

	api.POST("/leads", s.apiUpsertLead, requireScope(store.ScopeLeadsWrite))
	api.GET("/leads/:id", s.apiLead, requireAnyScope(store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeOutreachRead))
	api.POST("/leads/:id/flag", s.apiFlag, requireScope(store.ScopeLeadsWrite))
	api.POST("/leads/:id/score", s.apiScore, requireScope(store.ScopeLeadsWrite))
	api.POST("/leads/:id/quality", s.apiQuality, requireScope(store.ScopeLeadsWrite))
	api.GET("/leads/:id/eligibility", s.apiEligibility, requireScope(store.ScopeOutreachRead))
	api.POST("/outreach/eligibility", s.apiEligibilityBatch, requireScope(store.ScopeOutreachRead))
}

// statsRoutes: the stats page and report for leads and admins, and /metrics
// (bearer token when REVIEWQ_METRICS_TOKEN is set; on its own address
// instead when REVIEWQ_METRICS_ADDR is set).
func (s *Server) statsRoutes() {
	stats := s.Echo.Group("/dashboard/stats", s.requirePageRole(store.RoleLead))
	stats.GET("", s.statsPage)
	stats.GET("/report.csv", s.statsReportCSV)
	if s.cfg.MetricsAddr == "" {
		s.Echo.GET("/metrics", s.metricsPage)
	}
}
