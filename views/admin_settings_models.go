package views

// SettingsPage is the admin's view of the runtime settings.
type SettingsPage struct {
	Page
	// TTL says how soon other instances see a change.
	TTL  string
	Rows []SettingRow
}

// SettingRow is one setting with its form.
type SettingRow struct {
	CSRF        string
	Key         string
	Description string
	// Kind is "bool", "int" or "list": which input the form uses.
	Kind      string
	Value     string
	Default   string
	IsDefault bool
	ChangedBy string
	ChangedAt string
	// Saved is set in the answer to a change; Error when it was refused.
	Saved string
	Error string
}
