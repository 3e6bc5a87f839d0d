package ground

// Sentences, clauses and quoted phrases: the segments the rules look
// within.

// segment assigns every token its sentence (newline, . ! ? ;) and its
// clause (also split at commas and conjunctions outside brackets).
func (c *checker) segment() {
	n := len(c.toks)
	c.sent = make([]int, n)
	c.clause = make([]int, n)
	c.inQuote = make([]bool, n)
	s, cl, depth := 0, 0, 0
	quote := false
	for i, t := range c.toks {
		if t.kind == kPunct {
			switch t.p {
			case '\n', '.', '!', '?', ';':
				c.sent[i], c.clause[i] = s, cl
				s, cl, depth = i+1, i+1, 0
				if t.p == '\n' {
					quote = false
				}
				continue
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			case ',', '-':
				if depth == 0 && !quote {
					c.sent[i], c.clause[i] = s, cl
					cl = i + 1
					continue
				}
			case '"':
				quote = !quote
			}
		}
		if t.kind == kWord && depth == 0 && !quote {
			switch t.norm {
			case "and", "but", "while", "whereas", "although", "though", "except", "or", "because", "so", "whilst":
				c.sent[i], c.clause[i] = s, i
				cl = i
				continue
			}
		}
		c.sent[i], c.clause[i] = s, cl
		c.inQuote[i] = quote && !(t.kind == kPunct && t.p == '"')
	}
	// A quoted single word ("running" in a JSON listing) is a value like
	// any other; only quoted phrases (titles, message bodies) are exempt
	// from the status and name rules, being checked whole.
	for i := 0; i < n; {
		if !c.inQuote[i] {
			i++
			continue
		}
		j, words := i, 0
		for j < n && c.inQuote[j] {
			if c.toks[j].kind != kPunct {
				words++
			}
			j++
		}
		if words <= 1 {
			for k := i; k < j; k++ {
				c.inQuote[k] = false
			}
		}
		i = j
	}
}
