package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// The transactional outbox: a change that an engine or a team may want to
// hear about writes its event to outbox_events in the change's own
// transaction, with one webhook_deliveries row per endpoint subscribed to
// the event's type. So an event exists exactly when its change committed;
// the delivery worker (package webhook) sends what the rows say.
//
// Nothing is written for a type no enabled endpoint subscribes to: the
// subscriptions are cached per instance for Options.SettingsTTL, as the
// settings are, so the decision hot path pays nothing while no endpoint exists
// and, when one does, per decision batch a primary-key read of the leads'
// external ids and two multi-row INSERTs. An endpoint
// created on another instance receives the events of changes made from
// at most SettingsTTL after its creation.

// Webhook event types.
const (
	WebhookReviewFlagged      = "review.flagged"
	WebhookReviewReflagged    = "review.reflagged"
	WebhookReviewClaimed      = "review.claimed"
	WebhookReviewReleased     = "review.released"
	WebhookReviewDecided      = "review.decided"
	WebhookReviewReopened     = "review.reopened"
	WebhookReviewUndone       = "review.undone"
	WebhookReviewAssigned     = "review.assigned"
	WebhookReviewEscalated    = "review.escalated"
	WebhookReviewSnoozed      = "review.snoozed"
	WebhookEligibilityChanged = "lead.eligibility_changed"
	WebhookSLAWarning         = "sla.warning"
	WebhookSLABreached        = "sla.breached"
	WebhookQueueBacklog       = "queue.backlog"
	WebhookQueueReminder      = "queue.reminder"
	WebhookQueueDisabled      = "queue.disabled"
	WebhookQueueEnabled       = "queue.enabled"
	// WebhookTest is sent only by "send test event"; no endpoint
	// subscribes to it.
	WebhookTest = "webhook.test"
)

// WebhookEventTypes lists the types an endpoint may subscribe to.
var WebhookEventTypes = []string{
	WebhookReviewFlagged, WebhookReviewReflagged, WebhookReviewClaimed, WebhookReviewReleased, WebhookReviewDecided,
	WebhookReviewReopened, WebhookReviewUndone, WebhookReviewAssigned, WebhookReviewEscalated, WebhookReviewSnoozed, WebhookEligibilityChanged, WebhookSLAWarning, WebhookSLABreached, WebhookQueueBacklog,
	WebhookQueueReminder, WebhookQueueDisabled, WebhookQueueEnabled,
}

// EventVersion is the version of the event bodies' shape; a change that is
// not an addition raises it.
const EventVersion = 1

// subscriptions maps an event type to the enabled endpoints subscribed.
type subscriptions map[string][]int64

// has reports whether an enabled endpoint subscribes to typ.
func (subs subscriptions) has(typ string) bool { return len(subs[typ]) > 0 }

type subscriptionCache struct {
	mu      sync.Mutex
	at      time.Time
	current subscriptions
}

