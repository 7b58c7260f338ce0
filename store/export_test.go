package store

import "context"

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

// DecisionOutcome is one decision's answer from WriteDecisionBatch.
type DecisionOutcome struct {
	Review *Review
	Err    error
}

// WriteDecisionBatch runs the decisions as one batch of the decision writer
// (writeDecisions), in the calling goroutine, and returns each answer.
func (s *Store) WriteDecisionBatch(ins []DecideInput) []DecisionOutcome {
	items := make([]*decideItem, len(ins))
	for i, in := range ins {
		items[i] = &decideItem{ctx: context.Background(), in: in, done: make(chan decideResult, 1)}
	}
	return s.writeAgain(items)
}

func (s *Store) writeAgain(items []*decideItem) []DecisionOutcome {
	s.writeDecisions(items)
	out := make([]DecisionOutcome, len(items))
	for i, it := range items {
		res := <-it.done
		out[i] = DecisionOutcome{Err: res.err}
		if res.decision != nil {
			out[i].Review = res.decision.Review
		}
	}
	return out
}

// DecideThenRunAgain decides in, then runs the same decision again as the
// writer does after a connection lost during COMMIT (writeBatch): the item
// keeps what its first attempt wrote.
func (s *Store) DecideThenRunAgain(in DecideInput) (first, again DecisionOutcome) {
	it := &decideItem{ctx: context.Background(), in: in, done: make(chan decideResult, 1)}
	first = s.writeAgain([]*decideItem{it})[0]
	return first, s.writeAgain([]*decideItem{it})[0]
}
