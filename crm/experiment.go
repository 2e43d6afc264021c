package crm

import "math"

// Wilson is the 95% Wilson score interval of k successes in n trials: it
// stays inside [0, 1] and behaves at small n and at rates near 0 or 1,
// where the normal approximation does not.
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	mid := (p + z*z/(2*nn)) / den
	half := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// ProbBeats is the probability that B's true rate exceeds A's, with a
// uniform Beta(1, 1) prior on each and the posteriors approximated as
// normal (exact enough past a few dozen trials, and deterministic).
func ProbBeats(kA, nA, kB, nB int) float64 {
	ma, va := betaMoments(kA, nA)
	mb, vb := betaMoments(kB, nB)
	if va+vb == 0 {
		return 0.5
	}
	return 0.5 * math.Erfc(-(mb-ma)/math.Sqrt(2*(va+vb)))
}

func betaMoments(k, n int) (mean, variance float64) {
	a, b := float64(k+1), float64(n-k+1)
	return a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1))
}

// SampleRatioMismatch tests the sends each variant got against its
// weight with Pearson's chi-square, and answers the p-value; below 0.01
// the split is broken (a bug in assignment, sends lost for one arm), and
// the results are not to be trusted.
func SampleRatioMismatch(observed []int, weights []int) float64 {
	if len(observed) != len(weights) || len(observed) < 2 {
		return 1
	}
	total, wsum := 0, 0
	for i := range observed {
		total += observed[i]
		wsum += max(weights[i], 0)
	}
	if total == 0 || wsum == 0 {
		return 1
	}
	chi, df := 0.0, -1
	for i, o := range observed {
		if weights[i] <= 0 {
			continue
		}
		e := float64(total) * float64(weights[i]) / float64(wsum)
		chi += (float64(o) - e) * (float64(o) - e) / e
		df++
	}
	if df < 1 {
		return 1
	}
	return chiSquareSurvival(chi, df)
}

// chiSquareSurvival is P(X >= x) for X ~ chi-square(df): the regularised
// upper incomplete gamma Q(df/2, x/2).
func chiSquareSurvival(x float64, df int) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(float64(df)/2, x/2)
}

// gammaQ is the regularised upper incomplete gamma function, by its
// series below a+1 and its continued fraction above (Numerical Recipes
// 6.2).
func gammaQ(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, del, ap := 1/a, 1/a, a
		for range 500 {
			ap++
			del *= x / ap
			sum += del
			if math.Abs(del) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return 1 - sum*math.Exp(-x+a*math.Log(x)-lg)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 500; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}
