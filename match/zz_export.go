package match

func ZZIsVocab(m *Matcher, w string) bool { return isVocab(m.vocab, []byte(w)) }
