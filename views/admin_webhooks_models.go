package views

// WebhooksPage is the admin's list of webhook endpoints with the create
// form.
type WebhooksPage struct {
	Page
	// Secret is set only in the answer to a create or a rotation: it is
	// never shown again.
	Secret *WebhookSecret
	Notice string
	Error  string
	Form   WebhookForm
	Events []EventOption
	Rows   []WebhookRow
}

// WebhookSecret is the one-time view of a new or rotated secret.
type WebhookSecret struct {
	ID      int64
	URL     string
	Secret  string
	Rotated bool
}

// WebhookForm is what the admin typed, kept on an error.
type WebhookForm struct {
	URL, Kind, Description string
}

// EventOption is one event-type checkbox.
type EventOption struct {
	Value   string
	Checked bool
}

// WebhookRow is one endpoint.
type WebhookRow struct {
	ID          int64
	URL         string
	Kind        string
	Events      []string
	Description string
	// State is "enabled", "failing since ..." or "disabled (...)".
	State     string
	Enabled   bool
	Failing   bool
	CreatedAt string
	CreatedBy string
	// Pending and Failed count its deliveries.
	Pending, Failed int64
}

// WebhookDeliveriesPage is one endpoint's delivery log, newest first.
type WebhookDeliveriesPage struct {
	Page
	Endpoint WebhookRow
	Notice   string
	Rows     []DeliveryRow
	NextURL  string
}

// DeliveryRow is one delivery of the log.
type DeliveryRow struct {
	ID           int64
	MsgID        string
	Type         string
	Status       string
	Attempts     int
	Code         string
	Latency      string
	Answer       string
	Error        string
	CreatedAt    string
	LastAttempt  string
	NextAttempt  string
	CanRedeliver bool
}
