package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"reviewq/store"
)

// routes is the one route table. Guards sit on groups: pages need a login
// and a role (requirePageRole), the API a token scope or a logged-in session
// of the role that scope maps to (apiAuth + requireScope). Every route here
// has a row in routes_guard_test.go, which walks the router itself.
func (s *Server) routes() {
	e := s.Echo
	// Before routing: one URL per page, and a set-password link's secret
	// out of the path before anything logs it.
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Pre(hideLinkSecret)
	e.Use(s.httpMetrics, s.recoverPanics, s.requestID, s.securityHeaders, s.accessLog, s.bodyLimit, s.loadSession, s.csrfProtect)

	// Probes and assets: no login. /metrics: a bearer token when
	// REVIEWQ_METRICS_TOKEN is set; on its own address (not here) when
	// REVIEWQ_METRICS_ADDR is. Listening beyond loopback (PrivateProbes),
	// /metrics and /readyz are here only with the token (ProbesHere).
	e.GET("/healthz", s.healthz)
	if s.ProbesHere() {
		e.GET("/readyz", s.readyz, s.requireMetricsToken)
	}
	e.GET("/static/:version/:name", s.staticFile)
	e.GET("/favicon.ico", s.favicon)
	if s.cfg.MetricsAddr == "" && s.ProbesHere() {
		e.GET("/metrics", s.metricsPage)
	}

	// Signing in and out; a one-time set-password link needs no login.
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/dashboard/review-queue") })
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout, s.requirePageRole(store.RoleOperator))
	// The second factor after the password (web/mfa.go) and single sign-on
	// (web/oidc.go, 404 when not configured).
	e.GET("/login/mfa", s.mfaCodePage)
	e.POST("/login/mfa", s.mfaLogin)
	e.GET("/login/oidc", s.oidcStart)
	e.GET(oidcCallbackPath, s.oidcCallback)
	e.GET("/set-password/:token", s.setPasswordPage)
	e.POST("/set-password/:token", s.setPassword)

	// Every signed-in operator: their own password.
	account := e.Group("/account", s.requirePageRole(store.RoleOperator))
	account.GET("/password", s.accountPasswordPage)
	account.POST("/password", s.changeAccountPassword)
	account.GET("/mfa", s.mfaPage)
	account.GET("/mfa/qr.png", s.mfaQR)
	account.POST("/mfa/setup", s.startMFASetup)
	account.POST("/mfa/confirm", s.confirmMFASetup)
	account.POST("/mfa/disable", s.disableMFA)
	account.POST("/shortcuts", s.setAccountShortcuts)
	account.POST("/time-zone", s.setAccountTimeZone)

	// The queue: operators and every higher role; reopening needs a lead.
	queue := e.Group("/dashboard/review-queue", s.requirePageRole(store.RoleOperator))
	queue.GET("", s.queuePage)
	queue.GET("/rows", s.queueRows)
	queue.GET("/live", s.queueLive)
	queue.POST("/bulk/preview", s.bulkPreview)
	queue.POST("/bulk", s.bulkDecide)
	queue.POST("/views", s.saveView)
	queue.POST("/views/:vid/delete", s.deleteView)
	queue.POST("/bulk/split/preview", s.splitPreview, s.requirePageRole(store.RoleLead))
	queue.POST("/bulk/split", s.splitAssign, s.requirePageRole(store.RoleLead))
	queue.GET("/decided", s.decisionsPage)
	queue.GET("/decided/rows", s.decisionsMore)
	queue.GET("/:id", s.reviewPane)
	for _, o := range store.DecisionOutcomes {
		queue.POST("/:id/"+o.Name, s.decide(o.Name))
	}
	queue.POST("/:id/claim", s.claimReview)
	queue.POST("/:id/claim/renew", s.renewClaim)
	queue.POST("/:id/release", s.releaseReview)
	queue.POST("/:id/reflag", s.reflagReview)
	queue.POST("/:id/notes", s.addNote)
	queue.POST("/:id/reopen", s.reopenReview, s.requirePageRole(store.RoleLead))
	queue.POST("/:id/undo", s.undoDecision)
	queue.POST("/:id/assign", s.assignReview)
	queue.POST("/:id/escalate", s.escalateReview)
	queue.POST("/:id/sendback", s.sendBackReview)
	queue.POST("/:id/snooze", s.snoozeReview)
	queue.POST("/:id/unsnooze", s.unsnoozeReview)

	// Leads: find any lead, see its reviews, flag it by hand (web/leads.go).
	leads := e.Group("/dashboard/leads", s.requirePageRole(store.RoleOperator))
	leads.GET("", s.leadsPage)
	leads.GET("/:id", s.leadPage)
	leads.POST("/:id/flag", s.flagLead)

	// Stats and the report: ops leads and admins.
	stats := e.Group("/dashboard/stats", s.requirePageRole(store.RoleLead))
	stats.GET("", s.statsPage)
	stats.GET("/report.csv", s.statsReportCSV)

	// Administration: admins only.
	admin := e.Group("/admin", s.requirePageRole(store.RoleAdmin))
	admin.GET("/operators", s.operatorsPage)
	admin.POST("/operators", s.createOperator)
	admin.GET("/operators/:id", s.operatorPage)
	admin.POST("/operators/:id/role", s.setOperatorRole)
	admin.POST("/operators/:id/time-zone", s.setOperatorTimeZone)
	admin.POST("/operators/:id/deactivate", s.setOperatorActive(false))
	admin.POST("/operators/:id/reactivate", s.setOperatorActive(true))
	admin.POST("/operators/:id/password", s.resetOperatorPassword)
	admin.POST("/operators/:id/sessions/revoke", s.revokeOperatorSessions)
	admin.POST("/operators/:id/mfa/reset", s.resetOperatorMFA)
	admin.POST("/operators/:id/skills", s.setOperatorSkills)
	admin.GET("/assignment", s.assignmentPage)
	admin.POST("/assignment", s.createAssignmentRule)
	admin.POST("/assignment/:id/enable", s.assignmentRuleAction("enable"))
	admin.POST("/assignment/:id/disable", s.assignmentRuleAction("disable"))
	admin.POST("/assignment/:id/delete", s.assignmentRuleAction("delete"))
	admin.POST("/assignment/:id/move", s.assignmentRuleAction("move"))
	admin.GET("/tokens", s.tokensPage)
	admin.POST("/tokens", s.createToken)
	admin.POST("/tokens/:id/revoke", s.revokeToken)
	admin.GET("/settings", s.settingsPage)
	admin.POST("/settings/:key", s.setSetting)
	admin.GET("/audit", s.auditPage)
	admin.GET("/webhooks", s.webhooksPage)
	admin.POST("/webhooks", s.createWebhook)
	admin.GET("/webhooks/:id", s.webhookDeliveriesPage)
	admin.POST("/webhooks/:id/enable", s.webhookAction("enable"))
	admin.POST("/webhooks/:id/disable", s.webhookAction("disable"))
	admin.POST("/webhooks/:id/delete", s.webhookAction("delete"))
	admin.POST("/webhooks/:id/test", s.webhookAction("test"))
	admin.POST("/webhooks/:id/rotate", s.rotateWebhook)
	admin.POST("/webhooks/deliveries/:id/redeliver", s.redeliver)

	// The JSON API. Its description needs no token: it holds no data.
	e.GET("/api/v1/openapi.json", s.apiOpenAPI)
	// Every API route refuses query parameters it does not read
	// (apiQueryParams in api_query.go lists those it does).
	api := e.Group("/api/v1", s.apiAuth, rejectUnknownQuery)
	// The review endpoints answer 503 while queue.enabled is off (after
	// the scope check, so a wrong token still learns it is wrong).
	read, write, on := requireScope(store.ScopeQueueRead), requireScope(store.ScopeQueueWrite), s.requireQueueEnabled
	api.GET("/review-queue/reason-codes", s.apiReasonCodes, read, on)
	api.GET("/review-queue/stats", s.apiStats, read, on)
	api.GET("/review-queue/tasks", s.apiTasks, read, on)
	api.GET("/review-queue/tasks/:id", s.apiTask, read, on)
	for _, o := range store.DecisionOutcomes {
		api.POST("/review-queue/tasks/:id/"+o.Name, s.apiDecide(o.Name), write, on)
	}
	api.POST("/review-queue/tasks/:id/undo", s.apiUndo, write, on)
	api.POST("/review-queue/tasks/:id/assign", s.apiAssign, write, on)
	api.POST("/review-queue/tasks/:id/escalate", s.apiEscalate, write, on)
	api.POST("/review-queue/tasks/:id/snooze", s.apiSnooze, write, on)
	api.POST("/review-queue/tasks/:id/unsnooze", s.apiUnsnooze, write, on)
	api.POST("/leads", s.apiUpsertLead, requireScope(store.ScopeLeadsWrite))
	api.GET("/leads/:id", s.apiLead, requireAnyScope(store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeOutreachRead))
	api.GET("/leads/:id/history", s.apiLeadHistory, read)
	api.POST("/leads/:id/flag", s.apiFlag, requireScope(store.ScopeLeadsWrite))
	api.POST("/leads/:id/score", s.apiScore, requireScope(store.ScopeLeadsWrite))
	api.POST("/leads/:id/quality", s.apiQuality, requireScope(store.ScopeLeadsWrite))
	api.GET("/leads/:id/eligibility", s.apiEligibility, requireScope(store.ScopeOutreachRead))
	api.POST("/outreach/eligibility", s.apiEligibilityBatch, requireScope(store.ScopeOutreachRead))
}
