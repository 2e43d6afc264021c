// Package learn fits the win model: crm.Fitter with gonum's optimize
// (L-BFGS). crm holds the model, its features and its evaluation in the
// standard library only; the numeric library stays here, beside the
// wiring that hands it to crm.Learning.
package learn

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/voronka/voronka/crm"
)

// Logistic fits an L2-regularised logistic regression by minimising the
// mean log-loss plus l2/2·|w|² with L-BFGS. The objective and its
// gradient are the only code here; the optimisation is gonum's.
type Logistic struct {
	// MaxIterations bounds L-BFGS (default 500).
	MaxIterations int
}

var _ crm.Fitter = Logistic{}

// FitLogistic implements crm.Fitter. It stops early, with ctx's error,
// when ctx ends.
func (f Logistic) FitLogistic(ctx context.Context, x []float64, rows, cols int, y []float64, l2 float64) (float64, []float64, error) {
	if rows == 0 || len(x) != rows*cols || len(y) != rows {
		return 0, nil, fmt.Errorf("fit logistic: %d rows of %d columns in %d values, %d outcomes", rows, cols, len(x), len(y))
	}
	obj := &objective{x: x, y: y, rows: rows, cols: cols, l2: l2, last: make([]float64, cols+1), grad: make([]float64, cols+1), z: make([]float64, rows)}
	obj.eval(make([]float64, cols+1))
	iters := f.MaxIterations
	if iters <= 0 {
		iters = 500
	}
	p := optimize.Problem{
		Func: func(beta []float64) float64 { obj.eval(beta); return obj.f },
		Grad: func(grad, beta []float64) { obj.eval(beta); copy(grad, obj.grad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-7,
		MajorIterations:   iters,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-10, Iterations: 20},
		Recorder:          ctxRecorder{ctx},
	}
	res, err := optimize.Minimize(p, make([]float64, cols+1), settings, &optimize.LBFGS{})
	if cerr := ctx.Err(); cerr != nil {
		return 0, nil, fmt.Errorf("fit logistic: %w", cerr)
	}
	if res == nil || !allFinite(res.X) {
		return 0, nil, fmt.Errorf("fit logistic: %w", errors.Join(err, errors.New("no finite solution")))
	}
	// A line search that can go no further has reached the optimum to
	// the precision of float64; gonum reports it as an error, but the
	// location it returns is the best found and is kept.
	return res.X[0], append([]float64(nil), res.X[1:]...), nil
}

// objective is the mean log-loss with the penalty, and its gradient, at
// the last point asked for (L-BFGS asks for the value and the gradient at
// the same point, so each is computed once).
type objective struct {
	x, y       []float64
	rows, cols int
	l2         float64
	last, grad []float64
	z          []float64
	f          float64
	valid      bool
}

func (o *objective) eval(beta []float64) {
	if o.valid && floats.Equal(beta, o.last) {
		return
	}
	copy(o.last, beta)
	o.valid = true
	b, w := beta[0], beta[1:]
	n := float64(o.rows)
	for i := range o.grad {
		o.grad[i] = 0
	}
	var loss float64
	gw := o.grad[1:]
	for i := range o.rows {
		row := o.x[i*o.cols : (i+1)*o.cols]
		z := b + floats.Dot(row, w)
		// log(1+e^z) - y·z, computed without overflow.
		loss += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - o.y[i]*z
		r := crm.Sigmoid(z) - o.y[i]
		o.grad[0] += r
		floats.AddScaled(gw, r, row)
	}
	o.f = loss/n + o.l2/2*floats.Dot(w, w)
	o.grad[0] /= n
	floats.Scale(1/n, gw)
	floats.AddScaled(gw, o.l2, w)
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// ctxRecorder stops the optimisation when the context ends.
type ctxRecorder struct{ ctx context.Context }

func (r ctxRecorder) Init() error { return r.ctx.Err() }

func (r ctxRecorder) Record(*optimize.Location, optimize.Operation, *optimize.Stats) error {
	return r.ctx.Err()
}
