package app

import (
	"strings"
	"testing"
	"testing/fstest"
)

const testDef = `{"id":"t","name":"T","default_locale":"en",
 "experiment":{"coverage":1,"variants":[{"key":"a","weight":1}]},
 "allowed_hosts":["example.org"],"actions":[{"id":"help","url":"https://example.org/"}]}`

func TestLoadShippedNamesFileLineAndProblem(t *testing.T) {
	good := "\"a.title\" = \"T\"\n\"a.body\" = \"B\"\n\"a.action.help.label\" = \"H\"\n\"a.dismiss\" = \"D\"\n\"a.continue\" = \"C\"\n"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"broken toml", fstest.MapFS{
			"campaigns/t/campaign.json": {Data: []byte(testDef)},
			"campaigns/t/en.toml":       {Data: []byte(good)},
			"campaigns/t/fr.toml":       {Data: []byte("\"a.title\" = \"Titre\"\n\"a.body\" = \n")},
		}, []string{"locales/campaigns/t/fr.toml", "line 2"}},
		{"missing message", fstest.MapFS{
			"campaigns/t/campaign.json": {Data: []byte(testDef)},
			"campaigns/t/en.toml":       {Data: []byte("\"a.title\" = \"T\"\n")},
		}, []string{"locales/campaigns/t/en.toml", `"a.body"`, "missing"}},
		{"bad definition", fstest.MapFS{
			"campaigns/t/campaign.json": {Data: []byte(`{"id":"t"}`)},
		}, []string{"locales/campaigns/t/campaign.json", "name is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadShipped(tt.files)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
