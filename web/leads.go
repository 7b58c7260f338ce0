package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// leadsPageSize is the leads one page of a search lists.
const leadsPageSize = 50

// leadFieldLabels names the searchable fields on the page.
var leadFieldLabels = map[string]string{store.LeadFieldName: "Name", store.LeadFieldEmail: "Email",
	store.LeadFieldCompany: "Company", store.LeadFieldExternalID: "External id"}

// leadsPage searches leads: the whole page, or the results when htmx asks.
func (s *Server) leadsPage(c echo.Context) error {
	form := views.LeadSearchForm{Field: c.QueryParam("field"), Query: c.QueryParam("q")}
	for _, f := range store.LeadSearchFields {
		form.Fields = append(form.Fields, views.LeadFieldChoice{Value: f, Label: leadFieldLabels[f]})
	}
	status := http.StatusOK
	results, err := s.searchLeads(c, &form)
	if err != nil {
		st, msg, ok := formError(err)
		if !ok {
			return err
		}
		status, results.Error = st, msg
	}
	page := views.LeadsPage{Page: s.page(c, "Leads", "leads"), Search: form, Results: results}
	return s.render(c, status, views.Leads(page), views.LeadSearchResults(results))
}

// searchLeads reads one page of results; the form gets the field searched.
func (s *Server) searchLeads(c echo.Context, form *views.LeadSearchForm) (views.LeadResults, error) {
	var v views.LeadResults
	after, err := store.ParseLeadCursor(c.QueryParam("after"))
	if err != nil {
		return v, &store.ValidationError{Field: "after", Message: "not a valid position; search again"}
	}
	if form.Field == "" {
		form.Field = store.LeadSearchFields[0]
	}
	q := store.LeadSearch{Field: form.Field, Prefix: form.Query, After: after, Limit: leadsPageSize}
	hits, next, err := s.store.SearchLeads(c.Request().Context(), q)
	if err != nil {
		return v, err
	}
	for _, h := range hits {
		v.Rows = append(v.Rows, views.LeadRow{ID: h.ID, Link: leadURL(h.ID), ExternalID: h.ExternalID, Name: h.Name,
			Email: h.Email, Company: h.Company, Campaign: h.Campaign, Score: h.Score,
			Flag: flagType(h.RequiresHumanReview, h.ReviewType), LastDecision: derefStr(h.LastDecision)})
	}
	if next != nil {
		v.NextURL = "/dashboard/leads?" + url.Values{"field": {q.Field}, "q": {form.Query}, "after": {next.Encode()}}.Encode()
	}
	return v, nil
}

func flagType(flagged bool, typ *string) string {
	if !flagged {
		return ""
	}
	return derefStr(typ)
}

func leadURL(id int64) string { return "/dashboard/leads/" + strconv.FormatInt(id, 10) }

// leadPage is one lead with its reviews; done names the flag just made.
func (s *Server) leadPage(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	notice := map[string]string{"opened": "Flagged: a review is now in the queue.",
		"added": "Flagged: the reason was added to the lead's open review."}[c.QueryParam("done")]
	return s.leadDetail(c, id, http.StatusOK, notice, "", views.ManualFlagForm{})
}

// leadDetail renders the lead page with an optional notice or refusal and
// the flag form as typed.
func (s *Server) leadDetail(c echo.Context, id int64, status int, notice, refusal string, form views.ManualFlagForm) error {
	ctx := c.Request().Context()
	lead, err := s.store.GetLead(ctx, id)
	if err != nil {
		return err
	}
	form.Action, form.Types = leadURL(id)+"/flag", store.ReviewTypes
	v := views.LeadDetailPage{Page: s.page(c, leadTitle(lead), "leads"), Notice: notice, Error: refusal, Form: form,
		Lead: views.LeadRow{ID: lead.ID, ExternalID: lead.ExternalID, Name: lead.Name, Email: lead.Email, Company: lead.Company,
			Campaign: lead.Campaign, Score: lead.Score, Flag: flagType(lead.RequiresHumanReview, lead.ReviewType),
			LastDecision: derefStr(lead.LastDecision)},
		Industry: lead.Industry, Status: lead.Status, Tags: lead.Tags,
		Created: fmtTime(ctx, lead.CreatedAt), Updated: fmtTime(ctx, lead.UpdatedAt)}
	// The lead's reviews through the pane's own list (newest first, a page
	// of them; the rest in the history API).
	page, next, err := s.store.LeadHistory(ctx, id, 0, earlierLimit)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, r := range page {
		v.History.Earlier = append(v.History.Earlier, earlierVM(ctx, &r.Review, now))
		if r.Status == store.StatusPending {
			v.OpenReview, v.OpenReviewType = reviewLink(r.ID), r.ReviewType
		}
	}
	if next != 0 {
		v.History.EarlierMore = "/api/v1/leads/" + strconv.FormatInt(id, 10) + "/history?cursor=" + store.EncodeHistoryCursor(next)
	}
	if v.OpenReview == "" && lead.RequiresHumanReview {
		// An open review older than the page of history shown.
		r, err := s.store.OpenReviewOfLead(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if r != nil {
			v.OpenReview, v.OpenReviewType = reviewLink(r.ID), r.ReviewType
		}
	}
	return s.render(c, status, views.LeadDetail(v), nil)
}

func leadTitle(l *store.Lead) string {
	if l.Name != "" {
		return l.Name
	}
	return l.ExternalID
}

type manualFlagForm struct {
	ReviewType string `form:"review_type"`
	Reason     string `form:"reason"`
}

// flagLead flags a lead by hand (source manual). A manual flag always
// opens a review, or adds to the open one: the auto-flag rules' cool-down
// does not apply to a person's judgement.
func (s *Server) flagLead(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f manualFlagForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the flag form could not be read")
	}
	res, err := s.store.Flag(c.Request().Context(), id, store.FlagInput{ReviewType: f.ReviewType, Reason: f.Reason, Source: store.SourceManual}, actorOf(c))
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		return s.leadDetail(c, id, status, "", msg, views.ManualFlagForm{ReviewType: f.ReviewType, Reason: f.Reason})
	}
	done := "added"
	if res.Created {
		done = "opened"
	}
	return c.Redirect(http.StatusSeeOther, leadURL(id)+"?done="+done)
}
