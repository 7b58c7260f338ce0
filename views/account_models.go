package views

// PasswordPage is the operator's own password change.
type PasswordPage struct {
	Page
	Error string
	Done  bool
	// ShortcutsSaved: the shortcut choice was just saved.
	ShortcutsSaved bool
}

// SetPasswordPage is the page behind a one-time set-password link.
type SetPasswordPage struct {
	Page
	Name   string
	Email  string
	Action string
	Error  string
	Done   bool
}
