package views

// OperatorsPage is the admin's list of accounts with the create form.
type OperatorsPage struct {
	Page
	Rows    []OperatorRow
	NextURL string
	Roles   []string
	Form    OperatorForm
	// Error is shown above the create form (bad input, duplicate email).
	Error string
	// Created is set right after an account was made.
	Created *CreatedOperator
}

// OperatorRow is one account as the admin pages show it.
type OperatorRow struct {
	ID        int64
	Name      string
	Email     string
	Role      string
	Active    bool
	CreatedAt string
	URL       string
	// Skills are what auto-assignment rules look for (admin_assignment).
	Skills []string
}

// OperatorForm keeps what the admin typed when the form comes back with an error.
type OperatorForm struct {
	Name  string
	Email string
	Role  string
	// Mode is "password" (the admin sets an initial password) or "link".
	Mode string
}

// CreatedOperator confirms a new account; Link is the one-time
// set-password link, shown this once.
type CreatedOperator struct {
	Email string
	Link  string
}

// OperatorDetailPage is one account: role, status, password, sessions.
type OperatorDetailPage struct {
	Page
	Op OperatorRow
	// Self is true when the admin looks at their own account.
	Self     bool
	Roles    []string
	Sessions []SessionRow
	// NextSessionsURL pages on through the sessions ("" at the end).
	NextSessionsURL string
	Flash           *Flash
	// Link is a one-time set-password link just made, shown this once.
	Link string
	// MFAEnabled: the account has a confirmed second factor.
	MFAEnabled bool
	// TimeZone is the account's zone ("" the deployment's); TimeZones
	// the choices.
	TimeZone  string
	TimeZones []string
	// SkillsText is the account's skills as the form shows them ("a, b").
	SkillsText string
}

// SessionRow is one live login of an account.
type SessionRow struct {
	ID        string
	Created   string
	LastSeen  string
	Expires   string
	IP        string
	UserAgent string
	// Current is the session of the admin looking at the page.
	Current bool
}
