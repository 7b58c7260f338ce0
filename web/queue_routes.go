package web

import "reviewq/store"

// queueRoutes is the operator's queue and its htmx partials. Operators and
// every higher role work the queue; reopening a decision needs a lead.
func (s *Server) queueRoutes() {
	queue := s.Echo.Group("/dashboard/review-queue", s.requirePageRole(store.RoleOperator))
	queue.GET("", s.queuePage)
	queue.GET("/rows", s.queueRows)
	queue.GET("/live", s.queueLive)
	queue.POST("/bulk/preview", s.bulkPreview)
	queue.POST("/bulk", s.bulkDecide)
	queue.GET("/decided", s.decisionsPage)
	queue.GET("/decided/rows", s.decisionsMore)
	queue.GET("/:id", s.reviewPane)
	queue.POST("/:id/approve", s.decide(store.OutcomeApprove))
	queue.POST("/:id/reject", s.decide(store.OutcomeReject))
	queue.POST("/:id/skip", s.decide(store.OutcomeSkip))
	queue.POST("/:id/claim", s.claimReview)
	queue.POST("/:id/claim/renew", s.renewClaim)
	queue.POST("/:id/release", s.releaseReview)
	queue.POST("/:id/reflag", s.reflagReview)
	queue.POST("/:id/notes", s.addNote)
	queue.POST("/:id/reopen", s.reopenReview, s.requirePageRole(store.RoleLead))
}
