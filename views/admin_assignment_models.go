package views

// AssignmentPage is the admin's auto-assignment rules with the form to add
// one.
type AssignmentPage struct {
	Page
	Rules []AssignmentRuleRow
	// Types are the review types the form offers (besides "any").
	Types []string
	Form  AssignmentRuleForm
	// Error is shown above the form (bad input); Notice after a change.
	Error  string
	Notice string
}

// AssignmentRuleRow is one rule as the page lists it.
type AssignmentRuleRow struct {
	ID       int64
	Position int
	// ReviewType and Campaign are "any" when the rule takes every one.
	ReviewType string
	Campaign   string
	Skill      string
	Active     bool
	// Holders is how many active operators have the skill (0: the rule
	// assigns nothing and is passed over).
	Holders int64
	// LastAssignee is the operator the rule assigned last ("" none yet).
	LastAssignee string
	Assigned     int64
	CreatedBy    string
	CreatedAt    string
}

// AssignmentRuleForm keeps what the admin typed when the form comes back
// with an error.
type AssignmentRuleForm struct {
	ReviewType string
	Campaign   string
	Skill      string
	Position   string
}
