package match

// GeneratedRuleSource exposes generatedSource to the external benchmarks.
var GeneratedRuleSource = generatedSource
