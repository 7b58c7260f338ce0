package store

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound means the id names no row.
var ErrNotFound = errors.New("not found")

// ValidationError is bad input, naming the field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError means someone else got there first.
type ConflictError struct {
	Message string
	// Set when the review was already decided.
	Status    string
	DecidedBy string
	DecidedAt *time.Time
}

func (e *ConflictError) Error() string { return e.Message }

// ErrQueueDisabled means the queue.enabled setting is off.
var ErrQueueDisabled = errors.New("the review queue is disabled by the queue.enabled setting")
