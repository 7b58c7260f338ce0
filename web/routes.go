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
	e.Use(s.recoverPanics, s.requestID, s.securityHeaders, s.accessLog, s.bodyLimit, s.loadSession, s.csrfProtect)

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

	// Issue 6: operator accounts, audit log, own password, set-password links.
	s.adminOperatorRoutes()
	s.adminAuditRoutes()
	s.accountRoutes()
}

// apiRoutes is the JSON API: a Bearer token with the route's scope, or a
// logged-in session of the role that scope maps to.
func (s *Server) apiRoutes() {
	api := s.Echo.Group("/api/v1", s.apiAuth)
	api.GET("/review-queue/reason-codes", s.apiReasonCodes, requireScope(store.ScopeQueueRead))
}
