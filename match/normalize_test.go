package match

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii case and punctuation", "Small BOAT to U.K.!", "smal boat to u k"},
		{"squeeze repeats, keep digit runs", "smuggggler 1000 boooat", "smugler 1000 boat"},
		{"french diacritics and apostrophe", "Traversée vers l'Angleterre", "traverse vers l angletere"},
		{"turkish dotted and dotless i", "İNGİLTERE'ye kaçak ılık", "ingiltere ye kacak ilik"},
		{"vietnamese", "đường dây đưa người sang Anh", "duong day dua nguoi sang anh"},
		{"full-width and mathematical letters", "ｂｏａｔ 𝐛𝐨𝐚𝐭", "boat boat"},
		{"cyrillic and greek capitals that look latin", "ВОАТ ТО UK ΡΑSSΡΟRΤ Ь0аt", "boat to uk pasport b0at"},
		{"cyrillic lower case shaped as small capitals", "вoaт sмuggler", "boat smugler"},
		{"small capitals and negative circled or squared letters", "ꜱᴍᴀʟʟ ʙᴏᴀᴛ 🅑🅞🅐🅣 🅱🅾🅰🆃", "smal boat boat boat"},
		{"zero-width and soft hyphen inside a word", "sm\u200bug\u00adg\u200dler", "smugler"},
		{"bidi controls dropped", "\u202eboat\u202c", "boat"},
		{"arabic harakat tatweel alef", "مُهَرِّب أنجلترا إلى بـــريطانيا", "مهرب انجلترا الي بريطانيا"},
		{"persian yeh kaf and digits", "قیمت کشتی ۱۲۰۰", "قيمت كشتي 1200"},
		{"arabic-indic digits", "٣٠٠٠ يورو", "3000 يورو"},
		{"sorani letters", "قاچاخ بۆ بەریتانیا", "قاچاخ بو بهريتانيا"},
		{"pashto letters", "د انګلستان قاچاقبر", "د انگلستان قاچاقبر"},
		{"maghrebi g letters", "الحرڭة نحرڨو", "الحرقه نحرقو"},
		{"emoji are words, variation selectors dropped", "boat⛵️to🇬🇧", "boat ⛵ to 🇬🇧"},
		{"consecutive flags are separate words", "🇫🇷🇬🇧🇬🇧", "🇫🇷 🇬🇧 🇬🇧"},
		{"ethiopic wordspace separates", "ብጃልባ፡ናብ", "ብጃልባ ናብ"},
		{"a proclitic glued to a Latin word is a word of its own", "الboat بالVisa ብlorry boatالى", "ال boat بال visa ብ lory boat الي"},
		{"digits and other scripts do not split a word", "ta7reeb 3ala مهرب3 smugglжr", "ta7reb 3ala مهرب3 smuglжr"},
		{"ethiopic syllables are squeezed like letters", "ደላላ", "ደላ"},
		{"ethiopic homophones", "ሐሠተኛ ኀይል ዐረብ ፀሐይ", "ሀሰተኛ ሀይል አረብ ጸሀይ"},
		{"ethiopic digits one to nine; tens and hundreds separate", "፭ ሰው ፩፱ ፭፻ ዶላር", "5 ሰው 19 5 ዶላር"},
		{"empty", "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
