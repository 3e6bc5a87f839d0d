package offline

import (
	"strconv"
	"strings"
	"time"
)

// dateHit is a calendar date written in the request.
type dateHit struct {
	start, end int // token range, including a leading "due", "by", "on"…
	date       time.Time
}

// durationHit is an amount of time ("2 weeks", "30 days", "a month").
type durationHit struct {
	start, end int
	days       int
	number     bool // a bare number without a unit
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

var months = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
	"sixty": 60, "ninety": 90, "couple": 2, "few": 3,
}

var unitDays = map[string]int{
	"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "fortnights": 14,
	"month": 30, "months": 30, "year": 365, "years": 365,
}

// dateLeads are words that introduce a date and belong to its span.
var dateLeads = setOf(`due by on before until for`)

// findDates finds calendar dates relative to now.
func findDates(toks []token, now time.Time) []dateHit {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	var out []dateHit
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tkWord {
			continue
		}
		d, start, end, ok := dateAt(toks, i, today)
		if !ok {
			continue
		}
		if start > 0 && dateLeads[toks[start-1].low] {
			start--
		}
		out = append(out, dateHit{start: start, end: end, date: d})
		i = end - 1
	}
	return out
}

// dateAt reads a date written at word i: an ISO date, "today",
// "tomorrow", a weekday, "next week", "in 3 days" or a day of a month. It
// returns the date and its token range [start, end), which may begin
// before i ("the day after tomorrow", "next friday", "the 3rd may").
func dateAt(toks []token, i int, today time.Time) (time.Time, int, int, bool) {
	low := toks[i].low
	var d time.Time
	end := i + 1
	switch {
	case isISODate(low):
		t, err := time.Parse("2006-01-02", low)
		if err != nil {
			return d, 0, 0, false
		}
		d = t
	case low == "today" || low == "tonight":
		d = today
	case low == "tomorrow":
		d = today.AddDate(0, 0, 1)
		if i >= 3 && toks[i-1].low == "after" && toks[i-2].low == "day" && toks[i-3].low == "the" {
			d = today.AddDate(0, 0, 2)
			i -= 3
		}
	case weekdayOf(low) >= 0:
		wd := time.Weekday(weekdayOf(low))
		ahead := (int(wd) - int(today.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		d = today.AddDate(0, 0, ahead)
		if i > 0 && (toks[i-1].low == "next" || toks[i-1].low == "this") {
			i--
		}
	case low == "next" && i+1 < len(toks) && (toks[i+1].low == "week" || toks[i+1].low == "month"):
		if toks[i+1].low == "week" {
			d = today.AddDate(0, 0, 7)
		} else {
			d = today.AddDate(0, 1, 0)
		}
		end = i + 2
	case low == "in" && i+2 < len(toks) && unitDays[toks[i+2].low] > 0:
		n, ok := amount(toks[i+1].low)
		if !ok {
			return d, 0, 0, false
		}
		d = today.AddDate(0, 0, n*unitDays[toks[i+2].low])
		end = i + 3
	default:
		return monthDayAt(toks, i, today)
	}
	return d, i, end, true
}

// monthDayAt reads a month at word i with its day after it ("may 3") or
// before it ("the 3rd may"): the next such date from today on.
func monthDayAt(toks []token, i int, today time.Time) (time.Time, int, int, bool) {
	m, ok := months[toks[i].low]
	if !ok {
		return time.Time{}, 0, 0, false
	}
	day, end := 0, i+1
	switch {
	case i+1 < len(toks) && isDay(toks[i+1].low):
		day = dayOf(toks[i+1].low)
		end = i + 2
	case i > 0 && isDay(toks[i-1].low):
		day = dayOf(toks[i-1].low)
		i--
		if i > 0 && toks[i-1].low == "the" {
			i--
		}
	default:
		return time.Time{}, 0, 0, false // "may" is usually the verb
	}
	d := time.Date(today.Year(), m, day, 0, 0, 0, 0, today.Location())
	if d.Before(today) {
		d = d.AddDate(1, 0, 0)
	}
	return d, i, end, true
}

func weekdayOf(s string) int {
	if wd, ok := weekdays[s]; ok {
		return int(wd)
	}
	return -1
}

func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isDay(s string) bool { return dayOf(s) > 0 }

func dayOf(s string) int {
	s = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "st"), "nd"), "rd"), "th")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 31 {
		return 0
	}
	return n
}

func amount(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, true
	}
	n, ok := numberWords[s]
	return n, ok
}

// findDurations finds amounts of time and bare numbers.
func findDurations(toks []token) []durationHit {
	var out []durationHit
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tkWord {
			continue
		}
		low := toks[i].low
		// "next month", "a week", "2 weeks", "the next 30 days"
		if u := unitDays[low]; u > 0 {
			n := 1
			start := i
			if i > 0 {
				if v, ok := amount(toks[i-1].low); ok {
					n = v
					start = i - 1
					if toks[i-1].low == "couple" && i > 1 && toks[i-2].low == "a" {
						start = i - 2
					}
				} else if toks[i-1].low == "next" || toks[i-1].low == "coming" || toks[i-1].low == "this" {
					start = i - 1
				} else if i > 1 && toks[i-1].low == "of" && toks[i-2].low == "couple" {
					n = 2
					start = i - 2
				} else {
					continue
				}
			}
			out = append(out, durationHit{start: start, end: i + 1, days: n * u})
			continue
		}
		if n, err := strconv.Atoi(low); err == nil && n >= 0 && !(i+1 < len(toks) && unitDays[toks[i+1].low] > 0) {
			out = append(out, durationHit{start: i, end: i + 1, days: n, number: true})
		}
	}
	return out
}
