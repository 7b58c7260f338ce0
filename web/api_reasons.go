package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// apiReasonCodes lists the configured reason codes of each outcome that
// takes them ("reject", "skip"), and the snooze reason codes ("snooze").
func (s *Server) apiReasonCodes(c echo.Context) error {
	set, err := s.store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	out := map[string]any{"required": set.ReasonsRequired()}
	for _, o := range store.DecisionOutcomes {
		if o.TakesReasons() {
			out[o.Name] = set.ReasonCodes(o)
		}
	}
	out["snooze"] = set.List(store.KeyReasonsSnooze)
	return c.JSON(http.StatusOK, out)
}
