package crm

import (
	"math"
	"time"
)

// hoursOfWeek is the circle best send times live on.
const hoursOfWeek = 7 * 24

// hourOfWeek is t's place in its week, in hours from Monday 00:00, local.
func hourOfWeek(t time.Time) float64 {
	wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
	return float64(wd*24+t.Hour()) + float64(t.Minute())/60
}

// BestHourOfWeek is the circular mean of the moments' hours of the week
// in loc: the moments are angles on a 168-hour circle, averaged as unit
// vectors, so 23:30 and 00:30 average to midnight rather than to noon as
// a plain mean or median would. ok is false with fewer than minMoments
// or when they are spread so evenly (resultant length under minR) that
// there is no best hour to speak of.
func BestHourOfWeek(moments []time.Time, loc *time.Location) (hour float64, ok bool) {
	const minMoments, minR = 3, 0.2
	if len(moments) < minMoments {
		return 0, false
	}
	if loc == nil {
		loc = time.UTC
	}
	var sx, sy float64
	for _, t := range moments {
		a := 2 * math.Pi * hourOfWeek(t.In(loc)) / hoursOfWeek
		sx += math.Cos(a)
		sy += math.Sin(a)
	}
	n := float64(len(moments))
	if math.Hypot(sx/n, sy/n) < minR {
		return 0, false
	}
	a := math.Atan2(sy, sx)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a / (2 * math.Pi) * hoursOfWeek, true
}

// NextHourOfWeek is the first moment at or after now, in loc, at hour of
// the week (within the coming week), moved out of quiet hours.
func NextHourOfWeek(now time.Time, hour float64, loc *time.Location, quiet QuietHours) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	ahead := math.Mod(hour-hourOfWeek(local)+hoursOfWeek, hoursOfWeek)
	at := local.Add(time.Duration(ahead * float64(time.Hour))).Truncate(time.Minute)
	if at.Before(local) {
		at = at.Add(time.Minute)
	}
	return quiet.NextAllowed(at)
}

// SendPlan is when one campaign message goes and why then.
type SendPlan struct {
	At     time.Time
	Timing string
}

// PlanSendTime decides when a message goes: at now when best time is off
// (out of quiet hours); otherwise at the customer's best hour of the
// week from their own moments, else the segment's, else everyone's, else
// now. explore of the sends (a hash of key decides which, so a replayed
// sweep plans the same) go at a random allowed moment of the next day
// instead, so the model keeps learning and the report can compare.
func PlanSendTime(now time.Time, loc *time.Location, quiet QuietHours, bestTime bool, explore float64, key string,
	own, segment, everyone []time.Time) SendPlan {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	if !bestTime {
		return SendPlan{At: quiet.NextAllowed(local), Timing: TimingNow}
	}
	if unitHash(key, "explore") < explore {
		offset := time.Duration(unitHash(key, "when") * float64(24*time.Hour)).Truncate(time.Minute)
		return SendPlan{At: quiet.NextAllowed(local.Add(offset)), Timing: TimingRandom}
	}
	for _, moments := range [][]time.Time{own, segment, everyone} {
		if h, ok := BestHourOfWeek(moments, loc); ok {
			return SendPlan{At: NextHourOfWeek(now, h, loc, quiet), Timing: TimingBest}
		}
	}
	return SendPlan{At: quiet.NextAllowed(local), Timing: TimingNow}
}
