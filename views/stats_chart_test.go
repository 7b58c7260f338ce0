package views

import "testing"

func TestNiceScaleDoesNotOvershoot(t *testing.T) {
	for _, c := range []struct{ peak, top, step int64 }{
		{0, 4, 1}, {3, 4, 1}, {5, 5, 1}, {7, 8, 2}, {11, 15, 5}, {23, 25, 5}, {48, 50, 10}, {101, 125, 25},
		{209, 250, 50}, {500, 500, 100}, {501, 600, 200}, {1999, 2000, 500}, {12345, 12500, 2500},
	} {
		top, step := niceScale(c.peak)
		if top != c.top || step != c.step {
			t.Errorf("niceScale(%d) = %d in steps of %d, want %d in steps of %d", c.peak, top, step, c.top, c.step)
		}
		if top < c.peak || top/step > 5 {
			t.Errorf("niceScale(%d) = %d/%d does not cover the peak in five steps", c.peak, top, step)
		}
	}
}
