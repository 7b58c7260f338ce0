package views

// PasswordPage is the operator's own password change.
type PasswordPage struct {
	Page
	Error string
	Done  bool
	// ShortcutsSaved: the shortcut choice was just saved.
	ShortcutsSaved bool
	// TimeZone is the operator's own zone ("" the deployment's,
	// DefaultZone); TimeZones the choices; ZoneNow the time now as the
	// operator's pages show it.
	TimeZone    string
	DefaultZone string
	TimeZones   []string
	ZoneNow     string
	ZoneSaved   bool
	ZoneError   string
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
