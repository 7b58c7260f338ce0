package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// apiEligibility says whether outreach may contact one lead now.
func (s *Server) apiEligibility(c echo.Context) error {
	// The outreach engine's hot path: one query, also by external_id.
	var e *store.Eligibility
	var err error
	if c.QueryParam("by") == "external_id" {
		e, err = s.store.EligibilityOfExternalID(c.Request().Context(), leadParam(c))
	} else {
		id, perr := s.leadID(c)
		if perr != nil {
			return perr
		}
		e, err = s.store.EligibilityOf(c.Request().Context(), id)
	}
	if err != nil {
		return leadNotFound(err)
	}
	return c.JSON(http.StatusOK, toEligibilityJSON(*e))
}

type eligibilityBody struct {
	LeadIDs     []int64  `json:"lead_ids"`
	ExternalIDs []string `json:"external_ids"`
}

// apiEligibilityBatch answers for up to 1,000 leads in one query, in the
// order asked.
func (s *Server) apiEligibilityBatch(c echo.Context) error {
	var b eligibilityBody
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var res []store.Eligibility
	var err error
	switch {
	case len(b.LeadIDs) > 0 && len(b.ExternalIDs) > 0:
		return badRequest("give lead_ids or external_ids, not both")
	case len(b.ExternalIDs) > 0:
		res, err = s.store.EligibilityByExternalIDs(ctx, b.ExternalIDs)
	default:
		res, err = s.store.EligibilityByIDs(ctx, b.LeadIDs)
	}
	if err != nil {
		return err
	}
	out := make([]eligibilityJSON, 0, len(res))
	eligible := 0
	for _, e := range res {
		out = append(out, toEligibilityJSON(e))
		if e.Eligible {
			eligible++
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"results": out, "eligible": eligible, "not_eligible": len(out) - eligible})
}
