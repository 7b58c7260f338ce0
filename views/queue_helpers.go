package views

import (
	"strconv"
	"strings"
)

func reviewURL(id int64) string {
	return "/dashboard/review-queue/" + strconv.FormatInt(id, 10)
}

// chipKey names a type choice's count element ("all" for no type).
func chipKey(v string) string {
	if v == "" {
		return "all"
	}
	return v
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func joinNames(names []string) string {
	return strings.Join(names, ", ")
}
