package mlp

import "math"

// act enumerates the hidden activations.
type act uint8

const (
	actSigmoid act = iota
	actReLU
	actTanh
)

func actOf(name string) act {
	switch name {
	case ReLU:
		return actReLU
	case Tanh:
		return actTanh
	}
	return actSigmoid
}

// net is the trainable network: every weight and bias lives in one flat vector theta so that
// gradients, their reduction and Adam are plain loops over vectors of the same layout.
// Layer l maps sizes[l] inputs to sizes[l+1] outputs; its weights are theta[wOff[l]:] in
// row-major [out][in] order followed by its biases at theta[bOff[l]:].
type net struct {
	sizes      []int
	act        act
	regression bool
	theta      []float64
	wOff, bOff []int
}

func newNet(sizes []int, a act, regression bool) *net {
	n := &net{sizes: sizes, act: a, regression: regression}
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		n.wOff = append(n.wOff, off)
		off += sizes[l] * sizes[l+1]
		n.bOff = append(n.bOff, off)
		off += sizes[l+1]
	}
	n.theta = make([]float64, off)
	return n
}

func (n *net) nLayers() int { return len(n.sizes) - 1 }

// w and b return layer l's weights and biases as views of v (theta or a gradient vector).
func (n *net) w(v []float64, l int) []float64 {
	return v[n.wOff[l] : n.wOff[l]+n.sizes[l]*n.sizes[l+1]]
}

func (n *net) b(v []float64, l int) []float64 {
	return v[n.bOff[l] : n.bOff[l]+n.sizes[l+1]]
}

// glorot fills the weights with Glorot-uniform values, U(-r, r) with r = sqrt(6/(in+out)),
// layer by layer in row-major order, and zeroes the biases (Keras' Dense defaults).
func (n *net) glorot(uniform func() float64) {
	for l := 0; l < n.nLayers(); l++ {
		r := math.Sqrt(6 / float64(n.sizes[l]+n.sizes[l+1]))
		w := n.w(n.theta, l)
		for i := range w {
			w[i] = (2*uniform() - 1) * r
		}
		clear(n.b(n.theta, l))
	}
}

// work is the per-chunk scratch space of a forward/backward pass.
type work struct {
	acts   [][]float64 // acts[l] = output of hidden layer l (l < nLayers-1)
	deltas [][]float64 // deltas[l] = dLoss/d(pre-activation) of hidden layer l
	grad   []float64   // gradient sum over the chunk's rows, layout of theta
	loss   float64     // loss sum over the chunk's rows
}

func (n *net) newWork(withGrad bool) *work {
	w := &work{}
	for l := 1; l < n.nLayers(); l++ {
		w.acts = append(w.acts, make([]float64, n.sizes[l]))
		w.deltas = append(w.deltas, make([]float64, n.sizes[l]))
	}
	if withGrad {
		w.grad = make([]float64, len(n.theta))
	}
	return w
}

// sigmoid is 1/(1+exp(-z)); for z < -709 exp overflows to +Inf and the result is exactly 0,
// the correctly rounded limit, so no branch is needed.
func sigmoid(z float64) float64 {
	return 1 / (1 + math.Exp(-z))
}

// softplus returns log(1+exp(z)) without overflow.
func softplus(z float64) float64 {
	return math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
}

// forward runs x through the network, leaving the hidden activations in wk, and returns the
// output unit's pre-activation (the logit for classification, the prediction for regression).
func (n *net) forward(x []float64, wk *work) float64 {
	in := x
	L := n.nLayers()
	for l := 0; l < L-1; l++ {
		nin := n.sizes[l]
		W := n.w(n.theta, l)
		B := n.b(n.theta, l)
		out := wk.acts[l]
		affine(W, B, in[:nin], out)
		switch n.act {
		case actSigmoid:
			for j, z := range out {
				out[j] = sigmoid(z)
			}
		case actReLU:
			for j, z := range out {
				if z < 0 {
					out[j] = 0
				}
			}
		case actTanh:
			for j, z := range out {
				out[j] = math.Tanh(z)
			}
		}
		in = out
	}
	W := n.w(n.theta, L-1)
	s := n.theta[n.bOff[L-1]]
	in = in[:len(W)]
	for k, wv := range W {
		s += wv * in[k]
	}
	return s
}

