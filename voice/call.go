package voice

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Line is where a call's audio goes: a phone stream, the web page.
type Line interface {
	// Play queues audio, then a mark that comes back (Call.Mark) once
	// the audio has been heard to its end.
	Play(ctx context.Context, a Audio, mark string) error
	// Clear drops the audio still queued (the caller barged in).
	Clear(ctx context.Context) error
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// MenuItem is one choice of the keypad menu: a key, what the call says
// for it, and the request it sends as a turn.
type MenuItem struct {
	Key  string `json:"key"`
	Say  string `json:"say"`
	Text string `json:"text"`
}

// Config is how calls behave.
type Config struct {
	Rate       int           // the line's sample rate
	FrameMs    int           // the length of one inbound frame
	HangoverMs int           // quiet that ends an utterance
	MaxSpeech  time.Duration // the longest utterance
	NoInput    time.Duration // how long to wait for an answer
	Reprompts  int           // re-prompts before the keypad
	MaxCall    time.Duration // the longest call
	Menu       []MenuItem
	// CallBack, when set, lets a caller waiting out a cooling period ask
	// to be called back when the proposal can be confirmed.
	CallBack func(ctx context.Context, a session.Actor, p session.ProposalID) error
	Now      func() time.Time // the kernel's clock (cooling periods)
	Log      *slog.Logger
	// Said, when set, is told every prompt's text as it is played.
	Said func(text string)
}

func (c *Config) defaults() {
	c.FrameMs = cmp0(c.FrameMs, 20)
	c.HangoverMs = cmp0(c.HangoverMs, 400)
	c.MaxSpeech = cmp0(c.MaxSpeech, 8*time.Second)
	c.NoInput = cmp0(c.NoInput, 7*time.Second)
	c.Reprompts = cmp0(c.Reprompts, 2)
	c.MaxCall = cmp0(c.MaxCall, 15*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

func cmp0[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// Notice is what an outbound call carries (an alert): what to say, what
// acknowledging does, and the proposal attached, read back and confirmed
// like any other.
type Notice struct {
	Text        string
	Acknowledge func(ctx context.Context, by session.Actor) error
	Proposal    session.ProposalID
}

// Start is how a call begins: who is on it, from where, and what it is
// about (a notice, proposals waiting; or nothing, for the menu).
type Start struct {
	ID        string // the call's id, the prefix of its turns' dedupe keys
	Actor     session.Actor
	From      session.Address
	Notice    *Notice
	Proposals []session.ProposalID
}

type evKind int

const (
	evAudio evKind = iota
	evMark
	evDigit
	evStop
)

type event struct {
	kind evKind
	pcm  []int16
	s    string
}

// Call is one spoken conversation. A transport feeds it (Audio, Mark,
// Digit, Stop) from its own goroutine while Run plays the dialogue.
type Call struct {
	cfg  Config
	sp   Speech
	core channels.Core
	line Line
	st   Start
	ev   chan event
	stop sync.Once
	done chan struct{}

	listen   *Listener
	prompt   prompt
	phase    phase
	card     *session.ProposalCard
	heard    bool // the current card's read-back was heard to its end
	tries    int  // re-prompts for the current question
	deadline time.Time
	seq      int
	ticks    int
	playEnd  time.Time // when the last prompt should have played out
	ended    bool
	// Heard records every judged utterance (tests and figures read it).
	Heard []Heard
	mu    sync.Mutex
}

// prompt is what the call said last and whether it was heard.
type prompt struct {
	mark        string
	readBack    bool
	played      bool
	interrupted bool
	text        string
}

// NewCall returns a call; Run plays it.
func NewCall(cfg Config, sp Speech, core channels.Core, line Line, st Start) *Call {
	cfg.defaults()
	return &Call{cfg: cfg, sp: sp, core: core, line: line, st: st, ev: make(chan event, 4096), done: make(chan struct{}),
		listen: NewListener(cfg.Rate, cfg.FrameMs, cfg.HangoverMs, int(cfg.MaxSpeech/time.Millisecond))}
}

// Audio hands the call one frame of the caller's audio.
func (c *Call) Audio(pcm []int16) { c.send(event{kind: evAudio, pcm: pcm}) }

// Mark says the line played audio up to a mark.
func (c *Call) Mark(name string) { c.send(event{kind: evMark, s: name}) }

// Digit hands the call a keypad press.
func (c *Call) Digit(d string) { c.send(event{kind: evDigit, s: d}) }

// Stop ends the call (the caller hung up).
func (c *Call) Stop() { c.send(event{kind: evStop}) }

func (c *Call) send(e event) {
	select {
	case c.ev <- e:
	case <-c.done:
	default:
		c.cfg.Log.Warn("call: inbound queue full, frame dropped", "call", c.st.ID)
	}
}

// Run plays the call until the caller hangs up, the call ends it, or ctx
// ends.
func (c *Call) Run(ctx context.Context) error {
	defer close(c.done)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.MaxCall)
	defer cancel()
	c.begin(ctx)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for !c.ended {
		select {
		case <-ctx.Done():
			return nil
		case e := <-c.ev:
			if e.kind == evStop {
				return nil
			}
			c.handle(ctx, e)
		case <-tick.C:
			c.tick(ctx)
		}
	}
	return c.line.Hangup(ctx)
}

func (c *Call) handle(ctx context.Context, e event) {
	switch e.kind {
	case evAudio:
		c.audio(ctx, e.pcm)
	case evMark:
		if e.s == c.prompt.mark && !c.prompt.interrupted {
			c.prompt.played = true
			if c.prompt.readBack {
				c.heard = true // VOI-02: the read-back was heard to its end
			}
			c.deadline = time.Now().Add(c.cfg.NoInput)
		}
	case evDigit:
		c.digit(ctx, e.s)
	}
}

// audio feeds the endpointer; speech while a prompt plays is a barge-in.
func (c *Call) audio(ctx context.Context, pcm []int16) {
	edge, utt := c.listen.Push(pcm)
	switch edge {
	case EdgeStart:
		c.deadline = time.Time{}
		if !c.prompt.played && c.prompt.mark != "" {
			c.prompt.interrupted = true // the rest of this prompt is not heard
			if err := c.line.Clear(ctx); err != nil {
				c.cfg.Log.Warn("call: clear", "call", c.st.ID, "err", err)
			}
		}
	case EdgeEnd:
		c.utterance(ctx, utt)
	}
}

// say synthesizes text and plays it with a fresh mark; readBack marks the
// prompt as the read-back of the current card.
func (c *Call) say(ctx context.Context, text string, readBack bool) {
	c.seq++
	c.prompt = prompt{mark: fmt.Sprintf("m%d", c.seq), readBack: readBack, text: text}
	if readBack {
		c.heard = false
	}
	c.deadline = time.Time{}
	c.listen.Reset()
	a, err := c.sp.TTS.Synthesize(ctx, text, Format{Rate: c.cfg.Rate})
	if err == nil {
		c.playEnd = time.Now().Add(time.Duration(a.Millis()) * time.Millisecond)
		if c.cfg.Said != nil {
			c.cfg.Said(text)
		}
		err = c.line.Play(ctx, a, c.prompt.mark)
	}
	if err != nil {
		c.cfg.Log.Error("call: say", "call", c.st.ID, "err", err)
		c.ended = true
	}
}

// hangup says goodbye and ends the call once it has been said.
func (c *Call) hangup(ctx context.Context, text string) {
	c.phase = phaseBye
	c.say(ctx, text, false)
}

func (c *Call) tick(ctx context.Context) {
	if c.phase == phaseCooling {
		c.cooled(ctx)
		return
	}
	if c.phase == phaseBye && (c.prompt.played || time.Now().After(c.playEnd.Add(2*time.Second))) {
		c.ended = true
		return
	}
	if c.card != nil && c.phase != phaseBye {
		c.watch(ctx)
	}
	if !c.deadline.IsZero() && time.Now().After(c.deadline) && !c.listen.Speaking() {
		c.deadline = time.Time{}
		c.silence(ctx)
	}
}

// record notes a judged utterance.
func (c *Call) record(h Heard) {
	c.mu.Lock()
	c.Heard = append(c.Heard, h)
	c.mu.Unlock()
}

// Judged returns the utterances judged so far.
func (c *Call) Judged() []Heard {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Heard(nil), c.Heard...)
}

// Dialer places outbound calls (voice/twilio implements it): it rings the
// actor's linked number and plays the notice, an alert to acknowledge and
// the fix attached, to confirm like any proposal. It returns the call's
// id on the phone network.
type Dialer interface {
	Dial(ctx context.Context, a session.Actor, n Notice) (string, error)
}
