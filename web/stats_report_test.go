package web

import "testing"

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-2": "'-2", "@cmd": "'@cmd", "\tx": "'\tx", "\r=x": "'\r=x",
		"  =HYPERLINK()": "'  =HYPERLINK()", "Ana": "Ana", "": "", "0.5000": "0.5000", "not_a_fit": "not_a_fit",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
