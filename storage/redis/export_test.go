package redis

// StopRenewalForTest stops a turn's lease renewal without releasing
// anything, as a process killed mid-update would.
func (t *Turn) StopRenewalForTest() { t.stopRenewal() }
