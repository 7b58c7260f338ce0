package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The scheduled events: reviewq serve runs RunEventChecks every minute.
// Each event is written once per review and threshold (sla.warning,
// sla.breached), once per crossing (queue.backlog: again only after the
// queue fell back to the threshold) or once per hour (queue.reminder, the
// chat digest, only while reviews wait past the warning age). A row of
// outbox_once, whose primary key is the event's name and subject, makes
// "once" hold across instances: the event and its row commit together.

// maxSLAEventsPerCheck bounds one check's work; the rest wait a minute.
const maxSLAEventsPerCheck = 500

// RunEventChecks writes the scheduled events that are due.
func (s *Store) RunEventChecks(ctx context.Context) error {
	subs, err := s.subscriptions(ctx, s.SQL)
	if err != nil {
		return err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	now := Now()
	for _, c := range []struct {
		typ, threshold string
		age            time.Duration
	}{{WebhookSLAWarning, "warning", set.SLAWarning()}, {WebhookSLABreached, "critical", set.SLACritical()}} {
		if !subs.has(c.typ) {
			continue
		}
		var due []Review
		if err := s.DB.WithContext(ctx).Where("status = ? AND flagged_at <= ?", StatusPending, now.Add(-c.age)).
			Where("NOT EXISTS (SELECT 1 FROM outbox_once o WHERE o.name = ? AND o.subject_id = reviews.id)", c.typ).
			Order("flagged_at, id").Limit(maxSLAEventsPerCheck).Find(&due).Error; err != nil {
			return fmt.Errorf("sla check: %w", err)
		}
		for i := range due {
			r := &due[i]
			d := reviewData(r)
			d["threshold"], d["threshold_hours"], d["age_seconds"] = c.threshold, int(c.age.Hours()), int(now.Sub(r.FlaggedAt).Seconds())
			if err := s.emitOnce(ctx, c.typ, r.ID, r.ID, r.LeadID, d); err != nil {
				return err
			}
		}
	}
	if subs.has(WebhookQueueBacklog) {
		var pending int64
		if err := s.DB.WithContext(ctx).Model(&Review{}).Where("status = ?", StatusPending).Count(&pending).Error; err != nil {
			return fmt.Errorf("backlog check: %w", err)
		}
		threshold := int64(set.Int(KeyBacklogThreshold))
		if pending > threshold {
			if err := s.emitOnce(ctx, WebhookQueueBacklog, 0, 0, 0, map[string]any{"pending": pending, "threshold": threshold}); err != nil {
				return err
			}
		} else if err := s.DB.WithContext(ctx).Exec("DELETE FROM outbox_once WHERE name = ? AND subject_id = 0", WebhookQueueBacklog).Error; err != nil {
			return fmt.Errorf("backlog check: %w", err)
		}
	}
	if subs.has(WebhookQueueReminder) {
		var waiting []Review
		if err := s.DB.WithContext(ctx).Select("id, flagged_at").Where("status = ? AND flagged_at <= ?", StatusPending, now.Add(-set.SLAWarning())).
			Order("flagged_at, id").Limit(1).Find(&waiting).Error; err != nil {
			return fmt.Errorf("reminder check: %w", err)
		}
		if len(waiting) > 0 {
			var n int64
			if err := s.DB.WithContext(ctx).Model(&Review{}).Where("status = ? AND flagged_at <= ?", StatusPending, now.Add(-set.SLAWarning())).
				Count(&n).Error; err != nil {
				return fmt.Errorf("reminder check: %w", err)
			}
			hour := now.Unix() / 3600
			if err := s.emitOnce(ctx, WebhookQueueReminder, hour, 0, 0, map[string]any{
				"waiting_past_warning": n, "warning_hours": int(set.SLAWarning().Hours()),
				"oldest_flagged_at": waiting[0].FlaggedAt, "oldest_age_seconds": int(now.Sub(waiting[0].FlaggedAt).Seconds()),
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitOnce writes the event unless (typ, subject) was written before.
func (s *Store) emitOnce(ctx context.Context, typ string, subject, reviewID, leadID int64, data map[string]any) error {
	insert := "INSERT IGNORE INTO outbox_once (name, subject_id, created_at) VALUES (?, ?, ?)"
	if s.Dialect == SQLite {
		insert = "INSERT OR IGNORE INTO outbox_once (name, subject_id, created_at) VALUES (?, ?, ?)"
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(insert, typ, subject, Now())
		if res.Error != nil {
			return fmt.Errorf("write %s: %w", typ, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return s.emit(ctx, tx, func(b *outboxBatch) { b.add(typ, reviewID, leadID, data) })
	})
}
