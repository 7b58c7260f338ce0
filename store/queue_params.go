package store

import (
	"net/url"
	"strings"
)

// QueueParams is the queue's filter and sort as a URL carries them (the
// queue page, its htmx requests and saved views). It is the one parser of
// those parameters: the page reads them through it and a saved view's
// query is checked and normalised by it.
type QueueParams struct {
	Type     string
	Campaign string
	Source   string
	Age      string
	Search   string
	Sort     string
	// State is "", escalated or snoozed.
	State string
	// Assignee is "", any, me, none or an operator's email.
	Assignee string
}

// QueueParamNames are the parameters a saved view's query may hold, in
// the order they are written (the queue page also takes cursor).
var QueueParamNames = []string{"type", "state", "assignee", "campaign", "source", "age", "q", "sort"}

func (p *QueueParams) field(name string) *string {
	switch name {
	case "type":
		return &p.Type
	case "state":
		return &p.State
	case "assignee":
		return &p.Assignee
	case "campaign":
		return &p.Campaign
	case "source":
		return &p.Source
	case "age":
		return &p.Age
	case "q":
		return &p.Search
	case "sort":
		return &p.Sort
	}
	return nil
}

// Filter is the store filter the parameters ask for, checked; me is the
// operator assignee=me means.
func (p QueueParams) Filter(me int64) (QueueFilter, error) {
	f := QueueFilter{ReviewType: p.Type, Campaign: p.Campaign, Source: p.Source, AgeBand: p.Age, Search: p.Search, Sort: p.Sort}
	switch p.State {
	case "", StateEscalated, StateSnoozed:
		f.State = p.State
	default:
		return f, invalid("state", "must be escalated or snoozed")
	}
	switch p.Assignee {
	case "", "any":
	case "me":
		f.AssigneeID = me
		if me == 0 {
			return f, invalid("assignee", "me needs a signed-in operator")
		}
	case "none":
		f.Unassigned = true
	default:
		if !strings.Contains(p.Assignee, "@") {
			return f, invalid("assignee", "must be any, me, none or an operator's email")
		}
		f.AssigneeEmail = p.Assignee
	}
	return f, f.Validate()
}

// Values is the parameters as a query, leaving out what is unset and the
// default sort (oldest first). assignee=any stays: it differs from no
// assignee for an operator with reviews assigned (whose default is theirs).
func (p QueueParams) Values() url.Values {
	v := url.Values{}
	for _, k := range QueueParamNames {
		if s := *p.field(k); s != "" && (k != "sort" || s == SortScore) {
			v.Set(k, s)
		}
	}
	return v
}

// ParseQueueParams reads a saved view's query string: only the queue's
// parameters, each at most once, with values the queue accepts.
func ParseQueueParams(raw string) (QueueParams, error) {
	var p QueueParams
	v, err := url.ParseQuery(strings.TrimPrefix(raw, "?"))
	if err != nil {
		return p, invalid("query", "is not a query string")
	}
	for k, vals := range v {
		dst := p.field(k)
		if dst == nil {
			return p, invalid("query", "%q is not a queue filter (use %s)", k, strings.Join(QueueParamNames, ", "))
		}
		if len(vals) != 1 {
			return p, invalid("query", "%q is given %d times", k, len(vals))
		}
		*dst = vals[0]
	}
	// me stands for whoever opens the view: any id checks the rest.
	f, err := p.Filter(1)
	if err != nil {
		return p, err
	}
	p.Search, p.Sort = f.Search, f.Sort
	return p, nil
}

// NormalizeViewQuery checks a saved view's query and writes it the one way
// the queue page writes it (known parameters, fixed order, no empties, no
// cursor), so two views of the same filter have the same query.
func NormalizeViewQuery(raw string) (string, error) {
	p, err := ParseQueueParams(raw)
	if err != nil {
		return "", err
	}
	return encodeOrdered(p.Values()), nil
}

// encodeOrdered writes v in QueueParamNames order (url.Values.Encode sorts
// by key, which would do too, but the order people read is type first).
func encodeOrdered(v url.Values) string {
	var b strings.Builder
	for _, k := range QueueParamNames {
		if s, ok := v[k]; ok && len(s) > 0 {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(s[0]))
		}
	}
	return b.String()
}
