// Package views holds the templ pages and partials. Each takes one
// view-model struct defined here; views never see a GORM model and never
// query anything.
package views

// User is the logged-in operator as the layout shows them.
type User struct {
	ID    int64
	Name  string
	Email string
	Role  string
}

// IsLead reports whether the user may see lead-only pages.
func (u *User) IsLead() bool { return u != nil && (u.Role == "lead" || u.Role == "admin") }

// IsAdmin reports whether the user may see admin pages.
func (u *User) IsAdmin() bool { return u != nil && u.Role == "admin" }

// Assets gives the versioned URLs of the static files.
type Assets struct {
	CSS  string
	JS   string
	HTMX string
	Icon string
}

// Page is what every full page needs: title, user, CSRF token, assets and
// which nav item is current.
type Page struct {
	Title  string
	User   *User
	CSRF   string
	Assets Assets
	Nav    string
	// HTMXConfig is the JSON of htmx's configuration meta tag.
	HTMXConfig string
	// ShortcutsOff: the operator turned single-key shortcuts off; app.js
	// reads it from the body's data-shortcuts.
	ShortcutsOff bool
}

// LoginPage is the login form.
type LoginPage struct {
	Page
	Email string
	Error string
	Next  string
	// SSOName and SSOURL offer single sign-on ("" when not configured).
	SSOName string
	SSOURL  string
	// PasswordOff hides the password form (single sign-on only).
	PasswordOff bool
}

// ErrorPage is a full-page error.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}

// Flash is a message shown in the flash area (htmx errors land there).
type Flash struct {
	Kind    string // "error", "info"
	Message string
}
