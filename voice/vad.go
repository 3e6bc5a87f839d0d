package voice

// Endpointer finds where a caller's speech starts and ends in a stream of
// frames by their energy (a voice-activity detector with hangover): speech
// starts after Attack consecutive frames above the threshold, and ends
// after Hangover of frames below it. The threshold follows the line's
// noise floor: the floor is tracked while nobody speaks, and the threshold
// is the floor plus Margin dB, never below Min dBFS.
type Endpointer struct {
	FrameMs  int     // the length of one frame, in ms
	Attack   int     // frames above the threshold that start speech
	Hangover int     // ms below the threshold that end speech
	Margin   float64 // dB above the noise floor
	Min      float64 // the lowest threshold, dBFS

	floor    float64
	above    int
	quiet    int
	speaking bool
	frames   int
}

// Edge is what one frame did: nothing, start speech, or end it.
type Edge int

// Edges.
const (
	EdgeNone Edge = iota
	EdgeStart
	EdgeEnd
)

// NewEndpointer returns an endpointer for frames of frameMs with the
// defaults: speech starts after 40 ms above the threshold, ends after
// hangover ms below it; the threshold is 12 dB over the noise floor and
// at least −42 dBFS.
func NewEndpointer(frameMs, hangoverMs int) *Endpointer {
	return &Endpointer{FrameMs: frameMs, Attack: max(1, 40/frameMs), Hangover: hangoverMs, Margin: 12, Min: -42, floor: -60}
}

// Speaking reports whether speech has started and not ended.
func (e *Endpointer) Speaking() bool { return e.speaking }

// Threshold is the level speech must pass now, in dBFS.
func (e *Endpointer) Threshold() float64 { return max(e.floor+e.Margin, e.Min) }

// Push takes one frame and says whether speech started or ended with it.
func (e *Endpointer) Push(frame []int16) Edge {
	lv := Level(frame)
	e.frames++
	th := e.Threshold()
	if !e.speaking {
		if lv > th {
			e.above++
			if e.above >= e.Attack {
				e.speaking, e.quiet = true, 0
				return EdgeStart
			}
			return EdgeNone
		}
		e.above = 0
		e.track(lv)
		return EdgeNone
	}
	if lv > th-3 { // hysteresis: a little below the start threshold still counts as speech
		e.quiet = 0
		return EdgeNone
	}
	e.quiet++
	if e.quiet*e.FrameMs >= e.Hangover {
		e.speaking, e.above = false, 0
		return EdgeEnd
	}
	return EdgeNone
}

// QuietMs is how long the current speech has been below the threshold
// (the part of the hangover already waited).
func (e *Endpointer) QuietMs() int { return e.quiet * e.FrameMs }

// track follows the noise floor: quickly down, slowly up.
func (e *Endpointer) track(lv float64) {
	if lv < e.floor {
		e.floor = 0.7*e.floor + 0.3*lv
		return
	}
	e.floor = 0.98*e.floor + 0.02*lv
}
