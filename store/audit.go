package store

import (
	"fmt"

	"gorm.io/gorm"
)

// audit appends to the audit log inside the caller's transaction, so the
// action and its record commit together.
func audit(tx *gorm.DB, actor Actor, ip, action, target string, oldValue, newValue *string) error {
	e := AuditEntry{
		CreatedAt: Now(), ActorType: actor.Type, ActorID: actor.idPtr(), ActorName: actor.Name,
		Action: action, Target: target, OldValue: oldValue, NewValue: newValue, IP: ip,
	}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}
