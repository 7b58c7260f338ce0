package views

// AuditPage is the admin audit log with its filter.
type AuditPage struct {
	Page
	Filter  AuditFilter
	Actions []string
	Rows    []AuditRow
	NextURL string
	Error   string
}

// AuditFilter is the filter form as typed.
type AuditFilter struct {
	Action string
	Actor  string
	From   string
	To     string
}

// AuditRow is one audit entry.
type AuditRow struct {
	ID        int64
	Time      string
	TimeISO   string
	ActorType string
	Actor     string
	Action    string
	Target    string
	Old       string
	New       string
	IP        string
}
