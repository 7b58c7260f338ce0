package views

// LeadsPage is the leads search page: the form and the first results.
type LeadsPage struct {
	Page
	Search  LeadSearchForm
	Results LeadResults
}

// LeadSearchForm is the search as typed, and the fields to choose from.
type LeadSearchForm struct {
	Field  string
	Query  string
	Fields []LeadFieldChoice
}

// LeadResults is one page of a lead search.
type LeadResults struct {
	Rows []LeadRow
	// NextURL is the following page ("" at the end).
	NextURL string
	Error   string
}

// LeadFieldChoice is one field the search can match.
type LeadFieldChoice struct {
	Value string
	Label string
}

// LeadRow is one lead in the results.
type LeadRow struct {
	ID         int64
	Link       string
	ExternalID string
	Name       string
	Email      string
	Company    string
	Campaign   string
	Score      int
	// Flag is the open review's type ("" when the lead is not flagged);
	// LastDecision the last decision's status ("" before any).
	Flag         string
	LastDecision string
}

// LeadDetailPage is one lead: its fields, its open review, the form to
// flag it by hand, and every review it had.
type LeadDetailPage struct {
	Page
	Lead LeadRow
	// Industry, Status and Tags complete the lead's fields.
	Industry string
	Status   string
	Tags     string
	Created  string
	Updated  string
	// OpenReview links to the lead's pending review ("" when none).
	OpenReview     string
	OpenReviewType string
	Notice         string
	Error          string
	Form           ManualFlagForm
	// History holds the lead's reviews (Earlier) for the shared
	// earlier-reviews list, and EarlierMore the rest in the history API.
	History ReviewPane
}

// ManualFlagForm is the flag-by-hand form as typed.
type ManualFlagForm struct {
	Action     string
	Types      []string
	ReviewType string
	Reason     string
}

// leadName is the lead's name, or its external id when it has none.
func leadName(r LeadRow) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ExternalID
}