// affine sets out[j] = B[j] + sum_k W[j*len(in)+k]*in[k], summing k in increasing order.
// Four (then two) units are computed together so that their sums form independent
// dependency chains; this changes the speed, not the result.
func affine(W, B, in, out []float64) {
	nin := len(in)
	j := 0
	for ; j+4 <= len(out); j += 4 {
		w0 := W[j*nin : j*nin+nin]
		w1 := W[(j+1)*nin : (j+1)*nin+nin]
		w2 := W[(j+2)*nin : (j+2)*nin+nin]
		w3 := W[(j+3)*nin : (j+3)*nin+nin]
		w0, w1, w2, w3 = w0[:len(in)], w1[:len(in)], w2[:len(in)], w3[:len(in)]
		s0, s1, s2, s3 := B[j], B[j+1], B[j+2], B[j+3]
		for k, x := range in {
			s0 += w0[k] * x
			s1 += w1[k] * x
			s2 += w2[k] * x
			s3 += w3[k] * x
		}
		out[j], out[j+1], out[j+2], out[j+3] = s0, s1, s2, s3
	}
	for ; j+2 <= len(out); j += 2 {
		w0 := W[j*nin : j*nin+nin]
		w1 := W[(j+1)*nin : (j+1)*nin+nin]
		w0, w1 = w0[:len(in)], w1[:len(in)]
		s0, s1 := B[j], B[j+1]
		for k, x := range in {
			s0 += w0[k] * x
			s1 += w1[k] * x
		}
		out[j], out[j+1] = s0, s1
	}
	for ; j < len(out); j++ {
		w0 := W[j*nin : j*nin+nin]
		w0 = w0[:len(in)]
		s := B[j]
		for k, x := range in {
			s += w0[k] * x
		}
		out[j] = s
	}
}

// outputOf maps the output pre-activation to the model's prediction.
func (n *net) outputOf(z float64) float64 {
	if n.regression {
		return z
	}
	return sigmoid(z)
}

// step runs a forward and a backward pass for one row, adding the row's loss to wk.loss and
// its gradient to wk.grad. Classification uses BCE on the logit, softplus(z) - y*z, whose
// derivative is sigmoid(z) - y; regression uses (z-y)^2 with derivative 2(z-y).
func (n *net) step(x []float64, y float64, wk *work) {
	z := n.forward(x, wk)
	var dz float64
	if n.regression {
		d := z - y
		wk.loss += d * d
		dz = 2 * d
	} else {
		wk.loss += softplus(z) - y*z
		dz = sigmoid(z) - y
	}
	L := n.nLayers()
	// Output layer (one unit).
	{
		l := L - 1
		var in []float64
		if l == 0 {
			in = x
		} else {
			in = wk.acts[l-1]
		}
		gW := n.w(wk.grad, l)
		in = in[:len(gW)]
		wk.grad[n.bOff[l]] += dz
		if l > 0 {
			W := n.w(n.theta, l)[:len(gW)]
			dp := wk.deltas[l-1][:len(gW)]
			for k, a := range in {
				gW[k] += dz * a
				dp[k] = dz * W[k]
			}
		} else {
			for k, a := range in {
				gW[k] += dz * a
			}
		}
	}
	// Hidden layers, last to first.
	for l := L - 2; l >= 0; l-- {
		delta := wk.deltas[l]
		a := wk.acts[l]
		a = a[:len(delta)]
		switch n.act {
		case actSigmoid:
			for j, v := range a {
				delta[j] *= v * (1 - v)
			}
		case actReLU:
			for j, v := range a {
				if v <= 0 {
					delta[j] = 0
				}
			}
		case actTanh:
			for j, v := range a {
				delta[j] *= 1 - v*v
			}
		}
		nin := n.sizes[l]
		var in []float64
		if l == 0 {
			in = x[:nin]
		} else {
			in = wk.acts[l-1][:nin]
		}
		gW := n.w(wk.grad, l)
		gB := n.b(wk.grad, l)
		gB = gB[:len(delta)]
		for j, d := range delta {
			gB[j] += d
		}
		if l > 0 {
			W := n.w(n.theta, l)
			dp := wk.deltas[l-1][:nin]
			clear(dp)
			for j, d := range delta {
				if d == 0 {
					continue
				}
				gj := gW[j*nin : j*nin+nin]
				wj := W[j*nin : j*nin+nin]
				gj, wj, dp = gj[:len(in)], wj[:len(in)], dp[:len(in)]
				for k, av := range in {
					gj[k] += d * av
					dp[k] += d * wj[k]
				}
			}
		} else {
			for j, d := range delta {
				if d == 0 {
					continue
				}
				gj := gW[j*nin : j*nin+nin]
				gj = gj[:len(in)]
				for k, av := range in {
					gj[k] += d * av
				}
			}
		}
	}
}
