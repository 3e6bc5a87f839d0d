package voice

// Listener gathers one utterance from a stream of frames: it keeps a
// short pre-roll so the first syllable is not cut, starts collecting when
// the Endpointer hears speech start, and hands back the utterance when it
// ends (after the hangover) or when it has gone on for MaxMs.
type Listener struct {
	ep      *Endpointer
	rate    int
	pre     [][]int16
	preroll int // frames kept before speech
	buf     []int16
	maxLen  int // samples
}

// NewListener returns a listener for frames of frameMs at rate, ending an
// utterance after hangoverMs of quiet or maxMs in all.
func NewListener(rate, frameMs, hangoverMs, maxMs int) *Listener {
	return &Listener{ep: NewEndpointer(frameMs, hangoverMs), rate: rate, preroll: max(1, 200/frameMs), maxLen: rate * maxMs / 1000}
}

// Speaking reports whether an utterance is under way.
func (l *Listener) Speaking() bool { return l.ep.Speaking() }

// Push takes a frame. It returns EdgeStart when speech starts, and EdgeEnd with
// the whole utterance (pre-roll and hangover included) when it ends.
func (l *Listener) Push(frame []int16) (Edge, Audio) {
	edge := l.ep.Push(frame)
	switch {
	case edge == EdgeStart:
		l.buf = l.buf[:0]
		for _, f := range l.pre {
			l.buf = append(l.buf, f...)
		}
		l.pre = l.pre[:0]
		l.buf = append(l.buf, frame...)
		return EdgeStart, Audio{}
	case l.ep.Speaking():
		l.buf = append(l.buf, frame...)
		if len(l.buf) >= l.maxLen {
			return EdgeEnd, l.cut()
		}
		return EdgeNone, Audio{}
	case edge == EdgeEnd:
		l.buf = append(l.buf, frame...)
		return EdgeEnd, l.cut()
	}
	l.pre = append(l.pre, frame)
	if len(l.pre) > l.preroll {
		l.pre = l.pre[1:]
	}
	return EdgeNone, Audio{}
}

// cut ends the utterance and returns it.
func (l *Listener) cut() Audio {
	a := Audio{Rate: l.rate, PCM: append([]int16(nil), l.buf...)}
	l.buf = l.buf[:0]
	if l.ep.Speaking() {
		l.ep.speaking, l.ep.above, l.ep.quiet = false, 0, 0
	}
	return a
}

// Reset forgets any utterance under way (a new prompt starts).
func (l *Listener) Reset() {
	l.buf, l.pre = l.buf[:0], l.pre[:0]
	l.ep.speaking, l.ep.above, l.ep.quiet = false, 0, 0
}
