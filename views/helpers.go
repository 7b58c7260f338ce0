package views

import (
	"encoding/json"
	"strconv"
)

func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

func navClass(current, item string) string {
	if current == item {
		return "current"
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

func rowID(id int64) string { return "review-" + strconv.FormatInt(id, 10) }

func decideURL(id int64, outcome string) string {
	return "/dashboard/review-queue/" + strconv.FormatInt(id, 10) + "/" + outcome
}

func slaLabel(sla string) string {
	switch sla {
	case "critical":
		return "SLA breached"
	case "warning":
		return "SLA soon"
	}
	return ""
}

func ariaCurrent(active bool) string {
	if active {
		return "page"
	}
	return "false"
}

// shortcutsAttr is the body's data-shortcuts: "off" when the operator
// turned single-key shortcuts off.
func shortcutsAttr(off bool) string {
	if off {
		return "off"
	}
	return "on"
}
