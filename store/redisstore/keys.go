package redisstore

import (
	"strings"

	"signpost/store"
)

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

// Engagement keys of one campaign carry the hash tag {stats:<campaign>}, so
// a batch's counts, batch and once ids and unique sketches share a slot
// and one script applies them atomically, also on Cluster. Expiring
// secrets and markers are written with single-key commands (markers are
// per person) and need no grouping.
func (s *Store) statsKey(campaign, part string) string {
	return s.prefix + "{stats:" + campaign + "}:" + part
}

// countsKey is the hash of campaign's counts on day (YYYY-MM-DD, UTC).
func (s *Store) countsKey(campaign, day string) string { return s.statsKey(campaign, "counts:"+day) }
func (s *Store) batchKey(campaign, id string) string   { return s.statsKey(campaign, "batch:"+id) }
func (s *Store) onceKey(campaign, id string) string    { return s.statsKey(campaign, "once:"+id) }

// uniqueKey is the HyperLogLog of one cell. Its parts are escaped so that a
// colon inside one cannot make two cells share a key.
func (s *Store) uniqueKey(campaign string, c store.UniqueCell) string {
	return s.statsKey(campaign, "hll:"+keyPartEscaper.Replace(c.Day)+":"+keyPartEscaper.Replace(c.Variant)+
		":"+keyPartEscaper.Replace(c.Locale)+":"+keyPartEscaper.Replace(c.Platform))
}

var keyPartEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

func (s *Store) expiringSecretKey(name string) string { return s.prefix + "expiring-secret:" + name }
func (s *Store) markerKey(key string) string          { return s.prefix + "marker:" + key }

// Account keys. A user's record, its name claim and a session are each
// written with single-key commands, so none need a hash tag; the users
// index and a user's session set are plain sets.
func (s *Store) userKey(id string) string             { return s.prefix + "user:" + id }
func (s *Store) userNameKey(name string) string       { return s.prefix + "user-name:" + name }
func (s *Store) userIndexKey() string                 { return s.prefix + "users" }
func (s *Store) sessionKey(hexHash string) string     { return s.prefix + "session:" + hexHash }
func (s *Store) userSessionsKey(userID string) string { return s.prefix + "user-sessions:" + userID }

// securityKey holds the security log (a list).
func (s *Store) securityKey() string { return s.prefix + "security-audit" }
