package redisstore

// Key layout. A campaign's keys carry the hash tag {campaign:<id>} so Redis
// Cluster puts them in one slot, which is what lets SaveCampaign write
// them in a single WATCH/MULTI/EXEC. Index sets and token keys need no such
// grouping: they are written with single-key commands.

func (s *Store) campaignKey(id, part string) string {
	return s.prefix + "{campaign:" + id + "}:" + part
}

// campaignKeys are the keys of one campaign: its revision, workflow state,
// draft definition and content (a hash by locale), published versions (a
// hash by number) and audit log (a list).
type campaignKeys struct {
	rev, state, def, content, versions, audit string
}

func (s *Store) campaignKeys(id string) campaignKeys {
	return campaignKeys{
		rev:      s.campaignKey(id, "rev"),
		state:    s.campaignKey(id, "state"),
		def:      s.campaignKey(id, "def"),
		content:  s.campaignKey(id, "content"),
		versions: s.campaignKey(id, "versions"),
		audit:    s.campaignKey(id, "audit"),
	}
}

func (s *Store) campaignIndexKey() string { return s.prefix + "campaigns" }

// generationKey and changesChannel carry the published-state generation
// and its notifications (see Store.BumpGeneration).
func (s *Store) generationKey() string  { return s.prefix + "generation" }
func (s *Store) changesChannel() string { return s.prefix + "changes" }

// tokenKey takes the hex hash, which is also the member of the tokens index.
func (s *Store) tokenKey(hexHash string) string { return s.prefix + "token:" + hexHash }
func (s *Store) tokenIDKey(id string) string    { return s.prefix + "token-id:" + id }
func (s *Store) tokenIndexKey() string          { return s.prefix + "tokens" }

func (s *Store) secretKey(name string) string { return s.prefix + "secret:" + name }
