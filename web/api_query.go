package web

import (
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiQueryParams names the query parameters each JSON API route reads, by
// route template. Any other parameter is a 400 naming it, so that a
// misspelt or unsupported filter (the seed's campaign_id once was one) is
// never silently ignored and answered with everything. A route not listed
// takes none. A route that starts reading a parameter lists it here.
var apiQueryParams = map[string][]string{
	"/api/v1/review-queue/tasks": {"review_type", "campaign", "campaign_id", "source", "assignee", "state", "limit", "cursor"},
	// by=external_id: the :id is the engines' id.
	"/api/v1/leads/:id":             {"by"},
	"/api/v1/leads/:id/flag":        {"by"},
	"/api/v1/leads/:id/score":       {"by"},
	"/api/v1/leads/:id/quality":     {"by"},
	"/api/v1/leads/:id/eligibility": {"by"},
	"/api/v1/leads/:id/history":     {"by", "limit", "cursor"},
}

// rejectUnknownQuery answers 400 to a query parameter the route does not
// read. It runs after authentication, so an anonymous caller still gets 401;
// a path that matches no route (the group's "/*") stays a 404.
func rejectUnknownQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Path(), "*") {
			return next(c)
		}
		if err := checkQueryParams(c, apiQueryParams[c.Path()]); err != nil {
			return err
		}
		return next(c)
	}
}

func checkQueryParams(c echo.Context, known []string) error {
	q := c.QueryParams()
	if len(q) == 0 {
		return nil
	}
	// Sorted, so that a request with several unknown parameters always
	// names the same one.
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
next:
	for _, name := range names {
		for _, k := range known {
			if name == k {
				continue next
			}
		}
		// "invalid", the code of every 400 (an unknown body field too).
		return badRequest("unknown query parameter " + strconv.Quote(name))
	}
	return nil
}
