package ground

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dates and times.

// markDates turns "Dec 1", "1 December" and "March 3, 2026" into date
// claims and skips list enumerators ("1." at the start of a line).
func (c *checker) markDates() {
	for i := range c.toks {
		t := &c.toks[i]
		if t.kind == kNumber && (i == 0 || c.toks[i-1].kind == kPunct && c.toks[i-1].p == '\n') &&
			i+1 < len(c.toks) && c.toks[i+1].kind == kPunct && (c.toks[i+1].p == '.' || c.toks[i+1].p == ')') {
			t.skip = true
			continue
		}
		if t.kind != kWord {
			continue
		}
		m := months[t.norm]
		if m == 0 || (t.norm == "may" && t.text != "May") {
			continue
		}
		day, dayTok, year := 0, -1, 0
		if i+1 < len(c.toks) && isDay(c.toks[i+1]) {
			day, dayTok = int(c.toks[i+1].num), i+1
			k := i + 2
			if k < len(c.toks) && c.toks[k].kind == kPunct && c.toks[k].p == ',' {
				k++
			}
			if k < len(c.toks) && isYear(c.toks[k]) {
				year = int(c.toks[k].num)
				c.toks[k].skip = true
			}
		} else if i > 0 && isDay(c.toks[i-1]) {
			day, dayTok = int(c.toks[i-1].num), i-1
		} else if i > 1 && c.toks[i-1].norm == "of" && isDay(c.toks[i-2]) {
			day, dayTok = int(c.toks[i-2].num), i-2
		}
		if dayTok < 0 {
			continue
		}
		if year == 0 && i+1 < len(c.toks) && dayTok < i && isYear(c.toks[i+1]) {
			year = int(c.toks[i+1].num)
			c.toks[i+1].skip = true
		}
		c.toks[dayTok].skip = true
		md := fmt.Sprintf("%02d-%02d", m, day)
		c.monthDate(i, md, year)
	}
}

func isDay(t token) bool {
	return t.kind == kNumber && t.num >= 1 && t.num <= 31 && t.num == math.Trunc(t.num) && !strings.HasSuffix(t.norm, "%")
}

func isYear(t token) bool {
	return t.kind == kNumber && t.num >= 1900 && t.num <= 2100 && t.num == math.Trunc(t.num)
}

func (c *checker) monthDate(i int, md string, year int) {
	t := c.toks[i]
	match := func(d string) bool {
		return isDateLike(d) && d[5:10] == md && (year == 0 || d[:4] == strconv.Itoa(year))
	}
	ok := false
	for d := range c.x.dates {
		if match(d) {
			ok = true
			break
		}
	}
	if !ok {
		c.fail(KindDate, t, "no fact contains the date "+md)
		return
	}
	if subj := c.subject(i); subj != "" {
		objs := c.mentioning(subj)
		for _, o := range objs {
			for _, tok := range o.toks {
				if len(tok) >= 10 && match(tok[:10]) {
					return
				}
			}
		}
		if len(objs) > 0 {
			c.fail(KindDate, t, fmt.Sprintf("no fact gives the date %s for %s", md, subj))
		}
	}
}

func (c *checker) date(i int) {
	t := c.toks[i]
	d := t.norm[:10]
	if !has(c.x.dates, d) {
		c.fail(KindDate, t, "no fact contains the date "+d)
		return
	}
	if len(t.norm) > 10 && !has(c.x.toks, t.norm) {
		rest := t.norm[11:]
		end := 0
		for end < len(rest) && (isDigitByte(rest[end]) || rest[end] == ':') {
			end++
		}
		if !has(c.x.times, rest[:end]) {
			c.fail(KindDate, t, "no fact contains the time "+t.norm)
			return
		}
	}
	if subj := c.subject(i); subj != "" {
		objs := c.mentioning(subj)
		for _, o := range objs {
			if o.mentions(d) {
				return
			}
		}
		if len(objs) > 0 {
			c.fail(KindDate, t, fmt.Sprintf("no fact gives the date %s for %s", d, subj))
		}
	}
}