// subscriptions returns the cached subscriptions, read through conn (the
// caller's transaction) when stale.
func (s *Store) subscriptions(ctx context.Context, conn gorm.ConnPool) (subscriptions, error) {
	c := &s.subs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil && time.Since(c.at) < s.opts.SettingsTTL {
		return c.current, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT id, event_types FROM webhook_endpoints WHERE enabled = ? ORDER BY id", true)
	if err != nil {
		return nil, fmt.Errorf("read webhook subscriptions: %w", err)
	}
	defer rows.Close()
	subs := subscriptions{}
	for rows.Next() {
		var id int64
		var types string
		if err := rows.Scan(&id, &types); err != nil {
			return nil, fmt.Errorf("read webhook subscriptions: %w", err)
		}
		for _, t := range strings.Split(types, ",") {
			subs[t] = append(subs[t], id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read webhook subscriptions: %w", err)
	}
	c.current, c.at = subs, time.Now()
	return subs, nil
}

// InvalidateSubscriptions drops this instance's cached subscriptions.
func (s *Store) InvalidateSubscriptions() {
	s.subs.mu.Lock()
	s.subs.current = nil
	s.subs.mu.Unlock()
}

// NewMessageID is a Standard Webhooks message id: "msg_", the time in
// milliseconds (so ids sort by creation) and 10 random bytes, in hex.
func NewMessageID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return "msg_" + hex.EncodeToString(b[:])
}

// EventEnvelope is the JSON body of every event.
type EventEnvelope struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Version   int       `json:"version"`
	Data      any       `json:"data"`
}

// outboxBatch collects the events of one transaction and writes them with
// one INSERT for the events and one for their deliveries.
type outboxBatch struct {
	subs   subscriptions
	now    time.Time
	events []pendingEvent
	// before is the eligibility of the watched leads at the start of the
	// change (nil: nobody subscribes to lead.eligibility_changed);
	// changes are the leads whose eligibility it may have moved.
	before  map[int64]Eligibility
	changes []eligibilityChange
}

// eligibilityChange is a change that may have moved a lead's eligibility.
type eligibilityChange struct {
	leadID, reviewID int64
	cause            string
}

// pendingEvent is an event of the batch, encoded when it is written.
type pendingEvent struct {
	msgID     string
	typ       string
	reviewID  int64
	leadID    int64
	data      map[string]any
	endpoints []int64
}

const (
	outboxEventColumns    = 6
	outboxDeliveryColumns = 6
)

// outbox starts the events of a transaction. watch names the leads whose
// eligibility the change may move: while someone subscribes to
// lead.eligibility_changed it is read now, before the change, and again
// when the events are written, with the eligibility API's own query, so an
// event says exactly what the API said before and says after.
func (s *Store) outbox(ctx context.Context, tx *gorm.DB, watch ...int64) (*outboxBatch, error) {
	subs, err := s.subscriptions(ctx, tx.Statement.ConnPool)
	if err != nil {
		return nil, err
	}
	b := &outboxBatch{subs: subs, now: Now()}
	if subs.has(WebhookEligibilityChanged) && len(watch) > 0 {
		if b.before, err = readEligibility(ctx, tx, watch); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// readEligibility judges the leads as the eligibility API does, inside tx.
func readEligibility(ctx context.Context, tx *gorm.DB, leadIDs []int64) (map[int64]Eligibility, error) {
	rows, err := scanEligibility(tx.WithContext(ctx).Raw(eligibilitySelect+" WHERE leads.id IN ?", leadIDs))
	if err != nil {
		return nil, fmt.Errorf("read eligibility: %w", err)
	}
	out := make(map[int64]Eligibility, len(rows))
	for _, r := range rows {
		out[r.ID] = r.judge()
	}
	return out, nil
}

// eligibilityMayChange notes that the change may have moved the lead's
// eligibility (cause: the event of the change; reviewID 0: none).
func (b *outboxBatch) eligibilityMayChange(leadID, reviewID int64, cause string) {
	if b.before != nil {
		b.changes = append(b.changes, eligibilityChange{leadID: leadID, reviewID: reviewID, cause: cause})
	}
}

// addEligibilityChanges queues lead.eligibility_changed for each noted
// lead whose eligibility now differs from before the change.
func (b *outboxBatch) addEligibilityChanges(ctx context.Context, tx *gorm.DB) error {
	if len(b.changes) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(b.changes))
	for _, c := range b.changes {
		ids = append(ids, c.leadID)
	}
	after, err := readEligibility(ctx, tx, ids)
	if err != nil {
		return err
	}
	for _, c := range b.changes {
		old, new := b.before[c.leadID], after[c.leadID]
		if old.Eligible == new.Eligible && old.Reason == new.Reason {
			continue
		}
		b.add(WebhookEligibilityChanged, c.reviewID, c.leadID, map[string]any{
			"lead_id": c.leadID, "review_id": nullID(c.reviewID), "cause": c.cause, "old": eligibilityJSON(old), "new": eligibilityJSON(new),
		})
	}
	b.changes = nil
	return nil
}

// lockedLeadIDs are the leads of a decision batch.
func lockedLeadIDs(locked map[int64]*lockedReview) []int64 {
	out := make([]int64, 0, len(locked))
	for _, l := range locked {
		if !slices.Contains(out, l.lead.ID) {
			out = append(out, l.lead.ID)
		}
	}
	return out
}

// add queues an event for the endpoints subscribed to its type (none: it is
// not written). leadID and reviewID say what it is about (0: nothing).
func (b *outboxBatch) add(typ string, reviewID, leadID int64, data map[string]any) {
	endpoints := b.subs[typ]
	if len(endpoints) == 0 {
		return
	}
	b.addFor(endpoints, typ, reviewID, leadID, data)
}

// addFor queues an event for the given endpoints, subscribed or not, and
// returns its message id.
func (b *outboxBatch) addFor(endpoints []int64, typ string, reviewID, leadID int64, data map[string]any) string {
	id := NewMessageID()
	b.events = append(b.events, pendingEvent{msgID: id, typ: typ, reviewID: reviewID, leadID: leadID, data: data, endpoints: endpoints})
	return id
}

// orderKey orders an event's deliveries: by lead, so a lead's events (its
// reviews' and its eligibility's) reach an endpoint in the order they
// committed; 0 leaves them unordered (queue events). A lead's eligibility
// changes are all written under the lead's row lock and a review's events
// under the review's, so within each the delivery ids follow commit order.
func orderKey(e pendingEvent) int64 {
	if e.leadID != 0 {
		return e.leadID
	}
	return e.reviewID
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// write inserts the batch's events and deliveries, with the eligibility
// changes it noted. An event about a lead names it by the engines' id too
// (lead_external_id), read here in one query for the batch: the engines
// know their leads by it.
func (b *outboxBatch) write(ctx context.Context, tx *gorm.DB) error {
	if err := b.addEligibilityChanges(ctx, tx); err != nil {
		return err
	}
	if len(b.events) == 0 {
		return nil
	}
	conn := tx.Statement.ConnPool
	external, err := b.externalIDs(ctx, conn)
	if err != nil {
		return err
	}
	events := make([]any, 0, len(b.events)*outboxEventColumns)
	var deliveries []any
	for _, e := range b.events {
		if e.leadID != 0 {
			e.data["lead_external_id"] = external[e.leadID]
		}
		body, err := json.Marshal(EventEnvelope{ID: e.msgID, Type: e.typ, Timestamp: b.now, Version: EventVersion, Data: e.data})
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.typ, err)
		}
		events = append(events, e.msgID, e.typ, nullID(e.reviewID), nullID(e.leadID), string(body), b.now)
		for _, endpoint := range e.endpoints {
			deliveries = append(deliveries, endpoint, e.msgID, orderKey(e), DeliveryPending, b.now, b.now)
		}
	}
	rows := func(n, cols int) string {
		return strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"), ", n/cols), ", ")
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO outbox_events (msg_id, type, review_id, lead_id, body, created_at) VALUES "+
		rows(len(events), outboxEventColumns), events...); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO webhook_deliveries (endpoint_id, msg_id, order_key, status, next_attempt_at, created_at) VALUES "+
		rows(len(deliveries), outboxDeliveryColumns), deliveries...); err != nil {
		return fmt.Errorf("write outbox deliveries: %w", err)
	}
	return nil
}

