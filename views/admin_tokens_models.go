package views

// TokensPage is the admin's list of API tokens with the create form.
type TokensPage struct {
	Page
	Section TokensSection
}

// TokensSection is the part htmx swaps after a create or a revoke: the new
// secret (shown once), the form and the list.
type TokensSection struct {
	// CSRF lets the forms work without JavaScript too.
	CSRF string
	// Created is set only in the answer to a create: the secret is never
	// shown again.
	Created *CreatedToken
	Error   string
	Form    TokenForm
	Scopes  []ScopeOption
	Rows    []TokenRow
	NextURL string
}

// CreatedToken is the one-time view of a new token.
type CreatedToken struct {
	ID     int64
	Name   string
	Secret string
}

// TokenForm is what the admin typed, kept on an error.
type TokenForm struct {
	Name   string
	Scopes []string
	// ExpiresDays is the lifetime typed, in days ("" for none).
	ExpiresDays string
}

// ScopeOption is one scope checkbox.
type ScopeOption struct {
	Value   string
	Help    string
	Checked bool
}

// TokenRow is one token in the list.
type TokenRow struct {
	CSRF      string
	ID        int64
	Name      string
	Prefix    string
	Scopes    []string
	CreatedBy string
	CreatedAt string
	LastUsed  string
	Revoked   string
	// Expires is when the token ends ("" for never); Expired once past.
	Expires string
	Expired bool
}
