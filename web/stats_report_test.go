package web

import (
	"testing"
	"time"
)

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-2": "'-2", "@cmd": "'@cmd", "\tx": "'\tx", "\r=x": "'\r=x",
		"  =HYPERLINK()": "'  =HYPERLINK()", "Ana": "Ana", "": "", "0.5000": "0.5000", "not_a_fit": "not_a_fit",
		// Pipes and semicolons (DDE, separators in some locales) and the
		// fullwidth forms some spreadsheets read as the ASCII ones.
		"|cmd": "'|cmd", ";x": "';x", "\uff1dSUM(A1)": "'\uff1dSUM(A1)", "\uff0b1": "'\uff0b1", "\uff0d2": "'\uff0d2",
		"\uff20cmd": "'\uff20cmd", "\uff5ccmd": "'\uff5ccmd", "\uff1bx": "'\uff1bx", "\u3000=x": "'\u3000=x",
		"Zo\u00eb": "Zo\u00eb", "a|b": "a|b",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[time.Duration]string{
		30 * time.Second: "< 1 min", 7 * time.Minute: "7 min", 2 * time.Hour: "2 h", 9*time.Hour + 15*time.Minute: "9 h 15 min",
		47 * time.Hour: "47 h", 48 * time.Hour: "2 d", 76 * time.Hour: "3 d 4 h",
	} {
		if got := HumanDuration(in); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", in, got, want)
		}
	}
}
