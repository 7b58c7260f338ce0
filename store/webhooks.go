package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Webhook endpoint kinds: json gets the event as JSON, chat a short
// Slack-compatible text message ({"text": ...}).
const (
	WebhookKindJSON = "json"
	WebhookKindChat = "chat"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookFailingAfter is how many failures in a row mark an endpoint failing.
const WebhookFailingAfter = 3

// SecretOverlap is how long a rotated-out secret still signs deliveries.
const SecretOverlap = 24 * time.Hour

// WebhookEndpoint is a subscriber. Secret and PreviousSecret sign its
// deliveries; they are shown once and never logged (LogValue leaves them
// out).
type WebhookEndpoint struct {
	ID                      int64
	URL                     string
	EventTypes              string
	Kind                    string
	Description             string
	Secret                  string
	PreviousSecret          *string
	PreviousSecretExpiresAt *time.Time
	Enabled                 bool
	FailingSince            *time.Time
	Failures                int
	DisabledReason          string
	CreatedBy               string
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// TableName of WebhookEndpoint.
func (WebhookEndpoint) TableName() string { return "webhook_endpoints" }

// LogValue keeps the secrets out of logs.
func (e WebhookEndpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", e.ID), slog.String("url", e.URL), slog.String("kind", e.Kind))
}

// Events splits the subscribed event types.
func (e WebhookEndpoint) Events() []string { return strings.Split(e.EventTypes, ",") }

// Failing reports whether the endpoint's recent deliveries keep failing.
func (e WebhookEndpoint) Failing() bool { return e.Failures >= WebhookFailingAfter }

// signingSecrets are the secrets a delivery is signed with at now: the
// current one, and the previous one during its overlap, opened.
func (s *Store) signingSecrets(e *WebhookEndpoint, now time.Time) ([]string, error) {
	stored := []string{e.Secret}
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && e.PreviousSecretExpiresAt.After(now) {
		stored = append(stored, *e.PreviousSecret)
	}
	out := make([]string, len(stored))
	for i, v := range stored {
		plain, err := s.openWebhookSecret(v)
		if err != nil {
			return nil, fmt.Errorf("webhook %d: %w", e.ID, err)
		}
		out[i] = plain
	}
	return out, nil
}

// webhookSecretAAD binds a sealed value to its use: a sealed TOTP secret
// does not open as a webhook secret.
const webhookSecretAAD = "webhook"

// sealWebhookSecret is how a signing secret is stored: sealed under the
// deployment's key. Without the key it refuses rather than store the
// secret in the clear.
func (s *Store) sealWebhookSecret(plain string) (string, error) {
	if s.webhookKey == nil {
		return "", errors.New("webhook secrets are sealed with REVIEWQ_SESSION_SECRET: set it (as the server has it) and try again")
	}
	return SealSecret(s.webhookKey, plain, webhookSecretAAD)
}

// openWebhookSecret reads a stored signing secret: sealed, or plain text
// as an earlier release stored it.
func (s *Store) openWebhookSecret(stored string) (string, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	if s.webhookKey == nil {
		return "", errors.New("its signing secret is sealed and REVIEWQ_SESSION_SECRET is not set")
	}
	return OpenSealed(s.webhookKey, stored, webhookSecretAAD)
}

// SealWebhookSecrets seals the signing secrets an earlier release stored
// as plain text (serve runs it at start); it returns how many endpoints it
// changed. Without a key it does nothing.
func (s *Store) SealWebhookSecrets(ctx context.Context) (int, error) {
	if s.webhookKey == nil {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		n = 0
		var eps []WebhookEndpoint
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id, secret, previous_secret").
			Where("secret NOT LIKE ? OR (previous_secret IS NOT NULL AND previous_secret NOT LIKE ?)", sealedPrefix+"%", sealedPrefix+"%").
			Order("id").Find(&eps).Error; err != nil {
			return fmt.Errorf("seal webhook secrets: %w", err)
		}
		for _, e := range eps {
			upd := map[string]any{}
			if !IsSealed(e.Secret) {
				v, err := s.sealWebhookSecret(e.Secret)
				if err != nil {
					return err
				}
				upd["secret"] = v
			}
			if e.PreviousSecret != nil && !IsSealed(*e.PreviousSecret) {
				v, err := s.sealWebhookSecret(*e.PreviousSecret)
				if err != nil {
					return err
				}
				upd["previous_secret"] = v
			}
			if err := tx.Model(&WebhookEndpoint{}).Where("id = ?", e.ID).Updates(upd).Error; err != nil {
				return fmt.Errorf("seal webhook secrets: %w", err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// WebhookDelivery is one event's delivery to one endpoint.
type WebhookDelivery struct {
	ID              int64
	EndpointID      int64
	MsgID           string
	OrderKey        int64
	Status          string
	Attempts        int
	NextAttemptAt   time.Time
	LastAttemptAt   *time.Time
	ResponseCode    *int
	LatencyMS       *int
	ResponseSnippet string
	Error           string
	CreatedAt       time.Time
	DeliveredAt     *time.Time
	// Type is the event's type (read with the delivery, not a column).
	Type string `gorm:"->;-:migration"`
}

// TableName of WebhookDelivery.
func (WebhookDelivery) TableName() string { return "webhook_deliveries" }

// WebhookInput creates an endpoint.
type WebhookInput struct {
	URL         string
	Events      []string
	Kind        string
	Description string
}

// ValidateWebhookURL checks an endpoint URL's shape: http or https, a host,
// no credentials. Where it points is checked when it is dialled (package
// webhook), since a name may resolve differently later.
func ValidateWebhookURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, invalid("url", "is required")
	}
	if len(raw) > 2000 {
		return nil, invalid("url", "must be at most 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, invalid("url", "must be an http:// or https:// URL with a host")
	}
	if u.User != nil {
		return nil, invalid("url", "must not carry a user name or password")
	}
	return u, nil
}

// Validate normalises the input and names the first bad field.
func (in *WebhookInput) Validate() error {
	u, err := ValidateWebhookURL(in.URL)
	if err != nil {
		return err
	}
	in.URL = u.String()
	if in.Events, err = ValidEventTypes(in.Events); err != nil {
		return err
	}
	in.Kind = strings.TrimSpace(in.Kind)
	if in.Kind == "" {
		in.Kind = WebhookKindJSON
	}
	if in.Kind != WebhookKindJSON && in.Kind != WebhookKindChat {
		return invalid("kind", "must be json or chat")
	}
	in.Description = strings.TrimSpace(in.Description)
	return checkLen("description", &in.Description, 500)
}

// newWebhookSecret is a Standard Webhooks secret: "whsec_" and 24 random
// bytes in base64.
func newWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CreateWebhook adds an enabled endpoint and returns it with its secret
// (shown once), audited.
func (s *Store) CreateWebhook(ctx context.Context, actor Actor, ip string, in WebhookInput) (*WebhookEndpoint, string, error) {
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	now := Now()
	secret := newWebhookSecret()
	sealed, err := s.sealWebhookSecret(secret)
	if err != nil {
		return nil, "", err
	}
	e := WebhookEndpoint{URL: in.URL, EventTypes: strings.Join(in.Events, ","), Kind: in.Kind, Description: in.Description,
		Secret: sealed, Enabled: true, CreatedBy: actor.Name, CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&e).Error; err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		desc := e.URL + " " + e.EventTypes + " " + e.Kind
		return audit(tx, actor, ip, "webhook.create", webhookTarget(e.ID), nil, &desc)
	})
	if err != nil {
		return nil, "", err
	}
	s.InvalidateSubscriptions()
	return &e, secret, nil
}

func webhookTarget(id int64) string { return "webhook:" + strconv.FormatInt(id, 10) }

// ListWebhooks returns every endpoint, oldest first.
func (s *Store) ListWebhooks(ctx context.Context) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	if err := s.DB.WithContext(ctx).Order("id").Limit(1000).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// GetWebhook loads one endpoint.
func (s *Store) GetWebhook(ctx context.Context, id int64) (*WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return &e, nil
}

// changeWebhook locks an endpoint, applies change and audits it.
func (s *Store) changeWebhook(ctx context.Context, actor Actor, ip string, id int64, action string,
	change func(tx *gorm.DB, e *WebhookEndpoint) (oldValue, newValue *string, err error)) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var e WebhookEndpoint
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&e).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find webhook: %w", err)
		}
		oldValue, newValue, err := change(tx, &e)
		if err != nil {
			return err
		}
		return audit(tx, actor, ip, action, webhookTarget(id), oldValue, newValue)
	})
	if err == nil {
		s.InvalidateSubscriptions()
	}
	return err
}

