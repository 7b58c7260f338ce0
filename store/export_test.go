package store

// What the tests of package store_test need to see of the hand-written
// reviews row (queue_scan.go), to check it against the schema and the model.

// ReviewColumns is reviewColumns.
const ReviewColumns = reviewColumns

// ScanReview reads one row of ReviewColumns as the hot paths do.
func ScanReview(scan func(dest ...any) error) (Review, error) {
	var rs reviewScan
	err := scan(rs.dest()...)
	return rs.review(), err
}