// externalIDs reads the external ids of the batch's leads.
func (b *outboxBatch) externalIDs(ctx context.Context, conn gorm.ConnPool) (map[int64]string, error) {
	var ids []int64
	for _, e := range b.events {
		if e.leadID != 0 && !slices.Contains(ids, e.leadID) {
			ids = append(ids, e.leadID)
		}
	}
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT id, external_id FROM leads WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("read leads of events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ext string
		if err := rows.Scan(&id, &ext); err != nil {
			return nil, fmt.Errorf("read leads of events: %w", err)
		}
		out[id] = ext
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read leads of events: %w", err)
	}
	return out, nil
}

// emit writes the events fill adds, in tx.
func (s *Store) emit(ctx context.Context, tx *gorm.DB, fill func(b *outboxBatch)) error {
	b, err := s.outbox(ctx, tx)
	if err != nil {
		return err
	}
	fill(b)
	return b.write(ctx, tx)
}

// ActorJSON is an actor as events name it.
func ActorJSON(a Actor) map[string]any {
	return map[string]any{"type": a.Type, "id": a.idPtr(), "name": a.Name}
}

// reviewData is what every review event says about the review.
func reviewData(r *Review) map[string]any {
	return map[string]any{
		"review_id": r.ID, "lead_id": r.LeadID, "review_type": r.ReviewType, "reason": r.Reason, "source": r.Source,
		"campaign": r.Campaign, "status": r.Status, "version": r.Version, "flagged_at": r.FlaggedAt,
	}
}

// eligibilityJSON is an eligibility as events show it.
func eligibilityJSON(e Eligibility) map[string]any {
	return map[string]any{"eligible": e.Eligible, "reason": e.Reason}
}

// addFlagged queues review.flagged, and the lead's eligibility change if
// any, with b (started before the flag, watching the lead).
func (b *outboxBatch) addFlagged(lead *Lead, r *Review, created bool, in FlagInput, actor Actor) {
	d := reviewData(r)
	d["new_review"], d["flagged_by"], d["flag"] = created, ActorJSON(actor),
		map[string]any{"review_type": in.ReviewType, "reason": in.Reason, "source": in.Source, "score": lead.Score}
	b.add(WebhookReviewFlagged, r.ID, lead.ID, d)
	b.eligibilityMayChange(lead.ID, r.ID, WebhookReviewFlagged)
}

