package redisstore

// Key layout. A campaign's keys carry the hash tag {campaign:<id>} so Redis
// Cluster puts them in one slot, which is what lets SaveCampaign replace
// them in a single MULTI/EXEC. Index sets and token keys need no such
// grouping: they are written with single-key commands.

func (s *Store) campaignKey(id, part string) string {
	return s.prefix + "{campaign:" + id + "}:" + part
}

func (s *Store) campaignDefKey(id string) string     { return s.campaignKey(id, "def") }
func (s *Store) campaignContentKey(id string) string { return s.campaignKey(id, "content") }
func (s *Store) campaignVersionKey(id string) string { return s.campaignKey(id, "version") }
func (s *Store) campaignIndexKey() string            { return s.prefix + "campaigns" }

// tokenKey takes the hex hash, which is also the member of the tokens index.
func (s *Store) tokenKey(hexHash string) string { return s.prefix + "token:" + hexHash }
func (s *Store) tokenIDKey(id string) string    { return s.prefix + "token-id:" + id }
func (s *Store) tokenIndexKey() string          { return s.prefix + "tokens" }

func (s *Store) secretKey(name string) string { return s.prefix + "secret:" + name }
