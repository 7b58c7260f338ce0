package store

import "context"

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
		out[i] = DecisionOutcome{Review: res.review, Err: res.err}
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
