package stats

// SRM returns the p-value of a χ² test that the observed users per arm
// match the configured weights. A small p-value means assignment or
// exposure logging is broken, which invalidates every other result of the
// experiment.
//
// Only arms with a positive weight and an observed count take part (arm i
// needs i < len(users) and i < len(weights)), and the degrees of freedom are
// the number of such arms minus one. This is the behaviour of GrowthBook's
// TypeScript back end; its Python check_srm instead counts zero-weight arms
// in the degrees of freedom, which inflates p-values. SRM returns 1 when
// fewer than two arms take part or they have no users, since there is then
// nothing to compare.
func SRM(users, weights []float64) float64 {
	k := min(len(users), len(weights))
	var totalW, totalO float64
	arms := 0
	for i := range k {
		if weights[i] > 0 {
			totalW += weights[i]
			totalO += users[i]
			arms++
		}
	}
	if arms < 2 || totalO == 0 {
		return 1
	}
	var x2 float64
	for i := range k {
		if weights[i] > 0 {
			e := weights[i] / totalW * totalO
			d := users[i] - e
			x2 += d * d / e
		}
	}
	return chiSquareSF(x2, float64(arms-1))
}

// SRMThreshold is GrowthBook's default p-value below which a sample ratio
// mismatch is reported.
const SRMThreshold = 0.001

// SRMMinCountPerVariation is GrowthBook's default minimum number of users
// per variation before an SRM warning is shown.
const SRMMinCountPerVariation = 8

// SRMWarning reports whether an experiment with k variations, total users
// and SRM p-value p should show a sample-ratio-mismatch warning. Below
// SRMMinCountPerVariation users per variation the χ² approximation is
// unreliable and a warning would mostly be noise, so none is shown.
func SRMWarning(p float64, total float64, k int) bool {
	return p < SRMThreshold && total >= SRMMinCountPerVariation*float64(k)
}
