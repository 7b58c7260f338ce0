package views

// MFAPage is the operator's own two-factor sign-in page: off (set up),
// pending (QR code, secret, confirm), on (codes left, turn off), or just
// confirmed (the recovery codes, shown this once).
type MFAPage struct {
	Page
	Required      bool
	Enabled       bool
	Since         string
	CodesLeft     int
	Pending       bool
	Secret        string
	QRURL         string
	RecoveryCodes []string
	Flash         string
	Error         string
}

// MFACodePage asks for the second factor after the password.
type MFACodePage struct {
	Page
	Email string
	Next  string
	Error string
}
