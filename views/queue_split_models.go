package views

// SplitConfirm is the dialog of a lead's split of reviews between operators.
type SplitConfirm struct {
	BulkSelection
	Operators []SplitOperator
}

// SplitOperator is an active operator a split may choose.
type SplitOperator struct {
	Email string
	Name  string
	Role  string
}

// SplitDone is what a split did: each operator's share and the refusals.
type SplitDone struct {
	Assigned int
	Shares   []SplitShare
	Refused  []BulkRefusal
}

// SplitShare is how many reviews one operator received.
type SplitShare struct {
	Name  string
	Count int
}
