package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiReasonCodes lists the configured reject and skip reason codes.
func (s *Server) apiReasonCodes(c echo.Context) error {
	set, err := s.store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"reject": set.RejectCodes(), "skip": set.SkipCodes(), "required": set.ReasonsRequired()})
}