func boolText(b bool) *string { v := strconv.FormatBool(b); return &v }

// SetWebhookEnabled enables or disables an endpoint. Enabling clears its
// failure record; deliveries that waited while it was off go out in order.
func (s *Store) SetWebhookEnabled(ctx context.Context, actor Actor, ip string, id int64, enabled bool) error {
	action := "webhook.disable"
	if enabled {
		action = "webhook.enable"
	}
	return s.changeWebhook(ctx, actor, ip, id, action, func(tx *gorm.DB, e *WebhookEndpoint) (*string, *string, error) {
		upd := map[string]any{"enabled": enabled, "updated_at": Now()}
		if enabled {
			upd["failures"], upd["failing_since"], upd["disabled_reason"] = 0, nil, ""
		} else {
			upd["disabled_reason"] = "disabled by " + actor.Name
		}
		if err := tx.Model(&WebhookEndpoint{}).Where("id = ?", e.ID).Updates(upd).Error; err != nil {
			return nil, nil, fmt.Errorf("update webhook: %w", err)
		}
		return boolText(e.Enabled), boolText(enabled), nil
	})
}

// RotateWebhookSecret gives an endpoint a new secret (returned, shown once);
// the old one keeps signing alongside it for SecretOverlap.
func (s *Store) RotateWebhookSecret(ctx context.Context, actor Actor, ip string, id int64) (string, error) {
	secret := newWebhookSecret()
	sealed, err := s.sealWebhookSecret(secret)
	if err != nil {
		return "", err
	}
	err = s.changeWebhook(ctx, actor, ip, id, "webhook.rotate_secret", func(tx *gorm.DB, e *WebhookEndpoint) (*string, *string, error) {
		now := Now()
		if err := tx.Model(&WebhookEndpoint{}).Where("id = ?", e.ID).Updates(map[string]any{
			"secret": sealed, "previous_secret": e.Secret, "previous_secret_expires_at": now.Add(SecretOverlap), "updated_at": now,
		}).Error; err != nil {
			return nil, nil, fmt.Errorf("rotate webhook secret: %w", err)
		}
		return nil, nil, nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// DeleteWebhook removes an endpoint and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, actor Actor, ip string, id int64) error {
	return s.changeWebhook(ctx, actor, ip, id, "webhook.delete", func(tx *gorm.DB, e *WebhookEndpoint) (*string, *string, error) {
		if err := tx.Where("endpoint_id = ?", e.ID).Delete(&WebhookDelivery{}).Error; err != nil {
			return nil, nil, fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if err := tx.Where("id = ?", e.ID).Delete(&WebhookEndpoint{}).Error; err != nil {
			return nil, nil, fmt.Errorf("delete webhook: %w", err)
		}
		return &e.URL, nil, nil
	})
}

// QueueTestEvent queues a webhook.test event for one endpoint (whatever it
// subscribes to) and returns its delivery's id.
func (s *Store) QueueTestEvent(ctx context.Context, actor Actor, ip string, id int64) (int64, error) {
	var deliveryID int64
	err := s.changeWebhook(ctx, actor, ip, id, "webhook.test", func(tx *gorm.DB, e *WebhookEndpoint) (*string, *string, error) {
		b := &outboxBatch{now: Now()}
		msg := b.addFor([]int64{e.ID}, WebhookTest, 0, 0, map[string]any{
			"endpoint_id": e.ID, "message": "a test event from reviewq", "sent_by": ActorJSON(actor)})
		if err := b.write(ctx, tx); err != nil {
			return nil, nil, err
		}
		if err := tx.Model(&WebhookDelivery{}).Select("id").Where("msg_id = ?", msg).Scan(&deliveryID).Error; err != nil {
			return nil, nil, fmt.Errorf("find test delivery: %w", err)
		}
		return nil, &msg, nil
	})
	return deliveryID, err
}

// Redeliver queues a delivered or failed message to its endpoint again,
// with the same message id, after the endpoint's pending ones; it returns
// the endpoint's id.
func (s *Store) Redeliver(ctx context.Context, actor Actor, ip string, deliveryID int64) (int64, error) {
	var d WebhookDelivery
	if err := s.DB.WithContext(ctx).Omit("Type").Where("id = ?", deliveryID).Take(&d).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("find delivery: %w", err)
	}
	if d.Status == DeliveryPending {
		return 0, &ConflictError{Message: "this delivery is still pending"}
	}
	return d.EndpointID, s.changeWebhook(ctx, actor, ip, d.EndpointID, "webhook.redeliver", func(tx *gorm.DB, e *WebhookEndpoint) (*string, *string, error) {
		now := Now()
		again := WebhookDelivery{EndpointID: e.ID, MsgID: d.MsgID, OrderKey: d.OrderKey, Status: DeliveryPending, NextAttemptAt: now, CreatedAt: now}
		if err := tx.Omit("Type").Create(&again).Error; err != nil {
			return nil, nil, fmt.Errorf("redeliver: %w", err)
		}
		return nil, &d.MsgID, nil
	})
}

// ListDeliveries returns an endpoint's deliveries newest first, before the
// keyset cursor beforeID (0: from the newest); next is the following
// page's cursor, 0 at the end.
func (s *Store) ListDeliveries(ctx context.Context, endpointID, beforeID int64, limit int) ([]WebhookDelivery, int64, error) {
	if beforeID < 0 {
		return nil, 0, ErrBadCursor
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := s.DB.WithContext(ctx).Table("webhook_deliveries AS d").
		Select("d.*, COALESCE(o.type, '') AS type").Joins("LEFT JOIN outbox_events o ON o.msg_id = d.msg_id").
		Where("d.endpoint_id = ?", endpointID)
	if beforeID > 0 {
		q = q.Where("d.id < ?", beforeID)
	}
	var out []WebhookDelivery
	if err := q.Order("d.id DESC").Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DeliveryJob is a claimed delivery with what sending it needs.
type DeliveryJob struct {
	DeliveryID int64
	EndpointID int64
	MsgID      string
	Type       string
	Body       string
	URL        string
	Kind       string
	// Secrets sign the delivery: the current one and, during a rotation's
	// overlap, the previous one.
	Secrets   []string
	Attempt   int
	CreatedAt time.Time
}

// LogValue keeps the secrets out of logs.
func (j DeliveryJob) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("delivery", j.DeliveryID), slog.Int64("endpoint", j.EndpointID), slog.String("msg_id", j.MsgID))
}

// ClaimDeliveries takes up to limit due deliveries for this worker for
// lease: each is out of the others' reach until the lease ends (then a
// worker that died is replaced: at-least-once). A delivery waits for its
// endpoint's earlier pending deliveries of the same lead (so of the same
// review). On MySQL the
// rows are taken FOR UPDATE SKIP LOCKED, so workers of several instances
// never take one delivery at once; on SQLite the transaction is the only
// writer. only, when not 0, claims that delivery alone if it is pending
// (send test event), whether or not its endpoint is enabled.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration, only int64) ([]DeliveryJob, error) {
	var jobs []DeliveryJob
	err := s.tx(ctx, func(tx *gorm.DB) error {
		jobs = nil
		now := Now()
		var endpoints []WebhookEndpoint
		q := tx.Model(&WebhookEndpoint{})
		if only == 0 {
			q = q.Where("enabled = ?", true)
		}
		if err := q.Find(&endpoints).Error; err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		if len(endpoints) == 0 {
			return nil
		}
		byID := map[int64]*WebhookEndpoint{}
		ids := make([]int64, len(endpoints))
		for i := range endpoints {
			byID[endpoints[i].ID], ids[i] = &endpoints[i], endpoints[i].ID
		}
		// A plain read finds the candidates (the order check must see
		// every pending row, locked or not); the locking read then takes
		// those no other worker holds.
		var candidates []int64
		cq := tx.Table("webhook_deliveries AS d").Select("d.id").Where("d.status = ? AND d.endpoint_id IN ?", DeliveryPending, ids)
		if only != 0 {
			cq = cq.Where("d.id = ?", only)
		} else {
			cq = cq.Where("d.next_attempt_at <= ?", now).Where(`d.order_key = 0 OR NOT EXISTS (SELECT 1 FROM webhook_deliveries p
				WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key AND p.status = ? AND p.id < d.id)`, DeliveryPending)
		}
		if err := cq.Order("d.next_attempt_at, d.id").Limit(limit).Pluck("d.id", &candidates).Error; err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		if len(candidates) == 0 {
			return nil
		}
		lock := "SELECT id FROM webhook_deliveries WHERE id IN (" + placeholders(len(candidates)) + ") AND status = ?"
		args := append(int64Args(candidates), DeliveryPending)
		if only == 0 {
			lock += " AND next_attempt_at <= ?"
			args = append(args, now)
		}
		if s.Dialect == MySQL {
			lock += " ORDER BY id FOR UPDATE SKIP LOCKED"
		}
		var claimed []int64
		if err := tx.Raw(lock, args...).Pluck("id", &claimed).Error; err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		if len(claimed) == 0 {
			return nil
		}
		if err := tx.Model(&WebhookDelivery{}).Where("id IN ?", claimed).Updates(map[string]any{
			"next_attempt_at": now.Add(lease), "last_attempt_at": now, "attempts": gorm.Expr("attempts + 1"),
		}).Error; err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		type row struct {
			ID         int64
			EndpointID int64
			MsgID      string
			Attempts   int
			CreatedAt  time.Time
			Type       string
			Body       string
		}
		var rows []row
		if err := tx.Table("webhook_deliveries AS d").Select("d.id, d.endpoint_id, d.msg_id, d.attempts, d.created_at, o.type, o.body").
			Joins("JOIN outbox_events o ON o.msg_id = d.msg_id").Where("d.id IN ?", claimed).Order("d.id").Scan(&rows).Error; err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		for _, r := range rows {
			e := byID[r.EndpointID]
			secrets, err := s.signingSecrets(e, now)
			if err != nil {
				return err
			}
			jobs = append(jobs, DeliveryJob{DeliveryID: r.ID, EndpointID: e.ID, MsgID: r.MsgID, Type: r.Type, Body: r.Body, URL: e.URL,
				Kind: e.Kind, Secrets: secrets, Attempt: r.Attempts, CreatedAt: r.CreatedAt})
		}
		return nil
	})
	return jobs, err
}

// DeliveryResult is what one attempt got.
type DeliveryResult struct {
	OK           bool
	ResponseCode int
	Latency      time.Duration
	// Snippet is the first bytes of the answer; Error says why it failed.
	Snippet string
	Error   string
}

// DeliveryPolicy is how failures are retried and endpoints given up on.
type DeliveryPolicy struct {
	// RetryBase is the first retry's delay; each next one doubles, up to
	// RetryMax, each with ±20% jitter.
	RetryBase, RetryMax time.Duration
	// GiveUpAfter: a delivery still failing this long after its event is
	// marked failed. DisableAfter: an endpoint failing this long is
	// disabled.
	GiveUpAfter, DisableAfter time.Duration
}

// DefaultDeliveryPolicy retries for about a day: 10 s, 20 s, 40 s, ... up
// to every 2 h.
var DefaultDeliveryPolicy = DeliveryPolicy{RetryBase: 10 * time.Second, RetryMax: 2 * time.Hour, GiveUpAfter: 24 * time.Hour, DisableAfter: 24 * time.Hour}

// RetryDelay is the delay before attempt+1 after attempt failed.
func (p DeliveryPolicy) RetryDelay(attempt int) time.Duration {
	d := float64(p.RetryBase) * math.Pow(2, float64(max(attempt-1, 0)))
	d = min(d, float64(p.RetryMax))
	// #nosec G404 -- jitter spreads retries; it needs no secrecy.
	return time.Duration(d * (0.8 + 0.4*mathrand.Float64()))
}

// FinishDelivery records an attempt: a success marks the delivery
// delivered and clears the endpoint's failure record; a failure schedules
// the next attempt (or gives up after the policy's day), counts against
// the endpoint, and disables it once it has failed for DisableAfter.
func (s *Store) FinishDelivery(ctx context.Context, job DeliveryJob, res DeliveryResult, p DeliveryPolicy) error {
	res.Snippet = truncateRunes(res.Snippet, 200)
	res.Error = truncateRunes(res.Error, 200)
	disabled := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		disabled = false
		now := Now()
		upd := map[string]any{"response_code": nil, "latency_ms": int(res.Latency.Milliseconds()), "response_snippet": res.Snippet, "error": res.Error}
		if res.ResponseCode != 0 {
			upd["response_code"] = res.ResponseCode
		}
		if res.OK {
			upd["status"], upd["delivered_at"] = DeliveryDelivered, now
		} else if now.Sub(job.CreatedAt) >= p.GiveUpAfter {
			upd["status"] = DeliveryFailed
		} else {
			upd["next_attempt_at"] = now.Add(p.RetryDelay(job.Attempt))
		}
		if err := tx.Model(&WebhookDelivery{}).Where("id = ? AND status = ?", job.DeliveryID, DeliveryPending).Updates(upd).Error; err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		if res.OK {
			return tx.Model(&WebhookEndpoint{}).Where("id = ? AND failures > 0", job.EndpointID).
				Updates(map[string]any{"failures": 0, "failing_since": nil}).Error
		}
		var e WebhookEndpoint
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", job.EndpointID).Take(&e).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil // deleted meanwhile
			}
			return fmt.Errorf("find webhook: %w", err)
		}
		since := now
		if e.FailingSince != nil {
			since = *e.FailingSince
		}
		eupd := map[string]any{"failures": e.Failures + 1, "failing_since": since}
		if e.Enabled && now.Sub(since) >= p.DisableAfter {
			disabled = true
			eupd["enabled"], eupd["updated_at"] = false, now
			eupd["disabled_reason"] = "disabled automatically: failing since " + DisplayTime(since)
		}
		if err := tx.Model(&WebhookEndpoint{}).Where("id = ?", e.ID).Updates(eupd).Error; err != nil {
			return fmt.Errorf("record webhook failure: %w", err)
		}
		if disabled {
			reason := eupd["disabled_reason"].(string)
			return audit(tx, SystemActor, "", "webhook.disable", webhookTarget(e.ID), boolText(true), &reason)
		}
		return nil
	})
	if disabled {
		s.InvalidateSubscriptions()
	}
	return err
}

func truncateRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// PruneWebhooks deletes finished deliveries and events older than
// retention, and the once-marks of reviews no longer pending; it returns
// how many deliveries went.
func (s *Store) PruneWebhooks(ctx context.Context, retention time.Duration) (int64, error) {
	cutoff := Now().Add(-retention)
	db := s.DB.WithContext(ctx)
	q := db.Where("status <> ? AND COALESCE(delivered_at, last_attempt_at, created_at) < ?", DeliveryPending, cutoff)
	if s.Dialect == MySQL {
		// Bounded, so a first prune after a long pause does not hold
		// locks for long; the next minute takes the rest.
		q = q.Limit(10000)
	}
	res := q.Delete(&WebhookDelivery{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune deliveries: %w", res.Error)
	}
	if err := db.Where("created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.msg_id = outbox_events.msg_id)", cutoff).
		Delete(&OutboxEvent{}).Error; err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	if err := db.Exec("DELETE FROM outbox_once WHERE name IN ? AND created_at < ? AND NOT EXISTS "+
		"(SELECT 1 FROM reviews WHERE reviews.id = outbox_once.subject_id AND reviews.status = ?)",
		[]string{WebhookSLAWarning, WebhookSLABreached}, cutoff, StatusPending).Error; err != nil {
		return 0, fmt.Errorf("prune outbox marks: %w", err)
	}
	if err := db.Exec("DELETE FROM outbox_once WHERE name = ? AND created_at < ?", WebhookQueueReminder, cutoff).Error; err != nil {
		return 0, fmt.Errorf("prune outbox marks: %w", err)
	}
	return res.RowsAffected, nil
}

// WebhookBacklog is the undelivered work: pending deliveries to enabled
// endpoints and the age of the oldest.
type WebhookBacklog struct {
	Pending    int64
	OldestAge  time.Duration
	ByEndpoint []EndpointDeliveryCounts
	// Failing: enabled endpoints whose last WebhookFailingAfter
	// deliveries failed; AutoOff: endpoints disabled after failing.
	Failing int64
	AutoOff int64
}

// EndpointDeliveryCounts counts an endpoint's pending or failed deliveries.
type EndpointDeliveryCounts struct {
	EndpointID int64
	Status     string
	N          int64
}

// WebhookStats reads the figures the metrics show.
func (s *Store) WebhookStats(ctx context.Context) (*WebhookBacklog, error) {
	db := s.DB.WithContext(ctx)
	out := &WebhookBacklog{}
	var oldest []WebhookDelivery
	undelivered := func() *gorm.DB {
		return db.Table("webhook_deliveries AS d").Joins("JOIN webhook_endpoints e ON e.id = d.endpoint_id").
			Where("d.status = ? AND e.enabled = ?", DeliveryPending, true)
	}
	if err := undelivered().Count(&out.Pending).Error; err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	if err := undelivered().Select("d.created_at").Order("d.created_at").Limit(1).Find(&oldest).Error; err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	if len(oldest) > 0 {
		out.OldestAge = max(Now().Sub(oldest[0].CreatedAt), 0)
	}
	// Pending and failed only: a range of the status index, where the
	// delivered rows (most of the table) would be a full scan.
	if err := db.Table("webhook_deliveries").Select("endpoint_id, status, COUNT(*) AS n").Where("status IN ?", []string{DeliveryPending, DeliveryFailed}).
		Group("endpoint_id, status").Scan(&out.ByEndpoint).Error; err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	if err := db.Model(&WebhookEndpoint{}).Where("enabled = ? AND failures >= ?", true, WebhookFailingAfter).Count(&out.Failing).Error; err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	if err := db.Model(&WebhookEndpoint{}).Where("enabled = ? AND failing_since IS NOT NULL", false).Count(&out.AutoOff).Error; err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	return out, nil
}
