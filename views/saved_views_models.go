package views

// SavedViews is the queue's bar of saved views: the operator's own and
// the shared ones, each with its live count, and the form that saves the
// current filter as a view.
type SavedViews struct {
	Items []SavedViewItem
	// CanShare shows "share with the team" (leads and admins).
	CanShare bool
	// Notice and Error answer the last save or delete.
	Notice string
	Error  string
	// Name is the name field's value after a refused save.
	Name string
	// Max is the most views one operator keeps; MaxName the longest name.
	Max     int
	MaxName int
}

// SavedViewItem is one view: opening it is following URL.
type SavedViewItem struct {
	ID     int64
	IDText string
	Name   string
	URL    string
	// Count is the pending reviews matching it now.
	Count int64
	// Shared views show who shared them.
	Shared bool
	Owner  string
	// Active: the queue on screen shows this view's filter.
	Active    bool
	CanDelete bool
}

// ViewCount is a view's count as the queue's live refresh redraws it.
type ViewCount struct {
	IDText string
	Count  int64
}
