package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz says the process is alive; it never touches the database, so a
// database outage does not get healthy instances restarted.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Drain makes /readyz answer 503 from now on: the process is stopping
// and keeps serving only until the load balancer has noticed.
func (s *Server) Drain() { s.draining.Store(true) }

// readyz says whether this instance can serve: not stopping, database
// reachable, on a Galera cluster its node synced and in the primary
// component, and the schema at this build's version.
func (s *Server) readyz(c echo.Context) error {
	status, body := s.readiness(c.Request().Context())
	return c.JSON(status, body)
}

func (s *Server) readiness(ctx context.Context) (int, map[string]string) {
	if s.draining.Load() {
		return http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "shutting down"}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable"}
	}
	// A Galera node that is joining, a donor or cut off from the quorum
	// refuses work: not ready, so the load balancer sends requests elsewhere.
	node, err := s.store.NodeStatus(ctx)
	if err != nil {
		return http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable"}
	}
	if !node.Ready {
		return http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": node.Reason}
	}
	if err := s.store.CheckSchema(ctx); err != nil {
		return http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "schema not current: run reviewq migrate up"}
	}
	return http.StatusOK, map[string]string{"status": "ready"}
}