// emitReviewChange writes a review event (reflagged, claimed, released,
// assigned, escalated, snoozed)
// with the actor under byKey and any extra fields.
func (s *Store) emitReviewChange(ctx context.Context, tx *gorm.DB, typ string, r *Review, byKey string, actor Actor, extra map[string]any) error {
	return s.emit(ctx, tx, func(b *outboxBatch) {
		d := reviewData(r)
		d[byKey] = ActorJSON(actor)
		for k, v := range extra {
			d[k] = v
		}
		b.add(typ, r.ID, r.LeadID, d)
	})
}

// emitBackToPending writes typ (review.reopened, review.undone) for a
// decided review put back to pending, naming the actor under byKey, and the
// lead's eligibility change, with b (started before the change, watching
// the lead); r is the review as it was decided.
func (s *Store) emitBackToPending(ctx context.Context, tx *gorm.DB, b *outboxBatch, typ, byKey string, r *Review, actor Actor) error {
	after := *r
	after.Status, after.Version = StatusPending, r.Version+1
	d := reviewData(&after)
	d["from_status"], d[byKey] = r.Status, ActorJSON(actor)
	b.add(typ, r.ID, r.LeadID, d)
	b.eligibilityMayChange(r.LeadID, r.ID, typ)
	return b.write(ctx, tx)
}

// addDecided queues review.decided and the lead's eligibility change for a
// decision of the batch writer; r and lead are as they were before it.
func (b *outboxBatch) addDecided(r *Review, lead *Lead, o Outcome, in *DecideInput, now time.Time) {
	if len(b.subs[WebhookReviewDecided]) > 0 {
		after := decidedReview(r, o.Status, in, now)
		d := reviewData(after)
		d["outcome"], d["decided_by"], d["decided_at"] = o.Name, ActorJSON(in.Actor), now
		d["reason_code"], d["notes"] = optional(in.ReasonCode), optional(in.Notes)
		if o.Approves {
			subject, body := lead.MessageSubject, deref(lead.MessageBody)
			if in.Subject != nil {
				subject = *in.Subject
			}
			if in.Body != nil {
				body = *in.Body
			}
			d["approved_message"] = map[string]any{"subject": subject, "body": body, "edited": in.Subject != nil || in.Body != nil}
		}
		b.add(WebhookReviewDecided, r.ID, lead.ID, d)
	}
	b.eligibilityMayChange(lead.ID, r.ID, WebhookReviewDecided)
}

// emitLeadUpdated writes lead.eligibility_changed when an update of the
// lead moved its eligibility (to or from lost, say), with b (started
// before the update, watching the lead).
func (s *Store) emitLeadUpdated(ctx context.Context, tx *gorm.DB, b *outboxBatch, lead *Lead) error {
	b.eligibilityMayChange(lead.ID, 0, "lead.updated")
	return b.write(ctx, tx)
}

// emitQueueSwitch writes queue.enabled or queue.disabled when the setting
// changes.
func (s *Store) emitQueueSwitch(ctx context.Context, tx *gorm.DB, old, new string, actor Actor) error {
	if old == new {
		return nil
	}
	typ := WebhookQueueDisabled
	if new == "true" {
		typ = WebhookQueueEnabled
	}
	return s.emit(ctx, tx, func(b *outboxBatch) {
		b.add(typ, 0, 0, map[string]any{"setting": KeyQueueEnabled, "value": new == "true", "changed_by": ActorJSON(actor)})
	})
}

// OutboxEvent is one event as stored.
type OutboxEvent struct {
	ID        int64
	MsgID     string
	Type      string
	ReviewID  *int64
	LeadID    *int64
	Body      string
	CreatedAt time.Time
}

// TableName of OutboxEvent.
func (OutboxEvent) TableName() string { return "outbox_events" }

// OutboxEvents lists the stored events of the given types (all: none
// given), oldest first, for tests and troubleshooting.
func (s *Store) OutboxEvents(ctx context.Context, types ...string) ([]OutboxEvent, error) {
	var out []OutboxEvent
	q := s.DB.WithContext(ctx).Order("id")
	if len(types) > 0 {
		q = q.Where("type IN ?", types)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return out, nil
}

// ValidEventTypes checks a list of event types and returns it sorted in
// the documented order, without duplicates.
func ValidEventTypes(types []string) ([]string, error) {
	var out []string
	for _, t := range types {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(WebhookEventTypes, t) {
			return nil, invalid("events", "unknown event type %q; known: %s", t, strings.Join(WebhookEventTypes, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, invalid("events", "name at least one event type: %s", strings.Join(WebhookEventTypes, ", "))
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(WebhookEventTypes, a) - slices.Index(WebhookEventTypes, b)
	})
	return out, nil
}
